//! Verification before apply (`ApplyOptions::verify_old`): re-reading the planned fields and
//! keeping only the changes whose record still holds the planned old value, so a value a person
//! set in Odoo while the plan was computed (a lead taken by a salesperson) is not overwritten.

use std::collections::{BTreeMap, BTreeSet};

use super::reconcile::read_current;
use super::report::{CallStats, SkippedField};
use super::{ApplyError, ApplyOptions, OdooWriter};
use crate::plan::{ChangeRef, FieldChange, Plan, same_value};
use crate::record::Value;
use crate::state::{EntryChange, EntryStatus, NewEntry};

/// The plan reduced to what is still valid, and what was dropped (journaled as skipped).
pub(super) struct Verified {
    pub plan: Plan,
    pub skipped: Vec<NewEntry>,
    pub stale: Vec<SkippedField>,
    pub calls: CallStats,
}

/// Reads and compares one batch of the plan at a time, so a plan of a hundred thousand routed
/// leads never holds all their current values at once.
pub(super) async fn verify<W: OdooWriter>(
    plan: &Plan,
    writer: &W,
    opts: &ApplyOptions,
) -> Result<Verified, ApplyError> {
    let mut verified = Verified {
        plan: Plan::new(plan.job.clone()),
        skipped: Vec::new(),
        stale: Vec::new(),
        calls: CallStats::default(),
    };
    let batch = opts.batch_size.max(1);
    let mut pending: Vec<ChangeRef<'_>> = Vec::with_capacity(batch.min(plan.len()));
    for change in plan.iter() {
        pending.push(change);
        if pending.len() >= batch {
            verify_batch(&pending, writer, opts, &mut verified).await?;
            pending.clear();
        }
    }
    verify_batch(&pending, writer, opts, &mut verified).await?;
    Ok(verified)
}

/// One `read` per model of the batch, then each change kept or journaled as skipped, in plan
/// order.
async fn verify_batch<W: OdooWriter>(
    changes: &[ChangeRef<'_>],
    writer: &W,
    opts: &ApplyOptions,
    verified: &mut Verified,
) -> Result<(), ApplyError> {
    let mut wanted: BTreeMap<&str, (BTreeSet<i64>, BTreeSet<&str>)> = BTreeMap::new();
    for change in changes {
        if let ChangeRef::Write {
            model, id, values, ..
        } = change
        {
            let (ids, fields) = wanted.entry(model).or_default();
            ids.insert(*id);
            fields.extend(values.iter().map(|c| c.field.as_str()));
        }
    }
    let mut current = BTreeMap::new();
    for (model, (ids, fields)) in wanted {
        let ids: Vec<i64> = ids.into_iter().collect();
        let fields: Vec<String> = fields.into_iter().map(str::to_owned).collect();
        let values = read_current(writer, model, &ids, &fields, opts, &mut verified.calls)
            .await
            .map_err(|error| ApplyError::VerifyRead {
                model: model.to_owned(),
                error,
            })?;
        current.insert(model, values);
    }
    for change in changes {
        let ChangeRef::Write {
            model,
            id,
            values,
            reason,
        } = *change
        else {
            verified.plan.push(change.to_change());
            continue;
        };
        let record = current.get(model).and_then(|records| records.get(&id));
        let mut keep = Vec::new();
        for c in values {
            let now = record.map(|r| r.get(&c.field).cloned().unwrap_or(Value::Null));
            let detail = match &now {
                None => Some("the record no longer exists".to_owned()),
                Some(value) if same_value(value, &c.old) => None,
                Some(value) if same_value(value, &c.new) => {
                    Some("Odoo already holds the new value".to_owned())
                }
                Some(value) => Some(format!(
                    "changed since planned: Odoo holds {value}, the plan expected {}",
                    c.old
                )),
            };
            match detail {
                None => keep.push(c.clone()),
                Some(detail) => {
                    verified.skipped.push(NewEntry {
                        model: model.to_owned(),
                        record_id: Some(id),
                        change: EntryChange::Write {
                            field: c.field.clone(),
                            old: now.unwrap_or(Value::Null),
                            new: c.new.clone(),
                        },
                        reason: reason.to_owned(),
                        group: None,
                        status: EntryStatus::Skipped,
                        detail: Some(detail.clone()),
                    });
                    verified.stale.push(SkippedField {
                        model: model.to_owned(),
                        record_id: id,
                        field: c.field.clone(),
                        detail,
                    });
                }
            }
        }
        let keep: Vec<FieldChange> = keep;
        verified.plan.push_write(model, id, keep, reason);
    }
    Ok(())
}
