//! [`crate::apply::OdooWriter`] over the real client: grouped `write`s, batch `create`s,
//! re-reads with archived records included (`active_test: False`), and idempotency-key
//! lookups by `ilike` on the marker followed by an exact check. Also the two conversions
//! between engine values ([`record::Value`]) and wire values that every job needs.

use std::collections::HashMap;

use super::client::OdooClient;
use super::error::OdooError;
use super::helpers::leaf;
use crate::apply::{OdooWriter, ReadRows, WriteError};
use crate::plan::IdemKey;
use crate::record;
use crate::xmlrpc::{Struct, Value};

/// The text field that carries the idempotency marker of each model apply may create.
const KEY_FIELDS: &[(&str, &str)] = &[
    ("gamification.karma.tracking", "reason"),
    ("gamification.badge.user", "comment"),
    ("mail.message", "body"),
];

/// The client seen as apply's writer.
pub struct ClientWriter<'a> {
    client: &'a OdooClient,
    key_fields: HashMap<String, String>,
}

impl<'a> ClientWriter<'a> {
    pub fn new(client: &'a OdooClient) -> Self {
        ClientWriter {
            client,
            key_fields: KEY_FIELDS
                .iter()
                .map(|(m, f)| ((*m).to_owned(), (*f).to_owned()))
                .collect(),
        }
    }

    /// Declares (or changes) the text field holding the idempotency marker for `model`.
    pub fn with_key_field(mut self, model: &str, field: &str) -> Self {
        self.key_fields.insert(model.to_owned(), field.to_owned());
        self
    }

    fn key_field(&self, model: &str) -> Result<&str, WriteError> {
        self.key_fields
            .get(model)
            .map(String::as_str)
            .ok_or_else(|| {
                WriteError::Permanent(format!(
                    "no field is declared to carry idempotency keys on {model}"
                ))
            })
    }
}

/// Odoo's answer classified for apply by what the failed call may have done: certainly
/// nothing (connection refused, rolled-back concurrency fault), perhaps something (the answer
/// was lost after the request was sent), or nothing for good (Odoo's own refusal).
pub fn classify(error: OdooError) -> WriteError {
    // An answer we could not read (truncated or garbled XML, a proxy's page instead of
    // XML-RPC, a 5xx from a proxy or a dying worker) came after the request was sent: the call
    // may have run, so it is never taken as "not applied".
    let sent_and_lost = error.is_transient()
        || matches!(
            error,
            OdooError::Decode { .. }
                | OdooError::JsonDecode { .. }
                | OdooError::NotXmlRpc { .. }
                | OdooError::UnexpectedReply { .. }
        )
        || matches!(error, OdooError::Http { status, .. } if status >= 500);
    if error.certainly_not_applied() {
        WriteError::Transient(error.to_string())
    } else if sent_and_lost {
        WriteError::Unknown(error.to_string())
    } else {
        WriteError::Permanent(error.to_string())
    }
}

/// An engine value as Odoo's `write`/`create` take it: empty → `False`, many2one → its id,
/// x2many → `[(6, 0, ids)]` (replace the whole set).
pub fn to_wire(value: &record::Value) -> Value {
    match value {
        record::Value::Null => Value::Bool(false),
        record::Value::Bool(b) => Value::Bool(*b),
        record::Value::Int(i) | record::Value::Many2one(i) => Value::Int(*i),
        record::Value::Float(x) => Value::Double(*x),
        record::Value::Str(s) => Value::String(s.clone()),
        record::Value::Ids(ids) => Value::Array(vec![Value::Array(vec![
            Value::Int(6),
            Value::Int(0),
            Value::Array(ids.iter().map(|i| Value::Int(*i)).collect()),
        ])]),
    }
}

/// A value read from Odoo without knowing the field's type: `False` → `Null` (Odoo's empty),
/// `[id, name]` → many2one, a list of ints → x2many ids. Use [`from_wire_typed`] where the
/// field type is known (booleans, empty x2many).
pub fn from_wire(value: &Value) -> record::Value {
    match value {
        Value::Bool(false) | Value::Nil => record::Value::Null,
        Value::Bool(true) => record::Value::Bool(true),
        Value::Int(i) => record::Value::Int(*i),
        Value::Double(x) => record::Value::Float(*x),
        Value::String(s) | Value::DateTime(s) | Value::Base64(s) => record::Value::Str(s.clone()),
        Value::Array(items) => match items.as_slice() {
            [Value::Int(id), Value::String(_)] => record::Value::Many2one(*id),
            _ => record::Value::Ids(items.iter().filter_map(Value::as_i64).collect()),
        },
        Value::Struct(_) => record::Value::Null,
    }
}

