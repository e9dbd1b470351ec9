//! What most commands do first: load the config, log in, verify the config against the server
//! before writing, open the state database.

use anyhow::Context as _;

use super::Failure;
use super::failure::odoo_failure;
use crate::config::{self, ConfigError};
use crate::odoo::OdooClient;

/// Loads the config and logs in for a job that needs `section`.
pub(super) async fn login(path: &std::path::Path) -> Result<(config::Config, OdooClient), Failure> {
    let cfg = config::load(path)?;
    let client = OdooClient::from_settings(&cfg.odoo.client_settings())
        .map_err(|e| Failure::Failed(e.into()))?;
    client.authenticate().await.map_err(|e| {
        let e = anyhow::Error::new(e).context(format!("cannot log in to {}", cfg.odoo.url));
        Failure::Unreachable(e)
    })?;
    // Fixes the version profile now, so a server outside the tested range is warned about
    // by every command (the client logs the warning once).
    client
        .profile()
        .await
        .map_err(|e| odoo_failure(e, "cannot read the Odoo version"))?;
    Ok((cfg, client))
}

/// What `check` verifies against the server, before a command writes anything: a config
/// mistake is exit 2 with nothing written.
pub(super) async fn preflight(client: &OdooClient, cfg: &config::Config) -> Result<(), Failure> {
    let verified = crate::check::verify_config(client, cfg)
        .await
        .map_err(|e| odoo_failure(e, "cannot verify the config against Odoo"))?;
    if verified.diagnostics.is_empty() {
        Ok(())
    } else {
        Err(Failure::Config(ConfigError::Invalid(verified.diagnostics)))
    }
}

/// Loads the config, checks the job name and logs in.
pub(super) async fn job_setup(
    path: &std::path::Path,
    job: &str,
) -> Result<(config::Config, OdooClient), Failure> {
    if !matches!(job, "scoring" | "leads") {
        return Err(Failure::Invalid(anyhow::anyhow!(
            "unknown job {job:?}: the jobs are `scoring` (lead scoring and routing), `gamification` and `all`"
        )));
    }
    let (cfg, client) = login(path).await?;
    if cfg.scoring.is_none() {
        return Err(Failure::Failed(anyhow::anyhow!(
            "{} has no [scoring] section",
            path.display()
        )));
    }
    Ok((cfg, client))
}

pub(super) fn open_state(cfg: &config::Config) -> Result<crate::state::State, Failure> {
    crate::state::State::open(&cfg.state.path)
        .with_context(|| {
            format!(
                "cannot open the state database {}",
                cfg.state.path.display()
            )
        })
        .map_err(Failure::Failed)
}
