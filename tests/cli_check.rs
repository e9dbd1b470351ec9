//! `scorekeeper check` driven through the real binary: broken configs exit 2 with
//! `file:line:column key`, an unreachable or refusing Odoo exits 3 with a clear message, a
//! healthy Odoo exits 0 printing its version and our uid. Also the field-verification
//! mechanism `check` runs, against the snapshot's real `fields_get`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use scorekeeper::check::verify_fields;
use scorekeeper::config::{FieldRef, Location};

use crate::support::fake_odoo::{FakeOdoo, Reply, client_for, odoo17, recorded};

const PASSWORD_VAR: &str = "SCOREKEEPER_ODOO_PASSWORD";

fn scorekeeper(args: &[&str], password: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_scorekeeper"));
    cmd.args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("SCOREKEEPER_TEST_UNSET_PASSWORD")
        .env_remove("SCOREKEEPER_LOG");
    match password {
        Some(p) => cmd.env(PASSWORD_VAR, p),
        None => cmd.env_remove(PASSWORD_VAR),
    };
    cmd.output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn config_for(dir: &Path, url: &str, timeout_secs: u64) -> PathBuf {
    let path = dir.join("scorekeeper.toml");
    std::fs::write(
        &path,
        format!(
            "[odoo]\nurl = \"{url}\"\ndatabase = \"crm17c\"\nlogin = \"admin\"\n\
             password_env = \"{PASSWORD_VAR}\"\ntimeout_secs = {timeout_secs}\n\
             protocol = \"xmlrpc\"\n"
        ),
    )
    .unwrap();
    path
}

#[test]
fn broken_configs_exit_2_naming_file_line_and_key() {
    let cases = [
        (
            "unknown-key",
            "fixtures/configs/unknown-key.toml:6:1 odoo.pasword_env: unknown key `pasword_env` (hint: did you mean `password_env`?)",
        ),
        (
            "bad-type",
            "fixtures/configs/bad-type.toml:7:16 odoo.timeout_secs: invalid type",
        ),
        (
            "missing-env",
            "fixtures/configs/missing-env.toml:6:16 odoo.password_env: environment variable SCOREKEEPER_TEST_UNSET_PASSWORD is not set",
        ),
        ("bad-url", "fixtures/configs/bad-url.toml:3:7 odoo.url: "),
    ];
    for (name, expected) in cases {
        let file = format!("fixtures/configs/{name}.toml");
        let out = scorekeeper(&["check", "-c", &file], Some("admin"));
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {stderr}");
        assert!(stderr.contains(expected), "{name}: {stderr}");
        assert!(
            out.stdout.is_empty(),
            "{name}: nothing is reported as checked"
        );
    }
}

#[test]
fn missing_config_file_exits_2() {
    let out = scorekeeper(
        &["check", "-c", "fixtures/configs/nope.toml"],
        Some("admin"),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("fixtures/configs/nope.toml: cannot read config file"));
}

#[test]
fn unreachable_odoo_exits_3() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("http://127.0.0.1:{port}");
    let config = config_for(dir.path(), &url, 2);
    let out = scorekeeper(&["check", "-c", config.to_str().unwrap()], Some("admin"));
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains(&format!("cannot reach Odoo at {url}/")),
        "{stderr}"
    );
    assert!(stderr.contains("cannot connect"), "{stderr}");
}

#[test]
fn silent_odoo_is_reported_after_the_timeout() {
    let server =
        FakeOdoo::start(|_, _| Reply::Slow(Duration::from_secs(30), Box::new(recorded(1))));
    let dir = tempfile::tempdir().unwrap();
    let config = config_for(dir.path(), &server.url(), 1);
    let out = scorekeeper(&["check", "-c", config.to_str().unwrap()], Some("admin"));
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("no answer from") && stderr.contains("within 1s"),
        "{stderr}"
    );
    assert_eq!(server.count(), 1, "check does not retry");
}

