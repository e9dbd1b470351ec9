//! A field value of an Odoo record as the engines, the domain evaluator and the simulator
//! hold it: typed, with SQL NULL (`Null`) kept apart from `0`, `""` and `false`.

use std::fmt;

/// One stored field value.
///
/// Dates are `"YYYY-MM-DD"` and datetimes naive UTC `"YYYY-MM-DD HH:MM:SS"` strings, exactly
/// as Odoo sends them: in that form lexical order is chronological order, and nothing is lost
/// converting back to the wire.
#[derive(Clone, Debug, PartialEq, Default)]
pub enum Value {
    /// SQL NULL: what Odoo sends as `False` for empty char/date/many2one/selection values.
    #[default]
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    /// char, text, html, selection key, date, datetime, reference (`"model,id"`).
    Str(String),
    /// A many2one: the id only (display names are the comodel's business).
    Many2one(i64),
    /// one2many / many2many: related ids in comodel order.
    Ids(Vec<i64>),
}

impl Value {
    pub(crate) fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(i) | Value::Many2one(i) => Some(*i),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Float(f) => Some(*f),
            Value::Int(i) => Some(*i as f64),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_ids(&self) -> &[i64] {
        match self {
            Value::Ids(ids) => ids,
            _ => &[],
        }
    }

    /// The many2one id, `None` when empty.
    pub fn as_many2one(&self) -> Option<i64> {
        match self {
            Value::Many2one(id) => Some(*id),
            _ => None,
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("False"),
            Value::Bool(true) => f.write_str("True"),
            Value::Bool(false) => f.write_str("False"),
            Value::Int(i) | Value::Many2one(i) => write!(f, "{i}"),
            Value::Float(x) => write!(f, "{x}"),
            Value::Str(s) => write!(f, "{s:?}"),
            Value::Ids(ids) => write!(f, "{ids:?}"),
        }
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}
impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Float(v)
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Str(v.to_owned())
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Str(v)
    }
}
