//! The routing decision, step by step: a team for each candidate ([`allocate_teams`]), then
//! salespeople team by team (`salespeople`), then the assignments and their explanations
//! ([`collect`]).

use std::collections::HashMap;

use super::model::{Candidate, Explain, Input, Member, Team};
use super::outcome::{
    Assignment, ChosenTeam, Outcome, Passed, Routing, Salesperson, TeamSkip, Usage,
};
use super::salespeople;

/// The team chosen for a lead, and whether the lead was already in it.
#[derive(Clone, Copy)]
pub(super) struct TeamChoice<'a> {
    pub(super) team: &'a Team,
    pub(super) already: bool,
}

/// Phase 1's result: per team id its candidates, per lead its team.
#[derive(Default)]
pub(super) struct Allocation<'a> {
    pub(super) per_team: HashMap<i64, Vec<&'a Candidate>>,
    pub(super) team_of: HashMap<i64, TeamChoice<'a>>,
}

/// Who got each lead (lead id → member), across all teams.
pub(super) type Picked<'a> = HashMap<i64, &'a Member>;

/// Routes `input.candidates`. Pure and deterministic: the same input gives the same output.
pub fn assign(input: &Input) -> Outcome {
    let mut teams: Vec<&Team> = input.teams.iter().collect();
    teams.sort_by_key(|t| (t.order, t.id));
    let mut out = Outcome::default();
    let allocation = allocate_teams(input, &teams, &mut out);
    let picked = salespeople::assign_members(input, &teams, allocation.per_team, &mut out);
    collect(input, &allocation.team_of, &picked, &mut out);
    out.assignments.sort_by_key(|a| a.lead);
    out
}

/// Phase 1: the team of each candidate in the creation window (its current team if it still
/// qualifies, else the first team in order whose minimum and domain it meets), explained
/// when `input.explain` is `All`.
fn allocate_teams<'a>(input: &'a Input, teams: &[&'a Team], out: &mut Outcome) -> Allocation<'a> {
    let explain_all = input.explain == Explain::All;
    // 18+: Odoo's cron takes only leads created in the window (stale leads, scorekeeper's own
    // reassignment, are exempt: they are old by definition).
    let cutoff = input
        .rules
        .creation_window_days
        .map(|d| (d, input.now - chrono::Duration::days(d)));
    let mut allocation = Allocation::default();
    for c in &input.candidates {
        if let Some((days, cut)) = cutoff
            && c.user_id.is_none()
            && c.created.is_none_or(|t| t < cut)
        {
            if explain_all {
                let mut routing = Routing::new(c.id, c.score, None);
                routing.skipped_teams = vec![Passed {
                    name: "every team".to_owned(),
                    why: TeamSkip::TooOld { days },
                }];
                out.routings.insert(c.id, routing);
            }
            continue;
        }
        let (chosen, skipped_teams) = choose_team(c, teams, explain_all);
        if let Some(choice) = chosen {
            allocation
                .per_team
                .entry(choice.team.id)
                .or_default()
                .push(c);
            allocation.team_of.insert(c.id, choice);
        }
        if explain_all {
            let mut routing = Routing::new(c.id, c.score, chosen.map(team_reason));
            routing.skipped_teams = skipped_teams;
            out.routings.insert(c.id, routing);
        }
    }
    allocation
}

/// The team of one candidate and (when `explain_all`) the teams it skipped and why.
fn choose_team<'a>(
    c: &Candidate,
    teams: &[&'a Team],
    explain_all: bool,
) -> (Option<TeamChoice<'a>>, Vec<Passed<TeamSkip>>) {
    let mut skipped = Vec::new();
    let mut skip = |t: &Team, why: TeamSkip| {
        if explain_all {
            skipped.push(Passed {
                name: t.name.clone(),
                why,
            });
        }
    };
    let below = |t: &Team| TeamSkip::BelowMinimum {
        score: c.score,
        min: t.min_score,
    };
    let chosen = match c.team_id {
        // Odoo never moves a lead between teams: its team keeps it while it qualifies.
        Some(current) => match teams.iter().find(|t| t.id == current) {
            Some(t) if c.score < t.min_score => {
                skip(t, below(t));
                None
            }
            Some(t) if t.optout => {
                skip(t, TeamSkip::OptedOut);
                None
            }
            Some(t) => Some(TeamChoice {
                team: t,
                already: true,
            }),
            None => None,
        },
        None => teams
            .iter()
            .copied()
            .find(|t| {
                let why = if t.optout {
                    TeamSkip::OptedOut
                } else if c.score < t.min_score {
                    below(t)
                } else if !c.team_matches.contains(&t.id) {
                    TeamSkip::DomainMismatch
                } else {
                    return true;
                };
                skip(t, why);
                false
            })
            .map(|team| TeamChoice {
                team,
                already: false,
            }),
    };
    (chosen, skipped)
}

/// The assignments (a new team, or a salesperson) and, when only assigned leads are
/// explained, their explanations.
fn collect(
    input: &Input,
    team_of: &HashMap<i64, TeamChoice<'_>>,
    picked: &Picked<'_>,
    out: &mut Outcome,
) {
    let explain_all = input.explain == Explain::All;
    for c in &input.candidates {
        let Some(&choice) = team_of.get(&c.id) else {
            continue;
        };
        let chosen = picked.get(&c.id).copied();
        if c.team_id == Some(choice.team.id) && chosen.is_none() {
            continue;
        }
        out.assignments.push(Assignment {
            lead: c.id,
            team_id: choice.team.id,
            user_id: chosen.map(|m| m.user_id),
        });
        if !explain_all {
            let mut routing = Routing::new(c.id, c.score, Some(team_reason(choice)));
            routing.salesperson = chosen.map(|m| salesperson(m, out));
            out.routings.insert(c.id, routing);
        }
    }
}

/// The salesperson `m` as an explanation, with its usage as the run left it.
pub(super) fn salesperson(m: &Member, out: &Outcome) -> Salesperson {
    // Every member of a team with leads has a usage entry (phase 2 sets them all).
    let Usage { capacity, used } = out.usage.get(&m.id).copied().unwrap_or_default();
    Salesperson {
        user_id: m.user_id,
        name: m.name.clone(),
        used,
        capacity,
    }
}

/// The chosen team as an explanation: (id, name, why).
fn team_reason(choice: TeamChoice<'_>) -> ChosenTeam {
    let t = choice.team;
    let why = if choice.already {
        "already in this team".to_owned()
    } else {
        format!(
            "first team in order whose minimum ({}) and domain the lead meets",
            t.min_score
        )
    };
    ChosenTeam {
        id: t.id,
        name: t.name.clone(),
        why,
    }
}
