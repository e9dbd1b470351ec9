//! Reconciliation: settling journal entries left `planned` by a run that was interrupted (or
//! whose last calls had an unknown outcome) by asking Odoo what it holds now. A write whose new
//! value is there was applied; one whose old value is still there was not (the next plan redoes
//! it if still wanted); anything else is a conflict someone else caused, and is left alone. A
//! create was applied if a record carries its key.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

use super::report::CallStats;
use super::{ApplyError, ApplyOptions, Call, OdooWriter, once};
use crate::plan::{IdemKey, same_value};
use crate::record::Value;
use crate::state::{
    Doubt, EntryChange, EntryStatus, JournalEntry, Outcome, RunId, RunInfo, RunStatus, State,
};

/// A planned entry that Odoo now holds neither the old nor the new value for.
#[derive(Clone, Debug, PartialEq)]
pub struct Conflict {
    pub run_id: RunId,
    pub seq: i64,
    pub model: String,
    pub record_id: Option<i64>,
    pub field: Option<String>,
    pub detail: String,
}

/// What reconciliation found.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReconcileReport {
    /// Planned entries examined.
    pub entries: usize,
    pub applied: usize,
    pub not_applied: usize,
    pub conflicts: Vec<Conflict>,
    /// Creates whose lost request may still run: left planned, their keys held.
    pub in_doubt: usize,
    /// Interrupted runs now closed (applied or failed).
    pub runs_closed: Vec<RunId>,
    pub calls: CallStats,
}

impl fmt::Display for ReconcileReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "reconciled {} journal entries left planned by earlier runs: {} had been applied, {} had not, {} conflict(s), {} create(s) still in doubt",
            self.entries,
            self.applied,
            self.not_applied,
            self.conflicts.len(),
            self.in_doubt
        )?;
        for c in &self.conflicts {
            let field = c.field.as_deref().unwrap_or("-");
            let id = c
                .record_id
                .map_or_else(|| "-".to_owned(), |id| id.to_string());
            writeln!(
                f,
                "  conflict {}#{} {} {} {}: {}",
                c.run_id, c.seq, c.model, id, field, c.detail
            )?;
        }
        Ok(())
    }
}

/// Reads the current values of `fields` for `ids`, in batches: id → field → value. Ids absent
/// from the answer no longer exist.
pub(super) async fn read_current<W: OdooWriter>(
    writer: &W,
    model: &str,
    ids: &[i64],
    fields: &[String],
    opts: &ApplyOptions,
    stats: &mut CallStats,
) -> Result<HashMap<i64, HashMap<String, Value>>, super::WriteError> {
    let mut current = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(opts.batch_size.max(1)) {
        let rows = once(stats, Call::Read, writer.read(model, chunk, fields)).await?;
        for (id, values) in rows {
            current.insert(id, values.into_iter().collect());
        }
    }
    Ok(current)
}

/// Settles every `planned` entry of every run, then closes runs that were interrupted.
/// Costs nothing (no Odoo call) when the journal has no planned entry.
pub async fn reconcile<W: OdooWriter>(
    state: &mut State,
    writer: &W,
    opts: &ApplyOptions,
) -> Result<ReconcileReport, ApplyError> {
    reconcile_holding(state, writer, opts, None).await
}

