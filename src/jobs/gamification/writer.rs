//! Where the gamification models keep their idempotency keys, as the table the one client
//! writer ([`crate::odoo::ClientWriter`]) takes: a goal's key is its (line, user, period),
//! recomputed from those fields; badge grants and karma entries carry theirs in `x_sk_key`,
//! or, in databases `setup` has not provisioned yet, as a marker in `comment` / `reason`.

use crate::odoo::{DerivedKey, KeyLookup, Row, leaf};
use crate::plan::IdemKey;
use crate::xmlrpc::Value;

use super::keys::{KEY_FIELD, KEYED_MODELS};
use super::plan::GOAL;

/// The key of a goal: `goal:line=<id>:user=<id>:period=<start>..<end>`.
pub(crate) fn goal_key(
    line: i64,
    user: i64,
    period: &str,
) -> Result<IdemKey, crate::plan::InvalidKey> {
    IdemKey::new(format!("goal:line={line}:user={user}:period={period}"))
}

/// A goal key's line and user (`None`: not a goal key, e.g. undo's `restore:` keys).
fn line_and_user(key: &IdemKey) -> Option<(i64, i64)> {
    let rest = key.as_str().strip_prefix("goal:line=")?;
    let (line, rest) = rest.split_once(":user=")?;
    let (user, _period) = rest.split_once(":period=")?;
    Some((line.parse().ok()?, user.parse().ok()?))
}

/// The goals that may carry `keys`: those of their lines and users.
fn goal_domain(keys: &[IdemKey]) -> Vec<Value> {
    let (lines, users): (Vec<Value>, Vec<Value>) = keys
        .iter()
        .filter_map(line_and_user)
        .map(|(l, u)| (Value::Int(l), Value::Int(u)))
        .unzip();
    vec![
        leaf("line_id", "in", Value::Array(lines)),
        leaf("user_id", "in", Value::Array(users)),
    ]
}

/// The key a goal carries (`None` when its line or user is empty, or a field is unreadable).
fn goal_key_of(row: &Row<'_>) -> Option<IdemKey> {
    let line = row.m2o_id("line_id").ok()??;
    let user = row.m2o_id("user_id").ok()??;
    // An open end of the period shows empty, as `Bounds::label` (which made the key) does.
    let show = |f: &str| {
        row.date(f)
            .ok()
            .flatten()
            .map_or_else(String::new, |d| d.to_string())
    };
    goal_key(
        line,
        user,
        &format!("{}..{}", show("start_date"), show("end_date")),
    )
    .ok()
}

/// Where every gamification model the job creates keeps its keys.
pub(crate) fn key_lookups() -> Vec<(&'static str, KeyLookup)> {
    let mut table = vec![(
        GOAL,
        KeyLookup::Derived(DerivedKey {
            fields: &["line_id", "user_id", "start_date", "end_date"],
            domain: goal_domain,
            key_of: goal_key_of,
        }),
    )];
    // Level bonuses (incidental amounts) carry their key as a marker in the name.
    table.push((
        crate::pay::DEFAULT_INCIDENTAL_MODEL,
        KeyLookup::Marker { text: "x_name" },
    ));
    table.extend(KEYED_MODELS.iter().map(|(model, text)| {
        (
            *model,
            KeyLookup::Field {
                field: KEY_FIELD,
                legacy_text: Some(*text),
            },
        )
    }));
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_goal_key_names_line_and_user_and_other_keys_name_none() {
        let key = goal_key(3, 7, "2026-12-01..2026-12-31").unwrap();
        assert_eq!(line_and_user(&key), Some((3, 7)));
        let restore = IdemKey::new("restore:run-1:4").unwrap();
        assert_eq!(line_and_user(&restore), None);
        assert_eq!(
            goal_domain(&[key, restore]),
            vec![
                leaf("line_id", "in", Value::Array(vec![Value::Int(3)])),
                leaf("user_id", "in", Value::Array(vec![Value::Int(7)])),
            ]
        );
    }
}
