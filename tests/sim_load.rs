//! Load measurement (ignored by default): the simulator holding 1,000,000 leads, its RSS,
//! and the time to serve a paged `search_read` of 100,000 leads by `id >` pages of 2,000.
//! Run: `cargo test --release --test lib sim_load -- --ignored --nocapture`.
#![allow(clippy::unwrap_used)]

use std::time::Instant;

use scorekeeper::record::{RecordStore, Value as RV};
use scorekeeper::sim::Sim;
use scorekeeper::xmlrpc::{Struct, Value as X};

fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Copies of the snapshot's leads with varied names, e-mails, revenues and owners.
fn fill(sim: &Sim, n: usize) {
    let mut store = sim.write();
    let templates: Vec<Vec<(String, RV)>> = {
        let fields = [
            "type",
            "country_id",
            "stage_id",
            "team_id",
            "user_id",
            "tag_ids",
            "priority",
            "probability",
            "partner_id",
            "source_id",
            "campaign_id",
            "medium_id",
            "phone",
            "city",
            "company_id",
            "partner_name",
            "contact_name",
        ];
        store
            .all_ids("crm.lead")
            .into_iter()
            .map(|id| {
                fields
                    .iter()
                    .map(|f| {
                        (
                            f.to_string(),
                            store.value("crm.lead", id, f).unwrap_or_default(),
                        )
                    })
                    .collect()
            })
            .collect()
    };
    for i in 0..n {
        let mut values = templates[i % templates.len()].clone();
        values.push((
            "name".into(),
            RV::Str(format!("Load lead {i}: office furniture")),
        ));
        values.push(("email_from".into(), RV::Str(format!("lead{i}@example.com"))));
        values.push((
            "expected_revenue".into(),
            RV::Float((i % 997) as f64 * 100.0),
        ));
        values.push(("active".into(), RV::Bool(true)));
        store.create("crm.lead", values);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "load measurement: run explicitly with --ignored --nocapture"]
async fn one_million_leads() {
    let sim = Sim::from_snapshot_file(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/odoo17/snapshot.json"
    ))
    .unwrap();
    let before = rss_mib();
    let t = Instant::now();
    fill(&sim, 1_000_000);
    let filled = t.elapsed();
    let after = rss_mib();
    println!(
        "1,000,000 leads created in {filled:.2?}; RSS {before:.0} MiB -> {after:.0} MiB \
         ({:.0} bytes/lead)",
        (after - before) * 1024.0 * 1024.0 / 1e6
    );
    assert_eq!(sim.read().count("crm.lead"), 1_000_044);

    let fields: Vec<X> = [
        "name",
        "email_from",
        "country_id",
        "user_id",
        "team_id",
        "stage_id",
        "expected_revenue",
        "probability",
        "tag_ids",
        "priority",
    ]
    .iter()
    .map(|f| X::String((*f).to_owned()))
    .collect();
    let t = Instant::now();
    let mut last = 0;
    let mut served = 0;
    while served < 100_000 {
        let domain = X::Array(vec![X::Array(vec![
            X::String("id".into()),
            X::String(">".into()),
            X::Int(last),
        ])]);
        let kwargs: Struct = [
            ("fields", X::Array(fields.clone())),
            ("limit", X::Int(2000)),
            ("order", X::String("id".into())),
        ]
        .into_iter()
        .collect();
        let page = sim
            .dispatch(
                "object",
                "execute_kw",
                &[
                    X::String("crm17c".into()),
                    X::Int(2),
                    X::String("admin".into()),
                    X::String("crm.lead".into()),
                    X::String("search_read".into()),
                    X::Array(vec![domain]),
                    X::Struct(kwargs),
                ],
            )
            .unwrap();
        let rows = page.as_array().unwrap();
        assert_eq!(rows.len(), 2000);
        last = rows
            .last()
            .and_then(X::as_struct)
            .and_then(|r| r.get("id"))
            .and_then(X::as_i64)
            .unwrap();
        served += rows.len();
    }
    println!(
        "paged search_read of {served} leads (pages of 2,000 by id >): {:.2?}",
        t.elapsed()
    );
    let t = Instant::now();
    let count = sim
        .dispatch(
            "object",
            "execute_kw",
            &[
                X::String("crm17c".into()),
                X::Int(2),
                X::String("admin".into()),
                X::String("crm.lead".into()),
                X::String("search_count".into()),
                X::Array(vec![X::Array(vec![X::Array(vec![
                    X::String("country_id.code".into()),
                    X::String("=".into()),
                    X::String("US".into()),
                ])])]),
            ],
        )
        .unwrap();
    println!(
        "search_count on country_id.code over 1M leads: {count} in {:.2?}",
        t.elapsed()
    );

    // The same paging through the project's client, the codec and HTTP.
    let served = crate::support::Served::start(sim).await;
    let client = served
        .client("admin", "admin")
        .with_batch_size(std::num::NonZeroUsize::new(2000).unwrap());
    let names = [
        "name",
        "email_from",
        "country_id",
        "user_id",
        "team_id",
        "stage_id",
        "expected_revenue",
        "probability",
        "tag_ids",
        "priority",
    ];
    let t = Instant::now();
    let rows = client
        .search_read_all(
            "crm.lead",
            vec![scorekeeper::odoo::leaf("id", "<=", 100_044_i64)],
            &names,
        )
        .await
        .unwrap();
    println!(
        "paged search_read of {} leads over HTTP with the client (pages of 2,000): {:.2?}",
        rows.len(),
        t.elapsed()
    );
    served.stop().await;
}
