//! The gamification job as the scheduler runs it (`scorekeeper run gamification`, the
//! daemon): one refresh of the challenges and one karma pass, each journaled and applied.

use chrono::Utc;

use crate::apply::ApplyOptions;
use crate::odoo::BoxFuture;
use crate::scheduler::{Job, JobContext, JobError, JobOutcome};
use crate::state::State;

use super::{GamificationError, Options, karma_plan_with, run};

/// `Arc::new(GamificationJob)` goes in the daemon's job list when `[gamification]` is set.
#[derive(Clone, Copy, Debug, Default)]
pub struct GamificationJob;

impl From<GamificationError> for JobError {
    fn from(e: GamificationError) -> JobError {
        match e {
            GamificationError::Odoo(e) => JobError::Odoo(e),
            GamificationError::Apply(crate::apply::ApplyError::State(e)) => JobError::State(e),
            GamificationError::GrantRights { .. } => JobError::Config(e.to_string()),
            other => JobError::Failed(other.to_string()),
        }
    }
}

impl Job for GamificationJob {
    fn name(&self) -> &str {
        "gamification"
    }

    /// The models the config's challenge lines and point rules count: a change there moves
    /// someone's goal or karma. (Challenges defined in Odoo's screens name their models in
    /// Odoo; they are refreshed on the schedule.)
    fn watches(&self, config: &crate::config::Config) -> Vec<String> {
        let Some(g) = &config.gamification else {
            return Vec::new();
        };
        let mut models: Vec<String> = g
            .challenges
            .iter()
            .flat_map(|c| c.lines.iter().map(|l| l.model.clone()))
            .chain(g.point_rules.iter().map(|r| r.model.clone()))
            .chain(g.team_points.iter().map(|r| r.model.clone()))
            .collect();
        models.sort();
        models.dedup();
        models
    }

