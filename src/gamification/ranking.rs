//! Ranking of the goals of one challenge line (semantics §1.11): best completeness first,
//! then the better value, ties by goal id; 0-based consecutive ranks, as Odoo's leaderboard.
//! `fair` ranks by the percentage of each person's own target instead.

use std::cmp::Ordering;

use super::goal::completeness;
use super::model::{Condition, Goal};

/// A ranked goal.
#[derive(Clone, Debug, PartialEq)]
pub struct Ranked {
    pub rank: usize,
    pub goal_id: i64,
    pub user_id: i64,
    pub current: f64,
    pub target: f64,
    /// Odoo's completeness (capped at 100).
    pub completeness: f64,
    /// Percentage of the personal target, uncapped (for lower-is-better: target / current).
    pub of_target: f64,
}

/// How to order a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Order {
    /// Odoo's: `(-completeness, -current)` (higher) or `(-completeness, current)` (lower).
    #[default]
    Odoo,
    /// By the uncapped percentage of each person's own target, so people with different
    /// targets compare fairly and exceeding the target still counts.
    Fair,
}

/// Percentage of the target reached, uncapped. Lower-is-better: `target / current` (100 at
/// the target, more below it); a current of 0 or less with a positive target counts as
/// twice the target's worth rather than infinity.
pub(crate) fn of_target(condition: Condition, target: f64, current: f64) -> f64 {
    match condition {
        Condition::Higher if target != 0.0 => 100.0 * current / target,
        Condition::Higher => {
            if current >= 0.0 {
                100.0
            } else {
                0.0
            }
        }
        Condition::Lower if current > 0.0 => 100.0 * target / current,
        Condition::Lower if target >= 0.0 => 200.0,
        Condition::Lower => 0.0,
    }
}

/// Ranks `goals` (of one line and period).
pub fn rank_line(goals: &[Goal], condition: Condition, order: Order) -> Vec<Ranked> {
    let mut rows: Vec<Ranked> = goals
        .iter()
        .map(|g| Ranked {
            rank: 0,
            goal_id: g.id,
            user_id: g.user_id,
            current: g.current,
            target: g.target,
            completeness: completeness(condition, g.target, g.current),
            of_target: of_target(condition, g.target, g.current),
        })
        .collect();
    rows.sort_by_key(|r| r.goal_id);
    rows.sort_by(|a, b| {
        let by = match order {
            Order::Odoo => desc(a.completeness, b.completeness),
            Order::Fair => desc(a.of_target, b.of_target),
        };
        by.then_with(|| match condition {
            Condition::Higher => desc(a.current, b.current),
            Condition::Lower => desc(b.current, a.current),
        })
    });
    for (i, row) in rows.iter_mut().enumerate() {
        row.rank = i;
    }
    rows
}

fn desc(a: f64, b: f64) -> Ordering {
    b.partial_cmp(&a).unwrap_or(Ordering::Equal)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gamification::model::GoalState;

    fn g(id: i64, user: i64, target: f64, current: f64) -> Goal {
        Goal {
            id,
            definition_id: 1,
            user_id: user,
            line_id: Some(1),
            challenge_id: Some(1),
            start_date: None,
            end_date: None,
            target,
            current,
            state: GoalState::InProgress,
            closed: false,
        }
    }

    #[test]
    fn ties_keep_goal_id_order_and_ranks_are_consecutive_from_zero() {
        let goals = [
            g(9, 1, 10.0, 5.0),
            g(3, 2, 10.0, 5.0),
            g(5, 3, 10.0, 12.0),
            g(4, 4, 10.0, 11.0),
        ];
        let r = rank_line(&goals, Condition::Higher, Order::Odoo);
        let order: Vec<(usize, i64)> = r.iter().map(|r| (r.rank, r.goal_id)).collect();
        // 12 and 11 are both 100 %: the bigger current first; 5/10 twice: id 3 before id 9.
        assert_eq!(order, [(0, 5), (1, 4), (2, 3), (3, 9)]);
    }

    #[test]
    fn lower_is_better_prefers_the_smaller_value_at_equal_completeness() {
        let goals = [
            g(1, 1, 15.0, 3.0),
            g(2, 2, 15.0, 1.0),
            g(3, 3, 15.0, 16.0),
            g(4, 4, 15.0, 15.0),
        ];
        let r = rank_line(&goals, Condition::Lower, Order::Odoo);
        let order: Vec<i64> = r.iter().map(|r| r.goal_id).collect();
        assert_eq!(order, [2, 1, 4, 3]);
        assert_eq!(r[2].completeness, 0.0);
    }

    #[test]
    fn fair_ranks_by_the_share_of_each_personal_target() {
        // A junior with target 5 at 8 (160 %) beats a senior with target 20 at 21 (105 %),
        // who ranks first in Odoo's order (both 100 %, 21 > 8).
        let goals = [g(1, 1, 20.0, 21.0), g(2, 2, 5.0, 8.0)];
        let odoo: Vec<i64> = rank_line(&goals, Condition::Higher, Order::Odoo)
            .iter()
            .map(|r| r.user_id)
            .collect();
        let fair = rank_line(&goals, Condition::Higher, Order::Fair);
        assert_eq!(odoo, [1, 2]);
        assert_eq!(fair.iter().map(|r| r.user_id).collect::<Vec<_>>(), [2, 1]);
        assert_eq!(fair[0].of_target, 160.0);
        assert_eq!(of_target(Condition::Lower, 15.0, 3.0), 500.0);
        assert_eq!(of_target(Condition::Lower, 15.0, 0.0), 200.0);
    }
}
