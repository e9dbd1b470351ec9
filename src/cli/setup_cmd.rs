//! `scorekeeper setup`: the custom fields, tags, models and records the config needs, created
//! once (pay's statement models, the score field and band tags, gamification's definitions
//! and challenges).

use std::io::Write;

use super::failure::odoo_failure;
use super::gamification_cmd::gamification_failure;
use super::scoring_cmd::job_failure;
use super::session::{job_setup, login};
use super::{Failure, write_out};
use crate::config::{self, ConfigError};

/// A pay setup that stopped: unreachable when Odoo went away before anything was written.
fn pay_setup_failure(e: crate::jobs::pay::SetupError) -> Failure {
    const WHAT: &str = "cannot provision the pay models";
    match e {
        crate::jobs::pay::SetupError::Odoo(o) => odoo_failure(o, WHAT),
        other => Failure::Failed(anyhow::Error::new(other).context(WHAT)),
    }
}

/// `scorekeeper setup -c FILE`.
pub async fn setup_cmd(path: &std::path::Path, out: &mut dyn Write) -> Result<(), Failure> {
    setup_jobs(path, out).await?;
    let cfg = config::load(path)?;
    if let Some(recognition) = cfg.recognition.as_ref() {
        let (_, client) = login(path).await?;
        let lines = crate::jobs::gamification::recognition::setup(&client, recognition)
            .await
            .map_err(|e| odoo_failure(e, "cannot provision recognition (key field, channel)"))?;
        write_out(out, &(lines.join("\n") + "\n"))?;
    }
    if cfg.webhooks.as_ref().is_some_and(|w| w.provision) {
        let (cfg, client) = login(path).await?;
        let lines = crate::jobs::webhooks::provision(&client, &cfg)
            .await
            .map_err(|e| match e {
                crate::jobs::webhooks::ProvisionError::Odoo(o) => {
                    odoo_failure(o, "cannot provision Odoo's automation rules")
                }
                other => Failure::Failed(
                    anyhow::Error::new(other).context("cannot provision Odoo's automation rules"),
                ),
            })?;
        write_out(out, &(lines.join("\n") + "\n"))?;
    }
    write_out(out, "OK\n")
}

/// What the jobs need: pay's models, the score field and band tags, gamification's records.
async fn setup_jobs(path: &std::path::Path, out: &mut dyn Write) -> Result<(), Failure> {
    if config::load(path)?.pay.is_some() {
        let (cfg, client) = login(path).await?;
        let Some(pay) = cfg.pay.as_ref() else {
            return Ok(());
        };
        let report = crate::jobs::pay::setup(&client, pay)
            .await
            .map_err(pay_setup_failure)?;
        let mut lines: Vec<String> = report
            .created
            .iter()
            .map(|c| format!("pay     {c}: created"))
            .collect();
        lines.extend(report.already_there.iter().map(|c| format!("exists  {c}")));
        write_out(out, &(lines.join("\n") + "\n"))?;
        if cfg.scoring.is_none() {
            return Ok(());
        }
    }
    let (cfg, client) = job_setup(path, "scoring").await?;
    let Some(scoring) = cfg.scoring.as_ref() else {
        return Ok(());
    };
    // What setup writes for gamification (definitions, challenges with their user_domain) is
    // verified before anything is written; the score field and band tags are setup's to
    // create, so the rest of `check` waits for them.
    let verified = crate::check::verify_config(&client, &cfg)
        .await
        .map_err(|e| odoo_failure(e, "cannot verify the config against Odoo"))?;
    let blocking: Vec<_> = verified
        .diagnostics
        .into_iter()
        .filter(|d| d.key.starts_with("gamification.") && !d.message.contains(&scoring.score_field))
        .collect();
    if !blocking.is_empty() {
        return Err(Failure::Config(ConfigError::Invalid(blocking)));
    }
    let mut lines = crate::jobs::scoring::setup::setup(&client, scoring)
        .await
        .map_err(job_failure)?;
    if let Some(gcfg) = cfg.gamification.as_ref() {
        let report = crate::jobs::gamification::setup(&client, gcfg)
            .await
            .map_err(gamification_failure)?;
        lines.extend(report.key_fields.iter().cloned());
        lines.extend(
            report
                .definitions_created
                .iter()
                .map(|d| format!("goal    definition {d}: created")),
        );
        lines.extend(
            report
                .challenges_created
                .iter()
                .map(|c| format!("challenge {c}: created")),
        );
        lines.extend(report.already_there.iter().map(|c| format!("exists  {c}")));
        lines.extend(report.levels.iter().cloned());
    }
    write_out(out, &(lines.join("\n") + "\n"))
}
