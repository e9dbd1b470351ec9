//! Issue 16 item 1: a pay bonus line as a level reward. Level "Doctor" (Odoo's shipped rank,
//! 10,000 karma) pays a bonus of 150.00: the level pass records it as an incidental amount
//! dated the day the karma crossed into the level, and the pay run puts it on that period's
//! statement. Hand values, Odoo 17 snapshot: Marc Demo (6, login demo) holds 2,500 karma; a
//! tracking on 25 November takes him to 10,100. His November statement: 5 % of his posted
//! November invoices INV/2026/00001 and 00004 (31,750.00 each) = 3,175.00, plus the bonus
//! 150.00 = 3,325.00. Falling below and crossing again pays nothing more, unless the level
//! says `bonus_each_time`.

use scorekeeper::apply::{ApplyOptions, apply};
use scorekeeper::config::{GamificationConfig, LevelSpec};
use scorekeeper::gamification::levels::OnDrop;
use scorekeeper::jobs::gamification;
use scorekeeper::odoo::OdooClient;
use scorekeeper::pay::{ComponentKind, Period};
use scorekeeper::record::Value as RV;
use scorekeeper::state::State;
use scorekeeper::xmlrpc::{Struct, Value as X};

use crate::support::gamification::apply_options;
use crate::support::pay::d;
use crate::support::{Served, snapshot_sim};

const MARC: i64 = 6;

const PAY: &str = r#"
[odoo]
url = "http://127.0.0.1:8069"
database = "crm17c"
login = "admin"
password_env = "PW"

[pay]
[[pay.plans]]
key = "reps"
name = "Sales reps"
users = ["demo"]
basic = "5%"
incidental = {}
"#;

fn config(each_time: bool) -> GamificationConfig {
    GamificationConfig {
        team_points: vec![],
        schedule: None,
        odoo_challenges: false,
        batch_missing_as_zero: true,
        challenges: vec![],
        point_rules: vec![],
        levels: vec![LevelSpec {
            key: "doctor".into(),
            name: "Doctor".into(),
            karma_min: 10_000,
            badge: "Doctor level".into(),
            bonus: Some(150.0),
            bonus_each_time: each_time,
        }],
        level_drop: OnDrop::Revoke,
        badge_rules: vec![],
    }
}

async fn add_karma(client: &OdooClient, old: i64, new: i64, date: &str) -> i64 {
    let mut v = Struct::new();
    v.push("user_id", X::Int(MARC));
    v.push("old_value", X::Int(old));
    v.push("new_value", X::Int(new));
    v.push("tracking_date", X::from(date));
    client
        .create("gamification.karma.tracking", vec![v])
        .await
        .unwrap()[0]
}

/// (name, user, amount, date) of every incidental amount in the store.
fn bonuses(served: &Served) -> Vec<(String, i64, f64, String)> {
    let store = served.sim.read();
    let m = "x_sk_incidental";
    store
        .all_ids(m)
        .into_iter()
        .map(|id| {
            let v = |f: &str| store.value(m, id, f).unwrap_or(RV::Null);
            (
                v("x_name").as_str().unwrap_or("").to_owned(),
                v("x_user_id").as_many2one().unwrap_or(0),
                v("x_amount").as_f64().unwrap_or(0.0),
                v("x_date").as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

async fn level_pass(client: &OdooClient, cfg: &GamificationConfig, state: &mut State) -> usize {
    let pass = gamification::level_plan(client, cfg).await.unwrap();
    let report = apply(
        &pass.plan,
        state,
        &scorekeeper::jobs::writer(client),
        &apply_options(),
    )
    .await
    .unwrap();
    assert!(report.is_success(), "{report}");
    pass.bonuses
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_level_reached_adds_its_bonus_once_to_that_periods_statement() {
    let served = Served::start(snapshot_sim()).await;
    let admin = served.client("admin", "admin");
    let env = |n: &str| (n == "PW").then(|| "x".to_owned());
    let pay = scorekeeper::config::load_str(std::path::Path::new("pay.toml"), PAY, &env)
        .unwrap()
        .pay
        .unwrap();
    let once = config(false);
    // Without the incidental model the pass says so and records nothing.
    gamification::setup(&admin, &once).await.unwrap();
    let crossed = add_karma(&admin, 2_500, 10_100, "2026-11-25 10:00:00").await;
    let pass = gamification::level_plan(&admin, &once).await.unwrap();
    assert_eq!(pass.bonuses, 0);
    assert!(
        pass.missing
            .iter()
            .any(|m| m.starts_with("level bonuses: no x_sk_incidental model")),
        "{:?}",
        pass.missing
    );
    scorekeeper::jobs::pay::setup(&admin, &pay).await.unwrap();

    let mut state = State::open_in_memory().unwrap();
    assert_eq!(level_pass(&admin, &once, &mut state).await, 1);
    assert_eq!(
        bonuses(&served),
        [(
            "Level Doctor reached on 2026-11-25: bonus [sk:levelbonus:level=doctor:user=6]"
                .to_owned(),
            MARC,
            150.0,
            "2026-11-25".to_owned()
        )]
    );
    assert_eq!(level_pass(&admin, &once, &mut state).await, 0);

    // The statement of November: basic 3,175.00 + bonus 150.00.
    let nov = Period::parse("2026-11").unwrap();
    let out = scorekeeper::jobs::pay::run(
        &admin,
        Some(&mut state),
        &pay,
        nov,
        d("2026-11-26"),
        &ApplyOptions::default(),
    )
    .await
    .unwrap();
    let marc = out.statements.iter().find(|s| s.user == MARC).unwrap();
    assert_eq!(marc.total.0, 332_500);
    let bonus = marc
        .lines
        .iter()
        .find(|l| l.key.component == ComponentKind::Incidental)
        .unwrap();
    assert_eq!(bonus.amount.0, 15_000);
    assert!(
        bonus
            .label
            .starts_with("Level Doctor reached on 2026-11-25"),
        "{}",
        bonus.label
    );

    // Below the level (the badge is revoked) and across it again: no second bonus.
    add_karma(&admin, 10_100, 9_000, "2026-11-26 10:00:00").await;
    assert_eq!(level_pass(&admin, &once, &mut state).await, 0);
    add_karma(&admin, 9_000, 10_200, "2026-11-27 10:00:00").await;
    assert_eq!(level_pass(&admin, &once, &mut state).await, 0);
    assert_eq!(bonuses(&served).len(), 1);
    // With bonus_each_time, the next crossing pays again (keyed by that crossing).
    let each = config(true);
    add_karma(&admin, 10_200, 9_000, "2026-11-28 10:00:00").await;
    level_pass(&admin, &each, &mut state).await;
    let again = add_karma(&admin, 9_000, 10_300, "2026-11-29 10:00:00").await;
    assert!(again > crossed);
    assert_eq!(level_pass(&admin, &each, &mut state).await, 1);
    let all = bonuses(&served);
    assert_eq!(all.len(), 2);
    assert_eq!(
        all[1].0,
        format!(
            "Level Doctor reached on 2026-11-29: bonus [sk:levelbonus:level=doctor:user=6:at={again}]"
        )
    );
    served.stop().await;
}
