//! README command 1: `scorekeeper demo` runs on a fresh checkout with nothing set up, against
//! the in-process simulator, and reports what it did.

use std::process::Command;

#[test]
fn demo_runs_against_the_builtin_simulator() {
    let out = Command::new(env!("CARGO_BIN_EXE_scorekeeper"))
        .arg("demo")
        .env_remove("SCOREKEEPER_ODOO_PASSWORD")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "exit {:?}\n{stdout}\n{stderr}",
        out.status
    );
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
    let board = stdout
        .split("== leaderboard: Appointment Setting")
        .nth(1)
        .unwrap();
    assert!(board.contains("Appointments Booked"), "{board}");
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
/// rules), `check` included.
#[test]
fn demo_runs_against_the_odoo_19_simulator() {
    let out = Command::new(env!("CARGO_BIN_EXE_scorekeeper"))
        .args(["demo", "--odoo", "19", "--leads", "400"])
        .env_remove("SCOREKEEPER_ODOO_PASSWORD")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "exit {:?}\n{stdout}\n{stderr}",
        out.status
    );
    assert!(stdout.contains("Odoo 19 simulator on"), "{stdout}");
    assert!(stdout.contains("odoo    Odoo 19.0"), "{stdout}");
    assert!(stdout.contains("profile Odoo 19: daily quota"), "{stdout}");
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
        stderr.contains("deprecated in Odoo 19"),
        "the simulator logs Odoo 19's XML-RPC deprecation: {stderr}"
    );
}
