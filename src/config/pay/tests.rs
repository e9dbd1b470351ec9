//! Tests of the `[pay]` section: valid plans become engine types; every mistake is
//! reported at its file:line:column and key with a hint.

use std::path::Path;

use crate::config::{ConfigError, Diagnostic, load_str};
use crate::pay::components::{AddonPay, ReferralSource};
use crate::pay::tiers::TierMode;
use crate::pay::{ComponentKind, DocumentSource, Members, Money, PeriodKind, Ratio};

const HEAD: &str = r#"[odoo]
url = "http://127.0.0.1:8069"
database = "db"
login = "bot"
password_env = "PW"
"#;

fn load(pay: &str) -> Result<crate::config::Config, ConfigError> {
    let text = format!("{HEAD}{pay}");
    load_str(Path::new("conf/pay.toml"), &text, &|n| {
        (n == "PW").then(|| "x".into())
    })
}

fn diags(pay: &str) -> Vec<Diagnostic> {
    match load(pay) {
        Err(ConfigError::Invalid(d)) => d,
        other => panic!("expected diagnostics, got {other:?}"),
    }
}

fn one(pay: &str) -> String {
    let d = diags(pay);
    assert_eq!(d.len(), 1, "{d:#?}");
    d[0].to_string()
}

#[test]
fn a_full_plan_becomes_engine_types() {
    let c = load(
        r#"
[pay]
currency_decimals = 0
[[pay.plans]]
key = "vn-affiliates"
name = "Cộng tác viên"
team = "Direct Sales"
period = "quarter"
documents = "sale_orders"
basic = 0.05
repeat = { rate = "1.5%", within_months = 6 }
referral = { rate = "2%", utm = true, code_field = "x_referral_code" }
incidental = { }
setter = { per_meeting = 50000, domain = "[('attendee_ids', '!=', False)]" }
coefficients = { basic = ["kpi"] }
[pay.plans.tiers]
mode = "whole"
target = "100000000"
bands = [{ from = "0%", rate = "1%" }, { from = "100%", rate = "2%" }]
[[pay.plans.addons]]
key = "warranty"
products = "[('categ_id.name', '=', 'Warranty')]"
per_unit = "20000"
[[pay.kpis]]
key = "meetings"
model = "calendar.event"
count = true
user_field = "user_id"
date_field = "start"
target = 12.5
[[pay.coefficients]]
key = "kpi"
kpis = ["meetings"]
group = "sales_team.group_sale_salesman"
bands = [{ from = "0%", factor = 0.9 }, { from = "100%", factor = "1.1" }]
"#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let pay = c.pay.unwrap_or_else(|| panic!("[pay]"));
    assert_eq!((pay.currency_decimals, pay.close_after_days), (0, 5));
    let p = &pay.plans[0];
    assert_eq!(p.members, Members::Team("Direct Sales".into()));
    assert_eq!(
        (p.period, p.documents),
        (PeriodKind::Quarter, DocumentSource::SaleOrders)
    );
    assert_eq!(p.user_field, "user_id");
    assert_eq!(p.components.basic, Some(Ratio(50_000)));
    assert_eq!(
        p.components.repeat.map(|r| (r.rate, r.within_months)),
        Some((Ratio(15_000), 6))
    );
    let referral = p.components.referral.as_ref().unwrap_or_else(|| panic!());
    assert_eq!(referral.source, ReferralSource::Utm);
    assert_eq!(
        p.components.setter.as_ref().map(|s| s.per_meeting),
        Some(Money(50_000))
    );
    assert_eq!(
        p.components
            .setter
            .as_ref()
            .map(|s| s.setter_field.as_str()),
        Some("user_id")
    );
    assert_eq!(p.components.addons[0].pay, AddonPay::PerUnit(Money(20_000)));
    let tiers = p.components.tiers.as_ref().unwrap_or_else(|| panic!());
    assert_eq!(
        (tiers.mode, tiers.target),
        (TierMode::Whole, Money(100_000_000))
    );
    assert_eq!(
        p.coefficients[&ComponentKind::Basic],
        vec!["kpi".to_owned()]
    );
    assert_eq!(pay.kpis[0].target, 12_500_000);
    assert_eq!(pay.coefficients[0].bands[0].factor, Ratio(900_000));
    assert!(c.model_refs.iter().any(|m| m.model == "sale.order"));
    assert!(
        c.field_refs
            .iter()
            .any(|f| f.model == "res.users" && f.path == "x_referral_code")
    );
    assert!(c.record_refs.iter().any(|r| r.model == "crm.team"));
    // What only the server can tell: the group resolves, the add-on selects products, the
    // sale order lines it reads exist; and where the plan is, for a person in two plans.
    let groups: Vec<(&str, &str)> = c
        .xml_id_refs
        .iter()
        .map(|r| (r.xml_id.as_str(), r.key.as_str()))
        .collect();
    assert_eq!(
        groups,
        vec![(
            "sales_team.group_sale_salesman",
            "pay.coefficients[0].group"
        )]
    );
    assert_eq!(c.match_refs.len(), 1);
    assert_eq!(c.match_refs[0].model, "product.product");
    assert_eq!(c.match_refs[0].key, "pay.plans[0].addons[0].products");
    assert!(
        c.field_refs
            .iter()
            .any(|f| f.model == "sale.order.line" && f.path == "product_uom_qty")
    );
    assert!(c.located.contains_key("pay.plans[0]") && c.located.contains_key("pay"));
}

#[test]
fn mistakes_point_at_file_line_and_key() {
    let got = one(r#"
[pay]
[[pay.plans]]
key = "a"
name = "A"
users = ["alice"]
basic = "5 percent"
"#);
    assert_eq!(
        got,
        "conf/pay.toml:12:9 pay.plans[0].basic: \"5 percent\" is not a number like \"5%\" or \"0.05\" (hint: a rate like \"5%\", \"2.5%\" or 0.05)"
    );
    let got = one(r#"
[pay]
[[pay.plans]]
key = "a"
name = "A"
users = ["alice"]
period = "week"
basic = "5%"
"#);
    assert!(got.starts_with("conf/pay.toml:12:10 pay.plans[0].period: unknown period \"week\" (hint: month or quarter)"), "{got}");
    let got = one(r#"
[pay]
[[pay.plans]]
key = "a"
name = "A"
users = ["alice"]
basic = "5%"
coefficients = { basic = ["kpl"] }
[[pay.kpis]]
key = "calls"
model = "crm.lead"
count = true
user_field = "user_id"
date_field = "create_date"
target = 1
[[pay.coefficients]]
key = "kpi"
kpis = ["calls"]
bands = [{ from = "0%", factor = 1 }]
"#);
    assert!(got.contains("pay.plans[0].coefficients.basic: unknown coefficient \"kpl\" (hint: did you mean `kpi`?)"), "{got}");
}

#[test]
fn a_person_in_two_plans_for_the_same_component_is_refused_unless_both_stack() {
    let two = |stack: &str| {
        format!(
            r#"
[pay]
[[pay.plans]]
key = "a"
name = "A"
users = ["alice", "bob"]
basic = "5%"
{stack}
[[pay.plans]]
key = "b"
name = "B"
users = ["carol", "bob"]
basic = "2%"
{stack}
"#
        )
    };
    let got = one(&two(""));
    assert!(got.contains("pay.plans[1]: user \"bob\" is also in plan \"a\", and both pay basic (hint: set `stack = true` in both plans"), "{got}");
    assert!(load(&two("stack = true")).is_ok());
}

#[test]
fn bands_start_at_zero_and_ascend() {
    let d = diags(
        r#"
[pay]
[[pay.plans]]
key = "a"
name = "A"
users = ["a"]
[pay.plans.tiers]
mode = "marginal"
target = 1000
bands = [{ from = "10%", rate = "1%" }, { from = "5%", rate = "2%" }]
"#,
    );
    let keys: Vec<&str> = d.iter().map(|d| d.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "pay.plans[0].tiers.bands[0].from",
            "pay.plans[0].tiers.bands[1].from"
        ]
    );
}

#[test]
fn other_mistakes_are_each_reported() {
    for (pay, expect) in [
        (
            "key = \"a b\"\nname = \"A\"\nusers = [\"a\"]\nbasic = \"1%\"",
            "pay.plans[0].key: \"a b\" may only hold",
        ),
        (
            "key = \"a\"\nname = \"A\"\nusers = [\"a\"]\nteam = \"T\"\nbasic = \"1%\"",
            "give exactly one of users, team, group or user_domain",
        ),
        (
            "key = \"a\"\nname = \"A\"\ngroup = \"salesman\"\nbasic = \"1%\"",
            "is not a group XML id",
        ),
        (
            "key = \"a\"\nname = \"A\"\nusers = [\"a\"]",
            "a plan needs at least one component",
        ),
        (
            "key = \"a\"\nname = \"A\"\nusers = [\"a\"]\ndocuments = \"quotes\"\nbasic = \"1%\"",
            "unknown documents \"quotes\"",
        ),
        (
            "key = \"a\"\nname = \"A\"\nusers = [\"a\"]\nbasic = \"-1%\"",
            "must not be negative",
        ),
        (
            "key = \"a\"\nname = \"A\"\nusers = [\"a\"]\nsetter = { per_meeting = \"1.234\", domain = \"[]\" }",
            "at most 2 decimal places",
        ),
        (
            "key = \"a\"\nname = \"A\"\nusers = [\"a\"]\nsetter = { per_meeting = 5, domain = \"[('a', 'like like', 1)]\" }",
            "pay.plans[0].setter.domain",
        ),
        (
            "key = \"a\"\nname = \"A\"\nusers = [\"a\"]\nreferral = { rate = \"1%\" }",
            "give exactly one of partner_field or utm = true",
        ),
        (
            "key = \"a\"\nname = \"A\"\nusers = [\"a\"]\nbasic = \"1%\"\ncoefficients = { tiers = [] }",
            "this plan does not pay tiers",
        ),
        (
            "key = \"a\"\nname = \"A\"\nusers = [\"a\"]\nbasic = \"1%\"\nbonus = 1",
            "unknown key `bonus`",
        ),
    ] {
        let d = diags(&format!("[pay]\n[[pay.plans]]\n{pay}\n"));
        assert!(
            d.iter().any(|d| d.to_string().contains(expect)),
            "{expect}: {d:#?}"
        );
    }
}

#[test]
fn the_documented_pay_example_loads() {
    let text = include_str!("../../../config/pay.toml");
    let c = load_str(Path::new("config/pay.toml"), text, &|n| {
        (n == "SCOREKEEPER_ODOO_PASSWORD").then(|| "x".into())
    })
    .unwrap_or_else(|e| panic!("{e}"));
    let pay = c.pay.unwrap_or_else(|| panic!("[pay]"));
    assert_eq!(pay.plans.len(), 4);
    assert_eq!(pay.coefficients.len(), 2);
}

#[test]
fn a_pay_schedule_is_a_crontab_line() {
    let plan = "[[pay.plans]]\nkey = \"a\"\nname = \"A\"\nusers = [\"a\"]\nbasic = \"1%\"\n";
    let c = load(&format!("[pay]\n{plan}")).unwrap_or_else(|e| panic!("{e}"));
    // The nightly default itself is applied by `jobs::registry` (tested there).
    assert_eq!(c.pay.and_then(|p| p.schedule), None);
    let c = load(&format!("[pay]\nschedule = \"30 1 * * *\"\n{plan}"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        c.pay.and_then(|p| p.schedule).as_deref(),
        Some("30 1 * * *")
    );
    let got = one(&format!("[pay]\nschedule = \"every night\"\n{plan}"));
    assert!(got.contains("pay.schedule"), "{got}");
}
