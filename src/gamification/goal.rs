//! Goal value → state (semantics §1.8): reached, failed and closed, the stickiness of
//! `reached`, completeness, and the lower-is-better asymmetry.

use chrono::NaiveDate;

use super::model::{Condition, Goal, GoalState};

/// The fields of a goal the engine owns.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GoalValues {
    pub current: f64,
    pub state: GoalState,
    pub closed: bool,
}

/// The value Odoo gives a new goal so that its first computation always writes:
/// `min(target - 1, 0)` when higher is better, `max(target + 1, 0)` when lower is.
pub(crate) fn initial_current(condition: Condition, target: f64) -> f64 {
    match condition {
        Condition::Higher => (target - 1.0).min(0.0),
        Condition::Lower => (target + 1.0).max(0.0),
    }
}

/// Whether `value` meets `target`: `>=` when higher is better, `<=` when lower is.
pub(crate) fn meets(condition: Condition, target: f64, value: f64) -> bool {
    match condition {
        Condition::Higher => value >= target,
        Condition::Lower => value <= target,
    }
}

/// Odoo's `completeness`, exactly (gotcha 8): lower-is-better is 100 only when strictly
/// under the target, so a goal exactly on a lower target is `reached` with 0 %.
pub(crate) fn completeness(condition: Condition, target: f64, current: f64) -> f64 {
    match condition {
        Condition::Higher if current >= target => 100.0,
        Condition::Higher if target != 0.0 => (100.0 * current / target * 100.0).round() / 100.0,
        Condition::Higher => 0.0,
        Condition::Lower if current < target => 100.0,
        Condition::Lower => 0.0,
    }
}

/// The new values of `goal` given a freshly computed `value` on `today`.
///
/// * meeting the target → `reached` (not closed: the value can still move);
/// * otherwise, once the goal's end date is past → `failed` and `closed`;
/// * otherwise the state is kept, so `reached` is sticky (gotcha 7).
///
/// Unlike Odoo (gotcha 6) failure does not wait for the value to change: a goal whose period
/// is over is failed on the first run after its end, even if its value did not move.
/// A closed goal is final and keeps its values.
pub(crate) fn transition(
    goal: &Goal,
    condition: Condition,
    value: f64,
    today: NaiveDate,
) -> GoalValues {
    let kept = GoalValues {
        current: goal.current,
        state: goal.state,
        closed: goal.closed,
    };
    if goal.closed || goal.state == GoalState::Canceled {
        return kept;
    }
    let ended = goal.end_date.is_some_and(|end| today > end);
    if meets(condition, goal.target, value) {
        GoalValues {
            current: value,
            state: GoalState::Reached,
            closed: false,
        }
    } else if ended && goal.state != GoalState::Reached {
        GoalValues {
            current: value,
            state: GoalState::Failed,
            closed: true,
        }
    } else {
        GoalValues {
            current: value,
            ..kept
        }
    }
}

