//! The routing decision: team allocation, then salesperson assignment per team, with the
//! reasons for every choice and every skip.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use super::model::{Candidate, Explain, Input, Member, Quota, Strategy, Team, lead_limit};

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

/// The explanation of one lead's routing.
#[derive(Clone, Debug, PartialEq)]
pub struct Routing {
    pub lead: i64,
    pub score: i64,
    /// The team and why (`None`: no team took it).
    pub team: Option<(i64, String, String)>,
    pub skipped_teams: Vec<(String, TeamSkip)>,
    /// (user id, member name, capacity used after this lead, capacity for the run).
    pub salesperson: Option<(i64, String, i64, i64)>,
    pub skipped_members: Vec<(String, MemberSkip)>,
}

/// The whole decision.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Outcome {
    /// Leads that get a team and/or a salesperson, ascending by lead id.
    pub assignments: Vec<Assignment>,
    pub routings: BTreeMap<i64, Routing>,
    /// membership id → (capacity for this run, leads assigned in this run).
    pub usage: BTreeMap<i64, (i64, i64)>,
}

/// Routes `input.candidates`. Pure and deterministic: the same input gives the same output.
pub fn assign(input: &Input) -> Outcome {
    let mut teams: Vec<&Team> = input.teams.iter().collect();
    teams.sort_by_key(|t| (t.order, t.id));
    let mut out = Outcome::default();

    // Phase 1: teams.
    let explain_all = input.explain == Explain::All;
    // 18+: Odoo's cron takes only leads created in the window (stale leads, scorekeeper's own
    // reassignment, are exempt: they are old by definition).
    let cutoff = input
        .rules
        .creation_window_days
        .map(|d| input.now - chrono::Duration::days(d));
    let in_window = |c: &Candidate| {
        c.user_id.is_some() || cutoff.is_none_or(|cut| c.created.is_some_and(|t| t >= cut))
    };
    let mut per_team: HashMap<i64, Vec<&Candidate>> = HashMap::new();
    // lead → (team, whether it was already in it)
    let mut team_of: HashMap<i64, (&Team, bool)> = HashMap::new();
    for c in &input.candidates {
        if !in_window(c) {
            if explain_all {
                let days = input.rules.creation_window_days.unwrap_or_default();
                out.routings.insert(
                    c.id,
                    Routing {
                        lead: c.id,
                        score: c.score,
                        team: None,
                        skipped_teams: vec![("every team".to_owned(), TeamSkip::TooOld { days })],
                        salesperson: None,
                        skipped_members: Vec::new(),
                    },
                );
            }
            continue;
        }
        let mut skipped_teams = Vec::new();
        let mut skip_team = |t: &Team, why: TeamSkip| {
            if explain_all {
                skipped_teams.push((t.name.clone(), why));
            }
        };
        let chosen = match c.team_id {
            Some(current) => match teams.iter().find(|t| t.id == current) {
                Some(t) if c.score < t.min_score => {
                    skip_team(
                        t,
                        TeamSkip::BelowMinimum {
                            score: c.score,
                            min: t.min_score,
                        },
                    );
                    None
                }
                Some(t) if t.optout => {
                    skip_team(t, TeamSkip::OptedOut);
                    None
                }
                Some(t) => Some((*t, true)),
                None => None,
            },
            None => {
                let mut chosen = None;
                for t in &teams {
                    let skip = if t.optout {
                        Some(TeamSkip::OptedOut)
                    } else if c.score < t.min_score {
                        Some(TeamSkip::BelowMinimum {
                            score: c.score,
                            min: t.min_score,
                        })
                    } else if !c.team_matches.contains(&t.id) {
                        Some(TeamSkip::DomainMismatch)
                    } else {
                        None
                    };
                    match skip {
                        Some(s) => skip_team(t, s),
                        None => {
                            chosen = Some((*t, false));
                            break;
                        }
                    }
                }
                chosen
            }
        };
        if let Some((t, already)) = chosen {
            per_team.entry(t.id).or_default().push(c);
            team_of.insert(c.id, (t, already));
        }
        if explain_all {
            out.routings.insert(
                c.id,
                Routing {
                    lead: c.id,
                    score: c.score,
                    team: chosen.map(|(t, already)| team_reason(t, already)),
                    skipped_teams,
                    salesperson: None,
                    skipped_members: Vec::new(),
                },
            );
        }
    }

    // Phase 2: salespeople, team by team.
    let mut picked: HashMap<i64, &Member> = HashMap::new();
    for t in &teams {
        let Some(leads) = per_team.get_mut(&t.id) else {
            continue;
        };
        leads.sort_by(|a, b| {
            b.probability
                .total_cmp(&a.probability)
                .then(a.id.cmp(&b.id))
        });
        let mut members: Vec<&Member> =
            input.members.iter().filter(|m| m.team_id == t.id).collect();
        members.sort_by_key(|m| m.id);
        let quota = input.rules.quota;
        let capacity = |m: &Member| m.capacity(input.strategy, input.work_days, quota);
        let usable = |m: &Member| m.usable();
        for m in &members {
            out.usage
                .insert(m.id, (if usable(m) { capacity(m) } else { 0 }, 0));
        }
        let eligible = |m: &Member, c: &Candidate| {
            usable(m) && c.member_matches.contains(&m.id) && c.user_id != Some(m.user_id)
        };
        match (input.strategy, quota) {
            (Strategy::Odoo, Quota::Daily) => {
                // Odoo 18/19 `_assign_and_convert_leads`: members with quota left, by quota
                // descending (a stable sort: ties keep membership order); each lead, by
                // probability, goes to the first member of the list whose domain accepts it,
                // who then moves to the end of the list (or leaves it, quota used up). 19
                // first hands out the leads some member prefers, among those members only.
                let mut list: Vec<usize> = (0..members.len())
                    .filter(|&i| usable(members[i]) && capacity(members[i]) > 0)
                    .collect();
                list.sort_by_key(|&i| std::cmp::Reverse(capacity(members[i])));
                let mut left: Vec<i64> = members.iter().map(|m| capacity(m)).collect();
                let mut pref: Vec<usize> = if input.rules.preferred_domain {
                    list.iter()
                        .copied()
                        .filter(|&i| members[i].preferred)
                        .collect()
                } else {
                    Vec::new()
                };
                // A lead several members prefer is handed out once (Odoo's `concat` would
                // list it once per member and could assign it twice).
                let preferred: Vec<&Candidate> = leads
                    .iter()
                    .copied()
                    .filter(|c| {
                        pref.iter()
                            .any(|&i| c.member_preferred.contains(&members[i].id))
                    })
                    .collect();
                let rest: Vec<&Candidate> = leads.to_vec();
                for (in_pref_loop, c) in preferred
                    .into_iter()
                    .map(|c| (true, c))
                    .chain(rest.into_iter().map(|c| (false, c)))
                {
                    if picked.contains_key(&c.id) {
                        continue;
                    }
                    let accepts = |&&i: &&usize| {
                        let m = members[i];
                        c.user_id != Some(m.user_id)
                            && if in_pref_loop {
                                c.member_preferred.contains(&m.id)
                            } else {
                                c.member_matches.contains(&m.id)
                            }
                    };
                    let found = if in_pref_loop {
                        pref.iter().find(accepts)
                    } else {
                        list.iter().find(accepts)
                    };
                    let Some(&i) = found else { continue };
                    picked.insert(c.id, members[i]);
                    if let Some(u) = out.usage.get_mut(&members[i].id) {
                        u.1 += 1;
                    }
                    left[i] -= 1;
                    // The member moves to the end of the list(s), or leaves them.
                    let was_pref = pref.contains(&i);
                    list.retain(|&x| x != i);
                    pref.retain(|&x| x != i);
                    if left[i] > 0 {
                        list.push(i);
                        if was_pref {
                            pref.push(i);
                        }
                    }
                }
            }
            (Strategy::Odoo, Quota::Monthly) => {
                // Odoo gives each member its first `lead_limit` matching leads to draw from.
                let lead_limit =
                    lead_limit(&input.members, t.id, input.strategy, input.work_days, quota);
                let lists: Vec<Vec<&Candidate>> = members
                    .iter()
                    .map(|m| {
                        leads
                            .iter()
                            .copied()
                            .filter(|c| eligible(m, c))
                            .take(lead_limit.max(0) as usize)
                            .collect()
                    })
                    .collect();
                let mut weight: Vec<i64> = members
                    .iter()
                    .map(|m| if usable(m) { capacity(m) } else { 0 })
                    .collect();
                let mut next: Vec<usize> = vec![0; members.len()];
                loop {
                    let best = (0..members.len())
                        .filter(|&i| weight[i] > 0)
                        .min_by_key(|&i| {
                            let used = out.usage.get(&members[i].id).map_or(0, |u| u.1);
                            (-weight[i], members[i].month_count + used, members[i].id)
                        });
                    let Some(i) = best else { break };
                    let list = &lists[i];
                    while next[i] < list.len() && picked.contains_key(&list[next[i]].id) {
                        next[i] += 1;
                    }
                    match list.get(next[i]) {
                        Some(c) => {
                            picked.insert(c.id, members[i]);
                            weight[i] -= 1;
                            if let Some(u) = out.usage.get_mut(&members[i].id) {
                                u.1 += 1;
                            }
                        }
                        None => weight[i] = 0,
                    }
                }
            }
            (Strategy::RoundRobin, _) => {
                let mut cursor = 0usize;
                for c in leads.iter() {
                    for step in 0..members.len() {
                        let i = (cursor + step) % members.len();
                        let m = members[i];
                        let (cap, used) = out.usage.get(&m.id).copied().unwrap_or((0, 0));
                        if eligible(m, c) && used < cap {
                            picked.insert(c.id, m);
                            if let Some(u) = out.usage.get_mut(&m.id) {
                                u.1 += 1;
                            }
                            cursor = i + 1;
                            break;
                        }
                    }
                }
            }
        }

        // Explanations for this team's leads.
        for c in leads.iter() {
            let chosen = picked.get(&c.id).copied();
            let Some(routing) = out.routings.get_mut(&c.id) else {
                continue;
            };
            if let Some(m) = chosen {
                let (cap, used) = out.usage.get(&m.id).copied().unwrap_or((0, 0));
                routing.salesperson = Some((m.user_id, m.name.clone(), used, cap));
            }
            for m in &members {
                if chosen.is_some_and(|p| p.id == m.id) {
                    continue;
                }
                let (cap, used) = out.usage.get(&m.id).copied().unwrap_or((0, 0));
                let skip = if m.optout {
                    MemberSkip::OptedOut
                } else if m.max <= 0 {
                    MemberSkip::NoCapacity { max: m.max }
                } else if let Some(why) = &m.broken_domain {
                    MemberSkip::BrokenDomain(why.clone())
                } else if c.user_id == Some(m.user_id) {
                    MemberSkip::CurrentOwner
                } else if !c.member_matches.contains(&m.id) {
                    MemberSkip::DomainMismatch
                } else if used >= cap {
                    MemberSkip::Full {
                        used,
                        capacity: cap,
                    }
                } else {
                    MemberSkip::NotChosen
                };
                routing.skipped_members.push((m.name.clone(), skip));
            }
        }
    }

    for c in &input.candidates {
        let Some(&(team, already)) = team_of.get(&c.id) else {
            continue;
        };
        let chosen = picked.get(&c.id).copied();
        if c.team_id != Some(team.id) || chosen.is_some() {
            out.assignments.push(Assignment {
                lead: c.id,
                team_id: team.id,
                user_id: chosen.map(|m| m.user_id),
            });
            if !explain_all {
                let salesperson = chosen.map(|m| {
                    let (cap, used) = out.usage.get(&m.id).copied().unwrap_or((0, 0));
                    (m.user_id, m.name.clone(), used, cap)
                });
                out.routings.insert(
                    c.id,
                    Routing {
                        lead: c.id,
                        score: c.score,
                        team: Some(team_reason(team, already)),
                        skipped_teams: Vec::new(),
                        salesperson,
                        skipped_members: Vec::new(),
                    },
                );
            }
        }
    }
    out.assignments.sort_by_key(|a| a.lead);
    out
}

/// The chosen team as an explanation: (id, name, why).
fn team_reason(t: &Team, already: bool) -> (i64, String, String) {
    let why = if already {
        "already in this team".to_owned()
    } else {
        format!(
            "first team in order whose minimum ({}) and domain the lead meets",
            t.min_score
        )
    };
    (t.id, t.name.clone(), why)
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
            Some((id, name, why)) => writeln!(f, "team {name} (id {id}): {why}")?,
            None => writeln!(f, "no team: score {}", self.score)?,
        }
        for (name, why) in &self.skipped_teams {
            writeln!(f, "  skipped team {name}: {why}")?;
        }
        match &self.salesperson {
            Some((uid, name, used, cap)) => writeln!(
                f,
                "salesperson {name} (user {uid}): capacity used {used} of {cap}, {} left",
                cap - used
            )?,
            None if self.team.is_some() => writeln!(f, "no salesperson available")?,
            None => {}
        }
        for (name, why) in &self.skipped_members {
            writeln!(f, "  skipped {name}: {why}")?;
        }
        Ok(())
    }
}
