//! Phase 2 of routing: the salespeople of each team, by the strategy and the version's quota
//! ([`Strategy::Odoo`] with 18/19's daily round robin or 17's monthly draw, or plain
//! [`Strategy::RoundRobin`]), then, when every candidate is explained, why each other member
//! did not get the lead.

use std::collections::HashMap;

use super::engine::{Picked, salesperson};
use super::model::{Candidate, Explain, Input, Member, Quota, Strategy, Team, lead_limit};
use super::outcome::{MemberSkip, Outcome, Passed, Usage};

/// One team's round: its members (by membership id) and its leads (best first).
struct TeamRound<'a> {
    input: &'a Input,
    team: &'a Team,
    members: Vec<&'a Member>,
    leads: Vec<&'a Candidate>,
}

impl TeamRound<'_> {
    fn capacity(&self, m: &Member) -> i64 {
        m.capacity(
            self.input.strategy,
            self.input.work_days,
            self.input.rules.quota,
        )
    }

    /// Whether member `m` may get lead `c` at all (usable, domain, not its current owner).
    fn eligible(&self, m: &Member, c: &Candidate) -> bool {
        m.usable() && c.member_matches.contains(&m.id) && c.user_id != Some(m.user_id)
    }
}

/// Counts one more lead for membership `member` in the run's usage.
fn count(out: &mut Outcome, member: i64) {
    if let Some(u) = out.usage.get_mut(&member) {
        u.used += 1;
    }
}

/// Assigns the leads of every team to its salespeople; returns who got each lead.
pub(super) fn assign_members<'a>(
    input: &'a Input,
    teams: &[&'a Team],
    mut per_team: HashMap<i64, Vec<&'a Candidate>>,
    out: &mut Outcome,
) -> Picked<'a> {
    let mut picked: Picked<'a> = HashMap::new();
    for &team in teams {
        let Some(mut leads) = per_team.remove(&team.id) else {
            continue;
        };
        leads.sort_by(|a, b| {
            b.probability
                .total_cmp(&a.probability)
                .then(a.id.cmp(&b.id))
        });
        let mut members: Vec<&Member> = input
            .members
            .iter()
            .filter(|m| m.team_id == team.id)
            .collect();
        members.sort_by_key(|m| m.id);
        let round = TeamRound {
            input,
            team,
            members,
            leads,
        };
        for m in &round.members {
            let capacity = if m.usable() { round.capacity(m) } else { 0 };
            out.usage.insert(m.id, Usage { capacity, used: 0 });
        }
        match (input.strategy, input.rules.quota) {
            (Strategy::Odoo, Quota::Daily) => daily_round_robin(&round, &mut picked, out),
            (Strategy::Odoo, Quota::Monthly) => monthly_draw(&round, &mut picked, out),
            (Strategy::RoundRobin, _) => round_robin(&round, &mut picked, out),
        }
        if input.explain == Explain::All {
            explain_members(&round, &picked, out);
        }
    }
    picked
}

