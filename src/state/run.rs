//! Runs: one execution of one job's plan (or of an undo), its status and its counts. A run is
//! created together with its whole journal, before anything is sent to Odoo.

use std::borrow::Borrow;
use std::fmt;
use std::str::FromStr;

use rusqlite::{OptionalExtension, Row, Transaction, params};

use super::journal::{NewEntry, insert_entries};
use super::{State, StateError};

/// A sortable, unique run id: `20261122T140501Z-1a2b` (UTC start second, 4 random hex digits).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RunId(String);

impl RunId {
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RunId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for RunId {
    fn from(s: &str) -> Self {
        RunId(s.to_owned())
    }
}

/// Where a run is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunStatus {
    /// Journal written, nothing sent to Odoo yet.
    Planned,
    /// Sending to Odoo; a run left in this state was interrupted and is reconciled next time.
    Applying,
    /// Every entry applied or deliberately skipped.
    Applied,
    /// Stopped on an error, or interrupted; the journal says entry by entry what happened.
    Failed,
    /// Reverted by a later undo run.
    Undone,
}

impl RunStatus {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            RunStatus::Planned => "planned",
            RunStatus::Applying => "applying",
            RunStatus::Applied => "applied",
            RunStatus::Failed => "failed",
            RunStatus::Undone => "undone",
        }
    }
}

impl fmt::Display for RunStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RunStatus {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "planned" => RunStatus::Planned,
            "applying" => RunStatus::Applying,
            "applied" => RunStatus::Applied,
            "failed" => RunStatus::Failed,
            "undone" => RunStatus::Undone,
            other => return Err(format!("unknown run status {other:?}")),
        })
    }
}

/// A run as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct RunInfo {
    pub run_id: RunId,
    pub job: String,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub status: RunStatus,
    /// For an undo run: the run it reverts.
    pub undo_of: Option<RunId>,
    pub entries: i64,
    pub applied: i64,
    pub failed: i64,
    pub skipped: i64,
    pub not_applied: i64,
    pub error: Option<String>,
}

impl RunInfo {
    /// Entries whose outcome is still unknown (left for reconciliation).
    pub fn still_planned(&self) -> i64 {
        self.entries - self.applied - self.failed - self.skipped - self.not_applied
    }
}

const RUN_COLUMNS: &str = "run_id, job, started_at, finished_at, status, undo_of, n_entries, \
                           n_applied, n_failed, n_skipped, n_not_applied, error";

fn run_from_row(row: &Row<'_>) -> rusqlite::Result<RunInfo> {
    let status: String = row.get(4)?;
    let status = status.parse::<RunStatus>().map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(4, rusqlite::types::Type::Text, e.into())
    })?;
    Ok(RunInfo {
        run_id: RunId(row.get(0)?),
        job: row.get(1)?,
        started_at: row.get(2)?,
        finished_at: row.get(3)?,
        status,
        undo_of: row.get::<_, Option<String>>(5)?.map(RunId),
        entries: row.get(6)?,
        applied: row.get(7)?,
        failed: row.get(8)?,
        skipped: row.get(9)?,
        not_applied: row.get(10)?,
        error: row.get(11)?,
    })
}

impl State {
    /// Creates a run in status `planned` together with its journal, in one transaction.
    /// Entries are numbered from 1 in the order given.
    pub fn begin_run<I>(
        &mut self,
        job: &str,
        undo_of: Option<&RunId>,
        entries: I,
    ) -> Result<RunId, StateError>
    where
        I: IntoIterator,
        I::Item: Borrow<NewEntry>,
    {
        let now = self.now();
        let started = self.now_text();
        let tx = self.conn.transaction()?;
        let run_id = fresh_run_id(&tx, &now.format("%Y%m%dT%H%M%SZ").to_string())?;
        tx.execute(
            "INSERT INTO runs (run_id, job, started_at, status, undo_of, n_entries)
             VALUES (?1, ?2, ?3, 'planned', ?4, ?5)",
            params![run_id.0, job, started, undo_of.map(|r| r.0.as_str()), 0],
        )?;
        let count = insert_entries(&tx, &run_id, entries, &started, 1)?;
        tx.execute(
            "UPDATE runs SET n_entries = ?2 WHERE run_id = ?1",
            params![run_id.0, count],
        )?;
        tx.commit()?;
        Ok(run_id)
    }

    pub fn set_run_status(&mut self, run_id: &RunId, status: RunStatus) -> Result<(), StateError> {
        let changed = self.conn.execute(
            "UPDATE runs SET status = ?2 WHERE run_id = ?1",
            params![run_id.0, status.as_str()],
        )?;
        if changed == 0 {
            return Err(StateError::UnknownRun(run_id.0.clone()));
        }
        Ok(())
    }

