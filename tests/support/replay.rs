//! What the replays of recorded exchanges share (`sim_replay` over XML-RPC, `sim_jsonrpc`
//! over JSON-RPC, `pay_custom_models`, `domain_transcripts`, the gamification fixtures): the
//! loading of recorded files, the comparison of answers, volatile values, the recording's
//! clock and the goals Odoo's own engine created during the recording.

use scorekeeper::record::{RecordStore, Value as RV};
use scorekeeper::sim::Sim;
use scorekeeper::xmlrpc::{Struct, Value as X};

/// One recorded file of a fixtures directory: its name (the file stem) and its JSON.
pub struct Transcript {
    pub name: String,
    pub doc: serde_json::Value,
}

impl Transcript {
    /// The string at `key`, if there is one.
    pub fn text(&self, key: &str) -> Option<String> {
        self.doc[key].as_str().map(str::to_owned)
    }

    /// The recorded HTTP status (200 when not recorded).
    pub fn status(&self) -> u16 {
        u16::try_from(self.doc["status"].as_u64().unwrap_or(200)).unwrap()
    }
}

/// One recorded HTTP exchange (JSON-RPC's and JSON-2's recordings): what was sent where and
/// what came back.
pub struct HttpExchange {
    pub name: String,
    /// The XML-RPC transcript this one mirrors, without `.json` (none for hand-built ones).
    pub from: Option<String>,
    pub http_method: String,
    pub endpoint: String,
    /// The recorded request headers (`null` where the recording has none).
    pub headers: serde_json::Value,
    pub request: Option<String>,
    pub status: u16,
    pub content_type: String,
    pub response: String,
}

/// The exchanges of `fixtures/<dir>`, in the order they were recorded in.
pub fn http_exchanges(dir: &str) -> Vec<HttpExchange> {
    transcripts(dir)
        .into_iter()
        .map(|t| HttpExchange {
            from: t
                .text("from")
                .map(|f| f.trim_end_matches(".json").to_owned()),
            http_method: t.text("http_method").unwrap_or_else(|| "POST".to_owned()),
            endpoint: t.text("endpoint").unwrap(),
            headers: t.doc["request_headers"].clone(),
            request: t.text("request"),
            status: t.status(),
            content_type: t.text("content_type").unwrap_or_default(),
            response: t.text("response").unwrap_or_default(),
            name: t.name,
        })
        .collect()
}

/// Every `*.json` of `fixtures/<dir>`, in name order (the order they were recorded in).
pub fn transcripts(dir: &str) -> Vec<Transcript> {
    let dir = format!("{}/fixtures/{dir}", env!("CARGO_MANIFEST_DIR"));
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| Transcript {
            name: p.file_stem().unwrap().to_string_lossy().into_owned(),
            doc: serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap(),
        })
        .collect()
}

/// One recorded XML-RPC exchange with a real Odoo (`fixtures/odoo<major>/transcripts`).
pub struct Exchange {
    pub name: String,
    pub endpoint: String,
    pub http_method: String,
    pub request: Option<String>,
    pub status: u16,
    pub response: String,
}

/// Every transcript of Odoo 17, in order.
pub fn exchanges() -> Vec<Exchange> {
    exchanges_of(17)
}

/// Every transcript of Odoo `major`, in order.
pub fn exchanges_of(major: i64) -> Vec<Exchange> {
    transcripts(&format!("odoo{major}/transcripts"))
        .into_iter()
        .map(|t| Exchange {
            endpoint: t.text("endpoint").unwrap(),
            http_method: t.text("http_method").unwrap_or_else(|| "POST".to_owned()),
            request: t.text("request"),
            status: t.status(),
            response: t.text("response").unwrap_or_default(),
            name: t.name,
        })
        .collect()
}

/// Values that differ on every run (fixtures/odoo17/README.md).
pub const VOLATILE: &[&str] = &[
    "create_date",
    "write_date",
    "last_update",
    "tracking_date",
    "date_open",
    "__last_update",
];

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

pub fn same_struct(e: &Struct, a: &Struct, path: &str) -> Result<(), String> {
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

pub fn short(x: &X) -> String {
    let s = x.to_string();
    match s.char_indices().nth(200) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s,
    }
}

/// Seeds the goals Odoo's engine created in 074 (as 075 and 078 recorded them), so later
/// exchanges see the same database the real server had.
pub fn seed_engine_goals(sim: &Sim, after_start: &X, after_update: &X) {
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

/// The recording's moment (2026-11-22, just after the creates of 020-025).
pub fn recording_clock() -> chrono::NaiveDateTime {
    chrono::NaiveDate::from_ymd_opt(2026, 11, 22)
        .unwrap()
        .and_hms_opt(13, 14, 1)
        .unwrap()
}

pub fn snapshot() -> Sim {
    let sim = Sim::from_snapshot_file(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/odoo17/snapshot.json"
    ))
    .unwrap();
    sim.write().set_clock(recording_clock);
    sim
}
