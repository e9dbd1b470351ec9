//! Field metadata of Odoo models, as Odoo's own `fields_get` describes them. The simulator's
//! registry, the domain validator and `scorekeeper check` all read it from here, so nobody
//! writes field lists by hand.

use std::collections::BTreeMap;

/// The `type` attribute of a field.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum FieldType {
    Char,
    Text,
    Html,
    Selection,
    Integer,
    Float,
    Monetary,
    Boolean,
    Date,
    Datetime,
    Many2one,
    One2many,
    Many2many,
    Binary,
    Reference,
    Many2oneReference,
    Json,
    Properties,
    PropertiesDefinition,
    /// A type this version does not know; kept so new Odoo versions still load.
    Other(String),
}

impl FieldType {
    pub fn parse(s: &str) -> FieldType {
        match s {
            "char" => FieldType::Char,
            "text" => FieldType::Text,
            "html" => FieldType::Html,
            "selection" => FieldType::Selection,
            "integer" => FieldType::Integer,
            "float" => FieldType::Float,
            "monetary" => FieldType::Monetary,
            "boolean" => FieldType::Boolean,
            "date" => FieldType::Date,
            "datetime" => FieldType::Datetime,
            "many2one" => FieldType::Many2one,
            "one2many" => FieldType::One2many,
            "many2many" => FieldType::Many2many,
            "binary" => FieldType::Binary,
            "reference" => FieldType::Reference,
            "many2one_reference" => FieldType::Many2oneReference,
            "json" => FieldType::Json,
            "properties" => FieldType::Properties,
            "properties_definition" => FieldType::PropertiesDefinition,
            other => FieldType::Other(other.to_owned()),
        }
    }

    pub(crate) fn as_str(&self) -> &str {
        match self {
            FieldType::Char => "char",
            FieldType::Text => "text",
            FieldType::Html => "html",
            FieldType::Selection => "selection",
            FieldType::Integer => "integer",
            FieldType::Float => "float",
            FieldType::Monetary => "monetary",
            FieldType::Boolean => "boolean",
            FieldType::Date => "date",
            FieldType::Datetime => "datetime",
            FieldType::Many2one => "many2one",
            FieldType::One2many => "one2many",
            FieldType::Many2many => "many2many",
            FieldType::Binary => "binary",
            FieldType::Reference => "reference",
            FieldType::Many2oneReference => "many2one_reference",
            FieldType::Json => "json",
            FieldType::Properties => "properties",
            FieldType::PropertiesDefinition => "properties_definition",
            FieldType::Other(s) => s,
        }
    }

    pub(crate) fn is_relational(&self) -> bool {
        matches!(
            self,
            FieldType::Many2one | FieldType::One2many | FieldType::Many2many
        )
    }

    /// integer, float, monetary: Odoo reads their NULL as `0`.
    pub(crate) fn is_numeric(&self) -> bool {
        matches!(
            self,
            FieldType::Integer | FieldType::Float | FieldType::Monetary
        )
    }
}

/// One field's metadata (the attributes the snapshot's `fields_get` carries).
#[derive(Clone, Debug, PartialEq)]
pub struct FieldDef {
    pub name: String,
    pub ty: FieldType,
    /// Label (`string`).
    pub string: String,
    /// Comodel of relational fields.
    pub relation: Option<String>,
    /// Inverse many2one of a one2many.
    pub relation_field: Option<String>,
    pub required: bool,
    pub readonly: bool,
    pub store: bool,
    /// `related` path, e.g. `["line_id", "challenge_id"]`.
    pub related: Option<Vec<String>>,
    pub company_dependent: bool,
    /// Selection keys and labels, in Odoo's order.
    pub selection: Vec<(String, String)>,
}

impl FieldDef {
    /// A stored field of the given type with default attributes (handy in tests).
    pub fn new(name: impl Into<String>, ty: FieldType) -> Self {
        let name = name.into();
        FieldDef {
            string: name.clone(),
            name,
            ty,
            relation: None,
            relation_field: None,
            required: false,
            readonly: false,
            store: true,
            related: None,
            company_dependent: false,
            selection: Vec::new(),
        }
    }

    pub fn with_relation(mut self, comodel: impl Into<String>) -> Self {
        self.relation = Some(comodel.into());
        self
    }

