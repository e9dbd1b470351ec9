//! `plan`, `run --dry-run` and `run` of every job: the job name and its flags are checked
//! against one table ([`super::job_request`]), then the job's command runs; `run` of the
//! scheduler's jobs goes through the daemon's one-off runner.

use std::io::Write;

use super::args::{PlanArgs, RunArgs, parse_now};
use super::gamification_cmd::{gamification_plan_cmd, gamification_trial_cmd, points_trial_cmd};
use super::job_request::{self, Flags, JobName, Mode};
use super::pay_cmd::pay_cmd;
use super::scoring_cmd::{plan_cmd, run_cmd};
use super::{Failure, write_out};

/// `scorekeeper plan -c FILE [JOB] [flags]`.
pub(super) async fn plan(args: &PlanArgs, out: &mut dyn Write) -> Result<(), Failure> {
    let flags = Flags {
        full: args.full,
        json: args.json,
        since: args.since.as_deref(),
        until: args.until.as_deref(),
        period: args.period.as_deref(),
        now: args.now.as_deref(),
    };
    job_command(&args.config, &args.job, Mode::Plan, flags, out).await
}

/// `scorekeeper run -c FILE [JOB] [--dry-run] [flags]`.
pub(super) async fn run(args: &RunArgs, out: &mut dyn Write) -> Result<(), Failure> {
    let flags = Flags {
        full: args.full,
        period: args.period.as_deref(),
        now: args.now.as_deref(),
        ..Flags::default()
    };
    let mode = if args.dry_run {
        Mode::DryRun
    } else {
        Mode::Run
    };
    job_command(&args.config, &args.job, mode, flags, out).await
}

/// `plan`, `run --dry-run` and `run` of every job: the job and its flags are checked against
/// one table ([`job_request`]), then the job runs.
async fn job_command(
    config: &std::path::Path,
    job: &str,
    mode: Mode,
    flags: Flags<'_>,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    let name: JobName = job
        .parse()
        .map_err(|e: String| Failure::Invalid(anyhow::anyhow!(e)))?;
    if let Some(why) = job_request::refusal(name, mode, &flags) {
        return Err(Failure::Invalid(anyhow::anyhow!(why)));
    }
    match (name, mode) {
        (JobName::Scoring, Mode::Plan) => {
            plan_cmd(config, job, flags.json, flags.full, flags.now, out).await
        }
        (JobName::Scoring, Mode::DryRun | Mode::Run) => {
            run_cmd(
                config,
                job,
                mode == Mode::DryRun,
                flags.full,
                flags.now,
                out,
            )
            .await
        }
        (JobName::Gamification, Mode::Plan) => match flags.since {
            Some(since) => gamification_trial_cmd(config, since, flags.json, out).await,
            None => gamification_plan_cmd(config, flags.json, flags.now, out).await,
        },
        (JobName::Gamification, Mode::DryRun) => {
            gamification_plan_cmd(config, false, flags.now, out).await?;
            write_out(out, "dry run: nothing written\n")
        }
        (JobName::All, Mode::Plan | Mode::DryRun) => {
            // Every job's plan, in the order `run all` applies them.
            run_cmd(config, "scoring", true, false, flags.now, out).await?;
            gamification_plan_cmd(config, false, flags.now, out).await
        }
        (JobName::Points, _) => points_trial_cmd(config, flags.since, flags.until, out).await,
        (JobName::Pay, mode) => {
            pay_cmd(config, flags.period, flags.now, mode == Mode::Run, out).await
        }
        (JobName::Gamification | JobName::All, Mode::Run) => {
            let now = flags.now.map(|n| parse_now(Some(n))).transpose()?;
            run_jobs_cmd(config, &name.to_string(), now, out).await
        }
    }
}

/// `scorekeeper run -c FILE gamification|all`: the scheduler's jobs, once each, at `now`
/// (default: the clock).
async fn run_jobs_cmd(
    path: &std::path::Path,
    job: &str,
    now: Option<chrono::NaiveDateTime>,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    let only = (job != "all").then_some(job);
    let at = now.map(|n| n.and_utc());
    let progress = super::progress_bar::terminal_progress();
    match crate::daemon::run_command_with(path, &crate::jobs::registry, only, at, progress).await {
        Ok(outcomes) => {
            let mut text = String::new();
            for (name, outcome) in outcomes {
                text.push_str(&format!(
                    "{name}: {} ({} changes written, {} RPC calls)\n",
                    outcome.summary, outcome.changes_written, outcome.rpc_calls
                ));
                if outcome.interrupted {
                    text.push_str(&format!(
                        "{name}: interrupted on request (SIGTERM/SIGINT): what was written is journaled; the next run does the rest\n"
                    ));
                }
            }
            write_out(out, &text)
        }
        Err(e) => Err(match e.exit_code() {
            2 => match e {
                crate::daemon::RunCommandError::Config(c) => Failure::Config(c),
                other => Failure::Invalid(other.into()),
            },
            3 => Failure::Unreachable(e.into()),
            _ => Failure::Failed(e.into()),
        }),
    }
}
