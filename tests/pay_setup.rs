//! Pay's `setup` against the simulator (Odoo 17 snapshot): the default incidental model is
//! provisioned beside the statements (model, fields, rights, views, menu), a second setup
//! writes nothing, a manager records an amount that the salesperson alone reads and the run
//! pays; and a setup failing half-way deletes everything it had created, so the next one
//! starts clean.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use scorekeeper::apply::ApplyOptions;
use scorekeeper::jobs::pay::models::INCIDENTAL;
use scorekeeper::jobs::pay::{SetupError, setup};
use scorekeeper::odoo::{OdooClient, leaf};
use scorekeeper::pay::{ComponentKind, PayConfig, Period};
use scorekeeper::record::FieldType;
use scorekeeper::sim::Sim;
use scorekeeper::xmlrpc::{Struct, Value as X};

use crate::support::fake_odoo::{FakeOdoo, Reply, client_at};
use crate::support::pay::d;
use crate::support::{Served, snapshot_sim};

const ADMIN: i64 = 2;
const DEMO: i64 = 6;

/// What setup writes to: the meta models of custom models, rights and screens.
const META: [&str; 8] = [
    "ir.model",
    "ir.model.fields",
    "ir.model.fields.selection",
    "ir.model.access",
    "ir.rule",
    "ir.ui.view",
    "ir.actions.act_window",
    "ir.ui.menu",
];

fn meta_counts(sim: &Sim) -> BTreeMap<&'static str, usize> {
    let store = sim.read();
    META.iter().map(|m| (*m, store.count(m))).collect()
}

const PLANS: &str = r#"
[odoo]
url = "http://127.0.0.1:8069"
database = "crm17c"
login = "admin"
password_env = "PW"

[pay]
[[pay.plans]]
key = "reps"
name = "Sales reps"
users = ["demo", "admin"]
basic = "5%"
incidental = {}
"#;

fn pay_config() -> PayConfig {
    let env = |n: &str| (n == "PW").then(|| "x".to_owned());
    scorekeeper::config::load_str(std::path::Path::new("pay.toml"), PLANS, &env)
        .unwrap()
        .pay
        .unwrap()
}

fn incidental(user: i64, name: &str, amount: f64, date: &str) -> Struct {
    let mut v = Struct::new();
    v.push("x_user_id", X::Int(user));
    v.push("x_name", X::from(name));
    v.push("x_amount", X::Double(amount));
    v.push("x_date", X::from(date));
    v
}

async fn model_exists(client: &OdooClient, model: &str) -> bool {
    !client
        .search(
            "ir.model",
            vec![leaf("model", "=", model)],
            &Default::default(),
        )
        .await
        .unwrap()
        .is_empty()
}

/// By hand: demo's November invoices are INV/2026/00001 and 00004 (31,750.00 each, see
/// `pay_e2e`), 5 % = 3,175.00, plus the 150.00 the manager recorded = 3,325.00; admin has no
/// invoice and 30.00 recorded for November (the December amount is another period's).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn setup_provisions_the_incidental_model_managers_record_amounts_the_run_pays_them() {
    let served = Served::start(snapshot_sim()).await;
    let admin = served.client("admin", "admin");
    let pay = pay_config();
    let report = setup(&admin, &pay).await.unwrap();
    assert_eq!(
        report.created.last().map(String::as_str),
        Some("model x_sk_incidental (incidental amounts), its access rights, views and CRM menu"),
        "{report:?}"
    );
    assert!(model_exists(&admin, INCIDENTAL).await);
    let def = admin
        .fields_get(INCIDENTAL, &["type", "relation", "required"])
        .await
        .unwrap();
    let field = |f: &str| def.field(f).unwrap_or_else(|| panic!("no {f}"));
    assert_eq!(field("x_user_id").relation.as_deref(), Some("res.users"));
    assert!(field("x_user_id").required && field("x_date").required);
    assert_eq!(field("x_amount").ty, FieldType::Float);
    assert_eq!(field("x_date").ty, FieldType::Date);
    assert_eq!(field("x_name").ty, FieldType::Char);

    // A second setup finds everything and writes nothing.
    let before = meta_counts(&served.sim);
    let again = setup(&admin, &pay).await.unwrap();
    assert!(again.created.is_empty(), "{again:?}");
    assert_eq!(
        again.already_there,
        vec![
            "x_sk_statement, x_sk_statement_line".to_owned(),
            INCIDENTAL.to_owned()
        ]
    );
    assert_eq!(meta_counts(&served.sim), before);

    // The manager records amounts; the salesperson reads only their own and records none.
    admin
        .create(
            INCIDENTAL,
            vec![
                incidental(DEMO, "Trade fair bonus", 150.0, "2026-11-20"),
                incidental(ADMIN, "Team dinner refund", 30.0, "2026-11-05"),
                incidental(DEMO, "Next month", 99.0, "2026-12-02"),
            ],
        )
        .await
        .unwrap();
    let demo = served.client("demo", "demo");
    let own = demo
        .search_read_all(INCIDENTAL, vec![], &["x_user_id", "x_amount"])
        .await
        .unwrap();
    assert_eq!(own.len(), 2);
    assert!(own.iter().all(|r| {
        r.get("x_user_id")
            .and_then(X::as_many2one)
            .map(|(id, _)| id)
            == Some(DEMO)
    }));
    let refused = demo
        .create(
            INCIDENTAL,
            vec![incidental(DEMO, "Self-awarded", 1e6, "2026-11-21")],
        )
        .await
        .unwrap_err();
    assert!(
        refused.to_string().contains("not allowed to create"),
        "{refused}"
    );

    let nov = Period::parse("2026-11").unwrap();
    let planned = scorekeeper::jobs::pay::run(
        &admin,
        None,
        &pay,
        nov,
        d("2026-11-23"),
        &ApplyOptions::default(),
    )
    .await
    .unwrap();
    let totals: BTreeMap<i64, i64> = planned
        .statements
        .iter()
        .map(|s| (s.user, s.total.0))
        .collect();
    assert_eq!(totals, BTreeMap::from([(ADMIN, 3_000), (DEMO, 332_500)]));
    let demo_incidental: Vec<(String, i64)> = planned
        .statements
        .iter()
        .filter(|s| s.user == DEMO)
        .flat_map(|s| &s.lines)
        .filter(|l| l.key.component == ComponentKind::Incidental)
        .map(|l| (l.label.clone(), l.amount.0))
        .collect();
    assert_eq!(
        demo_incidental,
        vec![("Trade fair bonus".to_owned(), 15_000)]
    );
    served.stop().await;
}

