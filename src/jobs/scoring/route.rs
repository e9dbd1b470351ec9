//! The routing step of the job, run while the pass streams its leads: teams, memberships and
//! the leads each team/member domain matches (pushed down as id sets, no id list sent) are
//! read before the leads; each scored lead then gets its team at once and is offered to the
//! bounded top lists of the members who could take it; the pure `assignment` engine finally
//! routes only the leads in those lists (and the stale ones).
//!
//! **Why the reduced set routes exactly like all candidates.** A member only ever gets leads
//! among its first `lead_limit` eligible ones in `probability desc, id asc` order (Odoo gives
//! each member exactly that list; in round robin, a lead assigned further down would mean
//! `lead_limit` leads before it were all assigned, with no capacity left). Leads outside every
//! member's top list are never assigned, so dropping them changes nobody's choices: they only
//! need their `team_id` written when they get a team, which is planned here directly (the
//! outcome lists them, without an explanation).
//!
//! **Which leads are candidates.** Full pass: every unassigned lead of the pass (and stale
//! ones with `reassign_stale_days`). Other passes: the leads of the pass, plus, per usable
//! member, the waiting leads of its team that Odoo's own cron would list for it (`search_read`
//! ordered `probability desc, id asc`, paged past the leads of this pass until `lead_limit`
//! others were listed, so one page is in memory at a time). A waiting lead with neither
//! team nor salesperson that this pass did not read gets a team at the next full pass only:
//! its score and the config have not changed since the pass that left it without one.
//!
//! **Domain sets and concurrent writes.** Outside a full pass the sets are searched after the
//! pass listed its leads, narrowed to them (their ids when they fit in one batch, else
//! `write_date >= since`; `explain`: the ids asked for), so every lead read is already
//! visible to them. A full pass searches them before reading the
//! pages; the leads written since (minus `overlap_secs`, for transactions still open) may be
//! missing, so they are matched at the end with one `search` among them per domain, like the
//! waiting leads.

use std::collections::{BTreeMap, BTreeSet, BinaryHeap};

use super::local::search_among;
use super::wire::{and_items, domain_items};
use super::{ASSIGNMENT_JOB, JobError, LeadRow, PassKind, ScoringJob, domain_err};
use crate::assignment::{
    self, Assignment, Candidate, Explain, Input, Member, Outcome, Quota, Rules, Team, lead_limit,
};
use crate::config::{AssignmentConfig, LEAD_MODEL, RecordRef};
use crate::domain::{Domain, Env};
use crate::odoo::{OdooError, SearchOptions, from_wire, leaf};
use crate::plan::{FieldChange, Plan};
use crate::record::{IdSet, Value};
use crate::xmlrpc::{Struct, Value as Wire};

fn id_of(r: &Struct, f: &str) -> Option<i64> {
    r.get(f).map(from_wire).and_then(|v| v.as_i64())
}

fn name_of(r: &Struct, f: &str) -> String {
    match r.get(f) {
        Some(Wire::Array(items)) => items
            .get(1)
            .and_then(Wire::as_str)
            .unwrap_or_default()
            .to_owned(),
        Some(Wire::String(s)) => s.clone(),
        _ => String::new(),
    }
}

/// What routing needs of a lead.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Lead {
    id: i64,
    score: i64,
    probability: f64,
    team_id: Option<i64>,
    user_id: Option<i64>,
    created: Option<chrono::NaiveDateTime>,
}

/// A lead in a member's top list, ordered so that the heap's greatest is the worst kept:
/// lower probability, then higher id (the engine's `probability desc, id asc`).
struct Ranked(Lead);

impl PartialEq for Ranked {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == std::cmp::Ordering::Equal
    }
}
impl Eq for Ranked {}
impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        other
            .0
            .probability
            .total_cmp(&self.0.probability)
            .then(self.0.id.cmp(&other.0.id))
    }
}

/// Keeps `lead` in `top` if it is among the `limit` best (probability desc, id asc).
fn keep_top(top: &mut BinaryHeap<Ranked>, lead: Lead, limit: usize) {
    let ranked = Ranked(lead);
    if top.len() < limit {
        top.push(ranked);
    } else if top.peek().is_some_and(|worst| ranked < *worst) {
        top.pop();
        top.push(ranked);
    }
}

