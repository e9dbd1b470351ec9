//! `order` specifications (`"priority desc, id desc"`) and sorting record ids by them the
//! way PostgreSQL does for Odoo: NULLs last ascending and first descending, many2one
//! fields ordered by their comodel's own `_order`.

use std::cmp::Ordering;

use super::fault::SimFault;
use super::store::Store;
use crate::record::{FieldType, Value};

/// One `field [asc|desc]` term.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Term {
    pub field: String,
    pub desc: bool,
}

/// Parses an order spec, checking every field exists on `model`.
pub(crate) fn parse(store: &Store, model: &str, spec: &str) -> Result<Vec<Term>, SimFault> {
    let mut terms = Vec::new();
    for part in spec.split(',') {
        let words: Vec<&str> = part.split_whitespace().collect();
        let bad = || {
            SimFault::user(format!(
                "Invalid \"order\" specified ({}). A valid \"order\" specification is a \
                 comma-separated list of valid field names (optionally followed by asc/desc for \
                 the direction)",
                part.trim()
            ))
        };
        let (field, dir) = match words.as_slice() {
            [] => continue,
            [f] => (*f, "asc"),
            [f, d, ..] => (*f, *d),
        };
        let desc = match dir.to_ascii_lowercase().as_str() {
            "asc" => false,
            "desc" => true,
            _ => return Err(bad()),
        };
        let field = field.trim_matches('"');
        if !field
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
        {
            return Err(bad());
        }
        if field != "id" && store.registry().field(model, field).is_none() {
            return Err(SimFault::value_error(format!(
                "Invalid field '{field}' on model '{model}'"
            )));
        }
        terms.push(Term {
            field: field.to_owned(),
            desc,
        });
    }
    Ok(terms)
}

/// A comparable key of one field value.
#[derive(Clone, Debug, PartialEq)]
enum Key {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    Seq(Vec<Key>),
    /// A descending term inside a comodel's order.
    Rev(Box<Key>),
}

fn cmp_key(a: &Key, b: &Key) -> Ordering {
    match (a, b) {
        (Key::Rev(x), Key::Rev(y)) => cmp_key(y, x),
        (Key::Null, Key::Null) => Ordering::Equal,
        // NULLs sort as the largest value (PostgreSQL), so last ascending, first descending.
        (Key::Null, _) => Ordering::Greater,
        (_, Key::Null) => Ordering::Less,
        (Key::Bool(x), Key::Bool(y)) => x.cmp(y),
        (Key::Num(x), Key::Num(y)) => x.partial_cmp(y).unwrap_or(Ordering::Equal),
        (Key::Str(x), Key::Str(y)) => x.cmp(y),
        (Key::Seq(x), Key::Seq(y)) => {
            for (p, q) in x.iter().zip(y) {
                let o = cmp_key(p, q);
                if o != Ordering::Equal {
                    return o;
                }
            }
            x.len().cmp(&y.len())
        }
        _ => Ordering::Equal,
    }
}

fn key(store: &Store, model: &str, id: i64, field: &str, depth: u8) -> Key {
    if field == "id" {
        return Key::Num(id as f64);
    }
    let v = store.value(model, id, field).unwrap_or_default();
    let boolean = store
        .registry()
        .field(model, field)
        .is_some_and(|f| f.ty == FieldType::Boolean);
    let numeric = store.major >= 18
        && store.registry().field(model, field).is_some_and(|f| {
            matches!(
                f.ty,
                FieldType::Float | FieldType::Monetary | FieldType::Integer
            )
        });
    match v {
        // Odoo orders booleans by COALESCE(field, FALSE).
        Value::Null if boolean => Key::Bool(false),
        // 18 and 19 list leads without an amount after those with one under `expected_revenue
        // desc` (054 recorded on both; 17 lists them first): empty numbers order as 0.
        Value::Null if numeric => Key::Num(0.0),
        Value::Null => Key::Null,
        Value::Bool(b) => Key::Bool(b),
        Value::Int(i) => Key::Num(i as f64),
        Value::Float(f) => Key::Num(f),
        Value::Str(s) => Key::Str(s),
        Value::Many2one(other) => {
            let def = store.registry().field(model, field);
            match def.and_then(|d| d.relation.clone()) {
                Some(comodel) if depth == 0 && def.is_some_and(|d| d.ty == FieldType::Many2one) => {
                    let terms = parse(store, &comodel, store.registry().order(&comodel))
                        .unwrap_or_default();
                    Key::Seq(
                        terms
                            .iter()
                            .map(|t| {
                                let k = key(store, &comodel, other, &t.field, depth + 1);
                                if t.desc { Key::Rev(Box::new(k)) } else { k }
                            })
                            .chain(std::iter::once(Key::Num(other as f64)))
                            .collect(),
                    )
                }
                _ => Key::Num(other as f64),
            }
        }
        Value::Ids(ids) => Key::Seq(ids.into_iter().map(|i| Key::Num(i as f64)).collect()),
    }
}

/// Sorts `ids` in place by `terms` (ties broken by id, ascending, for determinism).
pub(crate) fn sort(store: &Store, model: &str, ids: &mut [i64], terms: &[Term]) {
    match terms {
        [] => ids.sort_unstable(),
        [t] if t.field == "id" => {
            ids.sort_unstable();
            if t.desc {
                ids.reverse();
            }
        }
        _ => {
            let mut keyed: Vec<(Vec<Key>, i64)> = ids
                .iter()
                .map(|&id| {
                    let ks = terms
                        .iter()
                        .map(|t| key(store, model, id, &t.field, 0))
                        .collect();
                    (ks, id)
                })
                .collect();
            keyed.sort_by(|(ka, ia), (kb, ib)| {
                for (t, (a, b)) in terms.iter().zip(ka.iter().zip(kb)) {
                    let o = cmp_key(a, b);
                    let o = if t.desc { o.reverse() } else { o };
                    if o != Ordering::Equal {
                        return o;
                    }
                }
                ia.cmp(ib)
            });
            for (slot, (_, id)) in ids.iter_mut().zip(keyed) {
                *slot = id;
            }
        }
    }
}

/// Compares two records on one term (used to order `read_group` groups by their values).
pub(crate) fn record_cmp(store: &Store, model: &str, a: i64, b: i64, term: &Term) -> Ordering {
    let o = cmp_key(
        &key(store, model, a, &term.field, 0),
        &key(store, model, b, &term.field, 0),
    );
    if term.desc { o.reverse() } else { o }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nulls_sort_last_ascending() {
        let mut keys = [Key::Null, Key::Num(2.0), Key::Num(1.0)];
        keys.sort_by(cmp_key);
        assert_eq!(keys, [Key::Num(1.0), Key::Num(2.0), Key::Null]);
    }
}
