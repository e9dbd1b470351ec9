//! Apply: the only step that changes Odoo. It journals a whole plan in the state database
//! before the first call, executes it as grouped writes and batch creates, and marks each
//! journal entry as its call succeeds or fails, so that a crash at any point leaves a journal
//! that says exactly what was and was not done (see `reconcile`) and every run can be undone.
//!
//! **Each call is sent once.** Retries belong to the client below the writer (one policy:
//! `[odoo.retries] max_attempts` HTTP attempts per call, end to end); it retries reads, searches and
//! writes (the same values written twice are the same values), and a `create` only when Odoo
//! certainly did not run it (connection refused, a rolled-back concurrency fault).
//!
//! **Creates are never repeated blindly.** A create carries an idempotency key, and a key
//! already honoured (in the local key table or, via `find_by_keys`, in Odoo) is never created
//! again. That alone is not enough: a create whose answer was lost (timeout, reset, a proxy's
//! 502/504, a truncated answer) may not have run *yet* — it can wait in a proxy or in a busy
//! worker's queue and run minutes later — so a search that finds no record proves nothing, and
//! a create sent again could run as well (the duplicate goals, badges and karma seen against
//! a slow Odoo). So a lost create is never sent again in the same run: its entries stay
//! `planned` and its keys are recorded **in doubt** with the time the request was sent
//! (`state::doubts`). Later runs settle a doubtful key by searching for it: found → applied;
//! not found → the key stays held (not created, reported as held) until
//! `sent_at + request_deadline` has passed, after which the request can no longer run and the
//! key may be created again. Why the deadline is a bound: Odoo's prefork server kills a worker
//! whose request exceeds `limit_time_real` (120 s by default) and rolls its transaction back;
//! `request_deadline` (`[odoo] request_deadline_secs`, default 900 s) covers that plus time
//! queued in front of the workers. Where no such bound holds (a threaded Odoo without limits,
//! a queue that holds requests longer), a late request can still create a second record
//! after the deadline; the deadline is configurable for that reason, and `scorekeeper check`
//! reports such duplicates (repairing them is not built yet).

mod memory;
mod reconcile;
mod report;
mod undo;
mod verify;
mod writer;

use std::future::Future;
use std::ops::Range;
use std::time::Duration;

use chrono::{DateTime, Utc};

use thiserror::Error;

pub use memory::{Calls, Fault, LoggedWrite, MemoryOdoo, Method};
pub use reconcile::{Conflict, ReconcileReport, reconcile};
pub use report::{ApplyReport, CallStats, Failure, SkippedField};
pub use undo::{UndoReport, undo};
pub use writer::{OdooWriter, ReadRows, WriteError};

use crate::plan::{CreateGroup, FieldChange, IdemKey, Plan, WriteGroup, indexed_write_groups};
use crate::record::Value;
use crate::state::{
    EntryChange, EntryStatus, NewEntry, Outcome, RunId, RunStatus, State, StateError,
};

/// How apply talks to Odoo.
#[derive(Clone, Debug)]
pub struct ApplyOptions {
    /// Most ids per `write`, records per `create`, ids per `read`.
    pub batch_size: usize,
    /// How long after it was sent a request whose answer was lost may still run in Odoo; a
    /// create in doubt is not sent again before this has passed (see the module doc).
    pub request_deadline: Duration,
    /// Stop at the first failed call (the rest is journaled as not applied), or go on with
    /// the other groups.
    pub stop_on_error: bool,
    /// Re-read the planned fields just before journaling and drop every change whose record
    /// no longer holds the planned old value (someone changed it since the plan was
    /// computed): narrows the race with people working in Odoo, e.g. for assignments. Costs
    /// one `read` per model and batch.
    pub verify_old: bool,
    /// Cursors of the job to move, in the same transaction that closes the run, if and only if
    /// the run is applied.
    pub cursors: Vec<(String, String)>,
    /// A stop request (SIGTERM/SIGINT): checked before every call, so the call in flight
    /// finishes and is journaled, and the rest is journaled as not attempted.
    pub cancel: Option<tokio_util::sync::CancellationToken>,
    /// Where the run's progress is shown (a bar on `scorekeeper run`'s terminal).
    pub progress: crate::progress::Progress,
    /// Write calls in flight at once (1: one after the other). Used only when no record is
    /// in two write groups of the plan (the groups are then independent).
    pub concurrency: usize,
}