/// Whether the engine still has to compute `goal` on `today`: open goals of the current or a
/// past period until they are final (reached after their end, or failed and closed).
pub(crate) fn needs_compute(goal: &Goal, today: NaiveDate) -> bool {
    if goal.closed || matches!(goal.state, GoalState::Failed | GoalState::Canceled) {
        return false;
    }
    let ended = goal.end_date.is_some_and(|end| today > end);
    !(ended && goal.state == GoalState::Reached)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn goal(target: f64, current: f64, state: GoalState) -> Goal {
        Goal {
            id: 1,
            definition_id: 1,
            user_id: 2,
            line_id: Some(1),
            challenge_id: Some(1),
            start_date: Some(d("2026-11-01")),
            end_date: Some(d("2026-11-30")),
            target,
            current,
            state,
            closed: false,
        }
    }

    #[test]
    fn initial_values_force_the_first_write() {
        assert_eq!(initial_current(Condition::Higher, 7.0), 0.0);
        assert_eq!(initial_current(Condition::Higher, 0.0), -1.0);
        assert_eq!(initial_current(Condition::Lower, 15.0), 16.0);
        assert_eq!(initial_current(Condition::Lower, -5.0), 0.0);
    }

    #[test]
    fn reaching_the_target_reaches_without_closing() {
        let g = goal(7.0, 0.0, GoalState::InProgress);
        let v = transition(&g, Condition::Higher, 8.0, d("2026-11-22"));
        assert_eq!(
            v,
            GoalValues {
                current: 8.0,
                state: GoalState::Reached,
                closed: false
            }
        );
    }

    #[test]
    fn reached_is_sticky_before_the_end() {
        let g = goal(7.0, 9.0, GoalState::Reached);
        let v = transition(&g, Condition::Higher, 3.0, d("2026-11-22"));
        assert_eq!(
            v,
            GoalValues {
                current: 3.0,
                state: GoalState::Reached,
                closed: false
            }
        );
        // and after the end too: a reached goal never fails.
        let v = transition(&g, Condition::Higher, 3.0, d("2026-12-01"));
        assert_eq!(v.state, GoalState::Reached);
        assert!(!needs_compute(&g, d("2026-12-01")));
        assert!(needs_compute(&g, d("2026-11-30")));
    }

    #[test]
    fn missing_the_target_after_the_end_fails_and_closes() {
        let g = goal(7.0, 2.0, GoalState::InProgress);
        let on_last_day = transition(&g, Condition::Higher, 4.0, d("2026-11-30"));
        assert_eq!(
            on_last_day,
            GoalValues {
                current: 4.0,
                state: GoalState::InProgress,
                closed: false
            }
        );
        let after = transition(&g, Condition::Higher, 4.0, d("2026-12-01"));
        assert_eq!(
            after,
            GoalValues {
                current: 4.0,
                state: GoalState::Failed,
                closed: true
            }
        );
        let closed = Goal {
            state: GoalState::Failed,
            closed: true,
            ..g
        };
        assert_eq!(
            transition(&closed, Condition::Higher, 99.0, d("2026-12-02")).current,
            2.0
        );
        assert!(!needs_compute(&closed, d("2026-12-02")));
    }

    /// Odoo only checks failure when the value changes (gotcha 6): a goal stuck at 2 of 7
    /// stays `inprogress` forever. We fail it on the first run after its end.
    #[test]
    fn failure_only_detected_on_value_change_bug() {
        let g = goal(7.0, 2.0, GoalState::InProgress);
        let v = transition(&g, Condition::Higher, 2.0, d("2026-12-01"));
        assert_eq!(
            v,
            GoalValues {
                current: 2.0,
                state: GoalState::Failed,
                closed: true
            }
        );
    }

    #[test]
    fn lower_is_better_reaches_on_equality_with_zero_completeness() {
        let g = goal(15.0, 16.0, GoalState::InProgress);
        let v = transition(&g, Condition::Lower, 15.0, d("2026-11-22"));
        assert_eq!(v.state, GoalState::Reached);
        assert_eq!(completeness(Condition::Lower, 15.0, 15.0), 0.0);
        assert_eq!(completeness(Condition::Lower, 15.0, 3.0), 100.0);
        assert_eq!(completeness(Condition::Lower, 15.0, 16.0), 0.0);
        let over = transition(&g, Condition::Lower, 16.0, d("2026-12-01"));
        assert_eq!(
            over,
            GoalValues {
                current: 16.0,
                state: GoalState::Failed,
                closed: true
            }
        );
    }

    #[test]
    fn completeness_of_higher_goals_rounds_to_two_decimals_and_caps_at_100() {
        assert_eq!(completeness(Condition::Higher, 7.0, 21.0), 100.0);
        assert_eq!(completeness(Condition::Higher, 3.0, 1.0), 33.33);
        assert_eq!(completeness(Condition::Higher, 20000.0, 0.0), 0.0);
        assert_eq!(completeness(Condition::Higher, 0.0, -1.0), 0.0);
        assert_eq!(completeness(Condition::Higher, 10.0, -2.0), -20.0);
    }
}
