//! The pay commands through the real binary against the Odoo 17 snapshot: `setup`,
//! `plan pay --period`, `run pay` (twice: the second writes nothing), `statement --user`
//! (a table) and `--csv`, and a locked period refused with the reason (exit 2).

use std::process::Output;

use crate::support::cli::sk_async;
use crate::support::{Served, snapshot_sim};

fn stdout(o: &Output) -> String {
    assert!(
        o.status.success(),
        "{:?}\n{}\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pay_commands_through_the_binary() {
    let served = Served::start(snapshot_sim()).await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("pay.toml");
    std::fs::write(
        &config,
        format!(
            "[odoo]\nurl = \"{}\"\ndatabase = \"crm17c\"\nlogin = \"admin\"\npassword_env = \"SCOREKEEPER_ODOO_PASSWORD\"\n\
             [state]\npath = \"state.db\"\n\
             [pay]\n[[pay.plans]]\nkey = \"reps\"\nname = \"Sales reps\"\nusers = [\"demo\", \"admin\"]\nbasic = \"5%\"\n",
            served.url
        ),
    )
    .unwrap();
    let c = config.to_str().unwrap();
    let now = "2026-11-23 08:00:00";
    assert!(
        stdout(&sk_async(&["setup", "-c", c]).await)
            .contains("pay     models x_sk_statement, x_sk_statement_line: created")
    );
    let plan =
        stdout(&sk_async(&["plan", "-c", c, "pay", "--period", "2026-11", "--now", now]).await);
    // 5 % of demo's INV/2026/00001 and 00004 (31,750.00 each).
    assert!(
        plan.contains("statement 2026-11 Marc Demo: 3175.00 (2 lines)"),
        "{plan}"
    );
    assert!(plan.contains("nothing written"), "{plan}");
    let run =
        stdout(&sk_async(&["run", "-c", c, "pay", "--period", "2026-11", "--now", now]).await);
    assert!(run.contains("changes   2 statement(s)"), "{run}");
    let again =
        stdout(&sk_async(&["run", "-c", c, "pay", "--period", "2026-11", "--now", now]).await);
    assert!(
        again.contains("changes   0 statement(s), 0 line change(s)"),
        "{again}"
    );
    let table = stdout(
        &sk_async(&[
            "statement",
            "-c",
            c,
            "--period",
            "2026-11",
            "--user",
            "demo",
            "--width",
            "80",
            "--now",
            now,
        ])
        .await,
    );
    assert!(table.contains("INV/2026/00001"), "{table}");
    assert!(table.contains("total 3175.00"), "{table}");
    assert!(
        table
            .lines()
            .all(|l| unicode_width::UnicodeWidthStr::width(l) <= 80),
        "{table}"
    );
    let csv = stdout(
        &sk_async(&[
            "statement",
            "-c",
            c,
            "--period",
            "2026-11",
            "--csv",
            "--now",
            now,
        ])
        .await,
    );
    assert_eq!(csv.lines().count(), 3, "{csv}");
    assert!(
        csv.contains("2026-11,6,Marc Demo,false,reps,basic,INV/2026/00004,,31750.00,5%,1,1587.50"),
        "{csv}"
    );
    let html = stdout(
        &sk_async(&[
            "statement",
            "-c",
            c,
            "--period",
            "2026-11",
            "--html",
            "--now",
            now,
        ])
        .await,
    );
    assert!(
        html.starts_with("<!DOCTYPE html>") && html.contains("<b>3175.00</b>"),
        "{html}"
    );
    // December 10th: `run pay` (no --period) locks November, which has closed, then
    // computes December; asking for November again is refused.
    let later = "2026-12-10 08:00:00";
    let dec = stdout(&sk_async(&["run", "-c", c, "pay", "--now", later]).await);
    assert!(
        dec.contains("closed    2026-11: 2 statement(s) locked"),
        "{dec}"
    );
    assert!(
        dec.contains("statement 2026-12 Marc Demo: 0.00 (0 lines)"),
        "{dec}"
    );
    let refused = sk_async(&[
        "plan", "-c", c, "pay", "--period", "2026-11", "--now", later,
    ])
    .await;
    assert_eq!(refused.status.code(), Some(2));
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(err.contains("period 2026-11 is locked"), "{err}");
    served.stop().await;
}
