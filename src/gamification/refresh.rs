//! One refresh of the challenges, as pure steps: which goals to compute or create for which
//! periods ([`prepare`]), then, given the computed values, the goal creates and writes
//! ([`settle`]). The job layer runs the queries in between.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::NaiveDate;

use super::compute::{Task, Unsupported};
use super::goal::{GoalValues, initial_current, needs_compute, transition};
use super::model::{
    Challenge, ChallengeState, Condition, Definition, Goal, GoalState, Line, Mode, Participant,
};
use super::period::{Bounds, challenge_bounds};

/// What Odoo holds, as read at the start of a run.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    /// Challenges to refresh (in progress, or being started or closed by this run).
    pub challenges: Vec<Challenge>,
    pub lines: Vec<Line>,
    pub definitions: HashMap<i64, Definition>,
    /// Resolved participants per challenge (`user_domain` re-evaluated, else `user_ids`).
    pub participants: HashMap<i64, Vec<i64>>,
    pub users: HashMap<i64, Participant>,
    /// Existing goals of these challenges.
    pub goals: Vec<Goal>,
}

impl Snapshot {
    pub(crate) fn lines_of(&self, challenge: i64) -> Vec<&Line> {
        let mut lines: Vec<&Line> = self
            .lines
            .iter()
            .filter(|l| l.challenge_id == challenge)
            .collect();
        lines.sort_by_key(|l| (l.sequence, l.id));
        lines
    }

    fn condition_of(&self, definition: i64) -> Condition {
        self.definitions
            .get(&definition)
            .map_or(Condition::Higher, |d| d.condition)
    }
}

/// A goal to create.
#[derive(Clone, Debug, PartialEq)]
pub struct NewGoal {
    pub challenge_id: i64,
    pub line_id: i64,
    pub definition_id: i64,
    pub user_id: i64,
    pub bounds: Bounds,
    pub target: f64,
    pub values: GoalValues,
}

/// What to compute in this run.
#[derive(Clone, Debug, Default)]
pub struct Prepared {
    pub tasks: Vec<Task>,
    /// Goals missing for the current period (values filled in by [`settle`]).
    pub new_goals: Vec<NewGoal>,
    /// Definitions that cannot be computed, each said once.
    pub unsupported: Vec<Unsupported>,
}

/// Lists the goals to compute and create on `today`.
///
/// Every participant gets a goal per line for the current period, whether or not they used
/// the web client lately: Odoo only recomputes goals of users seen in the last 7 days
/// (gotcha 11); we compute everyone. Goals of past periods are recomputed until final.
pub fn prepare(snap: &Snapshot, today: NaiveDate) -> Prepared {
    let mut wants = Wants::default();
    let mut new_goals = Vec::new();
    for challenge in &snap.challenges {
        let goals: Vec<&Goal> = snap
            .goals
            .iter()
            .filter(|g| g.challenge_id == Some(challenge.id))
            .collect();
        if challenge.state != ChallengeState::Done {
            missing_goals(snap, challenge, &goals, today, &mut wants, &mut new_goals);
        }
        for goal in goals {
            if !needs_compute(goal, today) {
                continue;
            }
            if let Some(def) = snap.definitions.get(&goal.definition_id) {
                let bounds = Bounds {
                    start: goal.start_date,
                    end: goal.end_date,
                };
                wants.want(def, bounds, goal.user_id);
            }
        }
    }
    let tasks = wants
        .wanted
        .into_iter()
        .map(|((definition_id, bounds), users)| {
            let mut users: Vec<i64> = users.into_iter().collect();
            users.sort_unstable();
            Task {
                definition_id,
                bounds,
                users,
            }
        })
        .collect();
    Prepared {
        tasks,
        new_goals,
        unsupported: wants.unsupported,
    }
}

/// What to compute: users per (definition, period), and the definitions that cannot be
/// computed (each said once).
#[derive(Default)]
struct Wants {
    wanted: BTreeMap<(i64, Bounds), HashSet<i64>>,
    unsupported: Vec<Unsupported>,
    refused: HashSet<i64>,
}

impl Wants {
    /// `user`'s value of `def` over `bounds`: computed, unless Odoo's users set it by hand
    /// (manual) or it cannot be computed here.
    fn want(&mut self, def: &Definition, bounds: Bounds, user: i64) {
        match def.mode {
            Mode::Manual => {}
            Mode::Python => {
                if self.refused.insert(def.id) {
                    self.unsupported.push(Unsupported::Python {
                        id: def.id,
                        name: def.name.clone(),
                    });
                }
            }
            Mode::Unsupported(ref reason) => {
                if self.refused.insert(def.id) {
                    self.unsupported.push(Unsupported::Other {
                        id: def.id,
                        name: def.name.clone(),
                        reason: reason.clone(),
                    });
                }
            }
            _ => {
                self.wanted
                    .entry((def.id, bounds))
                    .or_default()
                    .insert(user);
            }
        }
    }
}

