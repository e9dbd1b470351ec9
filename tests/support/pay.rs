//! The pay fixture computed by hand in `tests/pay_golden.rs` (and reused by the property
//! tests): a config with one plan per kind of person, and November 2026's documents.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use chrono::NaiveDate;
use scorekeeper::pay::coefficient::KpiValues;
use scorekeeper::pay::{
    DocLine, Document, DocumentSource, Incidental, Input, Meeting, Money, PayConfig, Qty,
};

pub const ALICE: i64 = 10;
pub const BOB: i64 = 11;
pub const TINA: i64 = 20;
pub const CARL: i64 = 30;
pub const DORA: i64 = 31;
pub const MONA: i64 = 40;
pub const WARRANTY: i64 = 500;
pub const INSTALL: i64 = 501;

pub const CONFIG: &str = r#"
[odoo]
url = "http://127.0.0.1:8069"
database = "crm17c"
login = "admin"
password_env = "SCOREKEEPER_ODOO_PASSWORD"

[pay]
currency_decimals = 2
close_after_days = 5

[[pay.plans]]
key = "affiliates"
name = "Affiliates"
users = ["alice", "bob"]
basic = "5%"
repeat = { rate = "2%", within_months = 12 }
referral = { rate = "3%", partner_field = "x_referrer_id" }
incidental = {}
coefficients = { basic = ["care"] }

[[pay.plans.addons]]
key = "warranty"
products = "[('default_code', '=like', 'WAR%')]"
rate = "10%"

[[pay.plans.addons]]
key = "install"
products = "[('default_code', '=', 'INST')]"
per_unit = "25"

[[pay.plans]]
key = "field-reps"
name = "Field reps (marginal)"
users = ["carl"]
[pay.plans.tiers]
mode = "marginal"
target = "10000"
bands = [{ from = "0%", rate = "2%" }, { from = "100%", rate = "4%" }, { from = 1.5, rate = 0.06 }]

[[pay.plans]]
key = "field-reps-whole"
name = "Field reps (whole amount)"
users = ["dora"]
[pay.plans.tiers]
mode = "whole"
target = 10000
bands = [{ from = "0%", rate = "2%" }, { from = "100%", rate = "4%" }, { from = "150%", rate = "6%" }]

[[pay.plans]]
key = "setters"
name = "Telemarketers"
users = ["tina"]
setter = { per_meeting = "20", domain = "[('x_qualified', '=', True)]" }

[[pay.plans]]
key = "managers"
name = "Managers"
users = ["mona"]
basic = "1%"
coefficients = { basic = ["csat"] }

[[pay.kpis]]
key = "calls"
model = "crm.lead"
count = true
domain = "[('type', '=', 'opportunity')]"
user_field = "user_id"
date_field = "create_date"
target = 20

[[pay.coefficients]]
key = "care"
kpis = ["calls"]
group = "sales_team.group_sale_salesman"
bands = [{ from = "0%", factor = "0.8" }, { from = "100%", factor = "1" }, { from = "120%", factor = "1.25" }]

[[pay.coefficients]]
key = "csat"
satisfaction = { target = 4 }
bands = [{ from = "0%", factor = "0.9" }, { from = "100%", factor = "1.1" }]
"#;

pub fn config() -> PayConfig {
    let env = |name: &str| (name == "SCOREKEEPER_ODOO_PASSWORD").then(|| "pw".to_owned());
    let c = scorekeeper::config::load_str(Path::new("pay.toml"), CONFIG, &env)
        .unwrap_or_else(|e| panic!("{e}"));
    c.pay.expect("[pay]")
}

pub fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

pub fn m(cents: i64) -> Money {
    Money(cents)
}

pub fn line(product: i64, qty: i64, cents: i64) -> DocLine {
    DocLine {
        product: Some(product),
        qty: Qty(qty * 1000),
        amount: Money(cents),
    }
}

#[allow(clippy::too_many_arguments)]
pub fn inv(
    id: i64,
    name: &str,
    date: &str,
    user: i64,
    customer: i64,
    cents: i64,
    reverses: Option<i64>,
    referrer: Option<i64>,
    lines: Vec<DocLine>,
) -> Document {
    Document {
        source: DocumentSource::Invoices,
        id,
        name: name.into(),
        date: d(date),
        salesperson: Some(user),
        customer: Some(customer),
        amount: Money(cents),
        reverses,
        referrer,
        lines,
    }
}

