//! Verifies the fields a config names against the live server's `fields_get`, following
//! dotted paths through relations, so a typo is caught by `check` instead of by a failing job.
//! The metadata fetched on the way is kept ([`Models`]) for the domain checks that follow.

use std::collections::HashMap;

use crate::config::{Diagnostic, FieldRef};
use crate::odoo::{OdooClient, OdooError};
use crate::record::{ModelDef, Schema};

/// `fields_get` answers by model, fetched once each; `None` = the model does not exist.
#[derive(Default)]
pub(super) struct Models {
    by_name: HashMap<String, Option<ModelDef>>,
}

impl Models {
    pub(super) async fn get(
        &mut self,
        client: &OdooClient,
        model: &str,
    ) -> Result<Option<&ModelDef>, OdooError> {
        if !self.by_name.contains_key(model) {
            let fields = fields_of(client, model).await?;
            self.by_name.insert(model.to_owned(), fields);
        }
        Ok(self.by_name.get(model).and_then(Option::as_ref))
    }

    /// What was fetched, as the domain module's schema (type and relation of each field).
    pub(super) fn schema(&self) -> Schema {
        let mut schema = Schema::default();
        for def in self.by_name.values().flatten() {
            schema.add_model(def.clone());
        }
        schema
    }
}

/// One diagnostic per reference that does not resolve (unknown model, unknown field, or a
/// path through a non-relational field). Each model's `fields_get` is fetched once.
pub async fn verify_fields(
    client: &OdooClient,
    refs: &[FieldRef],
) -> Result<Vec<Diagnostic>, OdooError> {
    verify_fields_with(client, refs, &mut Models::default()).await
}

pub(super) async fn verify_fields_with(
    client: &OdooClient,
    refs: &[FieldRef],
    models: &mut Models,
) -> Result<Vec<Diagnostic>, OdooError> {
    let mut diags = Vec::new();
    for r in refs {
        let mut model = r.model.clone();
        let segments: Vec<&str> = r.path.split('.').collect();
        for (i, segment) in segments.iter().enumerate() {
            let Some(fields) = models.get(client, &model).await? else {
                diags.push(r.unknown_model(&model));
                break;
            };
            let Some(meta) = fields.field(segment) else {
                let mut d =
                    r.unknown_field(&model, segment, fields.fields.keys().map(String::as_str));
                // A field this Odoo version removed (`mobile` on 19) says so and what to use.
                if let Some(gone) = client
                    .profile()
                    .await
                    .ok()
                    .and_then(|p| p.gone_hint(&model, segment))
                {
                    d.hint = Some(gone);
                }
                diags.push(d);
                break;
            };
            if i + 1 == segments.len() {
                break;
            }
            match &meta.relation {
                Some(comodel) => model = comodel.clone(),
                None => {
                    diags.push(r.not_relational(&model, segment, meta.ty.as_str()));
                    break;
                }
            }
        }
    }
    Ok(diags)
}

/// `None` when the model does not exist (Odoo: fault 2 "Object x doesn't exist").
async fn fields_of(client: &OdooClient, model: &str) -> Result<Option<ModelDef>, OdooError> {
    match client.fields_get(model, &["type", "relation"]).await {
        Ok(fields) => Ok(Some(fields)),
        Err(OdooError::UserError { message, .. }) if message.contains("doesn't exist") => Ok(None),
        Err(e) => Err(e),
    }
}
