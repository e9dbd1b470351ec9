//! Manual fields created over RPC through `ir.model.fields` (`x_` names only), which then
//! exist on their model like any other: searchable, readable, writable, in `fields_get`.

use super::create::create_record;
use super::fault::SimFault;
use super::load::field_row;
use super::store::Store;
use crate::record::{FieldDef, FieldType, Value};
use crate::xmlrpc::Value as X;

/// `ir.model.fields.create(vals)`: adds the field to its model and returns the new id.
pub(crate) fn create(store: &mut Store, uid: i64, arg: &X) -> Result<X, SimFault> {
    let list: Vec<&crate::xmlrpc::Struct> = match arg {
        X::Struct(s) => vec![s],
        X::Array(items) => items.iter().filter_map(X::as_struct).collect(),
        _ => Vec::new(),
    };
    let mut ids = Vec::new();
    for vals in list {
        ids.push(create_one(store, uid, vals)?);
    }
    Ok(match arg {
        X::Struct(_) => X::Int(ids.first().copied().unwrap_or(0)),
        _ => X::Array(ids.into_iter().map(X::Int).collect()),
    })
}

fn create_one(store: &mut Store, uid: i64, vals: &crate::xmlrpc::Struct) -> Result<i64, SimFault> {
    let text = |k: &str| vals.get(k).and_then(X::as_str).map(str::to_owned);
    let model = match (vals.get("model_id").and_then(X::as_i64), text("model")) {
        (Some(mid), _) => store
            .registry()
            .info
            .iter()
            .find(|(_, i)| i.ir_model_id == Some(mid))
            .map(|(m, _)| m.clone()),
        (None, Some(m)) => Some(m),
        _ => None,
    };
    let Some(model) = model.filter(|m| store.registry().model(m).is_some()) else {
        return Err(SimFault::validation(
            "The operation cannot be completed:\n- Create/update: a mandatory field is not set.\n\
             - Delete: another model requires the record being deleted. If possible, archive it \
             instead.\n\nModel: Fields (ir.model.fields), Field: Model (model_id)",
        ));
    };
    let name = text("name").unwrap_or_default();
    if !name.starts_with("x_") {
        return Err(SimFault::validation(
            "The operation cannot be completed: Custom fields must have a name that starts \
             with 'x_'!",
        ));
    }
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') || name.len() > 63 {
        return Err(SimFault::validation(format!(
            "Field names can only contain characters, digits and underscores (up to 63). \
             ({name})"
        )));
    }
    if store.registry().field(&model, &name).is_some() {
        // Recording custom-models/014: a UserError (code 2), no field named.
        return Err(SimFault::user(
            "The operation cannot be completed: Field names must be unique per model.",
        ));
    }
    let ttype = text("ttype").unwrap_or_else(|| "char".to_owned());
    let mut def = FieldDef::new(&name, FieldType::parse(&ttype));
    def.string = text("field_description").unwrap_or_else(|| name.clone());
    def.relation = text("relation");
    def.relation_field = text("relation_field");
    // Selection keys from `selection_ids` commands (custom-models/006).
    def.selection = super::custom_models::selection_of(vals);
    let flag = |k: &str| vals.get(k).and_then(X::as_bool).unwrap_or(false);
    def.required = flag("required");
    def.readonly = flag("readonly");
    def.store = vals.get("store").and_then(X::as_bool).unwrap_or(true);
    let mut attrs = serde_json::Map::new();
    attrs.insert("type".into(), ttype.clone().into());
    attrs.insert("string".into(), def.string.clone().into());
    attrs.insert("required".into(), def.required.into());
    attrs.insert("readonly".into(), def.readonly.into());
    attrs.insert("store".into(), def.store.into());
    attrs.insert("company_dependent".into(), false.into());
    if let Some(r) = &def.relation {
        attrs.insert("relation".into(), r.clone().into());
    }
    if let Some(r) = &def.relation_field {
        attrs.insert("relation_field".into(), r.clone().into());
    }
    if def.ty == FieldType::Selection {
        let pairs: Vec<serde_json::Value> = def
            .selection
            .iter()
            .map(|(k, l)| serde_json::json!([k, l]))
            .collect();
        attrs.insert("selection".into(), pairs.into());
    }
    let model_id = store
        .registry()
        .info
        .get(&model)
        .and_then(|i| i.ir_model_id)
        .unwrap_or(0);
    let mut row = field_row(&model, model_id, &def, "manual");
    row.push(("create_uid".to_owned(), Value::Many2one(uid)));
    if let Some(on_delete) = text("on_delete") {
        row.push(("on_delete".to_owned(), Value::Str(on_delete)));
    }
    let reg = &mut store.reg;
    if let Some(m) = reg.schema.models.get_mut(&model) {
        m.add(def);
    }
    reg.attrs
        .entry(model.clone())
        .or_default()
        .insert(name, attrs);
    Ok(create_record(store, "ir.model.fields", row, uid))
}
