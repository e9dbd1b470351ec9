//! The `search` (ids only) path: a 1,000,000-id answer decoded by the incremental decoder fed
//! in 16 KiB chunks, against the generic decoder on the same body; and the memory an `IdSet`
//! holds for a million dense or sparse ids (printed before the timings).
#![allow(clippy::unwrap_used)]

use std::sync::LazyLock;

use divan::Bencher;
use divan::counter::BytesCount;
use scorekeeper::record::{IdSet, IdSetBuilder};
use scorekeeper::xmlrpc::{
    IdsDecoder, IdsResponse, MethodResponse, Value, decode_response, encode_response,
};

const IDS: i64 = 1_000_000;
const CHUNK: usize = 16 * 1024;

fn main() {
    let dense: IdSet = dense_ids().collect();
    let sparse: IdSet = sparse_ids().collect();
    let mut building = IdSetBuilder::new();
    let mut peak = 0;
    for id in sparse_ids() {
        building.push(id);
        peak = peak.max(building.heap_bytes());
    }
    eprintln!(
        "answer body: {} bytes for {IDS} ids\n\
         IdSet heap, 1M dense ids (1..=1M): {} bytes (bitmap: {})\n\
         IdSet heap, 1M sparse ids (about 1 in 2,000): {} bytes (bitmap: {}); builder peak {} bytes",
        BODY.len(),
        dense.heap_bytes(),
        dense.is_bitmap(),
        sparse.heap_bytes(),
        sparse.is_bitmap(),
        peak,
    );
    divan::main();
}

fn dense_ids() -> impl Iterator<Item = i64> {
    1..=IDS
}

/// Ids spread over 0..2^31, in no order.
fn sparse_ids() -> impl Iterator<Item = i64> {
    (0..IDS).map(|i| (i * 2_000 + (i * 7_919) % 1_999) % (1 << 31))
}

/// The answer to a `search` matching a million leads, as Odoo lays it out (≈ 35 bytes an id).
static BODY: LazyLock<Vec<u8>> = LazyLock::new(|| {
    encode_response(&MethodResponse::Success(Value::Array(
        dense_ids().map(Value::Int).collect(),
    )))
});

#[divan::bench]
fn decode_1m_ids_in_16k_chunks(bencher: Bencher) {
    let body = &*BODY;
    bencher.counter(BytesCount::new(body.len())).bench(|| {
        let mut decoder = IdsDecoder::new();
        for chunk in body.chunks(CHUNK) {
            decoder.feed(chunk);
        }
        match decoder.finish().unwrap() {
            IdsResponse::Ids(ids) => ids,
            IdsResponse::Other(_) => panic!("not ids"),
        }
    });
}

/// Today's path: the whole body, the generic decoder, then a `Vec<i64>`.
#[divan::bench]
fn decode_1m_ids_generic(bencher: Bencher) {
    let body = &*BODY;
    bencher.counter(BytesCount::new(body.len())).bench(|| {
        let Ok(MethodResponse::Success(Value::Array(items))) = decode_response(body) else {
            panic!("not an array");
        };
        items
            .iter()
            .map(|v| v.as_i64().unwrap())
            .collect::<Vec<i64>>()
    });
}

#[divan::bench]
fn build_1m_dense(bencher: Bencher) {
    bencher.bench(|| dense_ids().collect::<IdSet>());
}

#[divan::bench]
fn build_1m_sparse(bencher: Bencher) {
    bencher.bench(|| sparse_ids().collect::<IdSet>());
}

#[divan::bench(args = [true, false])]
fn contains_1m_probes(bencher: Bencher, dense: bool) {
    let set: IdSet = if dense {
        dense_ids().collect()
    } else {
        sparse_ids().collect()
    };
    bencher.bench(|| {
        (0..IDS)
            .map(|i| i * 1_999)
            .filter(|&id| set.contains(id))
            .count()
    });
}
