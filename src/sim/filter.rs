//! The simulator's own evaluator of Odoo domains over its store: normalisation (implicit
//! `&`, prefix `|`/`!`), Odoo's NULL rules per operator, dotted paths, `child_of`, and the
//! faults Odoo raises for bad fields, operators and malformed domains.

use std::cmp::Ordering;

use super::fault::SimFault;
use super::store::Store;
use crate::domain::Lit;
use crate::record::{FieldType, Value};

const OPERATORS: &[&str] = &[
    "=",
    "!=",
    "<>",
    "<=",
    "<",
    ">",
    ">=",
    "=?",
    "=like",
    "=ilike",
    "like",
    "not like",
    "ilike",
    "not ilike",
    "in",
    "not in",
    "child_of",
    "parent_of",
];

/// A parsed domain.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Node {
    True,
    False,
    And(Box<Node>, Box<Node>),
    Or(Box<Node>, Box<Node>),
    Not(Box<Node>),
    Leaf {
        path: Vec<String>,
        op: String,
        value: Lit,
    },
}

/// Parses and checks a domain literal (a list) against `model`'s fields.
pub(crate) fn parse(store: &Store, model: &str, domain: &Lit) -> Result<Node, SimFault> {
    let items = match domain {
        Lit::List(items) | Lit::Tuple(items) => items.as_slice(),
        Lit::Bool(false) | Lit::None => &[],
        _ => return Err(malformed(domain)),
    };
    let mut pos = 0;
    let mut terms = Vec::new();
    while pos < items.len() {
        terms.push(term(store, model, domain, items, &mut pos)?);
    }
    Ok(terms
        .into_iter()
        .rev()
        .reduce(|acc, t| Node::And(Box::new(t), Box::new(acc)))
        .unwrap_or(Node::True))
}

fn malformed(domain: &Lit) -> SimFault {
    SimFault::value_error(format!("Domain {domain} is syntactically not correct."))
}

fn term(
    store: &Store,
    model: &str,
    domain: &Lit,
    items: &[Lit],
    pos: &mut usize,
) -> Result<Node, SimFault> {
    let Some(item) = items.get(*pos) else {
        return Err(malformed(domain));
    };
    *pos += 1;
    match item {
        Lit::Str(op) if op == "&" || op == "|" => {
            let a = term(store, model, domain, items, pos)?;
            let b = term(store, model, domain, items, pos)?;
            Ok(if op == "&" {
                Node::And(Box::new(a), Box::new(b))
            } else {
                Node::Or(Box::new(a), Box::new(b))
            })
        }
        Lit::Str(op) if op == "!" => {
            Ok(Node::Not(Box::new(term(store, model, domain, items, pos)?)))
        }
        Lit::List(parts) | Lit::Tuple(parts) if parts.len() == 3 => leaf(store, model, parts),
        _ => Err(malformed(domain)),
    }
}

fn leaf(store: &Store, model: &str, parts: &[Lit]) -> Result<Node, SimFault> {
    let printed = Lit::Tuple(parts.to_vec());
    let op = match &parts[1] {
        Lit::Str(op) => op.to_lowercase(),
        _ => return Err(SimFault::value_error(format!("Invalid leaf {printed}"))),
    };
    match (&parts[0], op.as_str(), &parts[2]) {
        (Lit::Int(1), "=", Lit::Int(1)) => return Ok(Node::True),
        (Lit::Int(0), "=", Lit::Int(1)) => return Ok(Node::False),
        _ => {}
    }
    let Lit::Str(path) = &parts[0] else {
        return Err(SimFault::value_error(format!("Invalid leaf {printed}")));
    };
    if !OPERATORS.contains(&op.as_str()) {
        return Err(SimFault::value_error(format!("Invalid leaf {printed}")));
    }
    let path: Vec<String> = path.split('.').map(str::to_owned).collect();
    // Every step of the path must be a field of the model reached so far.
    let mut current = model.to_owned();
    for (i, step) in path.iter().enumerate() {
        let Some(def) = store.registry().field(&current, step) else {
            return Err(SimFault::value_error(format!(
                "Invalid field {current}.{step} in leaf {printed}"
            )));
        };
        if i + 1 < path.len() {
            match &def.relation {
                Some(comodel) => current = comodel.clone(),
                None => {
                    return Err(SimFault::value_error(format!(
                        "Invalid field {current}.{step} in leaf {printed}"
                    )));
                }
            }
        }
    }
    let op = if op == "<>" { "!=".to_owned() } else { op };
    Ok(Node::Leaf {
        path,
        op,
        value: parts[2].clone(),
    })
}

