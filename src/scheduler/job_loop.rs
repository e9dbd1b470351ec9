//! The loop that drives one scheduled job: sleep until the next firing, run, repeat. Runs of
//! one job never overlap (a per-job lock, shared across config reloads, is held for the whole
//! run), and firings missed while a run was in flight (or while the machine slept) are
//! coalesced into a single run. A job with a [`Trigger`] also runs when an event rings it
//! (Odoo's webhooks), as soon as it is free; its schedule stays the safety net.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio::sync::Mutex;
use tokio_util::sync::CancellationToken;

use super::clock::Clock;
use super::observer::RunObserver;
use super::run_once::run_observed;
use super::trigger::Trigger;
use crate::cron::Schedule;
use crate::job::{Job, JobContext};

/// A job with its schedule, as the daemon's registry produces them from the config.
#[derive(Clone)]
pub struct ScheduledJob {
    pub job: Arc<dyn Job>,
    pub schedule: Schedule,
}

impl std::fmt::Debug for ScheduledJob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScheduledJob")
            .field("job", &self.job.name())
            .field("schedule", &self.schedule.to_string())
            .finish()
    }
}

/// Everything one loop needs.
pub struct JobLoop {
    pub scheduled: ScheduledJob,
    /// Cloned for each run, with `scheduled_for` set.
    pub ctx: JobContext,
    pub clock: Clock,
    pub observer: Arc<dyn RunObserver>,
    /// Held for the whole of each run; the daemon keeps one per job name.
    pub run_lock: Arc<Mutex<()>>,
    /// Rung by events (webhooks) for a run now; `None` for a job only the clock starts.
    pub trigger: Option<Arc<Trigger>>,
}

impl JobLoop {
    /// Runs until `stop` is cancelled. `stop` only ends the scheduling: a run in flight is
    /// never abandoned here (its `ctx.cancel` is what asks it to wrap up).
    pub async fn run(self, stop: CancellationToken) {
        let name = self.scheduled.job.name().to_owned();
        let schedule = &self.scheduled.schedule;
        let mut cursor = self.clock.now();
        loop {
            let Some(next) = schedule.next_after(cursor) else {
                tracing::warn!(job = %name, schedule = %schedule, "schedule never fires again");
                stop.cancelled().await;
                return;
            };
            tracing::debug!(job = %name, next = %next, "next firing");
            let by_event = tokio::select! {
                biased;
                () = stop.cancelled() => return,
                () = self.clock.sleep_until(next) => false,
                () = rung(self.trigger.as_deref()) => true,
            };
            let fire = if by_event {
                self.clock.now()
            } else {
                coalesce(schedule, next, self.clock.now(), &name)
            };
            let guard = tokio::select! {
                biased;
                () = stop.cancelled() => return,
                g = self.run_lock.lock() => g,
            };
            if stop.is_cancelled() {
                return;
            }
            if let Some(trigger) = &self.trigger {
                // Whatever is pending is covered by this run (scheduled or not): the job
                // reads changes since its cursor.
                let records = trigger.take();
                if by_event {
                    tracing::info!(job = %name, records = records.len(), "run for changed records");
                }
            }
            let mut ctx = self.ctx.clone();
            ctx.scheduled_for = Some(fire);
            // The result is logged and observed inside; the loop carries on either way.
            let _ = run_observed(
                self.scheduled.job.as_ref(),
                &ctx,
                &self.clock,
                self.observer.as_ref(),
            )
            .await;
            drop(guard);
            if !by_event {
                cursor = fire;
            }
        }
    }
}

/// Waits for the trigger's bell; forever without a trigger.
async fn rung(trigger: Option<&Trigger>) {
    match trigger {
        Some(t) => t.rung().await,
        None => std::future::pending().await,
    }
}

/// The firing a run stands for: `next`, or the latest firing at or before `now` when the
/// loop woke late. Every firing in between is folded into this one run.
fn coalesce(
    schedule: &Schedule,
    next: DateTime<Utc>,
    now: DateTime<Utc>,
    job: &str,
) -> DateTime<Utc> {
    if now - next < chrono::Duration::seconds(1) {
        return next;
    }
    match schedule.last_at_or_before(now) {
        Some(last) if last > next => {
            tracing::warn!(
                job,
                first_missed = %next,
                latest = %last,
                "firings missed while busy or asleep; running once for all of them"
            );
            last
        }
        _ => next,
    }
}
