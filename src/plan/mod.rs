//! Change plans: what a job wants Odoo to hold that it does not hold yet, as plain data with a
//! reason per change. Engines build plans; `apply` journals and executes them.
//!
//! A plan only ever contains real changes: [`Plan::push_write`] drops fields whose new value
//! already equals the old one (see [`same_value`]), so a plan computed against an up-to-date
//! Odoo is empty and a second run writes nothing.

mod equal;
mod group;
mod intern;
mod key;
mod names;
mod summary;
mod value_json;

use std::collections::{HashMap, HashSet};
use std::fmt;

pub use equal::same_value;
pub use group::indexed_write_groups;
pub use group::{CreateGroup, CreateItem, WriteGroup};
pub use key::{IdemKey, InvalidKey, MAX_KEY_LEN};
pub use names::{Names, Wanted};
pub use summary::Summary;
pub use value_json::{
    DecodeValueError, decode_value, encode_value, value_from_json, value_to_json,
};

use crate::record::Value;
use intern::{Signature, Signatures, Strings, to_index};

/// Field values in call order, as `write` and `create` take them.
pub(crate) type Values = Vec<(String, Value)>;

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
    pub(crate) fn is_noop(&self) -> bool {
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
    /// Delete a record (a duplicate of a keyed record, repaired). `values` are what it holds,
    /// journaled so that undo can create it again.
    Unlink {
        model: String,
        id: i64,
        values: Vec<(String, Value)>,
        reason: String,
    },
}

impl Change {
    pub fn model(&self) -> &str {
        match self {
            Change::Write { model, .. }
            | Change::Create { model, .. }
            | Change::Unlink { model, .. } => model,
        }
    }
}

/// A planned change as stored in a [`Plan`], borrowed: what [`Change`] holds, without the
/// copies. [`Plan::iter`] yields these.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum ChangeRef<'a> {
    Write {
        model: &'a str,
        id: i64,
        values: &'a [FieldChange],
        reason: &'a str,
    },
    Create {
        model: &'a str,
        values: &'a [(String, Value)],
        key: &'a IdemKey,
        reason: &'a str,
    },
    Unlink {
        model: &'a str,
        id: i64,
        values: &'a [(String, Value)],
        reason: &'a str,
    },
}

impl ChangeRef<'_> {
    pub(crate) fn to_change(self) -> Change {
        match self {
            ChangeRef::Write {
                model,
                id,
                values,
                reason,
            } => Change::Write {
                model: model.to_owned(),
                id,
                values: values.to_vec(),
                reason: reason.to_owned(),
            },
            ChangeRef::Create {
                model,
                values,
                key,
                reason,
            } => Change::Create {
                model: model.to_owned(),
                values: values.to_vec(),
                key: key.clone(),
                reason: reason.to_owned(),
            },
            ChangeRef::Unlink {
                model,
                id,
                values,
                reason,
            } => Change::Unlink {
                model: model.to_owned(),
                id,
                values: values.to_vec(),
                reason: reason.to_owned(),
            },
        }
    }
}

/// `Slot::sig` of a create: `reason` is then its index in `Plan::creates`.
const CREATE: u32 = u32::MAX;
/// `Slot::sig` of a write that merged into nothing; skipped everywhere.
const GONE: u32 = u32::MAX - 1;
/// `Slot::sig` of an unlink: `reason` is then its index in `Plan::unlinks`.
const UNLINK: u32 = u32::MAX - 2;

/// One planned change in engine order, 16 bytes: a write is its record id, its signature
/// (model and field changes) and its reason, the last two as table indices.
#[derive(Clone, Copy, Debug)]
struct Slot {
    id: i64,
    sig: u32,
    reason: u32,
}

/// A planned create; creates are few, so they are stored whole.
#[derive(Clone, Debug)]
struct PlannedCreate {
    model: u32,
    values: Values,
    key: IdemKey,
    reason: u32,
}

/// A planned unlink; rare (repairs), so stored whole.
#[derive(Clone, Debug)]
struct PlannedUnlink {
    model: u32,
    id: i64,
    values: Values,
    reason: u32,
}

/// The changes one run of a job wants, in the order the engine produced them.
///
/// Stored compactly, because a first scoring pass plans a write for most leads of a large
/// database: models, reasons and each distinct list of field changes (a "signature": scoring
/// produces a few hundred for a million leads) are interned, and a planned write is then 16
/// bytes. Finding the earlier write of a record to merge into needs no per-write table while
/// the engine pushes each model's ids in ascending order; an index is built on the first id
/// that is not above the model's highest so far, and kept from then on.
#[derive(Clone, Default)]
pub struct Plan {
    pub job: String,
    slots: Vec<Slot>,
    /// Slots that are not `GONE`.
    live: usize,
    models: Strings,
    reasons: Strings,
    sigs: Signatures,
    creates: Vec<PlannedCreate>,
    unlinks: Vec<PlannedUnlink>,
    /// Keys already planned, so a repeated create is planned once.
    keys: HashSet<IdemKey>,
    /// Per model index: the highest record id of a write slot so far.
    max_id: Vec<i64>,
    /// (model, id) → slot of its live write; built on demand, see above.
    index: Option<HashMap<(u32, i64), u32>>,
}

