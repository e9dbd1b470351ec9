//! Call counts of a full and a steady-state refresh on a large dataset: the demo dataset
//! (`SK_GAMIFICATION_LEADS` leads, default 20,000; the report's figure uses 100,000) plus
//! extra salespeople up to 62 participants, on "Lead Acquisition" (3 lines). Timings are
//! printed, never asserted.

use std::time::Instant;

use scorekeeper::demo::{DatasetSpec, generate};
use scorekeeper::gamification::compute::MissingRows;
use scorekeeper::jobs::gamification;
use scorekeeper::record::{RecordStore, Value as RV};
use scorekeeper::state::State;
use scorekeeper::xmlrpc::{Struct, Value as X};

use crate::support::Served;
use crate::support::gamification::{apply_options, options, today};

const PARTICIPANTS: usize = 62;

fn add_salespeople(store: &mut dyn RecordStore, how_many: usize) {
    let salesman = store.search_eq(
        "res.groups",
        "name",
        &RV::Str("User: Own Documents Only".into()),
    );
    let internal = store.search_eq("res.groups", "name", &RV::Str("Internal User".into()));
    let groups: Vec<i64> = salesman.into_iter().chain(internal).collect();
    for i in 0..how_many {
        let name = format!("Extra Seller {i:02}");
        let partner = store.create(
            "res.partner",
            vec![
                ("name".into(), RV::Str(name.clone())),
                ("active".into(), RV::Bool(true)),
            ],
        );
        let login = format!("extra{i:02}");
        store.create(
            "res.users",
            vec![
                ("login".into(), RV::Str(login)),
                ("name".into(), RV::Str(name)),
                ("active".into(), RV::Bool(true)),
                ("partner_id".into(), RV::Many2one(partner)),
                ("company_id".into(), RV::Many2one(1)),
                ("company_ids".into(), RV::Ids(vec![1])),
                ("groups_id".into(), RV::Ids(groups.clone())),
            ],
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_calls_stay_within_definitions_plus_six() {
    let leads: usize = std::env::var("SK_GAMIFICATION_LEADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let sim = scorekeeper::sim::Sim::from_snapshot_file(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/odoo17/snapshot.json"
    ))
    .unwrap();
    // The simulator stamps new records (the dataset's, the walk-in leads below) with its own
    // clock: pin it to the evaluation day, or goals would depend on the machine's date.
    let noon = today().and_hms_opt(12, 0, 0).unwrap();
    sim.write().set_clock(move || noon);
    let t = Instant::now();
    let summary = generate(&DatasetSpec::with_leads(leads), &mut *sim.write()).unwrap();
    let served = Served::start(sim).await;
    let client = served.client("admin", "admin");
    let participants = client
        .search_count(
            "res.users",
            vec![X::Array(vec![
                "groups_id".into(),
                "in".into(),
                X::Array(vec![X::Int(21)]),
            ])],
        )
        .await
        .unwrap();
    let missing = PARTICIPANTS.saturating_sub(usize::try_from(participants).unwrap());
    add_salespeople(&mut *served.sim.write(), missing);
    eprintln!(
        "dataset: {} leads, {} demo users + {missing} extra, loaded in {:.1?}",
        summary.count("crm.lead"),
        summary.users.len(),
        t.elapsed()
    );

    // Full refresh: start Lead Acquisition (3 batch definitions) and compute everyone.
    let mut opts = options(MissingRows::Zero);
    opts.only = Some(vec![4]);
    let mut state = State::open_in_memory().unwrap();
    let before = client.metrics().calls;
    let t = Instant::now();
    let first = gamification::plan(&client, &opts).await.unwrap();
    let plan_calls = client.metrics().calls - before;
    eprintln!(
        "full refresh plan: {plan_calls} calls ({} aggregation queries) in {:.1?}; {} goals to create",
        first.queries,
        t.elapsed(),
        first.plan.create_count()
    );
    assert_eq!(first.plan.create_count(), PARTICIPANTS * 3);
    assert_eq!(first.queries, 3, "one read_group per definition and period");
    assert!(
        plan_calls <= 3 + 6 + 1,
        "authentication + definitions + 6, got {plan_calls}"
    );
    let before = client.metrics().calls;
    let (outcome, report) = gamification::run(&client, &mut state, &opts, &apply_options())
        .await
        .unwrap();
    eprintln!(
        "full refresh run (start, re-plan, apply): {} calls; apply {:?}",
        client.metrics().calls - before,
        report.calls
    );
    assert_eq!(report.calls.create, 1, "every goal in one create call");
    assert!(report.failures.is_empty());
    assert_eq!(outcome.plan.create_count(), PARTICIPANTS * 3);

    // Steady state: nothing changed, nothing written.
    opts.start.clear();
    let before = client.metrics().calls;
    let t = Instant::now();
    let (again, report) = gamification::run(&client, &mut state, &opts, &apply_options())
        .await
        .unwrap();
    let calls = client.metrics().calls - before;
    eprintln!(
        "steady-state refresh: {calls} calls in {:.1?}, {} changes",
        t.elapsed(),
        again.plan.changes().len()
    );
    assert!(again.plan.is_empty());
    assert_eq!(report.calls.write + report.calls.create, 0);
    assert!(calls <= 3 + 6, "definitions + 6, got {calls}");

    // Two new leads for one salesperson: only that person's "New Leads" goal is written.
    let seller = summary.users[0].uid;
    let mut lead = Struct::new();
    lead.push("name", "Walk-in".into());
    lead.push("user_id", X::Int(seller));
    lead.push("type", "lead".into());
    client
        .create("crm.lead", vec![lead.clone(), lead])
        .await
        .unwrap();
    let before = client.metrics().calls;
    let (changed, report) = gamification::run(&client, &mut state, &opts, &apply_options())
        .await
        .unwrap();
    eprintln!(
        "after 2 new leads: {} calls, {} goal(s) written",
        client.metrics().calls - before,
        report.records_written
    );
    assert_eq!(
        changed.plan.changes().len(),
        1,
        "{:?}",
        changed.plan.changes()
    );
    assert_eq!(report.records_written, 1);
    served.stop().await;
}
