//! Gamification engine: challenge periods, goal computation plans, goal states, rankings,
//! rewards (badges), karma points and levels — pure functions over plain records; the job in
//! `jobs::gamification` reads Odoo, runs the queries these functions ask for, and applies.
//!
//! Where Odoo 17's own engine has a bug, we deliberately differ, and a test named after the
//! bug pins the difference:
//! * **absent users skipped** (gotcha 11): Odoo's cron only recomputes goals of users seen in
//!   the web client in the last 7 days; we compute every participant on every run
//!   (`tests::absent_users_skipped_bug`).
//! * **datetime end-of-period boundary** (gotcha 3, §1.14): Odoo's RPC form ends a datetime
//!   period at `23:59:59`; we use a half-open window ending at the next day's `00:00:00`
//!   (`compute::tests::datetime_end_of_period_boundary_bug`).
//! * **closing-day evaluation of the wrong period** (gotcha 5): Odoo closes a periodic
//!   challenge by looking at the *new* period's goals; we reward the period that ended
//!   (`tests::closing_day_evaluates_the_wrong_period_bug`).
//! * **top-3 going to the first users by name** (gotcha 5): a user without goals of the
//!   period is not "all reached with 0 %" for us; only users with goals are ranked
//!   (`tests::top3_going_to_the_first_users_by_name_bug`).
//! * **batch mode never writing zero** (gotcha 9): a user without any matching record gets 0,
//!   as in non-batch mode; `MissingRows::KeepOdoosValue` reproduces Odoo
//!   (`compute::tests::batch_mode_never_writing_zero_bug`).
//! * **failure only detected when the value changes** (gotcha 6): an unfinished goal fails
//!   on the first run after its period, even if its value did not move
//!   (`goal::tests::failure_only_detected_on_value_change_bug`).
//!
//! Rewards of a period are decided on the runs after it ends (keys make that once), for the
//! period that just ended only: adding rewards to a running challenge grants nothing for
//! older periods.
//!
//! Also unlike Odoo, a user dropped from the participants keeps their goals (Odoo deletes
//! every goal of theirs in the challenge, gotcha 27): past results are history, not noise.
//! Their open goals are still computed until their period ends.
//!
//! Kept as Odoo does it: 8-day weekly periods, `reached` stickiness, the lower-is-better
//! completeness asymmetry, ranking ties by goal id, top-3 ties by `res.users` order, realtime
//! `reward_id` at most once per user per challenge.

pub mod achievements;
pub mod caps;
pub mod compute;
pub mod duplicates;
pub(crate) mod goal;
pub mod karma;
pub mod leaderboard;
pub mod levels;
pub(crate) mod model;
pub(crate) mod period;
pub mod ranking;
pub mod recognition;
pub mod refresh;
pub(crate) mod rewards;
pub mod side_effects;
pub mod team_points;
pub mod teams;
pub mod trial;

#[cfg(test)]
mod tests;

pub use model::{
    Batch, Challenge, ChallengeState, Condition, DateField, Definition, Goal, GoalState, Line,
    Mode, Participant, Period,
};