/// The default of `[odoo] request_deadline_secs`: Odoo's `limit_time_real` (120 s) plus
/// generous room for time queued in front of the workers.
pub(crate) const DEFAULT_REQUEST_DEADLINE: Duration = Duration::from_secs(900);

impl Default for ApplyOptions {
    fn default() -> Self {
        ApplyOptions {
            batch_size: 1000,
            request_deadline: DEFAULT_REQUEST_DEADLINE,
            stop_on_error: true,
            verify_old: false,
            cursors: Vec::new(),
            cancel: None,
            progress: crate::progress::Progress::hidden(),
            concurrency: 1,
        }
    }
}

/// Why apply, reconcile or undo could not do their job at all. Failed Odoo calls during a run
/// are not errors: they are in the report (status `failed`) and in the journal.
#[derive(Debug, Error)]
pub enum ApplyError {
    #[error(transparent)]
    State(#[from] StateError),
    #[error("cannot reconcile the journal of an interrupted run, so nothing was applied: {0}")]
    Reconcile(WriteError),
    #[error("cannot re-read {model} to verify the plan, so nothing was applied: {error}")]
    VerifyRead { model: String, error: WriteError },
    #[error("cannot read the current values to undo run {run}: {error}")]
    UndoRead { run: String, error: WriteError },
    #[error("cannot undo: {0}")]
    Undo(String),
}

/// Journals `plan`, then applies it. Entries left `planned` by earlier runs are reconciled
/// first. `--dry-run` is simply not calling this.
pub async fn apply<W: OdooWriter>(
    plan: &Plan,
    state: &mut State,
    writer: &W,
    opts: &ApplyOptions,
) -> Result<ApplyReport, ApplyError> {
    let held = crate::state::lock_group(&plan.job).to_owned();
    let reconciled = reconcile::reconcile_holding(state, writer, opts, Some(&held)).await?;
    let mut report = if opts.verify_old {
        let verified = verify::verify(plan, writer, opts).await?;
        let mut report =
            execute(&verified.plan, state, writer, opts, None, verified.skipped).await?;
        report.stale = verified.stale;
        report.calls.add(&verified.calls);
        report
    } else {
        execute(plan, state, writer, opts, None, Vec::new()).await?
    };
    report.reconciled = reconciled;
    Ok(report)
}

/// The kinds of call, for counting.
#[derive(Clone, Copy)]
enum Call {
    Write,
    Create,
    Read,
    Find,
}

/// Sends one Odoo call, counted. No retry here: the writer's client owns retries.
async fn once<T>(
    stats: &mut CallStats,
    call: Call,
    fut: impl Future<Output = Result<T, WriteError>>,
) -> Result<T, WriteError> {
    stats.count(call);
    fut.await
}

/// The journal entries of a plan, numbered by Odoo call ("group"): write groups first, then
/// create batches. Produced lazily so a plan of a million changes is not copied in memory;
/// each group's entries are contiguous, so its seqs are a range.
fn journal_entries<'a>(
    plan: &'a Plan,
    writes: &'a [(WriteGroup, Vec<u32>)],
    creates: &'a [CreateGroup],
    unlinks: &'a [UnlinkGroup],
) -> (impl Iterator<Item = NewEntry> + 'a, Vec<Range<i64>>) {
    let mut seqs = Vec::with_capacity(writes.len() + creates.len() + unlinks.len());
    let mut next = 1;
    for (group, _) in writes {
        let count = (group.ids.len() * group.values.len()) as i64;
        seqs.push(next..next + count);
        next += count;
    }
    for batch in creates {
        let count = batch.items.len() as i64;
        seqs.push(next..next + count);
        next += count;
    }
    for batch in unlinks {
        let count = batch.items.len() as i64;
        seqs.push(next..next + count);
        next += count;
    }
    let write_entries = writes
        .iter()
        .enumerate()
        .flat_map(move |(group, (_, members))| {
            members.iter().flat_map(move |&slot| {
                let (model, id, values, reason): (&str, i64, &[FieldChange], &str) =
                    plan.write_at(slot).unwrap_or(("", 0, &[], ""));
                values.iter().map(move |c| NewEntry {
                    model: model.to_owned(),
                    record_id: Some(id),
                    change: EntryChange::Write {
                        field: c.field.clone(),
                        old: c.old.clone(),
                        new: c.new.clone(),
                    },
                    reason: reason.to_owned(),
                    group: Some(group as i64),
                    status: EntryStatus::Planned,
                    detail: None,
                })
            })
        });
    let create_entries = creates.iter().enumerate().flat_map(move |(index, batch)| {
        let group = (writes.len() + index) as i64;
        batch.items.iter().map(move |item| NewEntry {
            model: batch.model.clone(),
            record_id: None,
            change: EntryChange::Create {
                values: item.values.clone(),
                key: item.key.clone(),
            },
            reason: item.reason.clone(),
            group: Some(group),
            status: EntryStatus::Planned,
            detail: None,
        })
    });
    let unlink_entries = unlinks.iter().enumerate().flat_map(move |(index, batch)| {
        let group = (writes.len() + creates.len() + index) as i64;
        batch.items.iter().map(move |item| NewEntry {
            model: batch.model.clone(),
            record_id: Some(item.id),
            change: EntryChange::Unlink {
                values: item.values.clone(),
            },
            reason: item.reason.clone(),
            group: Some(group),
            status: EntryStatus::Planned,
            detail: None,
        })
    });
    (
        write_entries.chain(create_entries).chain(unlink_entries),
        seqs,
    )
}