/// Odoo 18/19 `_assign_and_convert_leads`: members with quota left, by quota descending (a
/// stable sort: ties keep membership order); each lead, by probability, goes to the first
/// member of the list whose domain accepts it, who then moves to the end of the list (or
/// leaves it, quota used up). 19 first hands out the leads some member prefers, among those
/// members only.
fn daily_round_robin<'a>(round: &TeamRound<'a>, picked: &mut Picked<'a>, out: &mut Outcome) {
    let members = &round.members;
    let mut list: Vec<usize> = (0..members.len())
        .filter(|&i| members[i].usable() && round.capacity(members[i]) > 0)
        .collect();
    list.sort_by_key(|&i| std::cmp::Reverse(round.capacity(members[i])));
    let mut left: Vec<i64> = members.iter().map(|m| round.capacity(m)).collect();
    let mut pref: Vec<usize> = if round.input.rules.preferred_domain {
        list.iter()
            .copied()
            .filter(|&i| members[i].preferred)
            .collect()
    } else {
        Vec::new()
    };
    // A lead several members prefer is handed out once (Odoo's `concat` would list it once
    // per member and could assign it twice).
    let preferred: Vec<&Candidate> = round
        .leads
        .iter()
        .copied()
        .filter(|c| {
            pref.iter()
                .any(|&i| c.member_preferred.contains(&members[i].id))
        })
        .collect();
    let passes = preferred
        .into_iter()
        .map(|c| (true, c))
        .chain(round.leads.iter().map(|c| (false, *c)));
    for (in_pref_loop, c) in passes {
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
        count(out, members[i].id);
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

/// Odoo ≤17: each member draws from its first `lead_limit` matching leads; where Odoo draws
/// a member at random weighted by remaining quota, the member with the most remaining quota
/// draws (ties: fewer leads this month and this run, then the lower membership id).
fn monthly_draw<'a>(round: &TeamRound<'a>, picked: &mut Picked<'a>, out: &mut Outcome) {
    let input = round.input;
    let members = &round.members;
    let limit = lead_limit(
        &input.members,
        round.team.id,
        input.strategy,
        input.work_days,
        input.rules.quota,
    );
    let lists: Vec<Vec<&Candidate>> = members
        .iter()
        .map(|m| {
            round
                .leads
                .iter()
                .copied()
                .filter(|c| round.eligible(m, c))
                .take(limit.max(0) as usize)
                .collect()
        })
        .collect();
    let mut weight: Vec<i64> = members
        .iter()
        .map(|m| if m.usable() { round.capacity(m) } else { 0 })
        .collect();
    let mut next: Vec<usize> = vec![0; members.len()];
    loop {
        let best = (0..members.len())
            .filter(|&i| weight[i] > 0)
            .min_by_key(|&i| {
                let used = out.usage.get(&members[i].id).map_or(0, |u| u.used);
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
                count(out, members[i].id);
            }
            None => weight[i] = 0,
        }
    }
}

/// Members in membership order, each lead to the next member with capacity left.
fn round_robin<'a>(round: &TeamRound<'a>, picked: &mut Picked<'a>, out: &mut Outcome) {
    let members = &round.members;
    let mut cursor = 0usize;
    for c in &round.leads {
        for step in 0..members.len() {
            let i = (cursor + step) % members.len();
            let m = members[i];
            let has_room = out.usage.get(&m.id).is_some_and(|u| u.used < u.capacity);
            if round.eligible(m, c) && has_room {
                picked.insert(c.id, m);
                count(out, m.id);
                cursor = i + 1;
                break;
            }
        }
    }
}

/// The salesperson of each of the team's leads and why every other member did not get it.
fn explain_members(round: &TeamRound<'_>, picked: &Picked<'_>, out: &mut Outcome) {
    for c in &round.leads {
        let chosen = picked.get(&c.id).copied();
        let salesperson = chosen.map(|m| salesperson(m, out));
        let skipped: Vec<Passed<MemberSkip>> = round
            .members
            .iter()
            .filter(|m| chosen.is_none_or(|p| p.id != m.id))
            .map(|m| Passed {
                name: m.name.clone(),
                why: member_skip(m, c, out),
            })
            .collect();
        let Some(routing) = out.routings.get_mut(&c.id) else {
            continue;
        };
        if salesperson.is_some() {
            routing.salesperson = salesperson;
        }
        routing.skipped_members.extend(skipped);
    }
}

/// Why member `m` did not get lead `c`.
fn member_skip(m: &Member, c: &Candidate, out: &Outcome) -> MemberSkip {
    // Every member of the team got a usage entry before the leads were handed out.
    let Usage { capacity, used } = out.usage.get(&m.id).copied().unwrap_or_default();
    if m.optout {
        MemberSkip::OptedOut
    } else if m.max <= 0 {
        MemberSkip::NoCapacity { max: m.max }
    } else if let Some(why) = &m.broken_domain {
        MemberSkip::BrokenDomain(why.clone())
    } else if c.user_id == Some(m.user_id) {
        MemberSkip::CurrentOwner
    } else if !c.member_matches.contains(&m.id) {
        MemberSkip::DomainMismatch
    } else if used >= capacity {
        MemberSkip::Full { used, capacity }
    } else {
        MemberSkip::NotChosen
    }
}
