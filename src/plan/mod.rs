//! Change plans: what a job wants Odoo to hold that it does not hold yet, as plain data with a
//! reason per change. Engines build plans; `apply` journals and executes them.
//!
//! A plan only ever contains real changes: [`Plan::push_write`] drops fields whose new value
//! already equals the old one (see [`same_value`]), so a plan computed against an up-to-date
//! Odoo is empty and a second run writes nothing.

mod equal;
mod group;
mod key;
mod summary;
mod value_json;

use std::collections::{HashMap, HashSet};

pub use equal::same_value;
pub(crate) use group::indexed_write_groups;
pub use group::{CreateGroup, CreateItem, WriteGroup};
pub use key::{IdemKey, InvalidKey, MAX_KEY_LEN};
pub use summary::Summary;
pub use value_json::{
    DecodeValueError, decode_value, encode_value, value_from_json, value_to_json,
};

use crate::record::Value;

/// Field values in call order, as `write` and `create` take them.
pub type Values = Vec<(String, Value)>;

/// One field of one record: the value Odoo held when the plan was computed, and the wanted one.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldChange {
    pub field: String,
    pub old: Value,
    pub new: Value,
}

impl FieldChange {
    pub fn new(field: impl Into<String>, old: Value, new: Value) -> FieldChange {
        FieldChange {
            field: field.into(),
            old,
            new,
        }
    }

    /// Whether writing this change would leave Odoo as it is.
    pub fn is_noop(&self) -> bool {
        same_value(&self.old, &self.new)
    }
}

/// One planned effect on Odoo.
#[derive(Clone, Debug, PartialEq)]
pub enum Change {
    /// Set fields of an existing record. Idempotent: writing it twice is harmless.
    Write {
        model: String,
        id: i64,
        values: Vec<FieldChange>,
        reason: String,
    },
    /// Create a record (a badge grant, a karma entry). Not idempotent, hence the key: apply
    /// creates it only if no record carrying `key` exists yet.
    Create {
        model: String,
        values: Vec<(String, Value)>,
        key: IdemKey,
        reason: String,
    },
}

impl Change {
    pub fn model(&self) -> &str {
        match self {
            Change::Write { model, .. } | Change::Create { model, .. } => model,
        }
    }

    pub fn reason(&self) -> &str {
        match self {
            Change::Write { reason, .. } | Change::Create { reason, .. } => reason,
        }
    }
}

/// The changes one run of a job wants, in the order the engine produced them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Plan {
    pub job: String,
    changes: Vec<Change>,
    /// (model, id) → index of its `Write` in `changes`, so repeated writes merge.
    writes: HashMap<(String, i64), usize>,
    /// Keys already planned, so a repeated create is planned once.
    keys: HashSet<IdemKey>,
}

impl Plan {
    pub fn new(job: impl Into<String>) -> Plan {
        Plan {
            job: job.into(),
            ..Plan::default()
        }
    }

    /// A plan from changes in any order; the same normalisation as the `push_*` methods.
    pub fn from_changes(job: impl Into<String>, changes: impl IntoIterator<Item = Change>) -> Plan {
        let mut plan = Plan::new(job);
        for change in changes {
            plan.push(change);
        }
        plan
    }

    pub fn push(&mut self, change: Change) {
        match change {
            Change::Write {
                model,
                id,
                values,
                reason,
            } => self.push_write(model, id, values, reason),
            Change::Create {
                model,
                values,
                key,
                reason,
            } => self.push_create(model, values, key, reason),
        }
    }

    /// Plans a write of the fields whose new value differs from the old one; nothing when none
    /// does. A second write to the same record merges into the first: a field planned twice
    /// keeps its first `old` and takes the last `new`, and the reasons are joined with `"; "`.
    pub fn push_write(
        &mut self,
        model: impl Into<String>,
        id: i64,
        values: Vec<FieldChange>,
        reason: impl Into<String>,
    ) {
        let model = model.into();
        let reason = reason.into();
        if let Some(&index) = self.writes.get(&(model.clone(), id)) {
            if let Some(Change::Write {
                values: planned,
                reason: planned_reason,
                ..
            }) = self.changes.get_mut(index)
            {
                merge_fields(planned, values);
                if !reason.is_empty() && !planned_reason.split("; ").any(|r| r == reason) {
                    planned_reason.push_str("; ");
                    planned_reason.push_str(&reason);
                }
                if planned.is_empty() {
                    self.changes.remove(index);
                    self.reindex_writes();
                }
            }
            return;
        }
        let values: Vec<FieldChange> = dedup_fields(values)
            .into_iter()
            .filter(|c| !c.is_noop())
            .collect();
        if values.is_empty() {
            return;
        }
        self.writes.insert((model.clone(), id), self.changes.len());
        self.changes.push(Change::Write {
            model,
            id,
            values,
            reason,
        });
    }

    /// Plans a create; a key already planned in this plan is ignored.
    pub fn push_create(
        &mut self,
        model: impl Into<String>,
        values: Vec<(String, Value)>,
        key: IdemKey,
        reason: impl Into<String>,
    ) {
        if !self.keys.insert(key.clone()) {
            return;
        }
        self.changes.push(Change::Create {
            model: model.into(),
            values,
            key,
            reason: reason.into(),
        });
    }