/// Unlinks of one model in one call.
struct UnlinkGroup {
    model: String,
    items: Vec<UnlinkItem>,
}

/// One record to delete: its id, the values it held (journaled for undo), why.
#[derive(Clone)]
struct UnlinkItem {
    id: i64,
    values: crate::plan::Values,
    reason: String,
}

/// The plan's unlinks per model (in plan order), split at `batch_size`.
fn unlink_groups(plan: &Plan, batch_size: usize) -> Vec<UnlinkGroup> {
    let mut by_model: std::collections::BTreeMap<&str, Vec<UnlinkItem>> =
        std::collections::BTreeMap::new();
    for (model, id, values, reason) in plan.unlinks() {
        by_model.entry(model).or_default().push(UnlinkItem {
            id,
            values: values.to_vec(),
            reason: reason.to_owned(),
        });
    }
    let mut out = Vec::new();
    for (model, items) in by_model {
        for chunk in items.chunks(batch_size.max(1)) {
            out.push(UnlinkGroup {
                model: model.to_owned(),
                items: chunk.to_vec(),
            });
        }
    }
    out
}

fn outcomes(
    run_id: &RunId,
    seqs: &[i64],
    status: EntryStatus,
    detail: Option<&str>,
) -> Vec<Outcome> {
    seqs.iter()
        .map(|&seq| Outcome {
            run_id: run_id.clone(),
            seq,
            status,
            detail: detail.map(str::to_owned),
            record_id: None,
        })
        .collect()
}

const NOT_ATTEMPTED: &str = "not attempted: the run stopped after a failed call";
const STOPPED: &str = "not attempted: the run was asked to stop (SIGTERM/SIGINT)";

