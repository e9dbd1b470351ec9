//! Satisfaction coefficients from Odoo's ratings (`rating.rating`, taught to the simulator
//! from Odoo's source in `support::pay_sim`), golden by hand: a person's submitted ratings of
//! the period, a team leader's with their team's.

use scorekeeper::apply::ApplyOptions;
use scorekeeper::pay::{Period, Ratio, Statement};
use scorekeeper::xmlrpc::{Struct, Value as X};

use crate::support::Served;
use crate::support::pay::d;
use crate::support::pay_sim::pay_sim;

const ADMIN: i64 = 2;
const DEMO: i64 = 6;

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
coefficients = { basic = ["csat"] }

[[pay.coefficients]]
key = "csat"
satisfaction = { target = 4 }
bands = [{ from = "0%", factor = "0.8" }, { from = "90%", factor = "0.95" }, { from = "100%", factor = "1.1" }]
"#;

fn csat(s: &Statement) -> (Option<Ratio>, Ratio) {
    let n = s.coefficients.iter().find(|n| n.key == "csat").unwrap();
    (n.achievement, n.factor)
}

/// By hand, November 2026 (`support::pay_sim`'s ratings):
/// * demo (partner 7): submitted 5, 4 and 2 (the unanswered request, October's 1 and
///   December's 1 do not count): 11 / 3 = 3.666667 → 91.6666 % of 4 → × 0.95. Basic: 5 % of
///   INV/2026/00001 and 00004 (31,750.00 each) = 1,587.50 × 0.95 = 1,508.125 → 1,508.12
///   (half to even) per line: 3,016.24.
/// * admin leads Pre-Sales, whose member is demo: 5, 4, 2 and admin's own 3 = 14 / 4 = 3.5
///   → 87.5 % → × 0.8 (no invoice: 0.00).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn satisfaction_from_odoo_ratings_per_person_and_for_a_team_leader() {
    let served = Served::start(pay_sim()).await;
    let admin = served.client("admin", "admin");
    let mut leader = Struct::new();
    leader.push("user_id", X::Int(ADMIN));
    admin.write("crm.team", &[5], leader).await.unwrap();
    let env = |n: &str| (n == "PW").then(|| "x".to_owned());
    let pay = scorekeeper::config::load_str(std::path::Path::new("pay.toml"), PLANS, &env)
        .unwrap()
        .pay
        .unwrap();
    scorekeeper::jobs::pay::setup(&admin, &pay).await.unwrap();
    let out = scorekeeper::jobs::pay::run(
        &admin,
        None,
        &pay,
        Period::parse("2026-11").unwrap(),
        d("2026-12-02"),
        &ApplyOptions::default(),
    )
    .await
    .unwrap();
    let of = |u: i64| out.statements.iter().find(|s| s.user == u).unwrap();
    assert_eq!(csat(of(DEMO)), (Some(Ratio(916_666)), Ratio(950_000)));
    assert_eq!(of(DEMO).total.0, 301_624);
    assert_eq!(csat(of(ADMIN)), (Some(Ratio(875_000)), Ratio(800_000)));
    assert_eq!(of(ADMIN).total.0, 0);
    served.stop().await;
}