/// Routing state across one pass: built before the leads are read ([`Router::prepare`]), fed
/// every scored lead ([`Router::offer`]), turned into a plan at the end ([`Router::finish`]).
pub struct Router {
    teams: Vec<Team>,
    /// Indices into `teams` in routing order (order, then id).
    order: Vec<usize>,
    members: Vec<Member>,
    /// Per team / per member: index into `sets` of its domain's matches (`None`: no domain,
    /// everything matches).
    team_set: Vec<Option<usize>>,
    member_set: Vec<Option<usize>>,
    /// Per member with a preferred domain (19): index into `sets` of its domain ∧ preferred
    /// domain's matches.
    preferred_set: Vec<Option<usize>>,
    sets: Vec<IdSet>,
    /// The distinct domains behind the sets, bound, and as wire items (the waiting-lead lists
    /// filter on them).
    bound: Vec<Domain>,
    domains: Vec<Vec<Wire>>,
    /// Full pass: leads written at or after this (server time of the domain searches minus
    /// `overlap_secs`) may be missing from the sets; they are matched at the end.
    late_after: Option<String>,
    late: Vec<Lead>,
    /// The same domains' matches among the waiting and late leads, searched at the end.
    waiting_sets: Vec<IdSet>,
    /// Per team: its `lead_limit`.
    limits: Vec<usize>,
    /// Per member: the best leads it could take, at most its team's `lead_limit`.
    tops: Vec<BinaryHeap<Ranked>>,
    /// Per member with a preferred domain (19): its best preferred leads, as many.
    tops_preferred: Vec<BinaryHeap<Ranked>>,
    /// Stale assigned leads to reassign (few), fresh score once the pass scored them.
    stale: BTreeMap<i64, Lead>,
    /// Leads outside every top list that get a team: (lead, team).
    team_only: Vec<(i64, i64)>,
    /// `explain`: every candidate of the pass goes to the engine (explained in full).
    keep_all: bool,
    kept: Vec<Lead>,
    /// Not a full pass: the ids the pass read (waiting leads are read besides them), and per
    /// team how many unassigned leads of that team it read (they may fill a waiting list).
    waiting: bool,
    read: BTreeSet<i64>,
    read_per_team: BTreeMap<i64, usize>,
    min_min: i64,
    strategy: assignment::Strategy,
    work_days: f64,
    /// The server version's assignment rules (its profile's).
    rules: Rules,
    /// Leads created before this are not routed (the rules' creation window).
    created_after: Option<chrono::NaiveDateTime>,
    now: chrono::NaiveDateTime,
    explain: Explain,
}

