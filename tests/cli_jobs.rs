//! The job commands through the real binary against the simulator with the demo dataset:
//! `run gamification` (twice: the second writes nothing), `run all`, `leaderboard` (table and
//! report files), the `plan gamification --since` trial run, an unknown job (exit 2), and
//! `daemon` scheduling runs, serving /metrics and exiting 0 on SIGTERM.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::cli::{cmd_text, sk_async, sk_on_terminal};
use crate::support::{
    DEMO_TOML, Wire, over_each_world, served_demo, served_demo_over, wire_label, write_demo_config,
    write_world_config,
};

/// Argument lists built in a table, owned.
fn owned(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

over_each_world!(gamification_leaderboard_and_trial_through_the_binary);

/// Gamification, leaderboards, karma trials through the binary, on each world (the demo
/// dataset is generated alike on 17 and 19; on 19 the binary speaks JSON-2 with an API key).
async fn gamification_leaderboard_and_trial_through_the_binary(wire: Wire) {
    let served = served_demo_over(600, wire).await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_world_config(dir.path(), "demo", &served, &[])
        .to_string_lossy()
        .into_owned();

    // `run` verifies the whole config first, the scoring band tags included.
    let setup = sk_async(&["setup", "-c", &cfg]).await;
    assert_eq!(setup.status.code(), Some(0), "{}", cmd_text(&setup));
    let first = sk_async(&["run", "-c", &cfg, "gamification"]).await;
    assert_eq!(first.status.code(), Some(0), "{}", cmd_text(&first));
    let stdout = String::from_utf8_lossy(&first.stdout).into_owned();
    assert!(stdout.starts_with("gamification: "), "{stdout}");
    assert!(!stdout.contains(" 0 goals created"), "{stdout}");
    assert!(!stdout.contains("(0 changes written"), "{stdout}");

    let second = sk_async(&["run", "-c", &cfg, "gamification"]).await;
    assert_eq!(second.status.code(), Some(0), "{}", cmd_text(&second));
    let stdout = String::from_utf8_lossy(&second.stdout).into_owned();
    assert!(stdout.contains("(0 changes written"), "{stdout}");

    let board = sk_async(&["leaderboard", "-c", &cfg, "Appointment Setting"]).await;
    assert_eq!(board.status.code(), Some(0), "{}", cmd_text(&board));
    let table = String::from_utf8_lossy(&board.stdout).into_owned();
    assert!(table.contains("Appointments Booked"), "{table}");
    for telemarketer in [
        "Ryan Mitchell",
        "Đặng Thủy Tiên",
        "Екатерина Волкова",
        "黄丽",
    ] {
        assert!(table.contains(telemarketer), "{table}");
    }
    assert_eq!(
        table
            .lines()
            .filter(|l| l.starts_with(['1', '2', '3', '4']))
            .count(),
        4,
        "{table}"
    );

    let reports = dir.path().join("reports");
    let report = sk_async(&[
        "leaderboard",
        "-c",
        &cfg,
        "Monthly Sales Targets",
        "--report",
        "quarter",
        "--out",
        &reports.to_string_lossy(),
    ])
    .await;
    assert_eq!(report.status.code(), Some(0), "{}", cmd_text(&report));
    let files: Vec<_> = std::fs::read_dir(&reports)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(files.len(), 2, "{files:?}");
    let csv_name = files.iter().find(|f| f.ends_with(".csv")).unwrap();
    let csv = std::fs::read_to_string(reports.join(csv_name)).unwrap();
    assert!(csv.lines().count() > 24, "{csv}"); // header + the 24+ participants
    assert!(csv.contains("Marc Demo"), "{csv}");
    // The fair ranking is a report of its own: it does not overwrite the first.
    let fair = sk_async(&[
        "leaderboard",
        "-c",
        &cfg,
        "Monthly Sales Targets",
        "--fair",
        "--report",
        "quarter",
        "--out",
        &reports.to_string_lossy(),
    ])
    .await;
    assert_eq!(fair.status.code(), Some(0), "{}", cmd_text(&fair));
    let mut files: Vec<_> = std::fs::read_dir(&reports)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(files.len(), 4, "{files:?}");
    assert!(
        files.iter().any(|f| f.ends_with("-quarter-fair.html")),
        "{files:?}"
    );
    assert!(
        files.iter().any(|f| f.ends_with("-quarter.csv")),
        "{files:?}"
    );

    let trial = sk_async(&["plan", "-c", &cfg, "gamification", "--since", "2026-10-01"]).await;
    assert_eq!(trial.status.code(), Some(0), "{}", cmd_text(&trial));
    let stdout = String::from_utf8_lossy(&trial.stdout).into_owned();
    assert!(stdout.contains("trial run since 2026-10-01"), "{stdout}");
    assert!(stdout.contains("gamification.karma.tracking"), "{stdout}");
    // The trial per person, against what Odoo holds.
    let points = sk_async(&[
        "plan",
        "-c",
        &cfg,
        "points",
        "--since",
        "2026-10-01",
        "--until",
        "2026-11-30",
    ])
    .await;
    assert_eq!(points.status.code(), Some(0), "{}", cmd_text(&points));
    let stdout = String::from_utf8_lossy(&points.stdout).into_owned();
    assert!(
        stdout.starts_with("trial run of the point rules over 2026-10-01..2026-11-30"),
        "{stdout}"
    );
    assert!(stdout.contains("level (trial)"), "{stdout}");
    let run_points = sk_async(&["run", "-c", &cfg, "points"]).await;
    assert_eq!(
        run_points.status.code(),
        Some(2),
        "{}",
        cmd_text(&run_points)
    );

    let unknown = sk_async(&["run", "-c", &cfg, "nosuchjob"]).await;
    assert_eq!(unknown.status.code(), Some(2), "{}", cmd_text(&unknown));
    assert!(
        String::from_utf8_lossy(&unknown.stderr).contains("unknown job"),
        "{}",
        cmd_text(&unknown)
    );
    served.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn daemon_runs_jobs_serves_metrics_and_stops_on_sigterm() {
    let served = served_demo(300).await;
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = DEMO_TOML
        .replace("http://127.0.0.1:8069", &served.url)
        .replace("schedule = \"*/10 * * * *\"", "schedule = \"* * * * * *\"")
        + &format!("\n[http]\nlisten = \"127.0.0.1:{port}\"\n");
    let cfg_path = dir.path().join("daemon.toml");
    std::fs::write(&cfg_path, config).unwrap();
    let cfg = cfg_path.to_string_lossy().into_owned();
    // `setup` first, as an admin would: the score field must exist before scoring runs.
    let setup = sk_async(&["setup", "-c", &cfg]).await;
    assert_eq!(setup.status.code(), Some(0), "{}", cmd_text(&setup));
    let child = Command::new(env!("CARGO_BIN_EXE_scorekeeper"))
        .args(["daemon", "-c", &cfg_path.to_string_lossy()])
        .env("SCOREKEEPER_ODOO_PASSWORD", "admin")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut metrics = String::new();
    while Instant::now() < deadline {
        if let Ok(resp) = http
            .get(format!("http://127.0.0.1:{port}/metrics"))
            .send()
            .await
        {
            metrics = resp.text().await.unwrap_or_default();
            if metrics.contains("scorekeeper_runs_total{job=\"scoring\",outcome=\"ok\"}") {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        metrics.contains("scorekeeper_runs_total{job=\"scoring\",outcome=\"ok\"}"),
        "{metrics}"
    );
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    assert_eq!(
        status.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    served.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plans_show_everything_a_run_writes_and_flags_a_job_cannot_honour_are_refused() {
    let served = served_demo(300).await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_demo_config(dir.path(), "demo", &served.url, &[])
        .to_string_lossy()
        .into_owned();
    let setup = sk_async(&["setup", "-c", &cfg]).await;
    assert_eq!(setup.status.code(), Some(0), "{}", cmd_text(&setup));

    for refused in [
        owned(&["run", "-c", &cfg, "gamification", "--full"]),
        owned(&["plan", "-c", &cfg, "gamification", "--full"]),
        owned(&["run", "-c", &cfg, "all", "--full"]),
        owned(&["run", "-c", &cfg, "all", "--dry-run", "--full"]),
        owned(&["plan", "-c", &cfg, "all", "--json"]),
        owned(&["plan", "-c", &cfg, "scoring", "--since", "2026-10-01"]),
    ] {
        let o = sk_async(&refused).await;
        assert_eq!(o.status.code(), Some(2), "{refused:?}: {}", cmd_text(&o));
        let flag = refused
            .iter()
            .find(|a| a.starts_with("--") && *a != "--dry-run")
            .unwrap();
        assert!(cmd_text(&o).contains(flag.as_str()), "{}", cmd_text(&o));
    }

    // `plan gamification` lists the karma entries the run then books, and `--json` holds them.
    let plan = sk_async(&["plan", "-c", &cfg, "gamification"]).await;
    assert_eq!(plan.status.code(), Some(0), "{}", cmd_text(&plan));
    let stdout = String::from_utf8_lossy(&plan.stdout).into_owned();
    let karma_line = stdout
        .lines()
        .find(|l| l.starts_with("karma: "))
        .unwrap_or_else(|| panic!("{stdout}"));
    let planned: usize = karma_line
        .split_whitespace()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    assert!(planned > 0, "{stdout}");
    let json = sk_async(&["plan", "-c", &cfg, "gamification", "--json"]).await;
    assert_eq!(json.status.code(), Some(0), "{}", cmd_text(&json));
    let doc = String::from_utf8_lossy(&json.stdout);
    assert!(
        doc.matches("gamification.karma.tracking").count() >= planned,
        "{doc}"
    );

    // `plan all` is `run all --dry-run`: the same job list everywhere.
    let plan_all = sk_async(&["plan", "-c", &cfg, "all"]).await;
    assert_eq!(plan_all.status.code(), Some(0), "{}", cmd_text(&plan_all));
    assert!(
        String::from_utf8_lossy(&plan_all.stdout).contains(karma_line),
        "{}",
        cmd_text(&plan_all)
    );

    // `run all --dry-run` shows both jobs and writes nothing.
    let dry = sk_async(&["run", "-c", &cfg, "all", "--dry-run"]).await;
    assert_eq!(dry.status.code(), Some(0), "{}", cmd_text(&dry));
    let stdout = String::from_utf8_lossy(&dry.stdout).into_owned();
    assert!(stdout.contains("dry run: nothing written"), "{stdout}");
    assert!(stdout.contains(karma_line), "{stdout}");

    let run = sk_async(&["run", "-c", &cfg, "gamification"]).await;
    assert_eq!(run.status.code(), Some(0), "{}", cmd_text(&run));
    let stdout = String::from_utf8_lossy(&run.stdout).into_owned();
    assert!(
        stdout.contains(&format!("{planned} karma entries booked")),
        "{stdout}"
    );
    // The run ids, for `undo`.
    assert!(stdout.contains("; run "), "{stdout}");
    // Every job of `run all` names its runs, scoring's too.
    let all = sk_async(&["run", "-c", &cfg, "all", "--now", "2026-11-22 09:00:00"]).await;
    assert_eq!(all.status.code(), Some(0), "{}", cmd_text(&all));
    let stdout = String::from_utf8_lossy(&all.stdout).into_owned();
    for job in ["scoring: ", "gamification: "] {
        let line = stdout
            .lines()
            .find(|l| l.starts_with(job))
            .unwrap_or_else(|| panic!("{stdout}"));
        assert!(line.contains("; run "), "{line}");
    }
    served.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_reports_duplicate_goals_and_karma_entries() {
    use scorekeeper::record::{RecordStore, Value as RV};
    let served = served_demo(300).await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_demo_config(dir.path(), "demo", &served.url, &[])
        .to_string_lossy()
        .into_owned();
    for args in [
        owned(&["setup", "-c", &cfg]),
        owned(&["run", "-c", &cfg, "gamification"]),
    ] {
        let o = sk_async(&args).await;
        assert_eq!(o.status.code(), Some(0), "{}", cmd_text(&o));
    }
    let check = sk_async(&["check", "-c", &cfg]).await;
    assert_eq!(check.status.code(), Some(0), "{}", cmd_text(&check));
    let stdout = String::from_utf8_lossy(&check.stdout).into_owned();
    assert!(
        stdout.contains("records no duplicate goal, badge grant or karma entry"),
        "{stdout}"
    );

    // A restored backup brought back a goal and a karma entry a second time.
    let (goal_copy, karma_copy, goal, karma) = {
        let mut store = served.sim.write();
        let goal = store.all_ids("gamification.goal")[0];
        let karma = *store
            .all_ids("gamification.karma.tracking")
            .iter()
            .find(|id| {
                store
                    .value("gamification.karma.tracking", **id, "x_sk_key")
                    .is_some_and(|v| v.as_str().is_some())
            })
            .unwrap();
        let copy = |store: &scorekeeper::sim::Store, model: &str, id: i64, fields: &[&str]| {
            fields
                .iter()
                .map(|f| {
                    (
                        (*f).to_owned(),
                        store.value(model, id, f).unwrap_or(RV::Null),
                    )
                })
                .collect::<Vec<_>>()
        };
        let g = copy(
            &store,
            "gamification.goal",
            goal,
            &[
                "line_id",
                "user_id",
                "start_date",
                "end_date",
                "definition_id",
                "challenge_id",
            ],
        );
        let k = copy(
            &store,
            "gamification.karma.tracking",
            karma,
            &["user_id", "old_value", "new_value", "reason", "x_sk_key"],
        );
        let goal_copy = store.create("gamification.goal", g);
        let karma_copy = store.create("gamification.karma.tracking", k);
        (goal_copy, karma_copy, goal, karma)
    };
    let check = sk_async(&["check", "-c", &cfg]).await;
    assert_eq!(check.status.code(), Some(0), "{}", cmd_text(&check));
    let stdout = String::from_utf8_lossy(&check.stdout).into_owned();
    let warnings: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("warning duplicate"))
        .collect();
    assert_eq!(warnings.len(), 2, "{stdout}");
    assert!(
        warnings[0].starts_with("warning duplicate gamification.goal (line ")
            && warnings[0].contains(&format!("ids {goal}, {goal_copy}")),
        "{stdout}"
    );
    assert!(
        warnings[1].starts_with("warning duplicate gamification.karma.tracking (key karma:")
            && warnings[1].contains(&format!("ids {karma}, {karma_copy}")),
        "{stdout}"
    );
    served.stop().await;
}

/// `plan` names the records and values of its examples (`crm.lead Name (#4)`, `team_id:
/// False → Vietnam (#6)`); `run` on a terminal draws a bar per phase (rule searches, leads
/// read, changes applied) and redirected draws nothing: no bar, no escape code.
#[tokio::test(flavor = "multi_thread")]
async fn plan_names_what_it_shows_and_run_draws_progress_only_on_a_terminal() {
    let served = served_demo(300).await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_demo_config(dir.path(), "demo", &served.url, &[])
        .to_string_lossy()
        .into_owned();
    let now = "2026-11-20 09:00:00";
    let setup = sk_async(&["setup", "-c", &cfg]).await;
    assert_eq!(setup.status.code(), Some(0), "{}", cmd_text(&setup));

    let plan = sk_async(&["plan", "-c", &cfg, "scoring", "--now", now]).await;
    assert_eq!(plan.status.code(), Some(0), "{}", cmd_text(&plan));
    let shown = String::from_utf8_lossy(&plan.stdout).into_owned();
    // Every example names its lead, the way the demo's leads are named in Odoo.
    let lead_name = |id: i64| match served.sim.read().value("crm.lead", id, "name") {
        Some(scorekeeper::record::Value::Str(name)) => name,
        other => panic!("lead {id} has no name: {other:?}"),
    };
    let examples: Vec<&str> = shown
        .lines()
        .filter(|l| l.starts_with("  crm.lead "))
        .collect();
    assert!(examples.len() >= 10, "{shown}");
    for line in &examples {
        let id: i64 = line
            .split("(#")
            .nth(1)
            .and_then(|rest| rest.split(')').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no (#id) in {line:?}"));
        assert!(
            line.starts_with(&format!("  crm.lead {} (#{id})", lead_name(id))),
            "{line}"
        );
    }
    let routed = examples
        .iter()
        .find(|l| l.contains("team_id: False → "))
        .unwrap_or_else(|| panic!("{shown}"));
    assert!(
        [
            "Vietnam (#",
            "Greater China (#",
            "Europe & CIS (#",
            "Americas & Pacific (#"
        ]
        .iter()
        .any(|t| routed.contains(&format!("team_id: False → {t}"))),
        "{routed}"
    );

    let redirected = sk_async(&["run", "-c", &cfg, "scoring", "--now", now]).await;
    assert_eq!(
        redirected.status.code(),
        Some(0),
        "{}",
        cmd_text(&redirected)
    );
    for stream in [&redirected.stdout, &redirected.stderr] {
        let s = String::from_utf8_lossy(stream);
        assert!(
            !s.contains('\u{1b}'),
            "an escape code in redirected output:\n{s}"
        );
        assert!(
            !s.contains("changes applied ["),
            "a bar in redirected output:\n{s}"
        );
    }
    // The first run wrote everything: on a terminal, a run into a score field of its own, so
    // that there is something to apply.
    let tty_cfg = write_demo_config(
        dir.path(),
        "tty",
        &served.url,
        &[("x_lead_score", "x_lead_score_tty")],
    )
    .to_string_lossy()
    .into_owned();
    let setup = sk_async(&["setup", "-c", &tty_cfg]).await;
    assert_eq!(setup.status.code(), Some(0), "{}", cmd_text(&setup));
    let on_tty = tokio::task::spawn_blocking(move || {
        sk_on_terminal(&["run", "-c", &tty_cfg, "scoring", "--now", now])
    })
    .await
    .unwrap();
    let screen = String::from_utf8_lossy(&on_tty.stdout).into_owned();
    assert_eq!(on_tty.status.code(), Some(0), "{screen}");
    for bar in [
        "scoring: rule searches",
        "scoring: leads read",
        "scoring: changes applied",
    ] {
        assert!(
            screen.contains(bar),
            "no {bar:?} bar on the terminal:\n{screen}"
        );
    }
    // Bars are cleared (erase line) before the summary is printed.
    assert!(screen.contains("\u{1b}[2K"), "{screen}");
    assert!(screen.contains("plan for scoring: "), "{screen}");
    served.stop().await;
}

over_each_world!(runs_and_show_tell_what_each_run_changed);

/// `runs` lists what ran; `show RUN` says what a run changed, by the names people know. On
/// each world: the 19 one through `protocol = "auto"` and an API key in the password file.
async fn runs_and_show_tell_what_each_run_changed(wire: Wire) {
    let served = served_demo_over(300, wire).await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_world_config(dir.path(), "demo", &served, &[])
        .to_string_lossy()
        .into_owned();
    let none = sk_async(&["runs", "-c", &cfg]).await;
    assert_eq!(none.status.code(), Some(0), "{}", cmd_text(&none));
    assert_eq!(String::from_utf8_lossy(&none.stdout), "no runs yet\n");
    for args in [
        owned(&["setup", "-c", &cfg]),
        owned(&["run", "-c", &cfg, "scoring", "--now", "2026-11-20 09:00:00"]),
    ] {
        let o = sk_async(&args).await;
        assert_eq!(o.status.code(), Some(0), "{}", cmd_text(&o));
    }
    // `check` names the wire of this world: XML-RPC on 17, JSON-2 (chosen by `auto`) on 19.
    let check = sk_async(&["check", "-c", &cfg]).await;
    assert_eq!(check.status.code(), Some(0), "{}", cmd_text(&check));
    assert!(
        String::from_utf8_lossy(&check.stdout).contains(wire_label(wire)),
        "{}",
        cmd_text(&check)
    );
    let runs = sk_async(&["runs", "-c", &cfg]).await;
    assert_eq!(runs.status.code(), Some(0), "{}", cmd_text(&runs));
    let listing = String::from_utf8_lossy(&runs.stdout).into_owned();
    let lines: Vec<&str> = listing.lines().collect();
    assert!(lines[0].starts_with("run "), "{listing}");
    // Newest first: routing ("assignment") after scoring.
    let routing = lines
        .iter()
        .find(|l| l.contains(" assignment "))
        .unwrap_or_else(|| panic!("{listing}"));
    assert!(routing.trim_end().ends_with("applied"), "{listing}");
    let run_id = routing.split_whitespace().next().unwrap().to_owned();

    let show = sk_async(&["show", "-c", &cfg, &run_id]).await;
    assert_eq!(show.status.code(), Some(0), "{}", cmd_text(&show));
    let shown = String::from_utf8_lossy(&show.stdout).into_owned();
    assert!(
        shown.starts_with(&format!("run {run_id} (assignment): applied")),
        "{shown}"
    );
    // Teams and salespeople by name, not by id.
    let team_line = shown
        .lines()
        .find(|l| l.contains("team_id: "))
        .unwrap_or_else(|| panic!("{shown}"));
    assert!(
        ["Vietnam", "Greater China", "Russia", "International"]
            .iter()
            .any(|t| team_line.contains(&format!("→ {t}"))),
        "{team_line}"
    );
    assert!(team_line.contains("crm.lead "), "{team_line}");
    let unknown = sk_async(&["show", "-c", &cfg, "no-such-run"]).await;
    assert_eq!(unknown.status.code(), Some(2), "{}", cmd_text(&unknown));
    served.stop().await;
}
