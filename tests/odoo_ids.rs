//! `search_ids` (a `search` streamed into an `IdSet`) against the simulator and against a fake
//! Odoo's failures: same ids as `search`, same bytes counted, and every error — faults, wrong
//! shapes, HTML pages, truncated bodies, broken connections — exactly the one `search` gives.
#![allow(clippy::unwrap_used)]

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use scorekeeper::demo::{DatasetSpec, generate};
use scorekeeper::odoo::{
    BoxFuture, Credentials, ErrorKind, Metrics, OdooClient, OdooError, SearchOptions, Secret,
    Service, Transport, leaf,
};
use scorekeeper::record::IdSet;
use scorekeeper::xmlrpc::{MethodResponse, Value, encode_response};

use crate::support::fake_odoo::{FakeOdoo, Reply, client_for, recorded};
use crate::support::{Served, snapshot_sim};

fn ids_of(v: &[i64]) -> IdSet {
    v.iter().collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_ids_matches_search_on_a_generated_dataset() {
    let sim = snapshot_sim();
    let summary = generate(&DatasetSpec::with_leads(20_000), &mut *sim.write()).unwrap();
    assert_eq!(summary.created.get("crm.lead"), Some(&20_000));
    let served = Served::start(sim).await;
    let client = served.client("admin", "admin");
    client.authenticate().await.unwrap();

    let domains = vec![
        vec![],
        vec![leaf("type", "=", "lead")],
        vec![leaf(
            "country_id.code",
            "in",
            Value::Array(vec!["VN".into(), "BE".into()]),
        )],
        vec![leaf("expected_revenue", ">", 5000)],
        vec![leaf("name", "=", "no such lead")],
    ];
    let mut sizes = Vec::new();
    for domain in domains {
        let all = SearchOptions::default();
        let before = client.metrics();
        let want = client
            .search("crm.lead", domain.clone(), &all)
            .await
            .unwrap();
        let mid = client.metrics();
        let got = client
            .search_ids("crm.lead", domain.clone(), &all)
            .await
            .unwrap();
        let after = client.metrics();
        assert_eq!(got, ids_of(&want), "{domain:?}");
        assert_eq!(got.len(), want.len());
        // The same request and the same answer: the same bytes, one call each.
        assert_eq!(after.calls - mid.calls, 1);
        assert_eq!(
            after.bytes_received - mid.bytes_received,
            mid.bytes_received - before.bytes_received
        );
        assert_eq!(
            after.bytes_sent - mid.bytes_sent,
            mid.bytes_sent - before.bytes_sent
        );
        sizes.push(got.len());

        let page = SearchOptions {
            offset: Some(100),
            limit: Some(1_000),
            order: Some("id desc".into()),
        };
        let want = client
            .search("crm.lead", domain.clone(), &page)
            .await
            .unwrap();
        let got = client.search_ids("crm.lead", domain, &page).await.unwrap();
        assert_eq!(got, ids_of(&want));
    }
    // Archived leads are left out by Odoo's default `active_test`.
    assert!(sizes[0] > 15_000, "{sizes:?}");
    assert!(sizes.iter().any(|&n| n > 0 && n < sizes[0]), "{sizes:?}");
    assert_eq!(sizes[4], 0);
    served.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_field_is_the_same_fault_as_search() {
    let served = Served::start(snapshot_sim()).await;
    let client = served.client("admin", "admin");
    let domain = vec![leaf("contry_id", "=", 241)];
    let opts = SearchOptions::default();
    let want = client
        .search("crm.lead", domain.clone(), &opts)
        .await
        .unwrap_err();
    let before = client.metrics();
    let got = client
        .search_ids("crm.lead", domain, &opts)
        .await
        .unwrap_err();
    assert_eq!(got.kind(), want.kind());
    assert_eq!(got.to_string(), want.to_string());
    assert!(got.to_string().contains("contry_id"), "{got}");
    // A fault is not transient: one attempt.
    assert_eq!(client.metrics().calls - before.calls, 1);
    served.stop().await;
}

/// `search` and `search_ids` on two identical fake servers: the same outcome, requests and
/// counters.
async fn same_as_search(reply: impl Fn(usize) -> Reply + Send + Sync + Clone + 'static) {
    let start = |reply: Box<dyn Fn(usize) -> Reply + Send + Sync>| {
        let object_calls = std::sync::atomic::AtomicUsize::new(0);
        FakeOdoo::start(move |req, _| {
            if req.path.ends_with("/common") {
                recorded(2)
            } else {
                reply(object_calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst))
            }
        })
    };
    let (a, b) = (start(Box::new(reply.clone())), start(Box::new(reply)));
    let (ca, cb) = (
        client_for(&a, Duration::from_secs(5), 3),
        client_for(&b, Duration::from_secs(5), 3),
    );
    let opts = SearchOptions::default();
    let domain = vec![leaf("type", "=", "lead")];
    let want = ca.search("crm.lead", domain.clone(), &opts).await;
    let got = cb.search_ids("crm.lead", domain, &opts).await;
    match (&want, &got) {
        (Ok(w), Ok(g)) => assert_eq!(g, &ids_of(w)),
        (Err(w), Err(g)) => {
            assert_eq!(g.kind(), w.kind());
            let w = w.to_string().replace(&a.url(), &b.url());
            assert_eq!(g.to_string(), w);
        }
        _ => panic!("search {want:?}\nsearch_ids {got:?}"),
    }
    assert_eq!(a.count(), b.count());
    let (mut ma, mut mb) = (ca.metrics(), cb.metrics());
    // A wrong shape is found inside the attempt by `search_ids`, after it by `search`: only
    // the former counts it among the failed attempts.
    if matches!(got, Err(ref e) if e.kind() == ErrorKind::UnexpectedReply) {
        mb.errors.retain(|(k, _)| *k != ErrorKind::UnexpectedReply);
    }
    ma.errors.sort();
    mb.errors.sort();
    assert_eq!(ma, mb);
}

fn ints(range: std::ops::Range<i64>) -> Value {
    Value::Array(range.map(Value::Int).collect())
}

#[tokio::test]
async fn every_outcome_is_the_one_search_gives() {
    same_as_search(|_| Reply::value(ints(1..5_000))).await;
    same_as_search(|_| Reply::value(Value::Array(Vec::new()))).await;
    same_as_search(|_| Reply::fault(2, "Invalid field 'contry_id' on model 'crm.lead'")).await;
    same_as_search(|_| Reply::fault(1, "Traceback\nValueError: Invalid leaf")).await;
    same_as_search(|_| Reply::value(Value::Bool(false))).await;
    same_as_search(|_| {
        let mut items: Vec<Value> = (1..300).map(Value::Int).collect();
        items.insert(250, Value::String("251".into()));
        Reply::value(Value::Array(items))
    })
    .await;
    // Error pages, with and without an honest content type.
    same_as_search(|_| Reply::status(502, "<html><title>502 Bad Gateway</title></html>")).await;
    same_as_search(|_| Reply::Http {
        status: 200,
        content_type: "text/xml",
        body: format!(
            "\n\n  <!DOCTYPE html><html><title>Odoo - Login</title>{}</html>",
            "x".repeat(30_000)
        ),
    })
    .await;
    same_as_search(|_| Reply::Http {
        status: 200,
        content_type: "text/html",
        body: "<html><title>Login</title></html>".into(),
    })
    .await;
    // A transient failure, then the answer.
    same_as_search(|n| {
        if n == 0 {
            Reply::status(503, "busy")
        } else {
            Reply::value(ints(10..20))
        }
    })
    .await;
}

#[tokio::test]
async fn truncated_answers_are_errors_never_partial_sets() {
    let body =
        String::from_utf8(encode_response(&MethodResponse::Success(ints(1..20_000)))).unwrap();
    // A well-formed HTTP answer whose document stops early: a decode error, not retried.
    let half = body[..body.len() / 2].to_owned();
    same_as_search(move |_| Reply::Xml(half.clone())).await;
    // The connection closes before Content-Length bytes: retried, then the whole answer.
    let full = body.clone();
    same_as_search(move |n| {
        if n == 0 {
            Reply::Truncated {
                declared: full.len(),
                body: full[..full.len() / 3].to_owned(),
            }
        } else {
            Reply::Xml(full.clone())
        }
    })
    .await;
    // Always cut: the connection error after the retries, never the ids read so far.
    let full = body;
    same_as_search(move |_| Reply::Truncated {
        declared: full.len(),
        body: full[..full.len() - 40].to_owned(),
    })
    .await;
}

/// A transport that only knows `call`: `search_ids` works through the trait's default.
struct Scripted {
    answers: Mutex<VecDeque<Result<Value, OdooError>>>,
}

impl Transport for Scripted {
    fn call<'a>(
        &'a self,
        service: Service,
        _method: &'a str,
        _params: &'a [Value],
        call: &'a str,
    ) -> BoxFuture<'a, Result<Value, OdooError>> {
        let answer =
            match service {
                Service::Common => Ok(Value::Int(2)),
                Service::Object => self.answers.lock().unwrap().pop_front().unwrap_or_else(|| {
                    Err(OdooError::Setup(format!("{call}: no answer scripted")))
                }),
            };
        Box::pin(async move { answer })
    }
}

