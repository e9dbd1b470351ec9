//! The apply step and the run's orchestration: evaluate, then apply the scoring plan through
//! the journal (with the next cursors), read back the run's own writes, apply the routing
//! plan (`verify_old`), and score the routed leads again when a rule reads what routing
//! wrote (the fixed point). Only this step writes to Odoo.

use std::collections::BTreeSet;

use chrono::NaiveDateTime;

use super::report::{Evaluation, RunReport};
use super::{CURSOR, LAST_FULL, PassKind, RunOptions, SEEN, ScoringError, ScoringJob, head};
use crate::apply::{self, ApplyOptions, ApplyReport, OdooWriter};
use crate::domain::Env;
use crate::odoo::ClientWriter;
use crate::record::datetime::{format_datetime, parse_datetime_or_date};
use crate::state::State;

impl ScoringJob<'_> {
    /// One run: evaluate, then (unless `dry_run`) apply the scores and the routing.
    pub async fn run(
        &self,
        state: &mut State,
        opts: &RunOptions,
        dry_run: bool,
    ) -> Result<RunReport, ScoringError> {
        let writer = ClientWriter::new(self.client);
        self.run_with(state, opts, dry_run, &writer).await
    }

    /// [`run`](Self::run) writing through `writer` (tests inject failures here).
    pub async fn run_with<W: OdooWriter>(
        &self,
        state: &mut State,
        opts: &RunOptions,
        dry_run: bool,
        writer: &W,
    ) -> Result<RunReport, ScoringError> {
        // Held until both plans are applied: a second process reading the same cursors would
        // plan the same writes. A dry run changes nothing and needs none.
        let _lock = if dry_run {
            None
        } else {
            Some(state.lock_job(super::SCORING_JOB)?)
        };
        let kind = self.next_pass(state, opts)?;
        let evaluation = self.evaluate(kind, opts.now).await?;
        if dry_run {
            return Ok(RunReport {
                evaluation,
                scoring: None,
                assignment: None,
                rescored: None,
            });
        }
        let base = ApplyOptions {
            batch_size: self.client.batch_size(),
            request_deadline: self.client.request_deadline(),
            concurrency: self.client.max_concurrency(),
            cancel: self.cancel.clone(),
            progress: self.progress.clone(),
            ..ApplyOptions::default()
        };
        let scoring = self
            .apply_scores(state, writer, &evaluation, opts, &base)
            .await?;
        let assignment = if evaluation.assignment_plan.is_empty() || scoring.interrupted {
            None
        } else {
            Some(
                self.apply_routing(state, writer, &evaluation, &scoring, &base)
                    .await?,
            )
        };
        let rescored = match &assignment {
            Some(routed) if routed.records_written > 0 && self.rules_read_routing(&evaluation) => {
                Some(
                    self.rescore_routed(state, writer, &evaluation, routed, opts, base)
                        .await?,
                )
            }
            _ => None,
        };
        Ok(RunReport {
            evaluation,
            scoring: Some(scoring),
            assignment,
            rescored,
        })
    }

    /// The cursors an applied run moves: the next incremental pass's start and `seen`, and
    /// the time of this full pass.
    fn next_cursors(&self, evaluation: &Evaluation, now: NaiveDateTime) -> Vec<(String, String)> {
        let mut cursors = Vec::new();
        if let Some(c) = &evaluation.cursor {
            cursors.push((CURSOR.to_owned(), c.clone()));
            let seen = serde_json::to_string(&evaluation.seen).unwrap_or_else(|_| "[]".into());
            cursors.push((SEEN.to_owned(), seen));
        }
        if evaluation.kind == PassKind::Full {
            cursors.push((LAST_FULL.to_owned(), format_datetime(now)));
        }
        cursors
    }

    /// Applies the scoring plan with the next cursors, then reads back the run's own writes
    /// (best effort). Fails with [`ScoringError::Unreachable`] when Odoo went away.
    async fn apply_scores<W: OdooWriter>(
        &self,
        state: &mut State,
        writer: &W,
        evaluation: &Evaluation,
        opts: &RunOptions,
        base: &ApplyOptions,
    ) -> Result<ApplyReport, ScoringError> {
        let options = ApplyOptions {
            cursors: self.next_cursors(evaluation, opts.now),
            ..base.clone()
        };
        let scoring = match apply::apply(&evaluation.scoring_plan, state, writer, &options).await {
            Ok(report) => report,
            Err(e) => return Err(self.unreachable_or(0, e.into()).await),
        };
        if !scoring.is_success()
            && scoring.failures.iter().any(|f| f.error.is_transient())
            && let Some(gone) = self.gone(scoring.records_written).await
        {
            // Routing would only fail reconciling the unconfirmed score writes.
            return Err(gone);
        }
        let stamped =
            scoring.is_success() && scoring.records_written > 0 && !self.rules_read_own_writes();
        if stamped {
            let overlap = chrono::Duration::seconds(self.scoring.overlap_secs as i64);
            let floor = evaluation
                .cursor
                .as_deref()
                .and_then(parse_datetime_or_date)
                .map(|c| format_datetime(c - overlap));
            if let Err(error) = self
                .remember_own_writes(state, &scoring.run_id, floor.as_deref())
                .await
            {
                tracing::warn!(%error, "cannot read back the run's own writes; the next pass reads them again");
            }
        }
        Ok(scoring)
    }

    /// Applies the routing plan (`verify_old`: a lead someone took meanwhile is left alone)
    /// and notes its leads for the next pass to read back.
    async fn apply_routing<W: OdooWriter>(
        &self,
        state: &mut State,
        writer: &W,
        evaluation: &Evaluation,
        scoring: &ApplyReport,
        base: &ApplyOptions,
    ) -> Result<ApplyReport, ScoringError> {
        let options = ApplyOptions {
            verify_old: true,
            ..base.clone()
        };
        let routed = match apply::apply(&evaluation.assignment_plan, state, writer, &options).await
        {
            Ok(report) => report,
            Err(e) => {
                return Err(self.unreachable_or(scoring.records_written, e.into()).await);
            }
        };
        if routed.records_written > 0 {
            self.remember_routing(state, &routed.run_id)?;
        }
        Ok(routed)
    }

    /// Whether the scope or a rule reads a field routing writes (`team_id`, `user_id`, …):
    /// then a routed lead may score differently once routed.
    fn rules_read_routing(&self, evaluation: &Evaluation) -> bool {
        let routed: BTreeSet<&str> = evaluation
            .assignment_plan
            .writes()
            .flat_map(|(_, _, values, _)| values.iter().map(|c| c.field.as_str()))
            .collect();
        let Ok((scope, rules)) = self.bound(&Env::at(NaiveDateTime::default())) else {
            return true;
        };
        std::iter::once(&scope)
            .chain(rules.iter())
            .any(|d| d.fields().iter().any(|p| routed.contains(head(p))))
    }

    /// Scores again, as Odoo now holds them, the leads this run routed (read → evaluate →
    /// plan → apply, one more journaled run), so that routing a lead into a rule's reach does
    /// not leave its score stale until the next run.
    async fn rescore_routed<W: OdooWriter>(
        &self,
        state: &mut State,
        writer: &W,
        evaluation: &Evaluation,
        routed: &ApplyReport,
        opts: &RunOptions,
        base: ApplyOptions,
    ) -> Result<ApplyReport, ScoringError> {
        let failed: BTreeSet<i64> = routed
            .failures
            .iter()
            .flat_map(|f| f.ids.iter().copied())
            .collect();
        let ids: Vec<i64> = evaluation
            .assignment_plan
            .writes()
            .map(|(_, id, _, _)| id)
            .filter(|id| !failed.contains(id))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let again = self
            .evaluate_with(PassKind::Leads(ids), opts.now, false)
            .await?;
        match apply::apply(&again.scoring_plan, state, writer, &base).await {
            Ok(report) => Ok(report),
            Err(e) => Err(self.unreachable_or(0, e.into()).await),
        }
    }

    /// [`ScoringError::Unreachable`] when Odoo no longer answers `common.version`, after
    /// `written` records of this run were written.
    async fn gone(&self, written: usize) -> Option<ScoringError> {
        match self.client.version().await {
            Err(source) if source.is_unreachable_or_auth() => {
                Some(ScoringError::Unreachable { written, source })
            }
            _ => None,
        }
    }

    /// `error`, unless it came from Odoo going away (then [`ScoringError::Unreachable`]).
    async fn unreachable_or(&self, written: usize, error: ScoringError) -> ScoringError {
        match self.gone(written).await {
            Some(gone) => gone,
            None => error,
        }
    }
}
