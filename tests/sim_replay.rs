//! Replays the 103 recorded real-Odoo exchanges against the simulator and scores how many
//! answers match (volatile values ignored, faults compared by code and last line).
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use scorekeeper::sim::Sim;
use scorekeeper::xmlrpc::{MethodResponse, Value as X, decode_response};

use crate::support::replay::{same, seed_engine_goals, short, snapshot};

/// Odoo's own gamification engine at work: the simulator answers these with a fault.
const ENGINE: &[&str] = &[
    "074-gamification-challenge-action-start-4",
    "075-gamification-goal-after-start-4",
    "076-gamification-goal-search-all",
    "077-gamification-goal-update-goal",
    "078-gamification-goal-after-update",
];

/// One recorded exchange.
pub struct Exchange {
    pub name: String,
    pub endpoint: String,
    pub http_method: String,
    pub request: Option<String>,
    pub status: u16,
    pub response: String,
}

/// What an answer is compared on: a decoded value, a fault's code and last line, or (for
/// non-XML answers such as the 405 page) the status and body.
#[derive(Debug)]
pub enum Answer {
    Value(X),
    Fault(i64, String),
    Raw(u16, String),
}

impl Answer {
    fn of(status: u16, body: &str) -> Answer {
        match decode_response(body.as_bytes()) {
            Ok(MethodResponse::Success(v)) => Answer::Value(v),
            Ok(MethodResponse::Fault(f)) => {
                Answer::Fault(f.int_code().unwrap_or(-1), f.last_line().to_owned())
            }
            Err(_) => Answer::Raw(status, body.to_owned()),
        }
    }
}

/// Loads every transcript, in order.
pub fn exchanges() -> Vec<Exchange> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/odoo17/transcripts");
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| {
            let doc: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap();
            Exchange {
                name: p.file_stem().unwrap().to_string_lossy().into_owned(),
                endpoint: doc["endpoint"].as_str().unwrap().to_owned(),
                http_method: doc["http_method"].as_str().unwrap_or("POST").to_owned(),
                request: doc["request"].as_str().map(str::to_owned),
                status: u16::try_from(doc["status"].as_u64().unwrap_or(200)).unwrap(),
                response: doc["response"].as_str().unwrap_or("").to_owned(),
            }
        })
        .collect()
}

/// Compares one answer with the recorded one.
fn judge(ex: &Exchange, got: &Answer) -> Result<(), String> {
    match (&Answer::of(ex.status, &ex.response), got) {
        (Answer::Value(e), Answer::Value(a)) => same(e, a, ""),
        (Answer::Fault(code, line), Answer::Fault(c, l)) if code == c && line == l => Ok(()),
        (Answer::Raw(status, body), Answer::Raw(s, b)) if status == s && body == b => Ok(()),
        (expected, got) => Err(format!("expected {}, got {}", brief(expected), brief(got))),
    }
}

fn brief(a: &Answer) -> String {
    match a {
        Answer::Value(v) => short(v),
        Answer::Fault(c, l) => format!("fault {c} {l:?}"),
        Answer::Raw(s, b) => format!("HTTP {s} {:?}", b.chars().take(80).collect::<String>()),
    }
}

/// Replay bookkeeping around Odoo's own engine (074-078): the calls must fault, and once
/// the recorded goals are known they are seeded so later exchanges see Odoo's database.
#[derive(Default)]
struct Engine {
    after_start: Option<X>,
}

