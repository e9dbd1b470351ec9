//! What Odoo's gamification module does by itself when a client writes its records: starting a
//! challenge (`write({'state': 'inprogress'})`, or `action_start`) recomputes its participants
//! from `user_domain`, removes the goals of users who no longer match, generates the missing
//! goals of the current period and computes them (`update_goal`).
//!
//! Taught from Odoo 17's source (`addons/gamification/models/gamification_challenge.py`:
//! `write`, `_recompute_challenge_users`, `_generate_goals_from_challenge`,
//! `start_end_date_for_period`; `gamification_goal.py`: `update_goal`, `_get_write_values`)
//! and checked against the recording of a real start (`fixtures/odoo17/transcripts/074`–`078`:
//! challenge 4 started, goals 3–8 generated and computed for 2026-11-01..30).
//!
//! scorekeeper plans around these effects (it creates a starting challenge's goals before it
//! writes the state, so Odoo generates none); the simulator runs them so a test shows what a
//! real Odoo would do when it does not.

use chrono::{Datelike, Duration, NaiveDate};

use super::create::create_record;
use super::fault::SimFault;
use super::query::{Query, fault};
use super::store::Store;
use crate::domain::{Domain, Env, Lit, UserCtx};
use crate::record::Value;

const CHALLENGE: &str = "gamification.challenge";
const LINE: &str = "gamification.challenge.line";
const GOAL: &str = "gamification.goal";
const DEFINITION: &str = "gamification.goal.definition";

/// Odoo's `write` override on challenges: the side effects of the values just written.
pub(crate) fn after_challenge_write(
    store: &mut Store,
    uid: i64,
    ids: &[i64],
    state: Option<&str>,
) -> Result<(), SimFault> {
    if state == Some("inprogress") {
        recompute_users(store, ids)?;
        generate_goals(store, uid, ids)?;
    }
    Ok(())
}

/// `_recompute_challenge_users`: a challenge with a `user_domain` gets exactly the users it
/// selects now (active ones, as `res.users.search` does).
fn recompute_users(store: &mut Store, ids: &[i64]) -> Result<(), SimFault> {
    for &id in ids {
        let Some(text) = text(store, CHALLENGE, id, "user_domain").filter(|d| !d.trim().is_empty())
        else {
            continue;
        };
        let lit = parse_domain(&text, store, None)?;
        let users =
            Query::new(store, "res.users", &lit, None, true)?.ids(store, "res.users", None)?;
        if let Some(t) = store.table_mut(CHALLENGE) {
            t.set(id, "user_ids", Value::Ids(users));
        }
    }
    Ok(())
}

/// `start_end_date_for_period` on the server's today.
fn period_bounds(
    period: &str,
    today: NaiveDate,
    start: Option<NaiveDate>,
    end: Option<NaiveDate>,
) -> (Option<NaiveDate>, Option<NaiveDate>) {
    match period {
        "daily" => (Some(today), Some(today)),
        "weekly" => {
            let monday = today - Duration::days(i64::from(today.weekday().num_days_from_monday()));
            // Odoo's weekly window is 8 days: Monday to the next Monday.
            (Some(monday), Some(monday + Duration::days(7)))
        }
        "monthly" => {
            let first = today.with_day(1).unwrap_or(today);
            let next = if first.month() == 12 {
                NaiveDate::from_ymd_opt(first.year() + 1, 1, 1)
            } else {
                NaiveDate::from_ymd_opt(first.year(), first.month() + 1, 1)
            };
            (Some(first), next.and_then(|n| n.pred_opt()))
        }
        "yearly" => (
            NaiveDate::from_ymd_opt(today.year(), 1, 1),
            NaiveDate::from_ymd_opt(today.year(), 12, 31),
        ),
        _ => (start, end),
    }
}

