//! A small in-memory `RecordStore` for the generator's tests: it loads the snapshot's records
//! (converted from Odoo's wire JSON with the snapshot's own field types) and can drop the
//! records of chosen models after counting them, for the million-lead run.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use crate::record::{FieldType, RecordStore, Schema, Value};

pub type Row = Vec<(String, Value)>;

#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Table {
    pub next_id: i64,
    pub rows: Vec<(i64, Row)>,
    /// Records created but not kept (models in `MemStore::discard`).
    pub dropped: usize,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct MemStore {
    pub tables: BTreeMap<String, Table>,
    pub passwords: BTreeMap<i64, String>,
    pub discard: BTreeSet<String>,
}

struct Snapshot {
    schema: Schema,
    store: MemStore,
}

fn snapshot() -> &'static Snapshot {
    static SNAP: OnceLock<Snapshot> = OnceLock::new();
    SNAP.get_or_init(|| {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/odoo17/snapshot.json"
        ))
        .expect("snapshot fixture");
        let doc: serde_json::Value = serde_json::from_str(&text).expect("snapshot json");
        let schema = Schema::from_snapshot_json(&doc).expect("schema");
        let mut store = MemStore::default();
        for (model, body) in doc["models"].as_object().expect("models") {
            let mut table = Table::default();
            for rec in body["records"].as_array().expect("records") {
                let obj = rec.as_object().expect("record object");
                let id = obj["id"].as_i64().expect("record id");
                let mut row: Row = Vec::with_capacity(obj.len());
                for (field, json) in obj {
                    let ty = schema.field(model, field).map(|f| f.ty.clone());
                    row.push((field.clone(), from_wire(ty.as_ref(), json)));
                }
                table.next_id = table.next_id.max(id + 1);
                table.rows.push((id, row));
            }
            table.next_id = table.next_id.max(1);
            store.tables.insert(model.clone(), table);
        }
        Snapshot { schema, store }
    })
}

pub(crate) fn schema() -> &'static Schema {
    &snapshot().schema
}

/// Odoo's wire JSON → `Value`, by field type (`false` is NULL except for booleans).
fn from_wire(ty: Option<&FieldType>, v: &serde_json::Value) -> Value {
    use serde_json::Value as J;
    match (ty, v) {
        (Some(FieldType::Boolean), J::Bool(b)) => Value::Bool(*b),
        (_, J::Bool(false)) | (_, J::Null) => Value::Null,
        (Some(FieldType::Many2one), J::Array(pair)) => pair
            .first()
            .and_then(J::as_i64)
            .map_or(Value::Null, Value::Many2one),
        (Some(FieldType::One2many | FieldType::Many2many), J::Array(ids)) => {
            Value::Ids(ids.iter().filter_map(J::as_i64).collect())
        }
        (Some(FieldType::Float | FieldType::Monetary), J::Number(n)) => {
            Value::Float(n.as_f64().unwrap_or(0.0))
        }
        (_, J::Number(n)) => n
            .as_i64()
            .map(Value::Int)
            .unwrap_or_else(|| Value::Float(n.as_f64().unwrap_or(0.0))),
        (_, J::String(s)) => Value::Str(s.clone()),
        (_, J::Bool(true)) => Value::Bool(true),
        _ => Value::Null,
    }
}

impl MemStore {
    /// A fresh copy of the snapshot's records.
    pub(crate) fn with_snapshot() -> MemStore {
        snapshot().store.clone()
    }

    pub(crate) fn rows(&self, model: &str) -> &[(i64, Row)] {
        self.tables.get(model).map_or(&[], |t| &t.rows)
    }

    pub(crate) fn exists(&self, model: &str, id: i64) -> bool {
        self.rows(model).binary_search_by_key(&id, |r| r.0).is_ok()
    }

    pub(crate) fn get<'a>(row: &'a Row, field: &str) -> Option<&'a Value> {
        row.iter().find(|(f, _)| f == field).map(|(_, v)| v)
    }

    pub(crate) fn row(&self, model: &str, id: i64) -> Option<&Row> {
        let rows = self.rows(model);
        rows.binary_search_by_key(&id, |r| r.0)
            .ok()
            .map(|i| &rows[i].1)
    }
}

impl RecordStore for MemStore {
    fn create(&mut self, model: &str, values: Vec<(String, Value)>) -> i64 {
        let keep = !self.discard.contains(model);
        let table = self
            .tables
            .entry(model.to_owned())
            .or_insert_with(|| Table {
                next_id: 1,
                ..Table::default()
            });
        let id = table.next_id;
        table.next_id += 1;
        if keep {
            table.rows.push((id, values));
        } else {
            table.dropped += 1;
        }
        id
    }

    fn search_eq(&self, model: &str, field: &str, value: &Value) -> Vec<i64> {
        self.rows(model)
            .iter()
            .filter(|(id, row)| {
                if field == "id" {
                    return value.as_i64() == Some(*id);
                }
                MemStore::get(row, field) == Some(value)
            })
            .map(|(id, _)| *id)
            .collect()
    }

    fn set_password(&mut self, uid: i64, password: &str) {
        self.passwords.insert(uid, password.to_owned());
    }
}
