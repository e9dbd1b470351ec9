//! The gamification plan, a pure function: from what a refresh read from Odoo and what the
//! engines decided (goals settled, badges granted) to the [`Plan`] apply executes. No client,
//! no I/O: everything here is unit-tested without Odoo or the simulator.
//!
//! The order of the changes is the order apply sees them in: challenges started, duplicate
//! goals deleted, goals created, goals written, duplicate grants deleted, grants created.
//! [`stage`] then splits off the starts, which `run` applies last (a real Odoo generates a
//! started challenge's missing goals on the state write; creating them first leaves it none).

use std::collections::HashMap;

use chrono::NaiveDate;

use crate::gamification::duplicates::DuplicateGoal;
use crate::gamification::model::Participant;
use crate::gamification::refresh::Settled;
use crate::gamification::rewards::Grant;
use crate::plan::{Change, FieldChange, InvalidKey, Plan};
use crate::record::Value;

use super::grants::DuplicateGrant;
use super::keys::KeyFields;
use super::writer::goal_key;

pub(crate) const CHALLENGE: &str = "gamification.challenge";
pub(crate) const GOAL: &str = "gamification.goal";
pub(crate) const GRANT: &str = "gamification.badge.user";

/// What the plan is made from: the parts of the read snapshot it needs and the engines'
/// decisions.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PlanInput<'a> {
    /// Drafts this run starts.
    pub started: &'a [i64],
    /// Goals an older goal of the same line, user and period already holds.
    pub duplicate_goals: &'a [DuplicateGoal],
    /// Participants by id, for the reasons of new goals.
    pub users: &'a HashMap<i64, Participant>,
    /// The refresh's goal creates and writes.
    pub settled: &'a Settled,
    /// Grants whose key an older grant carries.
    pub duplicate_grants: &'a [DuplicateGrant],
    /// Badge grants the rewards engine decided.
    pub grants: &'a [Grant],
    /// Where this database keeps the keys of grants.
    pub key_fields: &'a KeyFields,
}

/// The refresh's changes, in apply order.
pub(crate) fn plan(input: &PlanInput<'_>) -> Result<Plan, InvalidKey> {
    let mut plan = Plan::new("gamification");
    for id in input.started {
        plan.push_write(
            CHALLENGE,
            *id,
            vec![FieldChange::new(
                "state",
                Value::Str("draft".into()),
                Value::Str("inprogress".into()),
            )],
            "start the challenge (its start date has come, or asked to)",
        );
    }
    for d in input.duplicate_goals {
        push_duplicate_goal(&mut plan, d);
    }
    push_goals(&mut plan, input.settled, input.users)?;
    for d in input.duplicate_grants {
        plan.push_unlink(
            GRANT,
            d.id,
            d.values.clone(),
            format!("duplicate of badge grant {} [{}]", d.kept, d.key),
        );
    }
    for g in input.grants {
        let mut values = vec![
            ("user_id".to_string(), Value::Many2one(g.user_id)),
            ("badge_id".to_string(), Value::Many2one(g.badge_id)),
            ("challenge_id".to_string(), Value::Many2one(g.challenge_id)),
            ("comment".to_string(), Value::Str(g.reason.clone())),
        ];
        input.key_fields.put(GRANT, &mut values, &g.key);
        plan.push_create(GRANT, values, g.key.clone(), g.reason.clone());
    }
    Ok(plan)
}

fn date(d: Option<NaiveDate>) -> Value {
    d.map_or(Value::Null, |d| Value::Str(d.to_string()))
}