/// Journals and executes a plan as one run (no reconciliation). `extra` entries (already
/// decided, e.g. what an undo skips) are journaled with the run after the plan's own.
pub(crate) async fn execute<W: OdooWriter>(
    plan: &Plan,
    state: &mut State,
    writer: &W,
    opts: &ApplyOptions,
    undo_of: Option<&RunId>,
    extra: Vec<NewEntry>,
) -> Result<ApplyReport, ApplyError> {
    let retries_before = writer.retries_so_far();
    let indexed = indexed_write_groups(plan, opts.batch_size);
    let create_groups = plan.create_groups(opts.batch_size);
    let unlinks = unlink_groups(plan, opts.batch_size);
    let (entries, group_seqs) = journal_entries(plan, &indexed, &create_groups, &unlinks);
    let run_id = state.begin_run(&plan.job, undo_of, entries.chain(extra))?;
    let write_groups: Vec<&WriteGroup> = indexed.iter().map(|(group, _)| group).collect();
    let mut report = ApplyReport::new(run_id.clone(), plan.job.clone());
    if write_groups.is_empty() && create_groups.is_empty() && unlinks.is_empty() {
        let info = state.finish_run(&run_id, RunStatus::Applied, None, &opts.cursors)?;
        report.status = info.status;
        return Ok(report);
    }
    state.set_run_status(&run_id, RunStatus::Applying)?;

    // Groups are numbered writes first, then creates, then unlinks (as `group_seqs`).
    let total: i64 = group_seqs.iter().map(|s| s.end - s.start).sum();
    let phase = opts.progress.phase(
        &format!("{}: changes applied", plan.job),
        Some(total as u64),
    );
    let mut run = Execution {
        state,
        writer,
        opts,
        run_id: &run_id,
        group_seqs: &group_seqs,
        report,
        phase,
    };
    let mut stopped_at = run.writes(&write_groups).await?;
    if stopped_at.is_none() {
        stopped_at = run.creates(&create_groups, write_groups.len()).await?;
    }
    if stopped_at.is_none() {
        let base = write_groups.len() + create_groups.len();
        stopped_at = run.unlinks(&unlinks, base).await?;
    }
    run.finish(stopped_at, retries_before)
}

/// Whether no record is in two of `groups`: their calls may then run in any order, and at
/// once, without two of them waiting on each other's row locks.
fn independent(groups: &[&WriteGroup]) -> bool {
    let mut seen = std::collections::HashSet::new();
    groups
        .iter()
        .all(|g| g.ids.iter().all(|id| seen.insert((g.model.as_str(), *id))))
}

/// One plan being executed: the journal, the writer and the report the calls fill in.
struct Execution<'a, W> {
    state: &'a mut State,
    writer: &'a W,
    opts: &'a ApplyOptions,
    run_id: &'a RunId,
    /// The journal sequence numbers of each group, in execution order.
    group_seqs: &'a [std::ops::Range<i64>],
    report: ApplyReport,
    /// Journal entries settled so far, for whoever watches.
    phase: crate::progress::Phase,
}

