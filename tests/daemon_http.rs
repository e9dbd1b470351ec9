//! The admin listener over real sockets: `/metrics` scraped from a running daemon and parsed;
//! `/readyz` follows a fake Odoo that goes away and a job whose last run failed; the bearer
//! token guards `/readyz` and `/metrics` but not `/healthz`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use scorekeeper::config;
use scorekeeper::daemon::{self, Control, DaemonOptions, Registry};
use scorekeeper::http::{AdminState, DaemonMetrics, OdooProbe};
use scorekeeper::odoo::{BoxFuture, Metrics};
use scorekeeper::scheduler::{
    Clock, Job, JobContext, JobError, JobOutcome, RunObserver, Schedule, ScheduledJob,
};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::support::daemon::write_config;
use crate::support::fake_odoo::{FakeOdoo, recorded};

/// `name{labels}` → value, from the text exposition.
fn parse_metrics(text: &str) -> HashMap<String, f64> {
    let mut out = HashMap::new();
    for line in text.lines() {
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        let (key, value) = line.rsplit_once(' ').unwrap();
        out.insert(key.to_owned(), value.parse::<f64>().unwrap());
    }
    out
}

/// First run: asks Odoo's version (one RPC) and reports three changes. Later runs wait for
/// the shutdown, so the metrics hold still while the test reads them.
struct Pinger {
    done: Arc<tokio::sync::Notify>,
    runs: std::sync::atomic::AtomicUsize,
}

impl Job for Pinger {
    fn name(&self) -> &str {
        "ping"
    }
    fn run<'a>(&'a self, ctx: &'a JobContext) -> BoxFuture<'a, Result<JobOutcome, JobError>> {
        Box::pin(async move {
            if self.runs.fetch_add(1, std::sync::atomic::Ordering::SeqCst) > 0 {
                self.done.notify_one();
                ctx.cancel.cancelled().await;
                return Ok(JobOutcome {
                    interrupted: true,
                    ..JobOutcome::default()
                });
            }
            ctx.odoo.version().await?;
            Ok(JobOutcome {
                changes_written: 3,
                summary: "pinged".into(),
                ..JobOutcome::default()
            })
        })
    }
}