fn scripted(answers: Vec<Result<Value, OdooError>>) -> OdooClient {
    OdooClient::new(
        Arc::new(Scripted {
            answers: Mutex::new(answers.into()),
        }),
        Arc::new(Metrics::new()),
        Credentials {
            database: "db".into(),
            login: "admin".into(),
            secret: Secret::new("admin"),
        },
    )
    .with_retry(scorekeeper::odoo::RetryPolicy {
        max_attempts: 3,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(2),
    })
}

#[tokio::test]
async fn other_transports_use_the_default_conversion() {
    let opts = SearchOptions::default();
    let client = scripted(vec![Ok(Value::Array(vec![
        Value::Int(7),
        Value::Int(3),
        Value::Int(7),
    ]))]);
    let ids = client.search_ids("crm.lead", vec![], &opts).await.unwrap();
    assert_eq!(ids.to_vec(), vec![3, 7]);

    for bad in [
        Value::Array(vec![Value::Int(1), Value::Bool(false)]),
        Value::String("1,2".into()),
    ] {
        let want = scripted(vec![Ok(bad.clone())])
            .search("crm.lead", vec![], &opts)
            .await
            .unwrap_err();
        let got = scripted(vec![Ok(bad)])
            .search_ids("crm.lead", vec![], &opts)
            .await
            .unwrap_err();
        assert_eq!(got.kind(), ErrorKind::UnexpectedReply);
        assert_eq!(got.to_string(), want.to_string());
    }

    // Retried like `search`: a timeout, then the answer.
    let timeout = OdooError::Timeout {
        call: "crm.lead.search".into(),
        url: "http://odoo".into(),
        after: Duration::from_secs(1),
    };
    let client = scripted(vec![Err(timeout), Ok(Value::Array(vec![Value::Int(1)]))]);
    let ids = client.search_ids("crm.lead", vec![], &opts).await.unwrap();
    assert_eq!(ids.to_vec(), vec![1]);
    let m = client.metrics();
    assert_eq!((m.calls, m.retries), (3, 1), "{m:?}");
    assert_eq!(m.errors_of(ErrorKind::Timeout), 1);
}
