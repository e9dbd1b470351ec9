//! Real clients against the simulator: odoorpc (the Python client Odoo admins script with;
//! it speaks JSON-RPC) and Python's `xmlrpc.client` log in, search with a dotted-path domain,
//! read, write, and get Odoo's fault text for a bad domain — and both see what scorekeeper's
//! own client sees over each transport. `check` names the protocol `auto` picked.
//!
//! The Python clients come from `.ci/run` (a venv under `target/py`); outside CI a machine
//! without them skips the Python part, in CI (`CI=true`) it is a failure.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use scorekeeper::odoo::{ErrorKind, OdooClient, leaf};
use scorekeeper::record::Value as RV;
use scorekeeper::xmlrpc::{Struct, Value as X};

use crate::support::{Served, Wire, served_demo, snapshot_sim, write_demo_config};

const WIRES: [Wire; 2] = [Wire::XmlRpc, Wire::JsonRpc];

/// The script both Python clients run; prints one JSON object.
const SCRIPT: &str = r#"
import json, sys, xmlrpc.client
import odoorpc

host, port = sys.argv[1], int(sys.argv[2])
domain = [("user_id.login", "=", "admin"), ("type", "=", "lead")]
out = {}

odoo = odoorpc.ODOO(host, port=port)
out["version"] = odoo.version
odoo.login("crm17c", "admin", "admin")
out["uid"] = odoo.env.uid
Lead = odoo.env["crm.lead"]
ids = Lead.search(domain)
out["ids"] = sorted(ids)
out["read"] = Lead.read(sorted(ids)[:3], ["name", "user_id", "partner_id", "expected_revenue"])
# Browsing reads many2one values as ids (`load='_classic_write'`) and `default_get`s empty ones.
out["browse"] = [[r.name, r.user_id.name, r.partner_id.name] for r in Lead.browse(sorted(ids)[:3])]
Lead.write([min(ids)], {"priority": "3"})
try:
    Lead.search([("no_such_field", "=", 1)])
    out["fault"] = None
except odoorpc.error.RPCError as e:
    out["fault"] = str(e)

url = "http://%s:%d/xmlrpc/2/" % (host, port)
common = xmlrpc.client.ServerProxy(url + "common")
uid = common.authenticate("crm17c", "admin", "admin", {})
models = xmlrpc.client.ServerProxy(url + "object")
out["x_uid"] = uid
out["x_ids"] = sorted(models.execute_kw("crm17c", uid, "admin", "crm.lead", "search", [domain]))
out["x_read"] = models.execute_kw(
    "crm17c", uid, "admin", "crm.lead", "read",
    [sorted(out["x_ids"])[:3], ["name", "user_id", "partner_id", "expected_revenue"]])
models.execute_kw("crm17c", uid, "admin", "crm.lead", "write",
                  [[max(out["x_ids"])], {"priority": "1"}])
try:
    models.execute_kw("crm17c", uid, "admin", "crm.lead", "search", [[("no_such_field", "=", 1)]])
    out["x_fault"] = None
except xmlrpc.client.Fault as f:
    out["x_fault"] = [f.faultCode, f.faultString.strip().splitlines()[-1]]
print(json.dumps(out))
"#;

