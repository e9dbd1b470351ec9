//! In-memory evaluation with Odoo's semantics: a domain is compiled once per model against a
//! record source (field metadata resolved, values converted, name searches and hierarchies
//! computed), then run per record with SQL's three-valued logic and Odoo's NULL rules.

use std::cmp::Ordering;
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};

use super::error::{DomainError, DomainErrorKind as K};
use super::like::Pattern;
use super::operand::{Operand, YmdExt, format_datetime};
use super::source::{FieldHandle, RecordSource};
use super::tree::{AnyNode, Domain, Leaf, Node, Op, mk_and, mk_or};
use crate::record::{FieldDef, FieldType, Value};

/// How a search runs (the context keys that change results).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EvalOptions {
    /// Odoo's `active_test` (default true): archived records of the main model are left out
    /// unless the domain has a top-level `active` leaf; x2many sub-searches follow it too.
    pub active_test: bool,
}

impl Default for EvalOptions {
    fn default() -> Self {
        EvalOptions { active_test: true }
    }
}

/// SQL's three-valued boolean.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tri {
    F,
    T,
    /// NULL: not a match, and still not a match under `NOT`.
    U,
}

impl Tri {
    fn from(b: bool) -> Tri {
        if b { Tri::T } else { Tri::F }
    }

    fn not(self) -> Tri {
        match self {
            Tri::T => Tri::F,
            Tri::F => Tri::T,
            Tri::U => Tri::U,
        }
    }
}

/// A converted right-hand value.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Scalar {
    Int(i64),
    Float(f64),
    Str(Box<str>),
    Bool(bool),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    fn test(self, o: Ordering) -> bool {
        match self {
            CmpOp::Eq => o == Ordering::Equal,
            CmpOp::Ne => o != Ordering::Equal,
            CmpOp::Lt => o == Ordering::Less,
            CmpOp::Le => o != Ordering::Greater,
            CmpOp::Gt => o == Ordering::Greater,
            CmpOp::Ge => o != Ordering::Less,
        }
    }
}

/// A set of converted values for `in` / `not in`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ScalarSet {
    ints: Vec<i64>,
    others: Vec<Scalar>,
}

impl ScalarSet {
    fn new(items: Vec<Scalar>) -> ScalarSet {
        let mut ints = Vec::new();
        let mut others = Vec::new();
        for s in items {
            match s {
                Scalar::Int(i) => ints.push(i),
                o => others.push(o),
            }
        }
        ints.sort_unstable();
        ints.dedup();
        ScalarSet { ints, others }
    }

    fn is_empty(&self) -> bool {
        self.ints.is_empty() && self.others.is_empty()
    }

    fn contains(&self, v: &Value) -> bool {
        if let Some(i) = v.as_i64()
            && self.ints.binary_search(&i).is_ok()
        {
            return true;
        }
        self.others
            .iter()
            .any(|s| compare(v, s) == Some(Ordering::Equal))
            || (matches!(v, Value::Float(_) | Value::Bool(_))
                && self
                    .ints
                    .iter()
                    .any(|i| compare(v, &Scalar::Int(*i)) == Some(Ordering::Equal)))
    }
}

/// Compares a stored value with a converted right-hand value; `None` when they cannot be
/// compared (a type mismatch, or NaN).
fn compare(v: &Value, rhs: &Scalar) -> Option<Ordering> {
    match (v, rhs) {
        (Value::Int(a) | Value::Many2one(a), Scalar::Int(b)) => Some(a.cmp(b)),
        (Value::Float(a), Scalar::Int(b)) => a.partial_cmp(&(*b as f64)),
        (Value::Int(a) | Value::Many2one(a), Scalar::Float(b)) => (*a as f64).partial_cmp(b),
        (Value::Float(a), Scalar::Float(b)) => a.partial_cmp(b),
        (Value::Bool(a), Scalar::Bool(b)) => Some(a.cmp(b)),
        (Value::Bool(a), Scalar::Int(b)) => Some(i64::from(*a).cmp(b)),
        (Value::Str(a), Scalar::Str(b)) => Some(a.as_str().cmp(b)),
        _ => None,
    }
}

/// A test on one stored value.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Test {
    IsNull,
    NotNull,
    /// boolean `f = TRUE`
    BoolTrue,
    /// boolean `f IS NULL OR f = FALSE`
    BoolFalseOrNull,
    Cmp {
        op: CmpOp,
        rhs: Scalar,
        null: Tri,
    },
    In {
        set: ScalarSet,
        negated: bool,
        null: Tri,
    },
    Like {
        pat: Pattern,
        negated: bool,
        null: Tri,
    },
}

/// A compiled domain node.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum CNode {
    Const(Tri),
    And(Vec<CNode>),
    Or(Vec<CNode>),
    Not(Box<CNode>),
    Field {
        field: Box<str>,
        is_id: bool,
        test: Test,
        handle: Option<FieldHandle>,
    },
    M2oAny {
        field: Box<str>,
        comodel: Box<str>,
        sub: Box<CNode>,
        negated: bool,
        handle: Option<FieldHandle>,
    },
    X2mAny {
        field: Box<str>,
        comodel: Box<str>,
        sub: Box<CNode>,
        negated: bool,
        /// The comodel's active field, when archived related records must be skipped.
        active: Option<(Box<str>, Option<FieldHandle>)>,
        handle: Option<FieldHandle>,
    },
    X2mIn {
        field: Box<str>,
        ids: Vec<i64>,
        negated: bool,
        handle: Option<FieldHandle>,
    },
    /// `negated == false`: no related record at all.
    X2mEmpty {
        field: Box<str>,
        negated: bool,
        handle: Option<FieldHandle>,
    },
}

#[inline]
fn read<'a, S: RecordSource + ?Sized>(
    src: &'a S,
    model: &str,
    id: i64,
    field: &str,
    handle: Option<FieldHandle>,
) -> Option<std::borrow::Cow<'a, Value>> {
    match handle {
        Some(h) => src.value_at(h, id),
        None => src.value(model, id, field),
    }
}

