//! [`crate::apply::OdooWriter`] over the real client, the one writer of every job: grouped
//! `write`s, batch `create`s, re-reads with archived records included (`active_test: False`),
//! and idempotency keys found where the job's table ([`KeyLookup`] per model) says they live:
//! exactly in a technical field, as a marker in a text field (`ilike`, then an exact check),
//! or recomputed from the record's fields. Also the conversions between engine values
//! ([`record::Value`]) and wire values that every job needs.

use std::collections::{HashMap, HashSet};

use super::client::OdooClient;
use super::error::OdooError;
use super::helpers::leaf;
use super::row::Row;
use crate::apply::{OdooWriter, ReadRows, WriteError};
use crate::plan::IdemKey;
use crate::record;
use crate::xmlrpc::{Struct, Value};

/// Where the records of one model carry their idempotency key. The writer knows no model:
/// each job passes the table of its own ([`ClientWriter::with_keys`]).
#[derive(Clone, Copy, Debug)]
pub enum KeyLookup {
    /// The `[sk:…]` marker inside a text field people read (a karma entry's `reason`).
    Marker { text: &'static str },
    /// The plain key in a technical char field (`x_sk_key`). With `legacy_text`, records
    /// written before the field existed carry the marker in that text field instead, and
    /// whether the database has the field yet is asked once, when first needed.
    Field {
        field: &'static str,
        legacy_text: Option<&'static str>,
    },
    /// No stored key: the key is a function of the record's fields (a goal's line, user and
    /// period).
    Derived(DerivedKey),
}

/// A key recomputed from a record's fields.
#[derive(Clone, Copy, Debug)]
pub struct DerivedKey {
    /// The fields [`key_of`](Self::key_of) reads.
    pub fields: &'static [&'static str],
    /// The search narrowing the candidates for some keys.
    pub domain: fn(&[IdemKey]) -> Vec<Value>,
    /// The key a record carries (`None`: it carries none).
    pub key_of: fn(&Row<'_>) -> Option<IdemKey>,
}

/// The client seen as apply's writer: grouped writes, batch creates, re-reads with archived
/// records, and keys looked up where the job's table says they live.
pub struct ClientWriter<'a> {
    client: &'a OdooClient,
    keys: HashMap<&'static str, KeyLookup>,
    /// The models whose technical key field exists, asked once (models with a legacy text).
    present: tokio::sync::OnceCell<HashSet<String>>,
}

impl<'a> ClientWriter<'a> {
    /// A writer that knows no keyed model yet (enough for writes).
    pub fn new(client: &'a OdooClient) -> Self {
        ClientWriter {
            client,
            keys: HashMap::new(),
            present: tokio::sync::OnceCell::new(),
        }
    }

    /// Declares where the records of some models carry their keys.
    pub(crate) fn with_keys(
        mut self,
        table: impl IntoIterator<Item = (&'static str, KeyLookup)>,
    ) -> Self {
        self.keys.extend(table);
        self
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
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let lookup = self.keys.get(model).copied().ok_or_else(|| {
            WriteError::Permanent(format!(
                "no field is declared to carry idempotency keys on {model}"
            ))
        })?;
        match lookup {
            KeyLookup::Marker { text } => self.find_stored(model, keys, None, Some(text)).await,
            KeyLookup::Field {
                field,
                legacy_text: None,
            } => self.find_stored(model, keys, Some(field), None).await,
            KeyLookup::Field {
                field,
                legacy_text: Some(text),
            } => {
                let exact = self.has_key_field(model).await?.then_some(field);
                self.find_stored(model, keys, exact, Some(text)).await
            }
            KeyLookup::Derived(derived) => self.find_derived(model, keys, derived).await,
        }
    }
}

impl ClientWriter<'_> {
    /// Whether `model` has its technical key field in this database: one `ir.model.fields`
    /// search for every model declared with a legacy text, the first time one is asked.
    async fn has_key_field(&self, model: &str) -> Result<bool, WriteError> {
        let present = self
            .present
            .get_or_try_init(|| async {
                let (models, fields): (Vec<&str>, HashSet<&str>) = self
                    .keys
                    .iter()
                    .filter_map(|(m, k)| match k {
                        KeyLookup::Field {
                            field,
                            legacy_text: Some(_),
                        } => Some((*m, *field)),
                        _ => None,
                    })
                    .unzip();
                let mut models = models;
                models.sort_unstable();
                let name = match fields.iter().next() {
                    Some(f) if fields.len() == 1 => leaf("name", "=", *f),
                    _ => leaf(
                        "name",
                        "in",
                        Value::Array(fields.iter().map(|f| Value::from(*f)).collect()),
                    ),
                };
                let model_in = leaf(
                    "model",
                    "in",
                    Value::Array(models.iter().map(|m| Value::from(*m)).collect()),
                );
                let rows = self
                    .client
                    .search_read_all("ir.model.fields", vec![name, model_in], &["model", "name"])
                    .await?;
                let mut present = HashSet::new();
                for r in &rows {
                    let row = Row::new("ir.model.fields", r);
                    let text = |f: &str| {
                        row.text(f).map_err(|e| OdooError::UnexpectedReply {
                            call: "ir.model.fields.search_read".into(),
                            expected: "a field's model and name",
                            got: e.to_string(),
                        })
                    };
                    let (Some(m), Some(f)) = (text("model")?, text("name")?) else {
                        continue;
                    };
                    let declared = matches!(
                        self.keys.get(m.as_str()),
                        Some(KeyLookup::Field { field, .. }) if *field == f
                    );
                    if declared {
                        present.insert(m);
                    }
                }
                Ok::<_, OdooError>(present)
            })
            .await
            .map_err(classify)?;
        Ok(present.contains(model))
    }

