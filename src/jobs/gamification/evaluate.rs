//! The engine calls of a refresh, pure: given what was read and the aggregated values, the
//! goals settled (`refresh::settle`), what Odoo will do by itself (`side_effects::predict`)
//! and the badges due (`rewards::rewards`, per challenge and due period).

use std::collections::HashMap;

use chrono::NaiveDate;

use crate::gamification::model::Goal;
use crate::gamification::refresh::{self, Prepared, Settled, Values};
use crate::gamification::rewards::{self, Grant, RewardInput};
use crate::gamification::side_effects::{self, SideEffect};
use crate::plan::InvalidKey;

use super::grants::Grants;
use super::reading::Reading;

/// What the engines decided.
#[derive(Clone, Debug, Default)]
pub struct Evaluation {
    pub settled: Settled,
    pub side_effects: Vec<SideEffect>,
    /// Badges to grant.
    pub grants: Vec<Grant>,
    /// Grants held back (monthly badge limits), said as `user <id>: <reason>`.
    pub withheld: Vec<String>,
}

/// Settles the goals, predicts Odoo's side effects and decides the badges.
pub(crate) fn evaluate(
    reading: &Reading,
    prepared: &Prepared,
    values: &Values,
    today: NaiveDate,
) -> Result<Evaluation, InvalidKey> {
    let snap = &reading.snap;
    let settled = refresh::settle(snap, prepared, values, today);
    let side_effects =
        side_effects::predict(snap, &reading.started, &reading.on_change, &settled, today);
    let mut out = Evaluation {
        side_effects,
        ..Evaluation::default()
    };
    if let Some(grants) = &reading.grants {
        decide_rewards(reading, grants, &settled.goals, today, &mut out)?;
    }
    out.settled = settled;
    Ok(out)
}

/// The badges due over every challenge's due periods, in order, into `out`; a badge with a
/// monthly limit counts the grants planned before it.
fn decide_rewards(
    reading: &Reading,
    grants: &Grants,
    goals: &[Goal],
    today: NaiveDate,
    out: &mut Evaluation,
) -> Result<(), InvalidKey> {
    let snap = &reading.snap;
    let conditions = snap
        .definitions
        .values()
        .map(|d| (d.id, d.condition))
        .collect();
    let mut sent = grants.sent_this_month.clone();
    let empty = HashMap::new();
    for c in &snap.challenges {
        let participants: Vec<_> = snap
            .participants
            .get(&c.id)
            .into_iter()
            .flatten()
            .filter_map(|id| snap.users.get(id).cloned())
            .collect();
        let lines = snap.lines_of(c.id).len();
        for rewards::DuePeriod { bounds, closing } in rewards::due_periods(c, goals, today) {
            let input = RewardInput {
                challenge: c,
                lines,
                conditions: &conditions,
                bounds,
                closing,
                goals,
                participants: &participants,
                granted_keys: &grants.keys,
                held: grants.held.get(&c.id).unwrap_or(&empty),
                badges: &grants.badges,
                sent_this_month: &sent,
            };
            let r = rewards::rewards(&input)?;
            for g in &r.grants {
                if grants
                    .badges
                    .get(&g.badge_id)
                    .is_some_and(|b| b.monthly_limit.is_some())
                {
                    *sent.entry(g.badge_id).or_insert(0) += 1;
                }
            }
            out.withheld.extend(
                r.withheld
                    .iter()
                    .map(|w| format!("user {}: {}", w.user_id, w.reason)),
            );
            out.grants.extend(r.grants);
        }
    }
    Ok(())
}

/// The first badge among `planned` that only some users may grant (a `rule_auth` other than
/// everyone, or a monthly limit): the job checks its own rights on it before apply.
pub(crate) fn restricted_badge(planned: &[Grant], grants: &Grants) -> Option<i64> {
    planned.iter().map(|g| g.badge_id).find(|b| {
        grants.rule_auth.get(b).is_some_and(|a| a != "everyone")
            || grants
                .badges
                .get(b)
                .is_some_and(|x| x.monthly_limit.is_some())
    })
}