/// A value read from Odoo for a field of type `ty`.
pub fn from_wire_typed(value: &Value, ty: &record::FieldType) -> record::Value {
    use record::FieldType as T;
    match (ty, value) {
        (T::Boolean, Value::Bool(b)) => record::Value::Bool(*b),
        (T::Many2one, Value::Array(items)) => items
            .first()
            .and_then(Value::as_i64)
            .map_or(record::Value::Null, record::Value::Many2one),
        (T::Many2one, Value::Int(i)) => record::Value::Many2one(*i),
        (T::One2many | T::Many2many, Value::Array(items)) => {
            record::Value::Ids(items.iter().filter_map(Value::as_i64).collect())
        }
        (T::One2many | T::Many2many, Value::Bool(false)) => record::Value::Ids(Vec::new()),
        (T::Float | T::Monetary, Value::Int(i)) => record::Value::Float(*i as f64),
        _ => from_wire(value),
    }
}

fn ids_value(ids: &[i64]) -> Value {
    Value::Array(ids.iter().map(|i| Value::Int(*i)).collect())
}

fn no_active_test() -> Struct {
    let mut context = Struct::new();
    context.push("active_test", Value::Bool(false));
    context
}

impl OdooWriter for ClientWriter<'_> {
    fn retries_so_far(&self) -> u64 {
        self.client.metrics().retries
    }

    async fn write(
        &self,
        model: &str,
        ids: &[i64],
        values: &[(String, record::Value)],
    ) -> Result<(), WriteError> {
        let mut vals = Struct::with_capacity(values.len());
        for (field, value) in values {
            vals.push(field.clone(), to_wire(value));
        }
        let kwargs = super::tracking::write_kwargs(model, values.iter().map(|(f, _)| f.as_str()));
        self.client
            .write_with(model, ids, vals, kwargs)
            .await
            .map_err(classify)
    }

    async fn unlink(&self, model: &str, ids: &[i64]) -> Result<(), WriteError> {
        let ids = Value::Array(ids.iter().map(|&id| Value::Int(id)).collect());
        self.client
            .execute_kw(model, "unlink", vec![ids], Struct::new())
            .await
            .map(|_| ())
            .map_err(classify)
    }

    async fn create(
        &self,
        model: &str,
        values: &[Vec<(String, record::Value)>],
    ) -> Result<Vec<i64>, WriteError> {
        let list = values
            .iter()
            .map(|rec| {
                let mut s = Struct::with_capacity(rec.len());
                for (field, value) in rec {
                    s.push(field.clone(), to_wire(value));
                }
                Value::Struct(s)
            })
            .collect();
        // One call, no retry of our own: apply retries creates only after checking keys.
        let v = self
            .client
            .execute_kw(model, "create", vec![Value::Array(list)], Struct::new())
            .await
            .map_err(classify)?;
        match v {
            Value::Array(items) => items
                .iter()
                .map(|i| {
                    i.as_i64().ok_or_else(|| {
                        WriteError::Permanent(format!("{model}.create returned a non-id {i}"))
                    })
                })
                .collect(),
            Value::Int(id) => Ok(vec![id]),
            other => Err(WriteError::Permanent(format!(
                "{model}.create returned {} instead of ids",
                other.type_name()
            ))),
        }
    }

    async fn read(
        &self,
        model: &str,
        ids: &[i64],
        fields: &[String],
    ) -> Result<ReadRows, WriteError> {
        let mut kwargs = Struct::new();
        kwargs.push(
            "fields",
            Value::Array(fields.iter().map(|f| Value::from(f.as_str())).collect()),
        );
        kwargs.push("context", Value::Struct(no_active_test()));
        let domain = vec![leaf("id", "in", ids_value(ids))];
        let v = self
            .client
            .execute_kw(model, "search_read", vec![Value::Array(domain)], kwargs)
            .await
            .map_err(classify)?;
        let Value::Array(rows) = v else {
            return Err(WriteError::Permanent(format!(
                "{model}.search_read returned {} instead of records",
                v.type_name()
            )));
        };
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let Value::Struct(s) = row else { continue };
            let Some(id) = s.get("id").and_then(Value::as_i64) else {
                continue;
            };
            let values = fields
                .iter()
                .map(|f| (f.clone(), s.get(f).map_or(record::Value::Null, from_wire)))
                .collect();
            out.push((id, values));
        }
        Ok(out)
    }

    async fn find_by_keys(
        &self,
        model: &str,
        keys: &[IdemKey],
    ) -> Result<Vec<Option<i64>>, WriteError> {
        self.find_keys(model, keys, None).await
    }
}

