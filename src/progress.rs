//! The progress of a long run, for whoever watches it: a run reports its phases (`rule
//! searches 4/12`, `leads read 35,000`, `writes 20,000/99,000`) to a [`Progress`] handle and
//! never knows how, or whether, they are shown. `scorekeeper run` on a terminal draws bars
//! (`cli::progress_bar`); the daemon, cron, pipes and tests pass [`Progress::hidden`], which
//! costs one branch per report.

use std::sync::Arc;

/// Where phases are shown (implemented by the CLI's terminal bars).
pub trait ProgressSink: Send + Sync {
    /// A phase of `total` steps (`None`: not known in advance, e.g. rows of a paged read).
    fn start(&self, what: &str, total: Option<u64>) -> Box<dyn PhaseSink>;
}

/// One phase being shown.
pub trait PhaseSink: Send + Sync {
    fn advance(&self, steps: u64);
    /// The phase is over: its bar goes away (the run's summary is printed instead).
    fn finish(&self);
}

/// A cheap, cloneable handle on where progress goes; hidden by default.
#[derive(Clone, Default)]
pub struct Progress(Option<Arc<dyn ProgressSink>>);

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "Progress(shown)"
        } else {
            "Progress(hidden)"
        })
    }
}

impl Progress {
    /// Progress shown by `sink`.
    pub fn to(sink: Arc<dyn ProgressSink>) -> Progress {
        Progress(Some(sink))
    }

    /// Progress nobody sees.
    pub fn hidden() -> Progress {
        Progress(None)
    }

    /// Starts a phase; it ends when the returned [`Phase`] is dropped or finished.
    pub fn phase(&self, what: &str, total: Option<u64>) -> Phase {
        Phase(self.0.as_ref().map(|sink| sink.start(what, total)))
    }
}

/// A phase in progress. Dropping it finishes it, so an early return (`?`) clears its bar.
pub struct Phase(Option<Box<dyn PhaseSink>>);

impl Phase {
    pub fn advance(&self, steps: u64) {
        if let Some(p) = &self.0 {
            p.advance(steps);
        }
    }
}

impl Drop for Phase {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            p.finish();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// Records what a run reported.
    #[derive(Default)]
    struct Log(Arc<Mutex<Vec<String>>>);

    struct LogPhase(String, Arc<Mutex<Vec<String>>>);

    impl ProgressSink for Log {
        fn start(&self, what: &str, total: Option<u64>) -> Box<dyn PhaseSink> {
            self.0
                .lock()
                .map(|mut l| l.push(format!("start {what} {total:?}")))
                .ok();
            Box::new(LogPhase(what.to_owned(), self.0.clone()))
        }
    }

    impl PhaseSink for LogPhase {
        fn advance(&self, steps: u64) {
            self.1
                .lock()
                .map(|mut l| l.push(format!("{} +{steps}", self.0)))
                .ok();
        }
        fn finish(&self) {
            self.1
                .lock()
                .map(|mut l| l.push(format!("{} done", self.0)))
                .ok();
        }
    }

    #[test]
    fn a_phase_reports_its_steps_and_finishes_when_dropped() {
        let log = Log::default();
        let lines = log.0.clone();
        let progress = Progress::to(Arc::new(log));
        {
            let phase = progress.phase("writes", Some(3));
            phase.advance(2);
            phase.advance(1);
        }
        let got = lines.lock().map(|l| l.clone()).unwrap_or_default();
        assert_eq!(
            got,
            [
                "start writes Some(3)",
                "writes +2",
                "writes +1",
                "writes done"
            ]
        );
        // Hidden progress accepts the same calls and shows nothing.
        let hidden = Progress::hidden().phase("writes", None);
        hidden.advance(5);
    }
}