/// Resolves every field read of a compiled tree to the source's fast handles (if it has any).
fn attach_handles<S: RecordSource + ?Sized>(n: &mut CNode, src: &S, model: &str) {
    match n {
        CNode::Const(_) => {}
        CNode::And(v) | CNode::Or(v) => v.iter_mut().for_each(|c| attach_handles(c, src, model)),
        CNode::Not(c) => attach_handles(c, src, model),
        CNode::Field {
            field,
            is_id,
            handle,
            ..
        } => {
            if !*is_id {
                *handle = src.resolve(model, field);
            }
        }
        CNode::M2oAny {
            field,
            comodel,
            sub,
            handle,
            ..
        } => {
            *handle = src.resolve(model, field);
            attach_handles(sub, src, comodel);
        }
        CNode::X2mAny {
            field,
            comodel,
            sub,
            active,
            handle,
            ..
        } => {
            *handle = src.resolve(model, field);
            if let Some((name, h)) = active {
                *h = src.resolve(comodel, name);
            }
            attach_handles(sub, src, comodel);
        }
        CNode::X2mIn { field, handle, .. } | CNode::X2mEmpty { field, handle, .. } => {
            *handle = src.resolve(model, field);
        }
    }
}

/// Scratch state of one evaluation: counters and reusable buffers (no allocation per record).
#[derive(Default)]
struct Cx {
    leaves: u64,
    text: String,
    fold: String,
    chars: Vec<char>,
}

fn value_text<'a>(v: &'a Value, buf: &'a mut String) -> &'a str {
    use std::fmt::Write;
    match v {
        Value::Str(s) => s,
        Value::Int(i) | Value::Many2one(i) => {
            buf.clear();
            let _ = write!(buf, "{i}");
            buf
        }
        Value::Float(f) => {
            buf.clear();
            let _ = write!(buf, "{f}");
            buf
        }
        Value::Bool(b) => {
            if *b {
                "true"
            } else {
                "false"
            }
        }
        Value::Ids(_) | Value::Null => "",
    }
}

fn run_test(test: &Test, v: &Value, cx: &mut Cx) -> Tri {
    if v.is_null() {
        return match test {
            Test::IsNull | Test::BoolFalseOrNull => Tri::T,
            Test::NotNull => Tri::F,
            Test::BoolTrue => Tri::U,
            Test::Cmp { null, .. } | Test::In { null, .. } | Test::Like { null, .. } => *null,
        };
    }
    match test {
        Test::IsNull => Tri::F,
        Test::NotNull => Tri::T,
        Test::BoolTrue => Tri::from(matches!(v, Value::Bool(true))),
        Test::BoolFalseOrNull => Tri::from(matches!(v, Value::Bool(false))),
        Test::Cmp { op, rhs, .. } => Tri::from(compare(v, rhs).is_some_and(|o| op.test(o))),
        Test::In { set, negated, .. } => Tri::from(set.contains(v) != *negated),
        Test::Like { pat, negated, .. } => {
            let Cx {
                text, fold, chars, ..
            } = cx;
            let s = value_text(v, text);
            Tri::from(pat.matches(s, fold, chars) != *negated)
        }
    }
}

fn eval<S: RecordSource + ?Sized>(n: &CNode, src: &S, model: &str, id: i64, cx: &mut Cx) -> Tri {
    match n {
        CNode::Const(t) => *t,
        CNode::And(v) => {
            let mut unknown = false;
            for c in v {
                match eval(c, src, model, id, cx) {
                    Tri::F => return Tri::F,
                    Tri::U => unknown = true,
                    Tri::T => {}
                }
            }
            if unknown { Tri::U } else { Tri::T }
        }
        CNode::Or(v) => {
            let mut unknown = false;
            for c in v {
                match eval(c, src, model, id, cx) {
                    Tri::T => return Tri::T,
                    Tri::U => unknown = true,
                    Tri::F => {}
                }
            }
            if unknown { Tri::U } else { Tri::F }
        }
        CNode::Not(c) => eval(c, src, model, id, cx).not(),
        CNode::Field {
            field,
            is_id,
            test,
            handle,
        } => {
            cx.leaves += 1;
            if *is_id {
                return run_test(test, &Value::Int(id), cx);
            }
            match read(src, model, id, field, *handle) {
                Some(v) => run_test(test, &v, cx),
                None => run_test(test, &Value::Null, cx),
            }
        }
        CNode::M2oAny {
            field,
            comodel,
            sub,
            negated,
            handle,
        } => {
            cx.leaves += 1;
            let target = read(src, model, id, field, *handle).and_then(|v| v.as_i64());
            match target {
                Some(rid) => {
                    let hit = eval(sub, src, comodel, rid, cx) == Tri::T;
                    Tri::from(hit != *negated)
                }
                None if *negated => Tri::T,
                None => Tri::U,
            }
        }
        CNode::X2mAny {
            field,
            comodel,
            sub,
            negated,
            active,
            handle,
        } => {
            cx.leaves += 1;
            let related = read(src, model, id, field, *handle);
            let ids = related.as_deref().map(Value::as_ids).unwrap_or(&[]);
            let hit = ids.iter().any(|rid| {
                let alive = match active {
                    Some((a, ah)) => matches!(
                        read(src, comodel, *rid, a, *ah).as_deref(),
                        Some(Value::Bool(true))
                    ),
                    None => true,
                };
                alive && eval(sub, src, comodel, *rid, cx) == Tri::T
            });
            Tri::from(hit != *negated)
        }
        CNode::X2mIn {
            field,
            ids: set,
            negated,
            handle,
        } => {
            cx.leaves += 1;
            let related = read(src, model, id, field, *handle);
            let ids = related.as_deref().map(Value::as_ids).unwrap_or(&[]);
            let hit = ids.iter().any(|r| set.binary_search(r).is_ok());
            Tri::from(hit != *negated)
        }
        CNode::X2mEmpty {
            field,
            negated,
            handle,
        } => {
            cx.leaves += 1;
            let related = read(src, model, id, field, *handle);
            let empty = related
                .as_deref()
                .map(Value::as_ids)
                .unwrap_or(&[])
                .is_empty();
            Tri::from(empty != *negated)
        }
    }
}

