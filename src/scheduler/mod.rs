//! Scheduling jobs: crontab lines in a time zone ([`Schedule`]), the [`Job`] abstraction and
//! what a run reports, the loop that fires one job without overlap and coalesces missed
//! firings ([`JobLoop`]), and one-off runs for `scorekeeper run` ([`run_once`]). Time is
//! injected through [`Clock`] so tests drive days of schedule with paused tokio time.

mod clock;
mod job;
mod job_loop;
mod observer;
mod progress;
mod run_once;
mod schedule;

pub use clock::Clock;
pub use job::{Job, JobContext, JobError, JobOutcome};
pub use job_loop::{JobLoop, ScheduledJob};
pub use observer::{NoObserver, RunObserver};
pub use progress::Progress;
pub use run_once::{run_all, run_once, select_jobs};
pub use schedule::{Schedule, ScheduleError, parse_time_zone};
