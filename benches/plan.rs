//! Memory and time of a large plan: building a scoring-like plan of 500,000 writes (the first
//! full pass over a million leads) and grouping it into `write` calls of 2,000 ids. The
//! allocation profiler's `max alloc` is the peak of live heap bytes during one iteration.
#![allow(clippy::unwrap_used)]

use divan::{AllocProfiler, Bencher};
use scorekeeper::plan::{FieldChange, Plan};
use scorekeeper::record::Value;

#[global_allocator]
static ALLOC: AllocProfiler = AllocProfiler::system();

fn main() {
    divan::main();
}

const WRITES: i64 = 500_000;

/// Every other lead of a million, in ascending id order as the scoring job pushes them: the
/// score goes from 0 to one of 100 values, bands above 50 also set the priority, two leads in
/// three get a band tag (≈ 200 distinct value sets), and the reason is one of ≈ 50 texts built
/// afresh for each lead, as the job does.
fn scoring_plan(writes: i64) -> Plan {
    let mut plan = Plan::new("scoring");
    for k in 0..writes {
        let id = 2 * k + 1;
        let score = (k * 7919) % 100;
        let band = score / 25;
        let mut changes = vec![FieldChange::new(
            "x_score",
            Value::Int(0),
            Value::Int(score),
        )];
        if band >= 2 {
            changes.push(FieldChange::new(
                "priority",
                Value::Str("0".into()),
                Value::Str(band.to_string()),
            ));
        }
        if k % 3 != 0 {
            changes.push(FieldChange::new(
                "tag_ids",
                Value::Ids(vec![]),
                Value::Ids(vec![100 + band]),
            ));
        }
        let reason = format!(
            "score band {band} ({} rules matched), band {band}",
            k % 12 + 1
        );
        plan.push_write("crm.lead", id, changes, reason);
    }
    plan
}

#[divan::bench(sample_count = 3, sample_size = 1)]
fn build() -> Plan {
    scoring_plan(WRITES)
}

#[divan::bench(sample_count = 3, sample_size = 1)]
fn group(bencher: Bencher) {
    let plan = scoring_plan(WRITES);
    bencher.bench(|| plan.write_groups(2000));
}
