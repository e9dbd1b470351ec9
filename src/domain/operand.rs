//! Right-hand values of leaves as the domain module holds them: Python literals, dates produced
//! by bound date helpers, and not-yet-bound placeholder expressions (`user.id`,
//! `context_today()`, ...), each printable back as Python source.

use std::fmt;

use chrono::{NaiveDate, NaiveDateTime, Timelike};

use super::lit::Lit;

/// A value in a domain: a literal, a date or datetime object (from a bound date helper) or an
/// unbound placeholder expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Operand {
    None,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    List(Vec<Operand>),
    Tuple(Vec<Operand>),
    /// A Python `date` object (what `context_today()` returns).
    Date(NaiveDate),
    /// A Python `datetime` object (what `datetime.datetime.now()` returns).
    DateTime(NaiveDateTime),
    /// A placeholder expression, evaluated by `Domain::bind`.
    Expr(Box<Expr>),
}

/// A placeholder expression (a tiny, checked subset of Python).
#[derive(Clone, Debug)]
pub struct Expr {
    pub kind: ExprKind,
    /// Byte offset in the source text, for error messages (ignored by equality).
    pub pos: usize,
}

impl PartialEq for Expr {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// A literal argument (string, number, bool, None, list, tuple).
    Lit(Operand),
    Name(String),
    Attr(Box<Expr>, String),
    Call(Box<Expr>, Vec<Expr>, Vec<(String, Expr)>),
    Add(Box<Expr>, Box<Expr>),
    Sub(Box<Expr>, Box<Expr>),
    Neg(Box<Expr>),
}

impl Operand {
    pub(crate) fn from_lit(lit: &Lit) -> Operand {
        match lit {
            Lit::None => Operand::None,
            Lit::Bool(b) => Operand::Bool(*b),
            Lit::Int(i) => Operand::Int(*i),
            Lit::Float(f) => Operand::Float(*f),
            Lit::Str(s) => Operand::Str(s.clone()),
            Lit::List(items) => Operand::List(items.iter().map(Operand::from_lit).collect()),
            Lit::Tuple(items) => Operand::Tuple(items.iter().map(Operand::from_lit).collect()),
        }
    }

    /// The literal form (dates become Odoo's strings). Placeholders print as their source
    /// text inside a string, so callers must check `is_bound` first when that matters.
    pub(crate) fn to_lit(&self) -> Lit {
        match self {
            Operand::None => Lit::None,
            Operand::Bool(b) => Lit::Bool(*b),
            Operand::Int(i) => Lit::Int(*i),
            Operand::Float(f) => Lit::Float(*f),
            Operand::Str(s) => Lit::Str(s.clone()),
            Operand::List(items) => Lit::List(items.iter().map(Operand::to_lit).collect()),
            Operand::Tuple(items) => Lit::Tuple(items.iter().map(Operand::to_lit).collect()),
            Operand::Date(d) => Lit::Str(d.format_ymd()),
            Operand::DateTime(dt) => Lit::Str(format_datetime(dt)),
            Operand::Expr(e) => Lit::Str(e.to_string()),
        }
    }

    pub(crate) fn as_str(&self) -> Option<&str> {
        match self {
            Operand::Str(s) => Some(s),
            _ => None,
        }
    }

    pub(crate) fn as_seq(&self) -> Option<&[Operand]> {
        match self {
            Operand::List(items) | Operand::Tuple(items) => Some(items),
            _ => None,
        }
    }

    /// Python truthiness.
    pub(crate) fn truthy(&self) -> bool {
        match self {
            Operand::None => false,
            Operand::Bool(b) => *b,
            Operand::Int(i) => *i != 0,
            Operand::Float(f) => *f != 0.0,
            Operand::Str(s) => !s.is_empty(),
            Operand::List(v) | Operand::Tuple(v) => !v.is_empty(),
            Operand::Date(_) | Operand::DateTime(_) | Operand::Expr(_) => true,
        }
    }

    /// `False` or `None`: what Odoo's SQL generation treats as NULL.
    pub(crate) fn is_false_or_none(&self) -> bool {
        matches!(self, Operand::None | Operand::Bool(false))
    }

    pub(crate) fn is_bound(&self) -> bool {
        match self {
            Operand::Expr(_) => false,
            Operand::List(v) | Operand::Tuple(v) => v.iter().all(Operand::is_bound),
            _ => true,
        }
    }