impl Router {
    /// Reads the configured teams, their memberships (overrides applied) and, when
    /// `reassign_stale_days` is set, the stale leads. The domain sets come next, from
    /// [`Router::match_domains`], which the pass calls before it reads its leads.
    pub async fn prepare(
        job: &ScoringJob<'_>,
        cfg: &AssignmentConfig,
        kind: &PassKind,
        scope: &Domain,
        env: &Env,
    ) -> Result<Router, JobError> {
        let client = job.client;
        let score_field = job.scoring.score_field.as_str();
        let min_min = cfg.teams.iter().map(|t| t.min_score).min().unwrap_or(0);
        let rules = client.profile().await?.assignment;
        let (teams, team_domains) = read_teams(job, cfg, env).await?;
        let (members, member_domains, preferred_domains) =
            read_members(job, cfg, &teams, env, &rules).await?;

        let mut stale = BTreeMap::new();
        if let Some(days) = cfg.reassign_stale_days {
            let cutoff = (env.now - chrono::Duration::days(days as i64))
                .format("%Y-%m-%d %H:%M:%S")
                .to_string();
            let mut d = domain_items(scope);
            d.push(leaf("user_id", "!=", Wire::Bool(false)));
            d.push(leaf("probability", "<", Wire::Int(100)));
            d.push(leaf("date_open", "<=", Wire::from(cutoff.as_str())));
            d.push(Wire::from("|"));
            d.push(leaf("date_last_stage_update", "=", Wire::Bool(false)));
            d.push(leaf(
                "date_last_stage_update",
                "<=",
                Wire::from(cutoff.as_str()),
            ));
            let fields = ["id", score_field, "team_id", "user_id", "probability"];
            for r in client.search_read_all(LEAD_MODEL, d, &fields).await? {
                if let Some(lead) = lead_of(&r, score_field).filter(|l| l.score >= min_min) {
                    stale.insert(lead.id, lead);
                }
            }
        }

        // Distinct domains, each searched once (`match_domains`).
        let mut bound: Vec<Domain> = Vec::new();
        let mut keys: BTreeMap<String, usize> = BTreeMap::new();
        let mut index_of = |d: &Option<Domain>| -> Option<usize> {
            let d = d.as_ref()?;
            let key = d.to_lit().to_string();
            Some(*keys.entry(key).or_insert_with(|| {
                bound.push(d.clone());
                bound.len() - 1
            }))
        };
        let team_set: Vec<Option<usize>> = team_domains.iter().map(&mut index_of).collect();
        // A member that takes nothing needs no matches (the engine never asks).
        let member_set: Vec<Option<usize>> = members
            .iter()
            .zip(&member_domains)
            .map(|(m, d)| if m.usable() { index_of(d) } else { None })
            .collect();
        let preferred_set: Vec<Option<usize>> = members
            .iter()
            .zip(&preferred_domains)
            .map(|(m, d)| if m.usable() { index_of(d) } else { None })
            .collect();
        let domains = bound.iter().map(domain_items).collect();

        let mut order: Vec<usize> = (0..teams.len()).collect();
        order.sort_by_key(|&i| (teams[i].order, teams[i].id));
        let limits = teams
            .iter()
            .map(|t| {
                lead_limit(&members, t.id, cfg.strategy, cfg.work_days, rules.quota).max(0) as usize
            })
            .collect();
        let tops = members.iter().map(|_| BinaryHeap::new()).collect();
        let tops_preferred = members.iter().map(|_| BinaryHeap::new()).collect();
        Ok(Router {
            teams,
            order,
            members,
            team_set,
            member_set,
            preferred_set,
            sets: Vec::new(),
            bound,
            domains,
            late_after: None,
            late: Vec::new(),
            waiting_sets: Vec::new(),
            limits,
            tops,
            tops_preferred,
            stale,
            team_only: Vec::new(),
            keep_all: matches!(kind, PassKind::Leads(_)),
            kept: Vec::new(),
            waiting: !matches!(kind, PassKind::Full),
            read: BTreeSet::new(),
            read_per_team: BTreeMap::new(),
            min_min,
            strategy: cfg.strategy,
            work_days: cfg.work_days,
            created_after: rules
                .creation_window_days
                .map(|d| env.now - chrono::Duration::days(d)),
            rules,
            now: env.now,
            explain: if matches!(kind, PassKind::Leads(_)) {
                Explain::All
            } else {
                Explain::Assigned
            },
        })
    }

    /// One `search` (ids only, nothing sent but the domain) per distinct domain: the
    /// unassigned leads in scope it matches, narrowed by `restrict` (outside a full pass: the
    /// leads this pass lists, which all exist by then), plus the stale ones (they have a
    /// salesperson but are routed again). Waiting leads are matched later, among themselves.
    pub async fn match_domains(
        &mut self,
        job: &ScoringJob<'_>,
        scope: &Domain,
        restrict: Option<Wire>,
    ) -> Result<(), JobError> {
        let client = job.client;
        if restrict.is_none() {
            // A lead created after these searches is in no set: the full pass matches the
            // leads written since (minus the overlap for open transactions) at the end.
            let overlap = chrono::Duration::seconds(job.scoring.overlap_secs as i64);
            self.late_after = Some(
                client
                    .metrics_handle()
                    .server_time()
                    .map(|t| (t - overlap).format("%Y-%m-%d %H:%M:%S").to_string())
                    .unwrap_or_default(),
            );
        }
        let stale_ids: Vec<i64> = self.stale.keys().copied().collect();
        let mut sets = Vec::with_capacity(self.bound.len());
        for d in &self.bound {
            // scope ∧ domain ∧ ((user_id = False ∧ restriction) ∨ id ∈ stale)
            let mut items = and_items(scope, d);
            if !stale_ids.is_empty() {
                items.push(Wire::from("|"));
            }
            if let Some(r) = &restrict {
                items.push(Wire::from("&"));
                items.push(r.clone());
            }
            items.push(leaf("user_id", "=", Wire::Bool(false)));
            if !stale_ids.is_empty() {
                items.push(leaf(
                    "id",
                    "in",
                    Wire::Array(stale_ids.iter().map(|i| Wire::Int(*i)).collect()),
                ));
            }
            sets.push(
                client
                    .search_ids(LEAD_MODEL, items, &SearchOptions::default())
                    .await?,
            );
        }
        self.sets = sets;
        Ok(())
    }