/// The simulator behind a fake server that refuses the incidental menu while `fail` is set
/// (as an Odoo whose worker dies on that request would): everything else is the simulator's
/// own answer.
fn failing_menu(sim: Arc<Sim>, fail: Arc<AtomicBool>) -> FakeOdoo {
    FakeOdoo::start(move |req, _| {
        let call = req.call();
        let service = req.path.rsplit('/').next().unwrap_or_default().to_owned();
        let menu = req.target() == ("ir.ui.menu".to_owned(), "create".to_owned())
            && req.args()[0]
                .as_array()
                .and_then(|l| l.first())
                .and_then(X::as_struct)
                .and_then(|v| v.get("name"))
                == Some(&X::from("Incidental Amounts"));
        if menu && fail.load(Ordering::SeqCst) {
            return Reply::fault(
                1,
                "Traceback (most recent call last):\nMemoryError: injected by the test",
            );
        }
        match sim.dispatch(&service, &call.name, &call.params) {
            Ok(v) => Reply::value(v),
            Err(f) => Reply::fault(f.code, &f.string),
        }
    })
}

/// By hand, what setup had created when the incidental menu failed: the statement model and
/// its `x_user_id`, the line model, `x_statement_id`, `x_line_ids` (5); 2 rights and 2 rules
/// per statement model (13); 3 views, the action and the menu (18); the incidental model and
/// its `x_user_id` (20), 2 rights and 2 rules (24), 2 views and the action (27).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn setup_failing_half_way_deletes_what_it_created_and_the_next_one_starts_clean() {
    let sim = Arc::new(snapshot_sim());
    let fail = Arc::new(AtomicBool::new(true));
    let server = failing_menu(sim.clone(), fail.clone());
    let admin = client_at(&server.url(), Duration::from_secs(30), 1, "admin");
    let pay = pay_config();
    let before = meta_counts(&sim);

    let err = setup(&admin, &pay).await.unwrap_err();
    assert!(
        matches!(err, SetupError::RolledBack { undone: 27, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("deleted again"), "{err}");
    assert_eq!(meta_counts(&sim), before, "nothing left behind");
    for model in ["x_sk_statement", "x_sk_statement_line", INCIDENTAL] {
        assert!(!model_exists(&admin, model).await, "{model}");
    }

    fail.store(false, Ordering::SeqCst);
    let report = setup(&admin, &pay).await.unwrap();
    assert_eq!(report.created.len(), 4, "{report:?}");
    assert!(model_exists(&admin, INCIDENTAL).await);
}

/// One statement model without the other (an interrupted setup whose clean-up failed, or a
/// model deleted by hand): setup does not guess, writes nothing and says what to delete.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn setup_refuses_half_a_model_group_and_writes_nothing() {
    let served = Served::start(snapshot_sim()).await;
    let admin = served.client("admin", "admin");
    let mut vals = Struct::new();
    vals.push("name", X::from("Commission Statement"));
    vals.push("model", X::from("x_sk_statement"));
    admin.create("ir.model", vec![vals]).await.unwrap();
    let before = meta_counts(&served.sim);
    let err = setup(&admin, &pay_config()).await.unwrap_err();
    assert!(
        matches!(&err, SetupError::HalfThere { found, missing }
            if found == "x_sk_statement" && missing == "x_sk_statement_line"),
        "{err:?}"
    );
    assert!(err.to_string().contains("delete x_sk_statement"), "{err}");
    assert_eq!(meta_counts(&served.sim), before);
    served.stop().await;
}