/// A domain compiled for one model of one record source: evaluate it on many records.
pub struct Prepared<'s, S: RecordSource + ?Sized> {
    src: &'s S,
    model: String,
    root: CNode,
    leaf_evals: AtomicU64,
}

impl<S: RecordSource + ?Sized> std::fmt::Debug for Prepared<'_, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prepared")
            .field("model", &self.model)
            .field("root", &self.root)
            .finish()
    }
}

impl<'s, S: RecordSource + ?Sized> Prepared<'s, S> {
    /// Whether record `id` (assumed to exist) matches.
    pub fn matches(&self, id: i64) -> bool {
        let mut cx = Cx::default();
        let r = eval(&self.root, self.src, &self.model, id, &mut cx) == Tri::T;
        self.leaf_evals
            .fetch_add(cx.leaves, AtomicOrdering::Relaxed);
        r
    }

    /// The ids that match, in the given order.
    pub fn filter(&self, ids: &[i64]) -> Vec<i64> {
        let mut cx = Cx::default();
        let out = ids
            .iter()
            .copied()
            .filter(|id| eval(&self.root, self.src, &self.model, *id, &mut cx) == Tri::T)
            .collect();
        self.leaf_evals
            .fetch_add(cx.leaves, AtomicOrdering::Relaxed);
        out
    }

    /// Every record of the model that matches, ascending by id.
    pub fn search(&self) -> Vec<i64> {
        let ids: Vec<i64> = self.src.ids(&self.model).collect();
        self.filter(&ids)
    }

    /// How many leaf evaluations (field tests, relation hops) ran so far.
    pub fn leaf_evals(&self) -> u64 {
        self.leaf_evals.load(AtomicOrdering::Relaxed)
    }
}

impl Domain {
    /// Compiles the domain for `model` of `src` (checks fields, operators and values).
    pub fn prepare<'s, S: RecordSource + ?Sized>(
        &self,
        src: &'s S,
        model: &str,
        opts: &EvalOptions,
    ) -> Result<Prepared<'s, S>, DomainError> {
        if !self.is_bound() {
            return Err(DomainError::new(
                K::Unbound,
                format!("domain {self} still holds placeholders; bind it first"),
            ));
        }
        let mut c = Compiler { src, depth: 0 };
        let mut root = c.node(&self.root, model, opts.active_test)?;
        if opts.active_test {
            let has_active_leaf = self.raw.iter().any(|item| {
                item.as_seq()
                    .and_then(|l| l.first())
                    .and_then(Operand::as_str)
                    == Some("active")
            });
            if !has_active_leaf && let Some(name) = active_field(src, model) {
                root = and_c(active_is_true(name), root);
            }
        }
        attach_handles(&mut root, src, model);
        Ok(Prepared {
            src,
            model: model.to_owned(),
            root,
            leaf_evals: AtomicU64::new(0),
        })
    }

    /// Whether record `id` of `model` matches (compiles the domain each call: use
    /// [`Domain::prepare`] for many records).
    pub fn matches<S: RecordSource + ?Sized>(
        &self,
        src: &S,
        model: &str,
        id: i64,
        opts: &EvalOptions,
    ) -> Result<bool, DomainError> {
        Ok(self.prepare(src, model, opts)?.matches(id))
    }

    /// The ids among `ids` that match, in the given order.
    pub fn filter<S: RecordSource + ?Sized>(
        &self,
        src: &S,
        model: &str,
        ids: &[i64],
        opts: &EvalOptions,
    ) -> Result<Vec<i64>, DomainError> {
        Ok(self.prepare(src, model, opts)?.filter(ids))
    }

    /// Every record of `model` in `src` that matches, ascending by id (Odoo's `search`
    /// without order or limit).
    pub fn search<S: RecordSource + ?Sized>(
        &self,
        src: &S,
        model: &str,
        opts: &EvalOptions,
    ) -> Result<Vec<i64>, DomainError> {
        Ok(self.prepare(src, model, opts)?.search())
    }
}

/// `(active, '=', True)` on the model's active field: what Odoo adds when `active_test` is on.
fn active_is_true(field: &str) -> CNode {
    CNode::Field {
        field: field.into(),
        is_id: false,
        test: Test::Cmp {
            op: CmpOp::Eq,
            rhs: Scalar::Bool(true),
            null: Tri::U,
        },
        handle: None,
    }
}

fn and_c(a: CNode, b: CNode) -> CNode {
    match b {
        CNode::Const(Tri::T) => a,
        CNode::And(mut v) => {
            v.insert(0, a);
            CNode::And(v)
        }
        other => CNode::And(vec![a, other]),
    }
}

/// Odoo's `_active_name`.
fn active_field<S: RecordSource + ?Sized>(src: &S, model: &str) -> Option<&'static str> {
    ["active", "x_active"].into_iter().find(|n| {
        src.field(model, n)
            .is_some_and(|f| f.ty == FieldType::Boolean)
    })
}

fn leaf_repr(field: &str, leaf: &Leaf) -> String {
    Operand::Tuple(vec![
        Operand::Str(field.to_owned()),
        leaf.raw_op.clone(),
        leaf.value.clone(),
    ])
    .to_string()
}

pub(crate) fn invalid_field(model: &str, field: &str, leaf_text: &str) -> DomainError {
    DomainError::odoo(
        K::InvalidField,
        format!("Invalid field {model}.{field} in leaf {leaf_text}"),
    )
}

pub(crate) fn invalid_leaf(leaf: &Leaf) -> DomainError {
    DomainError::odoo(
        K::InvalidLeaf,
        format!("Invalid leaf {}", leaf_repr(&leaf.field, leaf)),
    )
}