#[test]
fn healthy_odoo_exits_0_with_version_and_uid() {
    let server = FakeOdoo::start(|req, _| odoo17(req));
    let dir = tempfile::tempdir().unwrap();
    let config = config_for(dir.path(), &server.url(), 2);
    let out = scorekeeper(&["check", "-c", config.to_str().unwrap()], Some("admin"));
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        stdout.contains(&format!("odoo    Odoo 17.0 at {}/", server.url())),
        "{stdout}"
    );
    assert!(
        stdout.contains("login   admin on crm17c: uid 2"),
        "{stdout}"
    );
    assert!(stdout.trim_end().ends_with("OK"), "{stdout}");
}

#[test]
fn refused_credentials_exit_3_without_the_password() {
    let server = FakeOdoo::start(|req, _| odoo17(req));
    let dir = tempfile::tempdir().unwrap();
    let config = config_for(dir.path(), &server.url(), 2);
    let out = scorekeeper(
        &[
            "--log-format",
            "json",
            "check",
            "-c",
            config.to_str().unwrap(),
        ],
        Some("not-the-pw-7f3a"),
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    // Every stderr line is a JSON object, the failure included, and none holds the secret.
    let lines: Vec<serde_json::Value> = stderr
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let last = lines.last().unwrap();
    assert_eq!(last["level"], "ERROR", "{stderr}");
    assert_eq!(last["fields"]["exit_code"], 3, "{stderr}");
    let message = last["fields"]["message"].as_str().unwrap();
    assert!(
        message.contains("refused login \"admin\" on database \"crm17c\""),
        "{stderr}"
    );
    assert!(!stderr.contains("not-the-pw") && !text(&out.stdout).contains("not-the-pw"));
}

#[test]
fn config_example_prints_the_bundled_file() {
    let out = scorekeeper(&["config", "example"], None);
    assert_eq!(out.status.code(), Some(0));
    let bundled =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config/example.toml"))
            .unwrap();
    assert_eq!(text(&out.stdout), bundled);
}

fn field_ref(model: &str, path: &str, key: &str, line: usize) -> FieldRef {
    FieldRef {
        model: model.into(),
        path: path.into(),
        key: key.into(),
        at: Location {
            file: "config/prod.toml".into(),
            line,
            column: 12,
        },
    }
}

#[tokio::test]
async fn named_fields_are_verified_through_relations() {
    let server = FakeOdoo::start(|req, _| odoo17(req));
    let client = client_for(&server, Duration::from_secs(5), 1);
    let refs = [
        field_ref("crm.lead", "country_id.code", "scoring.rules[0].domain", 10),
        field_ref("crm.lead", "user_id.login", "scoring.rules[1].domain", 12),
        field_ref("crm.lead", "contry_id", "scoring.rules[2].domain", 14),
        field_ref("crm.lead", "country_id.cod", "scoring.rules[3].domain", 16),
        field_ref("crm.lead", "name.code", "scoring.rules[4].domain", 18),
        field_ref("crm.leads", "name", "scoring.scope", 20),
    ];
    let diags: Vec<String> = verify_fields(&client, &refs)
        .await
        .unwrap()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        diags,
        vec![
            "config/prod.toml:14:12 scoring.rules[2].domain: unknown field 'contry_id' on crm.lead (did you mean 'country_id'?)",
            "config/prod.toml:16:12 scoring.rules[3].domain: unknown field 'cod' on res.country (did you mean 'code'?)",
            "config/prod.toml:18:12 scoring.rules[4].domain: 'name' on crm.lead is a char field, so 'name.code' cannot go through it",
            "config/prod.toml:20:12 scoring.scope: model crm.leads does not exist on this Odoo",
        ]
    );
    let fetched: Vec<String> = server
        .object_requests()
        .iter()
        .map(|r| r.target().0)
        .collect();
    assert_eq!(
        fetched,
        ["crm.lead", "res.country", "res.users", "crm.leads"],
        "one fields_get per model"
    );
}
