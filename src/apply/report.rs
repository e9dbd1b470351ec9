//! What a run did, for people (`Display`) and for callers (fields): what was applied, created,
//! skipped as a duplicate, what failed and how, and which Odoo calls it took.

use std::fmt;

use super::Call;
use super::reconcile::ReconcileReport;
use super::writer::WriteError;
use crate::plan::{IdemKey, WriteGroup};
use crate::state::{EntryStatus, RunId, RunStatus};

/// Odoo calls made by apply, and how many HTTP attempts the client retried under them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CallStats {
    pub write: u64,
    pub create: u64,
    pub read: u64,
    /// `find_by_keys` calls.
    pub find: u64,
    pub retries: u64,
}

impl CallStats {
    pub(super) fn count(&mut self, call: Call) {
        match call {
            Call::Write => self.write += 1,
            Call::Create => self.create += 1,
            Call::Read => self.read += 1,
            Call::Find => self.find += 1,
        }
    }

    pub(super) fn add(&mut self, other: &CallStats) {
        self.write += other.write;
        self.create += other.create;
        self.read += other.read;
        self.find += other.find;
        self.retries += other.retries;
    }
}

impl fmt::Display for CallStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} write, {} create, {} read, {} search ({} retries)",
            self.write, self.create, self.read, self.find, self.retries
        )
    }
}

/// One Odoo call that failed for good.
#[derive(Clone, Debug, PartialEq)]
pub struct Failure {
    pub model: String,
    /// `"write"`, `"create"` or `"search"` (the key check before a create).
    pub call: &'static str,
    /// The records a failed write targeted.
    pub ids: Vec<i64>,
    pub fields: Vec<String>,
    /// The keys a failed create or search was for.
    pub keys: Vec<IdemKey>,
    pub error: WriteError,
    /// Whether Odoo may nevertheless hold the effect (the answer to a write or create was
    /// lost): the entries stay `planned` and the next run's reconciliation settles them.
    pub outcome_unknown: bool,
}

impl Failure {
    pub(super) fn write(group: &WriteGroup, error: WriteError) -> Failure {
        Failure {
            model: group.model.clone(),
            call: "write",
            ids: group.ids.clone(),
            fields: group.values.iter().map(|(f, _)| f.clone()).collect(),
            keys: Vec::new(),
            outcome_unknown: error.outcome_unknown(),
            error,
        }
    }

    pub(super) fn unlink(model: &str, ids: &[i64], error: WriteError) -> Failure {
        Failure {
            model: model.to_owned(),
            call: "unlink",
            ids: ids.to_vec(),
            fields: Vec::new(),
            keys: Vec::new(),
            outcome_unknown: error.outcome_unknown(),
            error,
        }
    }

    pub(super) fn create(
        model: &str,
        keys: &[IdemKey],
        call: &'static str,
        error: WriteError,
        outcome_unknown: bool,
    ) -> Failure {
        Failure {
            model: model.to_owned(),
            call,
            ids: Vec::new(),
            fields: Vec::new(),
            keys: keys.to_vec(),
            error,
            outcome_unknown,
        }
    }

    /// How the entries of the failed call are journaled.
    pub(super) fn entry_status(&self) -> EntryStatus {
        if self.outcome_unknown {
            EntryStatus::Planned
        } else if self.call == "search" {
            EntryStatus::NotApplied
        } else {
            EntryStatus::Failed
        }
    }

    /// The journal's `detail` for the entries of the failed call.
    pub(super) fn detail(&self) -> String {
        let fate = if self.outcome_unknown {
            OUTCOME_UNKNOWN
        } else {
            "not applied"
        };
        format!(
            "{}.{} failed: {} ({fate})",
            self.model, self.call, self.error
        )
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.model, self.call)?;
        if !self.ids.is_empty() {
            write!(f, " ids {}", short_list(&self.ids))?;
        }
        if !self.fields.is_empty() {
            write!(f, " fields {}", self.fields.join(", "))?;
        }
        if !self.keys.is_empty() {
            let keys: Vec<&str> = self.keys.iter().map(IdemKey::as_str).collect();
            write!(f, " keys {}", short_list(&keys))?;
        }
        write!(f, ": {}", self.error)?;
        if self.outcome_unknown {
            f.write_str(" — outcome unknown, the next run reconciles it")
        } else {
            f.write_str(" — not applied")
        }
    }
}

fn short_list<T: fmt::Display>(items: &[T]) -> String {
    const SHOWN: usize = 5;
    let mut text: Vec<String> = items.iter().take(SHOWN).map(ToString::to_string).collect();
    if items.len() > SHOWN {
        text.push(format!("… ({} in all)", items.len()));
    }
    format!("[{}]", text.join(", "))
}

/// A planned value deliberately left alone, and why (undo: changed since the run; apply with
/// `verify_old`: changed since the plan was computed).
#[derive(Clone, Debug, PartialEq)]
pub struct SkippedField {
    pub model: String,
    pub record_id: i64,
    pub field: String,
    pub detail: String,
}

/// The journal detail's words for a call whose answer was lost (reconciliation keeps such
/// writes planned until their deadline).
pub(super) const OUTCOME_UNKNOWN: &str = "outcome unknown, left for reconciliation";

