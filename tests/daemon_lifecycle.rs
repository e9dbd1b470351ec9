//! The daemon in-process, driven through its control channel with paused tokio time:
//! a shutdown mid-run lets the batch in flight finish and leaves the journal consistent;
//! a run that outlives the grace is reported; SIGHUP-style reloads take a good config and
//! keep the old one on a bad config (with the located reason); `run` exit codes.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{TimeZone, Utc};
use scorekeeper::daemon::{self, Control, DaemonError, DaemonOptions, Registry};
use scorekeeper::odoo::BoxFuture;
use scorekeeper::scheduler::{
    Clock, Job, JobContext, JobError, JobOutcome, Schedule, ScheduledJob,
};
use scorekeeper::state::{EntryStatus, RunStatus, State};
use tokio::sync::{mpsc, oneshot};

use crate::support::daemon::{BatchJob, Recorder, write_config};

fn batch_registry(job: Arc<BatchJob>, expr: &'static str) -> Arc<Registry> {
    Arc::new(move |cfg: &scorekeeper::config::Config| {
        Ok(vec![ScheduledJob {
            job: job.clone(),
            schedule: Schedule::parse(expr, cfg.daemon.time_zone.name()).unwrap(),
        }])
    })
}

fn paused_options() -> DaemonOptions {
    DaemonOptions {
        clock: Clock::starting_at(Utc.with_ymd_and_hms(2026, 11, 22, 0, 0, 0).unwrap()),
        no_http: true,
        ..DaemonOptions::default()
    }
}

#[tokio::test(start_paused = true)]
async fn shutdown_mid_run_finishes_the_batch_and_leaves_the_journal_consistent() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_config(dir.path(), "http://127.0.0.1:9", "");
    let job = Arc::new(BatchJob::new(5, 10, Duration::from_secs(30)));
    let (tx, rx) = mpsc::channel(4);
    let daemon = tokio::spawn({
        let path = path.clone();
        let registry = batch_registry(job.clone(), "*/5 * * * *");
        async move { daemon::run(&path, registry, rx, paused_options()).await }
    });
    job.started.notified().await;
    tx.send(Control::Shutdown).await.unwrap();
    daemon.await.unwrap().unwrap();

    let state = State::open(dir.path().join("state.db")).unwrap();
    assert!(state.unfinished_runs().unwrap().is_empty());
    let runs = state.runs(10).unwrap();
    assert_eq!(runs.len(), 1, "no second run after the shutdown");
    let run = &runs[0];
    assert_eq!(run.status, RunStatus::Failed);
    assert_eq!(run.error.as_deref(), Some("interrupted by shutdown"));
    // The batch in flight finished; the other four were never sent.
    assert_eq!((run.entries, run.applied, run.not_applied), (50, 10, 40));
    assert_eq!(run.still_planned(), 0);
    let journal = state.journal(&run.run_id).unwrap();
    assert!(
        journal[..10]
            .iter()
            .all(|e| e.status == EntryStatus::Applied)
    );
    assert!(
        journal[10..]
            .iter()
            .all(|e| e.status == EntryStatus::NotApplied)
    );
}

#[tokio::test(start_paused = true)]
async fn a_run_outliving_the_grace_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_config(
        dir.path(),
        "http://127.0.0.1:9",
        "[daemon]\nshutdown_grace_secs = 5\n",
    );
    let job = Arc::new(BatchJob::new(3, 1, Duration::from_secs(600)));
    let (tx, rx) = mpsc::channel(4);
    let daemon = tokio::spawn({
        let registry = batch_registry(job.clone(), "*/5 * * * *");
        async move { daemon::run(&path, registry, rx, paused_options()).await }
    });
    job.started.notified().await;
    let asked = tokio::time::Instant::now();
    tx.send(Control::Shutdown).await.unwrap();
    let err = daemon.await.unwrap().unwrap_err();
    assert_eq!(asked.elapsed(), Duration::from_secs(5));
    assert!(matches!(&err, DaemonError::GraceExpired { jobs, .. } if jobs == &["batches"]));
    assert_eq!(err.exit_code(), 1);
    assert_eq!(
        err.to_string(),
        "runs still in flight after the 5s shutdown grace: batches; the next run reconciles their journal"
    );
    // The journal says the run never finished: reconciliation's job next time.
    let state = State::open(dir.path().join("state.db")).unwrap();
    let unfinished = state.unfinished_runs().unwrap();
    assert_eq!(unfinished.len(), 1);
    assert_eq!(unfinished[0].status, RunStatus::Applying);
}

