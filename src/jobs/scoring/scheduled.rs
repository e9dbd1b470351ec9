//! The scoring job as the scheduler sees it ([`crate::scheduler::Job`]): one run opens the
//! state database, scores (full or incremental pass), routes, and applies, reporting what it
//! wrote and how many calls it made. The daemon and `run` register it under `scoring`.

use chrono::Utc;

use super::{RunOptions, ScoringError, ScoringJob};
use crate::odoo::BoxFuture;
use crate::scheduler::{Job, JobContext, JobError, JobOutcome};
use crate::state::State;

/// `[scoring]` (and `[assignment]`) as a scheduled job.
#[derive(Clone, Copy, Debug, Default)]
pub struct ScheduledScoring;

impl ScheduledScoring {
    pub(crate) const NAME: &'static str = "scoring";
}

fn to_job_error(e: ScoringError) -> JobError {
    match e {
        ScoringError::Odoo(o) => JobError::Odoo(o),
        ScoringError::State(s) => JobError::State(s),
        ScoringError::Setup(msg) => JobError::Config(msg),
        e @ ScoringError::Unreachable { .. } => JobError::Unreachable(e.to_string()),
        other => JobError::Failed(other.to_string()),
    }
}

impl Job for ScheduledScoring {
    fn name(&self) -> &str {
        Self::NAME
    }

    /// A lead created or changed in Odoo is scored (and routed) at once.
    fn watches(&self, config: &crate::config::Config) -> Vec<String> {
        match config.scoring {
            Some(_) => vec![crate::config::LEAD_MODEL.to_owned()],
            None => Vec::new(),
        }
    }

    fn run<'a>(&'a self, ctx: &'a JobContext) -> BoxFuture<'a, Result<JobOutcome, JobError>> {
        Box::pin(async move {
            let Some(scoring) = ctx.config.scoring.as_ref() else {
                return Err(JobError::Config(
                    "the config has no [scoring] section".into(),
                ));
            };
            let mut state = State::open(&ctx.config.state.path)?;
            let before = ctx.odoo.metrics().calls;
            let job = ScoringJob::new(&ctx.odoo, scoring, ctx.config.assignment.as_ref())
                .with_cancel(ctx.cancel.clone())
                .with_progress(ctx.progress.clone());
            // The instant the run stands for (a firing, `run --now`), as the gamification job
            // takes it; the clock only for a run that names none.
            let opts = RunOptions {
                now: ctx.scheduled_for.unwrap_or_else(Utc::now).naive_utc(),
                full: false,
            };
            let report = job
                .run(&mut state, &opts, false)
                .await
                .map_err(to_job_error)?;
            let mut written = 0;
            let mut failed = Vec::new();
            let mut interrupted = false;
            for r in report.applied() {
                written += r.records_written as u64;
                interrupted |= r.interrupted;
                // An interrupted run journaled what it did and left the rest for the next one.
                if !r.is_success() && !r.interrupted {
                    failed.push(r.to_string());
                }
            }
            if !failed.is_empty() {
                return Err(JobError::Failed(failed.join("; ")));
            }
            let routed = report
                .evaluation
                .routing
                .as_ref()
                .map_or(0, |o| o.assignments.len());
            let mut summary = format!(
                "{} leads scored ({} changed), {routed} routed",
                report.evaluation.leads_read,
                report.evaluation.scoring_plan.writes().count()
            );
            // The runs it journaled, for `show` and `undo`.
            let runs: Vec<String> = report.applied().map(|r| r.run_id.to_string()).collect();
            if !runs.is_empty() {
                summary.push_str(&format!("; run {}", runs.join(", run ")));
            }
            Ok(JobOutcome {
                changes_written: written,
                rpc_calls: ctx.odoo.metrics().calls - before,
                interrupted,
                summary,
            })
        })
    }
}