    /// Keys stored in the records: exactly in `exact` (a technical field such as `x_sk_key`)
    /// and/or as the marker in the `text` field, found in one search.
    async fn find_stored(
        &self,
        model: &str,
        keys: &[IdemKey],
        exact: Option<&str>,
        text: Option<&str>,
    ) -> Result<Vec<Option<i64>>, WriteError> {
        // One search: `'|'`-joined leaves (the exact field `in` the keys, and one ilike per
        // marker), then the key checked here, since ilike is case-insensitive and may be
        // unaccented.
        let mut leaves: Vec<Value> = Vec::with_capacity(keys.len() + 1);
        if let Some(exact) = exact {
            let wanted = keys.iter().map(|k| Value::from(k.as_str())).collect();
            leaves.push(leaf(exact, "in", Value::Array(wanted)));
        }
        if let Some(text) = text {
            leaves.extend(
                keys.iter()
                    .map(|k| leaf(text, "ilike", Value::from(k.marker()))),
            );
        }
        let mut domain: Vec<Value> = (1..leaves.len()).map(|_| Value::from("|")).collect();
        domain.extend(leaves);
        let fields: Vec<&str> = text.into_iter().chain(exact).collect();
        let rows = self.search_read(model, domain, &fields).await?;
        // Exact keys by hash (a batch of thousands of keys stays linear); the first (lowest
        // id) record carrying a key is the one kept. Markers are looked for only when the
        // model has a text field.
        let mut by_exact: HashMap<String, i64> = HashMap::with_capacity(rows.len());
        let mut texts: Vec<(i64, String)> = Vec::new();
        for r in &rows {
            let row = Row::new(model, r);
            let id = row.id().map_err(|e| WriteError::Permanent(e.to_string()))?;
            let text_of = |f: &str| {
                row.text(f)
                    .map_err(|e| WriteError::Permanent(e.to_string()))
            };
            if let Some(key) = exact.map(text_of).transpose()?.flatten() {
                by_exact.entry(key).or_insert(id);
            }
            if let Some(t) = text.map(text_of).transpose()?.flatten() {
                texts.push((id, t));
            }
        }
        Ok(keys
            .iter()
            .map(|key| {
                by_exact.get(key.as_str()).copied().or_else(|| {
                    text?;
                    let marker = key.marker();
                    texts
                        .iter()
                        .find(|(_, t)| t.contains(&marker))
                        .map(|(id, _)| *id)
                })
            })
            .collect())
    }

    /// Keys recomputed from the records the derived key's domain finds.
    async fn find_derived(
        &self,
        model: &str,
        keys: &[IdemKey],
        derived: DerivedKey,
    ) -> Result<Vec<Option<i64>>, WriteError> {
        let rows = self
            .client
            .search_read_all(model, (derived.domain)(keys), derived.fields)
            .await
            .map_err(classify)?;
        // Lowest id first, as for stored keys.
        let mut found: HashMap<IdemKey, i64> = HashMap::with_capacity(rows.len());
        for r in &rows {
            let row = Row::new(model, r);
            if let (Some(key), Ok(id)) = ((derived.key_of)(&row), row.id()) {
                found
                    .entry(key)
                    .and_modify(|kept| *kept = (*kept).min(id))
                    .or_insert(id);
            }
        }
        Ok(keys.iter().map(|k| found.get(k).copied()).collect())
    }

    /// `search_read` with archived records included, in id order.
    async fn search_read(
        &self,
        model: &str,
        domain: Vec<Value>,
        fields: &[&str],
    ) -> Result<Vec<Struct>, WriteError> {
        let mut kwargs = Struct::new();
        kwargs.push(
            "fields",
            Value::Array(fields.iter().map(|f| Value::from(*f)).collect()),
        );
        kwargs.push("context", Value::Struct(no_active_test()));
        kwargs.push("order", Value::from("id"));
        let v = self
            .client
            .execute_kw(model, "search_read", vec![Value::Array(domain)], kwargs)
            .await
            .map_err(classify)?;
        match v {
            Value::Array(rows) => Ok(rows
                .into_iter()
                .filter_map(|r| match r {
                    Value::Struct(s) => Some(s),
                    _ => None,
                })
                .collect()),
            other => Err(WriteError::Permanent(format!(
                "{model}.search_read returned {} instead of records",
                other.type_name()
            ))),
        }
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
