//! The model registry: Odoo's own field metadata (the snapshot's `fields_get`) plus what
//! `ir.model` says about each model (description, default `_order`, its id).

use std::collections::BTreeMap;

use crate::record::{FieldDef, FieldType, ModelDef, Schema};

/// What the simulator knows about one model besides its fields.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelInfo {
    /// `ir.model.name`, e.g. "Lead/Opportunity" (used in access-error messages).
    pub description: String,
    /// `ir.model.order`, Odoo's `_order`, e.g. "priority desc, id desc".
    pub order: String,
    /// The model's `ir.model` id.
    pub ir_model_id: Option<i64>,
}

/// Field metadata and model information of every simulated model.
#[derive(Clone, Debug, Default)]
pub struct Registry {
    pub schema: Schema,
    pub info: BTreeMap<String, ModelInfo>,
    /// Each field's `fields_get` attributes exactly as Odoo sent them (model → field → attrs).
    pub attrs: BTreeMap<String, BTreeMap<String, serde_json::Map<String, serde_json::Value>>>,
}

impl Registry {
    pub(crate) fn model(&self, name: &str) -> Option<&ModelDef> {
        self.schema.model(name)
    }

    pub(crate) fn field(&self, model: &str, field: &str) -> Option<&FieldDef> {
        self.schema.field(model, field)
    }

    pub(crate) fn order(&self, model: &str) -> &str {
        self.info.get(model).map_or("id", |i| i.order.as_str())
    }

    pub(crate) fn description<'a>(&'a self, model: &'a str) -> &'a str {
        self.info
            .get(model)
            .map_or(model, |i| i.description.as_str())
    }

    /// Whether values of this field live in the row (rather than being computed on read).
    pub(crate) fn is_column(&self, def: &FieldDef) -> bool {
        if def.name == "id" || !def.store {
            return false;
        }
        if def.ty == FieldType::One2many {
            return !self.inverse_available(def);
        }
        true
    }

    /// A one2many whose inverse many2one is stored on a simulated comodel is computed from it.
    pub(crate) fn inverse_available(&self, def: &FieldDef) -> bool {
        match (&def.relation, &def.relation_field) {
            (Some(comodel), Some(inverse)) => self
                .field(comodel, inverse)
                .is_some_and(|f| f.ty == FieldType::Many2one && f.store),
            _ => false,
        }
    }
}

/// The fields of `ir.model.fields`, which the snapshot does not carry but custom-field
/// creation needs: the attributes Odoo's `ir.model.fields` exposes over RPC.
pub(crate) fn ir_model_fields_def() -> ModelDef {
    let mut def = ModelDef::new("ir.model.fields");
    let mut add = |name: &str, ty: FieldType, string: &str, relation: Option<&str>| {
        let mut f = FieldDef::new(name, ty);
        f.string = string.to_owned();
        f.relation = relation.map(str::to_owned);
        def.add(f);
    };
    add("id", FieldType::Integer, "ID", None);
    add("name", FieldType::Char, "Field Name", None);
    add("complete_name", FieldType::Char, "Complete Name", None);
    add("model", FieldType::Char, "Model Name", None);
    add("model_id", FieldType::Many2one, "Model", Some("ir.model"));
    add("field_description", FieldType::Char, "Field Label", None);
    add("help", FieldType::Text, "Field Help", None);
    add("ttype", FieldType::Char, "Field Type", None);
    add("relation", FieldType::Char, "Related Model", None);
    add("relation_field", FieldType::Char, "Related Field", None);
    add("required", FieldType::Boolean, "Required", None);
    add("readonly", FieldType::Boolean, "Readonly", None);
    add("store", FieldType::Boolean, "Stored", None);
    add("index", FieldType::Boolean, "Indexed", None);
    add("copied", FieldType::Boolean, "Copied", None);
    add("related", FieldType::Char, "Related Field Definition", None);
    add("display_name", FieldType::Char, "Display Name", None);
    let mut state = FieldDef::new("state", FieldType::Selection);
    state.string = "Type".to_owned();
    state.selection = vec![
        ("manual".to_owned(), "Custom Field".to_owned()),
        ("base".to_owned(), "Base Field".to_owned()),
    ];
    def.add(state);
    if let Some(f) = def.fields.get_mut("display_name") {
        f.store = false;
    }
    def
}
