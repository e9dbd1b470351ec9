//! The scoring/routing job as the scheduler runs it (`scorekeeper run scoring`, the daemon):
//! one pass (full or incremental, as the cursors say), journaled and applied.

use chrono::Utc;

use crate::odoo::BoxFuture;
use crate::scheduler::{Job, JobContext, JobError as SchedError, JobOutcome};
use crate::state::State;

use super::{JobError, RunOptions, ScoringJob};

/// `Arc::new(ScheduledScoring)` goes in the daemon's job list when `[scoring]` is set.
#[derive(Clone, Copy, Debug, Default)]
pub struct ScheduledScoring;

impl From<JobError> for SchedError {
    fn from(e: JobError) -> SchedError {
        match e {
            JobError::Odoo(e) => SchedError::Odoo(e),
            JobError::State(e) => SchedError::State(e),
            JobError::Apply(crate::apply::ApplyError::State(e)) => SchedError::State(e),
            JobError::Domain { .. } => SchedError::Config(e.to_string()),
            other => SchedError::Failed(other.to_string()),
        }
    }
}

impl Job for ScheduledScoring {
    fn name(&self) -> &str {
        "scoring"
    }

    fn run<'a>(&'a self, ctx: &'a JobContext) -> BoxFuture<'a, Result<JobOutcome, SchedError>> {
        Box::pin(async move {
            let Some(scoring) = ctx.config.scoring.as_ref() else {
                return Err(SchedError::Config(
                    "no [scoring] section in the configuration".into(),
                ));
            };
            let calls_before = ctx.odoo.metrics().calls;
            let now = ctx.scheduled_for.unwrap_or_else(Utc::now).naive_utc();
            let mut state = State::open(&ctx.config.state.path)?;
            let job = ScoringJob::new(&ctx.odoo, scoring, ctx.config.assignment.as_ref());
            let report = job
                .run(&mut state, &RunOptions { now, full: false }, false)
                .await?;
            let mut written = 0;
            for r in [&report.scoring, &report.assignment].into_iter().flatten() {
                if !r.is_success() {
                    return Err(SchedError::Failed(format!(
                        "some writes failed; the journal keeps them for the next run to reconcile: {r}"
                    )));
                }
                written += r.records_written;
            }
            Ok(JobOutcome {
                changes_written: written as u64,
                rpc_calls: ctx.odoo.metrics().calls.saturating_sub(calls_before),
                interrupted: false,
                summary: format!(
                    "{} leads read, {written} records written",
                    report.evaluation.leads_read
                ),
            })
        })
    }
}
