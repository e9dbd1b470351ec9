//! The scoring job's commands: `plan` and `run` of `scoring` (which also routes when
//! `[assignment]` is configured) and `explain lead N`.

use std::io::Write;

use super::args::parse_now;
use super::session::{job_setup, open_state, preflight};
use super::{Failure, write_out};
use crate::odoo::OdooClient;

pub(super) fn job_failure(e: crate::jobs::scoring::ScoringError) -> Failure {
    use crate::jobs::scoring::ScoringError;
    match e {
        ScoringError::Odoo(o) if o.is_unreachable_or_auth() => Failure::Unreachable(o.into()),
        e @ ScoringError::Unreachable { .. } => Failure::Unreachable(e.into()),
        other => Failure::Failed(other.into()),
    }
}

/// Examples of each plan that `plan` and `run` print.
const EXAMPLES: usize = 10;

/// The names of the records and values the printed examples show (read after the job's own
/// calls were counted, so the counts printed stay the job's).
pub(super) async fn example_names(
    client: &OdooClient,
    eval: &crate::jobs::scoring::Evaluation,
    examples: usize,
) -> crate::plan::Names {
    let mut wanted = eval.scoring_plan.wanted_names(examples);
    wanted.merge(eval.assignment_plan.wanted_names(examples));
    super::names::fetch(client, &wanted).await
}

fn evaluation_text(
    eval: &crate::jobs::scoring::Evaluation,
    calls: &crate::odoo::MetricsSnapshot,
    names: &crate::plan::Names,
) -> String {
    use crate::jobs::scoring::PassKind;
    let pass = match &eval.kind {
        PassKind::Full => "full".to_owned(),
        PassKind::Incremental { since, .. } => format!("incremental (written since {since})"),
        PassKind::Leads(ids) => format!("leads {ids:?}"),
    };
    let mut out = format!(
        "pass    {pass}: {} leads read, {} RPC calls, {} bytes sent, {} received\n",
        eval.leads_read, calls.calls, calls.bytes_sent, calls.bytes_received
    );
    out.push_str(&eval.summary_text(EXAMPLES, names));
    out
}

/// `scorekeeper plan -c FILE [JOB] [--json]`.
pub(super) async fn plan_cmd(
    path: &std::path::Path,
    job: &str,
    json: bool,
    full: bool,
    now: Option<&str>,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    use crate::jobs::scoring::{RunOptions, ScoringJob};
    let now = parse_now(now)?;
    let (cfg, client) = job_setup(path, job).await?;
    let state = open_state(&cfg)?;
    let Some(scoring) = cfg.scoring.as_ref() else {
        return Ok(());
    };
    let job = ScoringJob::new(&client, scoring, cfg.assignment.as_ref())
        .with_progress(super::progress_bar::terminal_progress());
    let kind = job
        .next_pass(&state, &RunOptions { now, full })
        .map_err(job_failure)?;
    let eval = job.evaluate(kind, now).await.map_err(job_failure)?;
    let metrics = client.metrics();
    let calls = metrics.calls;
    if json {
        let doc = serde_json::json!({
            "pass": match &eval.kind {
                crate::jobs::scoring::PassKind::Full => "full",
                _ => "incremental",
            },
            "leads_read": eval.leads_read,
            "bands": eval.band_counts.iter().map(|(b, n)| serde_json::json!({"band": b, "leads": n})).collect::<Vec<_>>(),
            "rpc_calls": calls,
            "scoring": eval.scoring_plan.to_json(),
            "assignment": eval.assignment_plan.to_json(),
        });
        write_out(out, &format!("{doc:#}\n"))
    } else {
        let names = example_names(&client, &eval, EXAMPLES).await;
        write_out(out, &evaluation_text(&eval, &metrics, &names))
    }
}

/// `scorekeeper run -c FILE [JOB] [--dry-run]`.
pub(super) async fn run_cmd(
    path: &std::path::Path,
    job: &str,
    dry_run: bool,
    full: bool,
    now: Option<&str>,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    use crate::jobs::scoring::{RunOptions, ScoringJob};
    let now = parse_now(now)?;
    let (cfg, client) = job_setup(path, job).await?;
    // A client of its own, so the pass's call counts stay the job's.
    let verifier = OdooClient::from_settings(&cfg.odoo.client_settings())
        .map_err(|e| Failure::Failed(e.into()))?;
    preflight(&verifier, &cfg).await?;
    let mut state = open_state(&cfg)?;
    let Some(scoring) = cfg.scoring.as_ref() else {
        return Ok(());
    };
    // SIGTERM/SIGINT: the call in flight finishes and is journaled, the rest is journaled as
    // not attempted, and the command exits 0 saying so (as the daemon does).
    let cancel = tokio_util::sync::CancellationToken::new();
    let _signals = crate::daemon::cancel_on_signals(cancel.clone());
    let job = ScoringJob::new(&client, scoring, cfg.assignment.as_ref())
        .with_cancel(cancel)
        .with_progress(super::progress_bar::terminal_progress());
    let report = job
        .run(&mut state, &RunOptions { now, full }, dry_run)
        .await
        .map_err(job_failure)?;
    let metrics = client.metrics();
    let names = example_names(&client, &report.evaluation, EXAMPLES).await;
    let mut text = evaluation_text(&report.evaluation, &metrics, &names);
    let mut failed = false;
    for r in report.applied() {
        text.push_str(&format!("{r}\n"));
        failed |= !r.is_success() && !r.interrupted;
    }
    if dry_run {
        text.push_str("dry run: nothing written\n");
    }
    write_out(out, &text)?;
    if failed {
        return Err(Failure::Failed(anyhow::anyhow!(
            "some writes failed; the journal keeps them for the next run to reconcile"
        )));
    }
    Ok(())
}

/// `scorekeeper explain -c FILE lead N`.
pub(super) async fn explain_cmd(
    path: &std::path::Path,
    what: &str,
    id: i64,
    now: Option<&str>,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    if what == "user" {
        return super::gamification_cmd::explain_user_cmd(path, id, out).await;
    }
    if what != "lead" {
        return Err(Failure::Failed(anyhow::anyhow!(
            "cannot explain {what:?}: `lead N` or `user N` is supported"
        )));
    }
    let now = parse_now(now)?;
    let (cfg, client) = job_setup(path, "scoring").await?;
    let Some(scoring) = cfg.scoring.as_ref() else {
        return Ok(());
    };
    let job = crate::jobs::scoring::ScoringJob::new(&client, scoring, cfg.assignment.as_ref());
    let text = job.explain(id, now).await.map_err(job_failure)?;
    write_out(out, &text)
}
