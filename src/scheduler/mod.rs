//! Running jobs on time: the loop that fires one job on its [`Schedule`] without overlap and
//! coalesces missed firings ([`JobLoop`]), one-off runs for `scorekeeper run` ([`run_once`]),
//! and who hears about runs ([`RunObserver`]). Time is injected through [`Clock`] so tests
//! drive days of schedule with paused tokio time. The scheduler knows jobs only through the
//! contract in `job` and schedules only through `cron`; it never reads the configuration.

mod clock;
mod job_loop;
mod observer;
mod run_once;
mod trigger;

pub use clock::Clock;
pub use job_loop::{JobLoop, ScheduledJob};
pub use observer::{NoObserver, Observers, RunObserver};
pub(crate) use run_once::{run_all, select_jobs};
pub use trigger::{Pushed, Trigger};

// Re-exported because every scheduled job is named through the scheduler: what it runs and
// when. They are defined below it (`job`, `cron`) so that `config` can parse a schedule
// without depending on the loop.
pub use crate::cron::{Schedule, ScheduleError};
pub use crate::job::{Job, JobContext, JobError, JobOutcome};
