//! Who hears about runs: the admin listener's metrics and readiness implement
//! [`RunObserver`]; the scheduler calls it around every run without knowing what it does.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::job::{JobError, JobOutcome};

pub trait RunObserver: Send + Sync {
    fn run_started(&self, job: &str, at: DateTime<Utc>);
    fn run_finished(
        &self,
        job: &str,
        at: DateTime<Utc>,
        took: Duration,
        result: &Result<JobOutcome, JobError>,
    );
}

/// An observer that does nothing (the `run` command, tests that do not look).
#[derive(Debug, Default)]
pub struct NoObserver;

impl RunObserver for NoObserver {
    fn run_started(&self, _: &str, _: DateTime<Utc>) {}
    fn run_finished(
        &self,
        _: &str,
        _: DateTime<Utc>,
        _: Duration,
        _: &Result<JobOutcome, JobError>,
    ) {
    }
}

/// Several observers, each told about every run in turn (the daemon's metrics and boards).
pub struct Observers(pub Vec<std::sync::Arc<dyn RunObserver>>);

impl RunObserver for Observers {
    fn run_started(&self, job: &str, at: DateTime<Utc>) {
        for o in &self.0 {
            o.run_started(job, at);
        }
    }

    fn run_finished(
        &self,
        job: &str,
        at: DateTime<Utc>,
        took: Duration,
        result: &Result<JobOutcome, JobError>,
    ) {
        for o in &self.0 {
            o.run_finished(job, at, took, result);
        }
    }
}