/// A duplicate goal's deletion, journaled with every value it holds (undo creates it again).
fn push_duplicate_goal(plan: &mut Plan, d: &DuplicateGoal) {
    let g = &d.goal;
    // A goal without a line is never a duplicate (`split_goals` keeps it): the line is shown
    // as 0 only if that changes.
    let line = g.line_id.unwrap_or(0);
    // An open end of the period is shown empty, as `Bounds::label` does.
    let show = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    plan.push_unlink(
        GOAL,
        g.id,
        vec![
            (
                "definition_id".to_string(),
                Value::Many2one(g.definition_id),
            ),
            ("user_id".to_string(), Value::Many2one(g.user_id)),
            (
                "line_id".to_string(),
                g.line_id.map_or(Value::Null, Value::Many2one),
            ),
            ("start_date".to_string(), date(g.start_date)),
            ("end_date".to_string(), date(g.end_date)),
            ("target_goal".to_string(), Value::Float(g.target)),
            ("current".to_string(), Value::Float(g.current)),
            ("state".to_string(), Value::Str(g.state.as_str().into())),
            ("closed".to_string(), Value::Bool(g.closed)),
        ],
        format!(
            "duplicate of goal {} (line {line}, user {}, {}..{})",
            d.kept,
            g.user_id,
            show(g.start_date),
            show(g.end_date)
        ),
    );
}

/// The settled refresh: missing goals created (keyed by line, user and period), changed goals
/// written (a write whose values did not change plans nothing).
fn push_goals(
    plan: &mut Plan,
    settled: &Settled,
    users: &HashMap<i64, Participant>,
) -> Result<(), InvalidKey> {
    for new in &settled.creates {
        let key = goal_key(new.line_id, new.user_id, &new.bounds.label())?;
        let mut values = vec![
            (
                "definition_id".to_string(),
                Value::Many2one(new.definition_id),
            ),
            ("user_id".to_string(), Value::Many2one(new.user_id)),
            ("line_id".to_string(), Value::Many2one(new.line_id)),
            ("start_date".to_string(), date(new.bounds.start)),
            ("end_date".to_string(), date(new.bounds.end)),
            ("target_goal".to_string(), Value::Float(new.target)),
            ("current".to_string(), Value::Float(new.values.current)),
            (
                "state".to_string(),
                Value::Str(new.values.state.as_str().into()),
            ),
        ];
        if new.values.closed {
            values.push(("closed".to_string(), Value::Bool(true)));
        }
        let who = users
            .get(&new.user_id)
            .map_or_else(|| format!("user {}", new.user_id), |u| u.name.clone());
        plan.push_create(
            GOAL,
            values,
            key,
            format!(
                "new goal of {who} for {} (line {})",
                new.bounds.label(),
                new.line_id
            ),
        );
    }
    for w in &settled.writes {
        plan.push_write(
            GOAL,
            w.goal_id,
            vec![
                FieldChange::new(
                    "current",
                    Value::Float(w.old.current),
                    Value::Float(w.new.current),
                ),
                FieldChange::new(
                    "state",
                    Value::Str(w.old.state.as_str().into()),
                    Value::Str(w.new.state.as_str().into()),
                ),
                FieldChange::new(
                    "closed",
                    Value::Bool(w.old.closed),
                    Value::Bool(w.new.closed),
                ),
            ],
            format!("goal value {} → {}", w.old.current, w.new.current),
        );
    }
    Ok(())
}

/// A plan in the two steps `run` applies: everything but the starts of `started` drafts,
/// then the starts.
#[derive(Clone, Debug)]
pub(crate) struct Staged {
    pub refresh: Plan,
    pub starts: Plan,
}

