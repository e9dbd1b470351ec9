//! What Odoo does by itself when a run's writes land, predicted from the same snapshot the
//! plan was made from, so `plan` shows it and `run` can check it happened (Odoo 17's
//! `gamification_challenge.py` `write`, `gamification_goal.py` `write`):
//!
//! * writing `state = 'inprogress'` on a challenge (starting it) makes Odoo re-select its
//!   participants from `user_domain`, **delete every goal of the challenge** of users who have
//!   a goal of the current period but are no longer participants, and **generate and compute
//!   a goal** for each line and participant without one of the current period. The run
//!   creates those goals itself, before it writes the state, so Odoo generates none; the
//!   prediction says so, and a run that sees Odoo generate some says that too;
//! * writing a non-zero `current` on a goal of a challenge whose report frequency is "On
//!   change" makes Odoo post a progress report to that goal's user (Odoo's own cron does the
//!   same when it updates a goal; creates never report).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use chrono::NaiveDate;

use super::period::challenge_bounds;
use super::refresh::{Settled, Snapshot};

/// One effect Odoo will have on its own.
#[derive(Clone, Debug, PartialEq)]
pub enum SideEffect {
    /// Starting `challenge` makes Odoo generate `generated` goals (0 when the run creates
    /// them first) and delete `removed` goals of users no longer selected.
    Start {
        challenge: i64,
        name: String,
        generated: usize,
        removed: Vec<i64>,
        removed_users: Vec<i64>,
    },
    /// Goal writes of `challenge` make Odoo post a progress report to each of `users`.
    ProgressReports {
        challenge: i64,
        name: String,
        users: Vec<i64>,
    },
}

impl fmt::Display for SideEffect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SideEffect::Start {
                challenge,
                name,
                generated,
                removed,
                removed_users,
            } => {
                write!(
                    f,
                    "starting challenge {challenge} '{name}': Odoo generates {generated} goal(s) \
                     (the goals of its participants are created first)"
                )?;
                if !removed.is_empty() {
                    write!(
                        f,
                        ", and deletes {} goal(s) of {} user(s) its user_domain no longer selects",
                        removed.len(),
                        removed_users.len()
                    )?;
                }
                Ok(())
            }
            SideEffect::ProgressReports {
                challenge,
                name,
                users,
            } => write!(
                f,
                "challenge {challenge} '{name}' reports on change: Odoo posts a progress report \
                 to {} user(s) whose goal value is written",
                users.len()
            ),
        }
    }
}

