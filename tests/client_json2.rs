//! The JSON-2 transport end to end against a fake Odoo 19 replaying `fixtures/odoo19/json2`
//! (`support::json2`): every recorded call the client makes gives the recorded answer (the
//! fake answers only a request equal to a recorded one), errors come out as the kinds XML-RPC
//! faults give, a password is refused with what to do, gateway errors are retried, large
//! `search` answers are streamed, and `protocol = "json2"` / `"auto"` build this transport.

use std::sync::Arc;
use std::time::Duration;

use scorekeeper::jsonrpc::json2::{decode_call, decode_result};
use scorekeeper::odoo::{
    ClientSettings, Credentials, ErrorKind, Json2Transport, Metrics, OdooClient, OdooError,
    Protocol, RetryPolicy, Secret,
};
use scorekeeper::xmlrpc::{Struct, Value as X};

use crate::support::fake_odoo::{FakeOdoo, Reply, Request};
use crate::support::json2::{DATABASE, KEY, json2_exchanges, odoo19_json2};
use crate::support::replay::exchanges_of;

fn retry(attempts: u32) -> RetryPolicy {
    RetryPolicy {
        max_attempts: attempts,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(4),
    }
}

fn credentials(database: &str, login: &str, secret: &str) -> Credentials {
    Credentials {
        database: database.into(),
        login: login.into(),
        secret: Secret::new(secret),
    }
}

fn client_of(server: &FakeOdoo, credentials: Credentials, attempts: u32) -> OdooClient {
    let metrics = Arc::new(Metrics::new());
    let url = reqwest::Url::parse(&server.url()).unwrap();
    let transport = Json2Transport::new(&url, Duration::from_secs(10), metrics.clone()).unwrap();
    OdooClient::new(Arc::new(transport), metrics, credentials).with_retry(retry(attempts))
}

fn admin(server: &FakeOdoo) -> OdooClient {
    client_of(server, credentials(DATABASE, "admin", KEY), 1)
}

/// `(model, method)` of a JSON-2 path.
fn target(endpoint: &str) -> Option<(&str, &str)> {
    endpoint.strip_prefix("/json/2/")?.split_once('/')
}

#[tokio::test]
async fn json2_client_replays_every_recorded_call_it_makes() {
    let server = FakeOdoo::start(|r, _| odoo19_json2(r));
    let client = admin(&server);
    let version = client.version().await.unwrap();
    assert_eq!(
        (version.to_string(), version.major()),
        ("Odoo 19.0".into(), Some(19))
    );
    // 002: the uid of the key, from res.users/context_get.
    assert_eq!(client.authenticate().await.unwrap(), 2);

    let mut replayed = vec!["002-context-get".to_owned()];
    for e in json2_exchanges() {
        let Some((model, method)) = target(&e.endpoint) else {
            continue;
        };
        if e.status != 200 || e.http_method != "POST" || method == "context_get" {
            continue;
        }
        // The client's positional call, as execute_kw callers write it.
        let body = serde_json::to_vec(e.request.as_ref().unwrap()).unwrap();
        let (args, kwargs) = decode_call(method, &body).unwrap();
        let want = decode_result(e.response.as_bytes()).unwrap();
        let got = client
            .execute_kw(model, method, args.clone(), kwargs.clone())
            .await
            .unwrap_or_else(|err| panic!("{}: {err}", e.name));
        assert_eq!(got, want, "{}", e.name);
        if method == "search" {
            let ids = client
                .execute_kw_ids(model, method, args, kwargs)
                .await
                .unwrap();
            let X::Array(items) = &want else { panic!() };
            let mut want: Vec<i64> = items.iter().map(|v| v.as_i64().unwrap()).collect();
            want.sort_unstable();
            assert_eq!(ids.to_vec(), want, "{} streamed", e.name);
        }
        replayed.push(e.name);
    }
    assert_eq!(
        replayed,
        [
            "002-context-get",
            "010-fields-get-lead",
            "011-search-read-page",
            "012-search-or",
            "013-search-count",
            "016-create-vn",
            "017-write-many",
            "018-read-ids",
            "021-read-missing-id",
            "023-formatted-read-group-user",
            "025-goal-definitions",
        ]
    );

    // The wire: the version with GET and no credentials; every call a POST of JSON with the
    // bearer key and the database.
    let requests = server.requests();
    assert_eq!(requests.len(), 2 + 10 + 1);
    let (version, calls) = requests.split_first().unwrap();
    assert_eq!(
        (version.method.as_str(), version.path.as_str()),
        ("GET", "/web/version")
    );
    assert_eq!(version.header("authorization"), None);
    assert!(version.body.is_empty());
    for r in calls {
        assert_eq!(r.method, "POST", "{}", r.path);
        assert!(r.path.starts_with("/json/2/"), "{}", r.path);
        assert_eq!(
            r.header("authorization"),
            Some(format!("bearer {KEY}").as_str())
        );
        assert_eq!(r.header("x-odoo-database"), Some(DATABASE));
        assert_eq!(r.content_type, "application/json");
    }
    assert_eq!(calls[0].path, "/json/2/res.users/context_get");
    assert_eq!(calls[0].body, b"{}");
    let m = client.metrics();
    assert!(m.bytes_received > 10_000, "{m:?}");
}

