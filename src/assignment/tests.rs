use proptest::prelude::*;

use super::engine::assign;
use super::outcome::{Outcome, Passed, TeamSkip, Usage};
use super::quota::odoo_quota;
use crate::assignment::model::{Candidate, Explain, Input, Member, Strategy, Team};

fn team(id: i64, min: i64, order: i64) -> Team {
    Team {
        id,
        name: format!("T{id}"),
        min_score: min,
        order,
        optout: false,
    }
}

fn member(id: i64, user: i64, team: i64, max: i64, month: i64) -> Member {
    Member {
        id,
        user_id: user,
        name: format!("U{user}"),
        team_id: team,
        max,
        month_count: month,
        day_count: 0,
        window_count: 0,
        preferred: false,
        optout: false,
        broken_domain: None,
    }
}

fn lead(id: i64, score: i64, prob: f64, teams: &[i64], members: &[i64]) -> Candidate {
    Candidate {
        id,
        score,
        probability: prob,
        team_id: None,
        user_id: None,
        team_matches: teams.to_vec(),
        member_matches: members.to_vec(),
        member_preferred: Vec::new(),
        created: None,
    }
}

#[test]
fn team_by_order_minimum_and_domain() {
    let input = Input {
        teams: vec![team(1, 80, 2), team(2, 50, 1), team(3, 0, 3)],
        members: vec![],
        candidates: vec![
            lead(10, 90, 0.0, &[1, 2, 3], &[]), // team 2 is first in order
            lead(11, 90, 0.0, &[1, 3], &[]),    // team 2 domain fails → team 1
            lead(12, 40, 0.0, &[1, 2], &[]),    // below 50 and 80, not in 3's domain
        ],
        strategy: Strategy::Odoo,
        work_days: 1.0,
        explain: Explain::All,
        ..Input::default()
    };
    let out = assign(&input);
    let teams: Vec<(i64, i64)> = out
        .assignments
        .iter()
        .map(|a| (a.lead, a.team_id))
        .collect();
    assert_eq!(teams, vec![(10, 2), (11, 1)]);
    let r = &out.routings[&12];
    assert!(r.team.is_none());
    assert_eq!(
        r.skipped_teams,
        vec![
            Passed {
                name: "T2".into(),
                why: TeamSkip::BelowMinimum { score: 40, min: 50 },
            },
            Passed {
                name: "T1".into(),
                why: TeamSkip::BelowMinimum { score: 40, min: 80 },
            },
            Passed {
                name: "T3".into(),
                why: TeamSkip::DomainMismatch,
            },
        ]
    );
    assert!(
        out.routings[&11]
            .to_string()
            .contains("skipped team T2: lead does not match")
    );
}

#[test]
fn odoo_strategy_respects_quota_order_and_skips() {
    // quotas for 2 days: U1 (30, 15) → 5; U2 (30, 30) → round(2) = 2; U3 opted out.
    let mut optout = member(3, 103, 1, 30, 0);
    optout.optout = true;
    let input = Input {
        teams: vec![team(1, 0, 1)],
        members: vec![member(1, 101, 1, 30, 15), member(2, 102, 1, 30, 30), optout],
        candidates: (1..=10)
            .map(|i| lead(i, 10, (i % 3) as f64 * 10.0, &[1], &[1, 2, 3]))
            .collect(),
        strategy: Strategy::Odoo,
        work_days: 2.0,
        explain: Explain::All,
        ..Input::default()
    };
    let out = assign(&input);
    assert_eq!(
        out.usage[&1],
        Usage {
            capacity: 5,
            used: 5
        }
    );
    assert_eq!(
        out.usage[&2],
        Usage {
            capacity: 2,
            used: 2
        }
    );
    assert_eq!(
        out.usage[&3],
        Usage {
            capacity: 0,
            used: 0
        }
    );
    let users: Vec<Option<i64>> = out.assignments.iter().map(|a| a.user_id).collect();
    assert_eq!(users.iter().filter(|u| **u == Some(101)).count(), 5);
    assert_eq!(users.iter().filter(|u| **u == Some(102)).count(), 2);
    assert_eq!(users.iter().filter(|u| u.is_none()).count(), 3);
    // Highest probability first: leads 2, 5, 8 (prob 20) are all assigned.
    for id in [2, 5, 8] {
        assert!(out.routings[&id].salesperson.is_some(), "lead {id}");
    }
    let text = out.routings[&2].to_string();
    assert!(text.contains("skipped U103: opted out"), "{text}");
    let unassigned = out
        .assignments
        .iter()
        .find(|a| a.user_id.is_none())
        .unwrap();
    let text = out.routings[&unassigned.lead].to_string();
    assert!(text.contains("capacity used up (5 of 5)"), "{text}");
    // Same input, same output.
    assert_eq!(assign(&input), out);
}

