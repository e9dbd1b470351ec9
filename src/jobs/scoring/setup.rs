//! What the job needs to exist in Odoo before it runs: the integer `x_` score field on
//! `crm.lead` (created through `ir.model.fields` when missing and `create_score_field` allows)
//! and the band tags (`crm.tag`). `check` uses the same lookup to report a missing or
//! non-integer score field precisely.

use super::ScoringError;
use crate::config::{Diagnostic, LEAD_MODEL, ScoringConfig};
use crate::odoo::{OdooClient, OdooError, Row, SearchOptions, leaf};
use crate::xmlrpc::{Struct, Value};

/// The score field's type in Odoo, `None` when it does not exist.
async fn score_field_type(
    client: &OdooClient,
    cfg: &ScoringConfig,
) -> Result<Option<String>, OdooError> {
    let fields = client.fields_get(LEAD_MODEL, &["type"]).await?;
    Ok(fields
        .field(&cfg.score_field)
        .map(|f| f.ty.as_str().to_owned()))
}

/// Diagnostics (exit 2) and notes about the score field, for `check`.
pub(crate) async fn check_score_field(
    client: &OdooClient,
    cfg: &ScoringConfig,
) -> Result<(Vec<Diagnostic>, Vec<String>), OdooError> {
    let r = &cfg.score_field_ref;
    let diag = |message: String, hint: Option<String>| Diagnostic {
        file: r.at.file.clone(),
        line: r.at.line,
        column: r.at.column,
        key: r.key.clone(),
        message,
        hint,
    };
    match score_field_type(client, cfg).await?.as_deref() {
        Some("integer") => Ok((Vec::new(), Vec::new())),
        Some(other) => Ok((
            vec![diag(
                format!(
                    "{} on {LEAD_MODEL} is a {other} field; scores are written to an integer field",
                    cfg.score_field
                ),
                Some("name a new x_ field and let `scorekeeper setup` create it".into()),
            )],
            Vec::new(),
        )),
        None if cfg.create_score_field => Ok((
            Vec::new(),
            vec![format!(
                "{} does not exist on {LEAD_MODEL} yet: `scorekeeper setup` creates it",
                cfg.score_field
            )],
        )),
        None => Ok((
            vec![diag(
                format!("unknown field '{}' on {LEAD_MODEL}", cfg.score_field),
                Some(
                    "create it, or set create_score_field = true and run `scorekeeper setup`"
                        .into(),
                ),
            )],
            Vec::new(),
        )),
    }
}

/// Creates what is missing; returns one line per thing checked or created.
pub async fn setup(client: &OdooClient, cfg: &ScoringConfig) -> Result<Vec<String>, ScoringError> {
    let mut lines = Vec::new();
    let field = &cfg.score_field;
    let existing = client
        .search_read_all(
            "ir.model.fields",
            vec![
                leaf("model", "=", LEAD_MODEL),
                leaf("name", "=", field.as_str()),
            ],
            &["id", "ttype"],
        )
        .await?;
    match existing.first() {
        Some(row) => {
            // `ttype` is required in Odoo; were it ever empty, the message shows "?".
            let ttype = Row::new("ir.model.fields", row)
                .text("ttype")?
                .unwrap_or_else(|| "?".to_owned());
            if ttype != "integer" {
                return Err(ScoringError::Setup(format!(
                    "{field} exists on {LEAD_MODEL} as a {ttype} field; scores need an integer field"
                )));
            }
            lines.push(format!("field   {LEAD_MODEL}.{field}: exists (integer)"));
        }
        None if !cfg.create_score_field => {
            return Err(ScoringError::Setup(format!(
                "{field} does not exist on {LEAD_MODEL} and scoring.create_score_field is not set"
            )));
        }
        None => {
            let models = client
                .search(
                    "ir.model",
                    vec![leaf("model", "=", LEAD_MODEL)],
                    &SearchOptions::default(),
                )
                .await?;
            let Some(model_id) = models.first() else {
                return Err(ScoringError::Setup(format!("ir.model has no {LEAD_MODEL}")));
            };
            let mut values = Struct::new();
            values.push("model_id", Value::Int(*model_id));
            values.push("name", Value::from(field.as_str()));
            values.push("field_description", Value::from("Lead Score"));
            values.push("ttype", Value::from("integer"));
            values.push("state", Value::from("manual"));
            let id = created_id(
                client.create("ir.model.fields", vec![values]).await?,
                "ir.model.fields",
            )?;
            lines.push(format!(
                "field   {LEAD_MODEL}.{field}: created (integer, ir.model.fields {id})"
            ));
        }
    }
    for band in &cfg.model.bands {
        let Some(tag) = &band.tag else { continue };
        let found = client
            .search(
                "crm.tag",
                vec![leaf("name", "=", tag.as_str())],
                &SearchOptions::default(),
            )
            .await?;
        if found.is_empty() {
            let mut values = Struct::new();
            values.push("name", Value::from(tag.as_str()));
            let id = created_id(client.create("crm.tag", vec![values]).await?, "crm.tag")?;
            lines.push(format!("tag     {tag}: created (crm.tag {id})"));
        } else {
            lines.push(format!("tag     {tag}: exists"));
        }
    }
    Ok(lines)
}

/// The id of the one record a `create` made (Odoo answers with one id per record).
fn created_id(ids: Vec<i64>, model: &str) -> Result<i64, OdooError> {
    ids.first()
        .copied()
        .ok_or_else(|| OdooError::UnexpectedReply {
            call: format!("{model}.create"),
            expected: "the new record's id",
            got: "an empty list".to_owned(),
        })
}
