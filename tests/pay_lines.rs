//! Pay's reads of amounts on the simulator, through the job's own read path
//! (`jobs::pay::run`, planning only): add-ons on invoice lines read from
//! `account.invoice.report` (Odoo 17 and 19), and sale orders in a foreign currency
//! converted to the company currency by the order's `currency_rate`.

use std::collections::BTreeMap;

use scorekeeper::apply::ApplyOptions;
use scorekeeper::jobs::pay::{PayJobError, run, setup};
use scorekeeper::pay::{ComponentKind, PayConfig, Period, Statement};
use scorekeeper::record::{RecordStore, Value};
use scorekeeper::sim::Sim;

use crate::support::pay::d;
use crate::support::{Odoo, Served, snapshot_sim_of};

fn pay_config(text: &str) -> PayConfig {
    let env = |n: &str| (n == "PW").then(|| "x".to_owned());
    scorekeeper::config::load_str(std::path::Path::new("pay.toml"), text, &env)
        .unwrap()
        .pay
        .unwrap()
}

const HEAD: &str = r#"
[odoo]
url = "http://127.0.0.1:8069"
database = "crm17c"
login = "admin"
password_env = "PW"

[pay]
"#;

const ADDONS: &str = r#"
[[pay.plans]]
key = "reps"
name = "Sales reps"
users = ["demo"]

[[pay.plans.addons]]
key = "table"
products = "[('default_code', '=', 'FURN_6741')]"
rate = "10%"

[[pay.plans.addons]]
key = "desk"
products = "[('default_code', '=', 'FURN_8220')]"
per_unit = "15"
"#;

fn s(v: &str) -> Value {
    Value::Str(v.to_owned())
}

/// The `product.product` with this internal reference (the simulator's, from the recording).
fn product(sim: &Sim, code: &str) -> i64 {
    sim.write()
        .search_eq("product.product", "default_code", &s(code))[0]
}

/// Adds a posted credit note of demo's (one Large Meeting Table, 4,000.00) dated
/// 2026-11-15, with its `account.invoice.report` row, as Odoo shows a credit note: quantity
/// and `price_subtotal` negative. Returns its id.
fn credit_note(sim: &Sim, demo: i64, customer: i64) -> i64 {
    let table = product(sim, "FURN_6741");
    let mut store = sim.write();
    let id = store.create(
        "account.move",
        vec![
            ("name".into(), s("RINV/2026/09999")),
            ("move_type".into(), s("out_refund")),
            ("state".into(), s("posted")),
            ("invoice_date".into(), s("2026-11-15")),
            ("invoice_user_id".into(), Value::Many2one(demo)),
            ("partner_id".into(), Value::Many2one(customer)),
            ("commercial_partner_id".into(), Value::Many2one(customer)),
            ("amount_untaxed_signed".into(), Value::Float(-4000.0)),
        ],
    );
    store.create(
        "account.invoice.report",
        vec![
            ("move_id".into(), Value::Many2one(id)),
            ("move_type".into(), s("out_refund")),
            ("state".into(), s("posted")),
            ("invoice_date".into(), s("2026-11-15")),
            ("invoice_user_id".into(), Value::Many2one(demo)),
            ("product_id".into(), Value::Many2one(table)),
            ("quantity".into(), Value::Float(-1.0)),
            ("price_subtotal".into(), Value::Float(-4000.0)),
        ],
    );
    id
}

/// Line subject → amount in cents, for one component of one statement.
fn amounts(s: &Statement, kind: ComponentKind) -> BTreeMap<String, i64> {
    s.lines
        .iter()
        .filter(|l| l.key.component == kind)
        .map(|l| (l.key.subject.clone(), l.amount.0))
        .collect()
}

async fn addons_from_the_report(odoo: Odoo, demo: i64, customer: i64, copies: &[i64]) {
    let sim = snapshot_sim_of(odoo);
    let refund = credit_note(&sim, demo, customer);
    let served = Served::start(sim).await;
    let admin = served.client("admin", "admin");
    let cfg = pay_config(&format!("{HEAD}{ADDONS}"));
    setup(&admin, &cfg).await.unwrap();
    let nov = Period::parse("2026-11").unwrap();
    let out = run(
        &admin,
        None,
        &cfg,
        nov,
        d("2026-11-23"),
        &ApplyOptions::default(),
    )
    .await
    .unwrap();
    assert_eq!(out.statements.len(), 1);
    let statement = &out.statements[0];
    assert_eq!(statement.user, demo);
    // By hand from the recorded report rows: INV/2026/00001 and 00004 (ids 1 and 4) each
    // have 5 Large Meeting Tables for 20,000.00 (10 % = 2,000.00) and 5 Four Person Desks
    // (15.00 × 5 = 75.00); the credit note's table is -4,000.00 → -400.00, and it has no desk.
    let mut expected = BTreeMap::new();
    for m in [1].iter().chain(copies).chain([4].iter()) {
        expected.insert(format!("account.move/{m}/addon:table"), 200_000);
        expected.insert(format!("account.move/{m}/addon:desk"), 7_500);
    }
    expected.insert(format!("account.move/{refund}/addon:table"), -40_000);
    assert_eq!(amounts(statement, ComponentKind::Addon), expected);
    let total: i64 = expected.values().sum();
    assert_eq!(statement.total.0, total);
    served.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn addons_pay_on_invoice_lines_read_from_the_invoice_report() {
    // Demo is uid 6 on 17; Azure Interior is partner 14.
    addons_from_the_report(Odoo::V17, 6, 14, &[]).await;
}

/// On 19 demo (uid 5) also has the copies of INV/2026/00001 and 00004 in My US Company
/// (ids 29 and 32, same lines), as `run_pay_reads_the_snapshot` counts them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_odoo_19_addons_pay_on_invoice_lines_read_from_the_invoice_report() {
    addons_from_the_report(Odoo::V19, 5, 15, &[29, 32]).await;
}

