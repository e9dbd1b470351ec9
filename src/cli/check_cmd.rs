//! `scorekeeper check`: the config, the server, the login, every field, right and record the
//! config names, and duplicates a gamification run would repair.

use std::io::Write;

use super::failure::odoo_failure;
use super::gamification_cmd::gamification_failure;
use super::{Failure, write_out};
use crate::config::{self, ConfigError};
use crate::odoo::{OdooClient, OdooError, RetryPolicy};

/// `scorekeeper check -c FILE`. Tries each RPC once: a diagnostic should answer within the
/// configured timeout, not ride out an outage.
pub async fn check(path: &std::path::Path, out: &mut dyn Write) -> Result<(), Failure> {
    let cfg = config::load(path)?;
    let url = cfg.odoo.url.clone();
    write_out(out, &format!("config  {}: ok\n", path.display()))?;

    let client = OdooClient::from_settings(&cfg.odoo.client_settings())
        .map_err(|e| Failure::Failed(e.into()))?
        .with_retry(RetryPolicy::no_retry());
    let reach = |e: OdooError| {
        let context = format!("cannot reach Odoo at {url}");
        if e.is_unreachable_or_auth() {
            Failure::Unreachable(anyhow::Error::new(e).context(context))
        } else {
            Failure::Failed(anyhow::Error::new(e).context(context))
        }
    };
    let version = client.version().await.map_err(reach)?;
    write_out(out, &format!("odoo    {version} at {url}\n"))?;
    if let Some(choice) = client.protocol() {
        write_out(out, &format!("wire    {choice}\n"))?;
    }
    let profile = crate::odoo::Profile::for_version(&version);
    write_out(out, &format!("profile {profile}: {}\n", profile.assignment))?;
    if let Some(w) = profile.untested() {
        write_out(out, &format!("warning {w}\n"))?;
    }

    let uid = client.authenticate().await.map_err(|e| {
        let context = format!(
            "cannot log in as {:?} on database {:?}",
            cfg.odoo.login, cfg.odoo.database
        );
        // Any failure here (refused credentials, unknown database) means we cannot talk to
        // this Odoo as configured.
        Failure::Unreachable(anyhow::Error::new(e).context(context))
    })?;
    write_out(
        out,
        &format!(
            "login   {} on {}: uid {uid}\n",
            cfg.odoo.login, cfg.odoo.database
        ),
    )?;

    let verified = crate::check::verify_config(&client, &cfg)
        .await
        .map_err(|e| odoo_failure(e, "cannot verify the config against Odoo"))?;
    for note in &verified.notes {
        write_out(out, &format!("note    {note}\n"))?;
    }
    if !verified.diagnostics.is_empty() {
        return Err(Failure::Config(ConfigError::Invalid(verified.diagnostics)));
    }
    write_out(
        out,
        &format!(
            "fields  {} named by the config, on {} models: all exist\n\
             access  {} rights the jobs need: all granted to {}\n",
            verified.fields, verified.models, verified.rights, cfg.odoo.login
        ),
    )?;
    if cfg.gamification.is_some() {
        let found = crate::check::duplicates(&client)
            .await
            .map_err(gamification_failure)?;
        if found.is_empty() {
            write_out(
                out,
                "records no duplicate goal, badge grant or karma entry\n",
            )?;
        }
        for d in &found {
            let ids: Vec<String> = d.ids.iter().map(ToString::to_string).collect();
            write_out(
                out,
                &format!(
                    "warning duplicate {} ({}): ids {} — the next `run gamification` repairs it (keeps the oldest, deletes the others; a karma duplicate gets its own key and a correcting entry), journaled and undoable\n",
                    d.model,
                    d.what,
                    ids.join(", ")
                ),
            )?;
        }
    }
    write_out(out, "OK\n")
}
