//! README command 1: `scorekeeper demo` runs on a fresh checkout with nothing set up, against
//! the in-process simulator, and reports what it did.

use std::process::{Command, Output};

/// `scorekeeper demo ARGS` with no password in the environment: its exit, stdout and stderr.
fn demo(args: &[&str]) -> (Output, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_scorekeeper"))
        .arg("demo")
        .args(args)
        .env_remove("SCOREKEEPER_ODOO_PASSWORD")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (out, stdout, stderr)
}

/// [`demo`] that must succeed: its stdout and stderr.
fn demo_ok(args: &[&str]) -> (String, String) {
    let (out, stdout, stderr) = demo(args);
    assert!(
        out.status.success(),
        "exit {:?}\n{stdout}\n{stderr}",
        out.status
    );
    (stdout, stderr)
}

#[test]
fn demo_runs_against_the_builtin_simulator() {
    // The dataset's "today" pinned: the test must not depend on the date it runs.
    let (stdout, _) = demo_ok(&["--today", "2026-11-22"]);
    assert!(stdout.contains("2000 leads (955 unassigned)"), "{stdout}");
    assert!(stdout.contains("Odoo 17.0"), "{stdout}");
    assert!(stdout.contains("admin on crm17c: uid 2"), "{stdout}");
    // setup, scoring (twice: the second changes nothing), gamification, karma, leaderboards
    assert!(
        stdout.contains("crm.lead.x_lead_score: created"),
        "{stdout}"
    );
    assert!(
        stdout.contains("== scoring and routing, first run"),
        "{stdout}"
    );
    let second = stdout
        .split("== scoring and routing, second run")
        .nth(1)
        .unwrap();
    assert!(
        second.contains("plan for scoring: nothing to change"),
        "{second}"
    );
    assert!(stdout.contains("gamification.goal"), "{stdout}");
    assert!(stdout.contains("gamification.karma.tracking"), "{stdout}");
    // Levels (issue 16): setup creates their badges; the karma booked reaches levels, whose
    // badges are granted (Mitchell Admin: 2500 in the snapshot, + 50 for lead 20 won).
    assert!(
        stdout.contains("badge   Level: Student: created"),
        "{stdout}"
    );
    let levels = stdout.split("== levels").nth(1).unwrap();
    assert!(
        levels.contains(
            "grant  Mitchell Admin: Level Student reached: 2550 karma (the level starts at 100)"
        ),
        "{levels}"
    );
    // Achievement badges (issue 16): the first won deal over 10,000 of Mitchell Admin (his
    // best won deal in the demo data: 19,800).
    let achievements = stdout.split("== achievements").nth(1).unwrap();
    assert!(
        achievements.contains(
            "grant  Mitchell Admin: First deal over 10,000: max of expected_revenue 19800 reached 10000"
        ),
        "{achievements}"
    );
    let board = stdout
        .split("== leaderboard: Appointment Setting")
        .nth(1)
        .unwrap();
    assert!(board.contains("Appointments Booked"), "{board}");
}