pub(crate) fn hierarchy_on_scalar(leaf: &Leaf) -> DomainError {
    DomainError::new(
        K::InvalidLeaf,
        format!(
            "{} needs `id` or a relational field, not `{}`, in leaf {}",
            leaf.op.as_str(),
            leaf.field,
            leaf_repr(&leaf.field, leaf)
        ),
    )
}

fn value_error(msg: String) -> DomainError {
    DomainError::new(K::InvalidValue, msg)
}

/// A conversion error Odoo raises with this very text (a Python `ValueError`).
fn py_value_error(msg: String) -> DomainError {
    DomainError::odoo(K::InvalidValue, msg)
}

/// What a field's values look like, for converting right-hand values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Integer,
    /// many2one and `id`: integers that keep float right-hand values as they are.
    Id,
    Float,
    Bool,
    Date,
    Datetime,
    Text,
}

pub(crate) fn kind_of(ty: &FieldType) -> Kind {
    match ty {
        FieldType::Integer | FieldType::Many2oneReference => Kind::Integer,
        FieldType::Many2one => Kind::Id,
        FieldType::Float | FieldType::Monetary => Kind::Float,
        FieldType::Boolean => Kind::Bool,
        FieldType::Date => Kind::Date,
        FieldType::Datetime => Kind::Datetime,
        _ => Kind::Text,
    }
}

fn parse_py_int(s: &str) -> Option<i64> {
    let t = s.trim();
    let t = t.strip_prefix('+').unwrap_or(t);
    if t.is_empty() || t.starts_with('_') || t.ends_with('_') || t.contains("__") {
        return None;
    }
    t.replace('_', "").parse().ok()
}

fn parse_py_float(s: &str) -> Option<f64> {
    let t = s.trim();
    match t.to_ascii_lowercase().as_str() {
        "inf" | "+inf" | "infinity" | "+infinity" => return Some(f64::INFINITY),
        "-inf" | "-infinity" => return Some(f64::NEG_INFINITY),
        "nan" | "+nan" | "-nan" => return Some(f64::NAN),
        _ => {}
    }
    if t.contains(|c: char| c.is_ascii_alphabetic() && c != 'e' && c != 'E') {
        return None;
    }
    t.replace('_', "").parse().ok()
}

fn digits(s: &str, n: usize) -> Option<u32> {
    if s.is_empty() || s.len() > n || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// `strptime(value, '%Y-%m-%d')`, normalised to `YYYY-MM-DD`.
fn parse_date(s: &str) -> Option<chrono::NaiveDate> {
    let mut it = s.splitn(3, '-');
    let y = digits(it.next()?, 4)?;
    let m = digits(it.next()?, 2)?;
    let d = digits(it.next()?, 2)?;
    chrono::NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, m, d)
}

/// Odoo's `Datetime.to_datetime` for strings (`'%Y-%m-%d %H:%M:%S'` cut to the text's length).
fn parse_datetime(s: &str) -> Result<String, DomainError> {
    let fmt_full = "%Y-%m-%d %H:%M:%S";
    let n = s.chars().count();
    let fmt = fmt_full
        .get(..n.saturating_sub(2).min(fmt_full.len()))
        .unwrap_or(fmt_full);
    let bad = || {
        py_value_error(format!(
            "time data {} does not match format '{fmt}'",
            Operand::Str(s.to_owned())
        ))
    };
    let (date, time) = match s.split_once(' ') {
        Some((d, t)) => (d, Some(t)),
        None => (s, None),
    };
    let d = parse_date(date).ok_or_else(bad)?;
    let mut hms = [0u32; 3];
    if let Some(t) = time {
        let parts: Vec<&str> = t.split(':').collect();
        if parts.is_empty() || parts.len() > 3 {
            return Err(bad());
        }
        for (slot, p) in hms.iter_mut().zip(&parts) {
            *slot = digits(p, 2).ok_or_else(bad)?;
        }
    }
    let dt = d.and_hms_opt(hms[0], hms[1], hms[2]).ok_or_else(bad)?;
    Ok(format_datetime(&dt))
}

/// Odoo's `convert_to_column` for one right-hand value; `None` is SQL NULL.
pub(crate) fn coerce(kind: Kind, v: &Operand) -> Result<Option<Scalar>, DomainError> {
    let type_err = || {
        value_error(format!(
            "cannot compare a {} field with {v}",
            match kind {
                Kind::Integer | Kind::Id => "integer",
                Kind::Float => "float",
                Kind::Bool => "boolean",
                Kind::Date => "date",
                Kind::Datetime => "datetime",
                Kind::Text => "text",
            }
        ))
    };
    Ok(Some(match (kind, v) {
        (_, Operand::Expr(e)) => {
            return Err(DomainError::new(
                K::Unbound,
                format!("placeholder `{e}` is not bound"),
            ));
        }
        (Kind::Integer | Kind::Float, Operand::None | Operand::Bool(false)) => {
            if kind == Kind::Float {
                Scalar::Float(0.0)
            } else {
                Scalar::Int(0)
            }
        }
        (_, Operand::None | Operand::Bool(false)) if kind != Kind::Bool => return Ok(None),
        (Kind::Integer | Kind::Id, Operand::Int(i)) => Scalar::Int(*i),
        (Kind::Integer | Kind::Id, Operand::Bool(b)) => Scalar::Int(i64::from(*b)),
        (Kind::Integer, Operand::Float(f)) => Scalar::Int(f.trunc() as i64),
        (Kind::Id, Operand::Float(f)) => Scalar::Float(*f),
        (Kind::Integer, Operand::Str(s)) => Scalar::Int(parse_py_int(s).ok_or_else(|| {
            py_value_error(format!(
                "invalid literal for int() with base 10: {}",
                Operand::Str(s.clone())
            ))
        })?),
        (Kind::Float, Operand::Int(i)) => Scalar::Float(*i as f64),
        (Kind::Float, Operand::Float(f)) => Scalar::Float(*f),
        (Kind::Float, Operand::Bool(b)) => Scalar::Float(f64::from(u8::from(*b))),
        (Kind::Float, Operand::Str(s)) => Scalar::Float(parse_py_float(s).ok_or_else(|| {
            py_value_error(format!(
                "could not convert string to float: {}",
                Operand::Str(s.clone())
            ))
        })?),
        (Kind::Bool, v) => Scalar::Bool(v.truthy()),
        (Kind::Date, Operand::Str(s)) => {
            let head: String = s.chars().take(10).collect();
            let d = parse_date(&head).ok_or_else(|| {
                py_value_error(format!(
                    "time data {} does not match format '%Y-%m-%d'",
                    Operand::Str(head.clone())
                ))
            })?;
            Scalar::Str(d.format_ymd().into())
        }
        (Kind::Date, Operand::Date(d)) => Scalar::Str(d.format_ymd().into()),
        (Kind::Date, Operand::DateTime(dt)) => Scalar::Str(dt.date().format_ymd().into()),
        (Kind::Datetime, Operand::Str(s)) => Scalar::Str(parse_datetime(s)?.into()),
        (Kind::Datetime, Operand::DateTime(dt)) => Scalar::Str(format_datetime(dt).into()),
        (Kind::Datetime, Operand::Date(d)) => {
            Scalar::Str(format!("{} 00:00:00", d.format_ymd()).into())
        }
        (Kind::Text, Operand::List(_) | Operand::Tuple(_)) => return Err(type_err()),
        (Kind::Text, v) => Scalar::Str(v.py_str().into()),
        _ => return Err(type_err()),
    }))
}

