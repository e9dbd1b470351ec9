//! Scenario tests of the whole pure engine: a monthly challenge computed on its last day and
//! closed across the month end with a manual clock.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;

use super::compute::Task;
use super::model::*;
use super::period::Bounds;
use super::refresh::{Snapshot, Values, prepare, settle};
use super::rewards::{Badge, DuePeriod, RewardInput, Rewards, due_periods, rewards};
use crate::plan::IdemKey;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn month(s: &str, e: &str) -> Bounds {
    Bounds {
        start: Some(d(s)),
        end: Some(d(e)),
    }
}

fn user(id: i64, name: &str) -> Participant {
    Participant {
        id,
        name: name.into(),
        login: name.to_lowercase(),
        partner_id: Some(id + 100),
        company_id: Some(1),
    }
}

fn def(id: i64, name: &str, mode: Mode, condition: Condition) -> Definition {
    Definition {
        id,
        name: name.into(),
        mode,
        model: "crm.lead".into(),
        date_field: Some(DateField {
            name: "date_closed".into(),
            is_datetime: true,
        }),
        domain: "[]".into(),
        batch: Some(Batch {
            field: "user_id".into(),
            user_expression: "user.id".into(),
        }),
        condition,
    }
}

fn snapshot() -> Snapshot {
    let mut c = Challenge::new(1, "Closers", Period::Monthly);
    c.user_ids = vec![1, 2, 3];
    c.reward_id = Some(100);
    c.reward_realtime = false;
    c.reward_first_id = Some(101);
    c.reward_second_id = Some(102);
    c.reward_third_id = Some(103);
    let definitions = [
        def(1, "Deals", Mode::Count, Condition::Higher),
        def(
            2,
            "Days",
            Mode::Sum {
                field: "day_close".into(),
            },
            Condition::Lower,
        ),
    ];
    Snapshot {
        challenges: vec![c],
        lines: vec![
            Line {
                id: 10,
                challenge_id: 1,
                definition_id: 1,
                target: 3.0,
                sequence: 1,
            },
            Line {
                id: 11,
                challenge_id: 1,
                definition_id: 2,
                target: 10.0,
                sequence: 2,
            },
        ],
        definitions: definitions.into_iter().map(|d| (d.id, d)).collect(),
        participants: [(1, vec![1, 2, 3])].into_iter().collect(),
        users: [user(1, "Alice"), user(2, "Bob"), user(3, "Carol")]
            .into_iter()
            .map(|u| (u.id, u))
            .collect(),
        goals: Vec::new(),
    }
}

type PerUser<'a> = &'a [(i64, f64)];

