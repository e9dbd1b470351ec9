//! The gamification job: reads challenges, goals and definitions from Odoo, lets Odoo
//! aggregate the goal values (`read_group` per definition and period), and plans the goal
//! creates and writes, badge grants and karma entries that `apply` then executes.
//!
//! [`plan`] is read → evaluate → plan, one module each: `reading` (one struct of everything
//! read, rows through `odoo::Row` in `read`) and `aggregate` (the values Odoo aggregates for
//! the tasks the engine prepared); `evaluate` (the engines: goals settled, Odoo's side
//! effects predicted, badges decided); `plan` (a pure function to the [`Plan`], unit-tested
//! without Odoo). [`run`] applies it with the jobs' one writer ([`crate::jobs::writer`]).
//! Beside them: `board` (leaderboards, ranking reports), `points` (karma), `levels` (level
//! rewards, after the karma pass), `achievements` (badge rules), `scope` (per-role rules), `team_points`, `setup`, `keys`
//! and `writer` (where keys live), `rights` (badge rights), `job` (the scheduled job).
//!
//! Calls for a full refresh on Odoo 17+: one `web_search_read` of the challenges with their
//! lines, definitions, the fields those name and the `user_ids` users (`structure`; on Odoo
//! 16 challenges, lines, definitions, `ir.model.fields`, `ir.model` one call each), one
//! `res.users` search per distinct `user_domain` (plus one read for goal owners not read
//! yet), goals — then one query per definition and period for batch definitions (one per user
//! for non-batch ones), and two more (badges, grants) only when a challenge has rewards.
//! `run` keeps the query answers in the state (`answers`) and probes each counted model once
//! (count and latest `write_date`): on an unchanged model the queries are not sent again, so a
//! refresh in which nothing changed, of challenges with `user_ids` participants, no rewards and
//! lines counting one model, costs 3 calls. Writes come on top: grouped goal writes, one
//! `create` per model and batch.
//!
//! Drafts are started as Odoo's `action_start` would (state `inprogress`, goals generated):
//! a real Odoo generates the missing goals itself on that write, so `run` creates them first
//! (keyed) and writes the state last; Odoo then finds nothing to generate and `plan` is what
//! `run` does. What Odoo still does by itself is predicted (`gamification::side_effects`) and
//! checked after the start (two `search` calls, only when a draft is started). Challenges past
//! their end date are not written `done` by us: Odoo's cron does that, and its write runs
//! Odoo's own reward code.

mod achievements;
mod aggregate;
mod answers;
mod board;
mod deal_refunds;
mod evaluate;
mod grants;
mod job;
mod keys;
mod levels;
mod person;
mod plan;
mod points;
mod read;
mod reading;
pub mod recognition;
mod rights;
mod scope;
mod setup;
mod structure;
mod team_points;
mod writer;

use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDate;
use thiserror::Error;

use crate::apply::{self, ApplyError, ApplyOptions, ApplyReport};
use crate::config::{GamificationConfig, Measure};
use crate::gamification::compute::MissingRows;
use crate::gamification::model::{Batch, DateField, Definition, Mode};
use crate::gamification::refresh;
use crate::gamification::side_effects::SideEffect;
use crate::odoo::{OdooClient, OdooError};
use crate::plan::{InvalidKey, Plan};
use crate::state::State;
use crate::xmlrpc;

pub use crate::odoo::Row;
pub use achievements::{AchievementPass, achievement_plan};
pub use board::{BoardInputs, boards, leaderboard, ranking_report, teams_of};
pub use grants::marker_key;
pub use job::GamificationJob;
pub use keys::key_fields;
pub use keys::{KEY_FIELD, ensure_key_fields};
pub use levels::{LevelPass, level_plan};
pub use person::{KarmaEntry, Points, points};
pub use points::{karma_plan, karma_plan_with, trial, trial_report, trial_report_with};
pub use scope::explain_user;
pub use setup::{SetupReport, setup};
pub(crate) use writer::key_lookups;

