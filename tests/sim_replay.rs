//! Replays the 103 recorded real-Odoo exchanges against the simulator and scores how many
//! answers match (volatile values ignored, faults compared by code and last line).
#![allow(clippy::unwrap_used)]

use scorekeeper::record::{RecordStore, Value as RV};
use scorekeeper::sim::{Sim, last_line};
use scorekeeper::xmlrpc::{Struct, Value as X};

/// Values that differ on every run (fixtures/odoo17/README.md).
const VOLATILE: &[&str] = &[
    "create_date",
    "write_date",
    "last_update",
    "tracking_date",
    "date_open",
    "__last_update",
];

/// Odoo's own gamification engine at work: the simulator answers these with a fault.
const ENGINE: &[&str] = &[
    "074-gamification-challenge-action-start-4",
    "075-gamification-goal-after-start-4",
    "076-gamification-goal-search-all",
    "077-gamification-goal-update-goal",
    "078-gamification-goal-after-update",
];

/// One recorded exchange, decoded.
pub struct Exchange {
    pub name: String,
    pub service: String,
    pub method: Option<String>,
    pub params: Vec<X>,
    pub expected: Expected,
}

pub enum Expected {
    Value(X),
    Fault(i64, String),
    Raw,
}

/// Compares an answer with the recorded one; `Err` says where they differ.
pub fn same(expected: &X, actual: &X, path: &str) -> Result<(), String> {
    match (expected, actual) {
        (X::Struct(e), X::Struct(a)) => same_struct(e, a, path),
        (X::Array(e), X::Array(a)) => {
            if e.len() != a.len() {
                return Err(format!(
                    "{path}: {} items expected, {} got ({} vs {})",
                    e.len(),
                    a.len(),
                    short(expected),
                    short(actual)
                ));
            }
            for (i, (x, y)) in e.iter().zip(a).enumerate() {
                same(x, y, &format!("{path}[{i}]"))?;
            }
            Ok(())
        }
        (X::Double(e), X::Double(a)) if (e - a).abs() <= 1e-9 * e.abs().max(1.0) => Ok(()),
        _ if expected == actual => Ok(()),
        _ => Err(format!(
            "{path}: expected {}, got {}",
            short(expected),
            short(actual)
        )),
    }
}

fn same_struct(e: &Struct, a: &Struct, path: &str) -> Result<(), String> {
    for (k, v) in e.iter() {
        if VOLATILE.contains(&k) {
            continue;
        }
        match a.get(k) {
            Some(w) => same(v, w, &format!("{path}.{k}"))?,
            None => return Err(format!("{path}: missing member {k}")),
        }
    }
    for k in a.keys() {
        if e.get(k).is_none() {
            return Err(format!("{path}: unexpected member {k}"));
        }
    }
    Ok(())
}

fn short(x: &X) -> String {
    let s = x.to_string();
    match s.char_indices().nth(200) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s,
    }
}

/// Seeds the goals Odoo's engine created in 074 (as 075 and 078 recorded them), so later
/// exchanges see the same database the real server had.
fn seed_engine_goals(sim: &Sim, after_start: &X, after_update: &X) {
    let (Some(started), Some(updated)) = (after_start.as_array(), after_update.as_array()) else {
        return;
    };
    let mut store = sim.write();
    for rec in started.iter().filter_map(X::as_struct) {
        let id = rec.get("id").and_then(X::as_i64).unwrap_or(0);
        let final_state = updated
            .iter()
            .filter_map(X::as_struct)
            .find(|r| r.get("id").and_then(X::as_i64) == Some(id));
        let get = |k: &str| {
            final_state
                .and_then(|r| r.get(k))
                .or_else(|| rec.get(k))
                .cloned()
                .unwrap_or(X::Bool(false))
        };
        let m2o = |k: &str| {
            get(k)
                .as_many2one()
                .map_or(RV::Null, |(i, _)| RV::Many2one(i))
        };
        let text = |k: &str| get(k).as_str().map_or(RV::Null, |s| RV::Str(s.to_owned()));
        let num = |k: &str| RV::Float(get(k).as_f64().unwrap_or(0.0));
        let values = vec![
            ("definition_id".to_owned(), m2o("definition_id")),
            ("user_id".to_owned(), m2o("user_id")),
            ("line_id".to_owned(), m2o("line_id")),
            ("start_date".to_owned(), text("start_date")),
            ("end_date".to_owned(), text("end_date")),
            ("target_goal".to_owned(), num("target_goal")),
            ("current".to_owned(), num("current")),
            ("state".to_owned(), text("state")),
            (
                "closed".to_owned(),
                RV::Bool(get("closed").as_bool().unwrap_or(false)),
            ),
        ];
        let got = store.create("gamification.goal", values);
        assert_eq!(got, id, "seeded goal ids follow the sequence");
    }
}