/// The effects of starting `started` and of `settled`'s goal writes. `on_change` holds the
/// challenges whose report frequency is "On change".
pub(crate) fn predict(
    snap: &Snapshot,
    started: &[i64],
    on_change: &BTreeSet<i64>,
    settled: &Settled,
    today: NaiveDate,
) -> Vec<SideEffect> {
    let mut out = Vec::new();
    for challenge in snap.challenges.iter().filter(|c| started.contains(&c.id)) {
        let bounds = challenge_bounds(challenge, today);
        let participants: BTreeSet<i64> = snap
            .participants
            .get(&challenge.id)
            .map(|p| p.iter().copied().collect())
            .unwrap_or_default();
        let of_challenge = || {
            snap.goals
                .iter()
                .filter(move |g| g.challenge_id == Some(challenge.id))
        };
        // Users with a goal of the current period on one of its lines (Odoo's query per line).
        let in_period: BTreeSet<i64> = of_challenge()
            .filter(|g| {
                (bounds.start.is_none() || g.start_date == bounds.start)
                    && (bounds.end.is_none() || g.end_date == bounds.end)
            })
            .map(|g| g.user_id)
            .collect();
        let removed_users: Vec<i64> = in_period.difference(&participants).copied().collect();
        let removed: Vec<i64> = of_challenge()
            .filter(|g| removed_users.contains(&g.user_id))
            .map(|g| g.id)
            .collect();
        // What Odoo would still find missing after the run's own creates.
        let lines = snap.lines_of(challenge.id);
        let generated = lines
            .iter()
            .map(|line| {
                participants
                    .iter()
                    .filter(|&&user| {
                        let has = |line_id: Option<i64>, u: i64, s, e| {
                            line_id == Some(line.id)
                                && u == user
                                && (bounds.start.is_none() || s == bounds.start)
                                && (bounds.end.is_none() || e == bounds.end)
                        };
                        !of_challenge().any(|g| has(g.line_id, g.user_id, g.start_date, g.end_date))
                            && !settled.creates.iter().any(|n| {
                                has(Some(n.line_id), n.user_id, n.bounds.start, n.bounds.end)
                            })
                    })
                    .count()
            })
            .sum();
        out.push(SideEffect::Start {
            challenge: challenge.id,
            name: challenge.name.clone(),
            generated,
            removed,
            removed_users,
        });
    }
    let challenge_of: BTreeMap<i64, i64> = snap
        .goals
        .iter()
        .filter_map(|g| Some((g.id, g.challenge_id?)))
        .collect();
    let mut reports: BTreeMap<i64, BTreeSet<i64>> = BTreeMap::new();
    for w in &settled.writes {
        // Odoo tests `vals.get('current')`: a value written as 0 does not report.
        if w.new.current == w.old.current || w.new.current == 0.0 {
            continue;
        }
        let Some(&challenge) = challenge_of.get(&w.goal_id) else {
            continue;
        };
        if !on_change.contains(&challenge) {
            continue;
        }
        if let Some(goal) = snap.goals.iter().find(|g| g.id == w.goal_id) {
            reports.entry(challenge).or_default().insert(goal.user_id);
        }
    }
    for (challenge, users) in reports {
        let name = snap
            .challenges
            .iter()
            .find(|c| c.id == challenge)
            .map(|c| c.name.clone())
            .unwrap_or_default();
        out.push(SideEffect::ProgressReports {
            challenge,
            name,
            users: users.into_iter().collect(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gamification::goal::GoalValues;
    use crate::gamification::model::{Challenge, Goal, GoalState, Line};
    use crate::gamification::period::Bounds;
    use crate::gamification::refresh::{GoalWrite, NewGoal};

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn goal(id: i64, user: i64, line: i64, start: &str) -> Goal {
        let start = d(start);
        let end = if start.to_string() == "2026-11-01" {
            d("2026-11-30")
        } else {
            d("2026-10-31")
        };
        Goal {
            id,
            definition_id: 1,
            user_id: user,
            line_id: Some(line),
            challenge_id: Some(4),
            start_date: Some(start),
            end_date: Some(end),
            target: 5.0,
            current: 1.0,
            state: GoalState::InProgress,
            closed: false,
        }
    }

    fn snapshot() -> Snapshot {
        let challenge = Challenge::new(4, "Q4", crate::gamification::model::Period::Monthly);
        Snapshot {
            challenges: vec![challenge],
            lines: vec![Line {
                id: 10,
                challenge_id: 4,
                definition_id: 1,
                target: 5.0,
                sequence: 1,
            }],
            participants: [(4, vec![1, 2, 3])].into(),
            // User 1 has this month's goal; user 9 (no longer selected) has this month's and
            // last month's; user 8 only last month's (Odoo keeps it: no goal this period).
            goals: vec![
                goal(100, 1, 10, "2026-11-01"),
                goal(101, 9, 10, "2026-11-01"),
                goal(102, 9, 10, "2026-10-01"),
                goal(103, 8, 10, "2026-10-01"),
            ],
            ..Snapshot::default()
        }
    }

    fn new_goal(user: i64) -> NewGoal {
        NewGoal {
            challenge_id: 4,
            line_id: 10,
            definition_id: 1,
            user_id: user,
            bounds: Bounds {
                start: Some(d("2026-11-01")),
                end: Some(d("2026-11-30")),
            },
            target: 5.0,
            values: GoalValues {
                current: 0.0,
                state: GoalState::InProgress,
                closed: false,
            },
        }
    }

    #[test]
    fn a_start_after_the_runs_own_creates_generates_nothing_and_removes_dropped_users_goals() {
        let snap = snapshot();
        let settled = Settled {
            creates: vec![new_goal(2), new_goal(3)],
            ..Settled::default()
        };
        let effects = predict(&snap, &[4], &BTreeSet::new(), &settled, d("2026-11-20"));
        assert_eq!(
            effects,
            vec![SideEffect::Start {
                challenge: 4,
                name: "Q4".into(),
                generated: 0,
                removed: vec![101, 102],
                removed_users: vec![9],
            }]
        );
        // Without the run's creates, Odoo generates the two missing goals itself.
        let effects = predict(
            &snap,
            &[4],
            &BTreeSet::new(),
            &Settled::default(),
            d("2026-11-20"),
        );
        assert!(matches!(effects[0], SideEffect::Start { generated: 2, .. }));
        // A challenge not being started has no start effect.
        assert!(predict(&snap, &[], &BTreeSet::new(), &settled, d("2026-11-20")).is_empty());
    }

    #[test]
    fn goal_writes_of_an_on_change_challenge_report_to_each_user_once_but_not_for_zero() {
        let snap = snapshot();
        let values = |current| GoalValues {
            current,
            state: GoalState::InProgress,
            closed: false,
        };
        let settled = Settled {
            writes: vec![
                GoalWrite {
                    goal_id: 100,
                    old: values(1.0),
                    new: values(2.0),
                },
                GoalWrite {
                    goal_id: 101,
                    old: values(1.0),
                    new: values(0.0),
                },
            ],
            ..Settled::default()
        };
        let on_change: BTreeSet<i64> = [4].into();
        let effects = predict(&snap, &[], &on_change, &settled, d("2026-11-20"));
        assert_eq!(
            effects,
            vec![SideEffect::ProgressReports {
                challenge: 4,
                name: "Q4".into(),
                users: vec![1],
            }]
        );
        assert!(predict(&snap, &[], &BTreeSet::new(), &settled, d("2026-11-20")).is_empty());
    }
}
