//! Undo: putting back the old values a run wrote, from its journal, wherever Odoo still holds
//! exactly what the run wrote. Anything changed since (by a person or a later run) is left
//! alone and listed. The restoring writes are themselves a journaled run of job `undo`, so an
//! undo can be explained and undone too.
//!
//! **Units.** Some fields Odoo treats as one unit: a lead's team and salesperson (the
//! salesperson is a member of the team; Odoo's own screens and cron set them together). They
//! are restored together or not at all ([`UNITS`]): if any field of a unit is no longer what
//! the run wrote, none of the unit's fields is restored, and each is reported with the field
//! that changed. A unit field the run did not write (routing writes the team alone only for
//! leads without a salesperson) must still be empty: a salesperson given since would
//! otherwise be left with the team from before the run.
//!
//! Records a run created are not deleted: unlinking a karma tracking or a badge grant has side
//! effects in Odoo (karma totals, notifications) that a blind delete would not reverse. Karma
//! entries are cancelled by a reversing entry of the opposite gain (keyed, so the karma
//! engine counts it against the same event); badge grants and goals are listed, and deleting
//! them stays a human decision. Records a run deleted (duplicates a repair removed) are
//! created again with the values the journal kept.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

use super::reconcile::read_current;
use super::report::{ApplyReport, SkippedField};
use super::{ApplyError, ApplyOptions, OdooWriter, execute};
use crate::plan::{FieldChange, IdemKey, Plan, same_value};
use crate::record::Value;
use crate::state::{EntryChange, EntryStatus, NewEntry, RunId, RunStatus, State, StateError};

/// A created record that undo cancels with a reversing record instead of keeping it: a karma
/// entry is reversed by an entry of the opposite gain (deleting it would not lower the
/// user's karma, which Odoo carries forward from entry to entry).
struct Reversal {
    /// The field holding the entry's user.
    user: &'static str,
    /// The text people read, prefixed with the undo.
    text: &'static str,
    /// Where the key lives: the technical field, else a marker in `text`.
    key_field: &'static str,
}

/// The models whose creates undo reverses: data, like [`UNITS`].
const REVERSALS: &[(&str, Reversal)] = &[(
    "gamification.karma.tracking",
    Reversal {
        user: "user_id",
        text: "reason",
        key_field: "x_sk_key",
    },
)];

fn reversal_of(model: &str) -> Option<&'static Reversal> {
    REVERSALS.iter().find(|(m, _)| *m == model).map(|(_, r)| r)
}

/// A record the undone run created, to be reversed.
struct Created {
    model: String,
    id: i64,
    key: IdemKey,
    values: crate::plan::Values,
    rule: &'static Reversal,
}

/// A run id as idempotency-key text.
fn key_safe(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// Plans one reversing karma entry per entry the run created: the opposite gain, chained on
/// each user's karma as Odoo holds it now (one `read`), keyed `<key>:undo=<run>` so the
/// karma engine counts it against the same event.
async fn plan_reversals<W: OdooWriter>(
    plan: &mut Plan,
    report: &mut UndoReport,
    target: &RunId,
    reversals: Vec<Created>,
    writer: &W,
    opts: &ApplyOptions,
    stats: &mut super::CallStats,
) -> Result<(), ApplyError> {
    if reversals.is_empty() {
        return Ok(());
    }
    let get = |values: &[(String, Value)], f: &str| {
        values
            .iter()
            .find(|(k, _)| k == f)
            .map(|(_, v)| v.clone())
            .unwrap_or(Value::Null)
    };
    let users: BTreeSet<i64> = reversals
        .iter()
        .filter_map(|c| get(&c.values, c.rule.user).as_many2one())
        .collect();
    let ids: Vec<i64> = users.into_iter().collect();
    let karma = read_current(
        writer,
        "res.users",
        &ids,
        &["karma".to_owned()],
        opts,
        stats,
    )
    .await
    .map_err(|error| ApplyError::UndoRead {
        run: target.to_string(),
        error,
    })?;
    let mut running: HashMap<i64, i64> = ids
        .iter()
        .map(|id| {
            let now = karma
                .get(id)
                .and_then(|v| v.get("karma"))
                .and_then(Value::as_i64)
                .unwrap_or(0);
            (*id, now)
        })
        .collect();
    for Created {
        model,
        id,
        key,
        values,
        rule,
    } in reversals
    {
        let Some(user) = get(&values, rule.user).as_many2one() else {
            continue;
        };
        let gain = get(&values, "new_value").as_i64().unwrap_or(0)
            - get(&values, "old_value").as_i64().unwrap_or(0);
        let old = running.get(&user).copied().unwrap_or(0);
        let new = old - gain;
        running.insert(user, new);
        let undo_key = IdemKey::new(format!(
            "{}:undo={}",
            key.as_str(),
            key_safe(target.as_str())
        ))
        .map_err(|e| ApplyError::Undo(e.to_string()))?;
        let text = get(&values, rule.text);
        let text = text.as_str().unwrap_or_default();
        let mut out: Vec<(String, Value)> = Vec::new();
        for (field, value) in &values {
            let value = match field.as_str() {
                "old_value" => Value::Int(old),
                "new_value" => Value::Int(new),
                f if f == rule.key_field => Value::Str(undo_key.as_str().to_owned()),
                f if f == rule.text => {
                    let cleaned = text.replace(&key.marker(), &undo_key.marker());
                    Value::Str(format!("Undo of run {target}: {cleaned}"))
                }
                _ => value.clone(),
            };
            out.push((field.clone(), value));
        }
        plan.push_create(
            &model,
            out,
            undo_key,
            format!("undo of run {target}: reverse {model} {id}"),
        );
        report.reversed.push((model, id));
    }
    Ok(())
}

/// Fields restored together or not at all, per model.
pub(crate) struct Unit {
    pub model: &'static str,
    pub fields: &'static [&'static str],
    /// How reports name the unit ("team and salesperson are restored together").
    pub label: &'static str,
}

