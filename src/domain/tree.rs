//! The normalized domain: Odoo's prefix list turned into a tree the way Odoo 17 does it
//! (implicit `&`, dotted paths as existential `any`, `!` pushed into complementable
//! operators, TRUE/FALSE folded), plus serialisation back to the list form.

use std::fmt;

use super::bind::{self, Env};
use super::build::{
    build, check_arity, check_shapes, lit_depth_ok, normalized_items, operand_depth_ok,
};
use super::error::{DomainError, DomainErrorKind as K};
use super::lit::Lit;
use super::operand::Operand;
use super::pyparse::{self, MAX_DEPTH};

/// Deepest logical nesting (operators, `any` levels) a normalized domain may have.
pub const MAX_TREE_DEPTH: usize = 256;
/// Most fields in one dotted path.
pub const MAX_PATH_LEN: usize = 32;

/// A leaf operator, after Odoo's aliases (`<>` → `!=`, `in` + bool → `=`, `=` + list → `in`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    EqOpt,
    EqLike,
    EqIlike,
    Like,
    NotLike,
    Ilike,
    NotIlike,
    In,
    NotIn,
    ChildOf,
    ParentOf,
    /// Not an operator Odoo knows: `validate` and evaluation report it.
    Invalid,
}

impl Op {
    /// Odoo's `TERM_OPERATORS` plus `<>`, spelled exactly (Odoo 17 rejects `'IN'` or `'Like'`).
    fn from_raw(s: &str) -> Op {
        match s {
            "=" => Op::Eq,
            "!=" | "<>" => Op::Ne,
            "<" => Op::Lt,
            "<=" => Op::Le,
            ">" => Op::Gt,
            ">=" => Op::Ge,
            "=?" => Op::EqOpt,
            "=like" => Op::EqLike,
            "=ilike" => Op::EqIlike,
            "like" => Op::Like,
            "not like" => Op::NotLike,
            "ilike" => Op::Ilike,
            "not ilike" => Op::NotIlike,
            "in" => Op::In,
            "not in" => Op::NotIn,
            "child_of" => Op::ChildOf,
            "parent_of" => Op::ParentOf,
            _ => Op::Invalid,
        }
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::EqOpt => "=?",
            Op::EqLike => "=like",
            Op::EqIlike => "=ilike",
            Op::Like => "like",
            Op::NotLike => "not like",
            Op::Ilike => "ilike",
            Op::NotIlike => "not ilike",
            Op::In => "in",
            Op::NotIn => "not in",
            Op::ChildOf => "child_of",
            Op::ParentOf => "parent_of",
            Op::Invalid => "?",
        }
    }

    /// Odoo's `NEGATIVE_TERM_OPERATORS`.
    pub(crate) fn is_negative(self) -> bool {
        matches!(self, Op::Ne | Op::NotLike | Op::NotIlike | Op::NotIn)
    }
}

/// Odoo's `TERM_OPERATORS_NEGATION`, keyed by the exact spelling.
fn complement(raw: &str) -> Option<&'static str> {
    Some(match raw {
        "<" => ">=",
        ">" => "<=",
        "<=" => ">",
        ">=" => "<",
        "=" => "!=",
        "!=" => "=",
        "in" => "not in",
        "not in" => "in",
        "like" => "not like",
        "not like" => "like",
        "ilike" => "not ilike",
        "not ilike" => "ilike",
        _ => return None,
    })
}

/// `normalize_leaf`: the operator after aliases and list/bool coercions.
pub(super) fn normalize_op(raw: &Operand, right: &Operand) -> Op {
    let Some(s) = raw.as_str() else {
        return Op::Invalid;
    };
    match (Op::from_raw(s), right) {
        (Op::In, Operand::Bool(_)) => Op::Eq,
        (Op::NotIn, Operand::Bool(_)) => Op::Ne,
        (Op::Eq, Operand::List(_) | Operand::Tuple(_)) => Op::In,
        (Op::Ne, Operand::List(_) | Operand::Tuple(_)) => Op::NotIn,
        (op, _) => op,
    }
}