/// The demo lives in the present: its dates follow `--today` (default: the date it runs), so
/// the current month's leaderboards have data.
#[test]
fn the_demo_dataset_follows_its_today() {
    let (stdout, _) = demo_ok(&["--today", "2027-03-15", "--leads", "300"]);
    let board = stdout
        .split("== leaderboard: Monthly Sales Targets")
        .nth(1)
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(board.contains("2027-03-01..2027-03-31"), "{board}");
    // The leader has invoiced something this month (the data moved with the date).
    let leader = board.lines().find(|l| l.starts_with("1 ")).unwrap();
    assert!(!leader.contains(" 0/"), "{board}");
    let (bad, _, bad_stderr) = demo(&["--today", "15/03/2027"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(bad_stderr.contains("--today"), "{bad_stderr}");
}

#[test]
fn sim_serves_on_a_free_port_and_answers_version() {
    use std::io::{BufRead, BufReader};
    let mut child = Command::new(env!("CARGO_BIN_EXE_scorekeeper"))
        .args(["sim", "--port", "0"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://127.0.0.1:"))
        .unwrap()
        .to_owned();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let body = rt.block_on(async {
        reqwest::Client::new()
            .post(format!("{url}/xmlrpc/2/common"))
            .body("<?xml version='1.0'?><methodCall><methodName>version</methodName><params></params></methodCall>")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    });
    let _ = child.kill();
    let _ = child.wait();
    assert!(body.contains("<string>17.0</string>"), "{body}");
}

/// `demo --odoo 19`: the same run against the Odoo 19 simulator (its snapshot, fields and
/// rules), `check` included, over JSON-2: `protocol = "auto"` picks it on 19 and the demo
/// hands its client admin's API key.
#[test]
fn demo_runs_against_the_odoo_19_simulator() {
    let (stdout, stderr) = demo_ok(&["--odoo", "19", "--leads", "400", "--today", "2026-11-22"]);
    assert!(stdout.contains("Odoo 19 simulator on"), "{stdout}");
    assert!(stdout.contains("odoo    Odoo 19.0"), "{stdout}");
    assert!(stdout.contains("profile Odoo 19: daily quota"), "{stdout}");
    assert!(
        stdout.contains("wire    JSON-2 (protocol = \"auto\": Odoo 19 serves JSON-2"),
        "{stdout}"
    );
    assert!(stdout.contains("admin on crm19: uid 2"), "{stdout}");
    assert!(
        !stdout.contains("warning"),
        "19 is in the tested range: {stdout}"
    );
    assert!(stdout.contains("\nOK\n"), "check passes on 19: {stdout}");
    let second = stdout
        .split("== scoring and routing, second run")
        .nth(1)
        .unwrap();
    assert!(
        second.contains("plan for scoring: nothing to change"),
        "{second}"
    );
    assert!(
        stdout.contains("== leaderboard: Monthly Sales Targets"),
        "{stdout}"
    );
    assert!(
        stdout.contains("== karma") && stdout.contains("gamification.karma.tracking"),
        "{stdout}"
    );
    // Not one object call went over /xmlrpc: the simulator logs Odoo 19's deprecation on
    // the first.
    assert!(!stderr.contains("deprecated in Odoo 19"), "{stderr}");
}

/// `sim --odoo 19` prints each login's API key, and that key opens JSON-2 as that user.
#[test]
fn sim_on_odoo_19_prints_the_api_keys_json2_takes() {
    use std::io::{BufRead, BufReader};
    let mut child = Command::new(env!("CARGO_BIN_EXE_scorekeeper"))
        .args(["sim", "--odoo", "19", "--port", "0"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let (mut first, mut keys) = (String::new(), String::new());
    reader.read_line(&mut first).unwrap();
    reader.read_line(&mut keys).unwrap();
    let url = first
        .split_whitespace()
        .find(|w| w.starts_with("http://127.0.0.1:"))
        .unwrap()
        .to_owned();
    assert!(first.contains("database crm19"), "{first}");
    let key_of = |login: &str| {
        keys.trim_end()
            .trim_start_matches("JSON-2 API keys: ")
            .split(", ")
            .find_map(|pair| pair.strip_prefix(&format!("{login} ")))
            .unwrap_or_else(|| panic!("{keys}"))
            .to_owned()
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let context = |key: String| {
        rt.block_on(async {
            let response = reqwest::Client::new()
                .post(format!("{url}/json/2/res.users/context_get"))
                .bearer_auth(key)
                .header("X-Odoo-Database", "crm19")
                .header("Content-Type", "application/json")
                .body("{}")
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            (status, response.text().await.unwrap())
        })
    };
    let admin = context(key_of("admin"));
    let demo = context(key_of("demo"));
    // And the binary's own client, told `protocol = "json2"`, logs in with the printed key.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("key"), key_of("admin")).unwrap();
    let config = dir.path().join("c.toml");
    std::fs::write(
        &config,
        format!(
            "[odoo]\nurl = \"{url}\"\ndatabase = \"crm19\"\nlogin = \"admin\"\n\
             password_file = \"{}\"\nprotocol = \"json2\"\n",
            dir.path().join("key").display()
        ),
    )
    .unwrap();
    let check = crate::support::cli::sk(&["check", "-c", &config.to_string_lossy()]);
    let _ = child.kill();
    let _ = child.wait();
    let checked = String::from_utf8_lossy(&check.stdout).into_owned();
    assert_eq!(check.status.code(), Some(0), "{checked}");
    assert!(
        checked.contains("wire    JSON-2 (protocol = \"json2\")"),
        "{checked}"
    );
    assert!(checked.contains("admin on crm19: uid 2"), "{checked}");
    assert_eq!(admin.0, 200, "{admin:?}");
    assert!(
        admin.1.contains("\"uid\": 2") || admin.1.contains("\"uid\":2"),
        "{admin:?}"
    );
    assert_eq!(demo.0, 200, "{demo:?}");
    assert!(
        demo.1.contains("\"uid\": 5") || demo.1.contains("\"uid\":5"),
        "{demo:?}"
    );
}