    fn in_set(&self, set: Option<usize>, lead: i64) -> bool {
        set.is_none_or(|i| {
            self.sets.get(i).is_some_and(|s| s.contains(lead))
                || self.waiting_sets.get(i).is_some_and(|s| s.contains(lead))
        })
    }

    /// The team a lead goes to: phase 1 of [`assignment::assign`] (its current team if it
    /// still qualifies, else the first team in order whose minimum and domain it meets).
    fn team_for(&self, lead: &Lead) -> Option<usize> {
        match lead.team_id {
            Some(current) => {
                let &i = self.order.iter().find(|&&i| self.teams[i].id == current)?;
                let t = &self.teams[i];
                (lead.score >= t.min_score && !t.optout).then_some(i)
            }
            None => self.order.iter().copied().find(|&i| {
                let t = &self.teams[i];
                !t.optout && lead.score >= t.min_score && self.in_set(self.team_set[i], lead.id)
            }),
        }
    }

    /// Takes one lead the pass scored (`write_date` and `create_date` as read).
    pub fn offer(&mut self, row: &LeadRow, write_date: Option<&str>, create_date: Option<&str>) {
        if self.waiting {
            self.read.insert(row.id);
            if row.user_id.is_none()
                && let Some(t) = row.team_id
            {
                *self.read_per_team.entry(t).or_default() += 1;
            }
        }
        if let Some(s) = self.stale.get_mut(&row.id) {
            // Routed from the stale list, with the score this pass computed.
            s.score = row.scored.score;
            return;
        }
        if row.user_id.is_some() {
            return;
        }
        if row.scored.score < self.min_min {
            return;
        }
        let created = create_date.and_then(parse_dt);
        if !self.keep_all
            && self
                .created_after
                .is_some_and(|after| created.is_none_or(|c| c < after))
        {
            // Outside the creation window Odoo's cron gives the lead neither team nor
            // salesperson (`explain` keeps it: the engine says why).
            return;
        }
        let lead = Lead {
            id: row.id,
            score: row.scored.score,
            probability: row.probability,
            team_id: row.team_id,
            user_id: None,
            created,
        };
        let late = self
            .late_after
            .as_deref()
            .is_some_and(|after| write_date.is_none_or(|w| w >= after));
        if late {
            self.late.push(lead);
        } else if self.keep_all {
            self.kept.push(lead);
        } else {
            self.route(lead, true);
        }
    }

    /// Gives the lead its team and offers it to the top list of every member of that team
    /// who could take it; `plan_team` records a team change for the plan.
    fn route(&mut self, lead: Lead, plan_team: bool) {
        let Some(t) = self.team_for(&lead) else {
            return;
        };
        let team_id = self.teams[t].id;
        if plan_team && lead.team_id != Some(team_id) {
            self.team_only.push((lead.id, team_id));
        }
        let limit = self.limits[t];
        if limit == 0 {
            return;
        }
        for m in 0..self.members.len() {
            let member = &self.members[m];
            if member.team_id != team_id
                || !member.usable()
                || lead.user_id == Some(member.user_id)
                || !self.in_set(self.member_set[m], lead.id)
            {
                continue;
            }
            // 19: Odoo hands out preferred leads first, so a member's picks are among its
            // first `lead_limit` preferred leads or its first `lead_limit` eligible ones
            // (each loop assigns every lead it passes while the member has quota): both
            // lists are kept.
            let preferred = member.preferred
                && self.preferred_set[m].is_some()
                && self.in_set(self.preferred_set[m], lead.id);
            keep_top(&mut self.tops[m], lead, limit);
            if preferred {
                keep_top(&mut self.tops_preferred[m], lead, limit);
            }
        }
    }

