//! Builds a [`Store`] from `snapshot.json` (Odoo's own `fields_get` and records of 29
//! models): wire JSON becomes typed values, `ir.model` gives each model's `_order`, and
//! `ir.model.fields` rows are rebuilt from `ir.model.field_id` so their ids match Odoo's.

use std::collections::BTreeMap;

use super::registry::{ModelInfo, Registry, ir_model_fields_def};
use super::store::Store;
use crate::record::{FieldDef, FieldType, RecordStore, Schema, Value};

/// Why a snapshot could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} is not valid JSON: {source}")]
    Json {
        path: String,
        source: serde_json::Error,
    },
    #[error("the snapshot has no \"models\" object with fields_get metadata")]
    Layout,
    #[error("no recording of Odoo {0}: the simulator speaks Odoo 17 and 19")]
    Version(i64),
}

/// The API key the Odoo 17 transcripts use (102-103), a throwaway of that database.
pub(crate) const SNAPSHOT_API_KEY: &str = "0103fda22b847d23908ca3ca45120c4537bc5fcb";
/// The API key the Odoo 19 transcripts use (102-103), a throwaway of that database.
pub(crate) const SNAPSHOT_19_API_KEY: &str = "d61eca8317a7d9fd7aa48bdb49fdac1b630a866b";
/// The demo user's API key on the 19 simulator. `fixtures/odoo19/json2-mirror` (083–085)
/// calls as the demo user with a key of its own, masked in the recording: this one is the
/// simulator's.
pub(crate) const SNAPSHOT_19_DEMO_API_KEY: &str = "5e0d1f3c9a7b4e2d8c6a0b1f3e5d7c9a2b4d6f80";

/// The major version a snapshot was recorded on (`server_version_info[0]`; 17 if absent).
pub(crate) fn snapshot_major(doc: &serde_json::Value) -> i64 {
    doc.pointer("/server_version/server_version_info/0")
        .and_then(|v| v.as_i64())
        .unwrap_or(17)
}

pub(crate) fn store_from_snapshot(doc: &serde_json::Value) -> Result<Store, LoadError> {
    let mut schema = Schema::from_snapshot_json(doc).ok_or(LoadError::Layout)?;
    schema.add_model(ir_model_fields_def());
    let models = doc
        .get("models")
        .and_then(|m| m.as_object())
        .ok_or(LoadError::Layout)?;
    let mut info = BTreeMap::new();
    if let Some(records) = models
        .get("ir.model")
        .and_then(|m| m.get("records"))
        .and_then(|r| r.as_array())
    {
        for r in records {
            let (Some(model), Some(id)) =
                (r.get("model").and_then(|v| v.as_str()), r["id"].as_i64())
            else {
                continue;
            };
            info.insert(
                model.to_owned(),
                ModelInfo {
                    description: r["name"].as_str().unwrap_or(model).to_owned(),
                    order: r["order"].as_str().unwrap_or("id").to_owned(),
                    ir_model_id: Some(id),
                },
            );
        }
    }
    info.entry("ir.model.fields".to_owned())
        .or_insert_with(|| ModelInfo {
            description: "Fields".to_owned(),
            order: "name".to_owned(),
            ir_model_id: None,
        });
    let mut attrs = BTreeMap::new();
    for (model, body) in models {
        if let Some(fields) = body.get("fields").and_then(|f| f.as_object()) {
            let per_model: BTreeMap<_, _> = fields
                .iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_object()?.clone())))
                .collect();
            attrs.insert(model.clone(), per_model);
        }
    }
    let mut registry = Registry {
        schema,
        info,
        attrs,
    };
    super::custom_models::install_meta_models(&mut registry, major_version(doc));
    let products = super::products::install(&mut registry);
    let mut store = Store::new(registry);
    super::custom_models::seed_xml_ids(&mut store, major_version(doc));
    for (model, body) in models {
        let Some(records) = body.get("records").and_then(|r| r.as_array()) else {
            continue;
        };
        for rec in records {
            let Some(obj) = rec.as_object() else { continue };
            let Some(id) = obj.get("id").and_then(|v| v.as_i64()) else {
                continue;
            };
            let mut values = Vec::with_capacity(obj.len());
            for (name, raw) in obj {
                let Some(def) = store.reg.field(model, name).cloned() else {
                    continue;
                };
                let v = from_json(&def, raw, &mut |comodel, cid, label| {
                    store.add_hint(comodel, cid, label)
                });
                values.push((name.clone(), v));
            }
            store.put(model, id, values);
        }
    }
    build_ir_model_fields(&mut store, models);
    if products {
        super::products::seed(&mut store);
    }
    // The recorded logins (password = login): admin is uid 2 everywhere, demo is 6 on 17
    // and 5 on 19; the API key is the one each version's transcripts use.
    let key = match snapshot_major(doc) {
        19 => SNAPSHOT_19_API_KEY,
        _ => SNAPSHOT_API_KEY,
    };
    for login in ["admin", "demo"] {
        if let Some(&uid) = store
            .search_eq("res.users", "login", &Value::Str(login.to_owned()))
            .first()
        {
            let mut secrets = vec![login.to_owned()];
            let key = match (login, snapshot_major(doc)) {
                ("admin", _) => Some(key),
                ("demo", 19) => Some(SNAPSHOT_19_DEMO_API_KEY),
                _ => None,
            };
            if let Some(key) = key {
                // Odoo takes an API key wherever it takes a password (XML-RPC, JSON-RPC).
                secrets.push(key.to_owned());
                store.api_keys.insert(key.to_owned(), uid);
            }
            store.secrets.insert(uid, secrets);
        }
    }
    Ok(store)
}

