//! What routing needs to know, as plain data: configured teams, their members (from Odoo's
//! `crm.team.member` with config overrides), the candidate leads and which domains they match.

/// Which quota Odoo's assignment cron gives a member (`crm.team.member._get_assignment_quota`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Quota {
    /// Odoo 16 and 17: `round(max × work_days / 30 + compensation)`, the compensation made
    /// of what is left of `assignment_max` over the last 30 days (`lead_month_count`).
    #[default]
    Monthly,
    /// Odoo 18 and 19: a daily quota, `round_half_up(max / 30)` minus the leads assigned in
    /// the last 24 hours (`lead_day_count`); `work_days` no longer exists.
    Daily,
}

/// The rules of one Odoo version's lead assignment, as data (the version profile chooses
/// them; the engine never asks which version it is).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Rules {
    pub quota: Quota,
    /// Only leads created in the last this many days are assigned (18+: 7, the cron's
    /// `_get_lead_to_assign_domain`); `None`: any age (≤17).
    pub creation_window_days: Option<i64>,
    /// Members' `assignment_domain_preferred` (19): leads matching a member's domain and
    /// preferred domain are handed out first, to the members preferring them.
    pub preferred_domain: bool,
}

impl std::fmt::Display for Rules {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.quota {
            Quota::Monthly => f.write_str("monthly quota with compensation over 30 days")?,
            Quota::Daily => {
                f.write_str("daily quota round_half_up(max / 30) minus the last 24 h")?
            }
        }
        if let Some(d) = self.creation_window_days {
            write!(f, ", leads created in the last {d} days")?;
        }
        if self.preferred_domain {
            f.write_str(", preferred domains first")?;
        }
        Ok(())
    }
}

/// How leads are spread over a team's salespeople.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Strategy {
    /// Odoo's own maths, per [`Rules`]. Monthly quota (≤17): where Odoo draws a member at
    /// random weighted by remaining quota, the member with the most remaining quota is taken
    /// (ties: fewer leads this month and this run, then the lower membership id). Daily quota
    /// (18+): Odoo's round robin over members sorted by quota (ties: membership id).
    #[default]
    Odoo,
    /// Members in membership order, each lead to the next member with capacity left
    /// (`assignment_max − lead_month_count − assigned this run`).
    RoundRobin,
}

/// A configured team (`[[assignment.teams]]` joined with `crm.team`).
#[derive(Clone, Debug, PartialEq)]
pub struct Team {
    pub id: i64,
    pub name: String,
    pub min_score: i64,
    /// Position in the routing order (lower first; ties by id).
    pub order: i64,
    /// `crm.team.assignment_optout`: the team takes no automatic assignments.
    pub optout: bool,
}

/// One membership (`crm.team.member`), overrides applied.
#[derive(Clone, Debug, PartialEq)]
pub struct Member {
    /// The `crm.team.member` id.
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    pub team_id: i64,
    /// `assignment_max`: leads per 30 days.
    pub max: i64,
    /// `lead_month_count`: leads assigned in the last 30 days.
    pub month_count: i64,
    /// `lead_day_count` (18+): leads assigned in the last 24 hours (0 where Odoo has none).
    pub day_count: i64,
    /// 17's monthly quota: the member's leads opened within the last `work_days` — the
    /// period one run of Odoo's cron covers — so what earlier runs of that period handed.
    pub window_count: i64,
    /// It has a non-empty `assignment_domain_preferred` (19).
    pub preferred: bool,
    pub optout: bool,
    /// The member's domain could not be used (unparsable): skipped, with this reason.
    pub broken_domain: Option<String>,
}

impl Member {
    /// Whether the member takes leads at all (not opted out, a positive maximum, a usable
    /// domain).
    pub(crate) fn usable(&self) -> bool {
        !self.optout && self.max > 0 && self.broken_domain.is_none()
    }

    /// Leads the member may get in one run: Odoo's quota, or for round robin what is left of
    /// `assignment_max` this month.
    pub(crate) fn capacity(&self, strategy: Strategy, work_days: f64, quota: Quota) -> i64 {
        match (strategy, quota) {
            // Odoo's cron hands this quota once per `work_days`; scorekeeper may run every
            // few minutes, so a run hands what is left of the quota of the period: the quota
            // as the period's first run saw it (its month count without the period's own
            // leads) minus the leads the period already gave. A second run right after one
            // that routed thus hands nothing (a fixed point), as on 18+.
            (Strategy::Odoo, Quota::Monthly) => {
                let before = (self.month_count - self.window_count).max(0);
                (super::quota::odoo_quota(self.max, before, work_days) - self.window_count).max(0)
            }
            (Strategy::Odoo, Quota::Daily) => {
                super::quota::daily_quota(self.max, self.day_count).max(0)
            }
            (Strategy::RoundRobin, _) => (self.max - self.month_count).max(0),
        }
    }
}

/// Leads a team hands its members to choose from (Odoo's `lead_limit`): the sum of the
/// capacities of its usable members. Each member only ever gets leads among its first
/// `lead_limit` eligible ones in `probability desc, id asc` order, whatever the strategy.
/// (18+: the same bound holds for the round robin, which assigns every eligible lead while
/// the member is still in the list, and at most the team's summed quotas in all.)
pub fn lead_limit(
    members: &[Member],
    team_id: i64,
    strategy: Strategy,
    work_days: f64,
    quota: Quota,
) -> i64 {
    members
        .iter()
        .filter(|m| m.team_id == team_id && m.usable())
        .map(|m| m.capacity(strategy, work_days, quota))
        .sum()
}

/// A lead that may be routed.
#[derive(Clone, Debug, PartialEq)]
pub struct Candidate {
    pub id: i64,
    pub score: i64,
    /// Odoo orders member candidates by `probability desc, id asc`.
    pub probability: f64,
    /// Its current team (kept if it has one: Odoo never moves a lead between teams).
    pub team_id: Option<i64>,
    /// Its current salesperson: set only for stale leads being reassigned (never back to them).
    pub user_id: Option<i64>,
    /// Ids of the teams whose domain it matches (teams without a domain match everything).
    pub team_matches: Vec<i64>,
    /// Ids of the memberships whose domain it matches (same rule).
    pub member_matches: Vec<i64>,
    /// Ids of the memberships with a preferred domain whose domain and preferred domain it
    /// both matches (19; empty otherwise).
    pub member_preferred: Vec<i64>,
    /// `create_date` (18+ assign only leads created within the rules' window).
    pub created: Option<chrono::NaiveDateTime>,
}

/// Everything one routing decision depends on.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Input {
    pub teams: Vec<Team>,
    pub members: Vec<Member>,
    pub candidates: Vec<Candidate>,
    pub strategy: Strategy,
    /// The period one run covers, in days (Odoo's `work_days`, 0.2..=30; monthly quota only).
    pub work_days: f64,
    /// The Odoo version's assignment rules (the version profile's).
    pub rules: Rules,
    /// The run's clock (the creation window counts back from it).
    pub now: chrono::NaiveDateTime,
    /// Which routings the outcome explains.
    pub explain: Explain,
}

/// How much of the decision the outcome keeps: every candidate's explanation (`explain`,
/// tests), or only the leads that get something, without the skipped teams and members (a
/// run over a large database routes a few hundred leads out of many thousand candidates).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Explain {
    #[default]
    All,
    Assigned,
}
