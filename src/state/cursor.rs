//! Cursors: small named values a job keeps between runs, such as the `write_date` up to which
//! an incremental pass has read. A run's cursors move only when the run is applied.

use rusqlite::{OptionalExtension, Transaction, params};

use super::run::RunId;
use super::{State, StateError};

pub(super) fn set_in(
    tx: &Transaction<'_>,
    job: &str,
    name: &str,
    value: &str,
    run_id: Option<&RunId>,
    now: &str,
) -> Result<(), StateError> {
    tx.execute(
        "INSERT INTO cursors (job, name, value, run_id, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (job, name) DO UPDATE SET value = ?3, run_id = ?4, updated_at = ?5",
        params![job, name, value, run_id.map(RunId::as_str), now],
    )?;
    Ok(())
}

impl State {
    pub fn cursor(&self, job: &str, name: &str) -> Result<Option<String>, StateError> {
        Ok(self
            .conn
            .query_row(
                "SELECT value FROM cursors WHERE job = ?1 AND name = ?2",
                params![job, name],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Sets a cursor outside a run (e.g. `scorekeeper` resetting a job to a full pass). Cursors
    /// that must move with a run's writes go through `finish_run` instead.
    pub(crate) fn set_cursor(
        &mut self,
        job: &str,
        name: &str,
        value: &str,
    ) -> Result<(), StateError> {
        let now = self.now_text();
        let tx = self.conn.transaction()?;
        set_in(&tx, job, name, value, None, &now)?;
        tx.commit()?;
        Ok(())
    }

    #[cfg(test)]
    pub(crate) fn clear_cursor(&mut self, job: &str, name: &str) -> Result<(), StateError> {
        self.conn.execute(
            "DELETE FROM cursors WHERE job = ?1 AND name = ?2",
            params![job, name],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::RunStatus;
    use super::*;

    #[test]
    fn cursors_move_only_with_an_applied_run() {
        let mut state = State::open_in_memory().unwrap();
        assert_eq!(state.cursor("scoring", "write_date").unwrap(), None);
        state
            .set_cursor("scoring", "write_date", "2026-11-22 10:00:00")
            .unwrap();

        let failed = state.begin_run("scoring", None, &[]).unwrap();
        let moved = [("write_date".to_owned(), "2026-11-22 11:00:00".to_owned())];
        state
            .finish_run(&failed, RunStatus::Failed, Some("odoo down"), &moved)
            .unwrap();
        assert_eq!(
            state.cursor("scoring", "write_date").unwrap().as_deref(),
            Some("2026-11-22 10:00:00")
        );

        let applied = state.begin_run("scoring", None, &[]).unwrap();
        state
            .finish_run(&applied, RunStatus::Applied, None, &moved)
            .unwrap();
        assert_eq!(
            state.cursor("scoring", "write_date").unwrap().as_deref(),
            Some("2026-11-22 11:00:00")
        );
        assert_eq!(state.cursor("gamification", "write_date").unwrap(), None);

        state.clear_cursor("scoring", "write_date").unwrap();
        assert_eq!(state.cursor("scoring", "write_date").unwrap(), None);
    }
}