impl<W: OdooWriter> Execution<'_, W> {
    /// Journals write group `group` (journal `seqs`, `entries` field changes) applied and
    /// counts it in the report.
    fn applied(
        &mut self,
        group: &WriteGroup,
        seqs: std::ops::Range<i64>,
        entries: usize,
    ) -> Result<(), ApplyError> {
        self.state
            .record_range(self.run_id, seqs, EntryStatus::Applied, None)?;
        let report = &mut self.report;
        report.field_changes_applied += entries;
        report.records_written += group.ids.len();
        if let (Some(&first), Some(&last)) = (group.ids.first(), group.ids.last()) {
            let start = report.written_span.map_or(first, |(start, _)| start);
            report.written_span = Some((start, last));
        }
        Ok(())
    }

    /// Group `index` is settled (applied or failed): its entries count as progress.
    fn settled(&self, index: usize) {
        if let Some(seqs) = self.group_seqs.get(index) {
            self.phase.advance((seqs.end - seqs.start) as u64);
        }
    }

    fn stop_requested(&mut self) -> bool {
        let stop = self.opts.cancel.as_ref().is_some_and(|c| c.is_cancelled());
        self.report.interrupted |= stop;
        stop
    }

    /// Journals a failed group; returns where to stop, if the run stops on errors.
    fn failed(
        &mut self,
        seqs: std::ops::Range<i64>,
        failure: Failure,
        entries: usize,
        next: usize,
    ) -> Result<Option<usize>, ApplyError> {
        self.state.record_range(
            self.run_id,
            seqs,
            failure.entry_status(),
            Some(&failure.detail()),
        )?;
        self.report.record_failure(failure, entries);
        Ok(self.opts.stop_on_error.then_some(next))
    }

    /// The grouped writes, one call each; returns the group index where the run stopped. With
    /// `concurrency` above 1 and independent groups, that many calls at once
    /// ([`Execution::concurrent_writes`]).
    async fn writes(&mut self, groups: &[&WriteGroup]) -> Result<Option<usize>, ApplyError> {
        if self.opts.concurrency > 1 && groups.len() > 1 && independent(groups) {
            return self.concurrent_writes(groups).await;
        }
        for (index, group) in groups.iter().enumerate() {
            if self.stop_requested() {
                return Ok(Some(index));
            }
            let seqs = self.group_seqs[index].clone();
            let entries = (seqs.end - seqs.start) as usize;
            let result = once(
                &mut self.report.calls,
                Call::Write,
                self.writer.write(&group.model, &group.ids, &group.values),
            )
            .await;
            match result {
                Ok(()) => self.applied(group, seqs, entries)?,
                Err(error) => {
                    let failure = Failure::write(group, error);
                    if let Some(stop) = self.failed(seqs, failure, entries, index + 1)? {
                        return Ok(Some(stop));
                    }
                }
            }
            self.settled(index);
        }
        Ok(None)
    }

    /// The grouped writes in waves of `concurrency` calls sent at once. The journal is kept
    /// as in the sequential path: every entry was journaled `planned` before the first call,
    /// each group is marked applied (or failed) when its wave has answered, and a stop (a
    /// failure with `stop_on_error`, a stop request) takes effect between waves, so the
    /// groups not sent are exactly those from the returned index on. A crash leaves the
    /// groups of the wave in flight `planned`, as it leaves the one call in flight of the
    /// sequential path: reconciliation reads them back from Odoo. Waves, not a sliding
    /// window: every call of a wave starts after every call of the waves before it answered,
    /// so Odoo's `write_date` stamps grow from wave to wave (the scoring job recognises its
    /// own writes by them).
    async fn concurrent_writes(
        &mut self,
        groups: &[&WriteGroup],
    ) -> Result<Option<usize>, ApplyError> {
        let writer = self.writer;
        let width = self.opts.concurrency;
        for (wave, chunk) in groups.chunks(width).enumerate() {
            let base = wave * width;
            if self.stop_requested() {
                return Ok(Some(base));
            }
            for _ in chunk {
                self.report.calls.count(Call::Write);
            }
            let results = futures_util::future::join_all(
                chunk
                    .iter()
                    .map(|group| writer.write(&group.model, &group.ids, &group.values)),
            )
            .await;
            let mut stop = false;
            for (offset, result) in results.into_iter().enumerate() {
                let index = base + offset;
                let group = groups[index];
                let seqs = self.group_seqs[index].clone();
                let entries = (seqs.end - seqs.start) as usize;
                match result {
                    Ok(()) => self.applied(group, seqs, entries)?,
                    Err(error) => {
                        let failure = Failure::write(group, error);
                        stop |= self.failed(seqs, failure, entries, index + 1)?.is_some();
                    }
                }
                self.settled(index);
            }
            let next = base + chunk.len();
            if stop && next < groups.len() {
                return Ok(Some(next));
            }
        }
        Ok(None)
    }

    /// The create batches (see [`create_batch`]), numbered from `base`.
    async fn creates(
        &mut self,
        batches: &[CreateGroup],
        base: usize,
    ) -> Result<Option<usize>, ApplyError> {
        for (index, batch) in batches.iter().enumerate() {
            if self.stop_requested() {
                return Ok(Some(base + index));
            }
            let seqs: Vec<i64> = self.group_seqs[base + index].clone().collect();
            let ok = create_batch(
                batch,
                &seqs,
                self.run_id,
                self.state,
                self.writer,
                self.opts,
                &mut self.report,
            )
            .await?;
            if !ok && self.opts.stop_on_error {
                return Ok(Some(base + index + 1));
            }
            self.settled(base + index);
        }
        Ok(None)
    }

    /// The unlink batches, numbered from `base`. Each is sent once: a lost answer is settled
    /// by reconciliation (is the record gone?).
    async fn unlinks(
        &mut self,
        batches: &[UnlinkGroup],
        base: usize,
    ) -> Result<Option<usize>, ApplyError> {
        for (index, batch) in batches.iter().enumerate() {
            if self.stop_requested() {
                return Ok(Some(base + index));
            }
            let seqs = self.group_seqs[base + index].clone();
            let ids: Vec<i64> = batch.items.iter().map(|item| item.id).collect();
            let result = once(
                &mut self.report.calls,
                Call::Write,
                self.writer.unlink(&batch.model, &ids),
            )
            .await;
            match result {
                Ok(()) => {
                    self.state
                        .record_range(self.run_id, seqs, EntryStatus::Applied, None)?;
                    self.report
                        .unlinked
                        .extend(ids.iter().map(|&id| (batch.model.clone(), id)));
                }
                Err(error) => {
                    let failure = Failure::unlink(&batch.model, &ids, error);
                    if let Some(stop) = self.failed(seqs, failure, ids.len(), base + index + 1)? {
                        return Ok(Some(stop));
                    }
                }
            }
            self.settled(base + index);
        }
        Ok(None)
    }

    /// Journals the groups not attempted after a stop and closes the run.
    fn finish(
        mut self,
        stopped_at: Option<usize>,
        retries_before: u64,
    ) -> Result<ApplyReport, ApplyError> {
        if let Some(next) = stopped_at {
            let why = if self.report.interrupted {
                STOPPED
            } else {
                NOT_ATTEMPTED
            };
            for seqs in &self.group_seqs[next..] {
                self.report.not_attempted += self.state.record_range(
                    self.run_id,
                    seqs.clone(),
                    EntryStatus::NotApplied,
                    Some(why),
                )?;
            }
        }
        let mut report = self.report;
        report.calls.retries = self.writer.retries_so_far().saturating_sub(retries_before);
        let (status, error) = if report.interrupted {
            (
                RunStatus::Failed,
                Some(format!(
                    "interrupted on request: {} change(s) not attempted; the next run plans them again",
                    report.not_attempted
                )),
            )
        } else if report.failures.is_empty() {
            (RunStatus::Applied, None)
        } else {
            (RunStatus::Failed, Some(report.failure_summary()))
        };
        let info =
            self.state
                .finish_run(self.run_id, status, error.as_deref(), &self.opts.cursors)?;
        report.status = info.status;
        Ok(report)
    }
}

