//! The client against injected failures: transient ones are retried exactly as the policy
//! says (counted on the server side), then succeed or fail with the right typed error;
//! application faults come back after exactly one request, keeping Odoo's last line.

use std::time::Duration;

use scorekeeper::odoo::{ErrorKind, OdooError};
use scorekeeper::xmlrpc::{Struct, Value};

use crate::support::fake_odoo::{
    FakeOdoo, Reply, client_at, client_for, client_with_secret, recorded, transcript,
};

const TIMEOUT: Duration = Duration::from_secs(5);

const BAD_GATEWAY: &str = "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>";

const SERIALIZATION_FAILURE: &str = "Traceback (most recent call last):\n  File \"/opt/odoo/odoo/service/model.py\", line 156, in retrying\n    result = func()\npsycopg2.errors.SerializationFailure: could not serialize access due to concurrent update\n";

/// Answers `authenticate` with uid 2 and everything else with `then(index among object calls)`.
fn after_login(then: impl Fn(usize) -> Reply + Send + Sync + 'static) -> FakeOdoo {
    let object_calls = std::sync::atomic::AtomicUsize::new(0);
    FakeOdoo::start(move |req, _| {
        if req.path.ends_with("/common") {
            recorded(2)
        } else {
            then(object_calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst))
        }
    })
}

#[tokio::test]
async fn gateway_errors_are_retried_then_succeed() {
    for status in [502u16, 503, 504] {
        let server = FakeOdoo::start(move |_, n| {
            if n < 2 {
                Reply::status(status, BAD_GATEWAY)
            } else {
                recorded(1)
            }
        });
        let client = client_for(&server, TIMEOUT, 3);
        let version = client.version().await.unwrap();
        assert_eq!(version.to_string(), "Odoo 17.0");
        assert_eq!(server.count(), 3, "status {status}");
        let m = client.metrics();
        assert_eq!((m.calls, m.retries), (3, 2));
        assert_eq!(m.errors_of(ErrorKind::Http), 2);
        assert!(m.bytes_received > 0 && m.bytes_sent > 0);
    }
}

