//! Duplicate goals among those a run read: two goals of the same challenge line, user and
//! period are one goal too many, however they arose (an older version, a restored database,
//! a create that ran after its deadline, someone else's script). The oldest (lowest id) is
//! kept; the others are what a repair deletes. Pure: the job plans the deletions, journaled
//! with each goal's values so `undo` can create them again.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::model::Goal;

/// A goal to delete because an older one holds its line, user and period.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct DuplicateGoal {
    pub goal: Goal,
    /// The goal kept in its place.
    pub kept: i64,
}

/// Splits `goals` into the goals to keep and the duplicates to delete.
pub(crate) fn split_goals(goals: Vec<Goal>) -> (Vec<Goal>, Vec<DuplicateGoal>) {
    type Slot = (i64, i64, Option<NaiveDate>, Option<NaiveDate>);
    let mut first: BTreeMap<Slot, i64> = BTreeMap::new();
    let mut sorted = goals;
    sorted.sort_by_key(|g| g.id);
    let mut keep = Vec::with_capacity(sorted.len());
    let mut duplicates = Vec::new();
    for goal in sorted {
        let Some(line) = goal.line_id else {
            keep.push(goal);
            continue;
        };
        let slot = (line, goal.user_id, goal.start_date, goal.end_date);
        match first.get(&slot) {
            Some(&kept) => duplicates.push(DuplicateGoal { goal, kept }),
            None => {
                first.insert(slot, goal.id);
                keep.push(goal);
            }
        }
    }
    (keep, duplicates)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gamification::model::GoalState;

    fn goal(id: i64, line: Option<i64>, user: i64, start: &str) -> Goal {
        Goal {
            id,
            definition_id: 1,
            user_id: user,
            line_id: line,
            challenge_id: Some(4),
            start_date: start.parse().ok(),
            end_date: None,
            target: 1.0,
            current: 0.0,
            state: GoalState::InProgress,
            closed: false,
        }
    }

    #[test]
    fn the_oldest_goal_of_a_line_user_and_period_is_kept() {
        let (keep, dups) = split_goals(vec![
            goal(9, Some(1), 2, "2026-11-01"),
            goal(3, Some(1), 2, "2026-11-01"),
            goal(5, Some(1), 2, "2026-10-01"),
            goal(7, Some(1), 6, "2026-11-01"),
            goal(8, None, 2, "2026-11-01"),
            goal(10, None, 2, "2026-11-01"),
            goal(11, Some(1), 2, "2026-11-01"),
        ]);
        let ids: Vec<i64> = keep.iter().map(|g| g.id).collect();
        assert_eq!(ids, [3, 5, 7, 8, 10]);
        let dup: Vec<(i64, i64)> = dups.iter().map(|d| (d.goal.id, d.kept)).collect();
        assert_eq!(dup, [(9, 3), (11, 3)]);
    }
}