    /// Routes what the sets could not decide: outside a full pass, per usable member, the
    /// waiting leads of its team (a team, no salesperson) this pass did not read, as Odoo's
    /// cron lists them for that member; in a full pass, the leads written during it. Which
    /// domains those few leads match takes one `search` among them per distinct domain.
    async fn route_rest(&mut self, job: &ScoringJob<'_>, scope: &Domain) -> Result<(), JobError> {
        let client = job.client;
        let score_field = job.scoring.score_field.as_str();
        let fields = [
            "id",
            score_field,
            "team_id",
            "user_id",
            "probability",
            "create_date",
        ];
        let mut waiting: BTreeMap<i64, Lead> = BTreeMap::new();
        let members = if self.waiting { self.members.len() } else { 0 };
        // Members of one team with the same domain get the same list: asked once.
        let mut asked: BTreeSet<(usize, Option<usize>)> = BTreeSet::new();
        for m in 0..members {
            let member = &self.members[m];
            let Some(t) = self.teams.iter().position(|t| t.id == member.team_id) else {
                continue;
            };
            let team = &self.teams[t];
            if !member.usable() || team.optout || self.limits[t] == 0 {
                continue;
            }
            // The member's domain, and (19) its preferred leads, listed separately.
            let mut lists = vec![self.member_set[m]];
            if member.preferred && self.preferred_set[m].is_some() {
                lists.push(self.preferred_set[m]);
            }
            for set in lists {
                if !asked.insert((t, set)) {
                    continue;
                }
                let mut d = domain_items(scope);
                d.push(leaf("user_id", "=", Wire::Bool(false)));
                d.push(leaf("team_id", "=", Wire::Int(team.id)));
                d.push(leaf(score_field, ">=", Wire::Int(team.min_score)));
                if let Some(after) = self.created_after {
                    d.push(leaf(
                        "create_date",
                        ">=",
                        Wire::from(after.format("%Y-%m-%d %H:%M:%S").to_string()),
                    ));
                }
                if let Some(items) = set.and_then(|i| self.domains.get(i)) {
                    d.extend(items.iter().cloned());
                }
                // Leads of this pass that Odoo lists ahead are skipped: read pages (offset paging:
                // the order is by probability) until `lead_limit` others were seen, or as many as
                // this pass could have taken the place of, so memory stays one page however many
                // of the team's waiting leads this pass read.
                let want = self.limits[t];
                let most = want + self.read_per_team.get(&team.id).copied().unwrap_or(0);
                let page = client.batch_size().max(1);
                let (mut offset, mut others) = (0usize, 0usize);
                while offset < most && others < want {
                    let mut kwargs = Struct::new();
                    kwargs.push(
                        "fields",
                        Wire::Array(fields.iter().map(|f| Wire::from(*f)).collect()),
                    );
                    kwargs.push("order", Wire::from("probability desc, id asc"));
                    kwargs.push("limit", Wire::Int(page.min(most - offset) as i64));
                    if offset > 0 {
                        kwargs.push("offset", Wire::Int(offset as i64));
                    }
                    let answer = client
                        .execute_kw(
                            LEAD_MODEL,
                            "search_read",
                            vec![Wire::Array(d.clone())],
                            kwargs,
                        )
                        .await?;
                    let Wire::Array(rows) = answer else {
                        return Err(OdooError::UnexpectedReply {
                            call: format!("{LEAD_MODEL}.search_read"),
                            expected: "a list of records",
                            got: answer.to_string().chars().take(120).collect(),
                        }
                        .into());
                    };
                    let n = rows.len();
                    for r in rows {
                        let Some(lead) = r.as_struct().and_then(|r| lead_of(r, score_field)) else {
                            continue;
                        };
                        if !self.read.contains(&lead.id) && lead.user_id.is_none() {
                            others += 1;
                            waiting.insert(lead.id, lead);
                        }
                    }
                    if n < page.min(most - offset) {
                        break;
                    }
                    offset += n;
                }
            }
        }
        let late = std::mem::take(&mut self.late);
        if waiting.is_empty() && late.is_empty() {
            return Ok(());
        }
        let mut ids: Vec<i64> = waiting
            .keys()
            .chain(late.iter().map(|l| &l.id))
            .copied()
            .collect();
        ids.sort_unstable();
        ids.dedup();
        let mut sets = Vec::with_capacity(self.domains.len());
        for d in &self.domains {
            sets.push(search_among(client, LEAD_MODEL, &ids, d.clone()).await?);
        }
        self.waiting_sets = sets;
        for lead in late {
            self.route(lead, true);
        }
        for lead in waiting.into_values() {
            self.route(lead, false);
        }
        Ok(())
    }
}

