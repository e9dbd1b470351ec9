//! Loader tests: valid files become typed values; every mistake is located and explained.

use std::path::Path;
use std::time::Duration;

use super::odoo::DEFAULT_TIMEOUT_SECS;
use super::*;
use crate::odoo::DEFAULT_BATCH_SIZE;

fn env_with_password(name: &str) -> Option<String> {
    (name == "SCOREKEEPER_ODOO_PASSWORD").then(|| "s3cret-pw".to_owned())
}

fn load(text: &str) -> Result<Config, ConfigError> {
    load_str(Path::new("conf/test.toml"), text, &env_with_password)
}

fn only_diag(text: &str) -> Diagnostic {
    match load(text) {
        Err(ConfigError::Invalid(d)) => {
            assert_eq!(d.len(), 1, "{d:#?}");
            d.into_iter().next().unwrap()
        }
        other => panic!("expected one diagnostic, got {other:?}"),
    }
}

const MINIMAL: &str = r#"
[odoo]
url = "https://odoo.example.com/"
database = "prod"
login = "bot"
password_env = "SCOREKEEPER_ODOO_PASSWORD"
"#;

#[test]
fn bundled_example_loads() {
    let c = load(EXAMPLE).unwrap();
    assert_eq!(c.odoo.url.as_str(), "http://127.0.0.1:8069/");
    assert_eq!(c.odoo.database, "crm17c");
    assert_eq!(c.odoo.login, "admin");
    assert_eq!(c.odoo.password.expose(), "s3cret-pw");
    assert_eq!(
        c.odoo.password_source,
        PasswordSource::Env("SCOREKEEPER_ODOO_PASSWORD".into())
    );
    assert_eq!(c.odoo.timeout, Duration::from_secs(60));
    assert_eq!(c.odoo.batch_size.get(), 2000);
    assert_eq!(c.odoo.retry.max_attempts, 4);
    assert_eq!(c.odoo.retry.base_delay, Duration::from_millis(250));
    assert_eq!(c.state.path, Path::new("conf/state.db"));
}

#[test]
fn defaults_apply() {
    let c = load(MINIMAL).unwrap();
    assert_eq!(c.odoo.timeout, Duration::from_secs(DEFAULT_TIMEOUT_SECS));
    assert_eq!(c.odoo.batch_size.get(), DEFAULT_BATCH_SIZE);
    assert_eq!(c.odoo.retry, crate::odoo::RetryPolicy::default());
    assert_eq!(c.state.path, Path::new("conf/state.db"));
    assert!(c.field_refs.is_empty());
}

#[test]
fn secret_is_not_in_debug_output() {
    let c = load(MINIMAL).unwrap();
    let shown = format!("{c:?}");
    assert!(!shown.contains("s3cret-pw"), "{shown}");
    assert!(shown.contains("***"));
}

#[test]
fn unknown_key_suggests_the_close_one() {
    let d = only_diag(&MINIMAL.replace("login =", "logn ="));
    assert_eq!((d.line, d.column), (5, 1));
    assert_eq!(d.key, "odoo.logn");
    assert_eq!(d.message, "unknown key `logn`");
    assert_eq!(d.hint.as_deref(), Some("did you mean `login`?"));
    assert_eq!(
        d.to_string(),
        "conf/test.toml:5:1 odoo.logn: unknown key `logn` (hint: did you mean `login`?)"
    );
}

#[test]
fn unknown_section_is_rejected() {
    let d = only_diag(&format!("{MINIMAL}\n[scoreing]\nx = 1\n"));
    assert_eq!(d.line, 8);
    assert_eq!(d.message, "unknown key `scoreing`");
}

#[test]
fn wrong_type_names_key_and_expectation() {
    let d = only_diag(&format!("{MINIMAL}timeout_secs = \"sixty\"\n"));
    assert_eq!(d.key, "odoo.timeout_secs");
    assert_eq!((d.line, d.column), (7, 16));
    assert!(d.message.contains("invalid type"), "{}", d.message);
    assert_eq!(
        d.hint.as_deref(),
        Some("expected a whole number, without quotes")
    );
}