impl ClientWriter<'_> {
    /// [`OdooWriter::find_by_keys`], where records may also carry the key exactly in
    /// `exact_field` (a technical field such as `x_sk_key`) instead of as the marker in the
    /// model's text field: one search for both forms.
    pub async fn find_keys(
        &self,
        model: &str,
        keys: &[IdemKey],
        exact_field: Option<&str>,
    ) -> Result<Vec<Option<i64>>, WriteError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        // Models keyed only by the exact field (statements) have no text field to search.
        let field = match (self.key_fields.get(model), exact_field) {
            (Some(f), _) => Some(f.as_str()),
            (None, Some(_)) => None,
            (None, None) => Some(self.key_field(model)?),
        };
        // One search: `'|'`-joined leaves (the exact field `in` the keys, and one ilike per
        // marker), then the key checked here, since ilike is case-insensitive and may be
        // unaccented.
        let mut leaves: Vec<Value> = Vec::with_capacity(keys.len() + 1);
        if let Some(exact) = exact_field {
            let wanted = keys.iter().map(|k| Value::from(k.as_str())).collect();
            leaves.push(leaf(exact, "in", Value::Array(wanted)));
        }
        if let Some(field) = field {
            leaves.extend(
                keys.iter()
                    .map(|k| leaf(field, "ilike", Value::from(k.marker()))),
            );
        }
        let mut domain: Vec<Value> = (1..leaves.len()).map(|_| Value::from("|")).collect();
        domain.extend(leaves);
        let fields: Vec<Value> = field
            .into_iter()
            .chain(exact_field)
            .map(Value::from)
            .collect();
        let mut kwargs = Struct::new();
        kwargs.push("fields", Value::Array(fields));
        kwargs.push("context", Value::Struct(no_active_test()));
        kwargs.push("order", Value::from("id"));
        let v = self
            .client
            .execute_kw(model, "search_read", vec![Value::Array(domain)], kwargs)
            .await
            .map_err(classify)?;
        let text_of = |s: &Struct, f: &str| s.get(f).and_then(Value::as_str).map(str::to_owned);
        // (id, text, exact key), in id order.
        let rows: Vec<(i64, String, Option<String>)> = match v {
            Value::Array(rows) => rows
                .iter()
                .filter_map(|r| {
                    let s = r.as_struct()?;
                    Some((
                        s.get("id")?.as_i64()?,
                        field.and_then(|f| text_of(s, f)).unwrap_or_default(),
                        exact_field.and_then(|f| text_of(s, f)),
                    ))
                })
                .collect(),
            _ => Vec::new(),
        };
        // Exact keys by hash (a batch of thousands of keys stays linear); the first (lowest
        // id) record carrying a key is the one kept. Markers are looked for only when the
        // model has a text field.
        let mut exact: std::collections::HashMap<&str, i64> =
            std::collections::HashMap::with_capacity(rows.len());
        for (id, _, key) in &rows {
            if let Some(key) = key {
                exact.entry(key.as_str()).or_insert(*id);
            }
        }
        Ok(keys
            .iter()
            .map(|key| {
                exact.get(key.as_str()).copied().or_else(|| {
                    field?;
                    let marker = key.marker();
                    rows.iter()
                        .find(|(_, text, _)| text.contains(&marker))
                        .map(|(id, ..)| *id)
                })
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_the_wire_conventions() {
        assert_eq!(to_wire(&record::Value::Null), Value::Bool(false));
        assert_eq!(to_wire(&record::Value::Many2one(7)), Value::Int(7));
        assert_eq!(
            to_wire(&record::Value::Ids(vec![1, 2])),
            Value::Array(vec![Value::Array(vec![
                Value::Int(6),
                Value::Int(0),
                Value::Array(vec![Value::Int(1), Value::Int(2)])
            ])])
        );
        let m2o = Value::Array(vec![Value::Int(3), Value::from("Vietnam")]);
        assert_eq!(from_wire(&m2o), record::Value::Many2one(3));
        assert_eq!(from_wire(&Value::Bool(false)), record::Value::Null);
        assert_eq!(
            from_wire(&Value::Array(vec![Value::Int(1), Value::Int(2)])),
            record::Value::Ids(vec![1, 2])
        );
        assert_eq!(
            from_wire_typed(&Value::Bool(false), &record::FieldType::Boolean),
            record::Value::Bool(false)
        );
        assert_eq!(
            from_wire_typed(&Value::Bool(false), &record::FieldType::Many2many),
            record::Value::Ids(vec![])
        );
        assert_eq!(
            from_wire_typed(&Value::Int(5), &record::FieldType::Float),
            record::Value::Float(5.0)
        );
    }
}
