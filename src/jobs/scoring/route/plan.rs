//! The routing plan, as a pure function of what the pass read and routed: the candidates
//! kept in the members' top lists (and the stale and `explain` leads) go to the pure
//! `assignment` engine; its assignments and the leads that only got a team become `team_id`
//! (and `user_id`) writes. No client, no I/O.

use std::collections::BTreeMap;

use super::{Lead, Ranked, Router};
use crate::assignment::{self, Assignment, Candidate, Input, Outcome, Team};
use crate::config::LEAD_MODEL;
use crate::jobs::scoring::ASSIGNMENT_JOB;
use crate::plan::{FieldChange, Plan};
use crate::record::Value;

impl Router {
    /// Routes the leads kept (the engine on the reduced set) and plans the writes: `team_id`
    /// (and `user_id`) for what the engine assigned, `team_id` alone for the other leads that
    /// got a team.
    pub(super) fn decide(mut self) -> (Plan, Outcome) {
        let cands = self.candidates();
        let mut team_only = std::mem::take(&mut self.team_only);
        team_only.retain(|(id, _)| !cands.contains_key(id));
        team_only.sort_unstable();
        team_only.dedup_by_key(|(id, _)| *id);
        if cands.is_empty() && team_only.is_empty() {
            return (Plan::new(ASSIGNMENT_JOB), Outcome::default());
        }
        let input = self.engine_input(&cands);
        let mut outcome = assignment::assign(&input);
        let engine = std::mem::take(&mut outcome.assignments);
        outcome.assignments = merge(engine, team_only);
        let plan = routing_plan(&outcome, &cands, &input.teams);
        (plan, outcome)
    }

    /// Every lead the engine must see, by id: the members' top lists, the `explain` leads,
    /// and the stale ones.
    fn candidates(&mut self) -> BTreeMap<i64, Lead> {
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
        cands
    }

    /// The engine's input: the roster, and each candidate with the team and member domains
    /// it matches.
    fn engine_input(&mut self, cands: &BTreeMap<i64, Lead>) -> Input {
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
        Input {
            teams: std::mem::take(&mut self.teams),
            members: std::mem::take(&mut self.members),
            candidates,
            strategy: self.strategy,
            work_days: self.work_days,
            rules: self.rules,
            now: self.now,
            explain: self.explain,
        }
    }
}

/// The engine's assignments and the team-only leads (`(lead, team)`, sorted, none of them
/// a candidate), merged in lead order.
fn merge(engine: Vec<Assignment>, team_only: Vec<(i64, i64)>) -> Vec<Assignment> {
    let team = |(lead, team_id): (i64, i64)| Assignment {
        lead,
        team_id,
        user_id: None,
    };
    let mut merged = Vec::with_capacity(engine.len() + team_only.len());
    let mut extra = team_only.into_iter().peekable();
    for a in engine {
        while let Some(t) = extra.next_if(|(lead, _)| *lead < a.lead) {
            merged.push(team(t));
        }
        merged.push(a);
    }
    merged.extend(extra.map(team));
    merged
}