/// Replays every exchange through `answer` and returns (passed, failures).
pub fn replay(
    sim: &Sim,
    exchanges: &[Exchange],
    mut answer: impl FnMut(&Sim, &Exchange) -> Result<X, (i64, String)>,
) -> (usize, Vec<String>) {
    let mut passed = 0;
    let mut failures = Vec::new();
    let mut after_start = None;
    for ex in exchanges {
        let got = answer(sim, ex);
        let verdict = match (&ex.expected, &got) {
            (Expected::Value(e), Ok(a)) => same(e, a, ""),
            (Expected::Fault(code, line), Err((c, l))) => {
                if code == c && line == l {
                    Ok(())
                } else {
                    Err(format!(
                        "fault {code} {line:?} expected, got fault {c} {l:?}"
                    ))
                }
            }
            (Expected::Fault(code, line), Ok(a)) => {
                Err(format!("fault {code} {line:?} expected, got {}", short(a)))
            }
            (Expected::Value(e), Err((c, l))) => {
                Err(format!("{} expected, got fault {c} {l:?}", short(e)))
            }
            (Expected::Raw, _) => Err("raw exchange not replayed here".to_owned()),
        };
        if ENGINE.contains(&ex.name.as_str()) {
            if ex.name.starts_with("074") || ex.name.starts_with("077") {
                let (code, line) = got.as_ref().err().cloned().unwrap_or_default();
                assert_eq!(code, 1, "{}: the engine call must fault", ex.name);
                assert!(
                    line.starts_with("NotImplementedError: scorekeeper's Odoo simulator"),
                    "{}: {line}",
                    ex.name
                );
            }
            if ex.name.starts_with("075") {
                if let Expected::Value(v) = &ex.expected {
                    after_start = Some(v.clone());
                }
            }
            if ex.name.starts_with("078") {
                if let (Some(start), Expected::Value(upd)) = (&after_start, &ex.expected) {
                    seed_engine_goals(sim, start, upd);
                }
            }
        }
        match verdict {
            Ok(()) => passed += 1,
            Err(why) => failures.push(format!("{}: {why}", ex.name)),
        }
    }
    (passed, failures)
}

fn service_of(endpoint: &str) -> String {
    endpoint.rsplit('/').next().unwrap_or("").to_owned()
}

/// Decodes the transcripts pre-converted by a helper script (until the codec lands).
fn from_tagged(v: &serde_json::Value) -> X {
    let o = v.as_object().unwrap();
    let (k, v) = o.iter().next().unwrap();
    match k.as_str() {
        "b" => X::Bool(v.as_bool().unwrap()),
        "i" => X::Int(v.as_i64().unwrap()),
        "d" => X::Double(v.as_f64().unwrap_or(f64::NAN)),
        "s" => X::String(v.as_str().unwrap().to_owned()),
        "a" => X::Array(v.as_array().unwrap().iter().map(from_tagged).collect()),
        "st" => X::Struct(
            v.as_array()
                .unwrap()
                .iter()
                .map(|p| (p[0].as_str().unwrap().to_owned(), from_tagged(&p[1])))
                .collect(),
        ),
        _ => X::Nil,
    }
}

fn load_tagged() -> Option<Vec<Exchange>> {
    let text = std::fs::read_to_string("/tmp/sim/replay.json").ok()?;
    let doc: serde_json::Value = serde_json::from_str(&text).ok()?;
    Some(
        doc.as_array()?
            .iter()
            .map(|e| Exchange {
                name: e["name"].as_str().unwrap().to_owned(),
                service: service_of(e["endpoint"].as_str().unwrap()),
                method: e["method"].as_str().map(str::to_owned),
                params: e["params"]
                    .as_array()
                    .map(|p| p.iter().map(from_tagged).collect())
                    .unwrap_or_default(),
                expected: if let Some(r) = e.get("result") {
                    Expected::Value(from_tagged(r))
                } else if let Some(c) = e["fault"].as_i64() {
                    Expected::Fault(c, e["last"].as_str().unwrap().to_owned())
                } else {
                    Expected::Raw
                },
            })
            .collect(),
    )
}

/// The recording's moment (2026-11-22, just after the creates of 020-025).
fn recording_clock() -> chrono::NaiveDateTime {
    chrono::NaiveDate::from_ymd_opt(2026, 11, 22)
        .unwrap()
        .and_hms_opt(13, 14, 1)
        .unwrap()
}

fn snapshot() -> Sim {
    let sim = Sim::from_snapshot_file(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/odoo17/snapshot.json"
    ))
    .unwrap();
    sim.write().set_clock(recording_clock);
    sim
}

#[test]
fn replay_dispatch_tagged() {
    let Some(exchanges) = load_tagged() else {
        return;
    };
    let sim = snapshot();
    let (passed, failures) = replay(&sim, &exchanges, |sim, ex| match &ex.method {
        Some(m) => sim
            .dispatch(&ex.service, m, &ex.params)
            .map_err(|f| (f.code, last_line(&f.string).to_owned())),
        None => Err((0, "raw".to_owned())),
    });
    for f in &failures {
        println!("FAIL {f}");
    }
    println!("score {passed}/{}", exchanges.len());
}