/// The documents, meetings and values of the fixture (see `pay_golden.rs` for the sums).
pub fn input() -> Input {
    let mut members = BTreeMap::new();
    for (plan, users) in [
        ("affiliates", vec![ALICE, BOB]),
        ("field-reps", vec![CARL]),
        ("field-reps-whole", vec![DORA]),
        ("setters", vec![TINA]),
        ("managers", vec![MONA]),
    ] {
        members.insert(plan.to_owned(), users.into_iter().collect::<BTreeSet<_>>());
    }
    let names = [
        (ALICE, "Alice Nguyễn"),
        (BOB, "Bob 王"),
        (TINA, "Tina Смирнова"),
        (CARL, "Carl"),
        (DORA, "Dora"),
        (MONA, "Mona"),
    ]
    .into_iter()
    .map(|(id, n)| (id, n.to_owned()))
    .collect();
    let documents = vec![
        // History: customer 100 bought in March (repeat window), customer 300 in Oct 2025.
        inv(
            1,
            "INV/2026/0001",
            "2026-03-10",
            ALICE,
            100,
            50_000,
            None,
            None,
            vec![],
        ),
        inv(
            2,
            "INV/2025/0950",
            "2025-10-01",
            ALICE,
            300,
            70_000,
            None,
            None,
            vec![],
        ),
        // October (locked in the fixture's stored statements).
        inv(
            89,
            "INV/2026/0089",
            "2026-10-05",
            ALICE,
            600,
            100_000,
            None,
            None,
            vec![line(1, 1, 100_000)],
        ),
        inv(
            91,
            "RINV/2026/0091",
            "2026-10-28",
            ALICE,
            600,
            -10_000,
            Some(89),
            None,
            vec![line(1, -1, -10_000)],
        ),
        // November.
        inv(
            101,
            "INV/2026/0101",
            "2026-11-03",
            ALICE,
            100,
            100_000,
            None,
            Some(BOB),
            vec![line(1, 1, 80_000), line(WARRANTY, 1, 20_000)],
        ),
        inv(
            102,
            "INV/2026/0102",
            "2026-11-10",
            ALICE,
            200,
            30_000,
            None,
            None,
            vec![line(INSTALL, 2, 30_000)],
        ),
        inv(
            103,
            "INV/2026/0103",
            "2026-11-12",
            ALICE,
            300,
            200_000,
            None,
            Some(ALICE),
            vec![line(1, 1, 200_000)],
        ),
        inv(
            104,
            "RINV/2026/0104",
            "2026-11-20",
            ALICE,
            100,
            -20_000,
            Some(101),
            Some(BOB),
            vec![line(WARRANTY, -1, -20_000)],
        ),
        inv(
            105,
            "INV/2026/0105",
            "2026-11-18",
            CARL,
            400,
            1_200_000,
            None,
            None,
            vec![],
        ),
        inv(
            106,
            "INV/2026/0106",
            "2026-11-25",
            CARL,
            401,
            350_000,
            None,
            None,
            vec![],
        ),
        inv(
            107,
            "INV/2026/0107",
            "2026-11-21",
            DORA,
            402,
            1_500_000,
            None,
            None,
            vec![],
        ),
        inv(
            108,
            "INV/2026/0108",
            "2026-11-08",
            MONA,
            403,
            500_000,
            None,
            None,
            vec![],
        ),
    ];
    let mut addon_products = BTreeMap::new();
    addon_products.insert("affiliates/warranty".to_owned(), BTreeSet::from([WARRANTY]));
    addon_products.insert("affiliates/install".to_owned(), BTreeSet::from([INSTALL]));
    let meeting = |id, name: &str, date| Meeting {
        id,
        name: name.into(),
        date: d(date),
        setter: Some(TINA),
    };
    let mut meetings = BTreeMap::new();
    meetings.insert(
        "setters".to_owned(),
        vec![
            meeting(900, "Demo at customer 400", "2026-11-05"),
            meeting(901, "Site visit", "2026-11-06"),
            meeting(902, "December meeting", "2026-12-01"),
        ],
    );
    let mut incidentals = BTreeMap::new();
    incidentals.insert(
        "affiliates".to_owned(),
        vec![Incidental {
            id: 7,
            name: "Trade fair bonus".into(),
            date: d("2026-11-15"),
            user: ALICE,
            amount: Money(15_000),
        }],
    );
    let mut nov = KpiValues::new();
    nov.insert(("calls".into(), ALICE), 24_000_000); // 120 % → × 1.25
    nov.insert(("calls".into(), BOB), 30_000_000); // not in the group: × 1
    nov.insert(("csat".into(), MONA), 4_600_000); // 115 % → × 1.1
    let mut oct = KpiValues::new();
    oct.insert(("calls".into(), ALICE), 20_000_000); // 100 % → × 1
    let kpis = BTreeMap::from([("2026-11".to_owned(), nov), ("2026-10".to_owned(), oct)]);
    let groups = BTreeMap::from([("care".to_owned(), BTreeSet::from([ALICE]))]);
    Input {
        members,
        names,
        documents,
        addon_products,
        meetings,
        incidentals,
        kpis,
        groups,
    }
}