const ORDERS: &str = r#"
[[pay.plans]]
key = "orders"
name = "Order takers"
users = ["admin"]
documents = "sale_orders"
basic = "5%"
"#;

/// Adds a confirmed order of admin's dated 2026-11-10 in `currency` with `rate` (None: no
/// rate stored) and an untaxed amount of 1,000.00. Returns its id.
fn foreign_order(sim: &Sim, currency: &str, rate: Option<f64>) -> i64 {
    let mut store = sim.write();
    let cur = store.search_eq("res.currency", "name", &s(currency))[0];
    let mut values = vec![
        ("name".into(), s("S09999")),
        ("state".into(), s("sale")),
        ("date_order".into(), s("2026-11-10 10:00:00")),
        ("user_id".into(), Value::Many2one(2)),
        ("partner_id".into(), Value::Many2one(11)),
        ("currency_id".into(), Value::Many2one(cur)),
        ("amount_untaxed".into(), Value::Float(1000.0)),
    ];
    if let Some(r) = rate {
        values.push(("currency_rate".into(), Value::Float(r)));
    }
    store.create("sale.order", values)
}

async fn foreign_currency(odoo: Odoo) {
    let sim = snapshot_sim_of(odoo);
    let order = foreign_order(&sim, "EUR", Some(0.92));
    let served = Served::start(sim).await;
    let admin = served.client("admin", "admin");
    let cfg = pay_config(&format!("{HEAD}{ORDERS}"));
    setup(&admin, &cfg).await.unwrap();
    let nov = Period::parse("2026-11").unwrap();
    let out = run(
        &admin,
        None,
        &cfg,
        nov,
        d("2026-11-23"),
        &ApplyOptions::default(),
    )
    .await
    .unwrap();
    let statement = &out.statements[0];
    // By hand: admin's confirmed November orders in USD (rate 1) are S00004 2,240.00,
    // S00006 750.00 and S00007 1,706.00: 5 % → 112.00, 37.50, 85.30. The EUR order is
    // 1,000.00 EUR at 0.92 EUR per USD = 1,086.956… → 1,086.96 USD (rounded once), and
    // 5 % of that is 54.348 → 54.35. Total 289.15.
    let basic = amounts(statement, ComponentKind::Basic);
    assert_eq!(basic.get(&format!("sale.order/{order}")), Some(&5_435));
    let line = statement
        .lines
        .iter()
        .find(|l| l.key.subject == format!("sale.order/{order}"))
        .unwrap();
    assert_eq!(
        line.base,
        scorekeeper::pay::Base::Amount(scorekeeper::pay::Money(108_696))
    );
    assert_eq!(basic.get("sale.order/4"), Some(&11_200));
    assert_eq!(statement.total.0, 28_915);
    served.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_foreign_currency_order_is_paid_on_its_company_currency_amount() {
    foreign_currency(Odoo::V17).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_odoo_19_a_foreign_currency_order_is_paid_on_its_company_currency_amount() {
    foreign_currency(Odoo::V19).await;
}

/// An order without a rate is refused with its name, never paid as if the rate were 1 or the
/// amount 0. (Odoo reads an empty float field as 0.0, so "missing" arrives as 0.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_without_a_currency_rate_is_refused_by_name() {
    let sim = snapshot_sim_of(Odoo::V17);
    let order = foreign_order(&sim, "EUR", None);
    let served = Served::start(sim).await;
    let admin = served.client("admin", "admin");
    let cfg = pay_config(&format!("{HEAD}{ORDERS}"));
    setup(&admin, &cfg).await.unwrap();
    let nov = Period::parse("2026-11").unwrap();
    let err = run(
        &admin,
        None,
        &cfg,
        nov,
        d("2026-11-23"),
        &ApplyOptions::default(),
    )
    .await
    .unwrap_err();
    match &err {
        PayJobError::CurrencyRate { name, id, got } => {
            assert_eq!((name.as_str(), *id, got.as_str()), ("S09999", order, "0"));
        }
        other => panic!("expected a currency-rate error, got {other}"),
    }
    assert!(err.to_string().contains("sale order S09999"), "{err}");
    served.stop().await;
}
