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

/// One row of a printed statement: its cells split on runs of two spaces or more.
fn cells(row: &str) -> Vec<&str> {
    row.split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect()
}

/// The rows of the statement titled `name` (up to its total), as cells.
fn statement<'a>(stdout: &'a str, name: &str) -> Vec<Vec<&'a str>> {
    let from = stdout
        .find(&format!("{name} — 2026-11 (open)"))
        .unwrap_or_else(|| panic!("no statement of {name}: {stdout}"));
    stdout[from..]
        .lines()
        .skip(2)
        .take_while(|l| !l.trim_start().starts_with("total"))
        .map(cells)
        .chain(
            stdout[from..]
                .lines()
                .find(|l| l.trim_start().starts_with("total"))
                .map(cells),
        )
        .collect()
}

/// The pay demo's November 2026 statements (`demo::pay`, `config/demo.toml`), by hand:
///
/// * Lý Thị Mai (affiliate; basic 5 %, add-on 10 % on Office Design Software, repeat 2 %,
///   referral 3 %, incidental): AFF/2026/00002 to Sao Mai, 4,500.00 (2 tables 4,000.00 and
///   5 licences 500.00; Sao Mai bought AFF/2026/00001 in September, so it is a repeat):
///   225.00 + 50.00 + 90.00; its credit note RAFF/2026/00001, one licence -100.00: -5.00,
///   -10.00, -2.00; AFF/2026/00003 (6,000.00, closed by Sergey) came with her code MAI-2026:
///   180.00; the trade-fair bonus 150.00. Total 678.00.
/// * Сергей Орлов (tiers, marginal on a 10,000.00 target: 2 %, from 100 % 4 %): AFF/2026/00003
///   6,000.00 + AFF/2026/00004 7,000.00 = 13,000.00 → 10,000.00 × 2 % and 3,000.00 × 4 %, each
///   × 0.9 (one deal won of a target of 2: 50 %, band 0 %): 180.00 + 108.00 = 288.00.
/// * Phạm Minh Tâm (setter, 20.00 per qualified meeting): five meetings, three about
///   opportunities at Proposition, Won and Qualified; booking coefficient 5 of 4 = 125 % → × 1.1:
///   3 × 22.00 = 66.00. The won deal pays Tâm per meeting and Sergey by the invoice, apart.
fn assert_pay_statements(stdout: &str) {
    let mai = statement(stdout, "Lý Thị Mai");
    let expected: Vec<Vec<&str>> = vec![
        vec!["Basic", "AFF/2026/00002", "4500.00", "5%", "1", "225.00"],
        vec![
            "Basic",
            "RAFF/2026/00001 (refund of AFF/2026/00002)",
            "-100.00",
            "5%",
            "1",
            "-5.00",
        ],
        vec!["Add-on", "AFF/2026/00002", "500.00", "10%", "1", "50.00"],
        vec![
            "Add-on",
            "RAFF/2026/00001 (refund of AFF/2026/00002)",
            "-100.00",
            "10%",
            "1",
            "-10.00",
        ],
        vec![
            "Repeat purchase",
            "AFF/2026/00002",
            "4500.00",
            "2%",
            "1",
            "90.00",
        ],
        vec![
            "Repeat purchase",
            "RAFF/2026/00001 (refund of AFF/2026/00002)",
            "-100.00",
            "2%",
            "1",
            "-2.00",
        ],
        vec![
            "Incidental",
            "Thưởng hội chợ thương mại (trade fair bonus)",
            "150.00",
            "1",
            "150.00",
        ],
        vec!["Referral", "AFF/2026/00003", "6000.00", "3%", "1", "180.00"],
        vec!["total 678.00"],
    ];
    assert_eq!(mai, expected, "{stdout}");
    let sergey = statement(stdout, "Сергей Орлов");
    let expected: Vec<Vec<&str>> = vec![
        vec![
            "Advanced (tiers)",
            "2026-11 band from 0% of target 10000.00",
            "10000.00",
            "2%",
            "0.9",
            "180.00",
        ],
        vec![
            "Advanced (tiers)",
            "2026-11 band from 100% of target 10000.00",
            "3000.00",
            "4%",
            "0.9",
            "108.00",
        ],
        vec!["coefficient closing: 50% of target: × 0.9"],
        vec!["total 288.00"],
    ];
    assert_eq!(sergey, expected, "{stdout}");
    let tam = statement(stdout, "Phạm Minh Tâm");
    let expected: Vec<Vec<&str>> = vec![
        vec![
            "Qualified appointment",
            "Product demo: Phòng họp 12 chỗ",
            "1 mtg",
            "20.00",
            "1.1",
            "22.00",
        ],
        vec![
            "Qualified appointment",
            "Discovery call: Переговорные для нового офиса",
            "1 mtg",
            "20.00",
            "1.1",
            "22.00",
        ],
        vec![
            "Qualified appointment",
            "Needs analysis: Bàn giám đốc",
            "1 mtg",
            "20.00",
            "1.1",
            "22.00",
        ],
        vec!["coefficient booking: 125% of target: × 1.1"],
        vec!["total 66.00"],
    ];
    assert_eq!(tam, expected, "{stdout}");
    // Written once: the second run changes nothing.
    assert!(
        stdout.contains("== pay 2026-11, first run: 3 statements, 16 records written"),
        "{stdout}"
    );
    assert!(
        stdout.contains("== pay 2026-11, second run: 3 statements, 0 records written"),
        "{stdout}"
    );
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
    assert_pay_statements(&stdout);
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
    assert_pay_statements(&stdout);
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