/// `_generate_goals_from_challenge`: per line, the participants without a goal of the current
/// period get one (started "over the limit" so the first computation always writes), users
/// with a goal who are no longer participants lose every goal of the challenge, and the new
/// goals are computed.
fn generate_goals(store: &mut Store, uid: i64, ids: &[i64]) -> Result<(), SimFault> {
    let today = store.clock_now().date();
    for &challenge in ids {
        let period = text(store, CHALLENGE, challenge, "period").unwrap_or_default();
        let (start, end) = period_bounds(
            &period,
            today,
            date(store, CHALLENGE, challenge, "start_date"),
            date(store, CHALLENGE, challenge, "end_date"),
        );
        let round = GoalRound {
            challenge,
            start,
            end,
            participants: store
                .value(CHALLENGE, challenge, "user_ids")
                .map(|v| v.as_ids().to_vec())
                .unwrap_or_default(),
            remind: store
                .value(CHALLENGE, challenge, "remind_update_delay")
                .and_then(|v| v.as_i64())
                .filter(|&d| d != 0),
        };
        let mut created = Vec::new();
        let mut lines: Vec<i64> = store
            .all_ids(LINE)
            .into_iter()
            .filter(|&l| store.value(LINE, l, "challenge_id") == Some(Value::Many2one(challenge)))
            .collect();
        lines.sort_by_key(|&l| (int(store, LINE, l, "sequence"), l));
        for line in lines {
            created.extend(generate_line_goals(store, uid, &round, line));
        }
        update_goals(store, &created)?;
    }
    Ok(())
}

/// One challenge's goal generation for the current period.
struct GoalRound {
    challenge: i64,
    start: Option<NaiveDate>,
    end: Option<NaiveDate>,
    participants: Vec<i64>,
    /// `remind_update_delay` in days, when set.
    remind: Option<i64>,
}

/// One challenge line: drops every goal of the challenge held by users who left it, then
/// creates the participants' missing goals for the period; returns the new goal ids.
fn generate_line_goals(store: &mut Store, uid: i64, round: &GoalRound, line: i64) -> Vec<i64> {
    let GoalRound {
        challenge,
        start,
        end,
        ref participants,
        remind,
    } = *round;
    let with_goal: Vec<i64> = store
        .all_ids(GOAL)
        .into_iter()
        .filter(|&g| {
            store.value(GOAL, g, "line_id") == Some(Value::Many2one(line))
                && (start.is_none() || date(store, GOAL, g, "start_date") == start)
                && (end.is_none() || date(store, GOAL, g, "end_date") == end)
        })
        .filter_map(|g| store.value(GOAL, g, "user_id")?.as_many2one())
        .collect();
    let squatters: Vec<i64> = with_goal
        .iter()
        .copied()
        .filter(|u| !participants.contains(u))
        .collect();
    if !squatters.is_empty() {
        remove_user_goals(store, challenge, &squatters);
    }
    let Some(definition) = store
        .value(LINE, line, "definition_id")
        .and_then(|v| v.as_many2one())
    else {
        return Vec::new();
    };
    let target = float(store, LINE, line, "target_goal");
    let higher = text(store, DEFINITION, definition, "condition").as_deref() != Some("lower");
    let initial = if higher {
        (target - 1.0).min(0.0)
    } else {
        (target + 1.0).max(0.0)
    };
    let mut missing: Vec<i64> = participants
        .iter()
        .copied()
        .filter(|u| !with_goal.contains(u))
        .collect();
    missing.sort_unstable();
    missing.dedup();
    let mut created = Vec::with_capacity(missing.len());
    for user in missing {
        let mut values = vec![
            ("definition_id".to_owned(), Value::Many2one(definition)),
            ("line_id".to_owned(), Value::Many2one(line)),
            ("target_goal".to_owned(), Value::Float(target)),
            ("state".to_owned(), Value::Str("inprogress".to_owned())),
            ("current".to_owned(), Value::Float(initial)),
            ("user_id".to_owned(), Value::Many2one(user)),
        ];
        if let Some(s) = start {
            values.push(("start_date".to_owned(), Value::Str(s.to_string())));
        }
        if let Some(e) = end {
            values.push(("end_date".to_owned(), Value::Str(e.to_string())));
        }
        if let Some(days) = remind {
            values.push(("remind_update_delay".to_owned(), Value::Int(days)));
        }
        created.push(create_record(store, GOAL, values, uid));
    }
    created
}