async fn reload(tx: &mpsc::Sender<Control>) -> Result<(), String> {
    let (reply, answer) = oneshot::channel();
    tx.send(Control::Reload(Some(reply))).await.unwrap();
    answer.await.unwrap()
}

#[tokio::test(start_paused = true)]
async fn reload_takes_a_good_config_and_keeps_the_old_one_on_a_bad_one() {
    let dir = tempfile::tempdir().unwrap();
    let url = "http://127.0.0.1:9";
    let path = write_config(dir.path(), url, "[daemon]\ntime_zone = \"UTC\"\n");
    let options = paused_options();
    let clock = options.clock.clone();
    let recorder = Arc::new(Recorder::new("daily", clock.clone()));
    let built = Arc::new(Mutex::new(Vec::<String>::new()));
    let registry: Arc<Registry> = {
        let recorder = recorder.clone();
        let built = built.clone();
        Arc::new(move |cfg: &scorekeeper::config::Config| {
            built
                .lock()
                .unwrap()
                .push(cfg.daemon.time_zone.name().to_owned());
            Ok(vec![ScheduledJob {
                job: recorder.clone(),
                schedule: Schedule::parse("30 8 * * *", cfg.daemon.time_zone.name())?,
            }])
        })
    };
    let (tx, rx) = mpsc::channel(4);
    let daemon = tokio::spawn({
        let path = path.clone();
        async move { daemon::run(&path, registry, rx, options).await }
    });
    let at = |d, h, m| Utc.with_ymd_and_hms(2026, 11, d, h, m, 0).unwrap();

    clock.sleep_until(at(22, 0, 10)).await;
    std::fs::write(
        &path,
        crate::support::daemon::config_text(url, "[daemon]\ntime_zone = \"Asia/Ho_Chi_Minh\"\n"),
    )
    .unwrap();
    assert_eq!(reload(&tx).await, Ok(()));

    clock.sleep_until(at(22, 12, 0)).await;
    std::fs::write(
        &path,
        crate::support::daemon::config_text(url, "[daemon]\ntime_zone = \"Asia/Saigonn\"\n"),
    )
    .unwrap();
    let why = reload(&tx).await.unwrap_err();
    let file = path.display().to_string();
    assert_eq!(
        why,
        format!(
            "{file}:12:13 daemon.time_zone: unknown time zone \"Asia/Saigonn\": give an IANA name \
             such as \"Europe/Berlin\", \"Asia/Ho_Chi_Minh\" or \"UTC\""
        )
    );
    std::fs::write(&path, "[odoo\n").unwrap();
    let why = reload(&tx).await.unwrap_err();
    assert!(why.starts_with(&format!("{file}:1:")), "{why}");

    clock.sleep_until(at(23, 12, 0)).await;
    tx.send(Control::Shutdown).await.unwrap();
    daemon.await.unwrap().unwrap();

    // 08:30 in Ho Chi Minh City is 01:30 UTC: both days ran on the reloaded zone, and the
    // bad configs changed nothing.
    let got: Vec<_> = recorder.firings().iter().map(|f| f.scheduled_for).collect();
    assert_eq!(got, [at(22, 1, 30), at(23, 1, 30)]);
    assert_eq!(*built.lock().unwrap(), ["UTC", "Asia/Ho_Chi_Minh"]);
}

/// A job that fails the way it is told to.
struct Failing(fn() -> JobError);

impl Job for Failing {
    fn name(&self) -> &str {
        "failing"
    }
    fn run<'a>(&'a self, _ctx: &'a JobContext) -> BoxFuture<'a, Result<JobOutcome, JobError>> {
        Box::pin(async move { Err((self.0)()) })
    }
}

/// A job that talks to Odoo (here: asks its version).
struct AsksVersion;

impl Job for AsksVersion {
    fn name(&self) -> &str {
        "version"
    }
    fn run<'a>(&'a self, ctx: &'a JobContext) -> BoxFuture<'a, Result<JobOutcome, JobError>> {
        Box::pin(async move {
            let v = ctx.odoo.version().await?;
            Ok(JobOutcome {
                summary: v.to_string(),
                ..JobOutcome::default()
            })
        })
    }
}

fn jobs_registry(jobs: Vec<Arc<dyn Job>>) -> Arc<Registry> {
    Arc::new(move |_: &scorekeeper::config::Config| {
        Ok(jobs
            .iter()
            .map(|j| ScheduledJob {
                job: j.clone(),
                schedule: Schedule::parse("0 * * * *", "UTC").unwrap(),
            })
            .collect())
    })
}

