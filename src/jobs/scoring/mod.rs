//! The lead scoring and routing job: read → evaluate (the pure `scoring` and `assignment`
//! engines) → plan → apply through the journal.
//!
//! **Full pass** (first run, then at least every `full_pass_hours`): every rule domain is
//! pushed down as one `search(scope ∧ rule)` returning ids only (at most `max_concurrency` in
//! flight), the leads in scope are read once in id-ordered pages with only the fields the plan
//! needs (score, write_date, decay dates, priority/tags when bands set them, owner/team when
//! routing), and the id sets are combined in Rust. **Incremental pass**: only leads with
//! `write_date >= cursor − overlap_secs` are read (the page reader dedupes by id), with the
//! fields the rules read, and rules are evaluated in memory by the domain evaluator over those
//! leads and the related records they point at (`local`); rules with `child_of`/`parent_of`
//! are pushed down restricted to those ids. Both feed the same scoring function.
//!
//! **Why both passes give identical scores, NULL included.** Odoo reads an empty integer or
//! float as `0`, but its SQL keeps NULL apart (`('f','=',0)` and `('f','<',5)` do not match
//! NULL rows). The pushdown pass inherits SQL's answer for free. The in-memory pass restores
//! NULLs before evaluating: for each numeric field that read as `0` it asks Odoo which of
//! those records are really NULL (one `search` per such field, only when zeros occur), so the
//! evaluator sees `Null` exactly where SQL does. The score field itself is compared as read
//! (`0` for never-scored leads): a lead scoring 0 is not written, in either pass, and its
//! NULL stays (harmless: both passes treat it the same way). Known residual difference:
//! datetimes are read without microseconds, so a rule comparing a datetime with `>` against
//! the exact second a lead was written could differ; the next full pass settles it.
//!
//! **Cursor.** The next incremental pass starts at the server's time when this pass began
//! (from the HTTP `Date` of an answer received before the first read; the largest
//! `write_date` read when the server sends none) minus `overlap_secs`, which covers
//! transactions still open while we read; leads read within that overlap are remembered as
//! `(id, write_date)` and not read in full again. Our own score writes move `write_date`: after
//! an applied run the job reads back the stamp (`write_date`) of each of its write calls, and
//! the next pass skips a lead only if its last write is the bot's with exactly the stamp of
//! the call that wrote it (see `cursor`: an edit a second later, by anyone, is read), unless
//! a rule reads a field the job writes, or the lead was routed since (routing writes are read
//! back). No sleep separates score and routing writes.
//! **Fixed point.** When the scope or a rule reads a field routing writes (`team_id`,
//! `user_id`), the leads the run routed are read again and scored in the same run (one more
//! journaled apply, [`RunReport::rescored`]), so their scores never wait for the next run.
//! The cursor moves only when the run is applied. What does not touch a lead (time
//! decay, a renamed tag) waits for the next full pass.

mod cursor;
mod local;
mod route;
pub mod scheduled;
pub mod setup;
mod wire;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{NaiveDate, NaiveDateTime};
use futures_util::stream::{self, StreamExt};
use thiserror::Error;

pub use cursor::{OwnRun, OwnWrites, Stamp};
pub use route::Router;
pub use wire::{domain_items, needs_pushdown};

use crate::apply::{self, ApplyError, ApplyOptions, ApplyReport, OdooWriter};
use crate::config::{AssignmentConfig, LEAD_MODEL, ScoringConfig};
use crate::domain::{Domain, DomainError, Env, EvalOptions};
use crate::odoo::{ClientWriter, OdooClient, OdooError, SearchOptions, from_wire, leaf};
use crate::plan::{FieldChange, Plan};
use crate::record::{IdSet, IdSetBuilder, Value};
use crate::scoring::Scored;
use crate::state::{RunId, State, StateError};
use crate::xmlrpc::{Struct, Value as Wire};
use cursor::Keys;

/// Job name of the scoring writes (journal, cursors).
pub const SCORING_JOB: &str = "scoring";
/// Job name of the routing writes (applied with `verify_old`).
pub const ASSIGNMENT_JOB: &str = "assignment";
const CURSOR: &str = "write_date";
const LAST_FULL: &str = "last_full";
const SEEN: &str = "seen";
const OWN_WRITES: &str = "own_writes";
/// The incremental pass reads and evaluates changed leads this many read batches at a time.
const LOCAL_CHUNK_BATCHES: usize = 2;

