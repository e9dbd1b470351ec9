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
//! Our own writes move `write_date`, so the run after a writing run re-reads those leads
//! (and writes nothing); the cursor is the largest `write_date` read, moved only when the
//! run is applied. What does not touch a lead (time decay, a renamed tag) waits for the next
//! full pass.

mod local;
mod route;
pub mod scheduled;
pub mod setup;
mod wire;

use std::collections::{BTreeMap, BTreeSet};

use chrono::{NaiveDate, NaiveDateTime};
use futures_util::stream::{self, StreamExt};
use thiserror::Error;

pub use route::route_leads;
pub use wire::{domain_items, lit_to_wire, needs_pushdown};

use crate::apply::{self, ApplyError, ApplyOptions, ApplyReport, OdooWriter};
use crate::config::{AssignmentConfig, LEAD_MODEL, ScoringConfig};
use crate::domain::{Domain, DomainError, Env, EvalOptions};
use crate::odoo::{ClientWriter, OdooClient, OdooError, SearchOptions, from_wire, leaf};
use crate::plan::{FieldChange, Plan};
use crate::record::Value;
use crate::scoring::Scored;
use crate::state::{State, StateError};
use crate::xmlrpc::{Struct, Value as Wire};

/// Job name of the scoring writes (journal, cursors).
pub const SCORING_JOB: &str = "scoring";
/// Job name of the routing writes (applied with `verify_old`).
pub const ASSIGNMENT_JOB: &str = "assignment";
const CURSOR: &str = "write_date";
const LAST_FULL: &str = "last_full";
const SEEN: &str = "seen";
/// Above this many already-seen leads, they are filtered locally instead of in the domain
/// (the id list would cost more to send than the rows to receive).
const MAX_SEEN_IDS: usize = 100_000;

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
    /// pairs the previous pass already evaluated (read again only because of the overlap).
    Incremental {
        since: String,
        seen: BTreeSet<(i64, String)>,
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

/// What a run did.
#[derive(Debug)]
pub struct RunReport {
    pub evaluation: Evaluation,
    pub scoring: Option<ApplyReport>,
    pub assignment: Option<ApplyReport>,
}

/// The job over one client and its config.
pub struct ScoringJob<'a> {
    pub client: &'a OdooClient,
    pub scoring: &'a ScoringConfig,
    pub assignment: Option<&'a AssignmentConfig>,
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
        }
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
        Ok(PassKind::Incremental {
            since: fmt_dt(since),
            seen,
        })
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
            for x in ["user_id", "team_id", "probability"] {
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
        let env = Env::at(now);
        let (scope, rules) = self.bound(&env)?;
        let base = self.base_fields();
        let mut rows_raw: Vec<Struct>;
        // (id, write_date) of every lead read, skipped ones included: the cursor and the
        // next pass's `seen` come from all of them.
        let all_keys: Vec<(i64, String)>;
        // matched rule indices per lead id (incremental and explain passes)
        let mut matched: BTreeMap<i64, Vec<usize>> = BTreeMap::new();
        let keep_rows = match (&kind, self.assignment) {
            (PassKind::Full, None) => KeepRows::None,
            (PassKind::Full, Some(a)) => {
                KeepRows::Candidates(a.teams.iter().map(|t| t.min_score).min().unwrap_or(0))
            }
            _ => KeepRows::All,
        };
        let mut acc = Acc::new(self, now, keep_rows);
        match &kind {
            PassKind::Full => {
                // Owned domains: the futures must not borrow through the closure's argument
                // (so the whole run stays `Send` for the scheduler).
                let domains: Vec<(usize, Vec<Wire>)> = rules
                    .iter()
                    .enumerate()
                    .map(|(i, rule)| (i, wire::and_items(&scope, rule)))
                    .collect();
                let client = self.client;
                let searches = domains.into_iter().map(|(i, domain)| async move {
                    let ids = client
                        .search(LEAD_MODEL, domain, &SearchOptions::default())
                        .await;
                    (i, ids)
                });
                let mut results: Vec<(usize, Vec<i64>)> = Vec::with_capacity(rules.len());
                let mut pending =
                    stream::iter(searches).buffer_unordered(self.scoring.max_concurrency.max(1));
                while let Some((i, ids)) = pending.next().await {
                    results.push((i, ids?));
                }
                results.sort_by_key(|(i, _)| *i);
                // Sorted id sets, tested by binary search: no per-lead map at a million leads.
                let sets: Vec<Vec<i64>> = results
                    .into_iter()
                    .map(|(_, mut ids)| {
                        ids.sort_unstable();
                        ids
                    })
                    .collect();
                acc.tag_ids = self.band_tags(true).await?;
                let names: Vec<&str> = base.iter().map(String::as_str).collect();
                let mut keys = Vec::new();
                let mut pages = std::pin::pin!(self.client.search_read_pages(
                    LEAD_MODEL,
                    domain_items(&scope),
                    &names
                ));
                // Each page is scored and dropped before the next arrives.
                while let Some(page) = pages.next().await {
                    for raw in page? {
                        let key = seen_key(&raw);
                        let hits = (0..sets.len())
                            .filter(|&i| sets[i].binary_search(&key.0).is_ok())
                            .collect();
                        acc.add(&raw, hits);
                        keys.push(key);
                    }
                }
                all_keys = keys;
                rows_raw = Vec::new();
            }
            PassKind::Incremental { .. } | PassKind::Leads(_) => {
                let mut domain = domain_items(&scope);
                match &kind {
                    PassKind::Incremental { since, seen } => {
                        domain.push(leaf("write_date", ">=", Wire::from(since.as_str())));
                        // Leads already evaluated at their current write_date need not come
                        // back: `write_date >= cursor OR id not in seen` (rows at the cursor's
                        // own second always come back, and are filtered below by exact pair).
                        let cursor = seen.iter().map(|(_, wd)| wd).max();
                        if let Some(cursor) = cursor.filter(|_| seen.len() <= MAX_SEEN_IDS) {
                            domain.push(Wire::from("|"));
                            domain.push(leaf("write_date", ">=", Wire::from(cursor.as_str())));
                            domain.push(leaf(
                                "id",
                                "not in",
                                Wire::Array(seen.iter().map(|(id, _)| Wire::Int(*id)).collect()),
                            ));
                        }
                    }
                    PassKind::Leads(ids) => domain.push(leaf(
                        "id",
                        "in",
                        Wire::Array(ids.iter().map(|i| Wire::Int(*i)).collect()),
                    )),
                    PassKind::Full => {}
                }
                let mut top = base.clone();
                let mut paths = Vec::new();
                for d in &rules {
                    for p in d.fields() {
                        top.push(p.split('.').next().unwrap_or(&p).to_owned());
                        paths.push(p);
                    }
                }
                top.push("active".into());
                let top = dedup(top);
                let names: Vec<&str> = top.iter().map(String::as_str).collect();
                // One `search` (the domain, with its id list, is sent once), then `read`s of
                // at most `batch_size` ids each.
                let ids = self
                    .client
                    .search(LEAD_MODEL, domain, &SearchOptions::default())
                    .await?;
                rows_raw = Vec::with_capacity(ids.len());
                for chunk in ids.chunks(self.client.batch_size().max(1)) {
                    rows_raw.extend(self.client.read(LEAD_MODEL, chunk, &names).await?);
                }
                let mut keys: Vec<(i64, String)> = rows_raw.iter().map(seen_key).collect();
                if let PassKind::Incremental { seen, .. } = &kind {
                    if !seen.is_empty() {
                        rows_raw.retain(|r| !seen.contains(&seen_key(r)));
                        // Leads the server left out because they were seen are still seen.
                        let read: BTreeSet<i64> = keys.iter().map(|k| k.0).collect();
                        keys.extend(seen.iter().filter(|k| !read.contains(&k.0)).cloned());
                    }
                }
                all_keys = keys;
                if !rows_raw.is_empty() && !rules.is_empty() {
                    let mut loader = local::Loader::new(self.client);
                    loader.load(LEAD_MODEL, &rows_raw, &top, &paths).await?;
                    let ids: Vec<i64> = rows_raw
                        .iter()
                        .filter_map(|r| r.get("id").and_then(Wire::as_i64))
                        .collect();
                    for (i, rule) in rules.iter().enumerate() {
                        let hits = if needs_pushdown(rule) {
                            local::search_among(self.client, LEAD_MODEL, &ids, domain_items(rule))
                                .await?
                        } else {
                            rule.filter(&loader.src, LEAD_MODEL, &ids, &EvalOptions::default())
                                .map_err(domain_err(format!("scoring.rules[{i}].domain")))?
                        };
                        for id in hits {
                            matched.entry(id).or_default().push(i);
                        }
                    }
                }
            }
        }

        // Score and plan.
        if !matches!(kind, PassKind::Full) {
            acc.tag_ids = self.band_tags(!rows_raw.is_empty()).await?;
        }
        for raw in &rows_raw {
            let hits = matched
                .remove(&raw.get("id").and_then(Wire::as_i64).unwrap_or(0))
                .unwrap_or_default();
            acc.add(raw, hits);
        }
        let Acc {
            plan,
            mut rows,
            band_counts,
            leads,
            ..
        } = acc;
        let model = &self.scoring.model;
        let cursor: Option<String> = all_keys
            .iter()
            .map(|(_, wd)| wd)
            .filter(|wd| !wd.is_empty())
            .max()
            .cloned();
        let mut band_names: Vec<(String, usize)> = model
            .bands
            .iter()
            .map(|b| b.name.clone())
            .chain(std::iter::once("(no band)".to_owned()))
            .zip(band_counts)
            .collect();
        band_names.retain(|(_, n)| *n > 0);

        let (assignment_plan, routing) = match self.assignment {
            Some(cfg) => {
                let (plan, outcome) =
                    route::route_leads(self, cfg, &kind, &scope, &rows, &env).await?;
                (plan, Some(outcome))
            }
            None => (Plan::new(ASSIGNMENT_JOB), None),
        };
        let leads_read = leads;
        let mut seen = Vec::new();
        if let Some(c) = cursor.as_deref().and_then(parse_dt) {
            let floor = fmt_dt(c - chrono::Duration::seconds(self.scoring.overlap_secs as i64));
            seen = all_keys.into_iter().filter(|k| k.1 >= floor).collect();
        }
        if !matches!(kind, PassKind::Leads(_)) {
            rows = Vec::new();
        }
        Ok(Evaluation {
            kind,
            leads_read,
            scoring_plan: plan,
            assignment_plan,
            routing,
            band_counts: band_names,
            cursor,
            seen,
            rows,
        })
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
        let kind = self.next_pass(state, opts)?;
        let evaluation = self.evaluate(kind, opts.now).await?;
        if dry_run {
            return Ok(RunReport {
                evaluation,
                scoring: None,
                assignment: None,
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
            ..ApplyOptions::default()
        };
        let scoring = apply::apply(
            &evaluation.scoring_plan,
            state,
            writer,
            &ApplyOptions {
                cursors,
                ..base.clone()
            },
        )
        .await?;
        let assignment = if evaluation.assignment_plan.is_empty() {
            None
        } else {
            Some(
                apply::apply(
                    &evaluation.assignment_plan,
                    state,
                    writer,
                    &ApplyOptions {
                        verify_old: true,
                        ..base
                    },
                )
                .await?,
            )
        };
        Ok(RunReport {
            evaluation,
            scoring: Some(scoring),
            assignment,
        })
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
                    Some(uid) => out.push_str(&format!(
                        "routing\nalready assigned to user {uid}: only unassigned (or stale) leads are routed\n"
                    )),
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
    /// Unassigned leads scoring at least this much.
    Candidates(i64),
    All,
}

/// Scores leads one by one into a plan.
struct Acc<'j> {
    job: &'j ScoringConfig,
    now: NaiveDateTime,
    keep: KeepRows,
    tag_ids: Vec<Option<i64>>,
    plan: Plan,
    rows: Vec<LeadRow>,
    band_counts: Vec<usize>,
    leads: usize,
}

impl<'j> Acc<'j> {
    fn new(job: &'j ScoringJob<'_>, now: NaiveDateTime, keep: KeepRows) -> Self {
        Acc {
            job: job.scoring,
            now,
            keep,
            tag_ids: vec![None; job.scoring.model.bands.len()],
            plan: Plan::new(SCORING_JOB),
            rows: Vec::new(),
            band_counts: vec![0; job.scoring.model.bands.len() + 1],
            leads: 0,
        }
    }

    fn add(&mut self, raw: &Struct, hits: Vec<usize>) {
        let model = &self.job.model;
        let now = self.now;
        let tag_ids = &self.tag_ids;
        let all_band_tags: Vec<i64> = tag_ids.iter().flatten().copied().collect();
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
        let keep = match self.keep {
            KeepRows::None => false,
            KeepRows::Candidates(min) => row.user_id.is_none() && row.scored.score >= min,
            KeepRows::All => true,
        };
        if keep {
            self.rows.push(row);
        }
    }
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