#[tokio::test]
async fn gateway_errors_give_up_after_max_attempts() {
    let server = FakeOdoo::start(|_, _| Reply::status(503, BAD_GATEWAY));
    let client = client_for(&server, TIMEOUT, 4);
    let err = client.version().await.unwrap_err();
    assert_eq!(server.count(), 4);
    let OdooError::Http {
        status,
        excerpt,
        call,
        ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!((*status, call.as_str()), (503, "common.version"));
    assert_eq!(excerpt, "502 Bad Gateway", "the page title, not the page");
    assert!(err.is_transient());
    assert_eq!(client.metrics().retries, 3);
}

#[tokio::test]
async fn http_405_page_from_transcript_099_is_not_retried() {
    let server = FakeOdoo::start(|_, _| recorded(99));
    let client = client_for(&server, TIMEOUT, 3);
    let err = client.version().await.unwrap_err();
    assert_eq!(server.count(), 1);
    let OdooError::Http {
        status, excerpt, ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(*status, 405);
    assert_eq!(excerpt, "405 Method Not Allowed");
    assert!(!err.to_string().contains("<html"), "{err}");
}

#[tokio::test]
async fn html_page_with_status_200_is_a_typed_error() {
    let server = FakeOdoo::start(|_, _| Reply::Http {
        status: 200,
        content_type: "text/html; charset=utf-8",
        body: format!(
            "<!DOCTYPE html><html><head><title>Odoo - Login</title></head><body>{}</body></html>",
            "x".repeat(50_000)
        ),
    });
    let client = client_for(&server, TIMEOUT, 3);
    let err = client.version().await.unwrap_err();
    assert_eq!(server.count(), 1);
    let OdooError::NotXmlRpc {
        excerpt,
        content_type,
        ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(excerpt, "Odoo - Login");
    assert!(content_type.starts_with("text/html"));
    assert!(err.to_string().len() < 300, "{err}");
}

#[tokio::test]
async fn body_cut_short_by_the_connection_is_retried() {
    let full = transcript(1).response;
    let server = FakeOdoo::start(move |_, n| {
        if n == 0 {
            Reply::Truncated {
                declared: full.len(),
                body: full[..full.len() / 2].to_owned(),
            }
        } else {
            recorded(1)
        }
    });
    let client = client_for(&server, TIMEOUT, 3);
    assert_eq!(client.version().await.unwrap().major(), Some(17));
    assert_eq!(server.count(), 2);
    assert_eq!(client.metrics().errors_of(ErrorKind::Connection), 1);
}

#[tokio::test]
async fn truncated_document_is_a_decode_error_not_retried() {
    let full = transcript(1).response;
    let half = full[..full.len() / 2].to_owned();
    let server = FakeOdoo::start(move |_, _| Reply::Xml(half.clone()));
    let client = client_for(&server, TIMEOUT, 3);
    let err = client.version().await.unwrap_err();
    assert_eq!(server.count(), 1);
    assert_eq!(err.kind(), ErrorKind::Decode, "{err:?}");
    assert!(err.to_string().len() < 400, "{err}");
}

#[tokio::test]
async fn slow_answers_time_out_and_are_retried() {
    let server = FakeOdoo::start(|_, n| {
        if n < 2 {
            Reply::Slow(Duration::from_secs(3), Box::new(recorded(1)))
        } else {
            recorded(1)
        }
    });
    let client = client_for(&server, Duration::from_millis(300), 3);
    assert_eq!(client.version().await.unwrap().serie, "17.0");
    assert_eq!(server.count(), 3);
    assert_eq!(client.metrics().errors_of(ErrorKind::Timeout), 2);

    let always_slow =
        FakeOdoo::start(|_, _| Reply::Slow(Duration::from_secs(3), Box::new(recorded(1))));
    let client = client_for(&always_slow, Duration::from_millis(300), 2);
    let err = client.version().await.unwrap_err();
    assert_eq!(always_slow.count(), 2);
    let OdooError::Timeout { after, .. } = err else {
        panic!("{err:?}")
    };
    assert_eq!(after, Duration::from_millis(300));
}

#[tokio::test]
async fn closed_and_reset_connections_are_retried() {
    for failure in [Reply::Close, Reply::Reset] {
        let f = failure.clone();
        let server = FakeOdoo::start(move |_, n| if n == 0 { f.clone() } else { recorded(1) });
        let client = client_for(&server, TIMEOUT, 3);
        assert_eq!(
            client.version().await.unwrap().to_string(),
            "Odoo 17.0",
            "{failure:?}"
        );
        assert_eq!(server.count(), 2, "{failure:?}");
        assert_eq!(client.metrics().retries, 1);
    }
    let server = FakeOdoo::start(|_, _| Reply::Reset);
    let client = client_for(&server, TIMEOUT, 3);
    let err = client.version().await.unwrap_err();
    assert_eq!(server.count(), 3);
    assert_eq!(err.kind(), ErrorKind::Connection, "{err:?}");
}

#[tokio::test]
async fn refused_connections_are_retried_then_reported() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = client_at(&format!("http://127.0.0.1:{port}"), TIMEOUT, 3, "admin");
    let err = client.version().await.unwrap_err();
    let OdooError::Connect { url, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(url, &format!("http://127.0.0.1:{port}/xmlrpc/2/common"));
    let m = client.metrics();
    assert_eq!(
        (m.calls, m.retries, m.errors_of(ErrorKind::Connect)),
        (3, 2, 3)
    );
}

#[tokio::test]
async fn serialization_failures_are_retried() {
    let server = after_login(|n| {
        if n == 0 {
            Reply::fault(1, SERIALIZATION_FAILURE)
        } else {
            recorded(103)
        }
    });
    let client = client_for(&server, TIMEOUT, 3);
    assert_eq!(client.search_count("crm.lead", vec![]).await.unwrap(), 44);
    assert_eq!(server.object_requests().len(), 2);

    // Even for `create`: Odoo rolled the transaction back.
    let server = after_login(|n| {
        if n == 0 {
            Reply::fault(1, SERIALIZATION_FAILURE)
        } else {
            recorded(25)
        }
    });
    let client = client_for(&server, TIMEOUT, 3);
    let ids = client
        .create("crm.lead", vec![Struct::new(), Struct::new()])
        .await
        .unwrap();
    assert_eq!(ids, vec![49, 50]);
    assert_eq!(server.object_requests().len(), 2);
}

#[tokio::test]
async fn create_is_not_resent_when_odoo_may_have_applied_it() {
    for failure in [Reply::Close, Reply::status(502, BAD_GATEWAY)] {
        let f = failure.clone();
        let server = after_login(move |_| f.clone());
        let client = client_for(&server, TIMEOUT, 3);
        let err = client
            .create("crm.lead", vec![Struct::new()])
            .await
            .unwrap_err();
        assert!(err.is_transient(), "{err:?}");
        assert_eq!(server.object_requests().len(), 1, "{failure:?}");
    }
}

/// Transcript → (expected kind, Odoo's last line).
const APPLICATION_FAULTS: [(u32, ErrorKind, &str); 5] = [
    (7, ErrorKind::AccessDenied, "Access Denied"),
    (
        8,
        ErrorKind::UserError,
        "Object no.such.model doesn't exist",
    ),
    (
        40,
        ErrorKind::ServerError,
        "ValueError: Invalid field crm.lead.no_such_field in leaf ('no_such_field', '=', 1)",
    ),
    (
        49,
        ErrorKind::UserError,
        "(Record: crm.lead(999999,), User: 2)",
    ),
    (
        92,
        ErrorKind::AccessError,
        "Contact your administrator to request access if necessary.",
    ),
];

#[tokio::test]
async fn application_faults_return_at_once_with_odoo_s_last_line() {
    for (number, kind, last_line) in APPLICATION_FAULTS {
        let server = after_login(move |_| recorded(number));
        let client = client_for(&server, TIMEOUT, 5);
        let err = client
            .execute_kw(
                "crm.lead",
                "search",
                vec![Value::Array(vec![])],
                Struct::new(),
            )
            .await
            .unwrap_err();
        assert_eq!(server.object_requests().len(), 1, "transcript {number}");
        assert_eq!(err.kind(), kind, "transcript {number}: {err:?}");
        assert_eq!(err.last_line(), Some(last_line), "transcript {number}");
        assert!(!err.is_transient());
        assert_eq!(client.metrics().retries, 0);
    }
}

#[tokio::test]
async fn server_error_carries_exception_and_message() {
    let server = after_login(|_| recorded(40));
    let client = client_for(&server, TIMEOUT, 3);
    let err = client
        .search("crm.lead", vec![], &Default::default())
        .await
        .unwrap_err();
    let OdooError::ServerError {
        exception,
        message,
        call,
        ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(exception, "ValueError");
    assert_eq!(
        message,
        "Invalid field crm.lead.no_such_field in leaf ('no_such_field', '=', 1)"
    );
    assert_eq!(call, "crm.lead.search");
    assert_eq!(
        err.to_string(),
        "crm.lead.search: server error (fault 1): ValueError: Invalid field crm.lead.no_such_field in leaf ('no_such_field', '=', 1)"
    );
    let user = after_login(|_| recorded(49));
    let client = client_for(&user, TIMEOUT, 3);
    let mut values = Struct::new();
    values.push("x_lead_score", Value::Int(1));
    let err = client
        .write("crm.lead", &[999_999], values)
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "crm.lead.write: rejected by Odoo (fault 2): Record does not exist or has been deleted. (Record: crm.lead(999999,), User: 2)"
    );
}

#[tokio::test]
async fn refused_login_names_login_and_database_but_never_the_password() {
    let server = FakeOdoo::start(|_, _| recorded(3));
    let client = client_with_secret(&server, TIMEOUT, 3, "wrong-password-0103fd");
    let err = client.authenticate().await.unwrap_err();
    assert_eq!(server.count(), 1);
    let OdooError::AuthenticationFailed { login, database } = &err else {
        panic!("{err:?}")
    };
    assert_eq!((login.as_str(), database.as_str()), ("admin", "crm17c"));
    for shown in [err.to_string(), format!("{err:?}"), format!("{client:?}")] {
        assert!(!shown.contains("wrong-password"), "{shown}");
    }
    assert!(err.to_string().contains("\"admin\"") && err.to_string().contains("\"crm17c\""));

    // The same holds for every error an object call can produce.
    let server = after_login(|n| match n {
        0 => recorded(7),
        1 => recorded(40),
        _ => Reply::status(502, BAD_GATEWAY),
    });
    let client = client_with_secret(&server, TIMEOUT, 1, "s3cret-0103fda22b");
    for _ in 0..3 {
        let err = client.search_count("crm.lead", vec![]).await.unwrap_err();
        for shown in [err.to_string(), format!("{err:?}")] {
            assert!(!shown.contains("s3cret"), "{shown}");
        }
    }
}

#[tokio::test]
async fn object_calls_authenticate_once() {
    let server = after_login(|_| recorded(103));
    let client = client_for(&server, TIMEOUT, 1);
    assert_eq!(client.uid(), None);
    for _ in 0..3 {
        assert_eq!(client.search_count("crm.lead", vec![]).await.unwrap(), 44);
    }
    assert_eq!(client.uid(), Some(2));
    assert_eq!(server.count(), 4, "one authenticate, three calls");
    assert_eq!(client.metrics().calls, 4);
}

#[tokio::test]
async fn a_constant_502_on_writes_makes_exactly_max_attempts_per_write_end_to_end() {
    // One owner of retries: the client. Apply sends each write once; the client makes
    // `max_attempts` HTTP attempts of it, not attempts × apply's retries.
    use scorekeeper::apply::{ApplyOptions, apply};
    use scorekeeper::plan::{FieldChange, Plan};
    use scorekeeper::record::Value as RV;
    use scorekeeper::state::State;

    let server = after_login(|_| Reply::status(502, BAD_GATEWAY));
    let client = client_for(&server, TIMEOUT, 3);
    let writer = scorekeeper::odoo::ClientWriter::new(&client);
    let mut plan = Plan::new("scoring");
    for id in 1..=4 {
        plan.push_write(
            "crm.lead",
            id,
            vec![FieldChange::new("x_score", RV::Int(0), RV::Int(id % 2 + 1))],
            "test",
        );
    }
    let mut state = State::open_in_memory().unwrap();
    let opts = ApplyOptions {
        stop_on_error: false,
        ..ApplyOptions::default()
    };
    let report = apply(&plan, &mut state, &writer, &opts).await.unwrap();
    let writes = server
        .object_requests()
        .iter()
        .filter(|r| r.target().1 == "write")
        .count();
    assert_eq!(report.calls.write, 2, "two value groups, each sent once");
    assert_eq!(
        writes,
        2 * 3,
        "exactly max_attempts HTTP attempts per write"
    );
    assert_eq!(report.calls.retries, 2 * 2, "{report}");
    assert_eq!(report.failures.len(), 2);
    assert!(
        report.failures.iter().all(|f| f.outcome_unknown),
        "{report}"
    );
    assert!(report.to_string().contains("(4 retries)"), "{report}");
}