/// The idempotency keys of the pending `(seq, item index)` entries of `batch`.
fn keys_of(batch: &CreateGroup, pending: &[(i64, usize)]) -> Vec<IdemKey> {
    pending
        .iter()
        .map(|&(_, i)| batch.items[i].key.clone())
        .collect()
}

/// Journals `failure` on every pending entry, adds it to the report, and stops the batch.
fn fail_pending(
    state: &mut State,
    report: &mut ApplyReport,
    run_id: &RunId,
    pending: &[(i64, usize)],
    failure: Failure,
) -> Result<bool, ApplyError> {
    let seqs: Vec<i64> = pending.iter().map(|&(seq, _)| seq).collect();
    state.record_outcomes(
        &outcomes(
            run_id,
            &seqs,
            failure.entry_status(),
            Some(&failure.detail()),
        ),
        &[],
    )?;
    report.record_failure(failure, seqs.len());
    Ok(false)
}

/// One batch of creates: skip keys already honoured (locally or in Odoo), create the rest in
/// one call, store ids and keys together. A transient failure is retried only after checking
/// the keys in Odoo again, since the failed call may have been committed. Returns whether the
/// batch ended without failure.
async fn create_batch<W: OdooWriter>(
    batch: &CreateGroup,
    seqs: &[i64],
    run_id: &RunId,
    state: &mut State,
    writer: &W,
    opts: &ApplyOptions,
    report: &mut ApplyReport,
) -> Result<bool, ApplyError> {
    // (seq, item index) still to create
    let pending: Vec<(i64, usize)> = seqs.iter().copied().zip(0..batch.items.len()).collect();
    let pending = skip_honoured(batch, pending, run_id, state, opts, report)?;
    if pending.is_empty() {
        return Ok(true);
    }
    let pending = match skip_found(batch, pending, run_id, state, writer, report).await? {
        Ok(pending) => pending,
        Err(failed) => return Ok(failed),
    };
    if pending.is_empty() {
        return Ok(true);
    }
    send_creates(batch, &pending, run_id, state, writer, report).await
}