/// The Python with odoorpc: `$SCOREKEEPER_PYTHON`, the venv `.ci/run` makes, or `python3`.
fn python() -> Option<PathBuf> {
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/py/bin/python");
    let candidates = [
        std::env::var_os("SCOREKEEPER_PYTHON").map(PathBuf::from),
        Some(venv),
        Some(PathBuf::from("python3")),
    ];
    candidates.into_iter().flatten().find(|p| {
        Command::new(p)
            .args(["-c", "import odoorpc, xmlrpc.client"])
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

/// The Python with odoorpc, or `None` (with a note) outside CI; a failure in CI.
fn python_or_skip() -> Option<PathBuf> {
    let found = python();
    if found.is_none() {
        let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
        assert!(
            !ci,
            "odoorpc is not installed: .ci/run installs it (pip install odoorpc into target/py)"
        );
        eprintln!("SKIPPED: no Python with odoorpc (run .ci/run, or set SCOREKEEPER_PYTHON)");
    }
    found
}

fn lead_ids(x: &[X]) -> Vec<i64> {
    x.iter().filter_map(X::as_i64).collect()
}

/// What scorekeeper's own client answers to the script's search and read.
async fn own_answers(client: &OdooClient) -> (Vec<i64>, serde_json::Value) {
    let domain = vec![
        leaf("user_id.login", "=", "admin"),
        leaf("type", "=", "lead"),
    ];
    let found = client
        .execute_kw("crm.lead", "search", vec![X::Array(domain)], Struct::new())
        .await
        .unwrap();
    let mut ids = lead_ids(found.as_array().unwrap());
    ids.sort_unstable();
    let first: Vec<X> = ids.iter().take(3).map(|&i| X::Int(i)).collect();
    let fields = X::Array(vec![
        "name".into(),
        "user_id".into(),
        "partner_id".into(),
        "expected_revenue".into(),
    ]);
    let rows = client
        .execute_kw(
            "crm.lead",
            "read",
            vec![X::Array(first), fields],
            Struct::new(),
        )
        .await
        .unwrap();
    let json = serde_json::to_value(scorekeeper::jsonrpc::Json(&rows)).unwrap();
    (ids, json)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn odoorpc_and_xmlrpc_client_agree_with_scorekeeper() {
    let Some(python) = python_or_skip() else {
        return;
    };
    let served = served_demo(300).await;
    let port = served.url.rsplit(':').next().unwrap().to_owned();
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("clients.py");
    std::fs::write(&script, SCRIPT).unwrap();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(python)
            .arg(&script)
            .args(["127.0.0.1", &port])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let got: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();

    assert_eq!(got["version"], "17.0");
    assert_eq!(
        (got["uid"].as_i64(), got["x_uid"].as_i64()),
        (Some(2), Some(2))
    );
    // Both clients find and read what scorekeeper finds and reads, over either transport.
    for wire in WIRES {
        let (ids, rows) = own_answers(&served.client_over(wire, "admin", "admin")).await;
        assert!(ids.len() > 5, "{ids:?}");
        assert_eq!(got["ids"], serde_json::json!(ids), "{wire:?}");
        assert_eq!(got["x_ids"], serde_json::json!(ids), "{wire:?}");
        assert_eq!(got["read"], rows, "{wire:?}");
        assert_eq!(got["x_read"], rows, "{wire:?}");
    }
    // Browsing shows the names the read gives (an empty partner is `False` either way).
    let name = |v: &serde_json::Value| v.get(1).cloned().unwrap_or(serde_json::json!(false));
    let browsed: Vec<serde_json::Value> = got["read"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| serde_json::json!([r["name"], name(&r["user_id"]), name(&r["partner_id"])]))
        .collect();
    assert_eq!(got["browse"], serde_json::json!(browsed));
    // Their writes landed.
    let ids = got["ids"].as_array().unwrap();
    let (first, last) = (
        ids[0].as_i64().unwrap(),
        ids[ids.len() - 1].as_i64().unwrap(),
    );
    let priority = |id| served.sim.read().value("crm.lead", id, "priority");
    assert_eq!(priority(first), Some(RV::Str("3".into())));
    assert_eq!(priority(last), Some(RV::Str("1".into())));
    // Odoo's fault text, as each client shows it (recorded in jsonrpc/039 and transcripts/039).
    assert_eq!(
        got["fault"],
        "Invalid field crm.lead.no_such_field in leaf ('no_such_field', '=', 1)"
    );
    assert_eq!(
        got["x_fault"],
        serde_json::json!([
            1,
            "ValueError: Invalid field crm.lead.no_such_field in leaf ('no_such_field', '=', 1)"
        ])
    );
    served.stop().await;
}

/// One failing call of each kind the recordings show: scorekeeper's client reports the same
/// error kind and Odoo's same last line over JSON-RPC as over XML-RPC.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_are_the_same_typed_errors_over_both_transports() {
    let served = Served::start(snapshot_sim()).await;
    let ids = |v: &[i64]| X::Array(v.iter().map(|&i| X::Int(i)).collect());
    let mut vals = Struct::new();
    vals.push("priority", "9".into());
    let cases: Vec<(&str, &str, &str, Vec<X>, ErrorKind)> = vec![
        (
            "admin",
            "no.such.model",
            "search",
            vec![X::Array(vec![])],
            ErrorKind::UserError,
        ),
        (
            "admin",
            "crm.lead",
            "_compute_probabilities",
            vec![ids(&[1])],
            ErrorKind::AccessError,
        ),
        (
            "admin",
            "crm.lead",
            "no_such_method",
            vec![],
            ErrorKind::ServerError,
        ),
        (
            "admin",
            "crm.lead",
            "search",
            vec![X::Array(vec![leaf("no_such_field", "=", 1)])],
            ErrorKind::ServerError,
        ),
        (
            "admin",
            "crm.lead",
            "write",
            vec![ids(&[999_999]), X::Struct(Struct::new())],
            ErrorKind::UserError,
        ),
        (
            "admin",
            "crm.lead",
            "write",
            vec![ids(&[1]), X::Struct(vals)],
            ErrorKind::ServerError,
        ),
        (
            "admin",
            "crm.lead",
            "write",
            vec![ids(&[1])],
            ErrorKind::ServerError,
        ),
        (
            "demo",
            "gamification.challenge",
            "write",
            vec![ids(&[1]), X::Struct(Struct::new())],
            ErrorKind::AccessError,
        ),
        (
            "wrong",
            "crm.lead",
            "search_count",
            vec![X::Array(vec![])],
            ErrorKind::AuthenticationFailed,
        ),
    ];
    for (login, model, method, args, kind) in cases {
        let mut seen = Vec::new();
        for wire in WIRES {
            let secret = if login == "wrong" { "nope" } else { login };
            let client =
                served.client_over(wire, if login == "wrong" { "admin" } else { login }, secret);
            let err = client
                .execute_kw(model, method, args.clone(), Struct::new())
                .await
                .unwrap_err();
            assert_eq!(err.kind(), kind, "{wire:?} {model}.{method}: {err}");
            seen.push((
                err.kind(),
                err.last_line().map(str::to_owned),
                err.to_string(),
            ));
        }
        assert_eq!(seen[0], seen[1], "{model}.{method}");
    }
    served.stop().await;
}

/// A large `search` is streamed into the same set over JSON-RPC as over XML-RPC.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_searches_stream_into_the_same_ids() {
    let served = served_demo(5_000).await;
    let mut sets = Vec::new();
    for wire in WIRES {
        let client = served.client_over(wire, "admin", "admin");
        let set = client
            .execute_kw_ids("crm.lead", "search", vec![X::Array(vec![])], Struct::new())
            .await
            .unwrap();
        sets.push(set);
    }
    assert!(sets[0].len() > 4_000, "{}", sets[0].len());
    assert_eq!(sets[0], sets[1]);
    served.stop().await;
}

/// `check` says which protocol is in use and why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_names_the_protocol_and_why() {
    let served = served_demo(50).await;
    let dir = tempfile::tempdir().unwrap();
    let run = |args: Vec<String>| {
        tokio::task::spawn_blocking(move || {
            Command::new(env!("CARGO_BIN_EXE_scorekeeper"))
                .args(args)
                .env("SCOREKEEPER_ODOO_PASSWORD", "admin")
                .env_remove("SCOREKEEPER_LOG")
                .output()
                .unwrap()
        })
    };
    let setup = write_demo_config(dir.path(), "setup", &served.url, &[]);
    let out = run(vec![
        "setup".into(),
        "-c".into(),
        setup.display().to_string(),
    ])
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cases = [
        (
            &[][..],
            "wire    JSON-RPC (protocol = \"auto\": Odoo 17 serves /jsonrpc, faster than /xmlrpc/2)",
        ),
        (
            &[(
                "batch_size = 2000",
                "batch_size = 2000\nprotocol = \"xmlrpc\"",
            )][..],
            "wire    XML-RPC (protocol = \"xmlrpc\")",
        ),
        (
            &[(
                "batch_size = 2000",
                "batch_size = 2000\nprotocol = \"jsonrpc\"",
            )][..],
            "wire    JSON-RPC (protocol = \"jsonrpc\")",
        ),
    ];
    for (i, (edits, line)) in cases.into_iter().enumerate() {
        let config = write_demo_config(dir.path(), &format!("c{i}"), &served.url, edits);
        let out = run(vec![
            "check".into(),
            "-c".into(),
            config.display().to_string(),
        ])
        .await
        .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            stdout.lines().any(|l| l == line),
            "{line:?} not in\n{stdout}"
        );
    }
    served.stop().await;
}
