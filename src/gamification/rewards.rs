//! Challenge rewards (semantics §1.10, §1.12): `reward_id` for everyone who reached every
//! goal of a period, first/second/third badges for the top three at the period's close,
//! `reward_failure`, realtime vs end-of-period, monthly `rule_max` limits. Every grant carries
//! a deterministic key, so no retry or restart can grant it twice.

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;

use super::model::{Challenge, Condition, Goal, GoalState, Participant, user_order};
use super::period::Bounds;
use crate::plan::{IdemKey, InvalidKey};

/// A badge as the reward code needs it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Badge {
    pub id: i64,
    pub name: String,
    /// `rule_max`: at most `rule_max_number` grants per month by the same sender.
    pub monthly_limit: Option<u32>,
}

/// One badge to grant (a `gamification.badge.user` to create).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Grant {
    pub user_id: i64,
    pub badge_id: i64,
    pub challenge_id: i64,
    pub key: IdemKey,
    /// Why, in words, for the plan and the grant's `comment`.
    pub reason: String,
}

/// A grant the engine decided not to make.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Withheld {
    pub user_id: i64,
    pub badge_id: i64,
    pub reason: String,
}

/// What the reward pass decided.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Rewards {
    pub grants: Vec<Grant>,
    pub withheld: Vec<Withheld>,
}

/// Context of one reward pass over one challenge period.
pub(crate) struct RewardInput<'a> {
    pub challenge: &'a Challenge,
    pub lines: usize,
    pub conditions: &'a HashMap<i64, Condition>,
    pub bounds: Bounds,
    /// Whether the period is over (or the challenge closed): end-of-period rewards are due.
    pub closing: bool,
    /// Goals of the challenge, as they will be after this run.
    pub goals: &'a [Goal],
    /// Participants in any order; ties are broken by `res.users` order (name, login).
    pub participants: &'a [Participant],
    /// Keys of grants already made (found in existing grants' comments).
    pub granted_keys: &'a HashSet<IdemKey>,
    /// (challenge, badge) pairs some user already holds: `user_id → badges` of this challenge.
    pub held: &'a HashMap<i64, HashSet<i64>>,
    pub badges: &'a HashMap<i64, Badge>,
    /// Grants per badge this month by the engine's own user (monthly limits).
    pub sent_this_month: &'a HashMap<i64, u32>,
}

/// The reward key of a (challenge, user, badge) grant made "as soon as reached": at most one
/// per user per challenge ever, as Odoo's realtime rewards.
pub(crate) fn realtime_key(challenge: i64, user: i64, badge: i64) -> Result<IdemKey, InvalidKey> {
    IdemKey::new(format!(
        "badge:challenge={challenge}:user={user}:badge={badge}"
    ))
}

/// The key of an end-of-period grant: once per user, badge and period.
pub(crate) fn period_key(
    challenge: i64,
    user: i64,
    badge: i64,
    bounds: Bounds,
) -> Result<IdemKey, InvalidKey> {
    IdemKey::new(format!(
        "badge:challenge={challenge}:user={user}:badge={badge}:period={}",
        bounds.label()
    ))
}

/// The key of a top-3 grant: one first (second, third) place per challenge period, whoever
/// gets it, so a ranking that shifts between a crash and a retry cannot grant it twice.
pub(crate) fn rank_key(challenge: i64, rank: usize, bounds: Bounds) -> Result<IdemKey, InvalidKey> {
    IdemKey::new(format!(
        "badge:challenge={challenge}:rank={rank}:period={}",
        bounds.label()
    ))
}

/// A participant's standing for the top-3: Odoo's `_get_topN_users`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Standing {
    pub user_id: i64,
    pub all_reached: bool,
    /// Sum over goals of `100 * current / target` (uncapped) when higher is better, 100 or 0
    /// (reached or not) when lower is better.
    pub total: f64,
}

/// Standings of the participants who have goals in `bounds`, best first; ties keep
/// `res.users` order (name, then login).
///
/// Odoo counts a participant without any goal of the period as "reached everything with
/// 0 %", so when the closing run looks at the wrong period nobody has goals and the top-3 go
/// to the first users by name (gotcha 5). We rank only users who have goals of the period.
pub(crate) fn standings(
    goals: &[Goal],
    participants: &[Participant],
    conditions: &HashMap<i64, Condition>,
    challenge: i64,
    bounds: Bounds,
) -> Vec<Standing> {
    let mut people: Vec<&Participant> = participants.iter().collect();
    people.sort_by(|a, b| user_order(a, b));
    let mut out = Vec::new();
    for p in people {
        let mine: Vec<&Goal> = goals
            .iter()
            .filter(|g| {
                g.challenge_id == Some(challenge)
                    && g.user_id == p.id
                    && g.start_date == bounds.start
                    && g.end_date == bounds.end
            })
            .collect();
        if mine.is_empty() {
            continue;
        }
        let all_reached = mine.iter().all(|g| g.state == GoalState::Reached);
        let total = mine
            .iter()
            .map(|g| {
                match conditions
                    .get(&g.definition_id)
                    .copied()
                    .unwrap_or(Condition::Higher)
                {
                    Condition::Higher if g.target != 0.0 => 100.0 * g.current / g.target,
                    Condition::Higher => 0.0,
                    Condition::Lower if g.state == GoalState::Reached => 100.0,
                    Condition::Lower => 0.0,
                }
            })
            .sum();
        out.push(Standing {
            user_id: p.id,
            all_reached,
            total,
        });
    }
    out.sort_by(|a, b| {
        b.all_reached
            .cmp(&a.all_reached)
            .then_with(|| b.total.partial_cmp(&a.total).unwrap_or(Ordering::Equal))
    });
    out
}