/// The units undo knows: data, not code paths.
pub(crate) const UNITS: &[Unit] = &[Unit {
    model: "crm.lead",
    fields: &["team_id", "user_id"],
    label: "team and salesperson",
}];

/// The unit `field` of `model` belongs to, if any.
fn unit_of(model: &str, field: &str) -> Option<&'static Unit> {
    UNITS
        .iter()
        .find(|u| u.model == model && u.fields.contains(&field))
}

/// What an undo did.
#[derive(Clone, Debug, PartialEq)]
pub struct UndoReport {
    /// The run being undone.
    pub target: RunId,
    /// The run was undone before: nothing was read or written.
    pub already_undone: bool,
    /// (model, id, field) restored to the value before the run.
    pub restored: Vec<(String, i64, String)>,
    pub skipped: Vec<SkippedField>,
    /// Records the run created, left in place: (model, id, key).
    pub creates_kept: Vec<(String, Option<i64>, IdemKey)>,
    /// Records the run deleted, created again: (model, id they had).
    pub recreated: Vec<(String, i64)>,
    /// Entries the run created that a reversing entry cancels (karma): (model, id).
    pub reversed: Vec<(String, i64)>,
    /// The undo's own run (absent when already undone).
    pub run: Option<ApplyReport>,
}

impl fmt::Display for UndoReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.already_undone {
            return writeln!(f, "run {} was already undone; nothing to do", self.target);
        }
        writeln!(
            f,
            "undo of run {}: {} value(s) restored, {} skipped, {} created record(s) kept, {} deleted record(s) re-created, {} karma entr(ies) reversed",
            self.target,
            self.restored.len(),
            self.skipped.len(),
            self.creates_kept.len(),
            self.recreated.len(),
            self.reversed.len()
        )?;
        for skip in &self.skipped {
            writeln!(
                f,
                "  skipped {} {} {}: {}",
                skip.model, skip.record_id, skip.field, skip.detail
            )?;
        }
        for (model, id, key) in &self.creates_kept {
            let id = id.map_or_else(|| "?".to_owned(), |id| id.to_string());
            writeln!(
                f,
                "  kept created {model} {id} [{key}] (delete it in Odoo if it must go)"
            )?;
        }
        if let Some(run) = &self.run {
            write!(f, "{run}")?;
        }
        Ok(())
    }
}

/// One applied write of the target run.
struct Written {
    model: String,
    id: i64,
    field: String,
    old: Value,
    new: Value,
    reason: String,
}

/// Why `unit` of record `id` cannot be restored, if it cannot: a field the run wrote holds
/// something else now, or a field it did not write is no longer empty. The first such field
/// (in the unit's order) is named, with the unit's label.
fn unit_conflict(
    unit: &Unit,
    id: i64,
    current: &HashMap<String, Value>,
    wrote: &BTreeMap<(i64, &str), &Value>,
) -> Option<String> {
    unit.fields.iter().find_map(|&field| {
        let now = current.get(field).cloned().unwrap_or(Value::Null);
        let why = match wrote.get(&(id, field)) {
            Some(new) if same_value(&now, new) => return None,
            Some(new) => format!("{field} changed since (now {now}, run wrote {new})"),
            None if same_value(&now, &Value::Null) => return None,
            None => format!("{field} was set since (now {now}, the run left it empty)"),
        };
        Some(format!("{why}: {} are restored together", unit.label))
    })
}

