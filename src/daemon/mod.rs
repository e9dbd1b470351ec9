//! `scorekeeper daemon -c FILE`: loads the config, asks the registry which jobs it defines,
//! runs one [`JobLoop`] per job and the admin listener, and obeys [`Control`]s (signals in
//! production): reload keeps the old config when the new one is invalid; shutdown stops
//! scheduling, cancels runs between batches and waits up to `daemon.shutdown_grace_secs`.
//! `run_command` is the one-shot form behind `scorekeeper run -c FILE [JOB]`.
//!
//! CLI shape (wired in `cli.rs`): `scorekeeper daemon -c FILE` calls [`run_with_signals`] and
//! exits 0 on a clean shutdown, else [`DaemonError::exit_code`]; `scorekeeper run -c FILE
//! [JOB]` calls [`run_command`] and exits [`RunCommandError::exit_code`]. Both take the global
//! `--log-format json`. The [`Registry`] is the one place that maps config sections to jobs.

mod run_command;
mod signals;

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::{Mutex, mpsc};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub use run_command::cancel_on_signals;
pub use run_command::{RunCommandError, run_command, run_command_with};
pub use signals::Control;
pub(crate) use signals::signal_controls;

use crate::config::{self, Config, ConfigError, OdooConfig};
use crate::http::{AdminState, Boards, DaemonMetrics, OdooProbe, Watcher, Webhooks};
use crate::odoo::{Metrics, OdooClient, OdooError};
use crate::scheduler::{Clock, JobContext, JobError, JobLoop, Observers, ScheduledJob, Trigger};

/// Builds the scheduled jobs a config defines (each job's section holds its crontab line,
/// read in `config.daemon.time_zone`). Called at start and on every reload.
pub type Registry = dyn Fn(&Config) -> Result<Vec<ScheduledJob>, JobError> + Send + Sync;

/// Why the daemon could not start or did not stop cleanly.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("cannot set up the jobs: {0}")]
    Jobs(JobError),
    #[error("cannot set up the Odoo client: {0}")]
    Odoo(#[from] OdooError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot install signal handlers: {0}")]
    Signals(std::io::Error),
    #[error(
        "runs still in flight after the {}s shutdown grace: {}; the next run reconciles \
         their journal", .grace.as_secs(), .jobs.join(", ")
    )]
    GraceExpired {
        grace: std::time::Duration,
        jobs: Vec<String>,
    },
}

impl DaemonError {
    /// 2 for configuration problems, 1 otherwise (a clean shutdown is exit 0).
    pub fn exit_code(&self) -> u8 {
        match self {
            DaemonError::Config(_) => 2,
            DaemonError::Jobs(e) => e.exit_code(),
            _ => 1,
        }
    }
}

/// How the daemon is embedded: production uses [`run_with_signals`]; tests pass a paused
/// clock, a listener on port 0 (or none) and their own control channel.
pub struct DaemonOptions {
    pub clock: Clock,
    /// `None`: bind `http.listen` when `http.enabled`. `Some`: serve on this one.
    pub listener: Option<TcpListener>,
    /// Do not start the admin listener at all.
    pub no_http: bool,
    /// Called with the admin state once it exists (tests read metrics through it).
    pub on_admin: Option<Box<dyn FnOnce(Arc<AdminState>) + Send>>,
}

impl Default for DaemonOptions {
    fn default() -> Self {
        Self {
            clock: Clock::system(),
            listener: None,
            no_http: false,
            on_admin: None,
        }
    }
}

/// `scorekeeper daemon -c FILE`: real signals, the system clock, the configured listener.
pub async fn run_with_signals(
    config_path: &Path,
    registry: Arc<Registry>,
) -> Result<(), DaemonError> {
    let control = signal_controls().map_err(DaemonError::Signals)?;
    run(config_path, registry, control, DaemonOptions::default()).await
}

/// The jobs' Odoo client, counting into the process-wide `metrics` so `/metrics` survives
/// reloads.
pub(crate) fn jobs_client(
    config: &OdooConfig,
    metrics: Arc<Metrics>,
) -> Result<OdooClient, OdooError> {
    OdooClient::from_settings_counting(&config.client_settings(), metrics)
}

/// Asks the server's version once, in the background, on a client of its own (the jobs'
/// call counts stay theirs): a server outside the tested range is warned about at start, as
/// every command does. An unreachable Odoo is the jobs' and `/readyz`'s to report.
fn warn_if_untested(config: &OdooConfig) {
    if let Ok(client) = OdooClient::from_settings(&config.client_settings()) {
        tokio::spawn(async move {
            let _ = client
                .with_retry(crate::odoo::RetryPolicy::no_retry())
                .profile()
                .await;
        });
    }
}

