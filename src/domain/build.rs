//! Building the normalized tree from Odoo's prefix list: arity and shape checks with Odoo's
//! own messages, the implicit leading `&`s, leaves with their operator aliases, and the depth
//! caps that keep hostile input from building trees that overflow the stack.

use super::error::{DomainError, DomainErrorKind as K};
use super::lit::Lit;
use super::operand::Operand;
use super::pyparse::MAX_DEPTH;
use super::tree::{
    AnyNode, Leaf, MAX_PATH_LEN, MAX_TREE_DEPTH, Node, mk_and, mk_or, negate, normalize_op,
};

pub(super) fn is_domain_op(v: &Operand) -> Option<u8> {
    match v.as_str() {
        Some("&") => Some(b'&'),
        Some("|") => Some(b'|'),
        Some("!") => Some(b'!'),
        _ => None,
    }
}

/// `(1, '=', 1)` / `(0, '=', 1)` with Python equality (`True == 1`).
pub(super) fn bool_leaf(items: &[Operand]) -> Option<bool> {
    if items.len() != 3 || items[1].as_str() != Some("=") || !items[2].py_eq_int(1) {
        return None;
    }
    if items[0].py_eq_int(1) {
        Some(true)
    } else if items[0].py_eq_int(0) {
        Some(false)
    } else {
        None
    }
}

pub(super) fn leaf_repr(items: &[Operand]) -> String {
    Operand::Tuple(items.to_vec()).to_string()
}

pub(super) fn operand_depth_ok(v: &Operand) -> bool {
    // iterative, so hostile nesting cannot overflow the stack before we refuse it
    let mut stack = vec![(v, 1usize)];
    while let Some((v, d)) = stack.pop() {
        if d > MAX_DEPTH {
            return false;
        }
        if let Some(items) = v.as_seq() {
            stack.extend(items.iter().map(|i| (i, d + 1)));
        }
    }
    true
}

pub(super) fn lit_depth_ok(v: &Lit) -> bool {
    let mut stack = vec![(v, 1usize)];
    while let Some((v, d)) = stack.pop() {
        if d > MAX_DEPTH {
            return false;
        }
        if let Some(items) = v.as_seq() {
            stack.extend(items.iter().map(|i| (i, d + 1)));
        }
    }
    true
}

/// `normalize_domain`'s arity check, recursing into `any` subdomains.
pub(super) fn check_arity(whole: &Operand) -> Result<(), DomainError> {
    let Some(items) = whole.as_seq() else {
        return Err(DomainError::odoo(
            K::NotADomain,
            "Domains to normalize must have a 'domain' form: a list or tuple of domain components",
        ));
    };
    let mut expected: i64 = 1;
    for (i, token) in items.iter().enumerate() {
        if expected == 0 && i > 0 {
            expected = 1;
        }
        if let Some(leaf) = token.as_seq() {
            expected -= 1;
            if leaf.len() == 3 && matches!(leaf[1].as_str(), Some("any" | "not any")) {
                check_arity(&leaf[2])?;
            }
        } else {
            expected += match is_domain_op(token) {
                Some(b'!') => 0,
                Some(_) => 1,
                None => -1,
            };
        }
    }
    if expected != 0 && !items.is_empty() {
        return Err(DomainError::odoo(
            K::Arity,
            format!("Domain {whole} is syntactically not correct."),
        ));
    }
    Ok(())
}

/// The shape errors Odoo raises while unpacking leaves (`is_false`, `_anyfy_leaves`).
pub(super) fn check_shapes(items: &[Operand]) -> Result<(), DomainError> {
    // is_false walks the normalized domain backwards and indexes token[1] / token[2]
    for token in items.iter().rev() {
        if let Some(leaf) = token.as_seq() {
            if bool_leaf(leaf).is_some() {
                continue;
            }
            if leaf.len() < 2 || (leaf.len() == 2 && leaf[1].as_str() == Some("in")) {
                return Err(DomainError::new(
                    K::MalformedLeaf,
                    format!("leaf {token} must have 3 items (field, operator, value)"),
                )
                .with_odoo("tuple index out of range"));
            }
        }
    }
    for token in items {
        if is_domain_op(token).is_some() {
            continue;
        }
        let Some(leaf) = token.as_seq() else {
            let msg = format!("{token} is neither an operator ('&', '|', '!') nor a leaf");
            let err = DomainError::new(K::MalformedLeaf, msg);
            return Err(match token {
                Operand::Str(_) => err,
                other => err.with_odoo(format!("'{}' object is not iterable", other.py_type())),
            });
        };
        if bool_leaf(leaf).is_some() {
            continue;
        }
        match leaf.len() {
            3 => {}
            n if n < 3 => {
                return Err(DomainError::new(
                    K::MalformedLeaf,
                    format!("leaf {token} must have 3 items (field, operator, value)"),
                )
                .with_odoo(format!("not enough values to unpack (expected 3, got {n})")));
            }
            _ => {
                return Err(DomainError::new(
                    K::MalformedLeaf,
                    format!("leaf {token} must have 3 items (field, operator, value)"),
                )
                .with_odoo("too many values to unpack (expected 3)"));
            }
        }
        match &leaf[0] {
            Operand::Str(_) => {}
            Operand::Expr(e) => {
                return Err(DomainError::new(
                    K::MalformedLeaf,
                    format!("the field name of leaf {token} cannot be a placeholder (`{e}`)"),
                ));
            }
            other => {
                return Err(DomainError::new(
                    K::MalformedLeaf,
                    format!(
                        "the field name of leaf {} must be a string",
                        leaf_repr(leaf)
                    ),
                )
                .with_odoo(format!(
                    "'{}' object has no attribute 'split'",
                    other.py_type()
                )));
            }
        }
        if let Operand::Expr(e) = &leaf[1] {
            return Err(DomainError::new(
                K::MalformedLeaf,
                format!("the operator of leaf {token} cannot be a placeholder (`{e}`)"),
            ));
        }
        if matches!(leaf[1].as_str(), Some("any" | "not any"))
            && let Some(sub) = leaf[2].as_seq()
        {
            check_shapes(sub)?;
        }
    }
    Ok(())
}