#[derive(Debug, Error)]
pub enum JobError {
    #[error(transparent)]
    Odoo(#[from] OdooError),
    #[error(transparent)]
    Apply(#[from] ApplyError),
    #[error(transparent)]
    State(#[from] StateError),
    #[error("{what}: {source}")]
    Domain {
        what: String,
        #[source]
        source: DomainError,
    },
    /// Something the config relies on is missing or wrong in Odoo (a tag, a team, the score
    /// field's type); `setup` or the admin must fix it.
    #[error("{0}")]
    Setup(String),
    /// Odoo stopped answering in the middle of the run: exit 3. `written` records were
    /// written before it did; the journal keeps the rest for the next run.
    #[error(
        "Odoo became unreachable during the run, after {written} records were written (the \
         journal keeps the unconfirmed changes; the next run reconciles them): {source}"
    )]
    Unreachable {
        written: usize,
        #[source]
        source: OdooError,
    },
}

fn domain_err(what: impl Into<String>) -> impl FnOnce(DomainError) -> JobError {
    let what = what.into();
    move |source| JobError::Domain { what, source }
}

/// Which leads a pass reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PassKind {
    Full,
    /// Leads written at or after `since` (cursor minus overlap), except the `(id, write_date)`
    /// pairs the previous pass already evaluated (read again only because of the overlap)
    /// and the leads whose last write is exactly one of this job's own score writes (`own`).
    Incremental {
        since: String,
        seen: BTreeSet<(i64, String)>,
        own: OwnWrites,
    },
    /// Exactly these leads (`explain`).
    Leads(Vec<i64>),
}

/// How to run.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// The run's clock (UTC, naive like Odoo's): decay ages and domain placeholders.
    pub now: NaiveDateTime,
    /// Force a full pass.
    pub full: bool,
}

/// A lead as the pass saw it and scored it.
#[derive(Clone, Debug, PartialEq)]
pub struct LeadRow {
    pub id: i64,
    pub old_score: i64,
    pub scored: Scored,
    pub old_priority: Option<String>,
    pub old_tags: Vec<i64>,
    pub user_id: Option<i64>,
    pub team_id: Option<i64>,
    pub probability: f64,
}

/// Everything a run decided, before applying.
#[derive(Debug)]
pub struct Evaluation {
    pub kind: PassKind,
    pub leads_read: usize,
    pub scoring_plan: Plan,
    pub assignment_plan: Plan,
    pub routing: Option<crate::assignment::Outcome>,
    /// Leads per band (by band order) among the leads read; last entry: no band.
    pub band_counts: Vec<(String, usize)>,
    /// Largest write_date read (the next cursor).
    pub cursor: Option<String>,
    /// `(id, write_date)` of the leads read within the overlap before `cursor`: the next
    /// incremental pass skips them.
    pub seen: Vec<(i64, String)>,
    /// Rows kept for explanations (`PassKind::Leads` only).
    pub rows: Vec<LeadRow>,
}

impl Evaluation {
    /// The leads per band, then the first `examples` planned changes of the scores and, when
    /// routing is configured, of the routing: what `plan`, `run` and the demo print.
    pub fn summary_text(&self, examples: usize) -> String {
        let mut out = String::new();
        if !self.band_counts.is_empty() {
            let bands: Vec<String> = self
                .band_counts
                .iter()
                .map(|(b, n)| format!("{b} {n}"))
                .collect();
            out.push_str(&format!("bands   {}\n", bands.join(", ")));
        }
        out.push_str(&format!("scores\n{}", self.scoring_plan.summary(examples)));
        if self.routing.is_some() {
            out.push_str(&format!(
                "routing\n{}",
                self.assignment_plan.summary(examples)
            ));
        }
        out
    }
}

/// What a run did.
#[derive(Debug)]
pub struct RunReport {
    pub evaluation: Evaluation,
    pub scoring: Option<ApplyReport>,
    pub assignment: Option<ApplyReport>,
    /// The routed leads scored again, when a rule reads what routing wrote: the run ends
    /// where a second run has nothing to do.
    pub rescored: Option<ApplyReport>,
}

impl RunReport {
    /// The applied runs, in the order they ran.
    pub fn applied(&self) -> impl Iterator<Item = &ApplyReport> {
        [&self.scoring, &self.assignment, &self.rescored]
            .into_iter()
            .flatten()
    }
}

/// The job over one client and its config.
pub struct ScoringJob<'a> {
    pub client: &'a OdooClient,
    pub scoring: &'a ScoringConfig,
    pub assignment: Option<&'a AssignmentConfig>,
    /// A stop request for the applies (see [`ScoringJob::with_cancel`]).
    pub cancel: Option<tokio_util::sync::CancellationToken>,
}

fn parse_dt(s: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S")
        .ok()
        .or_else(|| {
            NaiveDate::parse_from_str(s.get(..10)?, "%Y-%m-%d")
                .ok()?
                .and_hms_opt(0, 0, 0)
        })
}