/// A snapshot (wire-form) JSON value as a typed value of field `def`.
fn from_json(
    def: &FieldDef,
    raw: &serde_json::Value,
    hint: &mut dyn FnMut(&str, i64, &str),
) -> Value {
    use serde_json::Value as J;
    match (&def.ty, raw) {
        (FieldType::Boolean, J::Bool(b)) => Value::Bool(*b),
        (FieldType::Json | FieldType::Properties | FieldType::PropertiesDefinition, v) => {
            if v.is_null() || *v == J::Bool(false) {
                Value::Null
            } else {
                Value::Str(v.to_string())
            }
        }
        (_, J::Bool(false) | J::Null) => Value::Null,
        (FieldType::Integer | FieldType::Many2oneReference, J::Number(n)) => n
            .as_i64()
            .map_or(Value::Float(n.as_f64().unwrap_or(0.0)), Value::Int),
        // The wire sends NULL floats as 0.0; Odoo's demo data leaves most amounts NULL (lead
        // ordering by `expected_revenue desc` proves it), so a recorded 0.0 loads as NULL.
        (FieldType::Float | FieldType::Monetary, J::Number(n)) => match n.as_f64() {
            Some(f) if f != 0.0 => Value::Float(f),
            _ => Value::Null,
        },
        (FieldType::Many2one, J::Array(pair)) => match pair.first().and_then(|v| v.as_i64()) {
            Some(id) => {
                if let (Some(comodel), Some(label)) =
                    (&def.relation, pair.get(1).and_then(|v| v.as_str()))
                {
                    hint(comodel, id, label);
                }
                Value::Many2one(id)
            }
            None => Value::Null,
        },
        (FieldType::Many2one, J::Number(n)) => n.as_i64().map_or(Value::Null, Value::Many2one),
        (FieldType::One2many | FieldType::Many2many, J::Array(items)) => {
            Value::Ids(items.iter().filter_map(|v| v.as_i64()).collect())
        }
        (_, J::String(s)) => Value::Str(s.clone()),
        (_, J::Number(n)) => n
            .as_i64()
            .map_or(Value::Float(n.as_f64().unwrap_or(0.0)), Value::Int),
        (_, J::Bool(true)) => Value::Bool(true),
        _ => Value::Null,
    }
}

/// Rebuilds `ir.model.fields`: `ir.model.field_id` lists the field ids in `name` order, so
/// zipping them with the sorted field names gives each field its Odoo id.
fn build_ir_model_fields(store: &mut Store, models: &serde_json::Map<String, serde_json::Value>) {
    let Some(records) = models
        .get("ir.model")
        .and_then(|m| m.get("records"))
        .and_then(|r| r.as_array())
    else {
        return;
    };
    let mut max_id = 0;
    let mut rows = Vec::new();
    for r in records {
        let (Some(model), Some(model_id), Some(field_ids)) = (
            r["model"].as_str(),
            r["id"].as_i64(),
            r["field_id"].as_array(),
        ) else {
            continue;
        };
        let ids: Vec<i64> = field_ids.iter().filter_map(|v| v.as_i64()).collect();
        max_id = max_id.max(ids.iter().copied().max().unwrap_or(0));
        let Some(def) = store.reg.model(model) else {
            continue;
        };
        if def.fields.len() != ids.len() {
            // fields_get also lists inherited fields; without a one-to-one match the ids
            // cannot be attributed, so this model's fields are left out.
            continue;
        }
        for (fid, field) in ids.into_iter().zip(def.fields.values()) {
            rows.push((fid, field_row(model, model_id, field, "base")));
        }
    }
    for (fid, values) in rows {
        store.put("ir.model.fields", fid, values);
    }
    if let Some(t) = store.table_mut("ir.model.fields") {
        t.bump_sequence(max_id + 1);
    }
}

/// The major version of the recorded server (`server_version_info[0]`, else 17).
fn major_version(doc: &serde_json::Value) -> u32 {
    let v = doc.get("server_version");
    v.and_then(|v| v.get("server_version_info"))
        .and_then(|i| i.get(0))
        .and_then(serde_json::Value::as_u64)
        .or_else(|| {
            let text = v
                .and_then(|v| v.get("server_version").or(Some(v)))?
                .as_str()?;
            text.split('.')
                .next()?
                .trim_start_matches("saas~")
                .parse()
                .ok()
        })
        .and_then(|m| u32::try_from(m).ok())
        .unwrap_or(17)
}

/// The `ir.model.fields` row describing `field` of `model`.
pub(crate) fn field_row(
    model: &str,
    model_id: i64,
    field: &FieldDef,
    state: &str,
) -> Vec<(String, Value)> {
    let s = |v: &str| Value::Str(v.to_owned());
    vec![
        ("name".into(), s(&field.name)),
        (
            "complete_name".into(),
            s(&format!("{model}.{}", field.name)),
        ),
        ("model".into(), s(model)),
        ("model_id".into(), Value::Many2one(model_id)),
        ("field_description".into(), s(&field.string)),
        ("ttype".into(), s(field.ty.as_str())),
        (
            "relation".into(),
            field.relation.as_deref().map_or(Value::Null, s),
        ),
        (
            "relation_field".into(),
            field.relation_field.as_deref().map_or(Value::Null, s),
        ),
        ("required".into(), Value::Bool(field.required)),
        ("readonly".into(), Value::Bool(field.readonly)),
        ("store".into(), Value::Bool(field.store)),
        ("state".into(), s(state)),
    ]
}
