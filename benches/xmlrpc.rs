//! Codec throughput: decoding Odoo's biggest recorded answer (097, every field of every lead)
//! and a generated 10,000-lead `search_read` answer, and encoding both. Divan reports the
//! throughput in bytes per second of XML.
#![allow(clippy::unwrap_used)]

use std::sync::LazyLock;

use divan::Bencher;
use divan::counter::BytesCount;
use scorekeeper::xmlrpc::{MethodResponse, decode_response, encode_response};

#[path = "support/leads.rs"]
mod leads;

use leads::leads;

fn main() {
    divan::main();
}

static TRANSCRIPT_097: LazyLock<Vec<u8>> = LazyLock::new(|| {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/odoo17/transcripts/097-crm-lead-search-read-all.json"
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    json["response"].as_str().unwrap().as_bytes().to_vec()
});

static GENERATED: LazyLock<Vec<u8>> =
    LazyLock::new(|| encode_response(&MethodResponse::Success(leads(10_000))));

#[divan::bench]
fn decode_transcript_097(bencher: Bencher) {
    let body = TRANSCRIPT_097.as_slice();
    bencher
        .counter(BytesCount::new(body.len()))
        .bench(|| decode_response(divan::black_box(body)).unwrap());
}

#[divan::bench]
fn decode_10k_leads(bencher: Bencher) {
    let body = GENERATED.as_slice();
    bencher
        .counter(BytesCount::new(body.len()))
        .bench(|| decode_response(divan::black_box(body)).unwrap());
}

#[divan::bench]
fn encode_transcript_097(bencher: Bencher) {
    let response = decode_response(&TRANSCRIPT_097).unwrap();
    bencher
        .counter(BytesCount::new(TRANSCRIPT_097.len()))
        .bench(|| encode_response(divan::black_box(&response)));
}

#[divan::bench]
fn encode_10k_leads(bencher: Bencher) {
    let response = decode_response(&GENERATED).unwrap();
    bencher
        .counter(BytesCount::new(GENERATED.len()))
        .bench(|| encode_response(divan::black_box(&response)));
}

/// The floor under the decoder: quick-xml's tokenizer alone on the same 10,000 leads,
/// building nothing.
#[divan::bench]
fn tokenize_only_10k_leads(bencher: Bencher) {
    let body = GENERATED.as_slice();
    bencher.counter(BytesCount::new(body.len())).bench(|| {
        let mut reader = quick_xml::Reader::from_reader(divan::black_box(body));
        reader.config_mut().check_end_names = false;
        let mut events = 0usize;
        while !matches!(reader.read_event().unwrap(), quick_xml::events::Event::Eof) {
            events += 1;
        }
        events
    });
}