/// Decides the grants of one challenge period.
pub(crate) fn rewards(input: &RewardInput<'_>) -> Result<Rewards, InvalidKey> {
    let c = input.challenge;
    let mut out = Rewards::default();
    let mut sent: HashMap<i64, u32> = input.sent_this_month.clone();
    let mut grant = |out: &mut Rewards, user: i64, badge: i64, key: IdemKey, why: String| {
        if input.granted_keys.contains(&key) {
            return;
        }
        let name = input
            .badges
            .get(&badge)
            .map_or_else(|| format!("badge {badge}"), |b| b.name.clone());
        if let Some(limit) = input.badges.get(&badge).and_then(|b| b.monthly_limit) {
            let count = sent.entry(badge).or_insert(0);
            if *count >= limit {
                out.withheld.push(Withheld {
                    user_id: user,
                    badge_id: badge,
                    reason: format!("'{name}' may be sent {limit} times a month and was already sent {count} times this month"),
                });
                return;
            }
            *count += 1;
        }
        out.grants.push(Grant {
            user_id: user,
            badge_id: badge,
            challenge_id: c.id,
            key,
            reason: format!(
                "'{name}' for {why} in challenge '{}' ({})",
                c.name,
                input.bounds.label()
            ),
        });
    };

    if let Some(badge) = c.reward_id
        && (c.reward_realtime || input.closing)
    {
        let mut winners: Vec<&Participant> = input
            .participants
            .iter()
            .filter(|p| reached_all(input, p.id))
            .collect();
        winners.sort_by(|a, b| user_order(a, b));
        for p in winners {
            if c.reward_realtime {
                if input.held.get(&p.id).is_some_and(|b| b.contains(&badge)) {
                    continue;
                }
                grant(
                    &mut out,
                    p.id,
                    badge,
                    realtime_key(c.id, p.id, badge)?,
                    "reaching every goal".into(),
                );
            } else {
                grant(
                    &mut out,
                    p.id,
                    badge,
                    period_key(c.id, p.id, badge, input.bounds)?,
                    "reaching every goal".into(),
                );
            }
        }
    }

    if input.closing
        && let Some(first) = c.reward_first_id
    {
        let mut ranked = standings(
            input.goals,
            input.participants,
            input.conditions,
            c.id,
            input.bounds,
        );
        if !c.reward_failure {
            let leading = ranked.iter().take_while(|s| s.all_reached).count();
            ranked.truncate(leading);
        }
        let places = [Some(first), c.reward_second_id, c.reward_third_id];
        let words = ["first place", "second place", "third place"];
        for (rank, standing) in ranked.iter().take(3).enumerate() {
            if let Some(badge) = places[rank] {
                grant(
                    &mut out,
                    standing.user_id,
                    badge,
                    rank_key(c.id, rank + 1, input.bounds)?,
                    words[rank].into(),
                );
            }
        }
    }
    Ok(out)
}

fn reached_all(input: &RewardInput<'_>, user: i64) -> bool {
    let reached = input
        .goals
        .iter()
        .filter(|g| {
            g.challenge_id == Some(input.challenge.id)
                && g.user_id == user
                && g.start_date == input.bounds.start
                && g.end_date == input.bounds.end
                && g.state == GoalState::Reached
        })
        .count();
    input.lines > 0 && reached == input.lines
}

/// A period whose rewards are due, and whether it is closing (its end-of-period rewards are
/// granted).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct DuePeriod {
    pub bounds: Bounds,
    pub closing: bool,
}

/// The periods of `challenge` whose rewards are due on `today`: the current one (end-of-period
/// rewards only when the challenge is done or its `once` period is over) and, closing, the
/// period that ended just before it when the challenge has goals for it. Odoo evaluates the
/// closing day's period instead (gotcha 5); we evaluate the period that ended. Older periods
/// are never rewarded retroactively (say, when rewards are added to a running challenge).
pub(crate) fn due_periods(
    challenge: &Challenge,
    goals: &[Goal],
    today: NaiveDate,
) -> Vec<DuePeriod> {
    let current = super::period::challenge_bounds(challenge, today);
    let done = challenge.state == super::model::ChallengeState::Done;
    let mut out = vec![DuePeriod {
        bounds: current,
        closing: done || current.ended(today),
    }];
    if let Some(previous) = super::period::previous_bounds(challenge.period, today) {
        let has_goals = goals.iter().any(|g| {
            g.challenge_id == Some(challenge.id)
                && g.start_date == previous.start
                && g.end_date == previous.end
        });
        if has_goals && previous != current {
            out.push(DuePeriod {
                bounds: previous,
                closing: true,
            });
        }
    }
    out
}