#[test]
fn missing_key_is_named() {
    let d = only_diag(&MINIMAL.replace("database = \"prod\"\n", ""));
    assert_eq!(d.key, "odoo.database");
    assert_eq!(d.message, "missing key `database`");
}

#[test]
fn missing_env_var_names_the_variable() {
    let d = only_diag(&MINIMAL.replace("SCOREKEEPER_ODOO_PASSWORD", "NOPE_PW"));
    assert_eq!(d.key, "odoo.password_env");
    assert_eq!((d.line, d.column), (6, 16));
    assert_eq!(d.message, "environment variable NOPE_PW is not set");
    assert!(d.hint.unwrap().contains("export NOPE_PW="));
}

#[test]
fn bad_urls_are_rejected_with_a_hint() {
    for (url, needle) in [
        ("not a url", "invalid URL"),
        ("ftp://odoo", "unsupported scheme"),
        ("https://bot:pw@odoo.example.com", "credentials"),
        ("https://odoo.example.com/xmlrpc/2/common", "endpoint path"),
    ] {
        let d = only_diag(&MINIMAL.replace("https://odoo.example.com/", url));
        assert_eq!(d.key, "odoo.url");
        assert_eq!((d.line, d.column), (3, 7));
        assert!(d.message.contains(needle), "{url}: {}", d.message);
        assert!(d.hint.is_some());
        assert!(!d.to_string().contains("pw@"), "{d}");
    }
}

#[test]
fn every_semantic_mistake_is_reported_at_once() {
    let text = MINIMAL
        .replace("\"prod\"", "\"\"")
        .replace("SCOREKEEPER_ODOO_PASSWORD", "NOPE")
        + "batch_size = 0\n";
    let Err(ConfigError::Invalid(d)) = load(&text) else {
        panic!("expected errors")
    };
    let keys: Vec<_> = d.iter().map(|d| d.key.as_str()).collect();
    assert_eq!(
        keys,
        ["odoo.database", "odoo.password_env", "odoo.batch_size"]
    );
}

#[test]
fn password_sources_are_exclusive_and_required() {
    let none = only_diag(&MINIMAL.replace("password_env = \"SCOREKEEPER_ODOO_PASSWORD\"\n", ""));
    assert_eq!(none.key, "odoo");
    assert_eq!(none.message, "no password source");
    let both = only_diag(&format!("{MINIMAL}password_file = \"pw\"\n"));
    assert_eq!(both.key, "odoo.password_file");
}

#[test]
fn password_file_is_read_relative_to_the_config_and_trimmed_once() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("pw"), "  spaced pw \n").unwrap();
    let text = MINIMAL.replace(
        "password_env = \"SCOREKEEPER_ODOO_PASSWORD\"",
        "password_file = \"pw\"",
    );
    let c = load_str(&dir.path().join("c.toml"), &text, &|_| None).unwrap();
    assert_eq!(c.odoo.password.expose(), "  spaced pw ");
    assert_eq!(
        c.odoo.password_source,
        PasswordSource::File(dir.path().join("pw"))
    );

    let missing = load_str(
        &dir.path().join("c.toml"),
        &text.replace("\"pw\"", "\"nope\""),
        &|_| None,
    );
    let Err(ConfigError::Invalid(d)) = missing else {
        panic!()
    };
    assert_eq!(d[0].key, "odoo.password_file");
    assert!(d[0].message.contains("cannot read"));
}

#[test]
fn protocol_is_auto_by_default_and_unknown_values_are_located() {
    use crate::odoo::Protocol;
    assert_eq!(load(MINIMAL).unwrap().odoo.protocol, Protocol::Auto);
    for (text, want) in [
        ("xmlrpc", Protocol::XmlRpc),
        ("jsonrpc", Protocol::JsonRpc),
        ("json2", Protocol::Json2),
        ("auto", Protocol::Auto),
    ] {
        let cfg = load(&format!("{MINIMAL}protocol = \"{text}\"\n")).unwrap();
        assert_eq!(cfg.odoo.protocol, want);
    }
    let d = only_diag(&format!("{MINIMAL}protocol = \"json3\"\n"));
    assert_eq!(d.key, "odoo.protocol");
    assert!(d.message.contains("unknown protocol \"json3\""), "{d:?}");
    assert!(
        d.hint
            .as_deref()
            .unwrap_or("")
            .contains("\"xmlrpc\", \"jsonrpc\", \"json2\""),
        "{d:?}"
    );
    assert!(d.to_string().contains("conf/test.toml:"), "{d}");
}