impl Router {
    /// Routes the leads kept (the engine on the reduced set) and plans the writes: `team_id`
    /// (and `user_id`) for what the engine assigned, `team_id` alone for the other leads that
    /// got a team.
    pub async fn finish(
        mut self,
        job: &ScoringJob<'_>,
        scope: &Domain,
    ) -> Result<(Plan, Outcome), JobError> {
        self.route_rest(job, scope).await?;
        let mut cands: BTreeMap<i64, Lead> = BTreeMap::new();
        let preferred = std::mem::take(&mut self.tops_preferred);
        for top in std::mem::take(&mut self.tops).into_iter().chain(preferred) {
            for Ranked(lead) in top {
                cands.insert(lead.id, lead);
            }
        }
        for lead in std::mem::take(&mut self.kept) {
            cands.insert(lead.id, lead);
        }
        // Stale leads may also be waiting ones (their owner was removed meanwhile): the
        // stale record, with the owner the pass saw, wins as it did before.
        for (&id, &lead) in &self.stale {
            cands.insert(id, lead);
        }
        let mut plan = Plan::new(ASSIGNMENT_JOB);
        let mut team_only = std::mem::take(&mut self.team_only);
        team_only.retain(|(id, _)| !cands.contains_key(id));
        team_only.sort_unstable();
        team_only.dedup_by_key(|(id, _)| *id);
        if cands.is_empty() && team_only.is_empty() {
            return Ok((plan, Outcome::default()));
        }

        let matching = |sets: &[Option<usize>], ids: &mut dyn Iterator<Item = i64>, lead: i64| {
            let mut out: Vec<i64> = ids
                .zip(sets)
                .filter(|(_, s)| self.in_set(**s, lead))
                .map(|(id, _)| id)
                .collect();
            out.sort_unstable();
            out.dedup();
            out
        };
        let candidates: Vec<Candidate> = cands
            .values()
            .map(|l| Candidate {
                id: l.id,
                score: l.score,
                probability: l.probability,
                team_id: l.team_id,
                user_id: l.user_id,
                team_matches: matching(&self.team_set, &mut self.teams.iter().map(|t| t.id), l.id),
                member_matches: matching(
                    &self.member_set,
                    &mut self.members.iter().map(|m| m.id),
                    l.id,
                ),
                member_preferred: self
                    .members
                    .iter()
                    .zip(&self.preferred_set)
                    .filter(|(m, s)| m.preferred && s.is_some() && self.in_set(**s, l.id))
                    .map(|(m, _)| m.id)
                    .collect(),
                created: l.created,
            })
            .collect();
        let input = Input {
            teams: std::mem::take(&mut self.teams),
            members: std::mem::take(&mut self.members),
            candidates,
            strategy: self.strategy,
            work_days: self.work_days,
            rules: self.rules,
            now: self.now,
            explain: self.explain,
        };
        let mut outcome = assignment::assign(&input);
        let team_name = |id: i64| {
            input
                .teams
                .iter()
                .find(|t| t.id == id)
                .map_or("", |t| t.name.as_str())
        };

        // Engine assignments and team-only leads, merged in lead order.
        let engine = std::mem::take(&mut outcome.assignments);
        let mut merged = Vec::with_capacity(engine.len() + team_only.len());
        let mut extra = team_only.into_iter().peekable();
        for a in engine {
            while let Some((lead, team_id)) = extra.next_if(|(lead, _)| *lead < a.lead) {
                merged.push(Assignment {
                    lead,
                    team_id,
                    user_id: None,
                });
            }
            merged.push(a);
        }
        merged.extend(extra.map(|(lead, team_id)| Assignment {
            lead,
            team_id,
            user_id: None,
        }));
        for a in &merged {
            let (old_team, owner) = cands
                .get(&a.lead)
                .map_or((None, None), |l| (l.team_id, l.user_id));
            let mut changes = vec![FieldChange::new(
                "team_id",
                old_team.map_or(Value::Null, Value::Many2one),
                Value::Many2one(a.team_id),
            )];
            let mut reason = format!("routed to team {}", team_name(a.team_id));
            if let Some(uid) = a.user_id {
                changes.push(FieldChange::new(
                    "user_id",
                    owner.map_or(Value::Null, Value::Many2one),
                    Value::Many2one(uid),
                ));
                if let Some((_, name, used, cap)) = outcome
                    .routings
                    .get(&a.lead)
                    .and_then(|r| r.salesperson.clone())
                {
                    reason.push_str(&format!(", salesperson {name} ({used} of {cap})"));
                }
            }
            plan.push_write(LEAD_MODEL, a.lead, changes, reason);
        }
        outcome.assignments = merged;
        Ok((plan, outcome))
    }
}

