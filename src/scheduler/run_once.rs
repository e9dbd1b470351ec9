//! One run of one job, as `scorekeeper run -c FILE [JOB]` and every scheduled firing do it:
//! logged with its duration and counts, reported to an observer, and mapped to an exit code
//! by [`JobError::exit_code`].

use std::sync::Arc;
use std::time::Instant;

use tracing::Instrument as _;

use super::clock::Clock;
use super::observer::RunObserver;
use crate::job::{Job, JobContext, JobError, JobOutcome};

/// Runs `job` once with `ctx`, logging start and end. When the job does not report its RPC
/// count, the client's counter difference is used (exact for `run`; under the daemon it also
/// counts calls of other jobs running at the same time on the shared client).
pub(crate) async fn run_once(job: &dyn Job, ctx: &JobContext) -> Result<JobOutcome, JobError> {
    run_observed(job, ctx, &Clock::system(), &super::observer::NoObserver).await
}

pub(crate) async fn run_observed(
    job: &dyn Job,
    ctx: &JobContext,
    clock: &Clock,
    observer: &dyn RunObserver,
) -> Result<JobOutcome, JobError> {
    let name = job.name().to_owned();
    let span = tracing::info_span!("run", job = %name);
    async move {
        let calls_before = ctx.odoo.metrics().calls;
        let started = Instant::now();
        observer.run_started(&name, clock.now());
        match ctx.scheduled_for {
            Some(t) => tracing::info!(scheduled_for = %t, "run started"),
            None => tracing::info!("run started (manual)"),
        }
        let mut result = job.run(ctx).await;
        let took = started.elapsed();
        if let Ok(outcome) = &mut result
            && outcome.rpc_calls == 0
        {
            outcome.rpc_calls = ctx.odoo.metrics().calls.saturating_sub(calls_before);
        }
        match &result {
            Ok(o) => tracing::info!(
                took_ms = took.as_millis() as u64,
                changes = o.changes_written,
                rpc_calls = o.rpc_calls,
                interrupted = o.interrupted,
                "run finished: {}",
                o.summary
            ),
            Err(e) => tracing::error!(
                took_ms = took.as_millis() as u64,
                kind = e.kind(),
                "run failed: {e}"
            ),
        }
        observer.run_finished(&name, clock.now(), took, &result);
        result
    }
    .instrument(span)
    .await
}

/// The jobs `run` should execute: the one named, or all of them in order.
pub(crate) fn select_jobs(
    jobs: &[Arc<dyn Job>],
    name: Option<&str>,
) -> Result<Vec<Arc<dyn Job>>, JobError> {
    let Some(name) = name else {
        return Ok(jobs.to_vec());
    };
    match jobs.iter().find(|j| j.name() == name) {
        Some(j) => Ok(vec![j.clone()]),
        None => Err(JobError::UnknownJob {
            name: name.to_owned(),
            known: jobs.iter().map(|j| j.name().to_owned()).collect(),
        }),
    }
}

/// Runs `jobs` one after another (for `run` without a job name); stops at the first failure,
/// because later jobs usually build on earlier ones (routing needs scores).
pub(crate) async fn run_all(
    jobs: &[Arc<dyn Job>],
    ctx: &JobContext,
) -> Result<Vec<(String, JobOutcome)>, JobError> {
    let mut done = Vec::with_capacity(jobs.len());
    for job in jobs {
        if ctx.cancel.is_cancelled() {
            break;
        }
        let outcome = run_once(job.as_ref(), ctx).await?;
        done.push((job.name().to_owned(), outcome));
    }
    Ok(done)
}