#[tokio::test]
async fn json2_refuses_a_password_and_says_how_to_make_an_api_key() {
    let server = FakeOdoo::start(|r, _| odoo19_json2(r));
    let c = client_of(&server, credentials(DATABASE, "marc.demo", "s3cret-pw"), 3);
    let e = c.authenticate().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AuthenticationFailed);
    let text = e.to_string();
    for part in [
        "\"marc.demo\"",
        "\"crm19\"",
        "(Invalid apikey)",
        "does not look like an API key",
        "JSON-2 takes API keys only",
        "Preferences → Account Security → New API Key",
        "protocol = \"xmlrpc\"",
    ] {
        assert!(text.contains(part), "{part:?} not in {text}");
    }
    assert!(!text.contains("s3cret-pw"), "{text}");
    // An answer, not an accident: asked once.
    assert_eq!(server.count(), 1);

    // A key of the right shape that Odoo does not know: the same advice, without the hint.
    let c = client_of(&server, credentials(DATABASE, "admin", &"0".repeat(40)), 1);
    let text = c.authenticate().await.unwrap_err().to_string();
    assert!(
        text.contains("(Invalid apikey)") && !text.contains("does not look"),
        "{text}"
    );
}

#[tokio::test]
async fn json2_errors_have_the_xmlrpc_kinds_and_keep_odoos_message() {
    let server = FakeOdoo::start(|r, _| odoo19_json2(r));
    let client = admin(&server);
    let ids = |ids: &[i64]| X::Array(ids.iter().map(|&i| X::Int(i)).collect());
    let leaf = |f: &str, op: &str, v: X| X::Array(vec![f.into(), op.into(), v]);

    // 006: an unknown method, fault 1's AttributeError over XML-RPC.
    let e = client
        .execute_kw("crm.lead", "no_such_method", vec![], Struct::new())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ServerError);
    assert_eq!(
        e.last_line(),
        Some("AttributeError: The method 'crm.lead.no_such_method' does not exist")
    );
    // 007: a private method, fault 4.
    let e = client
        .execute_kw(
            "crm.lead",
            "_compute_probabilities",
            vec![ids(&[1])],
            Struct::new(),
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AccessError);
    assert!(e.to_string().contains("cannot be called remotely"), "{e}");
    // 015: a bad field, HTTP 500, the traceback's last line as fault 1 gives it.
    let domain = X::Array(vec![leaf("no_such_field", "=", X::Int(1))]);
    let e = client
        .execute_kw("crm.lead", "search", vec![domain.clone()], Struct::new())
        .await
        .unwrap_err();
    assert_eq!(
        e.last_line(),
        Some(
            "ValueError: Invalid field crm.lead.no_such_field in condition ('no_such_field', '=', 1)"
        )
    );
    // The same through the streamed path.
    let e = client
        .execute_kw_ids("crm.lead", "search", vec![domain], Struct::new())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ServerError);
    // 020: a missing record on write, HTTP 404 MissingError, fault 2.
    let mut vals = Struct::new();
    vals.push("priority", "1".into());
    let e = client
        .execute_kw(
            "crm.lead",
            "write",
            vec![ids(&[999999]), X::Struct(vals)],
            Struct::new(),
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::UserError);
    assert_eq!(e.last_line(), Some("(Record: crm.lead(999999,), User: 2)"));

    // A database the server does not have: Odoo's 404 page, explained.
    let c = client_of(&server, credentials("crm_nope", "admin", KEY), 1);
    let e = c.authenticate().await.unwrap_err();
    let OdooError::Http {
        status: 404,
        excerpt,
        ..
    } = &e
    else {
        panic!("{e:?}")
    };
    assert!(excerpt.starts_with("404 Not Found"), "{excerpt}");
    assert!(excerpt.contains("no database \"crm_nope\""), "{excerpt}");
}

