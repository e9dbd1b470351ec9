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