/// Reverts what run `target` wrote where nobody changed it since. A second undo of the same
/// run does nothing. Interrupted runs are reconciled first, so their outcome is known.
pub async fn undo<W: OdooWriter>(
    target: &RunId,
    state: &mut State,
    writer: &W,
    opts: &ApplyOptions,
) -> Result<UndoReport, ApplyError> {
    let info = state
        .run(target)?
        .ok_or_else(|| StateError::UnknownRun(target.to_string()))?;
    // Not while the job that wrote it is applying: its plan may be built on what this undo
    // changes.
    let lock = crate::state::lock_group(&info.job).to_owned();
    let _lock = state.lock_job(&lock)?;
    let mut report = UndoReport {
        target: target.clone(),
        already_undone: info.status == RunStatus::Undone,
        restored: Vec::new(),
        skipped: Vec::new(),
        creates_kept: Vec::new(),
        recreated: Vec::new(),
        reversed: Vec::new(),
        run: None,
    };
    if report.already_undone {
        return Ok(report);
    }
    let reconciled = super::reconcile::reconcile_holding(state, writer, opts, Some(&lock)).await?;
    let applied = Applied::of(state.journal(target)?, &mut report);

    let mut plan = Plan::new("undo");
    let mut stats = super::CallStats::default();
    let skipped_entries = plan_restores(
        &mut plan,
        &mut report,
        &applied.written,
        writer,
        opts,
        &mut stats,
    )
    .await?;
    plan_recreates(&mut plan, &mut report, applied.deleted)?;
    plan_reversals(
        &mut plan,
        &mut report,
        target,
        applied.reversals,
        writer,
        opts,
        &mut stats,
    )
    .await?;

    let undo_opts = ApplyOptions {
        cursors: Vec::new(),
        ..opts.clone()
    };
    let mut run = execute(
        &plan,
        state,
        writer,
        &undo_opts,
        Some(target),
        skipped_entries,
    )
    .await?;
    run.reconciled = reconciled;
    run.calls.add(&stats);
    if run.is_success() {
        state.set_run_status(target, RunStatus::Undone)?;
    } else {
        // What was not restored is in the undo run's journal; the target keeps its status so
        // the undo can be tried again.
        report.restored.clear();
        let journal = state.journal(&run.run_id)?;
        for entry in journal
            .into_iter()
            .filter(|e| e.status == EntryStatus::Applied)
        {
            if let (EntryChange::Write { field, .. }, Some(id)) = (entry.change, entry.record_id) {
                report.restored.push((entry.model, id, field));
            }
        }
    }
    report.run = Some(run);
    Ok(report)
}

/// A record the undone run deleted, to be created again with the values it held.
struct Deleted {
    model: String,
    id: i64,
    seq: i64,
    values: Vec<(String, Value)>,
    reason: String,
}

/// The applied entries of the undone run, by what undo does with them (creates it keeps are
/// listed in the report straight away).
struct Applied {
    written: Vec<Written>,
    deleted: Vec<Deleted>,
    reversals: Vec<Created>,
}

impl Applied {
    fn of(journal: Vec<crate::state::JournalEntry>, report: &mut UndoReport) -> Applied {
        let mut applied = Applied {
            written: Vec::new(),
            deleted: Vec::new(),
            reversals: Vec::new(),
        };
        for entry in journal {
            if entry.status != EntryStatus::Applied {
                continue;
            }
            match entry.change {
                EntryChange::Write { field, old, new } => {
                    if let Some(id) = entry.record_id {
                        applied.written.push(Written {
                            model: entry.model,
                            id,
                            field,
                            old,
                            new,
                            reason: entry.reason,
                        });
                    }
                }
                EntryChange::Create { key, values } => {
                    match (entry.record_id, reversal_of(&entry.model)) {
                        (Some(id), Some(rule)) => applied.reversals.push(Created {
                            model: entry.model,
                            id,
                            key,
                            values,
                            rule,
                        }),
                        _ => report
                            .creates_kept
                            .push((entry.model, entry.record_id, key)),
                    }
                }
                EntryChange::Unlink { values } => {
                    if let Some(id) = entry.record_id {
                        applied.deleted.push(Deleted {
                            model: entry.model,
                            id,
                            seq: entry.seq,
                            values,
                            reason: entry.reason,
                        });
                    }
                }
            }
        }
        applied
    }
}

