//! Conversions between the wire (`xmlrpc::Value`) and stored values, with Odoo's rules:
//! `False` for empty non-numeric values, `0`/`0.0` for empty numbers, many2one as
//! `[id, display_name]`, and the ORM's validation of written values.

use super::fault::SimFault;
use super::store::Store;
use crate::domain::Lit;
use crate::record::{FieldDef, FieldType, Value};
use crate::xmlrpc::{Struct, Value as X};

/// A stored value as `read` returns it.
pub fn to_wire(store: &Store, def: &FieldDef, value: Value) -> X {
    match (&def.ty, value) {
        (FieldType::Integer, Value::Null) => X::Int(0),
        (FieldType::Float | FieldType::Monetary, Value::Null) => X::Double(0.0),
        (FieldType::Boolean, Value::Null) => X::Bool(false),
        (FieldType::One2many | FieldType::Many2many, Value::Null) => X::Array(Vec::new()),
        (
            FieldType::Json | FieldType::Properties | FieldType::PropertiesDefinition,
            Value::Str(s),
        ) => serde_json::from_str::<serde_json::Value>(&s)
            .map(|j| json_to_wire(&j))
            .unwrap_or(X::String(s)),
        (_, Value::Null) => X::Bool(false),
        // XML-RPC ints are 32-bit: Odoo sends larger integer values as doubles.
        (_, Value::Int(i)) if i32::try_from(i).is_err() => X::Double(i as f64),
        (FieldType::Float | FieldType::Monetary, Value::Int(i)) => X::Double(i as f64),
        (_, Value::Int(i)) => X::Int(i),
        (_, Value::Float(f)) => X::Double(f),
        (_, Value::Bool(b)) => X::Bool(b),
        (_, Value::Str(s)) => X::String(strip_controls(s)),
        (_, Value::Many2one(id)) => {
            let name = def
                .relation
                .as_deref()
                .map(|comodel| store.display_name(comodel, id))
                .unwrap_or_default();
            X::Array(vec![X::Int(id), X::String(name)])
        }
        (_, Value::Ids(ids)) => X::Array(ids.into_iter().map(X::Int).collect()),
    }
}