    /// Closes a run: counts its entries by status, sets status, finish time and error, and —
    /// only when `status` is `Applied` — moves the job's cursors, all in one transaction, so a
    /// cursor never runs ahead of what was written.
    pub fn finish_run(
        &mut self,
        run_id: &RunId,
        status: RunStatus,
        error: Option<&str>,
        cursors: &[(String, String)],
    ) -> Result<RunInfo, StateError> {
        let now = self.now_text();
        let tx = self.conn.transaction()?;
        finish_in(&tx, run_id, status, error, &now)?;
        if status == RunStatus::Applied {
            let job: String =
                tx.query_row("SELECT job FROM runs WHERE run_id = ?1", [&run_id.0], |r| {
                    r.get(0)
                })?;
            for (name, value) in cursors {
                super::cursor::set_in(&tx, &job, name, value, Some(run_id), &now)?;
            }
        }
        tx.commit()?;
        self.run(run_id)?
            .ok_or_else(|| StateError::UnknownRun(run_id.0.clone()))
    }

    /// Recounts a run's entries after reconciliation changed some, keeping its status.
    pub(crate) fn recount_run(&mut self, run_id: &RunId) -> Result<RunInfo, StateError> {
        self.conn.execute(
            &format!("UPDATE runs SET {COUNTS} WHERE run_id = ?1"),
            [run_id.as_str()],
        )?;
        self.run(run_id)?
            .ok_or_else(|| StateError::UnknownRun(run_id.0.clone()))
    }

    pub fn run(&self, run_id: &RunId) -> Result<Option<RunInfo>, StateError> {
        Ok(self
            .conn
            .query_row(
                &format!("SELECT {RUN_COLUMNS} FROM runs WHERE run_id = ?1"),
                [&run_id.0],
                run_from_row,
            )
            .optional()?)
    }

    /// The most recent runs first (all jobs), at most `limit`.
    pub fn runs(&self, limit: usize) -> Result<Vec<RunInfo>, StateError> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {RUN_COLUMNS} FROM runs ORDER BY rowid DESC LIMIT ?1"
        ))?;
        let rows = stmt.query_map([limit as i64], run_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Runs that never finished (status planned or applying): a crash or a kill.
    pub fn unfinished_runs(&self) -> Result<Vec<RunInfo>, StateError> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {RUN_COLUMNS} FROM runs WHERE status IN ('planned', 'applying') ORDER BY rowid"
        ))?;
        let rows = stmt.query_map([], run_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// SQL that recounts the entries of run `?1` by status.
const COUNTS: &str = "
    n_entries     = (SELECT COUNT(*) FROM journal WHERE run_id = ?1),
    n_applied     = (SELECT COUNT(*) FROM journal WHERE run_id = ?1 AND status = 'applied'),
    n_failed      = (SELECT COUNT(*) FROM journal WHERE run_id = ?1 AND status = 'failed'),
    n_skipped     = (SELECT COUNT(*) FROM journal WHERE run_id = ?1 AND status = 'skipped'),
    n_not_applied = (SELECT COUNT(*) FROM journal WHERE run_id = ?1 AND status = 'not_applied')";

pub(super) fn finish_in(
    tx: &Transaction<'_>,
    run_id: &RunId,
    status: RunStatus,
    error: Option<&str>,
    now: &str,
) -> Result<(), StateError> {
    let changed = tx.execute(
        &format!(
            "UPDATE runs SET status = ?2, error = ?3, finished_at = ?4, {COUNTS} WHERE run_id = ?1"
        ),
        params![run_id.0, status.as_str(), error, now],
    )?;
    if changed == 0 {
        return Err(StateError::UnknownRun(run_id.0.clone()));
    }
    Ok(())
}

/// A run id for this second that is not taken yet.
fn fresh_run_id(tx: &Transaction<'_>, second: &str) -> Result<RunId, StateError> {
    loop {
        let candidate = format!("{second}-{:04x}", rand::random::<u16>());
        let taken: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM runs WHERE run_id = ?1)",
            [&candidate],
            |r| r.get(0),
        )?;
        if !taken {
            return Ok(RunId(candidate));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::State;
    use super::*;

    #[test]
    fn run_ids_sort_by_time_and_are_unique() {
        let mut state = State::open_in_memory().unwrap();
        let ids: Vec<RunId> = (0..50)
            .map(|_| state.begin_run("scoring", None, &[]).unwrap())
            .collect();
        let mut unique = ids.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 50);
        let id = ids[0].as_str();
        assert_eq!(id.len(), "20261122T140501Z-1a2b".len());
        assert_eq!(&id[8..9], "T");
        assert_eq!(&id[15..17], "Z-");
    }

    #[test]
    fn status_round_trips_and_runs_are_listed_newest_first() {
        let mut state = State::open_in_memory().unwrap();
        let first = state.begin_run("scoring", None, &[]).unwrap();
        let second = state.begin_run("gamification", None, &[]).unwrap();
        state.set_run_status(&first, RunStatus::Applying).unwrap();
        let info = state
            .finish_run(&first, RunStatus::Failed, Some("boom"), &[])
            .unwrap();
        assert_eq!(info.status, RunStatus::Failed);
        assert_eq!(info.error.as_deref(), Some("boom"));
        assert!(info.finished_at.is_some());
        let runs = state.runs(10).unwrap();
        assert_eq!(
            runs.iter().map(|r| r.run_id.clone()).collect::<Vec<_>>(),
            vec![second.clone(), first]
        );
        assert_eq!(state.unfinished_runs().unwrap().len(), 1);
        assert!(matches!(
            state.set_run_status(&RunId::from("nope"), RunStatus::Applied),
            Err(StateError::UnknownRun(_))
        ));
    }
}
