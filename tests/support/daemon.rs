//! Shared helpers for the scheduler and daemon tests: a config file in a temp dir, a job
//! context, a job that records its firings and a job that journals its work batch by batch
//! and stops between batches when cancelled.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use scorekeeper::config::{self, Config};
use scorekeeper::odoo::{BoxFuture, OdooClient};
use scorekeeper::record::Value;
use scorekeeper::scheduler::{Clock, Job, JobContext, JobError, JobOutcome};
use scorekeeper::state::{EntryChange, EntryStatus, NewEntry, RunStatus, State};
use tokio_util::sync::CancellationToken;

/// Writes a config (Odoo at `url`, password from a file, state next to it) plus `extra`
/// TOML, and returns its path.
pub fn write_config(dir: &Path, url: &str, extra: &str) -> PathBuf {
    std::fs::write(dir.join("secret"), "pw\n").unwrap();
    let path = dir.join("scorekeeper.toml");
    std::fs::write(&path, config_text(url, extra)).unwrap();
    path
}

pub fn config_text(url: &str, extra: &str) -> String {
    format!(
        "[odoo]\nurl = \"{url}\"\ndatabase = \"crm17c\"\nlogin = \"bot\"\n\
         password_file = \"secret\"\ntimeout_secs = 2\n[odoo.retries]\nmax_attempts = 1\n\
         [state]\npath = \"state.db\"\n{extra}"
    )
}

pub fn context(config: Config) -> JobContext {
    let odoo = OdooClient::from_settings(&config.odoo.client_settings()).unwrap();
    JobContext {
        config: Arc::new(config),
        odoo: Arc::new(odoo),
        cancel: CancellationToken::new(),
        scheduled_for: None,
        progress: Default::default(),
    }
}

pub fn test_context(dir: &Path) -> JobContext {
    let path = write_config(dir, "http://127.0.0.1:9", "");
    context(config::load(&path).unwrap())
}

/// One firing a [`Recorder`] saw.
#[derive(Clone, Debug, PartialEq)]
pub struct Firing {
    pub job: String,
    pub scheduled_for: DateTime<Utc>,
    pub at: DateTime<Utc>,
}

/// Records each run (name, firing, clock time); optionally takes `busy` of tokio time.
pub struct Recorder {
    pub name: String,
    pub clock: Clock,
    pub busy: Duration,
    pub seen: Arc<Mutex<Vec<Firing>>>,
    pub in_flight: Arc<std::sync::atomic::AtomicUsize>,
    pub max_in_flight: Arc<std::sync::atomic::AtomicUsize>,
}

impl Recorder {
    pub fn new(name: &str, clock: Clock) -> Recorder {
        Recorder {
            name: name.to_owned(),
            clock,
            busy: Duration::ZERO,
            seen: Arc::default(),
            in_flight: Arc::default(),
            max_in_flight: Arc::default(),
        }
    }

    pub fn firings(&self) -> Vec<Firing> {
        self.seen.lock().unwrap().clone()
    }
}

impl Job for Recorder {
    fn name(&self) -> &str {
        &self.name
    }

    fn run<'a>(&'a self, ctx: &'a JobContext) -> BoxFuture<'a, Result<JobOutcome, JobError>> {
        use std::sync::atomic::Ordering::SeqCst;
        Box::pin(async move {
            let now = self.in_flight.fetch_add(1, SeqCst) + 1;
            self.max_in_flight.fetch_max(now, SeqCst);
            self.seen.lock().unwrap().push(Firing {
                job: self.name.clone(),
                scheduled_for: ctx.scheduled_for.unwrap(),
                at: self.clock.now(),
            });
            if !self.busy.is_zero() {
                tokio::time::sleep(self.busy).await;
            }
            self.in_flight.fetch_sub(1, SeqCst);
            Ok(JobOutcome {
                changes_written: 1,
                summary: "recorded".into(),
                ..JobOutcome::default()
            })
        })
    }
}

/// Journals `batches * per_batch` writes, then "sends" them one batch at a time (each batch
/// takes `batch_time`), checking for cancellation between batches like a real job.
pub struct BatchJob {
    pub batches: i64,
    pub per_batch: i64,
    pub batch_time: Duration,
    /// Notified when the first batch starts.
    pub started: Arc<tokio::sync::Notify>,
    /// Printed on stdout when the first batch starts (for the child-process test).
    pub announce: bool,
}

impl BatchJob {
    pub fn new(batches: i64, per_batch: i64, batch_time: Duration) -> BatchJob {
        BatchJob {
            batches,
            per_batch,
            batch_time,
            started: Arc::default(),
            announce: false,
        }
    }
}

impl Job for BatchJob {
    fn name(&self) -> &str {
        "batches"
    }

    fn run<'a>(&'a self, ctx: &'a JobContext) -> BoxFuture<'a, Result<JobOutcome, JobError>> {
        Box::pin(async move {
            let mut state = State::open(&ctx.config.state.path)?;
            let total = self.batches * self.per_batch;
            let entries = (1..=total).map(|id| NewEntry {
                model: "crm.lead".into(),
                record_id: Some(id),
                change: EntryChange::Write {
                    field: "x_lead_score".into(),
                    old: Value::Int(0),
                    new: Value::Int(10),
                },
                reason: "test".into(),
                group: Some((id - 1) / self.per_batch + 1),
                status: EntryStatus::Planned,
                detail: None,
            });
            let run_id = state.begin_run("batches", None, entries)?;
            state.set_run_status(&run_id, RunStatus::Applying)?;
            let mut done = 0;
            for batch in 0..self.batches {
                if ctx.cancel.is_cancelled() {
                    break;
                }
                if batch == 0 {
                    if self.announce {
                        println!("first batch started");
                    }
                    self.started.notify_one();
                }
                tokio::time::sleep(self.batch_time).await;
                let seqs = batch * self.per_batch + 1..(batch + 1) * self.per_batch + 1;
                state.record_range(&run_id, seqs, EntryStatus::Applied, None)?;
                done += 1;
            }
            let interrupted = done < self.batches;
            if interrupted {
                state.record_range(
                    &run_id,
                    1..total + 1,
                    EntryStatus::NotApplied,
                    Some("interrupted by shutdown"),
                )?;
                state.finish_run(
                    &run_id,
                    RunStatus::Failed,
                    Some("interrupted by shutdown"),
                    &[],
                )?;
            } else {
                state.finish_run(&run_id, RunStatus::Applied, None, &[])?;
            }
            Ok(JobOutcome {
                changes_written: (done * self.per_batch) as u64,
                rpc_calls: done as u64,
                interrupted,
                summary: format!("{done} of {} batches", self.batches),
            })
        })
    }
}