#[tokio::test]
async fn json2_retries_gateway_errors_only() {
    // The first search meets a proxy's 502, then Odoo answers (012).
    let server = FakeOdoo::start(|r: &Request, i| {
        if r.path == "/json/2/crm.lead/search" && i == 1 {
            return Reply::status(502, "<html><title>502 Bad Gateway</title></html>");
        }
        odoo19_json2(r)
    });
    let client = client_of(&server, credentials(DATABASE, "admin", KEY), 3);
    let e12 = json2_exchanges()
        .into_iter()
        .find(|e| e.name == "012-search-or")
        .unwrap();
    let body = serde_json::to_vec(e12.request.as_ref().unwrap()).unwrap();
    let (args, kwargs) = decode_call("search", &body).unwrap();
    let ids = client
        .execute_kw_ids("crm.lead", "search", args, kwargs)
        .await
        .unwrap();
    assert_eq!(ids.len(), 26);
    let m = client.metrics();
    assert_eq!((m.retries, server.count()), (1, 3), "{m:?}");
    // Odoo's refusal (007, 403) is final: one request.
    let before = server.count();
    let e = client
        .execute_kw(
            "crm.lead",
            "_compute_probabilities",
            vec![X::Array(vec![X::Int(1)])],
            Struct::new(),
        )
        .await
        .unwrap_err();
    assert!(!e.is_transient());
    assert_eq!(server.count(), before + 1);
}