#[test]
fn round_robin_rotates_and_respects_member_domains_and_owners() {
    let mut stale = lead(4, 10, 0.0, &[1], &[1, 2]);
    stale.user_id = Some(101);
    stale.team_id = Some(1);
    let input = Input {
        teams: vec![team(1, 0, 1)],
        members: vec![member(1, 101, 1, 10, 0), member(2, 102, 1, 2, 0)],
        candidates: vec![
            lead(1, 10, 0.0, &[1], &[1, 2]),
            lead(2, 10, 0.0, &[1], &[1, 2]),
            lead(3, 10, 0.0, &[1], &[1]),
            stale,
            lead(5, 10, 0.0, &[1], &[1, 2]),
        ],
        strategy: Strategy::RoundRobin,
        work_days: 1.0,
        explain: Explain::All,
        ..Input::default()
    };
    let out = assign(&input);
    let got: Vec<(i64, Option<i64>)> = out
        .assignments
        .iter()
        .map(|a| (a.lead, a.user_id))
        .collect();
    assert_eq!(
        got,
        vec![
            (1, Some(101)),
            (2, Some(102)),
            (3, Some(101)),
            (4, Some(102)),
            (5, Some(101))
        ]
    );
    assert_eq!(
        out.usage[&2],
        Usage {
            capacity: 2,
            used: 2
        }
    );
}

proptest! {
    #[test]
    fn routing_invariants(
        strategy in prop_oneof![Just(Strategy::Odoo), Just(Strategy::RoundRobin)],
        work_days in prop_oneof![Just(0.2f64), Just(1.0), Just(2.0), Just(7.0), Just(30.0)],
        teams in proptest::collection::vec((0i64..100, 0i64..5, any::<bool>()), 1..4),
        members in proptest::collection::vec((0usize..4, 0i64..40, 0i64..60, prop::bool::weighted(0.2)), 0..8),
        leads in proptest::collection::vec((0i64..120, 0u8..100, proptest::collection::vec(any::<bool>(), 4), proptest::collection::vec(any::<bool>(), 8)), 0..60),
    ) {
        let teams: Vec<Team> = teams.iter().enumerate().map(|(i, &(min, order, optout))| Team {
            id: i as i64 + 1, name: format!("T{i}"), min_score: min, order, optout,
        }).collect();
        let members: Vec<Member> = members.iter().enumerate().map(|(i, &(t, max, month, optout))| {
            let mut m = member(i as i64 + 1, 100 + i as i64, (t % teams.len()) as i64 + 1, max, month);
            m.optout = optout;
            m
        }).collect();
        let candidates: Vec<Candidate> = leads.iter().enumerate().map(|(i, (score, prob, tm, mm))| {
            let team_matches = teams.iter().filter(|t| tm[(t.id as usize - 1) % 4]).map(|t| t.id).collect::<Vec<_>>();
            let member_matches = members.iter().filter(|m| mm[(m.id as usize - 1) % 8]).map(|m| m.id).collect::<Vec<_>>();
            lead(i as i64 + 1, *score, *prob as f64, &team_matches, &member_matches)
        }).collect();
        let input = Input { teams: teams.clone(), members: members.clone(), candidates: candidates.clone(), strategy, work_days, explain: Explain::All, ..Input::default() };
        let out = assign(&input);
        prop_assert_eq!(&assign(&input), &out);
        // Keeping only the assigned leads' explanations decides exactly the same, and keeps
        // their team and salesperson.
        let lean = assign(&Input { explain: Explain::Assigned, ..input.clone() });
        prop_assert_eq!(&lean.assignments, &out.assignments);
        prop_assert_eq!(&lean.usage, &out.usage);
        prop_assert_eq!(lean.routings.len(), out.assignments.len());
        for a in &lean.assignments {
            let (full, kept) = (&out.routings[&a.lead], &lean.routings[&a.lead]);
            prop_assert_eq!(&full.team, &kept.team);
            prop_assert_eq!(&full.salesperson, &kept.salesperson);
            prop_assert!(kept.skipped_members.is_empty() && kept.skipped_teams.is_empty());
        }
        let mut per_member = std::collections::HashMap::new();
        for a in &out.assignments {
            let c = candidates.iter().find(|c| c.id == a.lead).unwrap();
            let t = teams.iter().find(|t| t.id == a.team_id).unwrap();
            prop_assert!(c.score >= t.min_score, "lead below its team's minimum");
            prop_assert!(!t.optout);
            prop_assert!(c.team_matches.contains(&t.id));
            if let Some(uid) = a.user_id {
                let m = members.iter().find(|m| m.user_id == uid && m.team_id == t.id).unwrap();
                prop_assert!(!m.optout, "opted-out member got a lead");
                prop_assert!(c.member_matches.contains(&m.id), "member domain not respected");
                *per_member.entry(m.id).or_insert(0i64) += 1;
            }
        }
        for m in &members {
            let got = per_member.get(&m.id).copied().unwrap_or(0);
            let cap = match strategy {
                Strategy::Odoo => odoo_quota(m.max, m.month_count, work_days).max(0),
                Strategy::RoundRobin => (m.max - m.month_count).max(0),
            };
            prop_assert!(got <= cap, "member {} over capacity: {} > {}", m.id, got, cap);
            prop_assert_eq!(out.usage.get(&m.id).map_or(0, |u| u.used), got);
        }
    }
}