/// Splits the starts of `started` off `plan`.
pub(crate) fn stage(plan: &Plan, started: &[i64]) -> Staged {
    let is_start = |c: &Change| matches!(c, Change::Write { model, id, .. } if model == CHALLENGE && started.contains(id));
    Staged {
        refresh: Plan::from_changes("gamification", plan.changes().filter(|c| !is_start(c))),
        starts: Plan::from_changes("gamification", plan.changes().filter(|c| is_start(c))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gamification::goal::GoalValues;
    use crate::gamification::model::{Goal, GoalState};
    use crate::gamification::period::Bounds;
    use crate::gamification::refresh::{GoalWrite, NewGoal};
    use crate::plan::IdemKey;

    fn day(d: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(2026, 12, d)
    }

    fn december() -> Bounds {
        Bounds {
            start: day(1),
            end: day(31),
        }
    }

    fn values(current: f64, state: GoalState) -> GoalValues {
        GoalValues {
            current,
            state,
            closed: false,
        }
    }

    fn goal(id: i64, current: f64) -> Goal {
        Goal {
            id,
            definition_id: 2,
            user_id: 7,
            line_id: Some(3),
            challenge_id: Some(1),
            start_date: day(1),
            end_date: day(31),
            target: 10.0,
            current,
            state: GoalState::InProgress,
            closed: false,
        }
    }

    fn new_goal() -> NewGoal {
        NewGoal {
            challenge_id: 1,
            line_id: 3,
            definition_id: 2,
            user_id: 7,
            bounds: december(),
            target: 10.0,
            values: values(4.0, GoalState::InProgress),
        }
    }

    fn users() -> HashMap<i64, Participant> {
        [(
            7,
            Participant {
                id: 7,
                name: "Nguyễn Văn An".into(),
                login: "an".into(),
                partner_id: None,
                company_id: None,
            },
        )]
        .into_iter()
        .collect()
    }

    /// The input of a plan from `settled` alone (tests set the other parts).
    fn input<'a>(
        settled: &'a Settled,
        users: &'a HashMap<i64, Participant>,
        keys: &'a KeyFields,
    ) -> PlanInput<'a> {
        PlanInput {
            started: &[],
            duplicate_goals: &[],
            users,
            settled,
            duplicate_grants: &[],
            grants: &[],
            key_fields: keys,
        }
    }

    fn plan_of(settled: &Settled) -> Plan {
        plan(&input(settled, &users(), &KeyFields::all())).unwrap()
    }

    #[test]
    fn a_goal_whose_value_changed_is_written_once() {
        let settled = Settled {
            writes: vec![GoalWrite {
                goal_id: 11,
                old: values(3.0, GoalState::InProgress),
                new: values(4.0, GoalState::InProgress),
            }],
            ..Settled::default()
        };
        let plan = plan_of(&settled);
        let writes: Vec<_> = plan.writes().collect();
        assert_eq!(writes.len(), 1);
        let (model, id, changes, reason) = writes[0];
        assert_eq!((model, id), (GOAL, 11));
        assert_eq!(
            changes,
            [FieldChange::new(
                "current",
                Value::Float(3.0),
                Value::Float(4.0)
            )]
        );
        assert_eq!(reason, "goal value 3 → 4");
        assert_eq!(plan.len(), 1);
    }

    #[test]
    fn an_unchanged_goal_writes_nothing() {
        let same = values(4.0, GoalState::InProgress);
        let settled = Settled {
            writes: vec![GoalWrite {
                goal_id: 11,
                old: same,
                new: same,
            }],
            ..Settled::default()
        };
        assert!(plan_of(&settled).is_empty());
    }

    #[test]
    fn a_missing_goal_of_a_started_draft_is_created_with_its_key_before_the_state_write() {
        let settled = Settled {
            creates: vec![new_goal()],
            ..Settled::default()
        };
        let (users, keys) = (users(), KeyFields::all());
        let mut input = input(&settled, &users, &keys);
        input.started = &[1];
        let plan = plan(&input).unwrap();
        let staged = stage(&plan, &[1]);
        // First step: the goal, keyed by line, user and period, and no state write.
        let creates: Vec<_> = staged.refresh.creates().collect();
        assert_eq!(creates.len(), 1);
        let (model, values, key, reason) = creates[0];
        assert_eq!(model, GOAL);
        assert_eq!(
            key.as_str(),
            "goal:line=3:user=7:period=2026-12-01..2026-12-31"
        );
        assert!(values.contains(&("line_id".to_string(), Value::Many2one(3))));
        assert!(values.contains(&("current".to_string(), Value::Float(4.0))));
        assert_eq!(
            reason,
            "new goal of Nguyễn Văn An for 2026-12-01..2026-12-31 (line 3)"
        );
        assert_eq!(staged.refresh.writes().count(), 0);
        // Second step: the start alone.
        let starts: Vec<_> = staged.starts.writes().collect();
        assert_eq!(starts.len(), 1);
        assert_eq!((starts[0].0, starts[0].1), (CHALLENGE, 1));
        assert_eq!(
            starts[0].2,
            [FieldChange::new(
                "state",
                Value::Str("draft".into()),
                Value::Str("inprogress".into())
            )]
        );
        assert_eq!(staged.starts.create_count(), 0);
    }

    #[test]
    fn a_badge_grant_is_created_once_with_its_key() {
        let key = IdemKey::new("badge:challenge=1:user=7:badge=5:period=2026-12").unwrap();
        let grant = Grant {
            user_id: 7,
            badge_id: 5,
            challenge_id: 1,
            key: key.clone(),
            reason: "Won December".into(),
        };
        let grants = [grant.clone(), grant];
        let settled = Settled::default();
        let (users, keys) = (users(), KeyFields::all());
        let mut input = input(&settled, &users, &keys);
        input.grants = &grants;
        let plan = plan(&input).unwrap();
        let creates: Vec<_> = plan.creates().collect();
        assert_eq!(creates.len(), 1, "the same key is planned once");
        let (model, values, planned_key, _) = creates[0];
        assert_eq!((model, planned_key), (GRANT, &key));
        assert!(values.contains(&(
            super::super::KEY_FIELD.to_string(),
            Value::Str(key.as_str().to_owned())
        )));
        assert!(values.contains(&("badge_id".to_string(), Value::Many2one(5))));
    }

    #[test]
    fn duplicates_planned_for_unlink_keep_the_oldest() {
        let (kept, duplicates) =
            crate::gamification::duplicates::split_goals(vec![goal(30, 2.0), goal(12, 1.0)]);
        assert_eq!(kept.iter().map(|g| g.id).collect::<Vec<_>>(), [12]);
        let settled = Settled::default();
        let (users, keys) = (users(), KeyFields::all());
        let mut input = input(&settled, &users, &keys);
        input.duplicate_goals = &duplicates;
        let plan = plan(&input).unwrap();
        let unlinks: Vec<_> = plan.unlinks().collect();
        assert_eq!(unlinks.len(), 1);
        let (model, id, values, reason) = unlinks[0];
        assert_eq!((model, id), (GOAL, 30));
        assert!(values.contains(&("current".to_string(), Value::Float(2.0))));
        assert_eq!(
            reason,
            "duplicate of goal 12 (line 3, user 7, 2026-12-01..2026-12-31)"
        );
    }

    #[test]
    fn a_duplicate_grant_is_deleted_with_the_values_undo_needs() {
        let key = IdemKey::new("badge:challenge=1:user=7:badge=5:period=2026-11").unwrap();
        let values = vec![("badge_id".to_string(), Value::Many2one(5))];
        let duplicates = [DuplicateGrant {
            id: 41,
            kept: 40,
            key,
            values: values.clone(),
        }];
        let settled = Settled::default();
        let (users, keys) = (users(), KeyFields::all());
        let mut input = input(&settled, &users, &keys);
        input.duplicate_grants = &duplicates;
        let plan = plan(&input).unwrap();
        let unlinks: Vec<_> = plan.unlinks().collect();
        assert_eq!(
            unlinks,
            [(
                GRANT,
                41,
                values.as_slice(),
                "duplicate of badge grant 40 [badge:challenge=1:user=7:badge=5:period=2026-11]"
            )]
        );
    }
}