async fn get(url: &str, token: Option<&str>) -> (u16, String) {
    let client = reqwest::Client::new();
    let mut req = client.get(url);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_scraped_from_a_running_daemon() {
    let odoo = FakeOdoo::start(|_, _| recorded(1));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("token"), "sesame\n").unwrap();
    let path = write_config(
        dir.path(),
        &odoo.url(),
        "[http]\nlisten = \"127.0.0.1:0\"\ntoken_file = \"token\"\n",
    );
    let done = Arc::new(tokio::sync::Notify::new());
    let job: Arc<dyn Job> = Arc::new(Pinger {
        done: done.clone(),
        runs: Default::default(),
    });
    let registry: Arc<Registry> = Arc::new(move |_: &config::Config| {
        Ok(vec![ScheduledJob {
            job: job.clone(),
            schedule: Schedule::parse("* * * * * *", "UTC").unwrap(),
        }])
    });
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = mpsc::channel(4);
    let options = DaemonOptions {
        clock: Clock::system(),
        listener: Some(listener),
        ..DaemonOptions::default()
    };
    let daemon = tokio::spawn(async move { daemon::run(&path, registry, rx, options).await });
    tokio::time::timeout(Duration::from_secs(10), done.notified())
        .await
        .expect("the second run started within 10 s");

    assert_eq!(
        get(&format!("{base}/healthz"), None).await,
        (200, "ok\n".into())
    );
    let (status, _) = get(&format!("{base}/metrics"), None).await;
    assert_eq!(status, 401);
    let (status, _) = get(&format!("{base}/metrics"), Some("wrong")).await;
    assert_eq!(status, 401);
    let (status, text) = get(&format!("{base}/metrics"), Some("sesame")).await;
    assert_eq!(status, 200);
    assert!(text.ends_with("# EOF\n"), "{text}");
    assert!(!text.contains("sesame"));
    let m = parse_metrics(&text);
    let runs_ok = m[r#"scorekeeper_runs_total{job="ping",outcome="ok"}"#];
    assert!(runs_ok >= 1.0, "{text}");
    assert_eq!(
        m[r#"scorekeeper_changes_written_total{job="ping"}"#],
        3.0 * runs_ok
    );
    assert_eq!(
        m[r#"scorekeeper_run_duration_seconds_count{job="ping"}"#],
        runs_ok
    );
    assert!(
        m[r#"scorekeeper_run_duration_seconds_bucket{le="+Inf",job="ping"}"#] >= 1.0,
        "{text}"
    );
    let last = m[r#"scorekeeper_last_success_timestamp_seconds{job="ping"}"#];
    let now = chrono::Utc::now().timestamp() as f64;
    assert!((now - 30.0..=now + 1.0).contains(&last), "{last} vs {now}");
    // The run made one RPC (the readiness probe counts separately).
    assert_eq!(m["scorekeeper_odoo_rpc_calls_total"], 1.0, "{text}");
    assert_eq!(m["scorekeeper_odoo_rpc_retries_total"], 0.0);
    assert_eq!(
        m[r#"scorekeeper_odoo_rpc_errors_total{kind="connect"}"#],
        0.0
    );
    assert_eq!(
        m[r#"scorekeeper_odoo_rpc_errors_total{kind="access_error"}"#],
        0.0
    );
    assert!(m["scorekeeper_odoo_bytes_received_total"] > 0.0);

    let (status, text) = get(&format!("{base}/readyz"), Some("sesame")).await;
    assert_eq!(status, 200, "{text}");
    assert!(
        text.starts_with("ready\nodoo: ok (Odoo 17.0)\njob ping: ok at "),
        "{text}"
    );

    // The run in flight sees the shutdown and returns; the daemon exits cleanly.
    tx.send(Control::Shutdown).await.unwrap();
    daemon.await.unwrap().unwrap();
    // The listener is gone with the daemon.
    assert!(reqwest::get(format!("{base}/healthz")).await.is_err());
}

// On the current-thread runtime: the probe's cache lifetime is measured in tokio time, which
// only that runtime lets the test move forward.
#[tokio::test]
async fn readyz_turns_unhealthy_when_odoo_goes_away_or_a_job_fails() {
    let odoo = FakeOdoo::start(|_, _| recorded(1));
    let dir = tempfile::tempdir().unwrap();
    let path = write_config(dir.path(), &odoo.url(), "");
    let cfg = config::load(&path).unwrap();
    let probe = OdooProbe::from_config(&cfg.odoo)
        .unwrap()
        .with_ttl(Duration::from_secs(1));
    let metrics = Arc::new(DaemonMetrics::new(Arc::new(Metrics::new())));
    let admin = Arc::new(AdminState::new(metrics.clone(), Arc::new(probe), None));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let stop = CancellationToken::new();
    let server = tokio::spawn(scorekeeper::http::serve(
        listener,
        admin,
        stop.clone().cancelled_owned(),
    ));

    let (status, text) = get(&format!("{base}/readyz"), None).await;
    assert_eq!(
        (status, text.as_str()),
        (200, "ready\nodoo: ok (Odoo 17.0)\n")
    );
    // Within the cache lifetime the probe is not repeated.
    let before = odoo.count();
    let _ = get(&format!("{base}/readyz"), None).await;
    assert_eq!(odoo.count(), before);

    drop(odoo);
    // The cached answer expires: tokio time (the probe's clock) jumps past its 1 s lifetime
    // instead of the test sleeping through it. Paused only for the jump, so the requests
    // below run on real time.
    tokio::time::pause();
    tokio::time::advance(Duration::from_millis(1100)).await;
    tokio::time::resume();
    let (status, text) = get(&format!("{base}/readyz"), None).await;
    assert_eq!(status, 503, "{text}");
    assert!(
        text.starts_with("not ready\nodoo: unreachable: common.version: "),
        "{text}"
    );
    // Liveness is not readiness.
    assert_eq!(get(&format!("{base}/healthz"), None).await.0, 200);

    // Odoo back (a new fake on another port, after a config reload), one job failed.
    let odoo = FakeOdoo::start(|_, _| recorded(1));
    let path = write_config(dir.path(), &odoo.url(), "");
    let cfg = config::load(&path).unwrap();
    let failed: Result<JobOutcome, JobError> = Err(JobError::Failed("boom".into()));
    metrics.run_finished(
        "scoring",
        chrono::Utc::now(),
        Duration::from_secs(1),
        &failed,
    );
    let ok: Result<JobOutcome, JobError> = Ok(JobOutcome::default());
    metrics.run_finished(
        "gamification",
        chrono::Utc::now(),
        Duration::from_secs(1),
        &ok,
    );
    let admin_probe = OdooProbe::from_config(&cfg.odoo).unwrap();
    let admin2 = Arc::new(AdminState::new(
        metrics.clone(),
        Arc::new(admin_probe),
        None,
    ));
    let listener2 = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base2 = format!("http://{}", listener2.local_addr().unwrap());
    let stop2 = CancellationToken::new();
    let server2 = tokio::spawn(scorekeeper::http::serve(
        listener2,
        admin2,
        stop2.clone().cancelled_owned(),
    ));
    let (status, text) = get(&format!("{base2}/readyz"), None).await;
    assert_eq!(status, 503, "{text}");
    assert!(text.contains("odoo: ok (Odoo 17.0)\n"), "{text}");
    assert!(text.contains("job gamification: ok at "), "{text}");
    assert!(text.contains("job scoring: failed at "), "{text}");
    assert!(text.contains(": boom\n"), "{text}");
    // A later success clears it.
    metrics.run_finished("scoring", chrono::Utc::now(), Duration::from_secs(1), &ok);
    assert_eq!(get(&format!("{base2}/readyz"), None).await.0, 200);
    // A job removed by a reload no longer counts.
    metrics.run_finished("old", chrono::Utc::now(), Duration::from_secs(1), &failed);
    assert_eq!(get(&format!("{base2}/readyz"), None).await.0, 503);
    metrics.retain_jobs(&["scoring".into(), "gamification".into()]);
    assert_eq!(get(&format!("{base2}/readyz"), None).await.0, 200);

    stop.cancel();
    stop2.cancel();
    server.await.unwrap().unwrap();
    server2.await.unwrap().unwrap();
}
