//! Grouping a plan into Odoo calls: every record of a model that gets the same new values is
//! written by one `write` (split into batches), and creates go in batch `create` calls. This
//! is what keeps a run cheap on the customer's Odoo: calls scale with distinct values, not
//! with records.

use std::collections::BTreeMap;

use super::intern::to_index;
use super::{IdemKey, Plan, Values, encode_value};
use crate::record::Value;

/// One `write(model, ids, values)` call.
#[derive(Clone, Debug, PartialEq)]
pub struct WriteGroup {
    pub model: String,
    /// Ascending, at most `batch_size` of them.
    pub ids: Vec<i64>,
    /// Sorted by field name.
    pub values: Vec<(String, Value)>,
}

/// One planned record of a batch `create`.
#[derive(Clone, Debug, PartialEq)]
pub struct CreateItem {
    pub key: IdemKey,
    pub values: Vec<(String, Value)>,
    pub reason: String,
}

/// One `create(model, [values, …])` call.
#[derive(Clone, Debug, PartialEq)]
pub struct CreateGroup {
    pub model: String,
    pub items: Vec<CreateItem>,
}

/// Groups are ordered by model, then by the encoded values (so the order does not depend on
/// the order the engine produced the changes in), then by batch.
pub(super) fn write_groups(plan: &Plan, batch_size: usize) -> Vec<WriteGroup> {
    indexed_write_groups(plan, batch_size)
        .into_iter()
        .map(|(group, _)| group)
        .collect()
}

/// The write groups, each with the plan positions of its records' writes (in the order of
/// `ids`; see `Plan::write_at`), so apply can journal without another per-record index.
///
/// The grouping key (model and canonical text of the sorted new values) is computed once per
/// signature, not per write: a plan of a million writes has a few hundred signatures.
pub fn indexed_write_groups(plan: &Plan, batch_size: usize) -> Vec<(WriteGroup, Vec<u32>)> {
    let batch_size = batch_size.max(1);
    // (model, canonical text) → group number, and each group's model and sorted values.
    let mut keys: BTreeMap<(&str, String), usize> = BTreeMap::new();
    let mut shapes: Vec<(&str, Values)> = Vec::new();
    let group_of: Vec<usize> = plan
        .sigs
        .iter()
        .map(|sig| {
            let model = plan.models.get(sig.model);
            let mut values: Values = sig
                .changes
                .iter()
                .map(|c| (c.field.clone(), c.new.clone()))
                .collect();
            values.sort_by(|a, b| a.0.cmp(&b.0));
            let canonical = canonical_text(&values);
            *keys.entry((model, canonical)).or_insert_with(|| {
                shapes.push((model, values));
                shapes.len() - 1
            })
        })
        .collect();
    let mut members: Vec<Vec<u32>> = vec![Vec::new(); shapes.len()];
    for (slot, s) in plan.slots.iter().enumerate() {
        if plan.write_sig(s).is_none() {
            continue;
        }
        if let Some(&group) = group_of.get(s.sig as usize) {
            members[group].push(to_index(slot));
        }
    }
    let id_of = |slot: u32| plan.slots.get(slot as usize).map_or(0, |s| s.id);
    let mut groups = Vec::new();
    for &group in keys.values() {
        let (model, values) = &shapes[group];
        let mut slots = std::mem::take(&mut members[group]);
        // A plan holds one write per record, so ids are unique within a model; engines
        // usually push in id order, which this sort finds already done.
        slots.sort_by_key(|&slot| id_of(slot));
        for chunk in slots.chunks(batch_size) {
            let group = WriteGroup {
                model: (*model).to_owned(),
                ids: chunk.iter().map(|&slot| id_of(slot)).collect(),
                values: values.clone(),
            };
            groups.push((group, chunk.to_vec()));
        }
    }
    groups
}

fn canonical_text(values: &[(String, Value)]) -> String {
    let mut text = String::new();
    for (field, value) in values {
        // Field names cannot contain NUL, so the separators cannot collide.
        text.push_str(field);
        text.push('\0');
        text.push_str(&encode_value(value));
        text.push('\0');
    }
    text
}