impl Engine {
    fn after(&mut self, sim: &Sim, ex: &Exchange, got: &Answer) {
        if !ENGINE.contains(&ex.name.as_str()) {
            return;
        }
        if ex.name.starts_with("074") || ex.name.starts_with("077") {
            let Answer::Fault(code, line) = got else {
                panic!("{}: Odoo's engine call must fault, got {got:?}", ex.name);
            };
            assert_eq!(*code, 1, "{}", ex.name);
            assert!(
                line.starts_with("NotImplementedError: scorekeeper's Odoo simulator does not run"),
                "{}: {line}",
                ex.name
            );
        }
        let recorded = Answer::of(ex.status, &ex.response);
        if ex.name.starts_with("075") {
            if let Answer::Value(v) = recorded {
                self.after_start = Some(v);
            }
        } else if ex.name.starts_with("078")
            && let (Some(start), Answer::Value(updated)) = (&self.after_start, recorded)
        {
            seed_engine_goals(sim, start, &updated);
        }
    }
}

/// Prints the failures and the score; asserts the target (all but 074-078 and the
/// exchanges the snapshot cannot reproduce, listed with their reason).
fn report(passed: usize, total: usize, failures: &[String]) {
    for f in failures {
        println!("FAIL {f}");
    }
    println!("sim replay score: {passed}/{total}");
    let unexpected: Vec<&String> = failures
        .iter()
        .filter(|f| !ENGINE.iter().chain(DATA_LIMITED).any(|n| f.starts_with(n)))
        .collect();
    assert!(
        unexpected.is_empty(),
        "unexpected failures: {unexpected:#?}"
    );
}

/// Exchanges whose answers hold data the snapshot does not carry: html fields (badge and
/// rank descriptions; the snapshot leaves html out) and, in 097, every non-stored computed
/// field of crm.lead (activities, followers, duplicates, tracking durations, …).
const DATA_LIMITED: &[&str] = &[
    "070-gamification-badge-search-read",
    "072-gamification-karma-rank-search-read",
    "097-crm-lead-search-read-all",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_every_transcript_over_http() {
    let sim = Arc::new(snapshot());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(scorekeeper::sim::serve(listener, sim.clone(), async {
        let _ = stopped.await;
    }));
    let client = reqwest::Client::new();
    let all = exchanges();
    let mut engine = Engine::default();
    let (mut passed, mut failures) = (0, Vec::new());
    for ex in &all {
        let url = format!("http://{addr}{}", ex.endpoint);
        let request = match ex.http_method.as_str() {
            "GET" => client.get(&url),
            _ => client
                .post(&url)
                .header("Content-Type", "text/xml")
                .body(ex.request.clone().unwrap_or_default()),
        };
        let resp = request.send().await.unwrap();
        let status = resp.status().as_u16();
        if ex.http_method == "POST" {
            assert_eq!(
                resp.headers()
                    .get("content-type")
                    .and_then(|v| v.to_str().ok()),
                Some("text/xml; charset=utf-8"),
                "{}",
                ex.name
            );
        }
        let body = resp.text().await.unwrap();
        let got = Answer::of(status, &body);
        let verdict = if status == ex.status {
            judge(ex, &got)
        } else {
            Err(format!("HTTP {} expected, got {status}", ex.status))
        };
        engine.after(&sim, ex, &got);
        match verdict {
            Ok(()) => passed += 1,
            Err(why) => failures.push(format!("{}: {why}", ex.name)),
        }
    }
    let _ = stop.send(());
    server.await.unwrap().unwrap();
    report(passed, all.len(), &failures);
}

#[test]
fn replay_every_transcript_in_process() {
    let sim = snapshot();
    let all = exchanges();
    let mut engine = Engine::default();
    let (mut passed, mut failures) = (0, Vec::new());
    for ex in all.iter().filter(|e| e.http_method == "POST") {
        let service = ex.endpoint.rsplit('/').next().unwrap_or("");
        let body = sim.handle_xmlrpc(service, ex.request.as_deref().unwrap_or("").as_bytes());
        let got = Answer::of(200, &String::from_utf8(body).unwrap());
        let verdict = judge(ex, &got);
        engine.after(&sim, ex, &got);
        match verdict {
            Ok(()) => passed += 1,
            Err(why) => failures.push(format!("{}: {why}", ex.name)),
        }
    }
    report(passed, all.len() - 1, &failures);
}