/// Whether the domain mentions `active` at any leaf (then no implicit active filter).
pub(crate) fn mentions_active(node: &Node) -> bool {
    match node {
        Node::Leaf { path, .. } => path.first().is_some_and(|f| f == "active"),
        Node::And(a, b) | Node::Or(a, b) => mentions_active(a) || mentions_active(b),
        Node::Not(a) => mentions_active(a),
        Node::True | Node::False => false,
    }
}

/// The id bounds a domain's top-level `&` leaves on `id` impose (a paging fast path).
pub(crate) fn id_bounds(node: &Node) -> (i64, i64) {
    match node {
        Node::And(a, b) => {
            let (l1, h1) = id_bounds(a);
            let (l2, h2) = id_bounds(b);
            (l1.max(l2), h1.min(h2))
        }
        Node::Leaf {
            path,
            op,
            value: Lit::Int(v),
        } if path.len() == 1 && path[0] == "id" => match op.as_str() {
            ">" => (v.saturating_add(1), i64::MAX),
            ">=" => (*v, i64::MAX),
            "<" => (i64::MIN, v.saturating_sub(1)),
            "<=" => (i64::MIN, *v),
            "=" => (*v, *v),
            _ => (i64::MIN, i64::MAX),
        },
        _ => (i64::MIN, i64::MAX),
    }
}

/// Whether record `id` of `model` satisfies `node`.
pub(crate) fn matches(store: &Store, model: &str, id: i64, node: &Node) -> bool {
    match node {
        Node::True => true,
        Node::False => false,
        Node::And(a, b) => matches(store, model, id, a) && matches(store, model, id, b),
        Node::Or(a, b) => matches(store, model, id, a) || matches(store, model, id, b),
        Node::Not(a) => !matches(store, model, id, a),
        Node::Leaf { path, op, value } => leaf_matches(store, model, id, path, op, value),
    }
}

fn leaf_matches(
    store: &Store,
    model: &str,
    id: i64,
    path: &[String],
    op: &str,
    value: &Lit,
) -> bool {
    let Some(def) = store.registry().field(model, &path[0]) else {
        return false;
    };
    let v = store.value(model, id, &path[0]).unwrap_or_default();
    if path.len() > 1 {
        // Dotted paths are existential: some related record satisfies the rest.
        let Some(comodel) = def.relation.as_deref() else {
            return false;
        };
        let related: Vec<i64> = match &v {
            Value::Many2one(r) => vec![*r],
            Value::Ids(ids) => ids.clone(),
            _ => Vec::new(),
        };
        let honour_active = def.ty.is_x2many();
        return related.into_iter().any(|r| {
            (!honour_active || is_active(store, comodel, r))
                && leaf_matches(store, comodel, r, &path[1..], op, value)
        });
    }
    if op == "child_of" || op == "parent_of" {
        return hierarchy(
            store,
            def.relation.as_deref().unwrap_or(model),
            &v,
            id,
            &path[0],
            op,
            value,
        );
    }
    if def.ty.is_relational() {
        if let Lit::Str(text) = value {
            if matches!(
                op,
                "=" | "!=" | "like" | "ilike" | "not like" | "not ilike" | "=like" | "=ilike"
            ) {
                let comodel = def.relation.as_deref().unwrap_or(model);
                let names: Vec<String> = related_ids(&v)
                    .into_iter()
                    .map(|r| store.display_name(comodel, r))
                    .collect();
                let negative = matches!(op, "!=" | "not like" | "not ilike");
                let positive_op = match op {
                    "!=" => "=",
                    "not like" => "like",
                    "not ilike" => "ilike",
                    o => o,
                };
                let hit = names
                    .iter()
                    .any(|n| scalar(&Value::Str(n.clone()), positive_op, &Lit::Str(text.clone())));
                return hit != negative;
            }
        }
    }
    if def.ty.is_x2many() {
        let ids = related_ids(&v);
        return match op {
            "=" | "in" | "=?" => {
                if is_false(value) || (op == "=?" && matches!(value, Lit::None)) {
                    return if op == "=?" { true } else { ids.is_empty() };
                }
                let wanted = lit_ids(value);
                ids.iter().any(|i| wanted.contains(i))
            }
            "!=" | "not in" => {
                if is_false(value) {
                    return !ids.is_empty();
                }
                let wanted = lit_ids(value);
                !ids.iter().any(|i| wanted.contains(i))
            }
            _ => false,
        };
    }
    let v = if def.ty == FieldType::Boolean && v.is_null() {
        Value::Bool(false)
    } else {
        v
    };
    scalar(&v, op, value)
}

