//! Real signals to a real process: the test binary re-runs itself as a child whose only test
//! is a daemon (`child_daemon`, inert unless `SCOREKEEPER_TEST_CHILD` is set), and the parent
//! sends it SIGTERM mid-run (the batch finishes, the journal is consistent, exit 0) or SIGHUP
//! with a bad and then a good config.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use scorekeeper::config;
use scorekeeper::daemon::{self, Registry};
use scorekeeper::scheduler::{Schedule, ScheduledJob};
use scorekeeper::state::{RunStatus, State};

use crate::support::daemon::{BatchJob, config_text, write_config};

const CHILD: &str = "SCOREKEEPER_TEST_CHILD";
const CHILD_DIR: &str = "SCOREKEEPER_TEST_CHILD_DIR";

/// The child's body; does nothing in a normal test run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn child_daemon() {
    let Ok(scenario) = std::env::var(CHILD) else {
        return;
    };
    let dir = std::path::PathBuf::from(std::env::var(CHILD_DIR).unwrap());
    let path = dir.join("scorekeeper.toml");
    // Logs on stdout, where the parent reads them.
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stdout)
        .with_ansi(false)
        .with_env_filter("scorekeeper=info")
        .try_init();
    let registry: Arc<Registry> = match scenario.as_str() {
        "term" => {
            let mut job = BatchJob::new(5, 10, Duration::from_secs(1));
            job.announce = true;
            let job = Arc::new(job);
            Arc::new(move |cfg: &config::Config| {
                Ok(vec![ScheduledJob {
                    job: job.clone(),
                    schedule: Schedule::parse("* * * * * *", cfg.daemon.time_zone.name())?,
                }])
            })
        }
        _ => {
            let job = Arc::new(BatchJob::new(1, 1, Duration::ZERO));
            Arc::new(move |cfg: &config::Config| {
                println!("registry built: {}", cfg.daemon.time_zone.name());
                Ok(vec![ScheduledJob {
                    job: job.clone(),
                    schedule: Schedule::parse("0 0 1 1 *", cfg.daemon.time_zone.name())?,
                }])
            })
        }
    };
    match daemon::run_with_signals(&path, registry).await {
        Ok(()) => println!("daemon exited cleanly"),
        Err(e) => panic!("daemon failed: {e}"),
    }
}

/// Starts the child and a thread forwarding its stdout lines.
fn spawn_child(scenario: &str, dir: &Path) -> (Child, mpsc::Receiver<String>) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "daemon_signal::child_daemon",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, scenario)
        .env(CHILD_DIR, dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { return };
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    (child, rx)
}

/// Waits (at most 30 s) for a line containing `needle`; returns it.
fn wait_for(lines: &mpsc::Receiver<String>, needle: &str) -> String {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) if line.contains(needle) => return line,
            Ok(_) => {}
            Err(e) => panic!("no line with {needle:?} from the child: {e}"),
        }
    }
}

fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .args([format!("-{name}"), child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// Waits for the child to exit (at most 30 s): `wait` on a thread of its own, so the test
/// blocks on the exit itself instead of polling for it.
fn wait_exit(mut child: Child) -> std::process::ExitStatus {
    let pid = child.id().to_string();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait());
    });
    match rx.recv_timeout(Duration::from_secs(30)) {
        Ok(status) => status.unwrap(),
        Err(_) => {
            let _ = Command::new("kill").args(["-KILL", &pid]).status();
            panic!("the child did not exit within 30 s");
        }
    }
}

#[test]
fn sigterm_mid_run_finishes_the_batch_and_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    write_config(
        dir.path(),
        "http://127.0.0.1:9",
        "[http]\nenabled = false\n",
    );
    let (child, lines) = spawn_child("term", dir.path());
    wait_for(&lines, "first batch started");
    signal(&child, "TERM");
    let status = wait_exit(child);
    assert!(status.success(), "exit status {status:?}");
    wait_for(&lines, "daemon exited cleanly");

    let state = State::open(dir.path().join("state.db")).unwrap();
    assert!(state.unfinished_runs().unwrap().is_empty());
    let runs = state.runs(10).unwrap();
    // Normally one run; on a very slow machine the signal may land in a later one.
    assert!(runs.iter().all(|r| r.still_planned() == 0), "{runs:?}");
    let run = &runs[0];
    assert_eq!(run.status, RunStatus::Failed);
    assert_eq!(run.error.as_deref(), Some("interrupted by shutdown"));
    assert_eq!(run.still_planned(), 0);
    assert_eq!(run.entries, 50);
    // The batch in flight when the signal came was finished (whole batches only).
    assert!(
        run.applied >= 10 && run.applied < 50 && run.applied % 10 == 0,
        "{run:?}"
    );
    assert_eq!(run.applied + run.not_applied, 50);
}

#[test]
fn sighup_reloads_a_good_config_and_keeps_the_old_on_a_bad_one() {
    let dir = tempfile::tempdir().unwrap();
    let url = "http://127.0.0.1:9";
    let extra = |tz: &str| format!("[http]\nenabled = false\n[daemon]\ntime_zone = \"{tz}\"\n");
    let path = write_config(dir.path(), url, &extra("UTC"));
    let (child, lines) = spawn_child("hup", dir.path());
    wait_for(&lines, "registry built: UTC");

    std::fs::write(&path, config_text(url, &extra("Mars/Olympus_Mons"))).unwrap();
    signal(&child, "HUP");
    let refused = wait_for(&lines, "config reload refused");
    assert!(
        refused.contains(
            "scorekeeper.toml:14:13 daemon.time_zone: unknown time zone \"Mars/Olympus_Mons\""
        ),
        "{refused}"
    );

    std::fs::write(&path, config_text(url, &extra("Asia/Ho_Chi_Minh"))).unwrap();
    signal(&child, "HUP");
    wait_for(&lines, "registry built: Asia/Ho_Chi_Minh");
    wait_for(&lines, "config reloaded");

    signal(&child, "TERM");
    let status = wait_exit(child);
    assert!(status.success(), "exit status {status:?}");
    wait_for(&lines, "daemon exited cleanly");
}
