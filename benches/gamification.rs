//! Cost of the pure gamification engine at scale: a refresh of 62 users × 3 lines (prepare
//! and settle), ranking a 10,000-goal line, and karma entries for 100,000 events replayed
//! against what is already booked. Odoo's aggregation time is not in these figures.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;

use chrono::NaiveDate;
use divan::Bencher;
use scorekeeper::gamification::karma::{self, Booked, Event};
use scorekeeper::gamification::ranking::{Order, rank_line};
use scorekeeper::gamification::refresh::{Snapshot, Values, prepare, settle};
use scorekeeper::gamification::{
    Batch, Challenge, Condition, DateField, Definition, Goal, GoalState, Line, Mode, Participant,
    Period,
};

fn main() {
    divan::main();
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()
}

fn snapshot(users: i64) -> Snapshot {
    let mut c = Challenge::new(4, "Lead Acquisition", Period::Monthly);
    c.user_ids = (1..=users).collect();
    let def = |id, condition| Definition {
        id,
        name: format!("d{id}"),
        mode: Mode::Count,
        model: "crm.lead".into(),
        date_field: Some(DateField {
            name: "create_date".into(),
            is_datetime: true,
        }),
        domain: "[]".into(),
        batch: Some(Batch {
            field: "user_id".into(),
            user_expression: "user.id".into(),
        }),
        condition,
    };
    Snapshot {
        challenges: vec![c],
        lines: (1..=3)
            .map(|i| Line {
                id: i,
                challenge_id: 4,
                definition_id: i,
                target: 7.0,
                sequence: i,
            })
            .collect(),
        definitions: [
            def(1, Condition::Higher),
            def(2, Condition::Lower),
            def(3, Condition::Higher),
        ]
        .into_iter()
        .map(|d| (d.id, d))
        .collect(),
        participants: [(4, (1..=users).collect())].into_iter().collect(),
        users: (1..=users)
            .map(|id| {
                (
                    id,
                    Participant {
                        id,
                        name: format!("User {id:03}"),
                        login: format!("u{id}"),
                        partner_id: Some(id),
                        company_id: Some(1),
                    },
                )
            })
            .collect(),
        goals: Vec::new(),
    }
}

#[divan::bench(args = [62, 1_000])]
fn refresh_new_period(bencher: Bencher, users: i64) {
    let snap = snapshot(users);
    bencher.bench(|| {
        let prepared = prepare(&snap, today());
        let values: Values = prepared
            .tasks
            .iter()
            .map(|t| {
                (
                    (t.definition_id, t.bounds),
                    t.users.iter().map(|u| (*u, (*u % 13) as f64)).collect(),
                )
            })
            .collect();
        settle(&snap, &prepared, &values, today())
    });
}

#[divan::bench]
fn rank_10k_goals(bencher: Bencher) {
    let goals: Vec<Goal> = (1..=10_000)
        .map(|id| Goal {
            id,
            definition_id: 1,
            user_id: id,
            line_id: Some(1),
            challenge_id: Some(4),
            start_date: None,
            end_date: None,
            target: (id % 20 + 1) as f64,
            current: (id % 37) as f64,
            state: GoalState::InProgress,
            closed: false,
        })
        .collect();
    bencher.bench(|| rank_line(&goals, Condition::Higher, Order::Fair));
}

#[divan::bench]
fn karma_replay_100k_events(bencher: Bencher) {
    let events: Vec<Event> = (1..=100_000)
        .map(|id| Event {
            rule: "won-deal".into(),
            rule_name: "Won opportunity".into(),
            model: "crm.lead".into(),
            record_id: id,
            record_name: String::new(),
            user_id: id % 62 + 1,
            points: 10,
        })
        .collect();
    // Everything booked already but 1 % reversed since: 1,000 compensations to plan.
    let booked: Vec<Booked> = events
        .iter()
        .map(|e| Booked {
            rule: e.rule.clone(),
            model: e.model.clone(),
            record_id: e.record_id,
            user_id: e.user_id,
            seq: 1,
            gain: 10,
            duplicate: false,
        })
        .collect();
    let now: Vec<Event> = events
        .into_iter()
        .map(|mut e| {
            if e.record_id % 100 == 0 {
                e.points = 0;
            }
            e
        })
        .collect();
    let karma_now: HashMap<i64, i64> = (1..=62).map(|u| (u, 16_000)).collect();
    bencher.bench(|| karma::entries(&now, &booked, &karma_now).unwrap());
}