/// A lead as `search_read` gives it (score from the score field, as stored).
fn lead_of(r: &Struct, score_field: &str) -> Option<Lead> {
    Some(Lead {
        id: id_of(r, "id")?,
        score: r.get(score_field).and_then(Wire::as_i64).unwrap_or(0),
        probability: r.get("probability").and_then(Wire::as_f64).unwrap_or(0.0),
        team_id: id_of(r, "team_id"),
        user_id: id_of(r, "user_id"),
        created: r
            .get("create_date")
            .and_then(Wire::as_str)
            .and_then(parse_dt),
    })
}

/// A domain text Odoo's `literal_eval(...)` finds falsy: empty, or an empty list.
fn no_condition(text: &str) -> bool {
    let t: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    t.is_empty() || t == "[]"
}

fn parse_dt(s: &str) -> Option<chrono::NaiveDateTime> {
    chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").ok()
}

/// The configured teams joined with `crm.team`, in config order, with their bound domains
/// (the config's, else the team's own `assignment_domain`).
async fn read_teams(
    job: &ScoringJob<'_>,
    cfg: &AssignmentConfig,
    env: &Env,
) -> Result<(Vec<Team>, Vec<Option<Domain>>), JobError> {
    let ids: Vec<Wire> = cfg
        .teams
        .iter()
        .filter_map(|t| match &t.team {
            RecordRef::Id(i) => Some(Wire::Int(*i)),
            RecordRef::Name(_) => None,
        })
        .collect();
    let names: Vec<Wire> = cfg
        .teams
        .iter()
        .filter_map(|t| match &t.team {
            RecordRef::Name(n) => Some(Wire::from(n.as_str())),
            RecordRef::Id(_) => None,
        })
        .collect();
    let team_rows = job
        .client
        .search_read_all(
            "crm.team",
            vec![
                Wire::from("|"),
                leaf("id", "in", Wire::Array(ids)),
                leaf("name", "in", Wire::Array(names)),
            ],
            &["id", "name", "assignment_optout", "assignment_domain"],
        )
        .await?;
    let mut teams = Vec::new();
    let mut domains = Vec::new();
    for (i, t) in cfg.teams.iter().enumerate() {
        let row = team_rows.iter().find(|r| {
            let id = id_of(r, "id").unwrap_or(0);
            t.team
                .matches(id, r.get("name").and_then(Wire::as_str).unwrap_or(""))
        });
        let Some(row) = row else {
            return Err(JobError::Setup(format!(
                "assignment.teams[{i}]: no crm.team with {}",
                t.team
            )));
        };
        let id = id_of(row, "id").unwrap_or(0);
        teams.push(Team {
            id,
            name: name_of(row, "name"),
            min_score: t.min_score,
            order: t.order,
            optout: row
                .get("assignment_optout")
                .and_then(Wire::as_bool)
                .unwrap_or(false),
        });
        let odoo_domain = match row.get("assignment_domain").and_then(Wire::as_str) {
            Some(text) if !text.trim().is_empty() => Some(
                Domain::parse(text)
                    .map_err(domain_err(format!("crm.team {id} assignment_domain")))?,
            ),
            _ => None,
        };
        let d = match t.domain.as_ref().or(odoo_domain.as_ref()) {
            Some(d) => Some(
                d.bind(env)
                    .map_err(domain_err(format!("assignment.teams[{i}].domain")))?,
            ),
            None => None,
        };
        domains.push(d);
    }
    Ok((teams, domains))
}

