//! One applying run per job and state database at a time: `run` from cron while the daemon
//! runs the same job on the same `state.db` would read the same cursors and plan the same
//! writes twice. An OS file lock (released by the kernel when the process dies, so a crash
//! never leaves a stale lock) on `<state db>.<job>.lock` serialises them.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::PathBuf;

use super::{State, StateError};

/// Held while a job applies; dropping it releases the lock.
#[derive(Debug)]
pub struct JobLock {
    _file: Option<File>,
}

/// The lock a job's runs are applied under: the scoring job applies its routing
/// ("assignment") under its own lock; every other job under its name.
pub fn lock_group(job: &str) -> &str {
    match job {
        "assignment" => "scoring",
        job => job,
    }
}

impl State {
    /// The lock run `run` was applied under: its job's, or for an undo run the lock of the
    /// job whose run it reverts.
    pub fn lock_group_of(&self, run: &super::RunInfo) -> Result<String, StateError> {
        if let Some(target) = &run.undo_of
            && let Some(info) = self.run(target)?
        {
            return Ok(lock_group(&info.job).to_owned());
        }
        Ok(lock_group(&run.job).to_owned())
    }

    /// Takes the lock of `job` on this database, or fails at once with
    /// [`StateError::Busy`] when another process (or handle) holds it. In-memory databases
    /// are private to their handle and need none.
    pub fn lock_job(&self, job: &str) -> Result<JobLock, StateError> {
        let Some(db) = &self.path else {
            return Ok(JobLock { _file: None });
        };
        let mut name = db.as_os_str().to_owned();
        name.push(format!(".{job}.lock"));
        let path = PathBuf::from(name);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| StateError::Lock {
                path: path.display().to_string(),
                detail: e.to_string(),
            })?;
        match file.try_lock() {
            Ok(()) => Ok(JobLock { _file: Some(file) }),
            Err(TryLockError::WouldBlock) => Err(StateError::Busy {
                job: job.to_owned(),
                path: path.display().to_string(),
            }),
            Err(TryLockError::Error(e)) => Err(StateError::Lock {
                path: path.display().to_string(),
                detail: e.to_string(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_holder_per_job_and_database() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("state.db");
        let a = State::open(&db).unwrap();
        let b = State::open(&db).unwrap();
        let held = a.lock_job("scoring").unwrap();
        let err = b.lock_job("scoring").unwrap_err();
        assert!(matches!(err, StateError::Busy { .. }), "{err}");
        assert!(
            err.to_string()
                .contains("another scorekeeper run of scoring"),
            "{err}"
        );
        // Other jobs are independent.
        let _g = b.lock_job("gamification").unwrap();
        drop(held);
        let _s = b.lock_job("scoring").unwrap();
        assert!(dir.path().join("state.db.scoring.lock").exists());
        // In memory: nothing to share, nothing to lock.
        let m = State::open_in_memory().unwrap();
        let _x = m.lock_job("scoring").unwrap();
        let _y = m.lock_job("scoring").unwrap();
    }
}