fn is_active(store: &Store, model: &str, id: i64) -> bool {
    if store.registry().field(model, "active").is_none() {
        return true;
    }
    store.value(model, id, "active") != Some(Value::Bool(false))
}

fn related_ids(v: &Value) -> Vec<i64> {
    match v {
        Value::Many2one(r) => vec![*r],
        Value::Ids(ids) => ids.clone(),
        _ => Vec::new(),
    }
}

fn lit_ids(l: &Lit) -> Vec<i64> {
    match l {
        Lit::Int(i) => vec![*i],
        Lit::List(items) | Lit::Tuple(items) => items
            .iter()
            .filter_map(|i| match i {
                Lit::Int(i) => Some(*i),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn is_false(l: &Lit) -> bool {
    matches!(l, Lit::Bool(false) | Lit::None)
}

/// `child_of` / `parent_of` on a hierarchical comodel (`parent_id`).
fn hierarchy(
    store: &Store,
    comodel: &str,
    v: &Value,
    id: i64,
    field: &str,
    op: &str,
    value: &Lit,
) -> bool {
    let roots = lit_ids(value);
    let own: Vec<i64> = if field == "id" {
        vec![id]
    } else {
        related_ids(v)
    };
    let parent = |r: i64| {
        store
            .value(comodel, r, "parent_id")
            .and_then(|p| p.as_many2one())
    };
    own.into_iter().any(|start| {
        if op == "child_of" {
            // start is a child of a root if a root is on its ancestor chain (itself included).
            let mut cur = Some(start);
            let mut guard = 0;
            while let Some(c) = cur {
                if roots.contains(&c) {
                    return true;
                }
                guard += 1;
                if guard > 1000 {
                    return false;
                }
                cur = parent(c);
            }
            false
        } else {
            roots.iter().any(|&root| {
                let mut cur = Some(root);
                let mut guard = 0;
                while let Some(c) = cur {
                    if c == start {
                        return true;
                    }
                    guard += 1;
                    if guard > 1000 {
                        return false;
                    }
                    cur = parent(c);
                }
                false
            })
        }
    })
}

/// Whether a bare value satisfies a leaf's operator and operand (name matching).
pub(crate) fn matches_value(v: &Value, node: &Node) -> bool {
    match node {
        Node::Leaf { op, value, .. } => scalar(v, op, value),
        _ => false,
    }
}

/// A leaf on a non-relational (or many2one by id) value, with Odoo's NULL rules.
fn scalar(v: &Value, op: &str, lit: &Lit) -> bool {
    match op {
        "=?" => is_false(lit) || scalar(v, "=", lit),
        "=" => {
            if is_false(lit) {
                v.is_null() || *v == Value::Bool(false)
            } else {
                eq(v, lit)
            }
        }
        "!=" => {
            if is_false(lit) {
                !(v.is_null() || *v == Value::Bool(false))
            } else {
                v.is_null() || !eq(v, lit)
            }
        }
        "in" | "not in" => {
            let items: &[Lit] = match lit {
                Lit::List(items) | Lit::Tuple(items) => items,
                single => std::slice::from_ref(single),
            };
            let hit = items.iter().any(|i| {
                if is_false(i) {
                    v.is_null() || *v == Value::Bool(false)
                } else {
                    eq(v, i)
                }
            });
            if op == "in" { hit } else { !hit }
        }
        "<" | ">" | "<=" | ">=" => {
            if v.is_null() {
                return false;
            }
            match compare(v, lit) {
                Some(o) => match op {
                    "<" => o == Ordering::Less,
                    ">" => o == Ordering::Greater,
                    "<=" => o != Ordering::Greater,
                    _ => o != Ordering::Less,
                },
                None => false,
            }
        }
        "like" | "ilike" | "=like" | "=ilike" | "not like" | "not ilike" => {
            let negative = op.starts_with("not");
            let Some(text) = text_of(v) else {
                return negative;
            };
            let pattern = match lit {
                Lit::Str(s) => s.clone(),
                other => other.to_string(),
            };
            let pattern = if op.starts_with('=') {
                pattern
            } else {
                format!("%{pattern}%")
            };
            let ci = op.contains("ilike");
            let hit = if ci {
                like(&text.to_lowercase(), &pattern.to_lowercase())
            } else {
                like(&text, &pattern)
            };
            hit != negative
        }
        _ => false,
    }
}

fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::Str(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

fn eq(v: &Value, lit: &Lit) -> bool {
    match (v, lit) {
        (Value::Bool(a), Lit::Bool(b)) => a == b,
        (Value::Bool(a), Lit::Int(b)) => i64::from(*a) == *b,
        (Value::Str(a), Lit::Str(b)) => a == b,
        (Value::Str(a), Lit::Int(b)) => *a == b.to_string(),
        _ => compare(v, lit) == Some(Ordering::Equal),
    }
}

fn compare(v: &Value, lit: &Lit) -> Option<Ordering> {
    match (v, lit) {
        (Value::Int(a) | Value::Many2one(a), Lit::Int(b)) => Some(a.cmp(b)),
        (Value::Int(a) | Value::Many2one(a), Lit::Float(b)) => (*a as f64).partial_cmp(b),
        (Value::Float(a), Lit::Int(b)) => a.partial_cmp(&(*b as f64)),
        (Value::Float(a), Lit::Float(b)) => a.partial_cmp(b),
        (Value::Int(_) | Value::Float(_), Lit::Str(s)) => {
            let b: f64 = s.trim().parse().ok()?;
            v.as_f64()?.partial_cmp(&b)
        }
        (Value::Str(a), Lit::Str(b)) => {
            // A date field compared with a datetime string compares on the date part.
            if a.len() == 10 && b.len() > 10 {
                Some(a.as_str().cmp(&b[..10]))
            } else if a.len() > 10 && b.len() == 10 {
                Some(a.as_str().cmp(&format!("{b} 00:00:00")))
            } else {
                Some(a.cmp(b))
            }
        }
        (Value::Bool(a), Lit::Bool(b)) => Some(a.cmp(b)),
        _ => None,
    }
}

/// SQL `LIKE`: `%` any run, `_` one character (no escapes, as Odoo's operator gives them).
fn like(text: &str, pattern: &str) -> bool {
    let t: Vec<char> = text.chars().collect();
    let p: Vec<char> = pattern.chars().collect();
    let (mut ti, mut pi) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '_' || (p[pi] != '%' && p[pi] == t[ti])) {
            ti += 1;
            pi += 1;
        } else if pi < p.len() && p[pi] == '%' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '%' {
        pi += 1;
    }
    pi == p.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns() {
        assert!(like("kh0@example.vn", "kh_@example.%"));
        assert!(!like("kh10@example.vn", "kh_@example.%"));
        assert!(like("batch lead a", "%lead%"));
        assert!(!like("abc", "%lead%"));
    }

    #[test]
    fn null_rules() {
        assert!(scalar(&Value::Null, "!=", &Lit::Int(5)));
        assert!(!scalar(&Value::Null, "<", &Lit::Int(5)));
        assert!(scalar(
            &Value::Null,
            "in",
            &Lit::List(vec![Lit::Bool(false), Lit::Int(2)])
        ));
        assert!(scalar(
            &Value::Null,
            "not in",
            &Lit::List(vec![Lit::Int(1)])
        ));
        assert!(scalar(
            &Value::Many2one(2),
            "in",
            &Lit::List(vec![Lit::Bool(false), Lit::Int(2)])
        ));
        assert!(scalar(&Value::Null, "=?", &Lit::Bool(false)));
    }
}