/// Odoo 19's `_assign_and_convert_leads` on a fixture built from its source
/// (`crm_team_member.py` `_get_assignment_quota`, `crm_team.py` `_get_lead_to_assign_domain`):
/// daily quotas `round_half_up(max / 30) − lead_day_count`, members sorted by quota, leads
/// created in the last 7 days only, a member's preferred leads handed out first, then round
/// robin by probability.
mod odoo19 {
    use super::*;
    use crate::assignment::model::{Quota, Rules};
    use chrono::NaiveDateTime;

    const RULES_19: Rules = Rules {
        quota: Quota::Daily,
        creation_window_days: Some(7),
        preferred_domain: true,
    };

    fn now() -> NaiveDateTime {
        chrono::NaiveDate::from_ymd_opt(2026, 11, 20)
            .unwrap()
            .and_hms_opt(9, 0, 0)
            .unwrap()
    }

    fn m(id: i64, max: i64, day_count: i64, preferred: bool) -> Member {
        Member {
            day_count,
            preferred,
            month_count: 99, // ignored by the daily quota
            ..member(id, 10 + id, 1, max, 0)
        }
    }

    /// A lead of probability `prob` created `age_h` hours before `now`, matching every
    /// member's domain and the preferred domain of `preferred_by`.
    fn l(id: i64, prob: f64, age_h: i64, preferred_by: &[i64]) -> Candidate {
        Candidate {
            member_preferred: preferred_by.to_vec(),
            created: Some(now() - chrono::Duration::hours(age_h)),
            ..lead(id, 50, prob, &[1], &[1, 2, 3, 4, 5])
        }
    }

    fn fixture(rules: Rules) -> Input {
        Input {
            teams: vec![team(1, 0, 1)],
            members: vec![
                m(1, 30, 0, false), // round_half_up(1.0) = 1, none in 24 h → 1
                m(2, 45, 1, false), // round_half_up(1.5) = 2, one in 24 h → 1
                m(3, 90, 0, true),  // 3, prefers leads 1 and 6
                m(4, 75, 3, false), // round_half_up(2.5) = 3 (Python's round: 2), 3 in 24 h → 0
                m(5, 15, 0, false), // round_half_up(0.5) = 1 → 1
            ],
            candidates: vec![
                l(1, 90.0, 48, &[3]),
                l(2, 80.0, 10 * 24, &[]), // 10 days old: not the cron's
                l(3, 70.0, 24, &[]),
                l(4, 60.0, 7 * 24 - 1, &[]), // just inside the window
                l(5, 50.0, 8 * 24, &[]),     // 8 days old
                l(6, 40.0, 72, &[3]),
                l(7, 30.0, 24, &[]),
                l(8, 20.0, 24, &[]),
                l(9, 10.0, 24, &[]),
            ],
            strategy: Strategy::Odoo,
            work_days: 1.0,
            rules,
            now: now(),
            explain: Explain::All,
        }
    }