/// A comparison on one field of the current model.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Leaf {
    pub field: String,
    /// The operator as written (printed back as is).
    pub raw_op: Operand,
    pub op: Op,
    pub value: Operand,
}

/// `(field, 'any', sub)` / `'not any'`, written so or coming from a dotted path.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct AnyNode {
    pub field: String,
    pub negated: bool,
    pub sub: Box<Node>,
    /// Came from a dotted path (`a.b`): printed back as one.
    pub from_path: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Node {
    Const(bool),
    /// At least two children, none of them `And`.
    And(Vec<Node>),
    /// At least two children, none of them `Or`.
    Or(Vec<Node>),
    /// SQL `NOT (...)` over a leaf whose operator has no complement (three-valued).
    Not(Box<Node>),
    Leaf(Leaf),
    Any(AnyNode),
}

impl Node {
    pub(super) fn depth(&self) -> usize {
        match self {
            Node::Const(_) | Node::Leaf(_) => 1,
            Node::Not(n) => 1 + n.depth(),
            Node::And(v) | Node::Or(v) => 1 + v.iter().map(Node::depth).max().unwrap_or(0),
            Node::Any(a) => 1 + a.sub.depth(),
        }
    }
}

pub(crate) fn mk_and(children: Vec<Node>) -> Node {
    let mut out = Vec::with_capacity(children.len());
    for c in children {
        match c {
            Node::Const(true) => {}
            Node::Const(false) => return Node::Const(false),
            Node::And(v) => out.extend(v),
            other => out.push(other),
        }
    }
    match out.len() {
        0 => Node::Const(true),
        1 => out.pop().unwrap_or(Node::Const(true)),
        _ => Node::And(out),
    }
}

pub(crate) fn mk_or(children: Vec<Node>) -> Node {
    let mut out = Vec::with_capacity(children.len());
    for c in children {
        match c {
            Node::Const(false) => {}
            Node::Const(true) => return Node::Const(true),
            Node::Or(v) => out.extend(v),
            other => out.push(other),
        }
    }
    match out.len() {
        0 => Node::Const(false),
        1 => out.pop().unwrap_or(Node::Const(false)),
        _ => Node::Or(out),
    }
}

/// `_tree_not`: pushes a negation down.
pub(crate) fn negate(node: Node) -> Node {
    match node {
        Node::Const(b) => Node::Const(!b),
        Node::Not(inner) => *inner,
        Node::And(v) => mk_or(v.into_iter().map(negate).collect()),
        Node::Or(v) => mk_and(v.into_iter().map(negate).collect()),
        Node::Any(mut a) => {
            a.negated = !a.negated;
            Node::Any(a)
        }
        Node::Leaf(leaf) => match leaf.raw_op.as_str().and_then(complement) {
            Some(c) => {
                let raw_op = Operand::Str(c.to_owned());
                let op = normalize_op(&raw_op, &leaf.value);
                Node::Leaf(Leaf { raw_op, op, ..leaf })
            }
            None => Node::Not(Box::new(Node::Leaf(leaf))),
        },
    }
}

/// An Odoo domain, normalized.
///
/// Build one with [`Domain::parse`] (Python-literal text) or [`Domain::from_lit`] (the list
/// form received over XML-RPC); check it with `validate`; replace placeholders with `bind`;
/// evaluate with `matches`/`filter`; send it to Odoo with `to_lit`.
#[derive(Clone, Debug)]
pub struct Domain {
    pub(crate) root: Node,
    /// The items as given (top level normalized with `&` only when combined): Odoo checks
    /// field names on them before it simplifies anything, so `validate` walks these.
    pub(crate) raw: Vec<Operand>,
}

impl PartialEq for Domain {
    fn eq(&self, other: &Self) -> bool {
        self.root == other.root
    }
}