/// Plans the old value back for every field Odoo still holds as the run wrote it (a unit as a
/// whole); returns the journal entries of the fields left alone, with why.
async fn plan_restores<W: OdooWriter>(
    plan: &mut Plan,
    report: &mut UndoReport,
    written: &[Written],
    writer: &W,
    opts: &ApplyOptions,
    stats: &mut super::CallStats,
) -> Result<Vec<NewEntry>, ApplyError> {
    let target = report.target.clone();
    let mut by_model: BTreeMap<&str, (BTreeSet<i64>, BTreeSet<String>)> = BTreeMap::new();
    for w in written {
        let (ids, fields) = by_model.entry(&w.model).or_default();
        ids.insert(w.id);
        fields.insert(w.field.clone());
    }
    let mut skipped_entries = Vec::new();
    for (model, (ids, mut fields)) in by_model {
        let ids: Vec<i64> = ids.into_iter().collect();
        // The whole unit of every unit field written is read, to check it together.
        let partners: Vec<String> = fields
            .iter()
            .filter_map(|f| unit_of(model, f))
            .flat_map(|u| u.fields.iter().map(|f| (*f).to_owned()))
            .collect();
        fields.extend(partners);
        let fields: Vec<String> = fields.into_iter().collect();
        // What the run wrote, by (record, field): a unit is checked as a whole.
        let wrote: BTreeMap<(i64, &str), &Value> = written
            .iter()
            .filter(|w| w.model == model)
            .map(|w| ((w.id, w.field.as_str()), &w.new))
            .collect();
        let current = read_current(writer, model, &ids, &fields, opts, stats)
            .await
            .map_err(|error| ApplyError::UndoRead {
                run: target.to_string(),
                error,
            })?;
        for w in written.iter().filter(|w| w.model == model) {
            let values = current.get(&w.id);
            let now = values.map(|values| values.get(&w.field).cloned().unwrap_or(Value::Null));
            let reason = format!("undo of run {target}: {}", w.reason);
            match why_not_restored(model, w, values, &wrote) {
                None => {
                    plan.push_write(
                        &w.model,
                        w.id,
                        vec![FieldChange::new(&w.field, w.new.clone(), w.old.clone())],
                        reason,
                    );
                    report
                        .restored
                        .push((w.model.clone(), w.id, w.field.clone()));
                }
                Some(detail) => {
                    skipped_entries.push(NewEntry {
                        model: w.model.clone(),
                        record_id: Some(w.id),
                        change: EntryChange::Write {
                            field: w.field.clone(),
                            old: now.unwrap_or(Value::Null),
                            new: w.old.clone(),
                        },
                        reason,
                        group: None,
                        status: EntryStatus::Skipped,
                        detail: Some(detail.clone()),
                    });
                    report.skipped.push(SkippedField {
                        model: w.model.clone(),
                        record_id: w.id,
                        field: w.field.clone(),
                        detail,
                    });
                }
            }
        }
    }
    Ok(skipped_entries)
}

/// Why a written field is left alone (`None`: it is restored): the record is gone, or Odoo
/// holds something else than the run wrote (in the field or anywhere in its unit).
fn why_not_restored(
    model: &str,
    w: &Written,
    values: Option<&HashMap<String, Value>>,
    wrote: &BTreeMap<(i64, &str), &Value>,
) -> Option<String> {
    let Some(values) = values else {
        return Some("the record no longer exists".to_owned());
    };
    let value = values.get(&w.field).cloned().unwrap_or(Value::Null);
    let changed = || {
        (!same_value(&value, &w.new))
            .then(|| format!("changed since: Odoo holds {value}, the run wrote {}", w.new))
    };
    match unit_of(model, &w.field) {
        Some(unit) => unit_conflict(unit, w.id, values, wrote).or_else(changed),
        None => changed(),
    }
}

/// Records the run deleted (duplicates) come back with the values they held; their new ids
/// differ. The key names the undone entry, so a retried undo creates them once.
fn plan_recreates(
    plan: &mut Plan,
    report: &mut UndoReport,
    deleted: Vec<Deleted>,
) -> Result<(), ApplyError> {
    let target = report.target.clone();
    for d in deleted {
        let key = IdemKey::new(format!("restore:{}:{}", key_safe(target.as_str()), d.seq))
            .map_err(|e| ApplyError::Undo(e.to_string()))?;
        plan.push_create(
            &d.model,
            d.values,
            key,
            format!(
                "undo of run {target}: re-create {} {} ({})",
                d.model, d.id, d.reason
            ),
        );
        report.recreated.push((d.model, d.id));
    }
    Ok(())
}
