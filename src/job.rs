//! The job contract, between the scheduler and the jobs: a [`Job`] (a name and one boxed async
//! `run`), the context it gets (config, Odoo client, cancellation), what a run reports
//! ([`JobOutcome`]) and how it fails ([`JobError`], which also decides the `run` command's exit
//! code). It lives below both so that the scheduler never needs the configuration's types.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::odoo::{BoxFuture, OdooClient, OdooError};
use crate::state::StateError;

use crate::cron::ScheduleError;

/// One unit of scheduled work (scoring, routing, gamification, ...). Object-safe so the
/// daemon holds `Arc<dyn Job>`.
pub trait Job: Send + Sync {
    /// The name used on the command line (`scorekeeper run -c FILE NAME`), in logs, metrics
    /// and the state database.
    fn name(&self) -> &str;

    /// One run. A job checks `ctx.cancel.is_cancelled()` between batches and, when set,
    /// finishes the batch in flight, leaves its journal consistent and returns
    /// `Ok(outcome)` with `interrupted = true` (or an error): it is never killed mid-batch.
    fn run<'a>(&'a self, ctx: &'a JobContext) -> BoxFuture<'a, Result<JobOutcome, JobError>>;

    /// The Odoo models whose changes, announced by a webhook, should run this job now (its
    /// schedule stays the safety net). None by default.
    fn watches(&self, _config: &Config) -> Vec<String> {
        Vec::new()
    }
}

/// What a run gets.
#[derive(Clone, Debug)]
pub struct JobContext {
    pub config: Arc<Config>,
    pub odoo: Arc<OdooClient>,
    /// Set when the process is shutting down: stop after the current batch.
    pub cancel: CancellationToken,
    /// The firing this run is for (`None` for a manual `run`).
    pub scheduled_for: Option<DateTime<Utc>>,
    /// Where the run's phases are shown: bars on `scorekeeper run`'s terminal, hidden under
    /// the daemon.
    pub progress: crate::progress::Progress,
}

/// What a successful run did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JobOutcome {
    /// Records written (or created) in Odoo.
    pub changes_written: u64,
    /// RPC calls this run made (retries included).
    pub rpc_calls: u64,
    /// The run stopped early because of a shutdown; what it did is journaled.
    pub interrupted: bool,
    /// A one-line human summary for logs (`42 leads scored, 3 reassigned`).
    pub summary: String,
}

/// Why a run failed. [`JobError::exit_code`] is the `run` command's exit status.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// The configuration does not allow the job to run (a missing section, a field the
    /// server lacks). Exit 2.
    #[error("configuration: {0}")]
    Config(String),
    /// Odoo failed; unreachable or refused login → exit 3, any other Odoo error → exit 1.
    #[error(transparent)]
    Odoo(#[from] OdooError),
    #[error(transparent)]
    State(#[from] StateError),
    /// A schedule line or time zone the registry could not parse. Exit 2.
    #[error(transparent)]
    Schedule(#[from] ScheduleError),
    /// No job of that name is configured. Exit 2.
    #[error("unknown job {name:?}; configured jobs: {}", known_list(.known))]
    UnknownJob { name: String, known: Vec<String> },
    /// Odoo stopped answering in the middle of the run (the message says what was written
    /// before). Exit 3.
    #[error("{0}")]
    Unreachable(String),
    /// Anything else the job reports. Exit 1.
    #[error("{0}")]
    Failed(String),
}

fn known_list(known: &[String]) -> String {
    if known.is_empty() {
        "none".to_owned()
    } else {
        known.join(", ")
    }
}

impl JobError {
    /// 1 run failed, 2 configuration, 3 Odoo unreachable or authentication failed.
    pub(crate) fn exit_code(&self) -> u8 {
        match self {
            JobError::Config(_) | JobError::Schedule(_) | JobError::UnknownJob { .. } => 2,
            JobError::Odoo(e) if e.is_unreachable_or_auth() => 3,
            JobError::Unreachable(_) => 3,
            JobError::Odoo(_) | JobError::State(_) | JobError::Failed(_) => 1,
        }
    }

    /// A stable label for metrics (`outcome` of a failed run).
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            JobError::Config(_) | JobError::Schedule(_) | JobError::UnknownJob { .. } => "config",
            JobError::Odoo(e) if e.is_unreachable_or_auth() => "unreachable",
            JobError::Unreachable(_) => "unreachable",
            JobError::Odoo(_) => "odoo",
            JobError::State(_) => "state",
            JobError::Failed(_) => "failed",
        }
    }
}