impl Domain {
    /// Parses the Python-literal form, e.g. `[('country_id.code', '=', 'VN'), ('user_id', '=', user.id)]`.
    pub fn parse(src: &str) -> Result<Domain, DomainError> {
        let value = pyparse::parse_python(src)?;
        if value.as_seq().is_none() {
            return Err(DomainError::new(
                K::NotADomain,
                "a domain must be a list (or tuple) of operators and leaves",
            )
            .at(src, 0));
        }
        pyparse::check_placeholders(src, &value)?;
        Domain::from_operand(&value)
    }

    /// Reads the list form, as received over XML-RPC.
    pub fn from_lit(value: &Lit) -> Result<Domain, DomainError> {
        if !lit_depth_ok(value) {
            return Err(DomainError::new(
                K::TooDeep,
                format!("domain nests deeper than {MAX_DEPTH} levels"),
            ));
        }
        Domain::from_operand(&Operand::from_lit(value))
    }

    pub(crate) fn from_operand(whole: &Operand) -> Result<Domain, DomainError> {
        if !operand_depth_ok(whole) {
            return Err(DomainError::new(
                K::TooDeep,
                format!("domain nests deeper than {MAX_DEPTH} levels"),
            ));
        }
        check_arity(whole)?;
        let items = whole.as_seq().unwrap_or(&[]);
        check_shapes(items)?;
        let mut root = build(items)?;
        let explicit_active = items.iter().any(|item| {
            item.as_seq()
                .and_then(|l| l.first())
                .and_then(Operand::as_str)
                == Some("active")
        });
        if explicit_active && !super::compile::has_top_active(&root) {
            // The leaf was simplified away (e.g. `['|', TRUE, ('active', '=', False)]`) but it
            // still switches off Odoo's implicit `active = True`: keep a leaf that does the same
            // and matches everything, so evaluation and push-down agree.
            let value = Operand::List(vec![Operand::Bool(true), Operand::Bool(false)]);
            root = mk_and(vec![
                root,
                Node::Leaf(Leaf {
                    field: "active".to_owned(),
                    raw_op: Operand::Str("in".to_owned()),
                    op: Op::In,
                    value,
                }),
            ]);
        }
        Ok(Domain {
            root,
            raw: items.to_vec(),
        })
    }

    /// The domain that matches everything (`[]`).
    pub(crate) fn true_() -> Domain {
        Domain {
            root: Node::Const(true),
            raw: Vec::new(),
        }
    }

    /// The domain that matches nothing (`[(0, '=', 1)]`).
    pub(crate) fn false_() -> Domain {
        Domain {
            root: Node::Const(false),
            raw: vec![Operand::Tuple(vec![
                Operand::Int(0),
                Operand::Str("=".into()),
                Operand::Int(1),
            ])],
        }
    }

    fn combine(a: Domain, b: Domain, op: &str) -> Domain {
        let (unit, zero) = if op == "&" {
            (true, false)
        } else {
            (false, true)
        };
        if a.root == Node::Const(zero) || b.root == Node::Const(zero) {
            return if zero {
                Domain::true_()
            } else {
                Domain::false_()
            };
        }
        if a.root == Node::Const(unit) {
            return b;
        }
        if b.root == Node::Const(unit) {
            return a;
        }
        let root = if op == "&" {
            mk_and(vec![a.root, b.root])
        } else {
            mk_or(vec![a.root, b.root])
        };
        let mut raw = vec![Operand::Str(op.to_owned())];
        raw.extend(normalized_items(&a.raw));
        raw.extend(normalized_items(&b.raw));
        Domain { root, raw }
    }

    /// Both domains (Odoo's `expression.AND`).
    pub(crate) fn and(a: Domain, b: Domain) -> Domain {
        Domain::combine(a, b, "&")
    }

    /// Either domain (Odoo's `expression.OR`).
    pub(crate) fn or(a: Domain, b: Domain) -> Domain {
        Domain::combine(a, b, "|")
    }

    /// The negation (Odoo's `['!'] + domain`, negation pushed down).
    pub fn negate(self) -> Domain {
        let root = negate(self.root);
        let mut raw = vec![Operand::Str("!".into())];
        raw.extend(normalized_items(&self.raw));
        if self.raw.is_empty() {
            raw = Domain::false_().raw;
        }
        Domain { root, raw }
    }