async fn exit_code(path: &Path, registry: &Registry, job: Option<&str>) -> u8 {
    match daemon::run_command(path, registry, job, None).await {
        Ok(_) => 0,
        Err(e) => e.exit_code(),
    }
}

#[tokio::test]
async fn run_command_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_config(dir.path(), "http://127.0.0.1:9", "");
    let batches: Arc<dyn Job> = Arc::new(BatchJob::new(2, 3, Duration::from_millis(1)));
    let registry = jobs_registry(vec![
        batches,
        Arc::new(Failing(|| JobError::Failed("boom".into()))),
        Arc::new(Failing(|| {
            JobError::Config("scoring.score_field: x_lead_score is missing".into())
        })),
        Arc::new(AsksVersion),
    ]);

    let done = daemon::run_command(&path, registry.as_ref(), Some("batches"), None)
        .await
        .unwrap();
    assert_eq!(done.len(), 1);
    assert_eq!(done[0].0, "batches");
    assert_eq!(done[0].1.changes_written, 6);
    assert!(!done[0].1.interrupted);

    let err = daemon::run_command(&path, registry.as_ref(), Some("nope"), None)
        .await
        .unwrap_err();
    assert_eq!(err.exit_code(), 2);
    assert_eq!(
        err.to_string(),
        "job nope: unknown job \"nope\"; configured jobs: batches, failing, failing, version"
    );
    // Nothing listens on port 9: Odoo unreachable.
    assert_eq!(
        exit_code(&path, registry.as_ref(), Some("version")).await,
        3
    );

    let one = |j: Arc<dyn Job>| jobs_registry(vec![j]);
    assert_eq!(
        exit_code(
            &path,
            one(Arc::new(Failing(|| JobError::Failed("boom".into())))).as_ref(),
            None
        )
        .await,
        1
    );
    assert_eq!(
        exit_code(
            &path,
            one(Arc::new(Failing(|| JobError::Config("no".into())))).as_ref(),
            None
        )
        .await,
        2
    );

    std::fs::write(&path, "[odoo]\nurl = 1\n").unwrap();
    assert_eq!(exit_code(&path, registry.as_ref(), None).await, 2);
    assert_eq!(
        exit_code(&dir.path().join("missing.toml"), registry.as_ref(), None).await,
        2
    );
}

/// Writes a challenge name, as the gamification job would.
struct WritesChallenge;

impl Job for WritesChallenge {
    fn name(&self) -> &str {
        "gamification"
    }
    fn run<'a>(&'a self, ctx: &'a JobContext) -> BoxFuture<'a, Result<JobOutcome, JobError>> {
        Box::pin(async move {
            let mut values = scorekeeper::xmlrpc::Struct::new();
            values.push("name", "hijack".into());
            ctx.odoo
                .execute_kw(
                    "gamification.challenge",
                    "write",
                    vec![
                        scorekeeper::xmlrpc::Value::Array(vec![1.into()]),
                        scorekeeper::xmlrpc::Value::Struct(values),
                    ],
                    scorekeeper::xmlrpc::Struct::new(),
                )
                .await?;
            Ok(JobOutcome::default())
        })
    }
}

/// The README's "least-privilege bot user" section quotes this message.
#[tokio::test]
async fn a_missing_access_right_fails_the_run_with_odoos_message() {
    use crate::support::fake_odoo::{FakeOdoo, recorded};
    let odoo = FakeOdoo::start(|req, _| {
        if req.path.ends_with("/common") {
            recorded(91)
        } else {
            recorded(92)
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let path = write_config(dir.path(), &odoo.url(), "");
    // The fake answers XML-RPC only.
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        text.replace("[odoo.retries]", "protocol = \"xmlrpc\"\n[odoo.retries]"),
    )
    .unwrap();
    let registry = jobs_registry(vec![Arc::new(WritesChallenge)]);
    let err = daemon::run_command(&path, registry.as_ref(), Some("gamification"), None)
        .await
        .unwrap_err();
    assert_eq!(err.exit_code(), 1);
    assert_eq!(
        err.to_string(),
        "job gamification: gamification.challenge.write: access error (fault 4): You are not \
         allowed to modify 'Gamification Challenge' (gamification.challenge) records. This \
         operation is allowed for the following groups: - Administration/Access Rights Contact \
         your administrator to request access if necessary."
    );
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let quoted = err
        .to_string()
        .trim_start_matches("job gamification: ")
        .to_owned();
    assert!(readme.contains(&quoted), "README quotes another text");
}
