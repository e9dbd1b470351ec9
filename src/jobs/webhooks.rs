//! `setup` for `[webhooks] provision = true`: one Odoo automation rule per model a job watches
//! ("On create and edit", action "Send Webhook Notification" to the listener's URL with
//! `write_date`), so Odoo announces changes without an admin clicking through Settings →
//! Technical → Automation Rules. Taught from Odoo 17's `base_automation` module:
//! `base.automation` (`name`, `model_id`, `trigger = 'on_create_or_write'`, `active`) owns its
//! actions through `ir.actions.server.base_automation_id` (`usage = 'base_automation'`), and
//! a webhook action is `state = 'webhook'` with `webhook_url` and `webhook_field_ids`.
//!
//! Idempotent: a rule already there (found by its name) is kept, and only its URL is written
//! when it changed (a rotated secret); a rule whose action cannot be created is deleted again.

use std::collections::BTreeSet;

use crate::config::Config;
use crate::odoo::{OdooClient, OdooError, Row, RowError, leaf};
use crate::xmlrpc::{Struct, Value as X};

/// The rules' names start with this, so a second setup finds them.
const RULE_PREFIX: &str = "scorekeeper: notify changes of ";

/// Why the rules could not be provisioned.
#[derive(Debug, thiserror::Error)]
pub enum ProvisionError {
    #[error(transparent)]
    Odoo(#[from] OdooError),
    #[error(transparent)]
    Row(#[from] RowError),
    #[error("Odoo has no model {0}: is its module installed?")]
    NoModel(String),
    #[error("base.automation.create answered no id")]
    NoRuleId,
}

/// The models the configured jobs watch.
pub fn watched_models(config: &Config) -> Vec<String> {
    let mut models = BTreeSet::new();
    if let Ok(jobs) = super::registry(config) {
        for j in jobs {
            models.extend(j.job.watches(config));
        }
    }
    models.into_iter().collect()
}

/// Creates or updates the automation rule of every watched model; returns what it did, one
/// line each (`webhook rule scorekeeper: notify changes of crm.lead: created`).
pub async fn provision(
    client: &OdooClient,
    config: &Config,
) -> Result<Vec<String>, ProvisionError> {
    let Some(hooks) = &config.webhooks else {
        return Ok(Vec::new());
    };
    let Some(base) = hooks.public_url.as_ref().filter(|_| hooks.provision) else {
        return Ok(Vec::new());
    };
    let url = format!("{}{}", base.as_str().trim_end_matches('/'), hooks.path());
    let mut lines = Vec::new();
    for model in watched_models(config) {
        let name = format!("{RULE_PREFIX}{model}");
        lines.push(format!(
            "webhook rule {name}: {}",
            rule(client, &model, &name, &url).await?
        ));
    }
    Ok(lines)
}

/// One model's rule: "created", "URL updated" or "exists".
async fn rule(
    client: &OdooClient,
    model: &str,
    name: &str,
    url: &str,
) -> Result<&'static str, ProvisionError> {
    let existing = client
        .search_read_all("base.automation", vec![leaf("name", "=", name)], &["id"])
        .await?;
    if let Some(found) = existing.first() {
        let id = Row::new("base.automation", found).id()?;
        let actions = client
            .search_read_all(
                "ir.actions.server",
                vec![leaf("base_automation_id", "=", X::Int(id))],
                &["id", "webhook_url"],
            )
            .await?;
        let mut stale = Vec::new();
        for a in &actions {
            let row = Row::new("ir.actions.server", a);
            if row.text("webhook_url")?.as_deref() != Some(url) {
                stale.push(row.id()?);
            }
        }
        if stale.is_empty() {
            return Ok("exists");
        }
        let mut vals = Struct::new();
        vals.push("webhook_url", X::from(url));
        client.write("ir.actions.server", &stale, vals).await?;
        return Ok("URL updated");
    }
    let model_row = client
        .search_read_all("ir.model", vec![leaf("model", "=", model)], &["id"])
        .await?;
    let model_id = match model_row.first() {
        Some(r) => Row::new("ir.model", r).id()?,
        None => return Err(ProvisionError::NoModel(model.to_owned())),
    };
    let fields = client
        .search_read_all(
            "ir.model.fields",
            vec![
                leaf("model", "=", model),
                leaf("name", "in", X::Array(vec![X::from("write_date")])),
            ],
            &["id"],
        )
        .await?
        .iter()
        .map(|r| Row::new("ir.model.fields", r).id().map(X::Int))
        .collect::<Result<Vec<_>, _>>()?;
    let mut automation = Struct::new();
    automation.push("name", X::from(name));
    automation.push("model_id", X::Int(model_id));
    automation.push("trigger", X::from("on_create_or_write"));
    automation.push("active", X::Bool(true));
    let created = client.create("base.automation", vec![automation]).await?;
    let Some(&rule_id) = created.first() else {
        return Err(ProvisionError::NoRuleId);
    };
    let mut action = Struct::new();
    action.push("name", X::from("scorekeeper: notify"));
    action.push("model_id", X::Int(model_id));
    action.push("usage", X::from("base_automation"));
    action.push("base_automation_id", X::Int(rule_id));
    action.push("state", X::from("webhook"));
    action.push("webhook_url", X::from(url));
    action.push(
        "webhook_field_ids",
        X::Array(vec![X::Array(vec![X::Int(6), X::Int(0), X::Array(fields)])]),
    );
    if let Err(e) = client.create("ir.actions.server", vec![action]).await {
        // Leave nothing half-made behind: a rule without its action notifies no one.
        if let Err(cleanup) = client
            .execute_kw(
                "base.automation",
                "unlink",
                vec![X::Array(vec![X::Int(rule_id)])],
                Struct::new(),
            )
            .await
        {
            tracing::warn!(rule = rule_id, %cleanup, "could not delete the half-made automation rule; delete it by hand");
        }
        return Err(e.into());
    }
    Ok("created")
}