/// Deletes every goal of `challenge` held by one of `users`.
fn remove_user_goals(store: &mut Store, challenge: i64, users: &[i64]) {
    let doomed: Vec<i64> = store
        .all_ids(GOAL)
        .into_iter()
        .filter(|&g| {
            store.value(GOAL, g, "challenge_id") == Some(Value::Many2one(challenge))
                && store
                    .value(GOAL, g, "user_id")
                    .and_then(|v| v.as_many2one())
                    .is_some_and(|u| users.contains(&u))
        })
        .collect();
    if let Some(t) = store.table_mut(GOAL) {
        for g in doomed {
            t.remove(g);
        }
    }
}

/// `update_goal` for `count` and `sum` definitions (manual and python ones are left as they
/// are, as Odoo leaves them without a reminder or code to run): one aggregate per goal,
/// period-bounded on the definition's date field, then `_get_write_values`.
pub(crate) fn update_goals(store: &mut Store, goals: &[i64]) -> Result<(), SimFault> {
    let today = store.clock_now().date();
    for &goal in goals {
        let Some(def) = store
            .value(GOAL, goal, "definition_id")
            .and_then(|v| v.as_many2one())
        else {
            continue;
        };
        let mode = text(store, DEFINITION, def, "computation_mode").unwrap_or_default();
        if mode != "count" && mode != "sum" {
            continue;
        }
        let Some(model) = m2o_text(store, DEFINITION, def, "model_id", "ir.model", "model") else {
            continue;
        };
        let user = store
            .value(GOAL, goal, "user_id")
            .and_then(|v| v.as_many2one())
            .unwrap_or(0);
        let batch = store
            .value(DEFINITION, def, "batch_mode")
            .and_then(|v| v.as_bool())
            == Some(true);
        let domain_text = text(store, DEFINITION, def, "domain").unwrap_or_else(|| "[]".into());
        let mut lit = if batch {
            // Batch: the general domain plus `distinctive field = user expression`.
            let mut items = match parse_domain(&domain_text, store, None)? {
                Lit::List(items) => items,
                other => vec![other],
            };
            if let (Some(field), Some(value)) = (
                m2o_text(
                    store,
                    DEFINITION,
                    def,
                    "batch_distinctive_field",
                    "ir.model.fields",
                    "name",
                ),
                batch_value(store, def, user),
            ) {
                items.push(leaf(&field, "=", Lit::Int(value)));
            }
            Lit::List(items)
        } else {
            parse_domain(&domain_text, store, Some(user))?
        };
        if let Some(date_field) = m2o_text(
            store,
            DEFINITION,
            def,
            "field_date_id",
            "ir.model.fields",
            "name",
        ) && let Lit::List(items) = &mut lit
        {
            if let Some(s) = date(store, GOAL, goal, "start_date") {
                items.push(leaf(&date_field, ">=", Lit::Str(s.to_string())));
            }
            if let Some(e) = date(store, GOAL, goal, "end_date") {
                items.push(leaf(&date_field, "<=", Lit::Str(e.to_string())));
            }
        }
        let ids = Query::new(store, &model, &lit, None, true)?.ids(store, &model, None)?;
        if batch && ids.is_empty() {
            // Batch mode reads one group per user: a user without records has no group, and
            // Odoo writes nothing (the goal keeps its initial value; recording 075, goal 6).
            continue;
        }
        let value = if mode == "count" {
            ids.len() as f64
        } else {
            let field = m2o_text(
                store,
                DEFINITION,
                def,
                "field_id",
                "ir.model.fields",
                "name",
            )
            .unwrap_or_default();
            ids.iter()
                .filter_map(|&id| store.value(&model, id, &field)?.as_f64())
                .sum()
        };
        write_goal_value(store, goal, def, value, today);
    }
    Ok(())
}

/// `_get_write_values` then `write`: nothing when the value is unchanged; reached when the
/// target is met; failed and closed when the end date has passed.
fn write_goal_value(store: &mut Store, goal: i64, def: i64, value: f64, today: NaiveDate) {
    if float(store, GOAL, goal, "current") == value {
        return;
    }
    let target = float(store, GOAL, goal, "target_goal");
    let higher = text(store, DEFINITION, def, "condition").as_deref() != Some("lower");
    let end = date(store, GOAL, goal, "end_date");
    let now = store.now();
    let Some(t) = store.table_mut(GOAL) else {
        return;
    };
    t.set(goal, "current", Value::Float(value));
    if (higher && value >= target) || (!higher && value <= target) {
        t.set(goal, "state", Value::Str("reached".into()));
    } else if end.is_some_and(|e| today > e) {
        t.set(goal, "state", Value::Str("failed".into()));
        t.set(goal, "closed", Value::Bool(true));
    }
    t.set(goal, "last_update", Value::Str(today.to_string()));
    t.set(goal, "write_date", Value::Str(now));
}