fn fmt_dt(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

impl<'a> ScoringJob<'a> {
    pub fn new(
        client: &'a OdooClient,
        scoring: &'a ScoringConfig,
        assignment: Option<&'a AssignmentConfig>,
    ) -> Self {
        ScoringJob {
            client,
            scoring,
            assignment,
            cancel: None,
        }
    }

    /// Stops the run's applies at the next call boundary when `cancel` fires (SIGTERM/SIGINT).
    pub fn with_cancel(mut self, cancel: tokio_util::sync::CancellationToken) -> Self {
        self.cancel = Some(cancel);
        self
    }

    /// The pass the next run makes, from the cursors in `state`.
    pub fn next_pass(&self, state: &State, opts: &RunOptions) -> Result<PassKind, JobError> {
        if opts.full || self.scoring.full_pass_hours == 0 {
            return Ok(PassKind::Full);
        }
        let cursor = state.cursor(SCORING_JOB, CURSOR)?;
        let last_full = state
            .cursor(SCORING_JOB, LAST_FULL)?
            .and_then(|s| parse_dt(&s));
        let (Some(cursor), Some(last_full)) = (cursor.and_then(|c| parse_dt(&c)), last_full) else {
            return Ok(PassKind::Full);
        };
        let hours = (opts.now - last_full).num_minutes() as f64 / 60.0;
        if hours >= self.scoring.full_pass_hours as f64 {
            return Ok(PassKind::Full);
        }
        let since = cursor - chrono::Duration::seconds(self.scoring.overlap_secs as i64);
        let seen = state
            .cursor(SCORING_JOB, SEEN)?
            .and_then(|s| serde_json::from_str::<Vec<(i64, String)>>(&s).ok())
            .unwrap_or_default()
            .into_iter()
            .collect();
        let since = fmt_dt(since);
        let own = if self.rules_read_own_writes() {
            OwnWrites::default()
        } else {
            self.own_writes(state, &since)?
        };
        Ok(PassKind::Incremental { since, seen, own })
    }

    fn own_runs(&self, state: &State) -> Result<Vec<OwnRun>, JobError> {
        Ok(state
            .cursor(SCORING_JOB, OWN_WRITES)?
            .and_then(|s| serde_json::from_str::<Vec<OwnRun>>(&s).ok())
            .unwrap_or_default())
    }

    fn save_own_runs(&self, state: &mut State, runs: &[OwnRun]) -> Result<(), JobError> {
        let text = serde_json::to_string(runs).unwrap_or_else(|_| "[]".into());
        state.set_cursor(SCORING_JOB, OWN_WRITES, &text)?;
        Ok(())
    }

    /// The own writes a pass reading from `since` may meet: per stamp at or after `since`, the
    /// leads the stamped call wrote (from the journal), minus the leads routed since.
    fn own_writes(&self, state: &State, since: &str) -> Result<OwnWrites, JobError> {
        let runs = cursor::keep_runs(self.own_runs(state)?, since);
        let Some(uid) = runs.last().map(|r| r.uid) else {
            return Ok(OwnWrites::default());
        };
        // Per stamp, the ids written at it, built into compact sets as the journal streams by.
        let mut written: BTreeMap<String, IdSetBuilder> = BTreeMap::new();
        let mut routed = Vec::new();
        for run in runs.iter().filter(|r| r.uid == uid) {
            let stamps: BTreeMap<i64, &str> = run
                .stamps
                .iter()
                .filter(|s| s.write_date.as_str() >= since)
                .map(|s| (s.group, s.write_date.as_str()))
                .collect();
            if !stamps.is_empty() {
                let run_id = RunId::from(run.run.as_str());
                state.each_applied_write(&run_id, LEAD_MODEL, |group, id| {
                    if let Some(&date) = stamps.get(&group) {
                        match written.get_mut(date) {
                            Some(ids) => ids.push(id),
                            None => {
                                let mut ids = IdSetBuilder::new();
                                ids.push(id);
                                written.insert(date.to_owned(), ids);
                            }
                        }
                    }
                })?;
            }
            for routing in &run.routing {
                let run_id = RunId::from(routing.as_str());
                state.each_applied_write(&run_id, LEAD_MODEL, |_, id| routed.push(id))?;
            }
        }
        Ok(OwnWrites::new(uid, written, routed))
    }

    /// The fields the scoring apply writes.
    fn written_fields(&self) -> Vec<&str> {
        let bands = &self.scoring.model.bands;
        let mut f = vec![self.scoring.score_field.as_str()];
        if bands.iter().any(|b| b.priority.is_some()) {
            f.push("priority");
        }
        if bands.iter().any(|b| b.tag.is_some()) {
            f.push("tag_ids");
        }
        f
    }

    /// Whether the scope or a rule reads a field the job writes (or the write stamps): then
    /// a lead the job wrote may score differently afterwards, and its own writes must be read
    /// back like anyone else's.
    /// A test of `tag_ids` only counts when it could see the band tags (a rule on the tags
    /// "VIP" or "Government" does not care whether "Hot" is linked too).
    fn rules_read_own_writes(&self) -> bool {
        let mut written = self.written_fields();
        written.extend(["write_date", "write_uid", "__last_update"]);
        let band_tags: Vec<&str> = self
            .scoring
            .model
            .bands
            .iter()
            .filter_map(|b| b.tag.as_deref())
            .collect();
        std::iter::once(&self.scoring.scope)
            .chain(&self.scoring.rule_domains)
            .any(|d| {
                d.fields().iter().any(|p| {
                    let head = p.split('.').next().unwrap_or(p);
                    written.contains(&head)
                        && (head != "tag_ids" || d.depends_on_linked_names(head, &band_tags))
                })
            })
    }

    /// After an applied scoring run: reads back `write_uid, write_date` of the first and the
    /// last lead of every write call of run `run` (one `read` per `batch_size` probes) and
    /// remembers each call's stamp, so the next incremental pass does not read the run's own
    /// writes back (see `cursor`). Best effort: a call without a stamp has its leads read by
    /// the next pass, which is correct, only slower.
    async fn remember_own_writes(
        &self,
        state: &mut State,
        run: &RunId,
        since_floor: Option<&str>,
    ) -> Result<(), JobError> {
        let Some(uid) = self.client.uid() else {
            return Ok(());
        };
        let mut groups: Vec<(i64, Vec<i64>)> = Vec::new();
        state.each_applied_write(run, LEAD_MODEL, |group, id| match groups.last_mut() {
            Some((g, probes)) if *g == group => match probes.as_mut_slice() {
                [_] => probes.push(id),
                [_, last] => *last = id,
                _ => {}
            },
            _ => groups.push((group, vec![id])),
        })?;
        let probes: Vec<i64> = groups.iter().flat_map(|(_, p)| p.iter().copied()).collect();
        let mut observed = HashMap::with_capacity(probes.len());
        for chunk in probes.chunks(self.client.batch_size().max(1)) {
            let rows = self
                .client
                .read(LEAD_MODEL, chunk, &["write_uid", "write_date"])
                .await?;
            for r in rows {
                let (Some(id), Some(date)) = (
                    r.get("id").and_then(Wire::as_i64),
                    r.get("write_date").and_then(Wire::as_str),
                ) else {
                    continue;
                };
                let by = write_uid(&r).unwrap_or(0);
                observed.insert(id, (by, date.to_owned()));
            }
        }
        let stamps = cursor::stamp_groups(uid, &groups, &observed);
        let mut runs = self.own_runs(state)?;
        runs.push(OwnRun {
            uid,
            run: run.to_string(),
            stamps,
            routing: Vec::new(),
        });
        let runs = cursor::keep_runs(runs, since_floor.unwrap_or(""));
        self.save_own_runs(state, &runs)
    }

    /// After an applied routing run: its leads are read back by the next pass, whatever their
    /// stamp. Noted on the newest run kept (the skip sets of all kept runs leave them out).
    fn remember_routing(&self, state: &mut State, routing: &RunId) -> Result<(), JobError> {
        let mut runs = self.own_runs(state)?;
        let Some(run) = runs.last_mut() else {
            return Ok(());
        };
        run.routing.push(routing.to_string());
        self.save_own_runs(state, &runs)
    }

    /// The lead fields a pass reads besides what rules need.
    fn base_fields(&self) -> Vec<String> {
        let mut f = vec![
            "id".to_owned(),
            "write_date".to_owned(),
            self.scoring.score_field.clone(),
        ];
        for rule in &self.scoring.model.rules {
            if let Some(d) = &rule.decay {
                f.push(d.field.clone());
            }
        }
        let bands = &self.scoring.model.bands;
        if bands.iter().any(|b| b.priority.is_some()) {
            f.push("priority".into());
        }
        if bands.iter().any(|b| b.tag.is_some()) {
            f.push("tag_ids".into());
        }
        if self.assignment.is_some() {
            // create_date: 18+ route only leads created within the version's window.
            for x in ["user_id", "team_id", "probability", "create_date"] {
                f.push(x.into());
            }
        }
        dedup(f)
    }

    fn bound(&self, env: &Env) -> Result<(Domain, Vec<Domain>), JobError> {
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
    ) -> Result<Evaluation, JobError> {
        self.evaluate_with(kind, now, true).await
    }

    /// [`evaluate`](Self::evaluate), routing too when `route` and `[assignment]` is set.
    async fn evaluate_with(
        &self,
        kind: PassKind,
        now: NaiveDateTime,
        route: bool,
    ) -> Result<Evaluation, JobError> {
        let env = Env::at(now);
        let (scope, rules) = self.bound(&env)?;
        // Only `explain` keeps its rows: routing takes what it needs as leads are scored.
        let keep_rows = match &kind {
            PassKind::Leads(_) => KeepRows::All,
            _ => KeepRows::None,
        };
        // The cursor and the next pass's `seen` come from every lead read, skipped ones
        // included.
        // Authenticated first, so the server time below comes from an answer received before
        // the first read (the same call the first read would have made).
        if self.client.uid().is_none() && !matches!(kind, PassKind::Leads(_)) {
            self.client.authenticate().await?;
        }
        let server_start = self.client.metrics_handle().server_time();
        let mut keys = Keys::new(self.scoring.overlap_secs, server_start);
        let router = match self.assignment {
            Some(cfg) if route => Some(Router::prepare(self, cfg, &kind, &scope, &env).await?),
            _ => None,
        };
        let mut acc = Acc::new(self, now, keep_rows, router);
        match &kind {
            PassKind::Full => self.full_pass(&scope, &rules, &mut acc, &mut keys).await?,
            PassKind::Incremental { since, seen, own } => {
                let mut domain = domain_items(&scope);
                domain.push(leaf("write_date", ">=", Wire::from(since.as_str())));
                let fresh = self.changed(domain, seen, own, &mut keys).await?;
                if let Some(router) = acc.router.as_mut() {
                    // The leads to read by id when few (the window also holds other leads,
                    // e.g. the previous run's routing writes), else by the same window.
                    let listed = if fresh.len() <= self.client.batch_size() {
                        leaf(
                            "id",
                            "in",
                            Wire::Array(fresh.iter().map(|i| Wire::Int(*i)).collect()),
                        )
                    } else {
                        leaf("write_date", ">=", Wire::from(since.as_str()))
                    };
                    router.match_domains(self, &scope, Some(listed)).await?;
                }
                self.local_pass(&fresh, &rules, &mut acc).await?;
            }
            PassKind::Leads(ids) => {
                let mut domain = domain_items(&scope);
                domain.push(leaf(
                    "id",
                    "in",
                    Wire::Array(ids.iter().map(|i| Wire::Int(*i)).collect()),
                ));
                let found = self
                    .client
                    .search(LEAD_MODEL, domain, &SearchOptions::default())
                    .await?;
                if let Some(router) = acc.router.as_mut() {
                    let listed = leaf(
                        "id",
                        "in",
                        Wire::Array(found.iter().map(|i| Wire::Int(*i)).collect()),
                    );
                    router.match_domains(self, &scope, Some(listed)).await?;
                }
                self.local_pass(&found, &rules, &mut acc).await?;
            }
        }

        let Acc {
            plan,
            mut rows,
            band_counts,
            leads,
            router,
            ..
        } = acc;
        let model = &self.scoring.model;
        let mut band_names: Vec<(String, usize)> = model
            .bands
            .iter()
            .map(|b| b.name.clone())
            .chain(std::iter::once("(no band)".to_owned()))
            .zip(band_counts)
            .collect();
        band_names.retain(|(_, n)| *n > 0);

        let (assignment_plan, routing) = match router {
            Some(router) => {
                let (plan, outcome) = router.finish(self, &scope).await?;
                (plan, Some(outcome))
            }
            None => (Plan::new(ASSIGNMENT_JOB), None),
        };
        let (cursor, seen) = keys.finish();
        if !matches!(kind, PassKind::Leads(_)) {
            rows = Vec::new();
        }
        Ok(Evaluation {
            kind,
            leads_read: leads,
            scoring_plan: plan,
            assignment_plan,
            routing,
            band_counts: band_names,
            cursor,
            seen,
            rows,
        })
    }

    /// The ids of the leads an incremental pass must read, among those `domain` lists: ids
    /// and write dates first, so what was already evaluated at its current write_date (read
    /// again only because of the overlap) and what still holds exactly the job's own last
    /// write is not read in full. Few own writes (at most `batch_size`): listed with
    /// `write_uid` and told apart here, in the same pages. Many (after a mass rescoring): the
    /// server leaves out the bot's leads at the own stamps, and each stamp is checked with one
    /// ids-only `search` (at most `max_concurrency` in flight), so hundreds of thousands of
    /// own writes cost a few kB each instead of a row each.
    async fn changed(
        &self,
        domain: Vec<Wire>,
        seen: &BTreeSet<(i64, String)>,
        own: &OwnWrites,
        keys: &mut Keys,
    ) -> Result<Vec<i64>, JobError> {
        let inline = own.len() <= self.client.batch_size();
        let mut listed = domain.clone();
        let mut fields = vec!["id", "write_date"];
        if !own.is_empty() {
            if inline {
                fields.push("write_uid");
            } else {
                let stamps = own.at.keys().map(|d| Wire::from(d.as_str())).collect();
                listed.extend([
                    Wire::from("|"),
                    leaf("write_uid", "!=", Wire::Int(own.uid)),
                    leaf("write_date", "not in", Wire::Array(stamps)),
                ]);
            }
        }
        let mut fresh = Vec::new();
        let mut pages = std::pin::pin!(self.client.search_read_pages(LEAD_MODEL, listed, &fields));
        while let Some(page) = pages.next().await {
            for raw in page? {
                let key = seen_key(&raw);
                let ours = inline && !own.is_empty() && own.is_own(key.0, &key.1, write_uid(&raw));
                if !ours && !seen.contains(&key) {
                    fresh.push(key.0);
                }
                keys.add(key);
            }
        }
        if inline || own.is_empty() {
            return Ok(fresh);
        }
        // Owned domains: the futures must not borrow through the closure's argument.
        let per_stamp: Vec<(String, Vec<Wire>)> = own
            .at
            .keys()
            .map(|date| {
                let mut d = domain.clone();
                d.push(leaf("write_uid", "=", Wire::Int(own.uid)));
                d.push(leaf("write_date", "=", Wire::from(date.as_str())));
                (date.clone(), d)
            })
            .collect();
        let client = self.client;
        let searches = per_stamp.into_iter().map(|(date, d)| async move {
            let ids = client
                .search_ids(LEAD_MODEL, d, &SearchOptions::default())
                .await;
            (date, ids)
        });
        let mut pending =
            stream::iter(searches).buffer_unordered(self.scoring.max_concurrency.max(1));
        while let Some((date, found)) = pending.next().await {
            for id in found?.iter() {
                if own.is_own(id, &date, Some(own.uid)) {
                    continue;
                }
                let key = (id, date.clone());
                if !seen.contains(&key) {
                    fresh.push(id);
                }
                keys.add(key);
            }
        }
        Ok(fresh)
    }

    /// Every rule domain pushed down as one `search(scope ∧ rule)` (ids only, at most
    /// `max_concurrency` in flight), then the leads in scope read in id-ordered pages with
    /// only the fields the plan needs, each page scored and dropped before the next.
    async fn full_pass(
        &self,
        scope: &Domain,
        rules: &[Domain],
        acc: &mut Acc<'_>,
        keys: &mut Keys,
    ) -> Result<(), JobError> {
        // Owned domains: the futures must not borrow through the closure's argument (so the
        // whole run stays `Send` for the scheduler).
        let domains: Vec<(usize, Vec<Wire>)> = rules
            .iter()
            .enumerate()
            .map(|(i, rule)| (i, wire::and_items(scope, rule)))
            .collect();
        let client = self.client;
        let searches = domains.into_iter().map(|(i, domain)| async move {
            let ids = client
                .search_ids(LEAD_MODEL, domain, &SearchOptions::default())
                .await;
            (i, ids)
        });
        // Compact id sets (a bitmap when dense: 125 kB for a million leads), decoded while
        // the answers stream in, so neither the XML nor a list of values is ever held.
        let mut sets: Vec<IdSet> = vec![IdSet::default(); rules.len()];
        let mut pending =
            stream::iter(searches).buffer_unordered(self.scoring.max_concurrency.max(1));
        while let Some((i, ids)) = pending.next().await {
            sets[i] = ids?;
        }
        acc.set_tag_ids(self.band_tags(true).await?);
        if let Some(router) = acc.router.as_mut() {
            router.match_domains(self, scope, None).await?;
        }
        let base = self.base_fields();
        let names: Vec<&str> = base.iter().map(String::as_str).collect();
        let mut pages = std::pin::pin!(self.client.search_read_pages(
            LEAD_MODEL,
            domain_items(scope),
            &names
        ));
        while let Some(page) = pages.next().await {
            for raw in page? {
                let key = seen_key(&raw);
                let hits = (0..sets.len())
                    .filter(|&i| sets[i].contains(key.0))
                    .collect();
                acc.add(&raw, hits);
                keys.add(key);
            }
        }
        Ok(())
    }

    /// Reads `ids` (in chunks, so memory stays bounded however many leads changed) with the
    /// fields the rules read, loads the related records they reach, and evaluates the rules
    /// in memory; rules with `child_of`/`parent_of` are pushed down restricted to the chunk.
    async fn local_pass(
        &self,
        ids: &[i64],
        rules: &[Domain],
        acc: &mut Acc<'_>,
    ) -> Result<(), JobError> {
        acc.set_tag_ids(self.band_tags(!ids.is_empty()).await?);
        if ids.is_empty() {
            return Ok(());
        }
        let mut top = self.base_fields();
        let mut paths = Vec::new();
        for d in rules {
            for p in d.fields() {
                top.push(p.split('.').next().unwrap_or(&p).to_owned());
                paths.push(p);
            }
        }
        top.push("active".into());
        let top = dedup(top);
        let names: Vec<&str> = top.iter().map(String::as_str).collect();
        let batch = self.client.batch_size().max(1);
        let mut loader = local::Loader::new(self.client);
        for chunk in ids.chunks(batch * LOCAL_CHUNK_BATCHES) {
            let mut rows = Vec::with_capacity(chunk.len());
            for part in chunk.chunks(batch) {
                rows.extend(self.client.read(LEAD_MODEL, part, &names).await?);
            }
            // matched rule indices per lead id
            let mut matched: BTreeMap<i64, Vec<usize>> = BTreeMap::new();
            if !rows.is_empty() && !rules.is_empty() {
                loader.reset();
                loader.load(LEAD_MODEL, &rows, &top, &paths).await?;
                let ids: Vec<i64> = rows
                    .iter()
                    .filter_map(|r| r.get("id").and_then(Wire::as_i64))
                    .collect();
                for (i, rule) in rules.iter().enumerate() {
                    let hits = if needs_pushdown(rule) {
                        local::search_among(self.client, LEAD_MODEL, &ids, domain_items(rule))
                            .await?
                            .to_vec()
                    } else {
                        rule.filter(&loader.src, LEAD_MODEL, &ids, &EvalOptions::default())
                            .map_err(domain_err(format!("scoring.rules[{i}].domain")))?
                    };
                    for id in hits {
                        matched.entry(id).or_default().push(i);
                    }
                }
            }
            for raw in &rows {
                let id = raw.get("id").and_then(Wire::as_i64).unwrap_or(0);
                acc.add(raw, matched.remove(&id).unwrap_or_default());
            }
        }
        Ok(())
    }

    /// The crm.tag id of each band's tag (by band index), looked up only when leads were read.
    async fn band_tags(&self, needed: bool) -> Result<Vec<Option<i64>>, JobError> {
        let bands = &self.scoring.model.bands;
        let names: Vec<&str> = bands.iter().filter_map(|b| b.tag.as_deref()).collect();
        if names.is_empty() || !needed {
            return Ok(vec![None; bands.len()]);
        }
        let found = self
            .client
            .search_read_all(
                "crm.tag",
                vec![leaf(
                    "name",
                    "in",
                    Wire::Array(names.iter().map(|n| Wire::from(*n)).collect()),
                )],
                &["id", "name"],
            )
            .await?;
        bands
            .iter()
            .map(|b| match &b.tag {
                None => Ok(None),
                Some(name) => found
                    .iter()
                    .find(|r| r.get("name").and_then(Wire::as_str) == Some(name))
                    .and_then(|r| r.get("id").and_then(Wire::as_i64))
                    .map(Some)
                    .ok_or_else(|| {
                        JobError::Setup(format!(
                            "band {} sets the tag '{name}', which does not exist in crm.tag (run `scorekeeper setup`)",
                            b.name
                        ))
                    }),
            })
            .collect()
    }

    /// One run: evaluate, then (unless `dry_run`) apply the scores and the routing.
    pub async fn run(
        &self,
        state: &mut State,
        opts: &RunOptions,
        dry_run: bool,
    ) -> Result<RunReport, JobError> {
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
    ) -> Result<RunReport, JobError> {
        // Held until both plans are applied: a second process reading the same cursors would
        // plan the same writes. A dry run changes nothing and needs none.
        let _lock = if dry_run {
            None
        } else {
            Some(state.lock_job(SCORING_JOB)?)
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
        let mut cursors = Vec::new();
        if let Some(c) = &evaluation.cursor {
            cursors.push((CURSOR.to_owned(), c.clone()));
            let seen = serde_json::to_string(&evaluation.seen).unwrap_or_else(|_| "[]".into());
            cursors.push((SEEN.to_owned(), seen));
        }
        if evaluation.kind == PassKind::Full {
            cursors.push((LAST_FULL.to_owned(), fmt_dt(opts.now)));
        }
        let base = ApplyOptions {
            batch_size: self.client.batch_size(),
            request_deadline: self.client.request_deadline(),
            cancel: self.cancel.clone(),
            ..ApplyOptions::default()
        };
        let scoring = match apply::apply(
            &evaluation.scoring_plan,
            state,
            writer,
            &ApplyOptions {
                cursors,
                ..base.clone()
            },
        )
        .await
        {
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
            let floor =
                evaluation.cursor.as_deref().and_then(parse_dt).map(|c| {
                    fmt_dt(c - chrono::Duration::seconds(self.scoring.overlap_secs as i64))
                });
            if let Err(error) = self
                .remember_own_writes(state, &scoring.run_id, floor.as_deref())
                .await
            {
                tracing::warn!(%error, "cannot read back the run's own writes; the next pass reads them again");
            }
        }
        let assignment = if evaluation.assignment_plan.is_empty() || scoring.interrupted {
            None
        } else {
            let routed = match apply::apply(
                &evaluation.assignment_plan,
                state,
                writer,
                &ApplyOptions {
                    verify_old: true,
                    ..base.clone()
                },
            )
            .await
            {
                Ok(report) => report,
                Err(e) => {
                    return Err(self.unreachable_or(scoring.records_written, e.into()).await);
                }
            };
            if routed.records_written > 0 {
                self.remember_routing(state, &routed.run_id)?;
            }
            Some(routed)
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
        std::iter::once(&scope).chain(rules.iter()).any(|d| {
            d.fields()
                .iter()
                .any(|p| routed.contains(p.split('.').next().unwrap_or(p)))
        })
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
    ) -> Result<ApplyReport, JobError> {
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

    /// [`JobError::Unreachable`] when Odoo no longer answers `common.version`, after
    /// `written` records of this run were written.
    async fn gone(&self, written: usize) -> Option<JobError> {
        match self.client.version().await {
            Err(source) if source.is_unreachable_or_auth() => {
                Some(JobError::Unreachable { written, source })
            }
            _ => None,
        }
    }

    /// `error`, unless it came from Odoo going away (then [`JobError::Unreachable`]).
    async fn unreachable_or(&self, written: usize, error: JobError) -> JobError {
        match self.gone(written).await {
            Some(gone) => gone,
            None => error,
        }
    }

    /// `explain lead N`: the score breakdown and the routing decision a run would make now.
    pub async fn explain(&self, lead: i64, now: NaiveDateTime) -> Result<String, JobError> {
        let eval = self.evaluate(PassKind::Leads(vec![lead]), now).await?;
        let Some(row) = eval.rows.iter().find(|r| r.id == lead) else {
            return Ok(format!(
                "lead {lead}: not found, archived, or outside scoring.scope\n"
            ));
        };
        let mut out = format!("lead {lead}\n");
        out.push_str(&self.scoring.model.explain(&row.scored).to_string());
        if row.old_score != row.scored.score {
            out.push_str(&format!(
                "  Odoo holds {} in {}: the next run writes {}\n",
                row.old_score, self.scoring.score_field, row.scored.score
            ));
        }
        if self.assignment.is_some() {
            match eval.routing.as_ref().and_then(|o| o.routings.get(&lead)) {
                Some(r) => out.push_str(&format!("routing\n{r}")),
                None => match row.user_id {
                    Some(uid) => {
                        // People know a salesperson by name; the id stays for the admin.
                        let name = self
                            .client
                            .read("res.users", &[uid], &["display_name"])
                            .await?
                            .first()
                            .and_then(|r| r.get("display_name"))
                            .and_then(Wire::as_str)
                            .map(str::to_owned);
                        let who = match name {
                            Some(name) => format!("{name} (user {uid})"),
                            None => format!("user {uid}"),
                        };
                        out.push_str(&format!(
                            "routing\nalready assigned to {who}: only unassigned (or stale) leads are routed\n"
                        ));
                    }
                    None => out.push_str(&format!(
                        "routing\nscore {} is below every team's minimum\n",
                        row.scored.score
                    )),
                },
            }
        }
        Ok(out)
    }
}

/// Which scored rows a pass keeps after planning (a full pass over a million leads keeps
/// only what routing needs).
#[derive(Clone, Copy)]
enum KeepRows {
    None,
    All,
}

/// Scores leads one by one into a plan.
struct Acc<'j> {
    job: &'j ScoringConfig,
    now: NaiveDateTime,
    keep: KeepRows,
    tag_ids: Vec<Option<i64>>,
    /// Every band's tag id (what a band change removes), from `tag_ids`.
    all_band_tags: Vec<i64>,
    plan: Plan,
    rows: Vec<LeadRow>,
    band_counts: Vec<usize>,
    leads: usize,
    router: Option<Router>,
}

impl<'j> Acc<'j> {
    fn new(
        job: &'j ScoringJob<'_>,
        now: NaiveDateTime,
        keep: KeepRows,
        router: Option<Router>,
    ) -> Self {
        Acc {
            job: job.scoring,
            now,
            keep,
            tag_ids: vec![None; job.scoring.model.bands.len()],
            all_band_tags: Vec::new(),
            plan: Plan::new(SCORING_JOB),
            rows: Vec::new(),
            band_counts: vec![0; job.scoring.model.bands.len() + 1],
            leads: 0,
            router,
        }
    }

    fn set_tag_ids(&mut self, tag_ids: Vec<Option<i64>>) {
        self.all_band_tags = tag_ids.iter().flatten().copied().collect();
        self.tag_ids = tag_ids;
    }

    fn add(&mut self, raw: &Struct, hits: Vec<usize>) {
        let model = &self.job.model;
        let now = self.now;
        let tag_ids = &self.tag_ids;
        let all_band_tags = &self.all_band_tags;
        let band_counts = &mut self.band_counts;
        let plan = &mut self.plan;
        self.leads += 1;
        let Some(id) = raw.get("id").and_then(Wire::as_i64) else {
            return;
        };
        let scored = model.score(
            hits,
            |field| raw.get(field).and_then(Wire::as_str).and_then(parse_dt),
            now,
        );
        let field = |f: &str| raw.get(f).map(from_wire).unwrap_or(Value::Null);
        let old_score = field(&self.job.score_field).as_i64().unwrap_or(0);
        let old_priority = field("priority").as_str().map(str::to_owned);
        let old_tags = field("tag_ids").as_ids().to_vec();
        let row = LeadRow {
            id,
            old_score,
            old_priority,
            old_tags,
            user_id: field("user_id").as_many2one(),
            team_id: field("team_id").as_many2one(),
            probability: field("probability").as_f64().unwrap_or(0.0),
            scored,
        };
        band_counts[row.scored.band.unwrap_or(model.bands.len())] += 1;
        let mut changes = vec![FieldChange::new(
            self.job.score_field.clone(),
            Value::Int(row.old_score),
            Value::Int(row.scored.score),
        )];
        let band = row.scored.band.and_then(|b| model.bands.get(b));
        if let Some(p) = band.and_then(|b| b.priority.as_ref()) {
            changes.push(FieldChange::new(
                "priority",
                row.old_priority.clone().map_or(Value::Null, Value::Str),
                Value::Str(p.clone()),
            ));
        }
        if !all_band_tags.is_empty() {
            let mut tags: Vec<i64> = row
                .old_tags
                .iter()
                .copied()
                .filter(|t| !all_band_tags.contains(t))
                .collect();
            if let Some(t) = row
                .scored
                .band
                .and_then(|b| tag_ids.get(b).copied().flatten())
            {
                tags.push(t);
            }
            changes.push(FieldChange::new(
                "tag_ids",
                Value::Ids(row.old_tags.clone()),
                Value::Ids(tags),
            ));
        }
        let reason = match band {
            Some(b) => format!(
                "score {} ({} rules matched), band {}",
                row.scored.score,
                row.scored.contributions.len(),
                b.name
            ),
            None => format!(
                "score {} ({} rules matched)",
                row.scored.score,
                row.scored.contributions.len()
            ),
        };
        plan.push_write(LEAD_MODEL, id, changes, reason);
        if let Some(router) = self.router.as_mut() {
            router.offer(
                &row,
                raw.get("write_date").and_then(Wire::as_str),
                raw.get("create_date").and_then(Wire::as_str),
            );
        }
        match self.keep {
            KeepRows::None => {}
            KeepRows::All => self.rows.push(row),
        }
    }
}

fn write_uid(row: &Struct) -> Option<i64> {
    row.get("write_uid")
        .map(from_wire)
        .and_then(|v| v.as_many2one())
}

fn seen_key(row: &Struct) -> (i64, String) {
    (
        row.get("id").and_then(Wire::as_i64).unwrap_or(0),
        row.get("write_date")
            .and_then(Wire::as_str)
            .unwrap_or("")
            .to_owned(),
    )
}

fn dedup(fields: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(fields.len());
    for f in fields {
        if !out.contains(&f) {
            out.push(f);
        }
    }
    out
}