/// `in` / `not in` over converted items (Odoo's `__leaf_to_sql`, list case).
fn compile_in(
    kind: Kind,
    field: &str,
    is_id: bool,
    items: &[Operand],
    negated: bool,
) -> Result<CNode, DomainError> {
    let (params, check_null) = if kind == Kind::Bool {
        let has = |b: i64| items.iter().any(|i| i.py_eq_int(b));
        let mut p = Vec::new();
        if has(1) {
            p.push(Scalar::Bool(true));
        }
        if has(0) {
            p.push(Scalar::Bool(false));
        }
        (p, has(0))
    } else {
        let mut p = Vec::with_capacity(items.len());
        for i in items.iter().filter(|i| !i.is_false_or_none()) {
            if let Some(s) = coerce(kind, i)? {
                p.push(s);
            }
        }
        let nulls = items.iter().any(Operand::is_false_or_none);
        (p, nulls)
    };
    let set = ScalarSet::new(params);
    let field: Box<str> = field.into();
    Ok(if !negated {
        match (set.is_empty(), check_null) {
            (true, false) => CNode::Const(Tri::F),
            (true, true) => CNode::Field {
                field,
                is_id,
                test: Test::IsNull,
                handle: None,
            },
            (false, null) => CNode::Field {
                field,
                is_id,
                test: Test::In {
                    set,
                    negated: false,
                    null: if null { Tri::T } else { Tri::U },
                },
                handle: None,
            },
        }
    } else {
        match (set.is_empty(), check_null) {
            (true, false) => CNode::Const(Tri::T),
            (true, true) => CNode::Field {
                field,
                is_id,
                test: Test::NotNull,
                handle: None,
            },
            (false, null) => CNode::Field {
                field,
                is_id,
                test: Test::In {
                    set,
                    negated: true,
                    null: if null { Tri::F } else { Tri::T },
                },
                handle: None,
            },
        }
    })
}

/// A leaf on a stored non-relational field (or a many2one / `id` with ids): pure, no data.
pub(crate) fn compile_scalar(
    kind: Kind,
    field: &str,
    is_id: bool,
    op: Op,
    value: &Operand,
    leaf: &Leaf,
) -> Result<CNode, DomainError> {
    let f = |test: Test| CNode::Field {
        field: field.into(),
        is_id,
        test,
        handle: None,
    };
    // datetime + bare date: Odoo widens to the whole day
    let widened;
    let value = match (kind, value) {
        (Kind::Datetime, Operand::Str(s)) if s.chars().count() == 10 => {
            let time = if matches!(op, Op::Gt | Op::Le) {
                "23:59:59"
            } else {
                "00:00:00"
            };
            widened = Operand::Str(format!("{s} {time}"));
            &widened
        }
        (Kind::Datetime, Operand::Date(d)) => {
            let time = if matches!(op, Op::Gt | Op::Le) {
                chrono::NaiveTime::from_hms_micro_opt(23, 59, 59, 999_999)
                    .unwrap_or(chrono::NaiveTime::MIN)
            } else {
                chrono::NaiveTime::MIN
            };
            widened = Operand::DateTime(d.and_time(time));
            &widened
        }
        _ => value,
    };
    let null_rhs_then = |tri: Tri| Ok(CNode::Const(tri));
    match op {
        Op::Invalid => Err(invalid_leaf(leaf)),
        Op::ChildOf | Op::ParentOf => Err(hierarchy_on_scalar(leaf)),
        Op::EqOpt => {
            if value.is_false_or_none() {
                Ok(CNode::Const(Tri::T))
            } else if let Some(items) = value.as_seq() {
                compile_in(kind, field, is_id, items, false)
            } else {
                compile_scalar(kind, field, is_id, Op::Eq, value, leaf)
            }
        }
        Op::In | Op::NotIn => match value.as_seq() {
            Some(items) => compile_in(kind, field, is_id, items, op == Op::NotIn),
            None => Err(py_value_error(format!(
                "Invalid domain term {}",
                leaf_repr(&leaf.field, leaf)
            ))),
        },
        Op::Eq | Op::Ne if kind == Kind::Bool && matches!(value, Operand::Bool(_)) => {
            let want = value.truthy() != (op == Op::Ne);
            Ok(f(if want {
                Test::BoolTrue
            } else {
                Test::BoolFalseOrNull
            }))
        }
        Op::Eq if value.is_false_or_none() => Ok(f(Test::IsNull)),
        Op::Ne if value.is_false_or_none() => Ok(f(Test::NotNull)),
        Op::Like | Op::Ilike | Op::NotLike | Op::NotIlike => {
            let text = if value.is_false_or_none() {
                String::new()
            } else {
                value.py_str()
            };
            let fold = matches!(op, Op::Ilike | Op::NotIlike);
            let negated = matches!(op, Op::NotLike | Op::NotIlike);
            let null = if negated || !value.truthy() {
                Tri::T
            } else {
                Tri::U
            };
            Ok(f(Test::Like {
                pat: Pattern::new(&format!("%{text}%"), fold),
                negated,
                null,
            }))
        }
        Op::EqLike | Op::EqIlike => {
            let pattern = match coerce(kind, value)? {
                None => return null_rhs_then(Tri::U),
                Some(Scalar::Str(s)) => s.to_string(),
                Some(Scalar::Int(i)) => i.to_string(),
                Some(Scalar::Float(x)) => x.to_string(),
                Some(Scalar::Bool(b)) => b.to_string(),
            };
            Ok(f(Test::Like {
                pat: Pattern::new(&pattern, op == Op::EqIlike),
                negated: false,
                null: Tri::U,
            }))
        }
        Op::Eq | Op::Ne | Op::Lt | Op::Le | Op::Gt | Op::Ge => {
            let cmp = match op {
                Op::Eq => CmpOp::Eq,
                Op::Ne => CmpOp::Ne,
                Op::Lt => CmpOp::Lt,
                Op::Le => CmpOp::Le,
                Op::Gt => CmpOp::Gt,
                _ => CmpOp::Ge,
            };
            let null = if op == Op::Ne && value.truthy() {
                Tri::T
            } else {
                Tri::U
            };
            match coerce(kind, value)? {
                None => null_rhs_then(null),
                Some(rhs) => Ok(f(Test::Cmp { op: cmp, rhs, null })),
            }
        }
    }
}

