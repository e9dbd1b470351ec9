//! Cost of the job-independent machinery at scale: grouping a plan into Odoo calls, and a
//! whole apply (journal in an on-disk state database, grouped writes to the in-memory Odoo,
//! outcomes, run completion). Odoo's own time is not in these figures.
#![allow(clippy::unwrap_used)]

use divan::Bencher;
use scorekeeper::apply::{ApplyOptions, MemoryOdoo, apply};
use scorekeeper::plan::{FieldChange, Plan};
use scorekeeper::record::Value;
use scorekeeper::state::State;

fn main() {
    divan::main();
}

/// `n` leads going from score 0 to one of 100 scores.
fn score_plan(n: i64) -> Plan {
    let mut plan = Plan::new("scoring");
    for id in 1..=n {
        plan.push_write(
            "crm.lead",
            id,
            vec![FieldChange::new(
                "x_score",
                Value::Int(0),
                Value::Int(id % 100),
            )],
            "rules",
        );
    }
    plan
}

#[divan::bench(args = [10_000, 100_000])]
fn write_groups(bencher: Bencher, n: i64) {
    let plan = score_plan(n);
    bencher.bench(|| plan.write_groups(2000));
}

#[divan::bench(args = [10_000, 100_000], sample_count = 3, sample_size = 1)]
fn apply_on_disk(bencher: Bencher, n: i64) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let opts = ApplyOptions {
        batch_size: 2000,
        ..ApplyOptions::default()
    };
    bencher
        .with_inputs(|| {
            let dir = tempfile::tempdir().unwrap();
            let state = State::open(dir.path().join("state.db")).unwrap();
            let odoo = MemoryOdoo::new();
            for id in 1..=n {
                odoo.insert("crm.lead", id, vec![("x_score", Value::Int(0))]);
            }
            (dir, state, odoo, score_plan(n))
        })
        .bench_values(|(dir, mut state, odoo, plan)| {
            let report = runtime
                .block_on(apply(&plan, &mut state, &odoo, &opts))
                .unwrap();
            assert!(report.is_success());
            drop(dir);
        });
}

#[divan::bench(args = [100_000], sample_count = 3, sample_size = 1)]
fn journal_only(bencher: Bencher, n: i64) {
    use scorekeeper::state::{EntryChange, EntryStatus, NewEntry};
    bencher
        .with_inputs(|| {
            let dir = tempfile::tempdir().unwrap();
            let state = State::open(dir.path().join("state.db")).unwrap();
            (dir, state)
        })
        .bench_values(|(dir, mut state)| {
            let entries = (1..=n).map(|id| NewEntry {
                model: "crm.lead".into(),
                record_id: Some(id),
                change: EntryChange::Write {
                    field: "x_score".into(),
                    old: Value::Int(0),
                    new: Value::Int(id % 100),
                },
                reason: "rules".into(),
                group: Some(id / 2000),
                status: EntryStatus::Planned,
                detail: None,
            });
            state.begin_run("scoring", None, entries).unwrap();
            drop(dir);
        });
}