    fn reindex_writes(&mut self) {
        self.writes = self
            .changes
            .iter()
            .enumerate()
            .filter_map(|(index, c)| match c {
                Change::Write { model, id, .. } => Some(((model.clone(), *id), index)),
                Change::Create { .. } => None,
            })
            .collect();
    }

    pub fn changes(&self) -> &[Change] {
        &self.changes
    }

    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// The planned writes, as (model, id, field changes, reason).
    pub fn writes(&self) -> impl Iterator<Item = (&str, i64, &[FieldChange], &str)> {
        self.changes.iter().filter_map(|c| match c {
            Change::Write {
                model,
                id,
                values,
                reason,
            } => Some((model.as_str(), *id, values.as_slice(), reason.as_str())),
            Change::Create { .. } => None,
        })
    }

    /// The planned creates, as (model, values, key, reason).
    pub fn creates(&self) -> impl Iterator<Item = (&str, &[(String, Value)], &IdemKey, &str)> {
        self.changes.iter().filter_map(|c| match c {
            Change::Create {
                model,
                values,
                key,
                reason,
            } => Some((model.as_str(), values.as_slice(), key, reason.as_str())),
            Change::Write { .. } => None,
        })
    }

    /// How many field changes the plan writes (one per record and field).
    pub fn field_change_count(&self) -> usize {
        self.writes().map(|(_, _, values, _)| values.len()).sum()
    }

    pub fn create_count(&self) -> usize {
        self.creates().count()
    }

    /// The writes grouped so that records sharing the same new values become one `write`
    /// call, split at `batch_size` ids. See [`WriteGroup`].
    pub fn write_groups(&self, batch_size: usize) -> Vec<WriteGroup> {
        group::write_groups(self, batch_size)
    }

    /// The creates grouped per model into batch `create` calls of at most `batch_size` records.
    pub fn create_groups(&self, batch_size: usize) -> Vec<CreateGroup> {
        group::create_groups(self, batch_size)
    }
}

/// Keeps one change per field: first `old`, last `new`.
fn dedup_fields(values: Vec<FieldChange>) -> Vec<FieldChange> {
    let mut out: Vec<FieldChange> = Vec::with_capacity(values.len());
    merge_fields(&mut out, values);
    out
}

fn merge_fields(planned: &mut Vec<FieldChange>, more: Vec<FieldChange>) {
    for change in more {
        match planned.iter_mut().find(|c| c.field == change.field) {
            Some(existing) => existing.new = change.new,
            None => planned.push(change),
        }
    }
    planned.retain(|c| !c.is_noop());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fc(field: &str, old: i64, new: i64) -> FieldChange {
        FieldChange::new(field, Value::Int(old), Value::Int(new))
    }

    #[test]
    fn noops_are_dropped() {
        let mut plan = Plan::new("scoring");
        plan.push_write("crm.lead", 1, vec![fc("x_score", 5, 5)], "same");
        plan.push_write(
            "crm.lead",
            2,
            vec![FieldChange::new("user_id", Value::Null, Value::Bool(false))],
            "empty",
        );
        assert!(plan.is_empty());
        plan.push_write(
            "crm.lead",
            3,
            vec![fc("x_score", 5, 5), fc("priority", 0, 3)],
            "hot",
        );
        assert_eq!(plan.field_change_count(), 1);
        assert_eq!(
            plan.changes()[0],
            Change::Write {
                model: "crm.lead".into(),
                id: 3,
                values: vec![fc("priority", 0, 3)],
                reason: "hot".into()
            }
        );
    }

    #[test]
    fn writes_to_one_record_merge() {
        let mut plan = Plan::new("scoring");
        plan.push_write("crm.lead", 1, vec![fc("x_score", 0, 10)], "rules");
        plan.push_write(
            "crm.lead",
            1,
            vec![fc("x_score", 10, 20), fc("priority", 0, 3)],
            "band",
        );
        let writes: Vec<_> = plan.writes().collect();
        assert_eq!(writes.len(), 1);
        assert_eq!(
            writes[0].2,
            &[fc("x_score", 0, 20), fc("priority", 0, 3)][..]
        );
        assert_eq!(writes[0].3, "rules; band");
        // Merging back to the original value makes the field a no-op again.
        plan.push_write("crm.lead", 1, vec![fc("priority", 3, 0)], "band");
        assert_eq!(plan.writes().next().unwrap().2, &[fc("x_score", 0, 20)][..]);
        plan.push_write("crm.lead", 1, vec![fc("x_score", 20, 0)], "reset");
        assert!(plan.is_empty());
        plan.push_write("crm.lead", 1, vec![fc("x_score", 0, 1)], "again");
        assert_eq!(plan.field_change_count(), 1);
    }

    #[test]
    fn a_key_is_planned_once() {
        let key = IdemKey::new("karma:rule=1:record=7").unwrap();
        let mut plan = Plan::new("karma");
        plan.push_create(
            "gamification.karma.tracking",
            vec![("new_value".into(), Value::Int(10))],
            key.clone(),
            "won",
        );
        plan.push_create(
            "gamification.karma.tracking",
            vec![("new_value".into(), Value::Int(99))],
            key,
            "again",
        );
        assert_eq!(plan.create_count(), 1);
        assert_eq!(plan.creates().next().unwrap().3, "won");
    }
}