impl Plan {
    pub fn new(job: impl Into<String>) -> Plan {
        Plan {
            job: job.into(),
            ..Plan::default()
        }
    }

    /// A plan from changes in any order; the same normalisation as the `push_*` methods.
    pub(crate) fn from_changes(
        job: impl Into<String>,
        changes: impl IntoIterator<Item = Change>,
    ) -> Plan {
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
            Change::Unlink {
                model,
                id,
                values,
                reason,
            } => self.push_unlink(model, id, values, reason),
        }
    }

    /// Plans a write of the fields whose new value differs from the old one; nothing when none
    /// does. A second write to the same record merges into the first: a field planned twice
    /// keeps its first `old` and takes the last `new`, and the reasons are joined with `"; "`.
    /// A write that merges into no change at all disappears.
    pub fn push_write(
        &mut self,
        model: impl Into<String>,
        id: i64,
        values: Vec<FieldChange>,
        reason: impl Into<String>,
    ) {
        let model = self.models.intern(&model.into());
        let reason = reason.into();
        if let Some(slot) = self.find_write(model, id) {
            self.merge_write(slot, values, &reason);
            return;
        }
        let changes = dedup_fields(values);
        if changes.is_empty() {
            return;
        }
        let sig = self.sigs.intern(Signature { model, changes });
        let reason = self.reasons.intern(&reason);
        let slot = to_index(self.slots.len());
        self.slots.push(Slot { id, sig, reason });
        self.live += 1;
        if let Some(max) = self.max_id.get_mut(model as usize) {
            *max = (*max).max(id);
        }
        if let Some(index) = &mut self.index {
            index.insert((model, id), slot);
        }
    }

    /// The slot of the live write to (`model`, `id`), if any.
    fn find_write(&mut self, model: u32, id: i64) -> Option<u32> {
        if self.max_id.len() <= model as usize {
            self.max_id.resize(model as usize + 1, i64::MIN);
        }
        // Every write slot of the model has an id at most its maximum: above it, no lookup.
        if self.max_id.get(model as usize).is_none_or(|&max| id > max) {
            return None;
        }
        let index = match &mut self.index {
            Some(index) => index,
            None => self.index.insert(self.build_index()),
        };
        index.get(&(model, id)).copied()
    }

    fn build_index(&self) -> HashMap<(u32, i64), u32> {
        let mut index = HashMap::with_capacity(self.live);
        for (slot, s) in self.slots.iter().enumerate() {
            if let Some(sig) = self.write_sig(s) {
                index.insert((sig.model, s.id), to_index(slot));
            }
        }
        index
    }

    fn merge_write(&mut self, slot: u32, values: Vec<FieldChange>, reason: &str) {
        let Some(&planned) = self.slots.get(slot as usize) else {
            return;
        };
        let Some(sig) = self.sigs.get(planned.sig) else {
            return;
        };
        let model = sig.model;
        let mut changes = sig.changes.clone();
        merge_fields(&mut changes, values);
        if changes.is_empty() {
            self.slots[slot as usize].sig = GONE;
            self.live -= 1;
            if let Some(index) = &mut self.index {
                index.remove(&(model, planned.id));
            }
            return;
        }
        let planned_reason = self.reasons.get(planned.reason);
        let reason = if !reason.is_empty() && !planned_reason.split("; ").any(|r| r == reason) {
            let joined = format!("{planned_reason}; {reason}");
            self.reasons.intern(&joined)
        } else {
            planned.reason
        };
        let sig = self.sigs.intern(Signature { model, changes });
        self.slots[slot as usize] = Slot {
            id: planned.id,
            sig,
            reason,
        };
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
        let model = self.models.intern(&model.into());
        let reason = self.reasons.intern(&reason.into());
        self.slots.push(Slot {
            id: 0,
            sig: CREATE,
            reason: to_index(self.creates.len()),
        });
        self.live += 1;
        self.creates.push(PlannedCreate {
            model,
            values,
            key,
            reason,
        });
    }

    /// Plans the deletion of a record (a repair); a record planned twice is deleted once.
    pub(crate) fn push_unlink(
        &mut self,
        model: impl Into<String>,
        id: i64,
        values: Vec<(String, Value)>,
        reason: impl Into<String>,
    ) {
        let model = self.models.intern(&model.into());
        if self.unlinks.iter().any(|u| u.model == model && u.id == id) {
            return;
        }
        let reason = self.reasons.intern(&reason.into());
        self.slots.push(Slot {
            id,
            sig: UNLINK,
            reason: to_index(self.unlinks.len()),
        });
        self.live += 1;
        self.unlinks.push(PlannedUnlink {
            model,
            id,
            values,
            reason,
        });
    }

    /// The signature of a live write slot.
    fn write_sig(&self, slot: &Slot) -> Option<&Signature> {
        match slot.sig {
            CREATE | GONE | UNLINK => None,
            sig => self.sigs.get(sig),
        }
    }

    /// The change stored in `slot`; `None` for a write merged into nothing.
    fn change_ref(&self, slot: &Slot) -> Option<ChangeRef<'_>> {
        match slot.sig {
            GONE => None,
            CREATE => {
                let create = self.creates.get(slot.reason as usize)?;
                Some(ChangeRef::Create {
                    model: self.models.get(create.model),
                    values: &create.values,
                    key: &create.key,
                    reason: self.reasons.get(create.reason),
                })
            }
            UNLINK => {
                let unlink = self.unlinks.get(slot.reason as usize)?;
                Some(ChangeRef::Unlink {
                    model: self.models.get(unlink.model),
                    id: unlink.id,
                    values: &unlink.values,
                    reason: self.reasons.get(unlink.reason),
                })
            }
            sig => {
                let sig = self.sigs.get(sig)?;
                Some(ChangeRef::Write {
                    model: self.models.get(sig.model),
                    id: slot.id,
                    values: &sig.changes,
                    reason: self.reasons.get(slot.reason),
                })
            }
        }
    }

    /// The write at `slot` (a position [`indexed_write_groups`] hands out), as (model, id,
    /// field changes, reason).
    pub(crate) fn write_at(&self, slot: u32) -> Option<(&str, i64, &[FieldChange], &str)> {
        let s = self.slots.get(slot as usize)?;
        let sig = self.write_sig(s)?;
        Some((
            self.models.get(sig.model),
            s.id,
            &sig.changes,
            self.reasons.get(s.reason),
        ))
    }

    /// The changes, borrowed, in the order the engine produced them.
    pub(crate) fn iter(&self) -> impl Iterator<Item = ChangeRef<'_>> + '_ {
        self.slots.iter().filter_map(|slot| self.change_ref(slot))
    }

    /// The changes in the order the engine produced them, each built on the fly (see
    /// [`Plan::iter`] to borrow them instead).
    pub fn changes(&self) -> Changes<'_> {
        Changes {
            plan: self,
            next: 0,
            remaining: self.live,
        }
    }

    /// How many changes (writes of a record, creates) the plan holds.
    pub fn len(&self) -> usize {
        self.live
    }

    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// The planned writes, as (model, id, field changes, reason).
    pub fn writes(&self) -> impl Iterator<Item = (&str, i64, &[FieldChange], &str)> {
        self.slots.iter().filter_map(|s| {
            let sig = self.write_sig(s)?;
            Some((
                self.models.get(sig.model),
                s.id,
                sig.changes.as_slice(),
                self.reasons.get(s.reason),
            ))
        })
    }

    /// The planned creates, as (model, values, key, reason).
    pub fn creates(&self) -> impl Iterator<Item = (&str, &[(String, Value)], &IdemKey, &str)> {
        self.creates.iter().map(|c| {
            (
                self.models.get(c.model),
                c.values.as_slice(),
                &c.key,
                self.reasons.get(c.reason),
            )
        })
    }

    /// How many field changes the plan writes (one per record and field).
    pub fn field_change_count(&self) -> usize {
        self.writes().map(|(_, _, values, _)| values.len()).sum()
    }

    pub fn create_count(&self) -> usize {
        self.creates.len()
    }

    /// The planned unlinks, as (model, id, values held, reason).
    pub(crate) fn unlinks(&self) -> impl Iterator<Item = (&str, i64, &[(String, Value)], &str)> {
        self.unlinks.iter().map(|u| {
            (
                self.models.get(u.model),
                u.id,
                u.values.as_slice(),
                self.reasons.get(u.reason),
            )
        })
    }

    pub(crate) fn unlink_count(&self) -> usize {
        self.unlinks.len()
    }

    /// The writes grouped so that records sharing the same new values become one `write`
    /// call, split at `batch_size` ids. See [`WriteGroup`].
    pub fn write_groups(&self, batch_size: usize) -> Vec<WriteGroup> {
        group::write_groups(self, batch_size)
    }

    /// The creates grouped per model into batch `create` calls of at most `batch_size` records.
    pub(crate) fn create_groups(&self, batch_size: usize) -> Vec<CreateGroup> {
        group::create_groups(self, batch_size)
    }
}

/// Plans are equal when they hold the same changes in the same order, however they are stored.
impl PartialEq for Plan {
    fn eq(&self, other: &Plan) -> bool {
        self.job == other.job && self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl fmt::Debug for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Plan")
            .field("job", &self.job)
            .field("changes", &self.changes())
            .finish()
    }
}

/// The changes of a plan as owned [`Change`]s, built one at a time; see [`Plan::changes`].
#[derive(Clone)]
pub struct Changes<'a> {
    plan: &'a Plan,
    next: usize,
    remaining: usize,
}

impl Iterator for Changes<'_> {
    type Item = Change;

    fn next(&mut self) -> Option<Change> {
        while let Some(slot) = self.plan.slots.get(self.next) {
            self.next += 1;
            if let Some(change) = self.plan.change_ref(slot) {
                self.remaining -= 1;
                return Some(change.to_change());
            }
        }
        None
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl ExactSizeIterator for Changes<'_> {}

/// Lists the changes still to come, so `{:?}` of `plan.changes()` shows the plan.
impl fmt::Debug for Changes<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.clone()).finish()
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
mod tests;
