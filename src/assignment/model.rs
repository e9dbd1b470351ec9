//! What routing needs to know, as plain data: configured teams, their members (from Odoo's
//! `crm.team.member` with config overrides), the candidate leads and which domains they match.

/// How leads are spread over a team's salespeople.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Strategy {
    /// Odoo 17's quota maths; where Odoo draws a member at random weighted by remaining quota,
    /// the member with the most remaining quota is taken (ties: fewer leads this month and
    /// this run, then the lower membership id).
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
    pub optout: bool,
    /// The member's domain could not be used (unparsable): skipped, with this reason.
    pub broken_domain: Option<String>,
}

impl Member {
    /// Whether the member takes leads at all (not opted out, a positive maximum, a usable
    /// domain).
    pub fn usable(&self) -> bool {
        !self.optout && self.max > 0 && self.broken_domain.is_none()
    }

    /// Leads the member may get in one run: Odoo's quota, or for round robin what is left of
    /// `assignment_max` this month.
    pub fn capacity(&self, strategy: Strategy, work_days: f64) -> i64 {
        match strategy {
            Strategy::Odoo => {
                super::quota::odoo_quota(self.max, self.month_count, work_days).max(0)
            }
            Strategy::RoundRobin => (self.max - self.month_count).max(0),
        }
    }
}

/// Leads a team hands its members to choose from (Odoo's `lead_limit`): the sum of the
/// capacities of its usable members. Each member only ever gets leads among its first
/// `lead_limit` eligible ones in `probability desc, id asc` order, whatever the strategy.
pub fn lead_limit(members: &[Member], team_id: i64, strategy: Strategy, work_days: f64) -> i64 {
    members
        .iter()
        .filter(|m| m.team_id == team_id && m.usable())
        .map(|m| m.capacity(strategy, work_days))
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
}

/// Everything one routing decision depends on.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Input {
    pub teams: Vec<Team>,
    pub members: Vec<Member>,
    pub candidates: Vec<Candidate>,
    pub strategy: Strategy,
    /// The period one run covers, in days (Odoo's `work_days`, 0.2..=30).
    pub work_days: f64,
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