/// Odoo's marshaller drops control characters other than tab, LF and CR.
fn strip_controls(s: String) -> String {
    if s.chars()
        .any(|c| (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r'))
    {
        s.chars()
            .filter(|&c| (c as u32) >= 0x20 || matches!(c, '\t' | '\n' | '\r'))
            .collect()
    } else {
        s
    }
}

pub(crate) fn json_to_wire(j: &serde_json::Value) -> X {
    use serde_json::Value as J;
    match j {
        J::Null => X::Bool(false),
        J::Bool(b) => X::Bool(*b),
        J::Number(n) => n
            .as_i64()
            .map_or(X::Double(n.as_f64().unwrap_or(0.0)), X::Int),
        J::String(s) => X::String(s.clone()),
        J::Array(a) => X::Array(a.iter().map(json_to_wire).collect()),
        J::Object(o) => X::Struct(
            o.iter()
                .map(|(k, v)| (k.clone(), json_to_wire(v)))
                .collect(),
        ),
    }
}

fn wire_to_json(x: &X) -> serde_json::Value {
    use serde_json::Value as J;
    match x {
        X::Int(i) => J::from(*i),
        X::Bool(b) => J::Bool(*b),
        X::String(s) | X::DateTime(s) | X::Base64(s) => J::String(s.clone()),
        X::Double(d) => serde_json::Number::from_f64(*d).map_or(J::Null, J::Number),
        X::Array(a) => J::Array(a.iter().map(wire_to_json).collect()),
        X::Struct(s) => J::Object(
            s.iter()
                .map(|(k, v)| (k.to_owned(), wire_to_json(v)))
                .collect(),
        ),
        X::Nil => J::Null,
    }
}

/// A value sent by a client for field `def` of `model`, validated as the ORM does.
/// `current` is the field's present value (x2many commands apply to it).
pub fn from_wire(
    store: &Store,
    model: &str,
    def: &FieldDef,
    x: &X,
    current: &Value,
) -> Result<Value, SimFault> {
    let wrong = || {
        SimFault::value_error(format!(
            "Wrong value for {model}.{}: {}",
            def.name,
            py_repr(x)
        ))
    };
    if matches!(x, X::Nil) || (x.is_false() && def.ty != FieldType::Boolean) {
        return Ok(match def.ty {
            FieldType::One2many | FieldType::Many2many => Value::Ids(Vec::new()),
            _ => Value::Null,
        });
    }
    Ok(match &def.ty {
        FieldType::Boolean => Value::Bool(match x {
            X::Bool(b) => *b,
            X::Int(i) => *i != 0,
            X::Double(d) => *d != 0.0,
            X::String(s) => !s.is_empty(),
            _ => true,
        }),
        FieldType::Integer | FieldType::Many2oneReference => {
            let i = match x {
                X::Int(i) => *i,
                X::Double(d) => *d as i64,
                X::Bool(true) => 1,
                X::String(s) => s.trim().parse().map_err(|_| wrong())?,
                _ => return Err(wrong()),
            };
            if def.ty == FieldType::Integer && i32::try_from(i).is_err() {
                return Err(SimFault::python(
                    "psycopg2.errors.NumericValueOutOfRange",
                    "integer out of range\n",
                    "sql_db.py",
                ));
            }
            Value::Int(i)
        }
        FieldType::Float | FieldType::Monetary => Value::Float(match x {
            X::Int(i) => *i as f64,
            X::Double(d) => *d,
            X::Bool(true) => 1.0,
            X::String(s) => s.trim().parse().map_err(|_| wrong())?,
            _ => return Err(wrong()),
        }),
        FieldType::Selection => {
            let key = match x {
                X::String(s) => s.clone(),
                X::Int(i) => i.to_string(),
                _ => return Err(wrong()),
            };
            // Selections computed at runtime have no static list; accept anything there.
            if !def.selection.is_empty() && !def.selection.iter().any(|(k, _)| *k == key) {
                return Err(wrong());
            }
            Value::Str(key)
        }
        FieldType::Date => match x {
            X::String(s) | X::DateTime(s) => Value::Str(parse_date(s).ok_or_else(wrong)?),
            _ => return Err(wrong()),
        },
        FieldType::Datetime => match x {
            X::String(s) | X::DateTime(s) => Value::Str(parse_datetime(s).ok_or_else(wrong)?),
            _ => return Err(wrong()),
        },
        FieldType::Many2one => {
            let id = match x {
                X::Int(i) => *i,
                X::Array(a) => a.first().and_then(X::as_i64).ok_or_else(wrong)?,
                _ => return Err(wrong()),
            };
            Value::Many2one(id)
        }
        FieldType::One2many | FieldType::Many2many => {
            Value::Ids(apply_x2many(store, def, x, current.as_ids()).ok_or_else(wrong)?)
        }
        FieldType::Json | FieldType::Properties | FieldType::PropertiesDefinition => {
            Value::Str(wire_to_json(x).to_string())
        }
        _ => match x {
            X::String(s) => Value::Str(s.clone()),
            X::Int(i) => Value::Str(i.to_string()),
            X::Double(d) => Value::Str(d.to_string()),
            _ => return Err(wrong()),
        },
    })
}

/// x2many commands (`[6, 0, ids]`, `[4, id]`, `[3, id]`, `[5]`, …) or a plain id list.
fn apply_x2many(_store: &Store, _def: &FieldDef, x: &X, current: &[i64]) -> Option<Vec<i64>> {
    let items = x.as_array()?;
    if items.iter().all(|i| matches!(i, X::Int(_))) {
        return Some(items.iter().filter_map(X::as_i64).collect());
    }
    let mut ids = current.to_vec();
    for cmd in items {
        let cmd = cmd.as_array()?;
        let op = cmd.first()?.as_i64()?;
        let arg = cmd.get(1).and_then(X::as_i64);
        match op {
            3 | 2 => ids.retain(|&i| Some(i) != arg),
            4 => {
                let id = arg?;
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
            5 => ids.clear(),
            6 => {
                ids = cmd
                    .get(2)?
                    .as_array()?
                    .iter()
                    .filter_map(X::as_i64)
                    .collect();
            }
            // Creating or updating comodel records through commands is not simulated.
            _ => return None,
        }
    }
    Some(ids)
}

/// Odoo accepts "YYYY-MM-DD" and ignores anything after the first 10 characters.
pub(crate) fn parse_date(s: &str) -> Option<String> {
    let head = s.get(..10)?;
    chrono::NaiveDate::parse_from_str(head, "%Y-%m-%d").ok()?;
    Some(head.to_owned())
}

/// "YYYY-MM-DD HH:MM:SS", also "YYYY-MM-DD" and "YYYY-MM-DD HH:MM".
pub(crate) fn parse_datetime(s: &str) -> Option<String> {
    let s = s.trim();
    for fmt in [
        crate::record::datetime::DATETIME_FORMAT,
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(dt) = chrono::NaiveDateTime::parse_from_str(s, fmt) {
            return Some(
                dt.format(crate::record::datetime::DATETIME_FORMAT)
                    .to_string(),
            );
        }
    }
    let d = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
    Some(format!("{} 00:00:00", d.format("%Y-%m-%d")))
}

/// An XML-RPC value as a domain literal (arrays become lists, as Odoo receives them).
pub(crate) fn to_lit(x: &X) -> Lit {
    match x {
        X::Int(i) => Lit::Int(*i),
        X::Bool(b) => Lit::Bool(*b),
        X::String(s) | X::DateTime(s) | X::Base64(s) => Lit::Str(s.clone()),
        X::Double(d) => Lit::Float(*d),
        X::Array(items) => Lit::List(items.iter().map(to_lit).collect()),
        X::Struct(s) => Lit::List(s.iter().map(|(k, _)| Lit::Str(k.to_owned())).collect()),
        X::Nil => Lit::None,
    }
}

/// A domain literal back on the wire (tuples become arrays).
pub(crate) fn lit_to_wire(l: &Lit) -> X {
    match l {
        Lit::None => X::Bool(false),
        Lit::Bool(b) => X::Bool(*b),
        Lit::Int(i) => X::Int(*i),
        Lit::Float(f) => X::Double(*f),
        Lit::Str(s) => X::String(s.clone()),
        Lit::List(items) | Lit::Tuple(items) => X::Array(items.iter().map(lit_to_wire).collect()),
    }
}

/// Python's `repr` of a received value, as Odoo's messages print it.
pub(crate) fn py_repr(x: &X) -> String {
    to_lit(x).to_string()
}

/// A struct from `(key, value)` pairs.
pub(crate) fn structure<const N: usize>(members: [(&str, X); N]) -> X {
    X::Struct(Struct(
        members
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_datetimes_normalise_like_odoo() {
        assert_eq!(parse_date("2026-12-31xyz").as_deref(), Some("2026-12-31"));
        assert_eq!(parse_date("2026-13-01"), None);
        assert_eq!(
            parse_datetime("2026-11-20 08:30").as_deref(),
            Some("2026-11-20 08:30:00")
        );
        assert_eq!(
            parse_datetime("2026-11-20").as_deref(),
            Some("2026-11-20 00:00:00")
        );
        assert_eq!(parse_datetime("2026-11-20T08:30:00"), None);
    }

    #[test]
    fn wire_values_become_python_literals() {
        let x = X::Array(vec!["a".into(), X::Int(1), X::Bool(false)]);
        assert_eq!(to_lit(&x).to_string(), "['a', 1, False]");
        assert_eq!(py_repr(&X::String("9".into())), "'9'");
        assert_eq!(strip_controls("a\u{7}b\tc".into()), "ab\tc");
    }
}
