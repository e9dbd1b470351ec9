//! JSON-2 and JSON-RPC against XML-RPC on the client's side of the wire: decoding the same
//! generated 10,000-lead `search_read` answer (20 fields each) in each encoding, and a
//! 1,000,000-id `search` answer streamed into an `IdSet`. Divan reports bytes/s of each body and leads/s
//! (or ids/s), which compare across encodings since the bodies differ in size.
//!
//! `cargo bench --bench wire`
#![allow(clippy::unwrap_used)]

use std::sync::LazyLock;

use divan::Bencher;
use divan::counter::{BytesCount, ItemsCount};
use scorekeeper::jsonrpc::{self, IdsDecoder};
use scorekeeper::xmlrpc::{self, MethodResponse, Value};

#[path = "support/leads.rs"]
mod leads;

const LEADS: usize = 10_000;
const IDS: i64 = 1_000_000;
const CHUNK: usize = 16 * 1024;

fn main() {
    eprintln!(
        "10,000-lead answer: XML-RPC {} bytes, JSON-RPC {} bytes, JSON-2 {} bytes; 1M ids: XML-RPC {} bytes, JSON-RPC {} bytes, JSON-2 {} bytes",
        XML_LEADS.len(),
        JSON_LEADS.len(),
        JSON2_LEADS.len(),
        XML_IDS.len(),
        JSON_IDS.len(),
        JSON2_IDS.len()
    );
    divan::main();
}

static ANSWER: LazyLock<Value> = LazyLock::new(|| leads::leads(LEADS as u64));

/// The body Odoo's XML-RPC marshaller writes (the project's encoder writes the same layout).
static XML_LEADS: LazyLock<Vec<u8>> =
    LazyLock::new(|| xmlrpc::encode_response(&MethodResponse::Success(ANSWER.clone())));

/// The body Odoo's JSON-RPC dispatcher writes: `{"jsonrpc": "2.0", "id": n, "result": ...}`.
static JSON_LEADS: LazyLock<Vec<u8>> =
    LazyLock::new(|| jsonrpc::encode_result(&Value::Int(7), &ANSWER));

/// The body Odoo 19's JSON-2 writes: the bare result.
static JSON2_LEADS: LazyLock<Vec<u8>> = LazyLock::new(|| jsonrpc::json2::encode_result(&ANSWER));

fn ids() -> Value {
    Value::Array((1..=IDS).map(Value::Int).collect())
}

static XML_IDS: LazyLock<Vec<u8>> =
    LazyLock::new(|| xmlrpc::encode_response(&MethodResponse::Success(ids())));

/// Python's `json.dumps` separators (`", "`), as Odoo sends them.
static JSON_IDS: LazyLock<Vec<u8>> = LazyLock::new(|| {
    let list: Vec<String> = (1..=IDS).map(|i| i.to_string()).collect();
    format!(
        "{{\"jsonrpc\": \"2.0\", \"id\": 7, \"result\": [{}]}}",
        list.join(", ")
    )
    .into_bytes()
});

/// JSON-2's bare array, with Python's `", "` separators.
static JSON2_IDS: LazyLock<Vec<u8>> = LazyLock::new(|| {
    let list: Vec<String> = (1..=IDS).map(|i| i.to_string()).collect();
    format!("[{}]", list.join(", ")).into_bytes()
});

#[divan::bench]
fn decode_10k_leads_xmlrpc(bencher: Bencher) {
    let body = XML_LEADS.as_slice();
    bencher
        .counter(BytesCount::new(body.len()))
        .counter(ItemsCount::new(LEADS))
        .bench(|| xmlrpc::decode_response(divan::black_box(body)).unwrap());
}

/// The transport's path: serde_json straight into `xmlrpc::Value` (no `serde_json::Value`).
#[divan::bench]
fn decode_10k_leads_jsonrpc(bencher: Bencher) {
    let body = JSON_LEADS.as_slice();
    bencher
        .counter(BytesCount::new(body.len()))
        .counter(ItemsCount::new(LEADS))
        .bench(|| jsonrpc::decode_response(divan::black_box(body)).unwrap());
}

/// The JSON-2 transport's path: the bare result, serde_json straight into `xmlrpc::Value`.
#[divan::bench]
fn decode_10k_leads_json2(bencher: Bencher) {
    let body = JSON2_LEADS.as_slice();
    bencher
        .counter(BytesCount::new(body.len()))
        .counter(ItemsCount::new(LEADS))
        .bench(|| jsonrpc::json2::decode_result(divan::black_box(body)).unwrap());
}

/// For comparison: serde_json into its own `Value` (what a two-step conversion would pay
/// before building `xmlrpc::Value`s).
#[divan::bench]
fn decode_10k_leads_serde_json_value(bencher: Bencher) {
    let body = JSON_LEADS.as_slice();
    bencher
        .counter(BytesCount::new(body.len()))
        .counter(ItemsCount::new(LEADS))
        .bench(|| serde_json::from_slice::<serde_json::Value>(divan::black_box(body)).unwrap());
}

#[divan::bench]
fn ids_1m_streamed_xmlrpc(bencher: Bencher) {
    let body = XML_IDS.as_slice();
    bencher
        .counter(BytesCount::new(body.len()))
        .counter(ItemsCount::new(IDS as usize))
        .bench(|| {
            let mut d = xmlrpc::IdsDecoder::new();
            for chunk in divan::black_box(body).chunks(CHUNK) {
                d.feed(chunk);
            }
            d.finish().unwrap()
        });
}

#[divan::bench]
fn ids_1m_streamed_jsonrpc(bencher: Bencher) {
    let body = JSON_IDS.as_slice();
    bencher
        .counter(BytesCount::new(body.len()))
        .counter(ItemsCount::new(IDS as usize))
        .bench(|| {
            let mut d = IdsDecoder::new();
            for chunk in divan::black_box(body).chunks(CHUNK) {
                d.feed(chunk);
            }
            d.finish().unwrap()
        });
}

#[divan::bench]
fn ids_1m_streamed_json2(bencher: Bencher) {
    let body = JSON2_IDS.as_slice();
    bencher
        .counter(BytesCount::new(body.len()))
        .counter(ItemsCount::new(IDS as usize))
        .bench(|| {
            let mut d = IdsDecoder::bare();
            for chunk in divan::black_box(body).chunks(CHUNK) {
                d.feed(chunk);
            }
            d.finish().unwrap()
        });
}

/// For comparison: the whole 1M-id body through serde_json (what streaming avoids holding).
#[divan::bench]
fn ids_1m_whole_jsonrpc(bencher: Bencher) {
    let body = JSON_IDS.as_slice();
    bencher
        .counter(BytesCount::new(body.len()))
        .counter(ItemsCount::new(IDS as usize))
        .bench(|| jsonrpc::decode_response(divan::black_box(body)).unwrap());
}
