//! Verifies the fields a config names against the live server's `fields_get`, following
//! dotted paths through relations, so a typo is caught by `check` instead of by a failing job.

use std::collections::HashMap;

use super::diagnostic::Diagnostic;
use super::fields::FieldRef;
use crate::odoo::{OdooClient, OdooError};
use crate::xmlrpc::{Struct, Value};

/// One diagnostic per reference that does not resolve (unknown model, unknown field, or a
/// path through a non-relational field). Each model's `fields_get` is fetched once.
pub async fn verify_fields(
    client: &OdooClient,
    refs: &[FieldRef],
) -> Result<Vec<Diagnostic>, OdooError> {
    let mut models: HashMap<String, Option<Struct>> = HashMap::new();
    let mut diags = Vec::new();
    for r in refs {
        let mut model = r.model.clone();
        let segments: Vec<&str> = r.path.split('.').collect();
        for (i, segment) in segments.iter().enumerate() {
            if !models.contains_key(&model) {
                let fields = fields_of(client, &model).await?;
                models.insert(model.clone(), fields);
            }
            let Some(Some(fields)) = models.get(&model) else {
                diags.push(r.unknown_model(&model));
                break;
            };
            let Some(meta) = fields.get(segment) else {
                diags.push(r.unknown_field(&model, segment, fields.keys()));
                break;
            };
            if i + 1 == segments.len() {
                break;
            }
            let relation = meta
                .as_struct()
                .and_then(|m| m.get("relation"))
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty());
            match relation {
                Some(comodel) => model = comodel.to_owned(),
                None => {
                    let ty = meta
                        .as_struct()
                        .and_then(|m| m.get("type"))
                        .and_then(Value::as_str)
                        .unwrap_or("non-relational");
                    diags.push(r.not_relational(&model, segment, ty));
                    break;
                }
            }
        }
    }
    Ok(diags)
}

/// `None` when the model does not exist (Odoo: fault 2 "Object x doesn't exist").
async fn fields_of(client: &OdooClient, model: &str) -> Result<Option<Struct>, OdooError> {
    match client.fields_get(model, &["type", "relation"]).await {
        Ok(fields) => Ok(Some(fields)),
        Err(OdooError::UserError { message, .. }) if message.contains("doesn't exist") => Ok(None),
        Err(e) => Err(e),
    }
}