#[test]
fn retries_table_is_validated() {
    let text = format!(
        "{MINIMAL}\n[odoo.retries]\nmax_attempts = 2\nbase_delay_ms = 5\nmax_delay_ms = 40\n"
    );
    let c = load(&text).unwrap();
    assert_eq!(c.odoo.retry.max_attempts, 2);
    assert_eq!(c.odoo.retry.base_delay, Duration::from_millis(5));
    assert_eq!(c.odoo.retry.max_delay, Duration::from_millis(40));
    let d = only_diag(&text.replace("max_attempts = 2", "max_attempts = 0"));
    assert_eq!(d.key, "odoo.retries.max_attempts");
    let d = only_diag(&text.replace("max_delay_ms = 40", "max_delay_ms = 1"));
    assert_eq!(d.key, "odoo.retries.max_delay_ms");
    let d = only_diag(&text.replace("max_attempts", "max_atempts"));
    assert_eq!(d.key, "odoo.retries.max_atempts");
    assert_eq!(d.hint.as_deref(), Some("did you mean `max_attempts`?"));
}

#[test]
fn toml_syntax_errors_are_located() {
    let d = only_diag("[odoo\nurl = 1\n");
    assert_eq!(d.line, 1);
    assert!(!d.message.is_empty());
}

#[test]
fn named_fields_are_located() {
    let text = "[odoo]\nurl = \"http://h\"\n";
    let mut ctx = context::Ctx::new(Path::new("c.toml"), text, &|_| None);
    let span = text.find("\"http").unwrap()..text.len() - 1;
    ctx.names_field(
        "crm.lead",
        "country_id.code",
        "scoring.rules[0].domain",
        span,
    );
    let refs = ctx.take_field_refs();
    assert_eq!(refs.len(), 1);
    assert_eq!((refs[0].at.line, refs[0].at.column), (2, 7));
    assert_eq!(refs[0].path, "country_id.code");
    assert!(ctx.take_field_refs().is_empty());
}

#[test]
fn recognition_is_validated_where_it_is_written() {
    let ok = load(&format!(
        "{MINIMAL}[gamification]\n[recognition]\nchannel = \"Sales floor\"\non = [\"goal\"]\n"
    ))
    .unwrap();
    assert_eq!(
        ok.recognition,
        Some(RecognitionConfig {
            channel: Some("Sales floor".into()),
            chatter: false,
            on: vec![Occasion::Goal],
        })
    );
    let nowhere = only_diag(&format!(
        "{MINIMAL}[gamification]\n[recognition]\non = [\"goal\"]\n"
    ));
    assert_eq!((nowhere.key.as_str(), nowhere.line), ("recognition", 8));
    assert!(
        nowhere.message.contains("nowhere to post"),
        "{}",
        nowhere.message
    );
    let unknown = only_diag(&format!(
        "{MINIMAL}[gamification]\n[recognition]\nchatter = true\non = [\"goal\", \"level up\"]\n"
    ));
    assert_eq!((unknown.key.as_str(), unknown.line), ("recognition.on", 10));
    assert!(
        unknown.message.contains("\"level up\""),
        "{}",
        unknown.message
    );
    let alone = only_diag(&format!("{MINIMAL}[recognition]\nchatter = true\n"));
    assert_eq!(alone.key, "recognition");
    assert!(
        alone.message.contains("no [gamification]"),
        "{}",
        alone.message
    );
    assert_eq!(
        load(&format!("{MINIMAL}[recognition]\nenabled = false\n"))
            .unwrap()
            .recognition,
        None
    );
}