fn values(entries: &[(i64, Bounds, PerUser<'_>)]) -> Values {
    entries
        .iter()
        .map(|(def, b, vals)| {
            (
                (*def, *b),
                vals.iter().copied().collect::<HashMap<i64, f64>>(),
            )
        })
        .collect()
}

/// Persists settled goals as Odoo would after apply: new goals get ids in creation order.
fn persist(goals: Vec<Goal>, next_id: &mut i64) -> Vec<Goal> {
    goals
        .into_iter()
        .map(|mut g| {
            if g.id == 0 {
                g.id = *next_id;
                *next_id += 1;
            }
            g
        })
        .collect()
}

fn reward_pass(
    snap: &Snapshot,
    goals: &[Goal],
    today: NaiveDate,
    granted: &HashSet<IdemKey>,
) -> Vec<(Bounds, Rewards)> {
    let c = &snap.challenges[0];
    let conditions: HashMap<i64, Condition> = snap
        .definitions
        .values()
        .map(|d| (d.id, d.condition))
        .collect();
    let participants: Vec<Participant> = snap.users.values().cloned().collect();
    let badges: HashMap<i64, Badge> = [
        (100, "Closer"),
        (101, "Gold"),
        (102, "Silver"),
        (103, "Bronze"),
    ]
    .into_iter()
    .map(|(id, n)| {
        (
            id,
            Badge {
                id,
                name: n.into(),
                monthly_limit: None,
            },
        )
    })
    .collect();
    let held = HashMap::new();
    let sent = HashMap::new();
    due_periods(c, goals, today)
        .into_iter()
        .map(|DuePeriod { bounds, closing }| {
            let input = RewardInput {
                challenge: c,
                lines: 2,
                conditions: &conditions,
                bounds,
                closing,
                goals,
                participants: &participants,
                granted_keys: granted,
                held: &held,
                badges: &badges,
                sent_this_month: &sent,
            };
            (bounds, rewards(&input).unwrap())
        })
        .collect()
}

fn state_of(goals: &[Goal], user: i64, line: i64, b: Bounds) -> (f64, GoalState, bool) {
    let g = goals
        .iter()
        .find(|g| g.user_id == user && g.line_id == Some(line) && g.start_date == b.start)
        .unwrap();
    (g.current, g.state, g.closed)
}

// Long on purpose: one scenario (a month end walked through day by day) reads best whole.
#[test]
fn period_close_across_a_month_end_with_a_manual_clock() {
    let nov = month("2026-11-01", "2026-11-30");
    let dec = month("2026-12-01", "2026-12-31");
    let mut snap = snapshot();
    let mut next_id = 1;

    // Last day of November: goals are generated and computed.
    let today = d("2026-11-30");
    let prepared = prepare(&snap, today);
    assert_eq!(
        prepared.tasks,
        [
            Task {
                definition_id: 1,
                bounds: nov,
                users: vec![1, 2, 3]
            },
            Task {
                definition_id: 2,
                bounds: nov,
                users: vec![1, 2, 3]
            },
        ]
    );
    assert_eq!(prepared.new_goals.len(), 6);
    let v = values(&[
        (1, nov, &[(1, 5.0), (2, 3.0), (3, 1.0)]),
        (2, nov, &[(1, 4.0), (2, 10.0), (3, 2.0)]),
    ]);
    let settled = settle(&snap, &prepared, &v, today);
    assert!(settled.writes.is_empty());
    snap.goals = persist(settled.goals, &mut next_id);
    assert_eq!(
        state_of(&snap.goals, 1, 10, nov),
        (5.0, GoalState::Reached, false)
    );
    assert_eq!(
        state_of(&snap.goals, 2, 11, nov),
        (10.0, GoalState::Reached, false)
    );
    assert_eq!(
        state_of(&snap.goals, 3, 10, nov),
        (1.0, GoalState::InProgress, false)
    );
    // Not over yet: end-of-period rewards wait.
    let passes = reward_pass(&snap, &snap.goals, today, &HashSet::new());
    assert!(
        passes.iter().all(|(_, r)| r.grants.is_empty()),
        "{passes:?}"
    );

    // December 1st: November closes, December's goals appear.
    let today = d("2026-12-01");
    let prepared = prepare(&snap, today);
    let tasks: Vec<(i64, Bounds, Vec<i64>)> = prepared
        .tasks
        .iter()
        .map(|t| (t.definition_id, t.bounds, t.users.clone()))
        .collect();
    assert_eq!(
        tasks,
        [
            (1, nov, vec![3]),
            (1, dec, vec![1, 2, 3]),
            (2, dec, vec![1, 2, 3]),
        ],
        "reached goals of an ended period are final; Carol's open one is computed once more"
    );
    let v = values(&[
        (1, nov, &[(3, 2.0)]),
        (1, dec, &[(1, 0.0), (2, 0.0), (3, 0.0)]),
        (2, dec, &[(1, 0.0), (2, 0.0), (3, 0.0)]),
    ]);
    let settled = settle(&snap, &prepared, &v, today);
    assert_eq!(settled.writes.len(), 1);
    assert_eq!(
        settled.writes[0].new,
        super::goal::GoalValues {
            current: 2.0,
            state: GoalState::Failed,
            closed: true
        }
    );
    assert_eq!(settled.creates.len(), 6);
    snap.goals = persist(settled.goals, &mut next_id);
    assert_eq!(
        state_of(&snap.goals, 3, 10, nov),
        (2.0, GoalState::Failed, true)
    );
    assert_eq!(
        state_of(&snap.goals, 1, 10, dec),
        (0.0, GoalState::InProgress, false)
    );
    assert_eq!(
        state_of(&snap.goals, 1, 11, dec),
        (0.0, GoalState::Reached, false),
        "0 days <= 10: lower is better"
    );

    let passes = reward_pass(&snap, &snap.goals, today, &HashSet::new());
    let (bounds, nov_rewards) = passes.iter().find(|(b, _)| *b == nov).unwrap();
    assert_eq!(*bounds, nov);
    let grants: Vec<(i64, i64, &str)> = nov_rewards
        .grants
        .iter()
        .map(|g| (g.user_id, g.badge_id, g.key.as_str()))
        .collect();
    assert_eq!(
        grants,
        [
            (
                1,
                100,
                "badge:challenge=1:user=1:badge=100:period=2026-11-01..2026-11-30"
            ),
            (
                2,
                100,
                "badge:challenge=1:user=2:badge=100:period=2026-11-01..2026-11-30"
            ),
            // Alice 5/3 = 166.67 % + 100 beats Bob 100 % + 100 (lower reached); Carol failed a
            // goal and reward_failure is off: no third place.
            (
                1,
                101,
                "badge:challenge=1:rank=1:period=2026-11-01..2026-11-30"
            ),
            (
                2,
                102,
                "badge:challenge=1:rank=2:period=2026-11-01..2026-11-30"
            ),
        ]
    );
    let dec_rewards = &passes.iter().find(|(b, _)| *b == dec).unwrap().1;
    assert!(dec_rewards.grants.is_empty());

    // Next run the same day: the grants exist, nothing more to grant or write.
    let granted: HashSet<IdemKey> = nov_rewards.grants.iter().map(|g| g.key.clone()).collect();
    let again = reward_pass(&snap, &snap.goals, today, &granted);
    assert!(again.iter().all(|(_, r)| r.grants.is_empty()));
    let prepared = prepare(&snap, today);
    assert!(prepared.new_goals.is_empty());
    let v = values(&[
        (1, dec, &[(1, 0.0), (2, 0.0), (3, 0.0)]),
        (2, dec, &[(1, 0.0), (2, 0.0), (3, 0.0)]),
    ]);
    assert!(settle(&snap, &prepared, &v, today).writes.is_empty());
}

/// Odoo's closing run looks for goals of the closing day's period (December), finds none
/// and gives nobody `reward_id`. We reward November's winners.
#[test]
fn closing_day_evaluates_the_wrong_period_bug() {
    let nov = month("2026-11-01", "2026-11-30");
    let mut snap = snapshot();
    let mut next_id = 1;
    let prepared = prepare(&snap, d("2026-11-30"));
    let v = values(&[
        (1, nov, &[(1, 3.0), (2, 3.0), (3, 3.0)]),
        (2, nov, &[(1, 1.0), (2, 1.0), (3, 1.0)]),
    ]);
    snap.goals = persist(
        settle(&snap, &prepared, &v, d("2026-11-30")).goals,
        &mut next_id,
    );
    let passes = reward_pass(&snap, &snap.goals, d("2026-12-01"), &HashSet::new());
    let closed: Vec<&Rewards> = passes
        .iter()
        .filter(|(b, _)| *b == nov)
        .map(|(_, r)| r)
        .collect();
    let winners: Vec<i64> = closed[0]
        .grants
        .iter()
        .filter(|g| g.badge_id == 100)
        .map(|g| g.user_id)
        .collect();
    assert_eq!(winners, [1, 2, 3]);
}

/// A participant without goals of the period counts, in Odoo, as "all reached with 0 %" and
/// can take a top-3 badge from people who worked for it (with `reward_failure`, ties by
/// name put "Aaron" first). We rank only users with goals of the period. Equal totals keep
/// `res.users` order.
#[test]
fn top3_going_to_the_first_users_by_name_bug() {
    let nov = month("2026-11-01", "2026-11-30");
    let mut snap = snapshot();
    snap.challenges[0].reward_failure = true;
    let mut next_id = 1;
    let prepared = prepare(&snap, d("2026-11-30"));
    // Carol and Bob tie exactly (same values): Bob comes first by name.
    let v = values(&[
        (1, nov, &[(1, 1.0), (2, 2.0), (3, 2.0)]),
        (2, nov, &[(1, 50.0), (2, 50.0), (3, 50.0)]),
    ]);
    snap.goals = persist(
        settle(&snap, &prepared, &v, d("2026-11-30")).goals,
        &mut next_id,
    );
    snap.users.insert(9, user(9, "Aaron"));
    let passes = reward_pass(&snap, &snap.goals, d("2026-12-01"), &HashSet::new());
    let nov_rewards = &passes.iter().find(|(b, _)| *b == nov).unwrap().1;
    let podium: Vec<(i64, i64)> = nov_rewards
        .grants
        .iter()
        .map(|g| (g.badge_id, g.user_id))
        .collect();
    assert_eq!(podium, [(101, 2), (102, 3), (103, 1)]);
}

/// Odoo's cron recomputes only goals of users seen in the web client within 7 days; API-only
/// salespeople keep stale goals. We compute every participant's goals.
#[test]
fn absent_users_skipped_bug() {
    let nov = month("2026-11-01", "2026-11-30");
    let mut snap = snapshot();
    snap.goals = (1..=3)
        .map(|u| Goal {
            id: u,
            definition_id: 1,
            user_id: u,
            line_id: Some(10),
            challenge_id: Some(1),
            start_date: nov.start,
            end_date: nov.end,
            target: 3.0,
            current: 0.0,
            state: GoalState::InProgress,
            closed: false,
        })
        .collect();
    let prepared = prepare(&snap, d("2026-11-20"));
    let task = prepared
        .tasks
        .iter()
        .find(|t| t.definition_id == 1)
        .unwrap();
    assert_eq!(task.users, [1, 2, 3]);
}

#[test]
fn realtime_reward_is_granted_once_per_user_per_challenge() {
    let nov = month("2026-11-01", "2026-11-30");
    let mut snap = snapshot();
    snap.challenges[0].reward_realtime = true;
    snap.challenges[0].reward_first_id = None;
    let mut next_id = 1;
    let prepared = prepare(&snap, d("2026-11-10"));
    let v = values(&[
        (1, nov, &[(1, 3.0), (2, 0.0), (3, 0.0)]),
        (2, nov, &[(1, 1.0), (2, 1.0), (3, 1.0)]),
    ]);
    snap.goals = persist(
        settle(&snap, &prepared, &v, d("2026-11-10")).goals,
        &mut next_id,
    );
    let passes = reward_pass(&snap, &snap.goals, d("2026-11-10"), &HashSet::new());
    let grants: Vec<&str> = passes
        .iter()
        .flat_map(|(_, r)| r.grants.iter().map(|g| g.key.as_str()))
        .collect();
    assert_eq!(grants, ["badge:challenge=1:user=1:badge=100"]);
}

#[test]
fn monthly_badge_limits_withhold_grants_beyond_the_limit() {
    let nov = month("2026-11-01", "2026-11-30");
    let mut snap = snapshot();
    snap.challenges[0].reward_first_id = None;
    let mut next_id = 1;
    let prepared = prepare(&snap, d("2026-11-30"));
    let v = values(&[
        (1, nov, &[(1, 3.0), (2, 3.0), (3, 3.0)]),
        (2, nov, &[(1, 1.0), (2, 1.0), (3, 1.0)]),
    ]);
    snap.goals = persist(
        settle(&snap, &prepared, &v, d("2026-11-30")).goals,
        &mut next_id,
    );
    let c = &snap.challenges[0];
    let conditions: HashMap<i64, Condition> = snap
        .definitions
        .values()
        .map(|d| (d.id, d.condition))
        .collect();
    let participants: Vec<Participant> = snap.users.values().cloned().collect();
    let badges: HashMap<i64, Badge> = [(
        100,
        Badge {
            id: 100,
            name: "Closer".into(),
            monthly_limit: Some(2),
        },
    )]
    .into_iter()
    .collect();
    let sent: HashMap<i64, u32> = [(100, 1)].into_iter().collect();
    let input = RewardInput {
        challenge: c,
        lines: 2,
        conditions: &conditions,
        bounds: nov,
        closing: true,
        goals: &snap.goals,
        participants: &participants,
        granted_keys: &HashSet::new(),
        held: &HashMap::new(),
        badges: &badges,
        sent_this_month: &sent,
    };
    let r = rewards(&input).unwrap();
    assert_eq!(r.grants.iter().map(|g| g.user_id).collect::<Vec<_>>(), [1]);
    assert_eq!(r.withheld.len(), 2);
    assert!(
        r.withheld[0]
            .reason
            .contains("may be sent 2 times a month and was already sent 2 times"),
        "{}",
        r.withheld[0].reason
    );
}

#[test]
fn python_definitions_are_reported_once_and_their_goals_still_created() {
    let mut snap = snapshot();
    if let Some(d) = snap.definitions.get_mut(&2) {
        d.mode = Mode::Python;
    }
    let prepared = prepare(&snap, d("2026-11-10"));
    assert_eq!(prepared.unsupported.len(), 1);
    assert_eq!(
        prepared.unsupported[0].to_string(),
        "goal definition 2 'Days': computation mode 'python' is not supported (Odoo runs arbitrary code for it); its goals are left as they are"
    );
    assert_eq!(prepared.tasks.len(), 1, "only 'Deals' is computed");
    assert_eq!(prepared.new_goals.len(), 6);
    let days: Vec<f64> = prepared
        .new_goals
        .iter()
        .filter(|g| g.definition_id == 2)
        .map(|g| g.values.current)
        .collect();
    assert_eq!(
        days,
        [11.0, 11.0, 11.0],
        "Odoo's initial value for lower-is-better target 10"
    );
}

/// A user removed from the participants keeps their goals; the open one is still computed
/// until its period ends, and no goal is created for them in a new period.
#[test]
fn a_dropped_participant_keeps_their_goals() {
    let nov = month("2026-11-01", "2026-11-30");
    let mut snap = snapshot();
    let mut next_id = 1;
    let prepared = prepare(&snap, d("2026-11-10"));
    let v = values(&[
        (1, nov, &[(1, 1.0), (2, 1.0), (3, 1.0)]),
        (2, nov, &[(1, 20.0), (2, 20.0), (3, 20.0)]),
    ]);
    snap.goals = persist(
        settle(&snap, &prepared, &v, d("2026-11-10")).goals,
        &mut next_id,
    );
    snap.participants.insert(1, vec![1, 2]);
    let prepared = prepare(&snap, d("2026-11-20"));
    assert!(prepared.new_goals.is_empty());
    assert_eq!(prepared.tasks[0].users, [1, 2, 3]);
    let prepared = prepare(&snap, d("2026-12-01"));
    assert!(prepared.new_goals.iter().all(|g| g.user_id != 3));
    assert_eq!(snap.goals.iter().filter(|g| g.user_id == 3).count(), 2);
}

/// Rewards added to a running challenge are not granted for periods older than the one
/// that just ended.
#[test]
fn no_retroactive_rewards_for_older_periods() {
    let oct = month("2026-10-01", "2026-10-31");
    let nov = month("2026-11-01", "2026-11-30");
    let dec = month("2026-12-01", "2026-12-31");
    let mut snap = snapshot();
    let mut next_id = 1;
    let prepared = prepare(&snap, d("2026-10-31"));
    let v = values(&[
        (1, oct, &[(1, 5.0), (2, 5.0), (3, 5.0)]),
        (2, oct, &[(1, 1.0), (2, 1.0), (3, 1.0)]),
    ]);
    snap.goals = persist(
        settle(&snap, &prepared, &v, d("2026-10-31")).goals,
        &mut next_id,
    );
    let prepared = prepare(&snap, d("2026-11-30"));
    let v = values(&[
        (1, nov, &[(1, 5.0), (2, 5.0), (3, 5.0)]),
        (2, nov, &[(1, 1.0), (2, 1.0), (3, 1.0)]),
    ]);
    snap.goals = persist(
        settle(&snap, &prepared, &v, d("2026-11-30")).goals,
        &mut next_id,
    );
    let periods: Vec<(Bounds, bool)> =
        due_periods(&snap.challenges[0], &snap.goals, d("2026-12-02"))
            .into_iter()
            .map(|p| (p.bounds, p.closing))
            .collect();
    assert_eq!(periods, [(dec, false), (nov, true)]);
}