/// Leaves out the items whose key this state already honoured (a record exists) or holds in
/// doubt (an earlier create may still run), journaling why; returns the rest.
fn skip_honoured(
    batch: &CreateGroup,
    mut pending: Vec<(i64, usize)>,
    run_id: &RunId,
    state: &mut State,
    opts: &ApplyOptions,
    report: &mut ApplyReport,
) -> Result<Vec<(i64, usize)>, ApplyError> {
    let keys: Vec<IdemKey> = batch.items.iter().map(|i| i.key.clone()).collect();
    let known = state.known_keys(&keys)?;
    let doubts = state.doubts(&keys)?;
    let mut done = Vec::new();
    pending.retain(|&(seq, index)| {
        let item = &batch.items[index];
        if let Some(record) = known.get(&item.key) {
            done.push(Outcome {
                run_id: run_id.clone(),
                seq,
                status: EntryStatus::Skipped,
                detail: Some(format!(
                    "duplicate: key already honoured by {} {} (run {})",
                    record.model, record.record_id, record.run_id
                )),
                record_id: Some(record.record_id),
            });
            report.duplicates.push((item.key.clone(), record.record_id));
            return false;
        }
        if let Some(doubt) = doubts.get(&item.key) {
            // Reconciliation (at the start of this apply) did not find the record and the
            // earlier request may still run: hold the key rather than risk a second record.
            done.push(Outcome {
                run_id: run_id.clone(),
                seq,
                status: EntryStatus::NotApplied,
                detail: Some(held_detail(doubt.sent_at, &doubt.run_id, opts)),
                record_id: None,
            });
            report.held.push(item.key.clone());
            return false;
        }
        true
    });
    state.record_outcomes(&done, &[])?;
    Ok(pending)
}