    /// True when no placeholder (`user.id`, `context_today()`, ...) is left.
    pub fn is_bound(&self) -> bool {
        self.raw.iter().all(Operand::is_bound)
    }

    /// Replaces placeholders with their values in `env`.
    pub fn bind(&self, env: &Env) -> Result<Domain, DomainError> {
        let raw = self
            .raw
            .iter()
            .map(|v| bind::bind_operand(v, env))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|(_, msg)| DomainError::new(K::Bind, msg))?;
        Domain::from_operand(&Operand::List(raw))
    }

    /// The operators Odoo does not know (`'~='`, `'IN'`, ...), as written, in order: Odoo
    /// refuses the whole domain for any of them, whatever the model.
    pub(crate) fn unknown_operators(&self) -> Vec<String> {
        fn walk(node: &Node, out: &mut Vec<String>) {
            match node {
                Node::Const(_) => {}
                Node::And(v) | Node::Or(v) => v.iter().for_each(|n| walk(n, out)),
                Node::Not(n) => walk(n, out),
                Node::Any(a) => walk(&a.sub, out),
                Node::Leaf(l) if l.op == Op::Invalid => out.push(l.raw_op.to_string()),
                Node::Leaf(_) => {}
            }
        }
        let mut out = Vec::new();
        walk(&self.root, &mut out);
        out
    }

    /// The leaves every matching record satisfies: the root when it is a leaf, else the leaf
    /// children of a top-level `&` (written out or implicit, as the client's paging appends
    /// `('id', '>', last)`). A search may narrow its candidates by them before evaluating
    /// the whole domain; leaves under `|`, `!` or `any` are not among them.
    pub(crate) fn required_leaves(&self) -> Vec<(&str, Op, &Operand)> {
        fn leaf(n: &Node) -> Option<(&str, Op, &Operand)> {
            match n {
                Node::Leaf(l) => Some((l.field.as_str(), l.op, &l.value)),
                _ => None,
            }
        }
        match &self.root {
            Node::And(children) => children.iter().filter_map(leaf).collect(),
            other => leaf(other).into_iter().collect(),
        }
    }

    /// Every field path the domain reads (dotted through relations), in order, once each:
    /// what to read from Odoo to evaluate it locally.
    pub fn fields(&self) -> Vec<String> {
        let mut out = Vec::new();
        collect_fields(&self.root, "", &mut out);
        out
    }

    /// Whether linking or unlinking records of the x2many `field` whose `name` is one of
    /// `names` can change what the domain matches. Conservative: only tests of the form
    /// `field.name = v` / `field.name in [v…]` (plain or under `not`) whose values are none of
    /// `names` are known not to care; any other test of `field` might.
    pub(crate) fn depends_on_linked_names(&self, field: &str, names: &[&str]) -> bool {
        fn walk(node: &Node, field: &str, names: &[&str]) -> bool {
            match node {
                Node::Const(_) => false,
                Node::And(v) | Node::Or(v) => v.iter().any(|n| walk(n, field, names)),
                Node::Not(n) => walk(n, field, names),
                Node::Leaf(l) => l.field == field,
                Node::Any(a) if a.field == field => match &*a.sub {
                    Node::Leaf(l) if l.field == "name" && matches!(l.op, Op::Eq | Op::In) => {
                        let values = match &l.value {
                            Operand::List(v) | Operand::Tuple(v) => v.as_slice(),
                            one => std::slice::from_ref(one),
                        };
                        !values
                            .iter()
                            .all(|v| v.as_str().is_some_and(|s| !names.contains(&s)))
                    }
                    _ => true,
                },
                Node::Any(_) => false,
            }
        }
        walk(&self.root, field, names)
    }

    /// The list form, to push the domain down to Odoo. Dates from bound helpers become
    /// Odoo's date strings. The domain should be bound (`is_bound`): a placeholder left in it
    /// is written as its Python text inside a string; see [`Domain::try_to_lit`].
    pub fn to_lit(&self) -> Lit {
        self.to_operand().to_lit()
    }

    /// `to_lit`, refusing domains that still hold placeholders.
    pub(crate) fn try_to_lit(&self) -> Result<Lit, DomainError> {
        if !self.is_bound() {
            return Err(DomainError::new(
                K::Unbound,
                format!("domain {self} still holds placeholders; bind it first"),
            ));
        }
        Ok(self.to_lit())
    }

    /// The normalized prefix list, placeholders included.
    pub(crate) fn to_operand(&self) -> Operand {
        let mut out = Vec::new();
        if self.root != Node::Const(true) {
            emit(&self.root, &mut out);
        }
        Operand::List(out)
    }
}