/// The value `batch_user_expression` gives for `user` (`user.id`, `user.partner_id.id`, ...).
fn batch_value(store: &Store, def: i64, user: i64) -> Option<i64> {
    let expr: String = text(store, DEFINITION, def, "batch_user_expression")?
        .split_whitespace()
        .collect();
    let path: Vec<String> = expr
        .strip_prefix("user.")?
        .split('.')
        .filter(|p| *p != "id")
        .map(str::to_owned)
        .collect();
    if path.is_empty() {
        return Some(user);
    }
    store.follow("res.users", user, &path).as_i64()
}

fn leaf(field: &str, op: &str, value: Lit) -> Lit {
    Lit::Tuple(vec![Lit::Str(field.into()), Lit::Str(op.into()), value])
}

/// A stored domain evaluated as Odoo's `safe_eval` does, with `user` the goal's user.
fn parse_domain(source: &str, store: &Store, user: Option<i64>) -> Result<Lit, SimFault> {
    let parsed = Domain::parse(source).map_err(|e| fault(&e))?;
    let mut env = Env::at(store.clock_now());
    if let Some(id) = user {
        let m2o = |f: &str| {
            store
                .value("res.users", id, f)
                .and_then(|v| v.as_many2one())
        };
        env = env.with_user(UserCtx {
            id,
            partner_id: m2o("partner_id").unwrap_or(0),
            company_id: m2o("company_id").unwrap_or(0),
            company_ids: store
                .value("res.users", id, "company_ids")
                .map(|v| v.as_ids().to_vec())
                .unwrap_or_default(),
            login: text(store, "res.users", id, "login").unwrap_or_default(),
            name: text(store, "res.users", id, "name").unwrap_or_default(),
        });
    }
    parsed
        .bind(&env)
        .and_then(|d| d.try_to_lit())
        .map_err(|e| fault(&e))
}

fn text(store: &Store, model: &str, id: i64, field: &str) -> Option<String> {
    store.value(model, id, field)?.as_str().map(str::to_owned)
}

fn date(store: &Store, model: &str, id: i64, field: &str) -> Option<NaiveDate> {
    text(store, model, id, field)?.get(..10)?.parse().ok()
}

fn float(store: &Store, model: &str, id: i64, field: &str) -> f64 {
    store
        .value(model, id, field)
        .and_then(|v| v.as_f64())
        .unwrap_or(0.0)
}

fn int(store: &Store, model: &str, id: i64, field: &str) -> i64 {
    store
        .value(model, id, field)
        .and_then(|v| v.as_i64())
        .unwrap_or(0)
}

/// A text field of the record a many2one points to (a definition's model name, field name).
fn m2o_text(
    store: &Store,
    model: &str,
    id: i64,
    field: &str,
    comodel: &str,
    target: &str,
) -> Option<String> {
    let other = store.value(model, id, field)?.as_many2one()?;
    text(store, comodel, other, target)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn periods_follow_odoo_start_end_date_for_period() {
        let today = d("2026-11-25"); // a Wednesday
        assert_eq!(
            period_bounds("monthly", today, None, None),
            (Some(d("2026-11-01")), Some(d("2026-11-30")))
        );
        assert_eq!(
            period_bounds("weekly", today, None, None),
            (Some(d("2026-11-23")), Some(d("2026-11-30")))
        );
        assert_eq!(
            period_bounds("yearly", today, None, None),
            (Some(d("2026-01-01")), Some(d("2026-12-31")))
        );
        assert_eq!(
            period_bounds("monthly", d("2026-12-06"), None, None),
            (Some(d("2026-12-01")), Some(d("2026-12-31")))
        );
        assert_eq!(
            period_bounds("once", today, Some(d("2026-01-05")), None),
            (Some(d("2026-01-05")), None)
        );
    }
}