/// Models whose `name_search` matches on more than `name` (Odoo 17's `_rec_names_search`).
fn rec_names<S: RecordSource + ?Sized>(src: &S, model: &str) -> Vec<&'static str> {
    let wanted: &[&'static str] = match model {
        "res.partner" => &["complete_name", "email", "ref", "vat", "company_registry"],
        _ => &[],
    };
    let found: Vec<&'static str> = wanted
        .iter()
        .copied()
        .filter(|f| src.field(model, f).is_some())
        .collect();
    if !found.is_empty() {
        return found;
    }
    ["name", "display_name"]
        .into_iter()
        .find(|f| src.field(model, f).is_some())
        .into_iter()
        .collect()
}

struct Compiler<'s, S: ?Sized> {
    src: &'s S,
    /// Nesting of name searches (a name field could itself be relational).
    depth: usize,
}

impl<S: RecordSource + ?Sized> Compiler<'_, S> {
    fn def(&self, model: &str, field: &str) -> Option<FieldDef> {
        if field == "id" {
            return Some(FieldDef::new("id", FieldType::Integer));
        }
        self.src.field(model, field).cloned()
    }

    fn node(&mut self, n: &Node, model: &str, active_test: bool) -> Result<CNode, DomainError> {
        Ok(match n {
            Node::Const(b) => CNode::Const(Tri::from(*b)),
            Node::And(v) => CNode::And(
                v.iter()
                    .map(|c| self.node(c, model, active_test))
                    .collect::<Result<_, _>>()?,
            ),
            Node::Or(v) => CNode::Or(
                v.iter()
                    .map(|c| self.node(c, model, active_test))
                    .collect::<Result<_, _>>()?,
            ),
            Node::Not(c) => CNode::Not(Box::new(self.node(c, model, active_test)?)),
            Node::Any(a) => {
                let def = self.def(model, &a.field).ok_or_else(|| {
                    DomainError::new(
                        K::InvalidField,
                        format!("Invalid field {model}.{} in a path or `any` leaf", a.field),
                    )
                })?;
                let comodel = match (&def.ty, &def.relation) {
                    (t, Some(c)) if t.is_relational() => c.clone(),
                    _ => {
                        return Err(DomainError::new(
                            K::InvalidPath,
                            format!(
                                "field {model}.{} is not relational: it cannot be followed by `.` or `any`",
                                a.field
                            ),
                        ));
                    }
                };
                if def.ty == FieldType::Many2one {
                    // many2one sub-searches include archived comodel records
                    CNode::M2oAny {
                        field: a.field.as_str().into(),
                        sub: Box::new(self.node(&a.sub, &comodel, false)?),
                        comodel: comodel.into(),
                        negated: a.negated,
                        handle: None,
                    }
                } else {
                    let active = if active_test && !has_top_active(&a.sub) {
                        active_field(self.src, &comodel).map(|a| (a.into(), None))
                    } else {
                        None
                    };
                    CNode::X2mAny {
                        field: a.field.as_str().into(),
                        sub: Box::new(self.node(&a.sub, &comodel, active_test)?),
                        comodel: comodel.into(),
                        negated: a.negated,
                        active,
                        handle: None,
                    }
                }
            }
            Node::Leaf(leaf) => self.leaf(leaf, model, active_test)?,
        })
    }

    fn leaf(&mut self, leaf: &Leaf, model: &str, active_test: bool) -> Result<CNode, DomainError> {
        let def = self
            .def(model, &leaf.field)
            .ok_or_else(|| invalid_field(model, &leaf.field, &leaf_repr(&leaf.field, leaf)))?;
        if leaf.op == Op::Invalid {
            return Err(invalid_leaf(leaf));
        }
        let is_id = leaf.field == "id";
        let v = &leaf.value;
        let comodel = def.relation.clone().unwrap_or_default();
        if matches!(leaf.op, Op::ChildOf | Op::ParentOf) {
            return self.hierarchy(leaf, &def, model, active_test);
        }
        match def.ty {
            FieldType::Many2one => {
                let all_str = |items: &[Operand]| {
                    !items.is_empty() && items.iter().all(|i| matches!(i, Operand::Str(_)))
                };
                let names = matches!(v, Operand::Str(_)) || v.as_seq().is_some_and(all_str);
                if !names {
                    return compile_scalar(Kind::Id, &leaf.field, false, leaf.op, v, leaf);
                }
                let mut op = match leaf.op {
                    Op::Lt | Op::Le | Op::Gt | Op::Ge => Op::In,
                    o => o,
                };
                if matches!(v, Operand::Str(_)) {
                    op = match op {
                        Op::In => Op::Eq,
                        Op::NotIn => Op::Ne,
                        o => o,
                    };
                }
                let ids = self.name_search(&comodel, op, v, false)?;
                let items: Vec<Operand> = ids.into_iter().map(Operand::Int).collect();
                let node = compile_in(Kind::Id, &leaf.field, false, &items, false)?;
                if op.is_negative() {
                    Ok(match node {
                        CNode::Field {
                            field,
                            test: Test::In { set, .. },
                            ..
                        } => CNode::Field {
                            field,
                            is_id: false,
                            test: Test::In {
                                set,
                                negated: false,
                                null: Tri::T,
                            },
                            handle: None,
                        },
                        _ => CNode::Field {
                            field: leaf.field.as_str().into(),
                            is_id: false,
                            test: Test::IsNull,
                            handle: None,
                        },
                    })
                } else {
                    Ok(node)
                }
            }
            FieldType::One2many | FieldType::Many2many => {
                let field: Box<str> = leaf.field.as_str().into();
                let negated = leaf.op.is_negative();
                let mut ids: Vec<i64> = match v {
                    Operand::Bool(false) => {
                        return Ok(CNode::X2mEmpty {
                            field,
                            negated,
                            handle: None,
                        });
                    }
                    Operand::Str(s) => {
                        let op2 = if negated {
                            complement_op(leaf.op)
                        } else {
                            leaf.op
                        };
                        self.name_search(&comodel, op2, &Operand::Str(s.clone()), active_test)?
                    }
                    Operand::List(items) | Operand::Tuple(items) => {
                        let mut ids = Vec::with_capacity(items.len());
                        for i in items {
                            match i {
                                Operand::Int(0) | Operand::Bool(false) | Operand::None => {}
                                Operand::Int(n) => ids.push(*n),
                                _ => {
                                    return Err(DomainError::new(
                                        K::InvalidValue,
                                        format!(
                                            "Invalid value {i} for the relational field {model}.{} (expected record ids)",
                                            leaf.field
                                        ),
                                    ));
                                }
                            }
                        }
                        ids
                    }
                    Operand::Int(n) => vec![*n],
                    Operand::None => Vec::new(),
                    other => {
                        return Err(DomainError::new(
                            K::InvalidValue,
                            format!(
                                "Invalid value {other} for the relational field {model}.{} (expected record ids)",
                                leaf.field
                            ),
                        ));
                    }
                };
                ids.retain(|i| *i != 0);
                ids.sort_unstable();
                ids.dedup();
                Ok(CNode::X2mIn {
                    field,
                    ids,
                    negated,
                    handle: None,
                })
            }
            ref ty => compile_scalar(kind_of(ty), &leaf.field, is_id, leaf.op, v, leaf),
        }
    }

    /// `_name_search` on `model` (archived records included when `active_test` is false).
    fn name_search(
        &mut self,
        model: &str,
        op: Op,
        value: &Operand,
        active_test: bool,
    ) -> Result<Vec<i64>, DomainError> {
        self.depth += 1;
        if self.depth > 8 {
            return Err(DomainError::new(
                K::InvalidValue,
                format!("name search on {model} nests too deeply"),
            ));
        }
        let result = self.name_search_inner(model, op, value, active_test);
        self.depth -= 1;
        result
    }

    fn name_search_inner(
        &mut self,
        model: &str,
        op: Op,
        value: &Operand,
        active_test: bool,
    ) -> Result<Vec<i64>, DomainError> {
        let leaf = |field: &str, op: Op, value: &Operand| {
            Node::Leaf(Leaf {
                field: field.to_owned(),
                raw_op: Operand::Str(op.as_str().to_owned()),
                op,
                value: value.clone(),
            })
        };
        let mut found = Vec::new();
        if let Operand::Str(s) = value {
            if model == "res.country"
                && s.chars().count() == 2
                && self.src.field(model, "code").is_some()
            {
                found = self.search(&leaf("code", Op::Ilike, value), model, active_test)?;
            }
            if model == "res.users" && !op.is_negative() && self.src.field(model, "login").is_some()
            {
                let by_login = self.search(&leaf("login", Op::Eq, value), model, active_test)?;
                if !by_login.is_empty() {
                    return Ok(by_login);
                }
            }
        }
        let fields = rec_names(self.src, model);
        if fields.is_empty() {
            return Err(DomainError::new(
                K::InvalidValue,
                format!("{model} has no name field to search a name in"),
            ));
        }
        // res.users inherits `name` from its partner (`_inherits`): search it there
        let users_via_partner = model == "res.users"
            && self
                .src
                .field(model, "partner_id")
                .is_some_and(|d| d.relation.as_deref() == Some("res.partner"))
            && self.src.field("res.partner", "name").is_some();
        let leaves: Vec<Node> = fields
            .iter()
            .map(|f| {
                if users_via_partner && *f == "name" {
                    Node::Any(AnyNode {
                        field: "partner_id".to_owned(),
                        negated: false,
                        sub: Box::new(leaf("name", op, value)),
                        from_path: true,
                    })
                } else {
                    leaf(f, op, value)
                }
            })
            .collect();
        let node = if op.is_negative() {
            mk_and(leaves)
        } else {
            mk_or(leaves)
        };
        found.extend(self.search(&node, model, active_test)?);
        found.sort_unstable();
        found.dedup();
        Ok(found)
    }

    fn search(
        &mut self,
        node: &Node,
        model: &str,
        active_test: bool,
    ) -> Result<Vec<i64>, DomainError> {
        let mut c = self.node(node, model, active_test)?;
        if active_test
            && !has_top_active(node)
            && let Some(a) = active_field(self.src, model)
        {
            c = and_c(active_is_true(a), c);
        }
        attach_handles(&mut c, self.src, model);
        let mut cx = Cx::default();
        Ok(self
            .src
            .ids(model)
            .filter(|id| eval(&c, self.src, model, *id, &mut cx) == Tri::T)
            .collect())
    }

    /// `child_of` / `parent_of` (Odoo's `to_ids` + `child_of_domain` / `parent_of_domain`).
    fn hierarchy(
        &mut self,
        leaf: &Leaf,
        def: &FieldDef,
        model: &str,
        active_test: bool,
    ) -> Result<CNode, DomainError> {
        let is_id = leaf.field == "id";
        let comodel = if is_id {
            model.to_owned()
        } else {
            def.relation.clone().unwrap_or_default()
        };
        if !is_id && !def.ty.is_relational() {
            return Err(hierarchy_on_scalar(leaf));
        }
        let ids = self.ids_of(&leaf.value, &comodel, active_test)?;
        let child = leaf.op == Op::ChildOf;
        let field: Box<str> = leaf.field.as_str().into();
        let id_in = |set: Vec<i64>| -> Result<CNode, DomainError> {
            let items: Vec<Operand> = set.into_iter().map(Operand::Int).collect();
            compile_in(Kind::Id, "id", true, &items, false)
        };
        match def.ty {
            _ if is_id => id_in(self.closure(model, "parent_id", &ids, child)?),
            FieldType::Many2one if comodel == model => {
                id_in(self.closure(model, &leaf.field, &ids, child)?)
            }
            FieldType::Many2one => {
                let set = self.closure(&comodel, "parent_id", &ids, child)?;
                let items: Vec<Operand> = set.into_iter().map(Operand::Int).collect();
                compile_in(Kind::Id, &leaf.field, false, &items, false)
            }
            FieldType::Many2many if comodel == model => {
                id_in(self.closure(&comodel, "parent_id", &ids, child)?)
            }
            FieldType::One2many | FieldType::Many2many if comodel != model => {
                let set = self.closure(&comodel, "parent_id", &ids, child)?;
                Ok(CNode::X2mIn {
                    field,
                    ids: set,
                    negated: false,
                    handle: None,
                })
            }
            _ => Err(DomainError::new(
                K::Unsupported,
                format!(
                    "{} on the one2many {model}.{} to its own model is not supported",
                    leaf.op.as_str(),
                    leaf.field
                ),
            )),
        }
    }

    fn ids_of(
        &mut self,
        v: &Operand,
        model: &str,
        active_test: bool,
    ) -> Result<Vec<i64>, DomainError> {
        let names: Vec<&Operand> = match v {
            Operand::Str(_) => vec![v],
            Operand::List(items) | Operand::Tuple(items)
                if !items.is_empty() && items.iter().all(|i| matches!(i, Operand::Str(_))) =>
            {
                items.iter().collect()
            }
            Operand::Int(0) | Operand::Bool(false) => return Ok(Vec::new()),
            Operand::Int(n) => return Ok(vec![*n]),
            Operand::Bool(true) => return Ok(vec![1]),
            Operand::List(items) | Operand::Tuple(items) => {
                return items
                    .iter()
                    .map(|i| match i {
                        Operand::Int(n) => Ok(*n),
                        Operand::Bool(b) => Ok(i64::from(*b)),
                        other => Err(value_error(format!(
                            "Invalid id {other} for child_of / parent_of"
                        ))),
                    })
                    .collect();
            }
            other => {
                return Err(value_error(format!(
                    "Invalid value {other} for child_of / parent_of"
                )));
            }
        };
        let mut ids = Vec::new();
        for n in names {
            ids.extend(self.name_search(model, Op::Ilike, n, active_test)?);
        }
        ids.sort_unstable();
        ids.dedup();
        Ok(ids)
    }

    /// The ids and all their descendants (`child`) or ancestors through `parent`, archived
    /// records included.
    fn closure(
        &self,
        model: &str,
        parent: &str,
        ids: &[i64],
        child: bool,
    ) -> Result<Vec<i64>, DomainError> {
        let pdef = self.src.field(model, parent);
        if !pdef.is_some_and(|d| d.ty == FieldType::Many2one) {
            return Err(DomainError::new(
                K::InvalidField,
                format!("{model} has no parent field `{parent}` for child_of / parent_of"),
            ));
        }
        let mut seen: std::collections::BTreeSet<i64> = std::collections::BTreeSet::new();
        let mut frontier: Vec<i64> = ids.iter().copied().filter(|i| child || *i != 0).collect();
        if child {
            let mut children: std::collections::HashMap<i64, Vec<i64>> =
                std::collections::HashMap::new();
            for id in self.src.ids(model) {
                if let Some(p) = self.src.value(model, id, parent).and_then(|v| v.as_i64()) {
                    children.entry(p).or_default().push(id);
                }
            }
            while let Some(id) = frontier.pop() {
                if seen.insert(id)
                    && let Some(kids) = children.get(&id)
                {
                    frontier.extend(kids.iter().copied().filter(|k| !seen.contains(k)));
                }
            }
        } else {
            while let Some(id) = frontier.pop() {
                if seen.insert(id)
                    && let Some(p) = self.src.value(model, id, parent).and_then(|v| v.as_i64())
                    && !seen.contains(&p)
                {
                    frontier.push(p);
                }
            }
        }
        Ok(seen.into_iter().collect())
    }
}

fn complement_op(op: Op) -> Op {
    match op {
        Op::Ne => Op::Eq,
        Op::NotLike => Op::Like,
        Op::NotIlike => Op::Ilike,
        Op::NotIn => Op::In,
        o => o,
    }
}

/// Whether a (sub)domain has a leaf on `active` outside any `any` (which turns off the
/// implicit `active = True`).
pub(crate) fn has_top_active(n: &Node) -> bool {
    match n {
        Node::Leaf(l) => l.field == "active",
        Node::And(v) | Node::Or(v) => v.iter().any(has_top_active),
        Node::Not(c) => has_top_active(c),
        Node::Const(_) | Node::Any(_) => false,
    }
}