/// The goals of the current period a running challenge lacks: one per line and participant.
fn missing_goals(
    snap: &Snapshot,
    challenge: &Challenge,
    goals: &[&Goal],
    today: NaiveDate,
    wants: &mut Wants,
    new_goals: &mut Vec<NewGoal>,
) {
    let current = challenge_bounds(challenge, today);
    let participants = snap
        .participants
        .get(&challenge.id)
        .map_or(&[][..], Vec::as_slice);
    for line in snap.lines_of(challenge.id) {
        let Some(def) = snap.definitions.get(&line.definition_id) else {
            continue;
        };
        for &user in participants {
            let exists = goals.iter().any(|g| {
                g.line_id == Some(line.id)
                    && g.user_id == user
                    && (current.start.is_none() || g.start_date == current.start)
                    && (current.end.is_none() || g.end_date == current.end)
            });
            if exists {
                continue;
            }
            new_goals.push(NewGoal {
                challenge_id: challenge.id,
                line_id: line.id,
                definition_id: def.id,
                user_id: user,
                bounds: current,
                target: line.target,
                values: GoalValues {
                    current: initial_current(def.condition, line.target),
                    state: GoalState::InProgress,
                    closed: false,
                },
            });
            wants.want(def, current, user);
        }
    }
}

/// Computed values: (definition, period) → user → value. A user absent from the map keeps
/// the goal's value.
pub type Values = HashMap<(i64, Bounds), HashMap<i64, f64>>;

/// A change of an existing goal.
#[derive(Clone, Debug, PartialEq)]
pub struct GoalWrite {
    pub goal_id: i64,
    pub old: GoalValues,
    pub new: GoalValues,
}

/// The outcome of a refresh: goals to create, goals to write, and every goal as it will be.
#[derive(Clone, Debug, Default)]
pub struct Settled {
    pub creates: Vec<NewGoal>,
    pub writes: Vec<GoalWrite>,
    /// All goals of the refreshed challenges after this run (new ones with id 0).
    pub goals: Vec<Goal>,
}

/// Applies computed `values` to the existing and new goals.
pub fn settle(snap: &Snapshot, prepared: &Prepared, values: &Values, today: NaiveDate) -> Settled {
    let value_of = |def: i64, bounds: Bounds, user: i64| {
        values
            .get(&(def, bounds))
            .and_then(|m| m.get(&user))
            .copied()
    };
    let mut out = Settled::default();
    let challenge_ids: HashSet<i64> = snap.challenges.iter().map(|c| c.id).collect();
    for goal in &snap.goals {
        let mut after = goal.clone();
        let in_scope = goal
            .challenge_id
            .is_some_and(|c| challenge_ids.contains(&c));
        if in_scope && needs_compute(goal, today) {
            let bounds = Bounds {
                start: goal.start_date,
                end: goal.end_date,
            };
            let condition = snap.condition_of(goal.definition_id);
            let old = GoalValues {
                current: goal.current,
                state: goal.state,
                closed: goal.closed,
            };
            // Without a value (manual, unsupported, or Odoo-compatible missing rows) the
            // goal can still fail at its period's end.
            let value = value_of(goal.definition_id, bounds, goal.user_id).unwrap_or(goal.current);
            let new = transition(goal, condition, value, today);
            if new != old {
                out.writes.push(GoalWrite {
                    goal_id: goal.id,
                    old,
                    new,
                });
                after.current = new.current;
                after.state = new.state;
                after.closed = new.closed;
            }
        }
        out.goals.push(after);
    }
    for new_goal in &prepared.new_goals {
        let mut created = new_goal.clone();
        let seed = Goal {
            id: 0,
            definition_id: new_goal.definition_id,
            user_id: new_goal.user_id,
            line_id: Some(new_goal.line_id),
            challenge_id: Some(new_goal.challenge_id),
            start_date: new_goal.bounds.start,
            end_date: new_goal.bounds.end,
            target: new_goal.target,
            current: new_goal.values.current,
            state: new_goal.values.state,
            closed: false,
        };
        if let Some(v) = value_of(new_goal.definition_id, new_goal.bounds, new_goal.user_id) {
            created.values = transition(&seed, snap.condition_of(new_goal.definition_id), v, today);
        }
        out.goals.push(Goal {
            current: created.values.current,
            state: created.values.state,
            closed: created.values.closed,
            ..seed
        });
        out.creates.push(created);
    }
    out
}
