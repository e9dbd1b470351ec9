//! The local state database (SQLite, WAL): runs, the write journal, incremental cursors and
//! idempotency keys. They live in one file so that they change together, atomically: a run's
//! completion and its cursor move in one transaction, a create and its key in another.
//!
//! Calls are synchronous and short (a few rows per Odoo call); async callers use them between
//! awaits and never hold a transaction across one.

mod cursor;
mod doubts;
mod journal;
mod keys;
mod lock;
mod run;
mod schema;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::Connection;
use thiserror::Error;

pub use doubts::Doubt;
pub use journal::{EntryChange, EntryKind, EntryStatus, JournalEntry, NewEntry, Outcome};
pub use keys::KeyRecord;
pub use lock::{JobLock, lock_group};
pub use run::{RunId, RunInfo, RunStatus};
#[cfg(test)]
pub(crate) use schema::SCHEMA_VERSION;

/// Where "now" comes from; injected so tests and the scheduler control time.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// A failure of the state database itself (not of Odoo).
#[derive(Debug, Error)]
pub enum StateError {
    #[error("cannot open state database {path}: {source}")]
    Open {
        path: String,
        source: rusqlite::Error,
    },
    #[error("state database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error(
        "state database is at schema version {found}, newer than this scorekeeper ({known}): upgrade scorekeeper"
    )]
    TooNew { found: i64, known: i64 },
    #[error("state database: journal entry {run_id}#{seq} is unreadable: {detail}")]
    Corrupt {
        run_id: String,
        seq: i64,
        detail: String,
    },
    #[error("unknown run {0}")]
    UnknownRun(String),
    #[error(
        "another scorekeeper run of {job} is applying with this state database (it holds {path}): \
         the daemon, or a cron run; try again when it has finished"
    )]
    Busy { job: String, path: String },
    #[error("cannot lock {path}: {detail}")]
    Lock { path: String, detail: String },
}

/// An open state database.
pub struct State {
    conn: Connection,
    clock: Clock,
    /// The database file (`None` in memory), for the job locks beside it.
    path: Option<PathBuf>,
}

impl State {
    /// Opens (creating if needed) the database at `path` and migrates it.
    pub fn open(path: impl AsRef<Path>) -> Result<State, StateError> {
        let path = path.as_ref();
        let conn = Connection::open(path).map_err(|source| StateError::Open {
            path: path.display().to_string(),
            source,
        })?;
        let mut state = State::init(conn)?;
        state.path = Some(path.to_path_buf());
        Ok(state)
    }

    /// A private in-memory database (tests, `--dry-run` style commands).
    pub fn open_in_memory() -> Result<State, StateError> {
        State::init(Connection::open_in_memory()?)
    }

    fn init(mut conn: Connection) -> Result<State, StateError> {
        // WAL lets `explain`/`leaderboard` read while the daemon writes; FULL sync because a
        // journal entry that is lost after a power cut would defeat its purpose.
        let _mode: String =
            conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", true)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        // Every transaction here writes: taking the write lock at BEGIN makes a second writer
        // (the daemon's other job, a `run` from cron) wait through the busy timeout. A
        // deferred one that reads first fails at once with "database is locked" when another
        // connection committed in between (SQLite cannot upgrade a stale WAL snapshot).
        conn.set_transaction_behavior(rusqlite::TransactionBehavior::Immediate);
        schema::migrate(&mut conn)?;
        Ok(State {
            conn,
            clock: Arc::new(Utc::now),
            path: None,
        })
    }

    /// Replaces the clock (run ids and timestamps use it).
    pub fn set_clock(&mut self, clock: Clock) {
        self.clock = clock;
    }

    pub(crate) fn now(&self) -> DateTime<Utc> {
        (self.clock)()
    }

    fn now_text(&self) -> String {
        self.now().to_rfc3339_opts(SecondsFormat::Secs, true)
    }

    /// The schema version stored in the database.
    #[cfg(test)]
    pub(crate) fn schema_version(&self) -> Result<i64, StateError> {
        Ok(self
            .conn
            .query_row("SELECT version FROM schema_version", [], |row| row.get(0))?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_database_is_migrated_and_reopens() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        {
            let state = State::open(&path).unwrap();
            assert_eq!(state.schema_version().unwrap(), SCHEMA_VERSION);
            let mode: String = state
                .conn
                .query_row("PRAGMA journal_mode", [], |r| r.get(0))
                .unwrap();
            assert_eq!(mode, "wal");
            let fk: i64 = state
                .conn
                .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
                .unwrap();
            assert_eq!(fk, 1);
        }
        let state = State::open(&path).unwrap();
        assert_eq!(state.schema_version().unwrap(), SCHEMA_VERSION);
    }

    #[test]
    fn a_newer_database_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        {
            let state = State::open(&path).unwrap();
            state
                .conn
                .execute("UPDATE schema_version SET version = 99", [])
                .unwrap();
        }
        match State::open(&path) {
            Err(StateError::TooNew { found: 99, known }) => assert_eq!(known, SCHEMA_VERSION),
            other => panic!("expected TooNew, got {:?}", other.map(|_| ())),
        }
    }
}
