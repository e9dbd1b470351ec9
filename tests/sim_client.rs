//! The project's own Odoo client against the simulator served on 127.0.0.1:0: the daemon's
//! calls (version, authenticate, paging, counts, writes, creates, faults) end to end.
#![allow(clippy::unwrap_used)]

use std::num::NonZeroUsize;
use std::sync::Arc;

use scorekeeper::odoo::{ErrorKind, leaf};
use scorekeeper::record::{RecordStore, Value as RV};

use crate::support::{Served, snapshot_sim};
use scorekeeper::xmlrpc::{Struct, Value as X};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_works_against_the_simulator() {
    let sim = snapshot_sim();
    {
        let mut store = sim.write();
        for i in 0..4_500 {
            store.create(
                "crm.lead",
                vec![
                    ("name".to_owned(), RV::Str(format!("Khách hàng {i}"))),
                    ("type".to_owned(), RV::Str("lead".to_owned())),
                    ("country_id".to_owned(), RV::Many2one(241)),
                    ("active".to_owned(), RV::Bool(true)),
                ],
            );
        }
    }
    let served = Served::start(sim).await;
    let client = served
        .client("admin", "admin")
        .with_batch_size(NonZeroUsize::new(1000).unwrap());
    assert_eq!(client.version().await.unwrap().server_version, "17.0");
    assert_eq!(client.authenticate().await.unwrap(), 2);

    let vn = vec![leaf("country_id.code", "=", "VN")];
    assert_eq!(
        client.search_count("crm.lead", vn.clone()).await.unwrap(),
        4_500
    );
    let all = client
        .search_read_all("crm.lead", vn, &["name", "country_id", "user_id"])
        .await
        .unwrap();
    assert_eq!(all.len(), 4_500);
    assert_eq!(
        all[0].get("name"),
        Some(&X::String("Khách hàng 0".to_owned()))
    );
    assert_eq!(
        all[0].get("country_id"),
        Some(&X::Array(vec![
            X::Int(241),
            X::String("Vietnam".to_owned())
        ]))
    );

    let mut vals = Struct::new();
    vals.push("probability", X::Double(35.0));
    client.write("crm.lead", &[45, 46], vals).await.unwrap();
    assert_eq!(
        served.sim.read().value("crm.lead", 46, "probability"),
        Some(RV::Float(35.0))
    );

    let mut tracking = Struct::new();
    tracking.push("user_id", X::Int(6));
    tracking.push("new_value", X::Int(2600));
    let ids = client
        .create("gamification.karma.tracking", vec![tracking])
        .await
        .unwrap();
    assert_eq!(ids, [16]);
    assert_eq!(
        served.sim.read().value("res.users", 6, "karma"),
        Some(RV::Int(2600))
    );

    let err = client
        .search_count("no.such.model", vec![])
        .await
        .unwrap_err();
    assert_eq!(err.last_line(), Some("Object no.such.model doesn't exist"));

    let wrong = served.client("admin", "not-the-password");
    let err = wrong.authenticate().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AuthenticationFailed, "{err:?}");
    served.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_calls_are_each_atomic() {
    let served = Served::start(snapshot_sim()).await;
    let client = Arc::new(served.client("admin", "admin"));
    let mut tasks = Vec::new();
    for i in 0..16_i64 {
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            if i % 2 == 0 {
                let mut rec = Struct::new();
                rec.push("name", X::String(format!("Concurrent {i}")));
                rec.push("type", X::String("lead".to_owned()));
                client.create("crm.lead", vec![rec]).await.unwrap()
            } else {
                let n = client.search_count("crm.lead", vec![]).await.unwrap();
                assert!((39..=47).contains(&n), "{n}");
                Vec::new()
            }
        }));
    }
    let mut created: Vec<i64> = Vec::new();
    for t in tasks {
        created.extend(t.await.unwrap());
    }
    created.sort_unstable();
    // Eight creates, eight distinct ids from the sequence: no lost or doubled insert.
    assert_eq!(created, (45..53).collect::<Vec<_>>());
    assert_eq!(client.search_count("crm.lead", vec![]).await.unwrap(), 47);
    served.stop().await;
}

