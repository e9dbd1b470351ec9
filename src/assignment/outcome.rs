//! What routing decided, as named data: the assignments, and per lead the explanation of
//! its team and salesperson, with the reasons every other team and member was skipped.

use std::collections::BTreeMap;
use std::fmt;

/// What routing decided for one lead.
#[derive(Clone, Debug, PartialEq)]
pub struct Assignment {
    pub lead: i64,
    pub team_id: i64,
    pub user_id: Option<i64>,
}

/// Why a team did not get a lead.
#[derive(Clone, Debug, PartialEq)]
pub enum TeamSkip {
    OptedOut,
    BelowMinimum {
        score: i64,
        min: i64,
    },
    DomainMismatch,
    /// 18+: created before the rules' creation window (this many days).
    TooOld {
        days: i64,
    },
}

/// Why a member did not get a lead.
#[derive(Clone, Debug, PartialEq)]
pub enum MemberSkip {
    OptedOut,
    NoCapacity {
        max: i64,
    },
    BrokenDomain(String),
    DomainMismatch,
    CurrentOwner,
    /// Its capacity for this run was used up (used of quota).
    Full {
        used: i64,
        capacity: i64,
    },
    /// It still had capacity but another member was chosen.
    NotChosen,
}

/// The salesperson a lead went to, with the member's capacity as the run left it.
#[derive(Clone, Debug, PartialEq)]
pub struct Salesperson {
    pub user_id: i64,
    /// The member's name (its user's).
    pub name: String,
    /// Leads the member got in this run.
    pub used: i64,
    /// Leads the member could get in this run.
    pub capacity: i64,
}

/// The explanation of one lead's routing.
#[derive(Clone, Debug, PartialEq)]
pub struct Routing {
    pub lead: i64,
    pub score: i64,
    /// The team and why (`None`: no team took it).
    pub team: Option<ChosenTeam>,
    /// Teams passed over, each with why.
    pub skipped_teams: Vec<Passed<TeamSkip>>,
    pub salesperson: Option<Salesperson>,
    /// Members passed over, each with why.
    pub skipped_members: Vec<Passed<MemberSkip>>,
}

/// The team a lead goes to, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct ChosenTeam {
    pub id: i64,
    pub name: String,
    pub why: String,
}

/// A team or member passed over for a lead: its name and why.
#[derive(Clone, Debug, PartialEq)]
pub struct Passed<Why> {
    pub name: String,
    pub why: Why,
}

/// A member's room in this run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    /// Leads the member could get in this run.
    pub capacity: i64,
    /// Leads the member got in this run.
    pub used: i64,
}

impl Routing {
    /// A routing with its team (if any) and nothing else explained yet.
    pub(crate) fn new(lead: i64, score: i64, team: Option<ChosenTeam>) -> Routing {
        Routing {
            lead,
            score,
            team,
            skipped_teams: Vec::new(),
            salesperson: None,
            skipped_members: Vec::new(),
        }
    }
}

/// The whole decision.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Outcome {
    /// Leads that get a team and/or a salesperson, ascending by lead id.
    pub assignments: Vec<Assignment>,
    pub routings: BTreeMap<i64, Routing>,
    /// membership id → its capacity and use in this run.
    pub usage: BTreeMap<i64, Usage>,
}

impl fmt::Display for TeamSkip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TeamSkip::OptedOut => f.write_str("team opted out of automatic assignment"),
            TeamSkip::BelowMinimum { score, min } => {
                write!(f, "score {score} below the team minimum {min}")
            }
            TeamSkip::DomainMismatch => f.write_str("lead does not match the team domain"),
            TeamSkip::TooOld { days } => write!(
                f,
                "created more than {days} days ago: Odoo's assignment cron leaves it alone"
            ),
        }
    }
}

impl fmt::Display for MemberSkip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MemberSkip::OptedOut => f.write_str("opted out"),
            MemberSkip::NoCapacity { max } => write!(f, "assignment_max is {max}"),
            MemberSkip::BrokenDomain(why) => write!(f, "unusable assignment domain: {why}"),
            MemberSkip::DomainMismatch => f.write_str("lead does not match the member domain"),
            MemberSkip::CurrentOwner => f.write_str("already owns this stale lead"),
            MemberSkip::Full { used, capacity } => {
                write!(f, "capacity used up ({used} of {capacity})")
            }
            MemberSkip::NotChosen => f.write_str("had capacity, another member was first"),
        }
    }
}

impl fmt::Display for Routing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.team {
            Some(ChosenTeam { id, name, why }) => writeln!(f, "team {name} (id {id}): {why}")?,
            None => writeln!(f, "no team: score {}", self.score)?,
        }
        for Passed { name, why } in &self.skipped_teams {
            writeln!(f, "  skipped team {name}: {why}")?;
        }
        match &self.salesperson {
            Some(s) => writeln!(
                f,
                "salesperson {} (user {}): capacity used {} of {}, {} left",
                s.name,
                s.user_id,
                s.used,
                s.capacity,
                s.capacity - s.used
            )?,
            None if self.team.is_some() => writeln!(f, "no salesperson available")?,
            None => {}
        }
        for Passed { name, why } in &self.skipped_members {
            writeln!(f, "  skipped {name}: {why}")?;
        }
        Ok(())
    }
}
