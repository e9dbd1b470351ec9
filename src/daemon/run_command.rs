//! `scorekeeper run -c FILE [JOB]`: one run of one job (or of every configured job, in
//! order) for system cron and systemd timers. SIGTERM/SIGINT during the run let it finish its
//! batch, as in the daemon. The exit code is [`RunCommandError::exit_code`]: 1 run failed,
//! 2 configuration, 3 Odoo unreachable or authentication failed. Before the first job, the
//! whole config is verified against the server as `check` does ([`crate::check`]).

use std::path::Path;
use std::sync::Arc;

use tokio::signal::unix::{SignalKind, signal};
use tokio_util::sync::CancellationToken;

use super::{Registry, jobs_client};
use crate::config::{self, ConfigError};
use crate::odoo::{Metrics, OdooError};
use crate::progress::Progress;
use crate::scheduler::{Job, JobContext, JobError, JobOutcome, run_all, select_jobs};

#[derive(Debug, thiserror::Error)]
pub enum RunCommandError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("cannot set up the Odoo client: {0}")]
    Setup(#[from] OdooError),
    /// Odoo failed while the config was verified, before any job ran.
    #[error("cannot verify the config against Odoo: {0}")]
    Verify(OdooError),
    /// The job that failed, and why.
    #[error("job {job}: {error}")]
    Job { job: String, error: JobError },
}

impl RunCommandError {
    pub fn exit_code(&self) -> u8 {
        match self {
            RunCommandError::Config(_) => 2,
            RunCommandError::Setup(_) => 1,
            RunCommandError::Verify(e) if e.is_unreachable_or_auth() => 3,
            RunCommandError::Verify(_) => 1,
            RunCommandError::Job { error, .. } => error.exit_code(),
        }
    }
}

/// Loads the config, picks the job(s) and runs them once, at `at` (default: the clock).
pub async fn run_command(
    config_path: &Path,
    registry: &Registry,
    job: Option<&str>,
    at: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<Vec<(String, JobOutcome)>, RunCommandError> {
    run_command_with(config_path, registry, job, at, Progress::hidden()).await
}

/// [`run_command`], showing each run's phases on `progress` (the CLI's terminal bars).
pub async fn run_command_with(
    config_path: &Path,
    registry: &Registry,
    job: Option<&str>,
    at: Option<chrono::DateTime<chrono::Utc>>,
    progress: Progress,
) -> Result<Vec<(String, JobOutcome)>, RunCommandError> {
    let config = Arc::new(config::load(config_path)?);
    let scheduled = registry(&config).map_err(|error| RunCommandError::Job {
        job: job.unwrap_or("*").to_owned(),
        error,
    })?;
    let jobs: Vec<Arc<dyn Job>> = scheduled.into_iter().map(|s| s.job).collect();
    let chosen = select_jobs(&jobs, job).map_err(|error| RunCommandError::Job {
        job: job.unwrap_or("*").to_owned(),
        error,
    })?;
    let odoo = Arc::new(jobs_client(&config.odoo, Arc::new(Metrics::new()))?);
    // Every job's config against the server before the first job writes anything: a bad
    // point rule must not let scoring write first.
    let verified = crate::check::verify_config(&odoo, &config)
        .await
        .map_err(RunCommandError::Verify)?;
    if !verified.diagnostics.is_empty() {
        return Err(ConfigError::Invalid(verified.diagnostics).into());
    }
    let cancel = CancellationToken::new();
    let _signals = cancel_on_signals(cancel.clone());
    let ctx = JobContext {
        config,
        odoo,
        cancel,
        scheduled_for: at,
        progress,
    };
    let mut done = Vec::new();
    for job in chosen {
        let name = job.name().to_owned();
        let mut one = run_all(std::slice::from_ref(&job), &ctx)
            .await
            .map_err(|error| RunCommandError::Job { job: name, error })?;
        done.append(&mut one);
    }
    Ok(done)
}

/// Cancels `token` on SIGTERM or SIGINT; the returned guard stops listening when dropped.
pub fn cancel_on_signals(token: CancellationToken) -> Option<tokio_util::sync::DropGuard> {
    let mut term = signal(SignalKind::terminate()).ok()?;
    let mut int = signal(SignalKind::interrupt()).ok()?;
    let stop = CancellationToken::new();
    let guard = stop.clone().drop_guard();
    tokio::spawn(async move {
        tokio::select! {
            _ = term.recv() => {
                tracing::warn!("SIGTERM: finishing the batch in flight, then stopping");
                token.cancel();
            }
            _ = int.recv() => {
                tracing::warn!("SIGINT: finishing the batch in flight, then stopping");
                token.cancel();
            }
            () = stop.cancelled() => {}
        }
    });
    Some(guard)
}