/// `_anyfy_leaves` for one leaf: dotted paths become nested `any`.
pub(super) fn leaf_node(
    left: &str,
    raw_op: &Operand,
    right: &Operand,
) -> Result<Node, DomainError> {
    let parts: Vec<&str> = left.split('.').collect();
    if parts.len() > MAX_PATH_LEN {
        return Err(DomainError::new(
            K::InvalidPath,
            format!("path `{left}` has more than {MAX_PATH_LEN} fields"),
        ));
    }
    let (last, heads) = parts
        .split_last()
        .ok_or_else(|| DomainError::new(K::InvalidPath, "empty path"))?;
    let mut node = match raw_op.as_str() {
        Some(op @ ("any" | "not any")) => {
            let sub = right.as_seq().ok_or_else(|| {
                DomainError::odoo(
                    K::NotADomain,
                    "Domains to normalize must have a 'domain' form: a list or tuple of domain components",
                )
            })?;
            Node::Any(AnyNode {
                field: (*last).to_owned(),
                negated: op == "not any",
                sub: Box::new(build(sub)?),
                from_path: false,
            })
        }
        _ => Node::Leaf(Leaf {
            field: (*last).to_owned(),
            raw_op: raw_op.clone(),
            op: normalize_op(raw_op, right),
            value: right.clone(),
        }),
    };
    for head in heads.iter().rev() {
        node = Node::Any(AnyNode {
            field: (*head).to_owned(),
            negated: false,
            sub: Box::new(node),
            from_path: true,
        });
    }
    Ok(node)
}

pub(super) fn too_deep() -> DomainError {
    DomainError::new(
        K::TooDeep,
        format!("domain nests deeper than {MAX_TREE_DEPTH} levels"),
    )
}

/// `_tree_from_domain` over checked items.
pub(super) fn build(items: &[Operand]) -> Result<Node, DomainError> {
    let mut stack: Vec<Node> = Vec::new();
    let malformed = || DomainError::new(K::Arity, "operators and leaves do not add up");
    for item in items.iter().rev() {
        let node = match is_domain_op(item) {
            Some(b'!') => negate(stack.pop().ok_or_else(malformed)?),
            Some(op) => {
                let a = stack.pop().ok_or_else(malformed)?;
                let b = stack.pop().ok_or_else(malformed)?;
                if op == b'&' {
                    mk_and(vec![a, b])
                } else {
                    mk_or(vec![a, b])
                }
            }
            _ => {
                let leaf = item.as_seq().ok_or_else(malformed)?;
                match bool_leaf(leaf) {
                    Some(b) => Node::Const(b),
                    None => {
                        let left = leaf[0].as_str().ok_or_else(malformed)?;
                        leaf_node(left, &leaf[1], &leaf[2])?
                    }
                }
            }
        };
        if node.depth() > MAX_TREE_DEPTH {
            return Err(too_deep());
        }
        stack.push(node);
    }
    stack.reverse();
    Ok(mk_and(stack))
}

/// Inserts the implicit leading `&`s of a top-level item list (`normalize_domain`, flat).
pub(super) fn normalized_items(items: &[Operand]) -> Vec<Operand> {
    let mut out: Vec<Operand> = Vec::with_capacity(items.len() + 2);
    let mut expected: i64 = 1;
    let mut ands = 0;
    for token in items {
        if expected == 0 {
            ands += 1;
            expected = 1;
        }
        expected += match is_domain_op(token) {
            Some(b'!') => 0,
            Some(_) => 1,
            None => -1,
        };
        out.push(token.clone());
    }
    let mut v = vec![Operand::Str("&".into()); ands];
    v.extend(out);
    v
}