    fn run<'a>(&'a self, ctx: &'a JobContext) -> BoxFuture<'a, Result<JobOutcome, JobError>> {
        Box::pin(async move {
            let Some(config) = ctx.config.gamification.as_ref() else {
                return Err(JobError::Config(
                    "no [gamification] section in the configuration".into(),
                ));
            };
            let calls_before = ctx.odoo.metrics().calls;
            // Odoo's periods follow the UTC date (semantics gotcha 1).
            let today = ctx.scheduled_for.unwrap_or_else(Utc::now).date_naive();
            let opts = Options::from_config(config, today)
                .with_recognition(ctx.config.recognition.clone());
            let mut state = State::open(&ctx.config.state.path)?;
            // Goal writes are independent (one goal per group), so they go out in waves of
            // `[odoo] max_concurrency`; creates stay one call at a time.
            let apply_opts = ApplyOptions {
                cancel: Some(ctx.cancel.clone()),
                progress: ctx.progress.clone(),
                ..crate::jobs::apply_options(&ctx.odoo)
            };
            let (outcome, report) = run(&ctx.odoo, &mut state, &opts, &apply_opts).await?;
            // A failed call is a failed run (its journal keeps the rest for the next run); a
            // stop request is not a failure: what was done is journaled.
            if !report.is_success() && !report.interrupted {
                return Err(failed_run(ctx, &report).await);
            }
            let mut written = (report.records_written + report.created.len()) as u64;
            let mut karma = 0;
            // The journaled runs (the refresh, then the karma pass), for `undo`.
            let mut runs = vec![report.run_id.to_string()];
            if !ctx.cancel.is_cancelled()
                && (!config.point_rules.is_empty() || !config.team_points.is_empty())
            {
                let plan =
                    karma_plan_with(&ctx.odoo, &config.point_rules, &config.team_points).await?;
                let report = apply_pass(ctx, &mut state, &plan, &apply_opts).await?;
                karma = report.created.len();
                written += karma as u64;
                runs.push(report.run_id.to_string());
            }
            // Levels follow the karma just booked; a level reached and an achievement are
            // recognised with their badge (`[recognition]`).
            let mut level_lines = Vec::new();
            if !ctx.cancel.is_cancelled() && !config.levels.is_empty() {
                let mut pass = super::level_plan(&ctx.odoo, config).await?;
                super::recognition::plan_grant_posts(
                    &ctx.odoo,
                    ctx.config.recognition.as_ref(),
                    &mut pass.plan,
                )
                .await?;
                let report = apply_pass(ctx, &mut state, &pass.plan, &apply_opts).await?;
                written += (report.created.len() + report.unlinked.len()) as u64;
                level_lines.push(format!(
                    "{} level badges granted, {} revoked",
                    report.created.len(),
                    report.unlinked.len()
                ));
                level_lines.extend(pass.kept.iter().cloned());
                level_lines.extend(pass.missing.iter().cloned());
                runs.push(report.run_id.to_string());
            }
            if !ctx.cancel.is_cancelled() && !config.badge_rules.is_empty() {
                let mut pass = super::achievement_plan(&ctx.odoo, config).await?;
                super::recognition::plan_grant_posts(
                    &ctx.odoo,
                    ctx.config.recognition.as_ref(),
                    &mut pass.plan,
                )
                .await?;
                let report = apply_pass(ctx, &mut state, &pass.plan, &apply_opts).await?;
                written += report.created.len() as u64;
                level_lines.push(format!(
                    "{} achievement badges granted",
                    report.created.len()
                ));
                level_lines.extend(pass.missing.iter().cloned());
                runs.push(report.run_id.to_string());
            }
            let mut summary = format!(
                "{} goals created, {} goals updated, {} badges granted, {karma} karma entries booked",
                report
                    .created
                    .iter()
                    .filter(|(k, _)| k.as_str().starts_with("goal:"))
                    .count(),
                report.records_written,
                report
                    .created
                    .iter()
                    .filter(|(k, _)| k.as_str().starts_with("badge:"))
                    .count(),
            );
            for l in &level_lines {
                summary.push_str(&format!("; {l}"));
            }
            summary.push_str(&format!("; run {}", runs.join(", run ")));
            if !outcome.skipped.is_empty() {
                summary.push_str(&format!("; skipped: {}", outcome.skipped.join("; ")));
            }
            for w in &outcome.withheld {
                tracing::warn!("badge withheld: {w}");
            }
            for s in &outcome.surprises {
                tracing::warn!("{s}");
                summary.push_str(&format!("; warning: {s}"));
            }
            Ok(JobOutcome {
                changes_written: written,
                rpc_calls: ctx.odoo.metrics().calls - calls_before,
                interrupted: ctx.cancel.is_cancelled(),
                summary,
            })
        })
    }
}

/// Applies one pass after the refresh (karma, levels, achievements) under the job's lock, like
/// the refresh: another job's reconciliation must see it as live, and a second process must
/// not plan the same creates. A failed call fails the run; a stop request does not.
async fn apply_pass(
    ctx: &JobContext,
    state: &mut State,
    plan: &crate::plan::Plan,
    apply_opts: &ApplyOptions,
) -> Result<crate::apply::ApplyReport, JobError> {
    let _lock = state
        .lock_job("gamification")
        .map_err(|e| GamificationError::from(crate::apply::ApplyError::from(e)))?;
    let report = crate::apply::apply(plan, state, &crate::jobs::writer(&ctx.odoo), apply_opts)
        .await
        .map_err(GamificationError::from)?;
    if !report.is_success() && !report.interrupted {
        return Err(failed_run(ctx, &report).await);
    }
    Ok(report)
}

/// A run whose apply failed: exit 3 when Odoo no longer answers at all (it went away during
/// the run; the journal keeps what was written), else the failure as reported.
async fn failed_run(ctx: &JobContext, report: &crate::apply::ApplyReport) -> JobError {
    match ctx.odoo.version().await {
        Err(e) if e.is_unreachable_or_auth() => JobError::Unreachable(format!(
            "Odoo became unreachable during the run, after {} change(s) were written (the journal keeps the unconfirmed ones; the next run reconciles them): {e}",
            report.records_written + report.created.len()
        )),
        _ => JobError::Failed(report.to_string()),
    }
}
