//! Values Odoo computes rather than stores, reproduced for the fields the daemon reads:
//! display names, goal completeness, and the stored computations refreshed on write
//! (a goal's `challenge_id`, a user's karma and rank).

use super::store::Store;
use crate::record::Value;

/// Odoo's display name of a record, when a rule gives one (else the caller uses hints).
pub(crate) fn display_name(store: &Store, model: &str, id: i64) -> Option<String> {
    let text = |field: &str| match store.value(model, id, field) {
        Some(Value::Str(s)) => Some(s),
        _ => None,
    };
    let via = |field: &str| match store.value(model, id, field) {
        Some(Value::Many2one(other)) => {
            let comodel = store.registry().field(model, field)?.relation.clone()?;
            Some(store.display_name(&comodel, other))
        }
        _ => None,
    };
    match model {
        // A user is named after its partner (the partner's own name, not "Company, Name").
        "res.users" => match store.value(model, id, "partner_id") {
            Some(Value::Many2one(p)) => match store.value("res.partner", p, "name") {
                Some(Value::Str(s)) => Some(s),
                _ => None,
            },
            _ => None,
        },
        "res.partner" => text("complete_name").or_else(|| text("name")),
        // A custom model is named by its x_name (Odoo's `_rec_name` of manual models;
        // custom-models/034).
        m if m.starts_with("x_") => text("x_name"),
        "gamification.goal" | "gamification.challenge.line" => via("definition_id"),
        "product.product" => Some(super::products::display_name(
            text("default_code").as_deref(),
            &text("name")?,
        )),
        "ir.model.fields" => {
            let label = text("field_description")?;
            let owner = text("model")?;
            Some(format!(
                "{label} ({})",
                store.registry().description(&owner)
            ))
        }
        _ => text("name"),
    }
}

/// Non-stored computed fields the simulator reproduces; `None` = not one of them.
pub(crate) fn value(store: &Store, model: &str, id: i64, field: &str) -> Option<Value> {
    match (model, field) {
        ("gamification.goal", "completeness") => Some(Value::Float(completeness(store, id))),
        // Users of the team's active memberships.
        ("crm.team", "member_ids") => {
            let members = store.inverse_ids("crm.team.member", "crm_team_id", id);
            let mut users: Vec<i64> = members
                .into_iter()
                .filter(|&m| {
                    store.value("crm.team.member", m, "active") != Some(Value::Bool(false))
                })
                .filter_map(|m| store.value("crm.team.member", m, "user_id")?.as_many2one())
                .collect();
            users.dedup();
            Some(Value::Ids(users))
        }
        // The team's capacity: the sum of its active members' monthly maximums.
        ("crm.team", "assignment_max") => {
            let total = store
                .inverse_ids("crm.team.member", "crm_team_id", id)
                .into_iter()
                .filter(|&m| {
                    store.value("crm.team.member", m, "active") != Some(Value::Bool(false))
                })
                .filter_map(|m| {
                    store
                        .value("crm.team.member", m, "assignment_max")?
                        .as_i64()
                })
                .sum();
            Some(Value::Int(total))
        }
        ("crm.team.member", "lead_month_count") => Some(Value::Int(leads_opened_since(
            store,
            id,
            chrono::Duration::days(30),
        ))),
        // Odoo 18/19 `_compute_lead_day_count`: the same count over the last 24 hours.
        ("crm.team.member", "lead_day_count") => Some(Value::Int(leads_opened_since(
            store,
            id,
            chrono::Duration::hours(24),
        ))),
        // Odoo 19: every group of the user, implied ones included (`group_ids` holds the
        // direct ones; res.groups `implied_ids`, followed transitively).
        ("res.users", "all_group_ids") => Some(Value::Ids(all_groups(store, id))),
        _ => None,
    }
}

/// A user's groups and every group they imply, ascending.
pub(crate) fn all_groups(store: &Store, user: i64) -> Vec<i64> {
    let mut todo: Vec<i64> = store
        .value("res.users", user, "group_ids")
        .map(|v| v.as_ids().to_vec())
        .unwrap_or_default();
    let mut seen = std::collections::BTreeSet::new();
    while let Some(g) = todo.pop() {
        if seen.insert(g)
            && let Some(v) = store.value("res.groups", g, "implied_ids")
        {
            todo.extend(v.as_ids().iter().copied());
        }
    }
    seen.into_iter().collect()
}