/// The writes of the routing: per assignment, `team_id` and (with a salesperson) `user_id`,
/// the old values as the pass read them (`cands`; a team-only lead had neither).
fn routing_plan(outcome: &Outcome, cands: &BTreeMap<i64, Lead>, teams: &[Team]) -> Plan {
    let team_name = |id: i64| {
        teams
            .iter()
            .find(|t| t.id == id)
            .map_or("", |t| t.name.as_str())
    };
    let mut plan = Plan::new(ASSIGNMENT_JOB);
    for a in &outcome.assignments {
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
            if let Some(s) = outcome
                .routings
                .get(&a.lead)
                .and_then(|r| r.salesperson.as_ref())
            {
                reason.push_str(&format!(
                    ", salesperson {} ({} of {})",
                    s.name, s.used, s.capacity
                ));
            }
        }
        plan.push_write(LEAD_MODEL, a.lead, changes, reason);
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assignment::{Member, Rules, Strategy, Usage};
    use crate::jobs::scoring::report::LeadRow;
    use crate::plan::Values;
    use crate::record::IdSet;
    use crate::scoring::Scored;

    fn team(id: i64, name: &str, min_score: i64, order: i64) -> Team {
        Team {
            id,
            name: name.into(),
            min_score,
            order,
            optout: false,
        }
    }

    fn member(id: i64, user_id: i64, team_id: i64, max: i64) -> Member {
        Member {
            id,
            user_id,
            name: format!("user{user_id}"),
            team_id,
            max,
            month_count: 0,
            day_count: 0,
            window_count: 0,
            preferred: false,
            optout: false,
            broken_domain: None,
        }
    }

    fn row(id: i64, score: i64, probability: f64, user_id: Option<i64>) -> LeadRow {
        LeadRow {
            id,
            old_score: 0,
            scored: Scored {
                score,
                contributions: Vec::new(),
                clamped: Vec::new(),
                band: None,
            },
            old_priority: None,
            old_tags: Vec::new(),
            user_id,
            team_id: None,
            probability,
        }
    }

    /// Two teams: "Vietnam" (order 0, minimum 50, domain: leads 1..=3 match) and "Direct"
    /// (order 1, minimum 10, no domain), their members by capacity, round robin.
    fn router() -> Router {
        let teams = vec![team(1, "Vietnam", 50, 0), team(2, "Direct", 10, 1)];
        // Vietnam: member 11 takes 1 lead per run, member 12 none (opted out);
        // Direct: member 21 takes 2.
        let mut opted = member(12, 102, 1, 30);
        opted.optout = true;
        let members = vec![member(11, 101, 1, 1), opted, member(21, 201, 2, 2)];
        let mut r = Router::new(
            super::super::read::Roster {
                teams,
                team_domains: vec![Some(crate::domain::Domain::parse("[]").unwrap()), None],
                members,
                member_domains: vec![None, None, None],
                preferred_domains: vec![None, None, None],
            },
            super::super::Settings {
                strategy: Strategy::RoundRobin,
                work_days: 1.0,
                rules: Rules::default(),
                now: chrono::NaiveDateTime::default(),
                min_min: 10,
                kind: &crate::jobs::scoring::PassKind::Full,
            },
            BTreeMap::new(),
        );
        r.sets = vec![IdSet::from_iter([1, 2, 3])];
        r
    }

    fn writes(plan: &Plan) -> Vec<(i64, Values, String)> {
        plan.writes()
            .map(|(_, id, changes, reason)| {
                let values = changes
                    .iter()
                    .map(|c| (c.field.clone(), c.new.clone()))
                    .collect();
                (id, values, reason.to_owned())
            })
            .collect()
    }

    #[test]
    fn teams_by_minimum_and_domain_salespeople_by_capacity_owned_leads_left_alone() {
        let mut r = router();
        // 1: 80 in Vietnam's domain, the best probability → Vietnam, its one salesperson.
        // 2: 60 in Vietnam's domain, Vietnam's capacity used up → Vietnam, no salesperson.
        // 4: 60 outside Vietnam's domain → Direct, salesperson 201 (usage as the run left it).
        // 5: 20, below Vietnam's minimum → Direct, salesperson 201 (second of two).
        // 6: 5, below every minimum → nothing.
        // 3: already assigned → left alone, although it matches.
        for lead in [
            row(1, 80, 90.0, None),
            row(2, 60, 50.0, None),
            row(3, 90, 99.0, Some(7)),
            row(4, 60, 40.0, None),
            row(5, 20, 30.0, None),
            row(6, 5, 99.0, None),
        ] {
            r.offer(&lead, Some("2026-11-20 10:00:00"), None);
        }
        let (plan, outcome) = r.decide();
        let team = |id| Value::Many2one(id);
        assert_eq!(
            writes(&plan),
            vec![
                (
                    1,
                    vec![("team_id".into(), team(1)), ("user_id".into(), team(101))],
                    "routed to team Vietnam, salesperson user101 (1 of 1)".into()
                ),
                (
                    2,
                    vec![("team_id".into(), team(1))],
                    "routed to team Vietnam".into()
                ),
                (
                    4,
                    vec![("team_id".into(), team(2)), ("user_id".into(), team(201))],
                    "routed to team Direct, salesperson user201 (2 of 2)".into()
                ),
                (
                    5,
                    vec![("team_id".into(), team(2)), ("user_id".into(), team(201))],
                    "routed to team Direct, salesperson user201 (2 of 2)".into()
                ),
            ]
        );
        assert_eq!(
            outcome.usage[&11],
            Usage {
                capacity: 1,
                used: 1
            }
        );
        assert_eq!(
            outcome.usage[&21],
            Usage {
                capacity: 2,
                used: 2
            }
        );
        assert_eq!(
            outcome.usage[&12],
            Usage {
                capacity: 0,
                used: 0
            },
            "opted out"
        );
    }

    #[test]
    fn a_lead_already_in_its_team_with_nobody_free_writes_nothing() {
        let mut r = router();
        let mut lead = row(9, 30, 10.0, None);
        lead.team_id = Some(2);
        // Direct's capacity goes to two better leads first.
        r.offer(&row(7, 30, 90.0, None), None, None);
        r.offer(&row(8, 30, 80.0, None), None, None);
        r.offer(&lead, None, None);
        let (plan, outcome) = r.decide();
        let ids: Vec<i64> = plan.writes().map(|(_, id, _, _)| id).collect();
        assert_eq!(ids, vec![7, 8], "lead 9 keeps its team, nothing to write");
        assert!(outcome.assignments.iter().all(|a| a.lead != 9));
    }

    #[test]
    fn nothing_offered_plans_nothing() {
        let (plan, outcome) = router().decide();
        assert!(plan.is_empty());
        assert_eq!(outcome, Outcome::default());
    }
}