/// [`reconcile`] by a caller holding the lock of job group `held`: the runs of its own group
/// and of every group whose lock is free are settled (their locks held meanwhile); a run of
/// a group another run holds is live, not interrupted, and is left to it. (Without this, a
/// daemon's scoring run would "reconcile" the karma entries its gamification run is
/// applying at the same moment.)
pub(crate) async fn reconcile_holding<W: OdooWriter>(
    state: &mut State,
    writer: &W,
    opts: &ApplyOptions,
    held: Option<&str>,
) -> Result<ReconcileReport, ApplyError> {
    let mut entries = state.planned_entries()?;
    let mut unfinished = state.unfinished_runs()?;
    let mut groups: HashMap<RunId, String> = HashMap::new();
    for run_id in entries
        .iter()
        .map(|e| e.run_id.clone())
        .chain(unfinished.iter().map(|r| r.run_id.clone()))
    {
        if !groups.contains_key(&run_id)
            && let Some(info) = state.run(&run_id)?
        {
            groups.insert(run_id, state.lock_group_of(&info)?);
        }
    }
    let mut locks = Vec::new();
    let mut live: BTreeSet<String> = BTreeSet::new();
    for group in groups.values().collect::<BTreeSet<_>>() {
        if Some(group.as_str()) == held {
            continue;
        }
        match state.lock_job(group) {
            Ok(lock) => locks.push(lock),
            Err(crate::state::StateError::Busy { .. }) => {
                live.insert(group.clone());
            }
            Err(e) => return Err(e.into()),
        }
    }
    let is_live = |run_id: &RunId| groups.get(run_id).is_some_and(|g| live.contains(g));
    entries.retain(|e| !is_live(&e.run_id));
    unfinished.retain(|r| !is_live(&r.run_id));
    let mut r = Reconciler {
        writer,
        opts,
        now: state.now(),
        deadline: chrono::Duration::from_std(opts.request_deadline).unwrap_or_default(),
        report: ReconcileReport {
            entries: entries.len(),
            ..ReconcileReport::default()
        },
        outcomes: Vec::new(),
        keys: Vec::new(),
        settled: Vec::new(),
    };
    if entries.is_empty() && unfinished.is_empty() {
        return Ok(r.report);
    }
    let by_kind = ByKind::of(&entries);
    for (model, entries) in by_kind.writes {
        r.writes(model, &entries).await?;
    }
    for (model, entries) in by_kind.creates {
        // Read before any call, since a `&State` may not be held across one (not `Sync`).
        let doubts = state.doubts(&create_keys(&entries))?;
        r.creates(&doubts, model, &entries).await?;
    }
    for (model, entries) in by_kind.unlinks {
        r.unlinks(model, &entries).await?;
    }
    state.record_outcomes(&r.outcomes, &r.keys)?;
    state.clear_doubts(&r.settled)?;
    let mut report = r.report;
    close_runs(state, &entries, unfinished, &mut report)?;
    if report.entries > 0 {
        tracing::info!(
            entries = report.entries,
            applied = report.applied,
            not_applied = report.not_applied,
            conflicts = report.conflicts.len(),
            "reconciled interrupted runs"
        );
    }
    Ok(report)
}

/// Planned entries by kind, then by model.
#[derive(Default)]
struct ByKind<'e> {
    writes: BTreeMap<&'e str, Vec<&'e JournalEntry>>,
    creates: BTreeMap<&'e str, Vec<&'e JournalEntry>>,
    unlinks: BTreeMap<&'e str, Vec<&'e JournalEntry>>,
}

impl<'e> ByKind<'e> {
    fn of(entries: &'e [JournalEntry]) -> Self {
        let mut by = ByKind::default();
        for entry in entries {
            let kind = match entry.change {
                EntryChange::Write { .. } => &mut by.writes,
                EntryChange::Create { .. } => &mut by.creates,
                EntryChange::Unlink { .. } => &mut by.unlinks,
            };
            kind.entry(entry.model.as_str()).or_default().push(entry);
        }
        by
    }
}

/// What one reconciliation pass gathers before it is recorded in one transaction.
struct Reconciler<'w, W> {
    writer: &'w W,
    opts: &'w ApplyOptions,
    now: chrono::DateTime<chrono::Utc>,
    deadline: chrono::Duration,
    report: ReconcileReport,
    outcomes: Vec<Outcome>,
    /// Keys found on created records: (key, model, id, run).
    keys: Vec<(IdemKey, String, i64, RunId)>,
    /// Doubtful keys settled (found, or past their deadline).
    settled: Vec<IdemKey>,
}