/// Leads (archived included) of the member's team and user opened within `window` of now.
fn leads_opened_since(store: &Store, member: i64, window: chrono::Duration) -> i64 {
    let m2o = |f: &str| {
        store
            .value("crm.team.member", member, f)
            .and_then(|v| v.as_many2one())
    };
    let (Some(user), Some(team)) = (m2o("user_id"), m2o("crm_team_id")) else {
        return 0;
    };
    let since = ((store.clock)() - window)
        .format(crate::record::datetime::DATETIME_FORMAT)
        .to_string();
    let lead = "crm.lead";
    store
        .all_ids(lead)
        .into_iter()
        .filter(|&l| {
            store.value(lead, l, "user_id") == Some(Value::Many2one(user))
                && store.value(lead, l, "team_id") == Some(Value::Many2one(team))
                && matches!(store.value(lead, l, "date_open"), Some(Value::Str(d)) if d >= since)
        })
        .count() as i64
}

/// `_get_completion`: `higher` → 100 when reached, else the rounded percentage;
/// `lower` → 100 only when strictly below the target.
fn completeness(store: &Store, goal: i64) -> f64 {
    let num = |f: &str| {
        store
            .value("gamification.goal", goal, f)
            .and_then(|v| v.as_f64())
            .unwrap_or(0.0)
    };
    let (current, target) = (num("current"), num("target_goal"));
    let condition = match store.value("gamification.goal", goal, "definition_id") {
        Some(Value::Many2one(d)) => store
            .value("gamification.goal.definition", d, "condition")
            .and_then(|v| v.as_str().map(str::to_owned)),
        _ => None,
    };
    if condition.as_deref() == Some("lower") {
        if current < target { 100.0 } else { 0.0 }
    } else if current >= target {
        100.0
    } else if target != 0.0 {
        (100.0 * current / target * 100.0).round() / 100.0
    } else {
        0.0
    }
}

/// crm.lead's stored `day_open`/`day_close`: `abs((date - create_date).days)` with Python's
/// `timedelta.days` (floored, before `abs`), empty when either date is.
fn lead_days(store: &Store, id: i64, date_field: &str) -> Value {
    let parse = |f: &str| match store.value("crm.lead", id, f) {
        Some(Value::Str(s)) => chrono::NaiveDateTime::parse_from_str(
            s.get(..19).unwrap_or(&s),
            crate::record::datetime::DATETIME_FORMAT,
        )
        .ok(),
        _ => None,
    };
    match (parse(date_field), parse("create_date")) {
        (Some(date), Some(created)) => {
            let days = (date - created).num_seconds().div_euclid(86_400);
            Value::Float(days.unsigned_abs() as f64)
        }
        _ => Value::Null,
    }
}

/// Stored computations to refresh after `model` records `ids` were created or written.
pub(crate) fn after_change(store: &mut Store, model: &str, ids: &[i64], fields: &[String]) {
    match model {
        "gamification.goal" if fields.iter().any(|f| f == "line_id") => {
            for &id in ids {
                let challenge = store.follow(
                    model,
                    id,
                    &["line_id".to_owned(), "challenge_id".to_owned()],
                );
                if let Some(t) = store.table_mut(model) {
                    t.set(id, "challenge_id", challenge);
                }
            }
        }
        "crm.lead"
            if fields
                .iter()
                .any(|f| matches!(f.as_str(), "date_open" | "date_closed" | "create_date")) =>
        {
            for &id in ids {
                for (days, date) in [("day_open", "date_open"), ("day_close", "date_closed")] {
                    let value = lead_days(store, id, date);
                    if let Some(t) = store.table_mut(model) {
                        t.set(id, days, value);
                    }
                }
            }
        }
        "gamification.karma.tracking" => {
            let mut users: Vec<i64> = ids
                .iter()
                .filter_map(|&id| store.value(model, id, "user_id")?.as_many2one())
                .collect();
            users.sort_unstable();
            users.dedup();
            for uid in users {
                recompute_karma(store, uid);
            }
        }
        _ => {}
    }
}

