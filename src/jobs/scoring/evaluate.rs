//! The evaluate step: binds the scope and rule domains to the run's clock, runs the pass
//! (`pass`) and hands every lead it reads to the pure `scoring` engine, then the scored lead
//! to the planner (`plan`) and to the router (`route`), which runs the pure `assignment`
//! engine once the pass is over.

use chrono::NaiveDateTime;

use super::cursor::Keys;
use super::plan::ScoringPlanner;
use super::read::{LeadRead, LeadShape};
use super::report::{Evaluation, LeadRow};
use super::route::Router;
use super::{ASSIGNMENT_JOB, PassKind, SCORING_JOB, ScoringError, ScoringJob, domain_err};
use crate::domain::{Domain, Env};
use crate::plan::Plan;
use crate::scoring::Scoring;

/// Which scored rows a pass keeps after planning (a full pass over a million leads keeps
/// only what routing needs).
#[derive(Clone, Copy)]
enum KeepRows {
    None,
    All,
}

/// Scores the leads a pass reads, one by one, into the scoring plan and the router.
pub(crate) struct Acc<'j> {
    model: &'j Scoring,
    now: NaiveDateTime,
    keep: KeepRows,
    pub(crate) shape: LeadShape,
    pub(crate) planner: ScoringPlanner<'j>,
    rows: Vec<LeadRow>,
    leads: usize,
    pub(crate) router: Option<Router>,
}

impl<'j> Acc<'j> {
    fn new(
        job: &'j ScoringJob<'_>,
        now: NaiveDateTime,
        keep: KeepRows,
        router: Option<Router>,
    ) -> Self {
        Acc {
            model: &job.scoring.model,
            now,
            keep,
            shape: LeadShape::of(job.scoring, job.assignment.is_some()),
            planner: ScoringPlanner::new(&job.scoring.score_field, &job.scoring.model, SCORING_JOB),
            rows: Vec::new(),
            leads: 0,
            router,
        }
    }

    /// Scores one lead read (it matched the rules `hits`), plans its write and offers it to
    /// the router.
    pub(crate) fn add(&mut self, lead: LeadRead, hits: Vec<usize>) {
        self.leads += 1;
        let scored = self.model.score(hits, |field| lead.date(field), self.now);
        let row = LeadRow {
            id: lead.id,
            old_score: lead.score,
            scored,
            old_priority: lead.priority,
            old_tags: lead.tags,
            user_id: lead.user_id,
            team_id: lead.team_id,
            probability: lead.probability,
        };
        self.planner.add(&row);
        if let Some(router) = self.router.as_mut() {
            router.offer(&row, lead.write_date.as_deref(), lead.created);
        }
        match self.keep {
            KeepRows::None => {}
            KeepRows::All => self.rows.push(row),
        }
    }
}

impl ScoringJob<'_> {
    /// The scope and the rule domains bound to `env` (the run's clock).
    pub(crate) fn bound(&self, env: &Env) -> Result<(Domain, Vec<Domain>), ScoringError> {
        let scope = self
            .scoring
            .scope
            .bind(env)
            .map_err(domain_err("scoring.scope"))?;
        let rules = self
            .scoring
            .rule_domains
            .iter()
            .enumerate()
            .map(|(i, d)| {
                d.bind(env)
                    .map_err(domain_err(format!("scoring.rules[{i}].domain")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok((scope, rules))
    }

    /// Reads, scores and plans (no write). `state` only provides the cursors.
    pub async fn evaluate(
        &self,
        kind: PassKind,
        now: NaiveDateTime,
    ) -> Result<Evaluation, ScoringError> {
        self.evaluate_with(kind, now, true).await
    }

    /// [`evaluate`](Self::evaluate), routing too when `route` and `[assignment]` is set.
    pub(crate) async fn evaluate_with(
        &self,
        kind: PassKind,
        now: NaiveDateTime,
        route: bool,
    ) -> Result<Evaluation, ScoringError> {
        let env = Env::at(now);
        let (scope, rules) = self.bound(&env)?;
        // Only `explain` keeps its rows: routing takes what it needs as leads are scored.
        let keep_rows = match &kind {
            PassKind::Leads(_) => KeepRows::All,
            _ => KeepRows::None,
        };
        // Authenticated first, so the server time below comes from an answer received before
        // the first read (the same call the first read would have made).
        if self.client.uid().is_none() && !matches!(kind, PassKind::Leads(_)) {
            self.client.authenticate().await?;
        }
        // The cursor and the next pass's `seen` come from every lead read, skipped ones
        // included.
        let server_start = self.client.metrics_handle().server_time();
        let mut keys = Keys::new(self.scoring.overlap_secs, server_start);
        let router = match self.assignment {
            Some(cfg) if route => Some(Router::prepare(self, cfg, &kind, &scope, &env).await?),
            _ => None,
        };
        let mut acc = Acc::new(self, now, keep_rows, router);
        self.read_pass(&kind, &scope, &rules, &mut acc, &mut keys)
            .await?;

        let Acc {
            planner,
            rows,
            leads,
            router,
            ..
        } = acc;
        let (scoring_plan, band_counts) = planner.finish();
        let (assignment_plan, routing) = match router {
            Some(router) => {
                let (plan, outcome) = router.finish(self, &scope).await?;
                (plan, Some(outcome))
            }
            None => (Plan::new(ASSIGNMENT_JOB), None),
        };
        let (cursor, seen) = keys.finish();
        Ok(Evaluation {
            kind,
            leads_read: leads,
            scoring_plan,
            assignment_plan,
            routing,
            band_counts,
            cursor,
            seen,
            rows,
        })
    }
}