/// Creates keep the engine's order within a model (karma entries are chronological); models
/// are sorted.
pub(super) fn create_groups(plan: &Plan, batch_size: usize) -> Vec<CreateGroup> {
    let batch_size = batch_size.max(1);
    let mut by_model: BTreeMap<&str, Vec<CreateItem>> = BTreeMap::new();
    for (model, values, key, reason) in plan.creates() {
        by_model.entry(model).or_default().push(CreateItem {
            key: key.clone(),
            values: values.to_vec(),
            reason: reason.to_owned(),
        });
    }
    let mut groups = Vec::new();
    for (model, items) in by_model {
        for chunk in items.chunks(batch_size) {
            groups.push(CreateGroup {
                model: model.to_owned(),
                items: chunk.to_vec(),
            });
        }
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::super::FieldChange;
    use super::*;

    fn score_plan(order: &[i64]) -> Plan {
        let mut plan = Plan::new("scoring");
        for &id in order {
            let score = [10, 20, 30][(id % 3) as usize];
            plan.push_write(
                "crm.lead",
                id,
                vec![FieldChange::new(
                    "x_score",
                    Value::Int(0),
                    Value::Int(score),
                )],
                "rules",
            );
        }
        plan
    }

    #[test]
    fn ten_leads_three_values_three_writes() {
        let plan = score_plan(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        let groups = plan.write_groups(100);
        assert_eq!(groups.len(), 3);
        let got: Vec<(Vec<i64>, Value)> = groups
            .iter()
            .map(|g| (g.ids.clone(), g.values[0].1.clone()))
            .collect();
        assert_eq!(
            got,
            vec![
                (vec![3, 6, 9], Value::Int(10)),
                (vec![1, 4, 7, 10], Value::Int(20)),
                (vec![2, 5, 8], Value::Int(30)),
            ]
        );
    }

    #[test]
    fn batches_split_and_order_is_deterministic() {
        let forward = score_plan(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        let backward = score_plan(&[10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
        let groups = forward.write_groups(2);
        assert_eq!(groups, backward.write_groups(2));
        let sizes: Vec<usize> = groups.iter().map(|g| g.ids.len()).collect();
        assert_eq!(sizes, vec![2, 1, 2, 2, 2, 1]);
        assert_eq!(groups[2].ids, vec![1, 4]);
        assert_eq!(groups[3].ids, vec![7, 10]);
    }

    #[test]
    fn records_group_by_their_whole_value_set() {
        let mut plan = Plan::new("scoring");
        let hot = || {
            vec![
                FieldChange::new("x_score", Value::Int(0), Value::Int(90)),
                FieldChange::new("priority", Value::Str("0".into()), Value::Str("3".into())),
            ]
        };
        plan.push_write("crm.lead", 1, hot(), "hot");
        plan.push_write("crm.lead", 2, hot(), "hot");
        plan.push_write(
            "crm.lead",
            3,
            vec![FieldChange::new("x_score", Value::Int(0), Value::Int(90))],
            "score only",
        );
        plan.push_write(
            "res.partner",
            1,
            vec![FieldChange::new("x_score", Value::Int(0), Value::Int(90))],
            "other model",
        );
        let groups = plan.write_groups(10);
        assert_eq!(groups.len(), 3);
        assert_eq!(groups[0].model, "crm.lead");
        assert_eq!(groups[0].ids, vec![1, 2]);
        assert_eq!(groups[0].values[0].0, "priority");
        assert_eq!(groups[1].ids, vec![3]);
        assert_eq!(groups[2].model, "res.partner");
    }

    #[test]
    fn creates_batch_per_model_in_plan_order() {
        let mut plan = Plan::new("karma");
        for i in [5, 1, 3] {
            plan.push_create(
                "gamification.karma.tracking",
                vec![("new_value".into(), Value::Int(i))],
                IdemKey::new(format!("karma:record={i}")).unwrap(),
                "won",
            );
        }
        plan.push_create(
            "gamification.badge.user",
            vec![],
            IdemKey::new("badge:1").unwrap(),
            "top",
        );
        let groups = plan.create_groups(2);
        let shape: Vec<(&str, Vec<&str>)> = groups
            .iter()
            .map(|g| {
                (
                    g.model.as_str(),
                    g.items.iter().map(|i| i.key.as_str()).collect(),
                )
            })
            .collect();
        assert_eq!(
            shape,
            vec![
                ("gamification.badge.user", vec!["badge:1"]),
                (
                    "gamification.karma.tracking",
                    vec!["karma:record=5", "karma:record=1"]
                ),
                ("gamification.karma.tracking", vec!["karma:record=3"]),
            ]
        );
    }
}