    /// Python `==` against an integer (so `True == 1` and `1.0 == 1`).
    pub(crate) fn py_eq_int(&self, n: i64) -> bool {
        match self {
            Operand::Int(i) => *i == n,
            Operand::Bool(b) => i64::from(*b) == n,
            Operand::Float(f) => *f == n as f64,
            _ => false,
        }
    }

    /// Python's name of the value's type, as in its error messages.
    pub(crate) fn py_type(&self) -> &'static str {
        match self {
            Operand::None => "NoneType",
            Operand::Bool(_) => "bool",
            Operand::Int(_) => "int",
            Operand::Float(_) => "float",
            Operand::Str(_) => "str",
            Operand::List(_) => "list",
            Operand::Tuple(_) => "tuple",
            Operand::Date(_) => "date",
            Operand::DateTime(_) => "datetime",
            Operand::Expr(_) => "expression",
        }
    }

    /// Python's `str()` (what `pycompat.to_text` gives for non-strings).
    pub(crate) fn py_str(&self) -> String {
        match self {
            Operand::Str(s) => s.clone(),
            Operand::Date(d) => d.format_ymd(),
            Operand::DateTime(dt) => format_datetime(dt),
            other => other.to_string(),
        }
    }
}

pub(crate) trait YmdExt {
    fn format_ymd(&self) -> String;
}

impl YmdExt for NaiveDate {
    fn format_ymd(&self) -> String {
        use chrono::Datelike;
        format!("{:04}-{:02}-{:02}", self.year(), self.month(), self.day())
    }
}

/// Odoo's server format, with microseconds only when there are some (as Python's `str`).
pub(crate) fn format_datetime(dt: &NaiveDateTime) -> String {
    let base = format!(
        "{} {:02}:{:02}:{:02}",
        dt.date().format_ymd(),
        dt.hour(),
        dt.minute(),
        dt.second()
    );
    let micros = dt.nanosecond() / 1000;
    if micros > 0 {
        format!("{base}.{micros:06}")
    } else {
        base
    }
}

impl fmt::Display for Operand {
    /// Python `repr`, with placeholders printed as their source.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use chrono::Datelike;
        match self {
            Operand::Date(d) => {
                write!(f, "datetime.date({}, {}, {})", d.year(), d.month(), d.day())
            }
            Operand::DateTime(dt) => {
                write!(
                    f,
                    "datetime.datetime({}, {}, {}, {}, {}, {}",
                    dt.year(),
                    dt.month(),
                    dt.day(),
                    dt.hour(),
                    dt.minute(),
                    dt.second()
                )?;
                let micros = dt.nanosecond() / 1000;
                if micros > 0 {
                    write!(f, ", {micros}")?;
                }
                f.write_str(")")
            }
            Operand::Expr(e) => write!(f, "{e}"),
            Operand::List(items) => {
                f.write_str("[")?;
                write_items(f, items)?;
                f.write_str("]")
            }
            Operand::Tuple(items) => {
                f.write_str("(")?;
                write_items(f, items)?;
                if items.len() == 1 {
                    f.write_str(",")?;
                }
                f.write_str(")")
            }
            scalar => write!(f, "{}", scalar.to_lit()),
        }
    }
}

fn write_items(f: &mut fmt::Formatter<'_>, items: &[Operand]) -> fmt::Result {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{item}")?;
    }
    Ok(())
}

impl fmt::Display for Expr {
    /// Python source that parses back to the same expression.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ExprKind::Lit(v) => write!(f, "{v}"),
            ExprKind::Name(n) => f.write_str(n),
            ExprKind::Attr(e, a) => write!(f, "{e}.{a}"),
            ExprKind::Call(func, args, kwargs) => {
                write!(f, "{func}(")?;
                let mut first = true;
                for a in args {
                    if !first {
                        f.write_str(", ")?;
                    }
                    first = false;
                    write!(f, "{a}")?;
                }
                for (k, v) in kwargs {
                    if !first {
                        f.write_str(", ")?;
                    }
                    first = false;
                    write!(f, "{k}={v}")?;
                }
                f.write_str(")")
            }
            ExprKind::Add(a, b) => write!(f, "({a} + {b})"),
            ExprKind::Sub(a, b) => write!(f, "({a} - {b})"),
            ExprKind::Neg(e) => write!(f, "(-{e})"),
        }
    }
}
