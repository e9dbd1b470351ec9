//! Odoo's conversion of a leaf's right-hand value to the field's column type
//! (`convert_to_column`, `Datetime.to_datetime`, Python's `int()`/`float()`), with the very
//! errors Odoo raises, so a domain Odoo would refuse is refused here too.

use super::compiled::Scalar;
use super::error::{DomainError, DomainErrorKind as K};
use super::operand::{Operand, YmdExt, format_datetime};
use super::tree::Leaf;
use crate::record::FieldType;

pub(super) fn leaf_repr(field: &str, leaf: &Leaf) -> String {
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

pub(super) fn value_error(msg: String) -> DomainError {
    DomainError::new(K::InvalidValue, msg)
}

/// A conversion error Odoo raises with this very text (a Python `ValueError`).
pub(super) fn py_value_error(msg: String) -> DomainError {
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

pub(super) fn parse_py_int(s: &str) -> Option<i64> {
    let t = s.trim();
    let t = t.strip_prefix('+').unwrap_or(t);
    if t.is_empty() || t.starts_with('_') || t.ends_with('_') || t.contains("__") {
        return None;
    }
    t.replace('_', "").parse().ok()
}

pub(super) fn parse_py_float(s: &str) -> Option<f64> {
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

pub(super) fn digits(s: &str, n: usize) -> Option<u32> {
    if s.is_empty() || s.len() > n || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// `strptime(value, '%Y-%m-%d')`, normalised to `YYYY-MM-DD`.
pub(super) fn parse_date(s: &str) -> Option<chrono::NaiveDate> {
    let mut it = s.splitn(3, '-');
    let y = digits(it.next()?, 4)?;
    let m = digits(it.next()?, 2)?;
    let d = digits(it.next()?, 2)?;
    chrono::NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, m, d)
}

/// Odoo's `Datetime.to_datetime` for strings (`'%Y-%m-%d %H:%M:%S'` cut to the text's length).
pub(super) fn parse_datetime(s: &str) -> Result<String, DomainError> {
    let fmt_full = crate::record::datetime::DATETIME_FORMAT;
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
