//! Duplicates of the records scorekeeper keeps exactly once: goals (one per challenge line,
//! user and period), badge grants and karma entries (one per idempotency key, in `x_sk_key` or
//! as the older `[sk:…]` marker). However they arose (an older version, a restored database, a
//! request that ran after its deadline), `scorekeeper check` reports them. Repairing them is
//! not built yet.

use std::collections::BTreeMap;

use crate::jobs::gamification::{KEY_FIELD, key_fields};
use crate::odoo::{OdooClient, OdooError, leaf};
use crate::xmlrpc::Value;

/// One group of records that should be one record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Duplicate {
    pub model: &'static str,
    /// What they share, for people: `line 5, user 32, 2026-11-01..2026-11-30` or the key.
    pub what: String,
    pub ids: Vec<i64>,
}

fn m2o(row: &crate::xmlrpc::Struct, field: &str) -> Option<i64> {
    match row.get(field)? {
        Value::Array(pair) => pair.first()?.as_i64(),
        Value::Int(id) => Some(*id),
        _ => None,
    }
}

fn text(row: &crate::xmlrpc::Struct, field: &str) -> Option<String> {
    row.get(field)?.as_str().map(str::to_owned)
}

/// The key inside the first `[sk:…]` marker starting with `prefix` (e.g. `karma:`).
fn marker_key(body: &str, prefix: &str) -> Option<String> {
    let start = body.find(&format!("[sk:{prefix}"))? + 4;
    let len = body[start..].find(']')?;
    Some(body[start..start + len].to_owned())
}

/// Every group of duplicates among goals, badge grants and karma entries.
pub async fn duplicates(client: &OdooClient) -> Result<Vec<Duplicate>, OdooError> {
    let mut out = Vec::new();
    let goals = client
        .search_read_all(
            "gamification.goal",
            vec![leaf("line_id", "!=", false)],
            &["id", "line_id", "user_id", "start_date", "end_date"],
        )
        .await?;
    let mut by_slot: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for g in &goals {
        let (Some(id), Some(line), Some(user)) = (
            g.get("id").and_then(Value::as_i64),
            m2o(g, "line_id"),
            m2o(g, "user_id"),
        ) else {
            continue;
        };
        let period = format!(
            "{}..{}",
            text(g, "start_date").unwrap_or_default(),
            text(g, "end_date").unwrap_or_default()
        );
        by_slot
            .entry(format!("line {line}, user {user}, {period}"))
            .or_default()
            .push(id);
    }
    push_groups(&mut out, "gamification.goal", by_slot);

    let fields = key_fields(client).await?;
    for (model, body_field, prefix) in [
        ("gamification.badge.user", "comment", "badge:"),
        ("gamification.karma.tracking", "reason", "karma:"),
    ] {
        let legacy = leaf(body_field, "ilike", format!("[sk:{prefix}").as_str());
        let (domain, wanted) = if fields.has(model) {
            (
                vec![Value::from("|"), leaf(KEY_FIELD, "!=", false), legacy],
                vec!["id", body_field, KEY_FIELD],
            )
        } else {
            (vec![legacy], vec!["id", body_field])
        };
        let rows = client.search_read_all(model, domain, &wanted).await?;
        let mut by_key: BTreeMap<String, Vec<i64>> = BTreeMap::new();
        for r in &rows {
            let Some(id) = r.get("id").and_then(Value::as_i64) else {
                continue;
            };
            let key = text(r, KEY_FIELD)
                .or_else(|| text(r, body_field).and_then(|b| marker_key(&b, prefix)));
            if let Some(key) = key {
                by_key.entry(format!("key {key}")).or_default().push(id);
            }
        }
        push_groups(&mut out, model, by_key);
    }
    Ok(out)
}

fn push_groups(out: &mut Vec<Duplicate>, model: &'static str, groups: BTreeMap<String, Vec<i64>>) {
    for (what, mut ids) in groups {
        if ids.len() > 1 {
            ids.sort_unstable();
            out.push(Duplicate { model, what, ids });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_are_found_by_their_prefix() {
        assert_eq!(
            marker_key("Won deal [sk:karma:rule=won:rec=crm.lead/7:n=1]", "karma:"),
            Some("karma:rule=won:rec=crm.lead/7:n=1".to_owned())
        );
        assert_eq!(marker_key("Good job [sk:badge:x=1]", "karma:"), None);
        assert_eq!(marker_key("no marker", "badge:"), None);
    }
}
