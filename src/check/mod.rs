//! What the server must confirm about a config before any job may write: every named field
//! exists (through dotted paths), every domain's operators and values fit its fields' types,
//! the score field is an integer, the named teams and band tags exist, and the configured bot
//! user holds the access rights the configured jobs need; groups named by XML id resolve to
//! groups, add-on product domains select products, and what `run pay` would refuse (its
//! models missing, a person in two plans paying the same component) is refused here too.
//! `scorekeeper check` prints the
//! result; `scorekeeper run` runs the same verification before its first job, so a config
//! mistake is exit 2 with `file:line:column key:` and nothing written, never a job failing
//! half-way. Config parsing itself stays pure (`crate::config`); the I/O lives here.

mod access;
mod duplicates;
mod fields;
mod matches;
mod pay;
mod recognition;
mod records;
mod xml_ids;

use std::collections::{BTreeSet, HashSet};

pub use access::access_needs;
pub use duplicates::{Duplicate, duplicates};
pub use fields::verify_fields;

use crate::config::{Config, Diagnostic, FieldRef};
use crate::odoo::{OdooClient, OdooError};

/// What the verification found.
#[derive(Debug, Default)]
pub struct Verification {
    /// Config mistakes the server revealed (exit 2), in config order per kind.
    pub diagnostics: Vec<Diagnostic>,
    /// Things worth saying that are not mistakes (a score field `setup` will create).
    pub notes: Vec<String>,
    /// Fields named by the config, and on how many models.
    pub fields: usize,
    pub models: usize,
    /// Access rights checked (model, operation).
    pub rights: usize,
}

/// Verifies `cfg` against the server `client` is logged into. Errors are Odoo failing (or
/// going away) while answering, never config mistakes.
pub async fn verify_config(client: &OdooClient, cfg: &Config) -> Result<Verification, OdooError> {
    let mut models = fields::Models::default();
    // Models named by themselves: a missing one is reported once, at its `model` key, and
    // the fields and domains on it are not checked further.
    let mut diagnostics = Vec::new();
    let mut missing: HashSet<&str> = HashSet::new();
    for r in &cfg.model_refs {
        if models.get(client, &r.model).await?.is_none() {
            let mut d = r.unknown_model(&r.model);
            d.hint = Some("is the Odoo module that defines it installed?".into());
            diagnostics.push(d);
            missing.insert(&r.model);
        }
    }
    let field_refs: Vec<FieldRef> = cfg
        .field_refs
        .iter()
        .filter(|r| !missing.contains(r.model.as_str()))
        .cloned()
        .collect();
    diagnostics.extend(fields::verify_fields_with(client, &field_refs, &mut models).await?);

    // Domains whose fields all exist: operators and values against the field types.
    let bad_keys: HashSet<String> = diagnostics.iter().map(|d| d.key.clone()).collect();
    let schema = models.schema();
    for d in &cfg.domain_refs {
        if bad_keys.contains(&d.key) || missing.contains(d.model.as_str()) {
            continue;
        }
        if let Err(e) = d.domain.validate(&schema, &d.model) {
            diagnostics.push(d.at.diagnostic(
                d.key.clone(),
                format!("{} refuses this domain: {}", d.model, e.message),
                Some("compare the value with the field's type in Odoo (Settings → Technical → Fields)".into()),
            ));
        }
    }

    let mut notes = Vec::new();
    if let Some(scoring) = &cfg.scoring {
        let (more, n) = crate::jobs::scoring::setup::check_score_field(client, scoring).await?;
        diagnostics.extend(more);
        notes.extend(n);
    }
    diagnostics.extend(records::verify_records(client, &cfg.record_refs).await?);
    let xml_ids = xml_ids::verify_xml_ids(client, &cfg.xml_id_refs).await?;
    let groups_resolve = xml_ids.is_empty();
    diagnostics.extend(xml_ids);
    let reported: HashSet<String> = diagnostics.iter().map(|d| d.key.clone()).collect();
    diagnostics.extend(matches::verify_matches(client, &cfg.match_refs, &reported).await?);
    // Members are resolved only once every group does (a missing one is reported above).
    if let (Some(pay), true) = (&cfg.pay, groups_resolve) {
        diagnostics.extend(pay::verify_pay(client, cfg, pay).await?);
    }

    if let Some(r) = &cfg.recognition {
        diagnostics.extend(recognition::verify_recognition(client, cfg, r).await?);
    }

    let needs = access_needs(cfg);
    diagnostics.extend(access::verify_access(client, cfg, &needs).await?);

    let model_names: BTreeSet<&str> = cfg.field_refs.iter().map(|r| r.model.as_str()).collect();
    Ok(Verification {
        diagnostics,
        notes,
        fields: cfg.field_refs.len(),
        models: model_names.len(),
        rights: needs.len(),
    })
}