impl<W: OdooWriter> Reconciler<'_, W> {
    fn settle(
        &mut self,
        entry: &JournalEntry,
        status: EntryStatus,
        detail: String,
        id: Option<i64>,
    ) {
        tally(&mut self.report, entry, status, &detail);
        self.outcomes.push(Outcome {
            run_id: entry.run_id.clone(),
            seq: entry.seq,
            status,
            detail: Some(detail),
            record_id: id,
        });
    }

    /// Writes of one model: one read of the fields they wrote, then each compared.
    async fn writes(&mut self, model: &str, entries: &[&JournalEntry]) -> Result<(), ApplyError> {
        let ids: Vec<i64> = entries
            .iter()
            .filter_map(|e| e.record_id)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let fields: Vec<String> = entries
            .iter()
            .filter_map(|e| match &e.change {
                EntryChange::Write { field, .. } => Some(field.clone()),
                EntryChange::Create { .. } | EntryChange::Unlink { .. } => None,
            })
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let current = read_current(
            self.writer,
            model,
            &ids,
            &fields,
            self.opts,
            &mut self.report.calls,
        )
        .await
        .map_err(ApplyError::Reconcile)?;
        for entry in entries {
            let EntryChange::Write { field, old, new } = &entry.change else {
                continue;
            };
            let now = entry
                .record_id
                .and_then(|id| current.get(&id))
                .map(|values| values.get(field));
            let (status, detail) = match now {
                None => (
                    EntryStatus::Skipped,
                    "reconciled: the record no longer exists".to_owned(),
                ),
                Some(None) => (
                    EntryStatus::Skipped,
                    format!("reconciled: Odoo did not return field {field}"),
                ),
                Some(Some(value)) if same_value(value, new) => (
                    EntryStatus::Applied,
                    "reconciled: Odoo holds the new value".to_owned(),
                ),
                Some(Some(value)) if same_value(value, old) => {
                    // A write whose answer was lost may still land: it stays planned until
                    // its deadline (counted from when its failure was journaled, after it
                    // was sent) has passed, so the journal never calls it "not applied"
                    // while it can still happen.
                    if may_still_run(entry, self.now, self.deadline) {
                        self.report.in_doubt += 1;
                        continue;
                    }
                    (
                        EntryStatus::NotApplied,
                        "reconciled: Odoo still holds the old value".to_owned(),
                    )
                }
                Some(Some(value)) => (
                    EntryStatus::Skipped,
                    format!(
                        "conflict: Odoo holds {value}, neither the old {old} nor the new {new}"
                    ),
                ),
            };
            self.settle(entry, status, detail, None);
        }
        Ok(())
    }

    /// Creates of one model: applied if a record carries the key, in batches of keys.
    async fn creates(
        &mut self,
        doubts: &HashMap<IdemKey, Doubt>,
        model: &str,
        entries: &[&JournalEntry],
    ) -> Result<(), ApplyError> {
        for chunk in entries.chunks(self.opts.batch_size.max(1)) {
            let wanted = create_keys(chunk);
            let found = once(
                &mut self.report.calls,
                Call::Find,
                self.writer.find_by_keys(model, &wanted),
            )
            .await
            .map_err(ApplyError::Reconcile)?;
            for ((entry, key), found) in chunk.iter().zip(&wanted).zip(found) {
                let (status, detail) = match found {
                    Some(id) => {
                        self.keys
                            .push((key.clone(), model.to_owned(), id, entry.run_id.clone()));
                        self.settled.push(key.clone());
                        (
                            EntryStatus::Applied,
                            format!("reconciled: {model} {id} carries the key"),
                        )
                    }
                    None => match doubts.get(key) {
                        // The lost request may still run: the entry stays planned (and the
                        // key held) until it is found or its deadline has passed.
                        Some(doubt) if self.now < doubt.sent_at + self.deadline => {
                            self.report.in_doubt += 1;
                            continue;
                        }
                        Some(_) => {
                            self.settled.push(key.clone());
                            (
                                EntryStatus::NotApplied,
                                "reconciled: no record carries the key, and the request deadline has passed".to_owned(),
                            )
                        }
                        None => (
                            EntryStatus::NotApplied,
                            "reconciled: no record carries the key".to_owned(),
                        ),
                    },
                };
                self.settle(entry, status, detail, found);
            }
        }
        Ok(())
    }

    /// Unlinks of one model: applied if the record is gone; one still there was not (unless
    /// its lost request may still run).
    async fn unlinks(&mut self, model: &str, entries: &[&JournalEntry]) -> Result<(), ApplyError> {
        let ids: Vec<i64> = entries.iter().filter_map(|e| e.record_id).collect();
        let current = read_current(
            self.writer,
            model,
            &ids,
            &["id".to_owned()],
            self.opts,
            &mut self.report.calls,
        )
        .await
        .map_err(ApplyError::Reconcile)?;
        for entry in entries {
            let exists = entry.record_id.is_some_and(|id| current.contains_key(&id));
            let (status, detail) = if !exists {
                (EntryStatus::Applied, "reconciled: the record is gone")
            } else if may_still_run(entry, self.now, self.deadline) {
                self.report.in_doubt += 1;
                continue;
            } else {
                (
                    EntryStatus::NotApplied,
                    "reconciled: the record still exists",
                )
            };
            self.settle(entry, status, detail.to_owned(), None);
        }
        Ok(())
    }
}