/// One set of job loops, from one version of the config.
struct Generation {
    stop: CancellationToken,
    loops: Vec<(String, JoinHandle<()>)>,
}

struct Daemon {
    path: std::path::PathBuf,
    registry: Arc<Registry>,
    clock: Clock,
    odoo_metrics: Arc<Metrics>,
    admin: Arc<AdminState>,
    /// Cancelled at shutdown: runs wrap up after their current batch.
    runs_cancel: CancellationToken,
    /// One per job name, shared across generations, so a reload never overlaps two runs.
    locks: HashMap<String, Arc<Mutex<()>>>,
    current: Generation,
    retired: Vec<Generation>,
    config: Arc<Config>,
}

/// Runs the daemon until a [`Control::Shutdown`] arrives (or `control` closes).
pub async fn run(
    config_path: &Path,
    registry: Arc<Registry>,
    mut control: mpsc::Receiver<Control>,
    options: DaemonOptions,
) -> Result<(), DaemonError> {
    let config = Arc::new(config::load(config_path)?);
    let jobs = registry(&config).map_err(DaemonError::Jobs)?;
    let odoo_metrics = Arc::new(Metrics::new());
    let metrics = Arc::new(DaemonMetrics::new(odoo_metrics.clone()));
    let probe = Arc::new(OdooProbe::from_config(&config.odoo)?);
    warn_if_untested(&config.odoo);
    let webhooks = config
        .webhooks
        .as_ref()
        .map(|w| (Arc::new(Webhooks::new(w.secret.clone())), w.max_body_bytes));
    let mut admin = AdminState::new(metrics, probe, config.http.token.clone());
    if let Some((hooks, max_body)) = &webhooks {
        admin = admin.with_webhooks(hooks.clone(), *max_body);
    }
    // The boards are read again after each gamification run that changed something.
    let boards_stop = CancellationToken::new();
    if config.board.is_some() {
        let boards = Arc::new(Boards::new(config.clone(), options.clock.clone()));
        tokio::spawn(boards.clone().refresh_on_runs(boards_stop.clone()));
        admin = admin.with_boards(boards);
    }
    let admin = Arc::new(admin);
    if let Some(f) = options.on_admin {
        f(admin.clone());
    }

    let http_stop = CancellationToken::new();
    let http = if options.no_http || (options.listener.is_none() && !config.http.enabled) {
        None
    } else {
        let listener = match options.listener {
            Some(l) => l,
            None => TcpListener::bind(config.http.listen)
                .await
                .map_err(|source| DaemonError::Bind {
                    addr: config.http.listen,
                    source,
                })?,
        };
        let addr = listener.local_addr().ok();
        tracing::info!(addr = ?addr, auth = config.http.token.is_some(), webhooks = webhooks.is_some(), board = config.board.as_ref().map(|b| if b.public { "public" } else { "private" }), "admin listener up");
        let stop = http_stop.clone();
        let state = admin.clone();
        Some(tokio::spawn(async move {
            if let Err(e) = crate::http::serve(listener, state, stop.cancelled_owned()).await {
                tracing::error!("admin listener failed: {e}");
            }
        }))
    };

    let mut daemon = Daemon {
        path: config_path.to_path_buf(),
        registry,
        clock: options.clock,
        odoo_metrics,
        admin,
        runs_cancel: CancellationToken::new(),
        locks: HashMap::new(),
        current: Generation {
            stop: CancellationToken::new(),
            loops: Vec::new(),
        },
        retired: Vec::new(),
        config: config.clone(),
    };
    daemon.current = daemon.start(&config, jobs)?;
    tracing::info!(
        config = %config_path.display(),
        jobs = daemon.current.loops.len(),
        time_zone = config.daemon.time_zone.name(),
        "daemon started"
    );

    while let Some(c) = control.recv().await {
        match c {
            Control::Shutdown => break,
            Control::Reload(reply) => {
                let result = daemon.reload().await;
                if let Err(why) = &result {
                    tracing::error!("config reload refused, keeping the running config: {why}");
                }
                if let Some(reply) = reply {
                    let _ = reply.send(result);
                }
            }
        }
    }

    let result = daemon.shutdown().await;
    boards_stop.cancel();
    http_stop.cancel();
    if let Some(h) = http {
        let _ = h.await;
    }
    result
}