#[tokio::test]
async fn json2_streams_a_large_search_answer() {
    const N: i64 = 300_000;
    let server = FakeOdoo::start(|r: &Request, _| {
        if r.path == "/json/2/crm.lead/search" {
            let list: Vec<String> = (1..=N).map(|i| (i * 3).to_string()).collect();
            return Reply::Http {
                status: 200,
                content_type: "application/json; charset=utf-8",
                body: format!("[{}]", list.join(", ")),
            };
        }
        odoo19_json2(r)
    });
    let client = admin(&server);
    let ids = client
        .execute_kw_ids("crm.lead", "search", vec![X::Array(vec![])], Struct::new())
        .await
        .unwrap();
    assert_eq!(ids.len(), N as usize);
    assert!(ids.contains(3 * N) && !ids.contains(4));
    let sent = &server.requests()[1];
    assert_eq!(sent.body, br#"{"domain":[]}"#);
}

fn settings(server: &FakeOdoo, protocol: Protocol) -> ClientSettings {
    ClientSettings {
        url: reqwest::Url::parse(&server.url()).unwrap(),
        credentials: credentials(DATABASE, "admin", KEY),
        timeout: Duration::from_secs(10),
        protocol,
        retry: retry(1),
        batch_size: std::num::NonZeroUsize::new(100).unwrap(),
        max_concurrency: std::num::NonZeroUsize::new(1).unwrap(),
        request_deadline: Duration::from_secs(60),
    }
}

/// XML-RPC's `common.version` of Odoo 19 (transcript 001), JSON-2 for the rest.
fn odoo19_both(r: &Request) -> Reply {
    if r.path == "/xmlrpc/2/common" {
        let version = exchanges_of(19).into_iter().next().unwrap();
        assert!(version.name.starts_with("001-common-version"));
        return Reply::Xml(version.response);
    }
    odoo19_json2(r)
}

#[tokio::test]
async fn protocol_json2_and_auto_on_odoo_19_build_the_json2_transport() {
    let server = FakeOdoo::start(|r, _| odoo19_both(r));
    let c = OdooClient::from_settings(&settings(&server, Protocol::Json2)).unwrap();
    assert_eq!(c.protocol().unwrap().protocol, Protocol::Json2);
    assert_eq!(c.authenticate().await.unwrap(), 2);
    assert_eq!(server.requests()[0].path, "/json/2/res.users/context_get");

    // auto: the version from GET /web/version without logging in, then everything over
    // JSON-2; no XML-RPC call at all, for which Odoo 19 would log a deprecation warning.
    let server = FakeOdoo::start(|r, _| odoo19_both(r));
    let c = OdooClient::from_settings(&settings(&server, Protocol::Auto)).unwrap();
    assert_eq!(c.version().await.unwrap().major(), Some(19));
    let choice = c.protocol().unwrap();
    assert_eq!(choice.protocol, Protocol::Json2);
    assert!(choice.reason.contains("Odoo 19"), "{choice}");
    assert_eq!(c.authenticate().await.unwrap(), 2);
    let paths: Vec<_> = server.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(paths, ["/web/version", "/json/2/res.users/context_get"]);
    let r = &server.requests()[0];
    assert!(
        !String::from_utf8_lossy(&r.body).contains(KEY)
            && !r.headers.iter().any(|(_, v)| v.contains(KEY)),
        "the version asks no key"
    );

    // Odoo 19 by its version, but no GET /web/version (JSON-2 not served there): XML-RPC.
    let server = FakeOdoo::start(|r: &Request, _| {
        if r.path == "/web/version" {
            return Reply::status(404, crate::support::json2::NOT_FOUND_PAGE);
        }
        odoo19_both(r)
    });
    let c = OdooClient::from_settings(&settings(&server, Protocol::Auto)).unwrap();
    assert_eq!(c.version().await.unwrap().major(), Some(19));
    let choice = c.protocol().unwrap();
    assert_eq!(choice.protocol, Protocol::XmlRpc);
    assert!(
        choice.reason.contains("does not serve GET /web/version"),
        "{choice}"
    );

    // protocol = "json2" on a server without JSON-2 (before 19): said so.
    let server =
        FakeOdoo::start(|_: &Request, _| Reply::status(404, crate::support::json2::NOT_FOUND_PAGE));
    let c = OdooClient::from_settings(&settings(&server, Protocol::Json2)).unwrap();
    let e = c.version().await.unwrap_err().to_string();
    assert!(
        e.contains("/web/version: 404 Not Found (JSON-2 needs Odoo 19 or later"),
        "{e}"
    );

    // Where /xmlrpc is gone (404), auto needs nothing of it.
    let server = FakeOdoo::start(|r, _| odoo19_json2(r));
    let c = OdooClient::from_settings(&settings(&server, Protocol::Auto)).unwrap();
    assert_eq!(c.authenticate().await.unwrap(), 2);
    assert_eq!(c.protocol().unwrap().protocol, Protocol::Json2);
    let paths: Vec<_> = server.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(paths, ["/web/version", "/json/2/res.users/context_get"]);

    // Before 19 (no JSON-2 /web/version: a 404 page), auto falls back to XML-RPC's version.
    let server = FakeOdoo::start(|r: &Request, _| {
        if r.path == "/web/version" {
            return Reply::status(404, crate::support::json2::NOT_FOUND_PAGE);
        }
        Reply::Xml(
            exchanges_of(17)
                .into_iter()
                .next()
                .filter(|e| e.name.starts_with("001-common-version"))
                .unwrap()
                .response,
        )
    });
    let c = OdooClient::from_settings(&settings(&server, Protocol::Auto)).unwrap();
    assert_eq!(c.version().await.unwrap().major(), Some(17));
    assert_eq!(c.protocol().unwrap().protocol, Protocol::JsonRpc);
    let paths: Vec<_> = server.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(paths, ["/web/version", "/xmlrpc/2/common"]);
}

fn check_on_19(protocol: &str, secret: &str) -> (Option<i32>, String, String) {
    let server = FakeOdoo::start(|r, _| odoo19_both(r));
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("scorekeeper.toml");
    std::fs::write(
        &config,
        format!(
            "[odoo]\nurl = \"{}\"\ndatabase = \"{DATABASE}\"\nlogin = \"admin\"\n\
             password_env = \"SCOREKEEPER_ODOO_PASSWORD\"\ntimeout_secs = 10\n\
             protocol = \"{protocol}\"\n",
            server.url()
        ),
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_scorekeeper"))
        .args(["check", "-c"])
        .arg(&config)
        .env("SCOREKEEPER_ODOO_PASSWORD", secret)
        .env_remove("SCOREKEEPER_LOG")
        .output()
        .unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.code(), text(&out.stdout), text(&out.stderr))
}

#[test]
fn check_prints_json2_and_the_19_profile_and_explains_a_refused_password() {
    let (code, stdout, stderr) = check_on_19("auto", KEY);
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    for line in [
        "odoo    Odoo 19.0 at ",
        "wire    JSON-2 (protocol = \"auto\": Odoo 19 serves JSON-2 and deprecates /xmlrpc and /jsonrpc)",
        "profile Odoo 19: daily quota",
        "login   admin on crm19: uid 2",
    ] {
        assert!(stdout.contains(line), "{line:?} not in\n{stdout}");
    }
    let (code, stdout, _) = check_on_19("json2", KEY);
    assert_eq!(code, Some(0));
    assert!(
        stdout.contains("wire    JSON-2 (protocol = \"json2\")"),
        "{stdout}"
    );

    // A password on 19: exit 3, and what to do, in one readable sentence.
    let (code, stdout, stderr) = check_on_19("auto", "pw-Not-a-key-19");
    assert_eq!(code, Some(3), "{stdout}\n{stderr}");
    assert!(
        stderr.contains(
            "refused the secret of login \"admin\" on database \"crm19\" over JSON-2 (Invalid \
             apikey); the secret does not look like an API key (40 hexadecimal characters). \
             JSON-2 takes API keys only, not passwords: in Odoo open Preferences → Account \
             Security → New API Key, then put the key where password_env or password_file points"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("pw-Not-a-key-19") && !stdout.contains("pw-Not-a-key-19"));
}