/// The result of one run.
#[derive(Clone, Debug, PartialEq)]
pub struct ApplyReport {
    pub run_id: RunId,
    pub job: String,
    pub status: RunStatus,
    /// What reconciliation of earlier runs did first (empty for undo's own run).
    pub reconciled: ReconcileReport,
    /// Journal entries (record × field) written.
    pub field_changes_applied: usize,
    /// Records written (each record is in exactly one write group).
    pub records_written: usize,
    /// The first record of the first successful `write` and the last record of the last one:
    /// Odoo stamped every write of the run between those two (jobs read their `write_date`
    /// back to recognise their own writes later).
    pub written_span: Option<(i64, i64)>,
    /// Records created: key → new id.
    pub created: Vec<(IdemKey, i64)>,
    /// Creates skipped because a record already carries the key: key → that record.
    pub duplicates: Vec<(IdemKey, i64)>,
    /// Creates held back: an earlier create of the key lost its answer and may still run.
    pub held: Vec<IdemKey>,
    /// Records deleted (duplicates repaired): (model, id).
    pub unlinked: Vec<(String, i64)>,
    pub failures: Vec<Failure>,
    /// With `verify_old`: changes dropped because Odoo no longer held the planned old value.
    pub stale: Vec<SkippedField>,
    /// Entries of failed calls (failed or outcome unknown).
    pub entries_failed: usize,
    /// Entries never attempted because the run stopped.
    pub not_attempted: usize,
    /// The run stopped on request (SIGTERM/SIGINT) before its last call.
    pub interrupted: bool,
    pub calls: CallStats,
}

impl ApplyReport {
    pub(super) fn new(run_id: RunId, job: String) -> ApplyReport {
        ApplyReport {
            run_id,
            job,
            status: RunStatus::Planned,
            reconciled: ReconcileReport::default(),
            field_changes_applied: 0,
            records_written: 0,
            written_span: None,
            created: Vec::new(),
            duplicates: Vec::new(),
            held: Vec::new(),
            unlinked: Vec::new(),
            failures: Vec::new(),
            stale: Vec::new(),
            entries_failed: 0,
            not_attempted: 0,
            interrupted: false,
            calls: CallStats::default(),
        }
    }

    pub fn is_success(&self) -> bool {
        self.status == RunStatus::Applied
    }

    /// Adds a later run of the same job (a job applied in steps) to this report: counts and
    /// lists add up, the status is the later run's when it did not succeed.
    pub(crate) fn absorb(&mut self, later: ApplyReport) {
        if !later.is_success() {
            self.status = later.status;
        }
        self.field_changes_applied += later.field_changes_applied;
        self.records_written += later.records_written;
        self.created.extend(later.created);
        self.duplicates.extend(later.duplicates);
        self.held.extend(later.held);
        self.unlinked.extend(later.unlinked);
        self.failures.extend(later.failures);
        self.stale.extend(later.stale);
        self.entries_failed += later.entries_failed;
        self.not_attempted += later.not_attempted;
        self.interrupted |= later.interrupted;
        self.calls.add(&later.calls);
    }

    pub(super) fn record_failure(&mut self, failure: Failure, entries: usize) {
        tracing::error!(%failure, "apply: call failed");
        self.entries_failed += entries;
        self.failures.push(failure);
    }

    /// One line for the run's `error` column.
    pub(super) fn failure_summary(&self) -> String {
        let first = self
            .failures
            .first()
            .map(ToString::to_string)
            .unwrap_or_default();
        if self.failures.len() > 1 {
            format!(
                "{first} (and {} more failed call(s))",
                self.failures.len() - 1
            )
        } else {
            first
        }
    }
}

impl fmt::Display for ApplyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.reconciled.entries > 0 {
            write!(f, "{}", self.reconciled)?;
        }
        writeln!(f, "run {} ({}): {}", self.run_id, self.job, self.status)?;
        writeln!(
            f,
            "  applied {} field change(s) on {} record(s); created {}; skipped {} duplicate(s)",
            self.field_changes_applied,
            self.records_written,
            self.created.len(),
            self.duplicates.len()
        )?;
        if !self.held.is_empty() {
            let keys: Vec<&str> = self.held.iter().map(IdemKey::as_str).collect();
            writeln!(
                f,
                "  held {} create(s) whose earlier request lost its answer and may still run in Odoo: {}",
                self.held.len(),
                short_list(&keys)
            )?;
        }
        if !self.unlinked.is_empty() {
            writeln!(
                f,
                "  deleted {} duplicate record(s) (journaled with their values: undo re-creates them)",
                self.unlinked.len()
            )?;
        }
        writeln!(f, "  calls: {}", self.calls)?;
        for skip in &self.stale {
            writeln!(
                f,
                "  skipped {} {} {}: {}",
                skip.model, skip.record_id, skip.field, skip.detail
            )?;
        }
        for failure in &self.failures {
            writeln!(f, "  FAILED {failure}")?;
        }
        if self.interrupted {
            writeln!(
                f,
                "  interrupted on request: {} change(s) not attempted; the next run plans them again",
                self.not_attempted
            )?;
        } else if self.not_attempted > 0 {
            writeln!(
                f,
                "  {} change(s) not attempted after the failure; the next run plans them again",
                self.not_attempted
            )?;
        }
        Ok(())
    }
}