impl Daemon {
    fn start(
        &mut self,
        config: &Arc<Config>,
        jobs: Vec<ScheduledJob>,
    ) -> Result<Generation, DaemonError> {
        let client = Arc::new(jobs_client(&config.odoo, self.odoo_metrics.clone())?);
        // The boards hear about runs beside the metrics, and read Odoo with the jobs' client.
        let observer: Arc<dyn crate::scheduler::RunObserver> = match &self.admin.boards {
            Some(boards) => {
                boards.set_client(client.clone());
                Arc::new(Observers(vec![self.admin.metrics.clone(), boards.clone()]))
            }
            None => self.admin.metrics.clone(),
        };
        let ctx = JobContext {
            config: config.clone(),
            odoo: client,
            cancel: self.runs_cancel.clone(),
            scheduled_for: None,
            // Nobody watches a daemon's terminal: its runs are logged and counted instead.
            progress: crate::progress::Progress::hidden(),
        };
        let stop = CancellationToken::new();
        let names: Vec<String> = jobs.iter().map(|j| j.job.name().to_owned()).collect();
        self.admin.metrics.retain_jobs(&names);
        let mut loops = Vec::with_capacity(jobs.len());
        let mut watchers = Vec::new();
        for scheduled in jobs {
            let name = scheduled.job.name().to_owned();
            tracing::info!(job = %name, schedule = %scheduled.schedule, "scheduled");
            let lock = self.locks.entry(name.clone()).or_default().clone();
            // A job watching models runs when Odoo's webhooks announce changes to them.
            let trigger = match (&config.webhooks, self.admin.webhooks.is_some()) {
                (Some(w), true) => {
                    let models = scheduled.job.watches(config);
                    (!models.is_empty()).then(|| {
                        let trigger = Arc::new(Trigger::new(w.queue));
                        watchers.push(Watcher {
                            job: name.clone(),
                            models,
                            trigger: trigger.clone(),
                        });
                        trigger
                    })
                }
                _ => None,
            };
            let job_loop = JobLoop {
                scheduled,
                ctx: ctx.clone(),
                clock: self.clock.clone(),
                observer: observer.clone(),
                run_lock: lock,
                trigger,
            };
            loops.push((name, tokio::spawn(job_loop.run(stop.clone()))));
        }
        if let Some(hooks) = &self.admin.webhooks {
            hooks.set_watchers(watchers);
        }
        Ok(Generation { stop, loops })
    }

    /// Loads and validates the file again; only a fully valid config replaces the old one.
    async fn reload(&mut self) -> Result<(), String> {
        let config = Arc::new(config::load(&self.path).map_err(|e| e.to_string())?);
        let jobs = (self.registry)(&config).map_err(|e| e.to_string())?;
        if config.http.listen != self.config.http.listen
            || config.http.enabled != self.config.http.enabled
        {
            tracing::warn!("http.listen/http.enabled changed: takes effect at the next restart");
        }
        let next = self.start(&config, jobs).map_err(|e| e.to_string())?;
        if let Err(e) = self.admin.probe.set_config(&config.odoo).await {
            tracing::warn!("readiness probe keeps the old Odoo address: {e}");
        }
        self.admin.set_token(config.http.token.clone());
        match (&self.admin.boards, &config.board) {
            (Some(boards), Some(_)) => boards.set_config(config.clone()),
            (None, None) => {}
            _ => tracing::warn!("[board] added or removed: takes effect at the next restart"),
        }
        match (&self.admin.webhooks, &config.webhooks) {
            (Some(hooks), Some(w)) => hooks.set_secret(w.secret.clone()),
            (None, None) => {}
            _ => tracing::warn!("[webhooks] added or removed: takes effect at the next restart"),
        }
        // The old loops stop scheduling; a run of theirs in flight holds its job's lock, so
        // the new loop for that job waits for it.
        let old = std::mem::replace(&mut self.current, next);
        old.stop.cancel();
        self.retired.push(old);
        self.retired
            .retain(|g| g.loops.iter().any(|(_, h)| !h.is_finished()));
        self.config = config;
        tracing::info!(jobs = self.current.loops.len(), "config reloaded");
        Ok(())
    }

    async fn shutdown(mut self) -> Result<(), DaemonError> {
        self.current.stop.cancel();
        self.runs_cancel.cancel();
        let grace = self.config.daemon.shutdown_grace;
        let mut loops: Vec<(String, JoinHandle<()>)> = std::mem::take(&mut self.current.loops);
        for g in self.retired.drain(..) {
            loops.extend(g.loops);
        }
        let deadline = tokio::time::Instant::now() + grace;
        let mut stuck = Vec::new();
        for (name, mut handle) in loops {
            tokio::select! {
                _ = &mut handle => {}
                () = tokio::time::sleep_until(deadline) => {
                    handle.abort();
                    stuck.push(name);
                }
            }
        }
        if stuck.is_empty() {
            tracing::info!("daemon stopped");
            Ok(())
        } else {
            Err(DaemonError::GraceExpired { grace, jobs: stuck })
        }
    }
}