    fn users(out: &Outcome) -> Vec<(i64, Option<i64>)> {
        out.assignments
            .iter()
            .map(|a| (a.lead, a.user_id))
            .collect()
    }

    #[test]
    fn daily_quota_window_and_preferred_domain() {
        let out = assign(&fixture(RULES_19));
        // Members by quota: 3 (3), then 1, 2, 5 (1 each, membership order); 4 has none left.
        // Preferred first: 1 and 6 → member 3 (user 13). Then round robin over 3, 4, 7, 8, 9:
        // 3 → m1, 4 → m2, 7 → m5, 8 → m3 (its last), 9: nobody left, team only. 2 and 5
        // are older than 7 days: neither team nor salesperson.
        assert_eq!(
            users(&out),
            vec![
                (1, Some(13)),
                (3, Some(11)),
                (4, Some(12)),
                (6, Some(13)),
                (7, Some(15)),
                (8, Some(13)),
                (9, None),
            ]
        );
        assert_eq!(
            out.usage[&3],
            Usage {
                capacity: 3,
                used: 3
            }
        );
        assert_eq!(
            out.usage[&4],
            Usage {
                capacity: 0,
                used: 0
            },
            "3 leads in the last 24 h use its daily 3"
        );
        assert_eq!(
            out.usage[&2],
            Usage {
                capacity: 1,
                used: 1
            }
        );
        assert_eq!(out.routings[&2].team, None);
        assert_eq!(
            out.routings[&5].to_string(),
            "no team: score 50\n  skipped team every team: created more than 7 days ago: \
             Odoo's assignment cron leaves it alone\n"
        );
    }

    #[test]
    fn without_preferred_domains_the_round_robin_takes_leads_by_probability() {
        let out = assign(&fixture(Rules {
            preferred_domain: false,
            ..RULES_19
        }));
        // Odoo 18: 1 → m3, 3 → m1, 4 → m2, 6 → m5, 7 → m3, 8 → m3, 9: none left.
        assert_eq!(
            users(&out),
            vec![
                (1, Some(13)),
                (3, Some(11)),
                (4, Some(12)),
                (6, Some(15)),
                (7, Some(13)),
                (8, Some(13)),
                (9, None),
            ]
        );
    }

    #[test]
    fn odoo_17_rules_give_another_answer() {
        let out = assign(&fixture(Rules::default()));
        // Monthly quota with compensation, any age: the old leads 2 and 5 are routed too.
        assert!(out.assignments.iter().any(|a| a.lead == 2 || a.lead == 5));
        assert_ne!(users(&out), users(&assign(&fixture(RULES_19))));
    }
}

/// 17's quota once per `work_days`: a member whose period already gave 5 leads gets what is
/// left of the quota the period's first run saw. max 30, 15 this month of which 5 in the
/// period, 2 days: the first run saw 10 → base 2, compensation (30 − 12) × 0.2 = 3.6,
/// round(5.6) = 6; 5 given → 1 left. A period that gave 6 or more leaves nothing.
#[test]
fn the_monthly_quota_is_handed_once_per_period() {
    use super::model::Quota;
    let m = Member {
        window_count: 5,
        ..member(1, 11, 1, 30, 15)
    };
    assert_eq!(m.capacity(Strategy::Odoo, 2.0, Quota::Monthly), 1);
    let spent = Member {
        window_count: 6,
        ..member(1, 11, 1, 30, 16)
    };
    assert_eq!(spent.capacity(Strategy::Odoo, 2.0, Quota::Monthly), 0);
    // Nothing given yet in the period: Odoo's own quota.
    assert_eq!(
        member(1, 11, 1, 30, 10).capacity(Strategy::Odoo, 2.0, Quota::Monthly),
        odoo_quota(30, 10, 2.0)
    );
}