fn pinned_clock() -> chrono::NaiveDateTime {
    chrono::NaiveDate::from_ymd_opt(2026, 11, 23)
        .unwrap()
        .and_hms_opt(7, 30, 15)
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_learns_the_server_time_from_the_date_header() {
    let sim = snapshot_sim();
    sim.write().set_clock(pinned_clock);
    let served = Served::start(sim).await;
    let client = served.client("admin", "admin");
    assert_eq!(client.metrics_handle().server_time(), None);
    client.search_count("crm.lead", vec![]).await.unwrap();
    assert_eq!(client.metrics_handle().server_time(), Some(pinned_clock()));
    served.stop().await;
}

/// `check_access_rights(operation, raise_exception=False)`, which `check` asks per model, is
/// answered by the same ACL check that refuses the writes recorded from Odoo 17 (transcripts
/// 092 and 093: the demo user may not write challenges nor create fields); with the default
/// `raise_exception=True` it raises that very fault.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_access_rights_agrees_with_the_recorded_refusals() {
    let served = Served::start(snapshot_sim()).await;
    let ask = |login: &'static str, model: &'static str, op: &'static str| {
        let client = served.client(login, login);
        async move {
            client
                .execute_kw(
                    model,
                    "check_access_rights",
                    vec![X::from(op)],
                    Struct(vec![("raise_exception".to_owned(), X::Bool(false))]),
                )
                .await
                .unwrap()
        }
    };
    for (login, model, op, granted) in [
        ("demo", "gamification.challenge", "write", false),
        ("demo", "gamification.challenge", "read", true),
        ("demo", "ir.model.fields", "create", false),
        ("demo", "gamification.karma.tracking", "create", false),
        ("demo", "crm.lead", "write", true),
        ("admin", "gamification.challenge", "write", true),
        ("admin", "ir.model.fields", "create", true),
        ("admin", "gamification.karma.tracking", "create", true),
    ] {
        assert_eq!(
            ask(login, model, op).await,
            X::Bool(granted),
            "{login} {op} {model}"
        );
    }
    let raised = served
        .client("demo", "demo")
        .execute_kw(
            "gamification.challenge",
            "check_access_rights",
            vec![X::from("write")],
            Struct::default(),
        )
        .await
        .unwrap_err()
        .to_string();
    assert!(
        raised.contains(
            "You are not allowed to modify 'Gamification Challenge' (gamification.challenge) records."
        ) && raised.contains("Administration/Access Rights"),
        "{raised}"
    );
    served.stop().await;
}

/// `read_group` answers in one shape in both worlds, equal to the store's own sums: on Odoo 19
/// the client asks `formatted_read_group` instead (Odoo 19 deprecates `read_group`), whose
/// rows carry `__extra_domain` where `read_group`'s carry `__domain`, and renames its keys.
async fn read_group_has_one_shape_in_both_worlds(wire: crate::support::Wire) {
    use std::collections::BTreeMap;
    let served = Served::start_over(crate::support::snapshot_sim_of(wire.odoo()), wire).await;
    let client = served.client("admin", "admin");
    let rows = client
        .read_group(
            "crm.lead",
            vec![],
            &["expected_revenue:sum"],
            &["user_id"],
            false,
        )
        .await
        .unwrap();
    let mut want: BTreeMap<Option<i64>, (f64, i64)> = BTreeMap::new();
    {
        let store = served.sim.read();
        for id in store.all_ids("crm.lead") {
            if store.value("crm.lead", id, "active") != Some(RV::Bool(true)) {
                continue;
            }
            let user = match store.value("crm.lead", id, "user_id") {
                Some(RV::Many2one(u)) => Some(u),
                _ => None,
            };
            let revenue = match store.value("crm.lead", id, "expected_revenue") {
                Some(RV::Float(f)) => f,
                Some(RV::Int(i)) => i as f64,
                _ => 0.0,
            };
            let e = want.entry(user).or_default();
            e.0 += revenue;
            e.1 += 1;
        }
    }
    let mut got: BTreeMap<Option<i64>, (f64, i64)> = BTreeMap::new();
    for r in &rows {
        let user = r.get("user_id").and_then(X::as_many2one).map(|(id, _)| id);
        let sum = r.get("expected_revenue").and_then(X::as_f64).unwrap();
        let count = r.get("__count").and_then(X::as_i64).unwrap();
        got.insert(user, (sum, count));
        let formatted = wire.odoo().major() >= 19;
        assert_eq!(r.get("__extra_domain").is_some(), formatted, "{r:?}");
        assert_eq!(r.get("__domain").is_some(), !formatted, "{r:?}");
    }
    assert_eq!(got, want);
    served.stop().await;
}

crate::support::over_each_world!(read_group_has_one_shape_in_both_worlds);