    /// Builds a field from one entry of a `fields_get` answer held as JSON.
    pub(crate) fn from_json(name: &str, attrs: &serde_json::Value) -> Option<FieldDef> {
        let obj = attrs.as_object()?;
        let str_attr = |k: &str| obj.get(k).and_then(|v| v.as_str()).map(str::to_owned);
        let bool_attr = |k: &str| obj.get(k).and_then(|v| v.as_bool()).unwrap_or(false);
        let ty = FieldType::parse(obj.get("type")?.as_str()?);
        let selection = obj
            .get("selection")
            .and_then(|v| v.as_array())
            .map(|pairs| {
                pairs
                    .iter()
                    .filter_map(|p| {
                        let p = p.as_array()?;
                        Some((
                            p.first()?.as_str()?.to_owned(),
                            p.get(1)?.as_str().unwrap_or("").to_owned(),
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let related = obj.get("related").and_then(|v| match v {
            serde_json::Value::String(s) => Some(s.split('.').map(str::to_owned).collect()),
            serde_json::Value::Array(parts) => Some(
                parts
                    .iter()
                    .filter_map(|p| p.as_str().map(str::to_owned))
                    .collect(),
            ),
            _ => None,
        });
        Some(FieldDef {
            name: name.to_owned(),
            string: str_attr("string").unwrap_or_else(|| name.to_owned()),
            // Odoo sends no relation (or an empty one) for non-relational fields.
            relation: str_attr("relation").filter(|s| !s.is_empty()),
            relation_field: str_attr("relation_field").filter(|s| !s.is_empty()),
            required: bool_attr("required"),
            readonly: bool_attr("readonly"),
            store: obj.get("store").and_then(|v| v.as_bool()).unwrap_or(true),
            related,
            company_dependent: bool_attr("company_dependent"),
            selection,
            ty,
        })
    }
}

/// The fields of one model, by name.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ModelDef {
    pub name: String,
    pub fields: BTreeMap<String, FieldDef>,
}

impl ModelDef {
    pub fn new(name: impl Into<String>) -> Self {
        ModelDef {
            name: name.into(),
            fields: BTreeMap::new(),
        }
    }

    pub fn field(&self, name: &str) -> Option<&FieldDef> {
        self.fields.get(name)
    }

    pub fn add(&mut self, field: FieldDef) {
        self.fields.insert(field.name.clone(), field);
    }
}

/// Field metadata for a set of models.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Schema {
    pub models: BTreeMap<String, ModelDef>,
}

impl Schema {
    pub fn model(&self, name: &str) -> Option<&ModelDef> {
        self.models.get(name)
    }

    pub(crate) fn field(&self, model: &str, field: &str) -> Option<&FieldDef> {
        self.models.get(model)?.field(field)
    }

    pub fn add_model(&mut self, model: ModelDef) {
        self.models.insert(model.name.clone(), model);
    }

    /// Loads the `{"models": {name: {"fields": {...}}}}` layout of `fixtures/odoo17/snapshot.json`
    /// (records, if present, are ignored here).
    pub fn from_snapshot_json(doc: &serde_json::Value) -> Option<Schema> {
        let mut schema = Schema::default();
        for (model, body) in doc.get("models")?.as_object()? {
            let mut def = ModelDef::new(model.clone());
            for (name, attrs) in body.get("fields")?.as_object()? {
                if let Some(field) = FieldDef::from_json(name, attrs) {
                    def.add(field);
                }
            }
            schema.add_model(def);
        }
        Some(schema)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_the_real_snapshot_metadata() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/odoo17/snapshot.json"
        ))
        .expect("snapshot fixture");
        let doc: serde_json::Value = serde_json::from_str(&text).expect("valid json");
        let schema = Schema::from_snapshot_json(&doc).expect("schema");
        assert_eq!(schema.models.len(), 29);
        let user = schema.field("crm.lead", "user_id").expect("user_id");
        assert_eq!(user.ty, FieldType::Many2one);
        assert_eq!(user.relation.as_deref(), Some("res.users"));
        let prio = schema.field("crm.lead", "priority").expect("priority");
        assert_eq!(prio.selection[3], ("3".to_owned(), "Very High".to_owned()));
        let acts = schema
            .field("crm.lead", "activity_ids")
            .expect("activity_ids");
        assert_eq!(acts.relation_field.as_deref(), Some("res_id"));
        assert!(schema.field("crm.lead", "x_lead_score").is_none());
    }
}
