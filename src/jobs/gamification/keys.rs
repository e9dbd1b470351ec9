//! Where the idempotency key of a badge grant or a karma entry lives. People read a grant's
//! `comment` and a tracking's `reason` in Odoo's own screens, so the key goes into a technical
//! char field, `x_sk_key`, that `scorekeeper setup` creates on both models (Odoo shows it only
//! in developer mode). Until setup has created it, keys are appended to the text as a marker
//! (`[sk:…]`), as older versions did; records keyed that way are recognised either way.

use std::collections::HashSet;

use crate::odoo::{OdooClient, OdooError, Row, leaf};
use crate::plan::IdemKey;
use crate::record::Value;
use crate::xmlrpc::{Struct, Value as X};

/// The technical field holding the key.
pub const KEY_FIELD: &str = "x_sk_key";

/// The models whose records carry a key, and the text field that carried it before.
pub(crate) const KEYED_MODELS: [(&str, &str); 2] = [
    ("gamification.karma.tracking", "reason"),
    ("gamification.badge.user", "comment"),
];

/// Which keyed models have [`KEY_FIELD`] in this database.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyFields(HashSet<String>);

impl KeyFields {
    /// Every keyed model has the field (tests, and databases set up by `setup`).
    pub(crate) fn all() -> KeyFields {
        KeyFields(KEYED_MODELS.iter().map(|(m, _)| (*m).to_owned()).collect())
    }

    pub(crate) fn has(&self, model: &str) -> bool {
        self.0.contains(model)
    }

    /// Puts `key` into a record's `values`: in [`KEY_FIELD`] when the model has it, otherwise
    /// appended to the text field as the legacy marker.
    pub(crate) fn put(&self, model: &str, values: &mut Vec<(String, Value)>, key: &IdemKey) {
        if self.has(model) {
            values.push((KEY_FIELD.to_owned(), Value::Str(key.as_str().to_owned())));
            return;
        }
        let Some((_, text_field)) = KEYED_MODELS.iter().find(|(m, _)| *m == model) else {
            return;
        };
        match values.iter_mut().find(|(f, _)| f == text_field) {
            Some((_, Value::Str(text))) => {
                text.push(' ');
                text.push_str(&key.marker());
            }
            _ => values.push(((*text_field).to_owned(), Value::Str(key.marker()))),
        }
    }
}

/// Asks Odoo which keyed models have [`KEY_FIELD`] (one `search_read`).
pub async fn key_fields(client: &OdooClient) -> Result<KeyFields, OdooError> {
    let models: Vec<X> = KEYED_MODELS.iter().map(|(m, _)| X::from(*m)).collect();
    let rows = client
        .search_read_all(
            "ir.model.fields",
            vec![
                leaf("name", "=", KEY_FIELD),
                leaf("model", "in", X::Array(models)),
            ],
            &["model"],
        )
        .await?;
    let mut models = HashSet::new();
    for r in &rows {
        let row = Row::new("ir.model.fields", r);
        // `model` is required on a field: anything but a name there is bad data.
        match row.text("model") {
            Ok(Some(model)) => {
                models.insert(model);
            }
            _ => {
                return Err(OdooError::UnexpectedReply {
                    call: "ir.model.fields.search_read".into(),
                    expected: "a model name in `model`",
                    got: format!("{:?}", row.get("model")),
                });
            }
        }
    }
    Ok(KeyFields(models))
}

/// Creates [`KEY_FIELD`] where it is missing; one line per model.
pub async fn ensure_key_fields(client: &OdooClient) -> Result<Vec<String>, OdooError> {
    let present = key_fields(client).await?;
    let mut lines = Vec::new();
    for (model, _) in KEYED_MODELS {
        if present.has(model) {
            lines.push(format!("field   {model}.{KEY_FIELD}: exists"));
            continue;
        }
        lines.push(create_key_field(client, model).await?);
    }
    Ok(lines)
}

/// [`KEY_FIELD`] on `model`, created unless it exists; the line for setup's report.
pub(crate) async fn ensure_key_field(
    client: &OdooClient,
    model: &str,
) -> Result<String, OdooError> {
    let found = client
        .search(
            "ir.model.fields",
            vec![leaf("name", "=", KEY_FIELD), leaf("model", "=", model)],
            &Default::default(),
        )
        .await?;
    if found.is_empty() {
        create_key_field(client, model).await
    } else {
        Ok(format!("field   {model}.{KEY_FIELD}: exists"))
    }
}

/// Creates [`KEY_FIELD`] on `model` (a technical char field, indexed, not copied).
async fn create_key_field(client: &OdooClient, model: &str) -> Result<String, OdooError> {
    let ids = client
        .search(
            "ir.model",
            vec![leaf("model", "=", model)],
            &Default::default(),
        )
        .await?;
    let Some(model_id) = ids.first() else {
        return Ok(format!(
            "field   {model}.{KEY_FIELD}: model not installed, skipped"
        ));
    };
    let mut values = Struct::new();
    values.push("model_id", X::Int(*model_id));
    values.push("name", X::from(KEY_FIELD));
    values.push("field_description", X::from("scorekeeper key"));
    values.push("ttype", X::from("char"));
    values.push("state", X::from("manual"));
    values.push("index", X::Bool(true));
    values.push("copied", X::Bool(false));
    let created = client.create("ir.model.fields", vec![values]).await?;
    // `create` answers the new ids; the line shows the first (there is one).
    let id = created
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    Ok(format!(
        "field   {model}.{KEY_FIELD}: created (char, indexed, ir.model.fields {id})"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_goes_to_the_field_or_else_to_the_text() {
        let key = IdemKey::new("karma:rule=won:rec=crm.lead/7:n=1").unwrap();
        let base = vec![("reason".to_owned(), Value::Str("Won deal".into()))];
        let mut with_field = base.clone();
        KeyFields::all().put("gamification.karma.tracking", &mut with_field, &key);
        assert_eq!(with_field[0].1, Value::Str("Won deal".into()));
        assert_eq!(
            with_field[1],
            (KEY_FIELD.to_owned(), Value::Str(key.as_str().to_owned()))
        );
        let mut legacy = base;
        KeyFields::default().put("gamification.karma.tracking", &mut legacy, &key);
        assert_eq!(
            legacy,
            vec![(
                "reason".to_owned(),
                Value::Str("Won deal [sk:karma:rule=won:rec=crm.lead/7:n=1]".into())
            )]
        );
    }
}
