//! The records a config names (sales teams, band tags) must exist on the server: one
//! `search_read` of names per model, with "did you mean" from the names that do exist.

use std::collections::BTreeMap;

use crate::config::{Diagnostic, RecordRef, RecordRefAt, did_you_mean};
use crate::odoo::{OdooClient, OdooError};
use crate::xmlrpc::Value;

pub(super) async fn verify_records(
    client: &OdooClient,
    refs: &[RecordRefAt],
) -> Result<Vec<Diagnostic>, OdooError> {
    let mut by_model: BTreeMap<&str, Vec<&RecordRefAt>> = BTreeMap::new();
    for r in refs {
        by_model.entry(r.model.as_str()).or_default().push(r);
    }
    let mut diags = Vec::new();
    for (model, wanted) in by_model {
        // Teams and tags are small tables: read every name once.
        let rows = client
            .search_read_all(model, Vec::new(), &["id", "name"])
            .await?;
        let existing: Vec<(i64, &str)> = rows
            .iter()
            .map(|r| {
                (
                    r.get("id").and_then(Value::as_i64).unwrap_or(0),
                    r.get("name").and_then(Value::as_str).unwrap_or(""),
                )
            })
            .collect();
        for r in wanted {
            if existing
                .iter()
                .any(|(id, name)| r.record.matches(*id, name))
            {
                continue;
            }
            let suggestion = match &r.record {
                RecordRef::Name(n) => did_you_mean(n, existing.iter().map(|(_, name)| *name))
                    .map(|s| format!(" (did you mean '{s}'?)"))
                    .unwrap_or_default(),
                RecordRef::Id(_) => String::new(),
            };
            diags.push(r.at.diagnostic(
                r.key.clone(),
                format!("no {model} with {}{suggestion}", r.record),
                r.hint.clone(),
            ));
        }
    }
    Ok(diags)
}
