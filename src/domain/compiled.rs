//! A domain compiled for one model: the converted right-hand values (`Scalar`), the test on
//! one stored value (`Test`) and the tree of those tests (`CNode`) with SQL's three-valued
//! logic (`Tri`). Built by `compile`, run by `eval`.

use std::cmp::Ordering;

use super::like::Pattern;
use super::source::FieldHandle;
use crate::record::Value;

/// SQL's three-valued boolean.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tri {
    F,
    T,
    /// NULL: not a match, and still not a match under `NOT`.
    U,
}

impl Tri {
    pub(super) fn from(b: bool) -> Tri {
        if b { Tri::T } else { Tri::F }
    }

    pub(super) fn not(self) -> Tri {
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
    pub(super) fn test(self, o: Ordering) -> bool {
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

/// A set of converted values for `in` / `not in`. Integers and strings are kept sorted and
/// looked up by binary search: `('x_sk_key', 'in', [2,000 keys])` over 100,000 stored rows
/// (the apply's key search) would otherwise compare every row with every key.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ScalarSet {
    ints: Vec<i64>,
    strs: Vec<Box<str>>,
    others: Vec<Scalar>,
}

impl ScalarSet {
    pub(super) fn new(items: Vec<Scalar>) -> ScalarSet {
        let mut ints = Vec::new();
        let mut strs = Vec::new();
        let mut others = Vec::new();
        for s in items {
            match s {
                Scalar::Int(i) => ints.push(i),
                Scalar::Str(t) => strs.push(t),
                o => others.push(o),
            }
        }
        ints.sort_unstable();
        ints.dedup();
        strs.sort_unstable();
        strs.dedup();
        ScalarSet { ints, strs, others }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.ints.is_empty() && self.strs.is_empty() && self.others.is_empty()
    }

    pub(super) fn contains(&self, v: &Value) -> bool {
        if let Some(i) = v.as_i64()
            && self.ints.binary_search(&i).is_ok()
        {
            return true;
        }
        // A string equals only a string (`compare`): no other value can match one.
        if let Value::Str(t) = v {
            return self
                .strs
                .binary_search_by(|s| (**s).cmp(t.as_str()))
                .is_ok();
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
pub(super) fn compare(v: &Value, rhs: &Scalar) -> Option<Ordering> {
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

/// `(active, '=', True)` on the model's active field: what Odoo adds when `active_test` is on.
pub(super) fn active_is_true(field: &str) -> CNode {
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

pub(super) fn and_c(a: CNode, b: CNode) -> CNode {
    match b {
        CNode::Const(Tri::T) => a,
        CNode::And(mut v) => {
            v.insert(0, a);
            CNode::And(v)
        }
        other => CNode::And(vec![a, other]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_finds_strings_and_numbers_as_odoo_compares_them() {
        let set = ScalarSet::new(vec![
            Scalar::Str("k:2".into()),
            Scalar::Int(7),
            Scalar::Str("k:1".into()),
            Scalar::Float(2.5),
            Scalar::Str("k:2".into()),
        ]);
        assert!(set.contains(&Value::Str("k:1".into())));
        assert!(set.contains(&Value::Str("k:2".into())));
        assert!(!set.contains(&Value::Str("k:3".into())));
        // A string never equals a number, nor a number a string.
        assert!(!set.contains(&Value::Str("7".into())));
        assert!(set.contains(&Value::Int(7)) && set.contains(&Value::Many2one(7)));
        assert!(set.contains(&Value::Float(2.5)) && set.contains(&Value::Float(7.0)));
        assert!(!ScalarSet::new(vec![]).contains(&Value::Str(String::new())));
        assert!(ScalarSet::new(vec![]).is_empty());
    }
}