/// Asks Odoo which keys a record already carries (from a run whose local state was lost) and
/// leaves those out; `Err(false)` when the search failed (journaled; nothing was created).
async fn skip_found<W: OdooWriter>(
    batch: &CreateGroup,
    pending: Vec<(i64, usize)>,
    run_id: &RunId,
    state: &mut State,
    writer: &W,
    report: &mut ApplyReport,
) -> Result<Result<Vec<(i64, usize)>, bool>, ApplyError> {
    let model = batch.model.as_str();
    let wanted = keys_of(batch, &pending);
    let found = match once(
        &mut report.calls,
        Call::Find,
        writer.find_by_keys(model, &wanted),
    )
    .await
    {
        Ok(found) => found,
        Err(error) => {
            // A search creates nothing: the entries were not applied.
            let failure = Failure::create(model, &wanted, "search", error, false);
            return fail_pending(state, report, run_id, &pending, failure).map(Err);
        }
    };
    let mut done = Vec::new();
    let mut keys = Vec::new();
    let mut still = Vec::new();
    for (&(seq, index), found) in pending.iter().zip(found) {
        match found {
            Some(id) => {
                let key = &batch.items[index].key;
                done.push(Outcome {
                    run_id: run_id.clone(),
                    seq,
                    status: EntryStatus::Skipped,
                    detail: Some(format!(
                        "duplicate: {model} {id} in Odoo already carries the key"
                    )),
                    record_id: Some(id),
                });
                keys.push((key.clone(), model.to_owned(), id, run_id.clone()));
                report.duplicates.push((key.clone(), id));
            }
            None => still.push((seq, index)),
        }
    }
    state.record_outcomes(&done, &keys)?;
    Ok(Ok(still))
}

/// The one `create` call of the batch. A lost answer puts its keys in doubt: they are not
/// created again until found or past the request deadline.
async fn send_creates<W: OdooWriter>(
    batch: &CreateGroup,
    pending: &[(i64, usize)],
    run_id: &RunId,
    state: &mut State,
    writer: &W,
    report: &mut ApplyReport,
) -> Result<bool, ApplyError> {
    let model = batch.model.as_str();
    let values: Vec<Vec<(String, Value)>> = pending
        .iter()
        .map(|&(_, i)| batch.items[i].values.clone())
        .collect();
    let wanted = keys_of(batch, pending);
    // Taken before sending: the deadline of a lost request counts from when it could first run.
    let sent_at = state.now();
    match once(
        &mut report.calls,
        Call::Create,
        writer.create(model, &values),
    )
    .await
    {
        Ok(ids) if ids.len() == pending.len() => {
            let mut done = Vec::new();
            let mut keys = Vec::new();
            for (&(seq, index), id) in pending.iter().zip(ids) {
                let key = &batch.items[index].key;
                done.push(Outcome {
                    run_id: run_id.clone(),
                    seq,
                    status: EntryStatus::Applied,
                    detail: None,
                    record_id: Some(id),
                });
                keys.push((key.clone(), model.to_owned(), id, run_id.clone()));
                report.created.push((key.clone(), id));
            }
            state.record_outcomes(&done, &keys)?;
            Ok(true)
        }
        Ok(ids) => {
            let error = WriteError::Unknown(format!(
                "{model}.create returned {} ids for {} records",
                ids.len(),
                pending.len()
            ));
            // Records may exist without known ids: leave the entries to reconciliation,
            // which finds them by key.
            state.add_doubts(model, &wanted, run_id, sent_at)?;
            let failure = Failure::create(model, &wanted, "create", error, true);
            fail_pending(state, report, run_id, pending, failure)
        }
        Err(error) => {
            let unknown = error.outcome_unknown();
            if unknown {
                tracing::warn!(%error, keys = wanted.len(), "{model}.create answer lost: its keys are in doubt and are not created again until found or past the request deadline");
                state.add_doubts(model, &wanted, run_id, sent_at)?;
            }
            let failure = Failure::create(model, &wanted, "create", error, unknown);
            fail_pending(state, report, run_id, pending, failure)
        }
    }
}

/// The journal detail of a create held back because an earlier create of its key is in doubt.
fn held_detail(sent_at: DateTime<Utc>, run: &RunId, opts: &ApplyOptions) -> String {
    let until = sent_at + chrono::Duration::from_std(opts.request_deadline).unwrap_or_default();
    format!(
        "held: the create of this key sent at {} by run {run} lost its answer and may still run \
         in Odoo until {}; not created again before then",
        sent_at.format("%Y-%m-%d %H:%M:%S UTC"),
        until.format("%Y-%m-%d %H:%M:%S UTC"),
    )
}