/// The values Odoo's `write` overrides add (crm.lead: closing date from probability or
/// archiving, assignment and stage dates).
pub(crate) fn write_side_effects(model: &str, values: &mut Vec<(String, Value)>, now: &str) {
    if model != "crm.lead" {
        return;
    }
    let get = |values: &Vec<(String, Value)>, k: &str| {
        values.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
    };
    let set = |values: &mut Vec<(String, Value)>, k: &str, v: Value| match values
        .iter_mut()
        .find(|(n, _)| n == k)
    {
        Some(slot) => slot.1 = v,
        None => values.push((k.to_owned(), v)),
    };
    let probability = get(values, "probability").and_then(|v| v.as_f64());
    let archived = get(values, "active") == Some(Value::Bool(false));
    if probability.is_some_and(|p| p >= 100.0) || archived {
        set(values, "date_closed", Value::Str(now.to_owned()));
    } else if probability.is_some_and(|p| p > 0.0) {
        set(values, "date_closed", Value::Null);
    }
    if get(values, "stage_id").is_some_and(|v| !v.is_null()) {
        set(values, "date_last_stage_update", Value::Str(now.to_owned()));
    }
    if get(values, "user_id").is_some_and(|v| !v.is_null()) && get(values, "date_open").is_none() {
        set(values, "date_open", Value::Str(now.to_owned()));
    }
}

/// A karma written on a user becomes a tracking (`old` = current karma), as in Odoo.
pub(crate) fn track_karma(store: &mut Store, uid: i64, karma: i64, writer: i64) {
    let current = store
        .value("res.users", uid, "karma")
        .and_then(|v| v.as_i64())
        .unwrap_or(0);
    if current == karma || !store.exists("res.users", uid) {
        return;
    }
    let writer_name = store.display_name("res.users", writer);
    super::create::create_record(
        store,
        "gamification.karma.tracking",
        vec![
            ("user_id".to_owned(), Value::Many2one(uid)),
            ("old_value".to_owned(), Value::Int(current)),
            ("new_value".to_owned(), Value::Int(karma)),
            (
                "reason".to_owned(),
                Value::Str(format!("Add Manually ({writer_name} #{writer})")),
            ),
            (
                "origin_ref".to_owned(),
                Value::Str(format!("res.users,{writer}")),
            ),
            (
                "origin_ref_model_name".to_owned(),
                Value::Str("res.users".to_owned()),
            ),
        ],
        writer,
    );
}

/// karma = `new_value` of the user's newest tracking (`tracking_date desc, id desc`).
pub(crate) fn recompute_karma(store: &mut Store, uid: i64) {
    let model = "gamification.karma.tracking";
    let newest = store
        .all_ids(model)
        .into_iter()
        .filter(|&t| store.value(model, t, "user_id") == Some(Value::Many2one(uid)))
        .max_by(|&a, &b| {
            let date = |t| match store.value(model, t, "tracking_date") {
                Some(Value::Str(s)) => s,
                _ => String::new(),
            };
            date(a).cmp(&date(b)).then(a.cmp(&b))
        });
    let karma = newest
        .and_then(|t| store.value(model, t, "new_value")?.as_i64())
        .unwrap_or(0);
    if let Some(t) = store.table_mut("res.users") {
        t.set(uid, "karma", Value::Int(karma));
    }
    recompute_rank(store, uid, karma);
}

/// `_recompute_rank` for one user: the highest rank whose `karma_min` the karma reaches.
fn recompute_rank(store: &mut Store, uid: i64, karma: i64) {
    let rank_model = "gamification.karma.rank";
    let mut ranks: Vec<(i64, i64)> = store
        .all_ids(rank_model)
        .into_iter()
        .map(|r| {
            let min = store
                .value(rank_model, r, "karma_min")
                .and_then(|v| v.as_i64())
                .unwrap_or(0);
            (min, r)
        })
        .collect();
    if ranks.is_empty() {
        return;
    }
    ranks.sort_unstable();
    let Some(t) = store.table_mut("res.users") else {
        return;
    };
    if karma == 0 {
        t.set(uid, "next_rank_id", Value::Many2one(ranks[0].1));
        return;
    }
    if let Some(pos) = ranks.iter().rposition(|&(min, _)| karma >= min) {
        t.set(uid, "rank_id", Value::Many2one(ranks[pos].1));
        let next = ranks
            .get(pos + 1)
            .map_or(Value::Null, |r| Value::Many2one(r.1));
        t.set(uid, "next_rank_id", next);
    }
}
