//! Scoring job at scale, end to end: the real binary (release) against the simulator serving
//! the demo dataset in this process. For each size: a full pass, an incremental pass after 1%
//! of the leads changed, and a run with nothing changed — wall time, RPC calls, bytes and the
//! binary's peak RSS (`/usr/bin/time`). Not a divan bench: these are single long runs.
//!
//! `cargo bench --bench scoring` (100,000 leads); `SCOREKEEPER_BENCH_LEADS=1000000` for more;
//! `SCOREKEEPER_BENCH_ROUTING=1` keeps the demo config's `[assignment]` section;
//! `SCOREKEEPER_BENCH_PROTOCOL=xmlrpc|jsonrpc|json2` sets `[odoo] protocol` (default `auto`);
//! `SCOREKEEPER_BENCH_ODOO=19` serves the Odoo 19 snapshot (JSON-2 needs it; the binary then
//! logs in with the admin's API key).
#![allow(clippy::unwrap_used)]

#[path = "support/demo_leads.rs"]
mod demo_leads;

use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use scorekeeper::odoo::{Credentials, Metrics, OdooClient, Secret, XmlRpcTransport};
use scorekeeper::sim::Sim;
use scorekeeper::xmlrpc::{Struct, Value};

use demo_leads::add_demo_leads;

const NOW: &str = "2026-11-21 09:00:00";

struct Measured {
    wall: Duration,
    max_rss_mib: f64,
    line: String,
}

/// The secret the binary logs in with (`admin`, or the admin's API key on 19).
static SECRET: std::sync::OnceLock<String> = std::sync::OnceLock::new();

fn run_binary(args: &[&str]) -> Measured {
    let started = Instant::now();
    let out = Command::new("/usr/bin/time")
        .arg("-f")
        .arg("maxrss_kb=%M")
        .arg(env!("CARGO_BIN_EXE_scorekeeper"))
        .args(args)
        .env(
            "SCOREKEEPER_ODOO_PASSWORD",
            SECRET.get().map_or("admin", String::as_str),
        )
        .output()
        .unwrap();
    let wall = started.elapsed();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{args:?}\n{stdout}\n{stderr}");
    let kb: f64 = stderr
        .lines()
        .find_map(|l| l.strip_prefix("maxrss_kb="))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0);
    let line = stdout
        .lines()
        .find(|l| l.starts_with("pass"))
        .unwrap_or("")
        .to_owned();
    Measured {
        wall,
        max_rss_mib: kb / 1024.0,
        line,
    }
}

fn main() {
    let leads: usize = std::env::var("SCOREKEEPER_BENCH_LEADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let odoo19 = std::env::var("SCOREKEEPER_BENCH_ODOO").as_deref() == Ok("19");
    let sim = Sim::from_snapshot_file(format!(
        "{}/fixtures/odoo{}/snapshot.json",
        env!("CARGO_MANIFEST_DIR"),
        if odoo19 { 19 } else { 17 }
    ))
    .unwrap();
    let database = sim.database().to_owned();
    if odoo19 {
        let _ = SECRET.set(sim.api_key("admin").unwrap());
    }
    let t = Instant::now();
    add_demo_leads(&sim, leads);
    eprintln!("{leads} demo leads generated in {:.1?}", t.elapsed());
    let sim = Arc::new(sim);
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = rt.spawn(scorekeeper::sim::serve(listener, sim.clone(), async {
        let _ = stopped.await;
    }));

    let dir = tempfile::tempdir().unwrap();
    let mut text = include_str!("../config/demo.toml")
        .replace("http://127.0.0.1:8069", &url)
        .replace(
            "database = \"crm17c\"",
            &format!("database = \"{database}\""),
        );
    // Routing is left out unless SCOREKEEPER_BENCH_ROUTING=1.
    if std::env::var("SCOREKEEPER_BENCH_ROUTING").as_deref() != Ok("1") {
        text.truncate(text.find("[assignment]").unwrap());
    }
    if let Ok(protocol) = std::env::var("SCOREKEEPER_BENCH_PROTOCOL") {
        text = text.replace(
            "batch_size = 2000\n",
            &format!("batch_size = 2000\nprotocol = \"{protocol}\"\n"),
        );
        eprintln!("protocol = {protocol:?}");
    }
    let cfg = dir.path().join("bench.toml");
    std::fs::write(&cfg, &text).unwrap();
    let cfg = cfg.to_string_lossy().into_owned();

    run_binary(&["setup", "-c", &cfg]);
    let full = run_binary(&["run", "-c", &cfg, "--now", NOW]);

    // 1% of the leads change (a person edits the phone number). The edits go through the
    // admin login, which is also the job's user: an edit within the same second as the run's
    // write to that lead cannot be told from the write (the one case exact own-write
    // recognition leaves), so they come a second after the run.
    std::thread::sleep(Duration::from_millis(1100));
    let metrics = Arc::new(Metrics::new());
    let transport = XmlRpcTransport::new(
        &reqwest::Url::parse(&url).unwrap(),
        Duration::from_secs(120),
        metrics.clone(),
    )
    .unwrap();
    let client = OdooClient::new(
        Arc::new(transport),
        metrics,
        Credentials {
            database: database.clone(),
            login: "admin".into(),
            secret: Secret::new("admin"),
        },
    );
    let ids: Vec<i64> = {
        let store = sim.read();
        store.all_ids("crm.lead")
    };
    let touched: Vec<i64> = ids.iter().copied().step_by(100).collect();
    rt.block_on(async {
        for chunk in touched.chunks(2000) {
            let mut v = Struct::new();
            v.push("phone", Value::from("+84 28 0000 0000"));
            client.write("crm.lead", chunk, v).await.unwrap();
        }
    });
    let incremental = run_binary(&["run", "-c", &cfg, "--now", NOW]);
    let again = run_binary(&["run", "-c", &cfg, "--now", NOW]);
    let nothing = run_binary(&["run", "-c", &cfg, "--now", NOW]);

    println!("| leads | pass | wall | peak RSS (binary) | what the binary reported |");
    println!("|---|---|---|---|---|");
    for (name, m) in [
        ("full (first run)", &full),
        ("incremental (1% changed)", &incremental),
        ("incremental right after", &again),
        ("nothing changed", &nothing),
    ] {
        println!(
            "| {leads} | {name} | {:.2?} | {:.1} MiB | {} |",
            m.wall, m.max_rss_mib, m.line
        );
    }
    let _ = stop.send(());
    let _ = rt.block_on(server);
}