fn collect_fields(node: &Node, prefix: &str, out: &mut Vec<String>) {
    let mut push = |path: String| {
        if !out.contains(&path) {
            out.push(path);
        }
    };
    match node {
        Node::Const(_) => {}
        Node::And(v) | Node::Or(v) => v.iter().for_each(|n| collect_fields(n, prefix, out)),
        Node::Not(n) => collect_fields(n, prefix, out),
        Node::Leaf(l) => push(format!("{prefix}{}", l.field)),
        Node::Any(a) => {
            let here = format!("{prefix}{}", a.field);
            let before = out.len();
            collect_fields(&a.sub, &format!("{here}."), out);
            if out.len() == before && !out.contains(&here) {
                out.push(here);
            }
        }
    }
}

fn op_str(s: &str) -> Operand {
    Operand::Str(s.to_owned())
}

fn emit(node: &Node, out: &mut Vec<Operand>) {
    match node {
        Node::Const(b) => out.push(Operand::Tuple(vec![
            Operand::Int(i64::from(*b)),
            op_str("="),
            Operand::Int(1),
        ])),
        Node::And(v) | Node::Or(v) => {
            let op = if matches!(node, Node::And(_)) {
                "&"
            } else {
                "|"
            };
            for _ in 1..v.len() {
                out.push(op_str(op));
            }
            v.iter().for_each(|n| emit(n, out));
        }
        Node::Not(n) => {
            out.push(op_str("!"));
            emit(n, out);
        }
        Node::Leaf(l) => out.push(Operand::Tuple(vec![
            Operand::Str(l.field.clone()),
            l.raw_op.clone(),
            l.value.clone(),
        ])),
        Node::Any(a) if a.from_path => {
            if a.negated {
                out.push(op_str("!"));
            }
            let mut path = a.field.clone();
            let mut cur: &Node = &a.sub;
            loop {
                match cur {
                    Node::Any(inner) if inner.from_path => {
                        path.push('.');
                        path.push_str(&inner.field);
                        cur = &inner.sub;
                    }
                    Node::Any(inner) => {
                        path.push('.');
                        path.push_str(&inner.field);
                        out.push(any_leaf(path, inner));
                        break;
                    }
                    Node::Leaf(l) => {
                        path.push('.');
                        path.push_str(&l.field);
                        out.push(Operand::Tuple(vec![
                            Operand::Str(path),
                            l.raw_op.clone(),
                            l.value.clone(),
                        ]));
                        break;
                    }
                    other => {
                        // not produced by the parser; print the equivalent `any`
                        let sub = AnyNode {
                            field: String::new(),
                            negated: false,
                            sub: Box::new(other.clone()),
                            from_path: false,
                        };
                        out.push(any_leaf(path, &sub));
                        break;
                    }
                }
            }
        }
        Node::Any(a) => out.push(any_leaf(a.field.clone(), a)),
    }
}

fn any_leaf(path: String, a: &AnyNode) -> Operand {
    let mut sub = Vec::new();
    if *a.sub != Node::Const(true) {
        emit(&a.sub, &mut sub);
    }
    Operand::Tuple(vec![
        Operand::Str(path),
        op_str(if a.negated { "not any" } else { "any" }),
        Operand::List(sub),
    ])
}

impl fmt::Display for Domain {
    /// The Python-literal form (placeholders as their source); parses back to the same domain.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_operand())
    }
}

#[cfg(test)]
#[path = "tree_tests.rs"]
mod tests;