/// Per membership: its domain and, with a preferred domain (19), its domain ∧ preferred.
type MemberDomains = (Vec<Member>, Vec<Option<Domain>>, Vec<Option<Domain>>);

/// The memberships of `teams` with the config's overrides, their bound domains (an unusable
/// domain marks the member instead of failing the run), and the fields the version's rules
/// need (`lead_day_count` on 18+, `assignment_domain_preferred` on 19).
async fn read_members(
    job: &ScoringJob<'_>,
    cfg: &AssignmentConfig,
    teams: &[Team],
    env: &Env,
    rules: &Rules,
) -> Result<MemberDomains, JobError> {
    let team_ids: Vec<Wire> = teams.iter().map(|t| Wire::Int(t.id)).collect();
    let mut fields = vec![
        "id",
        "user_id",
        "crm_team_id",
        "assignment_max",
        "assignment_domain",
        "assignment_optout",
        "lead_month_count",
    ];
    if rules.quota == Quota::Daily {
        fields.push("lead_day_count");
    }
    if rules.preferred_domain {
        fields.push("assignment_domain_preferred");
    }
    let member_rows = job
        .client
        .search_read_all(
            "crm.team.member",
            vec![leaf("crm_team_id", "in", Wire::Array(team_ids))],
            &fields,
        )
        .await?;
    let mut members = Vec::new();
    let mut domains = Vec::new();
    let mut preferred_domains = Vec::new();
    for r in &member_rows {
        let (Some(id), Some(user_id), Some(team_id)) =
            (id_of(r, "id"), id_of(r, "user_id"), id_of(r, "crm_team_id"))
        else {
            continue;
        };
        let name = name_of(r, "user_id");
        let team_name = teams
            .iter()
            .find(|t| t.id == team_id)
            .map(|t| t.name.clone())
            .unwrap_or_default();
        let mut m = Member {
            id,
            user_id,
            name: name.clone(),
            team_id,
            max: r.get("assignment_max").and_then(Wire::as_i64).unwrap_or(0),
            month_count: r
                .get("lead_month_count")
                .and_then(Wire::as_i64)
                .unwrap_or(0),
            day_count: r.get("lead_day_count").and_then(Wire::as_i64).unwrap_or(0),
            preferred: false,
            optout: r
                .get("assignment_optout")
                .and_then(Wire::as_bool)
                .unwrap_or(false),
            broken_domain: None,
        };
        let mut domain = match r.get("assignment_domain").and_then(Wire::as_str) {
            Some(text) if !text.trim().is_empty() => match Domain::parse(text) {
                Ok(d) => Some(d),
                Err(e) => {
                    m.broken_domain = Some(e.to_string());
                    None
                }
            },
            _ => None,
        };
        for o in &cfg.members {
            let team_ok = o
                .team
                .as_ref()
                .is_none_or(|t| t.matches(team_id, &team_name));
            if o.user.matches(user_id, &name) && team_ok {
                if let Some(max) = o.max {
                    m.max = max;
                }
                if let Some(optout) = o.optout {
                    m.optout = optout;
                }
                if let Some(d) = &o.domain {
                    domain = Some(d.clone());
                    m.broken_domain = None;
                }
            }
        }
        let domain = match domain.map(|d| d.bind(env)) {
            Some(Ok(d)) => Some(d),
            Some(Err(e)) => {
                m.broken_domain = Some(e.to_string());
                None
            }
            None => None,
        };
        // Odoo 19 `_assign_and_convert_leads`: a member prefers the leads matching
        // `AND(assignment_domain, assignment_domain_preferred)`; an empty or `[]` preferred
        // domain means no preference.
        let preferred = match r.get("assignment_domain_preferred").and_then(Wire::as_str) {
            Some(text) if rules.preferred_domain && !no_condition(text) => {
                match Domain::parse(text).and_then(|d| d.bind(env)) {
                    Ok(p) => Some(match &domain {
                        Some(d) => Domain::and(d.clone(), p),
                        None => p,
                    }),
                    Err(e) => {
                        m.broken_domain = Some(format!("assignment_domain_preferred: {e}"));
                        None
                    }
                }
            }
            _ => None,
        };
        m.preferred = preferred.is_some();
        preferred_domains.push(preferred);
        domains.push(domain);
        members.push(m);
    }
    Ok((members, domains, preferred_domains))
}
