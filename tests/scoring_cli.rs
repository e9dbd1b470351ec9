//! The scoring commands through the real binary against the simulator: setup, run (full, then
//! incremental), plan --json, explain, undo; and bad input (unknown field, unparsable domain,
//! non-integer score field) rejected with exit 2, file:line:column and nothing written.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::{Command, Output};

use scorekeeper::xmlrpc::{Struct, Value as X};

use crate::support::{DEMO_TOML, scores, served_demo};

async fn sk(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_scorekeeper"))
            .args(&args)
            .env("SCOREKEEPER_ODOO_PASSWORD", "admin")
            .env_remove("SCOREKEEPER_LOG")
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

fn out(o: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn write_config(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

const NOW: &str = "2026-11-20 09:00:00";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn setup_run_plan_explain_undo_through_the_binary() {
    let served = served_demo(600).await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_config(
        dir.path(),
        "demo.toml",
        &DEMO_TOML.replace("http://127.0.0.1:8069", &served.url),
    );
    let o = sk(args(&["setup", "-c", &cfg])).await;
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("x_lead_score: created"),
        "{}",
        out(&o)
    );
    let o = sk(args(&["check", "-c", &cfg])).await;
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));

    let o = sk(args(&["run", "-c", &cfg, "--dry-run", "--now", NOW])).await;
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("dry run: nothing written"));
    let client = served.client("admin", "admin");
    assert!(
        scores(&client, "x_lead_score")
            .await
            .values()
            .all(|s| *s == 0)
    );

    let o = sk(args(&["run", "-c", &cfg, "--now", NOW])).await;
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let stdout = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(stdout.contains("pass    full"), "{stdout}");
    let run_id = stdout
        .split_whitespace()
        .skip_while(|w| *w != "run")
        .nth(1)
        .unwrap_or_default()
        .trim_matches(|c: char| !c.is_ascii_alphanumeric() && c != '-')
        .to_owned();
    let scored = scores(&client, "x_lead_score").await;
    assert!(scored.values().any(|s| *s > 0));

    let o = sk(args(&["plan", "-c", &cfg, "--json", "--now", NOW])).await;
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["pass"], "incremental");

    // A scored lead the run gave a salesperson: explain must say who holds it.
    let owners: std::collections::BTreeMap<i64, i64> = client
        .search_read_all(
            "crm.lead",
            vec![scorekeeper::odoo::leaf("user_id", "!=", false)],
            &["id", "user_id"],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| {
            let uid = match r.get("user_id") {
                Some(X::Array(pair)) => pair[0].as_i64().unwrap(),
                other => panic!("user_id {other:?}"),
            };
            (r.get("id").and_then(X::as_i64).unwrap(), uid)
        })
        .collect();
    let (&lead, &score) = scored
        .iter()
        .find(|(id, s)| **s > 0 && owners.contains_key(id))
        .unwrap();
    let o = sk(args(&[
        "explain",
        "-c",
        &cfg,
        "lead",
        &lead.to_string(),
        "--now",
        NOW,
    ]))
    .await;
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains(&format!("score {score}")), "{text}");
    // The salesperson by name, the id beside it.
    let owner = owners[&lead];
    let name = client
        .read("res.users", &[owner], &["display_name"])
        .await
        .unwrap()[0]
        .get("display_name")
        .and_then(X::as_str)
        .unwrap()
        .to_owned();
    assert!(
        text.contains(&format!(
            "routing\nalready assigned to {name} (user {owner}): only unassigned (or stale) leads are routed"
        )),
        "{text}"
    );

    let o = sk(args(&["undo", "-c", &cfg, &run_id])).await;
    assert_eq!(o.status.code(), Some(0), "run id {run_id:?}: {}", out(&o));
    assert!(
        scores(&client, "x_lead_score")
            .await
            .values()
            .all(|s| *s == 0)
    );
    served.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_exits_2_and_writes_nothing() {
    let served = served_demo(200).await;
    let dir = tempfile::tempdir().unwrap();
    let base = DEMO_TOML.replace("http://127.0.0.1:8069", &served.url);

    // A rule on an unknown field: `check` names the key and suggests the field.
    let unknown = base.replace(
        "('country_id.code', '=', 'VN')",
        "('contry_id.code', '=', 'VN')",
    );
    let cfg = write_config(dir.path(), "unknown.toml", &unknown);
    let o = sk(args(&["check", "-c", &cfg])).await;
    assert_eq!(o.status.code(), Some(2), "{}", out(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("scoring.rules[0].domain: unknown field 'contry_id' on crm.lead (did you mean 'country_id'?)"),
        "{err}"
    );

    // An unparsable domain: every command refuses the file, pointing into the string.
    let broken = base.replace(
        "[('country_id.code', '=', 'VN')]",
        "[('country_id.code', '=', 'VN')",
    );
    let cfg = write_config(dir.path(), "broken.toml", &broken);
    for cmd in ["check", "run"] {
        let o = sk(args(&[cmd, "-c", &cfg])).await;
        assert_eq!(o.status.code(), Some(2), "{}", out(&o));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("broken.toml:"), "{err}");
        assert!(
            err.contains("scoring.rules[0].domain: unparsable domain"),
            "{err}"
        );
    }
    assert!(!dir.path().join("demo-state.db").exists(), "nothing ran");

    // A score field that is not an integer.
    let client = served.client("admin", "admin");
    let model = client
        .search(
            "ir.model",
            vec![scorekeeper::odoo::leaf("model", "=", "crm.lead")],
            &Default::default(),
        )
        .await
        .unwrap();
    let mut values = Struct::new();
    values.push("model_id", X::Int(model[0]));
    values.push("name", X::from("x_float_score"));
    values.push("field_description", X::from("Float score"));
    values.push("ttype", X::from("float"));
    values.push("state", X::from("manual"));
    client
        .create("ir.model.fields", vec![values])
        .await
        .unwrap();
    let float = base.replace(
        "score_field = \"x_lead_score\"",
        "score_field = \"x_float_score\"",
    );
    let cfg = write_config(dir.path(), "float.toml", &float);
    let o = sk(args(&["check", "-c", &cfg])).await;
    assert_eq!(o.status.code(), Some(2), "{}", out(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("scoring.score_field: x_float_score on crm.lead is a float field"),
        "{err}"
    );
    let o = sk(args(&["setup", "-c", &cfg])).await;
    assert_ne!(o.status.code(), Some(0), "{}", out(&o));
    assert!(
        scores(&client, "x_float_score")
            .await
            .values()
            .all(|s| *s == 0)
    );
    served.stop().await;
}