/// Why the gamification job could not plan or run.
#[derive(Debug, Error)]
pub enum GamificationError {
    #[error(transparent)]
    Odoo(#[from] OdooError),
    #[error(transparent)]
    Row(#[from] crate::odoo::RowError),
    #[error("unexpected answer for {what}: {detail}")]
    Unexpected { what: String, detail: String },
    #[error("{what}: {error}")]
    Domain { what: String, error: String },
    #[error(
        "user {login:?} (id {uid}) may not grant badge {badge} '{name}' (rule_auth = {rule_auth}): Odoo checks badge rights against the creating user; add this user to Administration / Access Rights, or set the badge's allowance to everyone"
    )]
    GrantRights {
        login: String,
        uid: i64,
        badge: i64,
        name: String,
        rule_auth: String,
    },
    #[error("no challenge named or numbered {0:?} in Odoo")]
    NoChallenge(String),
    /// `setup` failed after creating records; it removed them again (`left`: those it could
    /// not remove, by model and id).
    #[error("{error}; setup removed the {removed} record(s) it had created{}", if left.is_empty() { String::new() } else { format!(", except {}", left.join(", ")) })]
    SetupRolledBack {
        error: Box<GamificationError>,
        removed: usize,
        left: Vec<String>,
    },
    #[error(transparent)]
    Key(#[from] InvalidKey),
    #[error(transparent)]
    Apply(#[from] ApplyError),
}

/// How a run behaves.
#[derive(Clone, Debug)]
pub struct Options {
    /// UTC date the periods are computed for (injected; Odoo uses the server's UTC date).
    pub today: NaiveDate,
    /// Draft challenges to start now, as Odoo's `action_start`.
    pub start: Vec<i64>,
    /// Only these challenges (all relevant ones when `None`).
    pub only: Option<Vec<i64>>,
    /// Users without any matching record in a batch definition: 0, or untouched as in Odoo.
    pub missing_rows: MissingRows,
    /// Config-as-code computations, by goal definition name, for definitions that Odoo holds
    /// as `manually`.
    pub overrides: HashMap<String, Definition>,
    /// Compute the challenges made in Odoo's screens too (`odoo_challenges`); when false,
    /// only those named in `config_challenges`.
    pub odoo_challenges: bool,
    pub config_challenges: Vec<String>,
    /// `[recognition]`: posts in Odoo for goals reached and badges granted.
    pub recognition: Option<crate::config::RecognitionConfig>,
}

impl Options {
    pub fn new(today: NaiveDate) -> Options {
        Options {
            today,
            start: Vec::new(),
            only: None,
            missing_rows: MissingRows::Zero,
            overrides: HashMap::new(),
            odoo_challenges: true,
            config_challenges: Vec::new(),
            recognition: None,
        }
    }

    /// Posts recognition messages as `[recognition]` says (none when `None`).
    pub fn with_recognition(
        mut self,
        recognition: Option<crate::config::RecognitionConfig>,
    ) -> Self {
        self.recognition = recognition;
        self
    }

    /// Options from the `[gamification]` section.
    pub fn from_config(config: &GamificationConfig, today: NaiveDate) -> Options {
        let mut opts = Options::new(today);
        opts.missing_rows = if config.batch_missing_as_zero {
            MissingRows::Zero
        } else {
            MissingRows::KeepOdoosValue
        };
        opts.overrides = overrides(config);
        opts.odoo_challenges = config.odoo_challenges;
        opts.config_challenges = config.challenges.iter().map(|c| c.name.clone()).collect();
        opts
    }
}

/// The engine-side definitions of the config's challenge lines, by definition name.
pub(crate) fn overrides(config: &GamificationConfig) -> HashMap<String, Definition> {
    let mut out = HashMap::new();
    for c in &config.challenges {
        for l in &c.lines {
            out.insert(
                l.name.clone(),
                Definition {
                    id: 0,
                    name: l.name.clone(),
                    mode: match &l.measure {
                        Measure::Count => Mode::Count,
                        Measure::Sum(f) => Mode::Sum { field: f.clone() },
                    },
                    model: l.model.clone(),
                    // Whether it is a datetime is learnt from Odoo at run time
                    // (`resolve_date_types`).
                    date_field: l.date_field.as_ref().map(|f| DateField {
                        name: f.clone(),
                        is_datetime: true,
                    }),
                    domain: l.domain.clone(),
                    batch: Some(Batch {
                        field: l.user_field.clone(),
                        user_expression: "user.id".into(),
                    }),
                    condition: l.condition,
                },
            );
        }
    }
    out
}

/// What a planning pass found besides the plan.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    pub plan: Plan,
    /// Drafts this run starts.
    pub started: Vec<i64>,
    /// Definitions that could not be computed, with the reason (e.g. `python` mode).
    pub skipped: Vec<String>,
    /// Grants held back (monthly badge limits).
    pub withheld: Vec<String>,
    /// Aggregation queries sent to Odoo.
    pub queries: usize,
    /// Goals after this run (new ones with id 0), for reports and leaderboards.
    pub goals: Vec<crate::gamification::Goal>,
    /// What Odoo will do by itself when these writes land.
    pub side_effects: Vec<SideEffect>,
    /// What a run saw Odoo do that the plan did not predict.
    pub surprises: Vec<String>,
}

/// Computes the gamification plan without writing anything: read, evaluate (the engines),
/// plan (pure, [`plan::plan`]).
pub async fn plan(client: &OdooClient, opts: &Options) -> Result<Outcome, GamificationError> {
    Ok(plan_keeping(client, opts, None).await?.0)
}

/// [`plan`], given the last run's aggregation answers (`kept`): the counted models are
/// probed and unchanged ones not asked again; this run's answers come back to be kept.
async fn plan_keeping(
    client: &OdooClient,
    opts: &Options,
    kept: Option<&answers::Answers>,
) -> Result<(Outcome, Option<answers::Answers>), GamificationError> {
    let reading = reading::read_all(client, opts).await?;
    let mut out = Outcome {
        plan: Plan::new("gamification"),
        started: reading.started.clone(),
        ..Outcome::default()
    };
    if reading.snap.challenges.is_empty() {
        return Ok((out, None));
    }
    let prepared = refresh::prepare(&reading.snap, opts.today);
    out.skipped
        .extend(prepared.unsupported.iter().map(|u| u.to_string()));
    let aggregated = aggregate::aggregate(client, &reading, &prepared, opts, kept).await?;
    out.queries = aggregated.queries;
    out.skipped.extend(aggregated.skipped);
    let evaluation = evaluate::evaluate(&reading, &prepared, &aggregated.values, opts.today)?;
    let no_grants = grants::Grants::default();
    let grants = reading.grants.as_ref().unwrap_or(&no_grants);
    if let Some(badge) = evaluate::restricted_badge(&evaluation.grants, grants) {
        rights::check_grant_rights(client, reading.uid, badge, grants).await?;
    }
    out.plan = plan::plan(&plan::PlanInput {
        started: &reading.started,
        duplicate_goals: &reading.duplicate_goals,
        users: &reading.snap.users,
        settled: &evaluation.settled,
        duplicate_grants: &grants.duplicates,
        grants: &evaluation.grants,
        key_fields: &grants.key_fields,
    })?;
    if let Some(cfg) = &opts.recognition {
        recognition::plan_recognition(
            client,
            cfg,
            &reading,
            &evaluation,
            opts.today,
            &mut out.plan,
        )
        .await?;
    }
    out.withheld = evaluation.withheld;
    out.side_effects = evaluation.side_effects;
    out.goals = evaluation.settled.goals;
    Ok((out, aggregated.answers))
}

/// Plans once, then applies in two steps: everything but the starts of draft challenges,
/// then the starts. A real Odoo generates a started challenge's missing goals (and deletes
/// those of users no longer selected) on the state write; creating the goals first leaves it
/// nothing to generate, so what `plan` showed is what `run` does. The run then checks Odoo's
/// side effects against the prediction and says when they differ.
pub async fn run(
    client: &OdooClient,
    state: &mut State,
    opts: &Options,
    apply_opts: &ApplyOptions,
) -> Result<(Outcome, ApplyReport), GamificationError> {
    // Held until the run is applied: a second process planning from the same state would
    // plan the same writes.
    let _lock = state.lock_job("gamification").map_err(ApplyError::from)?;
    let writer = crate::jobs::writer(client);
    let kept = answers::Answers::from_cursor(
        state
            .cursor("gamification", answers::CURSOR)
            .map_err(ApplyError::from)?
            .as_deref(),
    );
    let (mut outcome, fresh) = plan_keeping(client, opts, Some(&kept)).await?;
    // What Odoo answered holds whatever the apply does (our writes are goals, which no
    // query counts unless a definition counts goals: then the next probe sees them).
    if let Some(fresh) = fresh {
        state
            .set_cursor("gamification", answers::CURSOR, &fresh.to_cursor())
            .map_err(ApplyError::from)?;
    }
    if outcome.started.is_empty() {
        let report = apply::apply(&outcome.plan, state, &writer, apply_opts).await?;
        return Ok((outcome, report));
    }
    let plan::Staged { refresh, starts } = plan::stage(&outcome.plan, &outcome.started);
    let mut report = apply::apply(&refresh, state, &writer, apply_opts).await?;
    if !report.is_success() || report.interrupted {
        // A challenge is started only once its goals exist.
        return Ok((outcome, report));
    }
    let before = started_goal_ids(client, &outcome.started).await?;
    let started = apply::apply(&starts, state, &writer, apply_opts).await?;
    let after = started_goal_ids(client, &outcome.started).await?;
    let generated = after.difference(&before).count();
    let removed = before.difference(&after).count();
    let (want_generated, want_removed) = outcome
        .side_effects
        .iter()
        .filter_map(|e| match e {
            SideEffect::Start {
                generated, removed, ..
            } => Some((*generated, removed.len())),
            SideEffect::ProgressReports { .. } => None,
        })
        .fold((0, 0), |(g, r), (eg, er)| (g + eg, r + er));
    if (generated, removed) != (want_generated, want_removed) {
        outcome.surprises.push(format!(
            "starting challenge(s) {:?}: Odoo generated {generated} goal(s) and deleted \
             {removed} (predicted {want_generated} and {want_removed}); the next run computes \
             what it generated",
            outcome.started
        ));
    }
    report.absorb(started);
    Ok((outcome, report))
}

/// The ids of every goal of `challenges`, to see what Odoo's start did.
async fn started_goal_ids(
    client: &OdooClient,
    challenges: &[i64],
) -> Result<BTreeSet<i64>, GamificationError> {
    let ids = client
        .search(
            "gamification.goal",
            vec![crate::odoo::leaf(
                "challenge_id",
                "in",
                xmlrpc::Value::Array(challenges.iter().map(|&c| xmlrpc::Value::Int(c)).collect()),
            )],
            &Default::default(),
        )
        .await?;
    Ok(ids.into_iter().collect())
}

impl Outcome {
    /// What `scorekeeper plan gamification` prints: the plan (its examples named where
    /// `names` knows them), then what was left out and why.
    pub(crate) fn text(&self, names: &crate::plan::Names) -> String {
        let mut f = String::new();
        if !self.started.is_empty() {
            let ids: Vec<String> = self.started.iter().map(i64::to_string).collect();
            f.push_str(&format!("challenges started: {}\n", ids.join(", ")));
        }
        f.push_str(&self.plan.summary_named(EXAMPLES, names).to_string());
        for s in &self.skipped {
            f.push_str(&format!("skipped: {s}\n"));
        }
        for w in &self.withheld {
            f.push_str(&format!("badge withheld: {w}\n"));
        }
        for e in &self.side_effects {
            f.push_str(&format!("Odoo itself: {e}\n"));
        }
        for s in &self.surprises {
            f.push_str(&format!("warning: {s}\n"));
        }
        f
    }
}

/// Examples of the plan that `plan gamification` prints.
pub(crate) const EXAMPLES: usize = 10;

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text(&crate::plan::Names::default()))
    }
}
