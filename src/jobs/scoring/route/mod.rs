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

//!
//! Files: `read` (teams, memberships and stale leads from Odoo, typed), `search` (the domain
//! sets and the waiting leads, asked of Odoo), this module (the router fed by the pass:
//! team per lead, members' top lists; no I/O), `plan` (the engine on the reduced set and the
//! routing plan, pure).

mod plan;
mod read;
mod search;

use std::collections::{BTreeMap, BTreeSet, BinaryHeap};

use chrono::NaiveDateTime;

use super::report::LeadRow;
use super::{PassKind, ScoringError, ScoringJob};
use crate::assignment::{self, Explain, Member, Outcome, Rules, Team, lead_limit};
use crate::config::AssignmentConfig;
use crate::domain::{Domain, Env};
use crate::plan::Plan;
use crate::record::IdSet;
use crate::xmlrpc::Value as Wire;
use read::Roster;

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
pub(crate) struct Router {
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

/// What the router needs besides the roster and the stale leads.
struct Settings<'k> {
    strategy: assignment::Strategy,
    work_days: f64,
    rules: Rules,
    now: NaiveDateTime,
    /// The lowest team minimum: leads below it are routed nowhere.
    min_min: i64,
    kind: &'k PassKind,
}

impl Router {
    /// Reads the configured teams, their memberships (overrides applied) and, when
    /// `reassign_stale_days` is set, the stale leads. The domain sets come next, from
    /// [`Router::match_domains`], which the pass calls before it reads its leads.
    pub(crate) async fn prepare(
        job: &ScoringJob<'_>,
        cfg: &AssignmentConfig,
        kind: &PassKind,
        scope: &Domain,
        env: &Env,
    ) -> Result<Router, ScoringError> {
        // Config validation requires at least one team; with none, nothing is below it.
        let min_min = cfg.teams.iter().map(|t| t.min_score).min().unwrap_or(0);
        let rules = job.client.profile().await?.assignment;
        let roster = read::read_roster(job, cfg, env, &rules).await?;
        let stale = read::read_stale(job, cfg, scope, env, min_min).await?;
        let settings = Settings {
            strategy: cfg.strategy,
            work_days: cfg.work_days,
            rules,
            now: env.now,
            min_min,
            kind,
        };
        Ok(Router::new(roster, settings, stale))
    }

    /// The router over a roster read, before any domain set is searched.
    fn new(roster: Roster, settings: Settings<'_>, stale: BTreeMap<i64, Lead>) -> Router {
        let Roster {
            teams,
            team_domains,
            members,
            member_domains,
            preferred_domains,
        } = roster;
        let Settings {
            strategy,
            work_days,
            rules,
            now,
            min_min,
            kind,
        } = settings;
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
        let domains = bound.iter().map(super::wire::domain_items).collect();

        let mut order: Vec<usize> = (0..teams.len()).collect();
        order.sort_by_key(|&i| (teams[i].order, teams[i].id));
        let limits = teams
            .iter()
            .map(|t| lead_limit(&members, t.id, strategy, work_days, rules.quota).max(0) as usize)
            .collect();
        let tops = members.iter().map(|_| BinaryHeap::new()).collect();
        let tops_preferred = members.iter().map(|_| BinaryHeap::new()).collect();
        let explain_all = matches!(kind, PassKind::Leads(_));
        Router {
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
            keep_all: explain_all,
            kept: Vec::new(),
            waiting: !matches!(kind, PassKind::Full),
            read: BTreeSet::new(),
            read_per_team: BTreeMap::new(),
            min_min,
            strategy,
            work_days,
            created_after: rules
                .creation_window_days
                .map(|d| now - chrono::Duration::days(d)),
            rules,
            now,
            explain: if explain_all {
                Explain::All
            } else {
                Explain::Assigned
            },
        }
    }

    /// Routes the waiting and late leads (Odoo), then decides (pure: [`Router::decide`]).
    pub(crate) async fn finish(
        mut self,
        job: &ScoringJob<'_>,
        scope: &Domain,
    ) -> Result<(Plan, Outcome), ScoringError> {
        self.route_rest(job, scope).await?;
        Ok(self.decide())
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
    pub(crate) fn offer(
        &mut self,
        row: &LeadRow,
        write_date: Option<&str>,
        created: Option<NaiveDateTime>,
    ) {
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
}