/// The keys of create entries, in order.
fn create_keys(entries: &[&JournalEntry]) -> Vec<IdemKey> {
    entries
        .iter()
        .filter_map(|e| match &e.change {
            EntryChange::Create { key, .. } => Some(key.clone()),
            EntryChange::Write { .. } | EntryChange::Unlink { .. } => None,
        })
        .collect()
}

/// Closes the interrupted runs (applied when every entry is settled, else failed) and
/// recounts the other runs whose entries were settled.
fn close_runs(
    state: &mut State,
    entries: &[JournalEntry],
    unfinished: Vec<RunInfo>,
    report: &mut ReconcileReport,
) -> Result<(), ApplyError> {
    let mut touched: BTreeSet<RunId> = entries.iter().map(|e| e.run_id.clone()).collect();
    for run in unfinished {
        touched.remove(&run.run_id);
        let info = state.recount_run(&run.run_id)?;
        let complete = info.applied + info.skipped == info.entries;
        let status = if complete {
            RunStatus::Applied
        } else {
            RunStatus::Failed
        };
        let error = (!complete).then(|| {
            format!(
                "interrupted; reconciled later: {} applied, {} not applied, {} skipped",
                info.applied, info.not_applied, info.skipped
            )
        });
        state.finish_run(&run.run_id, status, error.as_deref(), &[])?;
        report.runs_closed.push(run.run_id);
    }
    for run_id in touched {
        state.recount_run(&run_id)?;
    }
    Ok(())
}

/// Whether a write entry left planned after a lost answer (its `detail` says so) was
/// journaled less than `deadline` ago. Entries left planned by a crash (no detail) were never
/// answered because the process died: their request ran before the crash or never left.
fn may_still_run(
    entry: &JournalEntry,
    now: chrono::DateTime<chrono::Utc>,
    deadline: chrono::Duration,
) -> bool {
    let lost = entry
        .detail
        .as_deref()
        .is_some_and(|d| d.contains(super::report::OUTCOME_UNKNOWN));
    let Ok(at) = chrono::DateTime::parse_from_rfc3339(&entry.updated_at) else {
        return lost;
    };
    lost && now < at.with_timezone(&chrono::Utc) + deadline
}

fn tally(report: &mut ReconcileReport, entry: &JournalEntry, status: EntryStatus, detail: &str) {
    match status {
        EntryStatus::Applied => report.applied += 1,
        EntryStatus::NotApplied => report.not_applied += 1,
        _ => report.conflicts.push(Conflict {
            run_id: entry.run_id.clone(),
            seq: entry.seq,
            model: entry.model.clone(),
            record_id: entry.record_id,
            field: match &entry.change {
                EntryChange::Write { field, .. } => Some(field.clone()),
                EntryChange::Create { .. } | EntryChange::Unlink { .. } => None,
            },
            detail: detail.to_owned(),
        }),
    }
}
