//! Duplicates of the records scorekeeper keeps exactly once: goals (one per challenge line,
//! user and period), badge grants and karma entries (one per idempotency key, in `x_sk_key` or
//! as the older `[sk:…]` marker). However they arose (an older version, a restored database, a
//! request that ran after its deadline), `scorekeeper check` reports them; the gamification
//! job repairs those it reads (goals of current periods, grants of its challenges' badges,
//! every keyed karma entry) with journaled, undoable changes.

use std::collections::BTreeMap;

use crate::jobs::gamification::{GamificationError, KEY_FIELD, Row, key_fields, marker_key};
use crate::odoo::{OdooClient, leaf};
use crate::xmlrpc::Value;

/// One group of records that should be one record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Duplicate {
    pub model: &'static str,
    /// What they share, for people: `line 5, user 32, 2026-11-01..2026-11-30` or the key.
    pub what: String,
    pub ids: Vec<i64>,
}

/// Every group of duplicates among goals, badge grants and karma entries.
pub async fn duplicates(client: &OdooClient) -> Result<Vec<Duplicate>, GamificationError> {
    const GOAL: &str = "gamification.goal";
    let mut out = Vec::new();
    let goals = client
        .search_read_all(
            GOAL,
            vec![leaf("line_id", "!=", false)],
            &["id", "line_id", "user_id", "start_date", "end_date"],
        )
        .await?;
    let mut by_slot: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for g in &goals {
        let row = Row::new(GOAL, g);
        let (Some(line), Some(user)) = (row.m2o_id("line_id")?, row.m2o_id("user_id")?) else {
            continue;
        };
        let day = |f: &str| -> Result<String, GamificationError> {
            Ok(row.date(f)?.map(|d| d.to_string()).unwrap_or_default())
        };
        let slot = format!(
            "line {line}, user {user}, {}..{}",
            day("start_date")?,
            day("end_date")?
        );
        by_slot.entry(slot).or_default().push(row.id()?);
    }
    push_groups(&mut out, GOAL, by_slot);

    let fields = key_fields(client).await?;
    for (model, body_field, prefix) in [
        ("gamification.badge.user", "comment", "[sk:badge:"),
        ("gamification.karma.tracking", "reason", "[sk:karma:"),
    ] {
        let legacy = leaf(body_field, "ilike", prefix);
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
            let row = Row::new(model, r);
            let in_field = if fields.has(model) {
                row.text(KEY_FIELD)?
            } else {
                None
            };
            let key = match in_field {
                Some(key) => Some(key),
                None => row
                    .text(body_field)?
                    .and_then(|body| marker_key(&body, prefix))
                    .map(|k| k.as_str().to_owned()),
            };
            if let Some(key) = key {
                by_key
                    .entry(format!("key {key}"))
                    .or_default()
                    .push(row.id()?);
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
