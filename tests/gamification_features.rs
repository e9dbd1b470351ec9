//! The gamification features around the engine, against the simulator: config-as-code
//! challenges provisioned by `setup` and computed by the job, the precise error when the bot
//! may not grant a badge, and the leaderboard (Odoo order, `--fair`, CSV).

use std::path::Path;

use scorekeeper::config;
use scorekeeper::gamification::compute::MissingRows;
use scorekeeper::gamification::ranking::Order;
use scorekeeper::jobs::gamification::{self, GamificationError, Options};
use scorekeeper::record::Value as RV;
use scorekeeper::state::State;
use scorekeeper::xmlrpc::{Struct, Value as X};

use crate::support::gamification::{
    apply_options, assert_day_close_computed, options, sim_at_074, sim_at_074_of, today,
};
use crate::support::{Odoo, Served, Wire, over_each_world, snapshot_sim_of, uid_of};

const CONFIG: &str = r#"
[odoo]
url = "http://127.0.0.1:8069"
database = "crm17c"
login = "admin"
password_env = "SK_TEST_PASSWORD"

[gamification]
schedule = "0 * * * *"

[[gamification.challenges]]
name = "Meetings Held"
period = "monthly"
users = ["admin", "demo"]

[[gamification.challenges.lines]]
name = "Meetings held"
model = "calendar.event"
count = true
user_field = "user_id"
date_field = "start"
target = 4
suffix = "meetings"

[[gamification.point_rules]]
key = "won-deal"
name = "Won opportunity"
model = "crm.lead"
domain = "[('probability', '=', 100)]"
user_field = "user_id"
points = 10
"#;

fn load(text: &str) -> Result<config::Config, config::ConfigError> {
    config::load_str(Path::new("/etc/scorekeeper/test.toml"), text, &|_| {
        Some("admin".to_owned())
    })
}

#[test]
fn the_gamification_section_is_validated_with_locations() {
    let cfg = load(CONFIG).unwrap();
    let g = cfg.gamification.unwrap();
    assert_eq!(g.schedule.as_deref(), Some("0 * * * *"));
    assert!(g.odoo_challenges && g.batch_missing_as_zero);
    assert_eq!(g.challenges[0].lines[0].name, "Meetings held");
    assert_eq!(g.point_rules[0].points, 10);
    assert!(
        cfg.field_refs
            .iter()
            .any(|f| f.model == "calendar.event" && f.path == "start")
    );

    let bad = CONFIG
        .replace("count = true", "count = true\nsum = \"duration\"")
        .replace("schedule = \"0 * * * *\"", "schedule = \"hourly\"");
    let err = load(&bad).unwrap_err().to_string();
    assert!(
        err.contains(
            "test.toml:9:12 gamification.schedule: schedule \"hourly\" has 1 fields; expected 5"
        ),
        "{err}"
    );
    assert!(
        err.contains(
            "gamification.challenges[0].lines[0]: give either count = true or sum = \"<field>\""
        ),
        "{err}"
    );
    let bad = CONFIG.replace("key = \"won-deal\"", "key = \"won deal!\"");
    let err = load(&bad).unwrap_err().to_string();
    assert!(err.contains("gamification.point_rules[0].key: \"won deal!\" may only hold ASCII letters, digits and '-'"), "{err}");
}

/// On each world; the expected goals are counted from the snapshot's meetings (17 and 19
/// record different ones), and on 17 also pinned to the figures the recording shows.
async fn setup_provisions_config_challenges_and_the_job_computes_them(wire: Wire) {
    let served = Served::start_over(snapshot_sim_of(wire.odoo()), wire).await;
    let client = served.client("admin", "admin");
    let g = load(CONFIG).unwrap().gamification.unwrap();

    let report = gamification::setup(&client, &g).await.unwrap();
    assert_eq!(report.definitions_created, ["Meetings held"]);
    assert_eq!(report.challenges_created, ["Meetings Held"]);
    let again = gamification::setup(&client, &g).await.unwrap();
    assert!(again.definitions_created.is_empty() && again.challenges_created.is_empty());
    assert_eq!(again.already_there, ["Meetings Held"]);

    let (def, challenge) = {
        let store = served.sim.read();
        let def = *store
            .all_ids("gamification.goal.definition")
            .last()
            .unwrap();
        assert_eq!(
            store.value("gamification.goal.definition", def, "computation_mode"),
            Some(RV::Str("manually".into()))
        );
        let description = store
            .value("gamification.goal.definition", def, "description")
            .unwrap();
        assert!(
            description
                .as_str()
                .unwrap()
                .starts_with("Computed by scorekeeper")
        );
        (
            def,
            *store.all_ids("gamification.challenge").last().unwrap(),
        )
    };

    let mut opts = Options::from_config(&g, today());
    opts.only = Some(vec![challenge]);
    let mut state = State::open_in_memory().unwrap();
    let (outcome, report) = gamification::run(&client, &mut state, &opts, &apply_options())
        .await
        .unwrap();
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    assert_eq!(
        outcome.queries, 1,
        "one read_group on calendar.event for both users"
    );
    let mut got: Vec<(i64, f64, String)> = {
        let store = served.sim.read();
        store
            .all_ids("gamification.goal")
            .into_iter()
            .filter(|id| {
                store.value("gamification.goal", *id, "definition_id") == Some(RV::Many2one(def))
            })
            .map(|id| {
                let v = |f: &str| store.value("gamification.goal", id, f).unwrap();
                (
                    v("user_id").as_many2one().unwrap(),
                    v("current").as_f64().unwrap(),
                    v("state").as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    got.sort_by_key(|g| g.0);
    // Each user's meetings of November 2026 in the data, target 4.
    let expected: Vec<(i64, f64, String)> = {
        let store = served.sim.read();
        [2, uid_of(&served.sim, "demo")]
            .into_iter()
            .map(|uid| {
                let held = store
                    .all_ids("calendar.event")
                    .into_iter()
                    .filter(|id| {
                        let v = |f: &str| store.value("calendar.event", *id, f);
                        v("user_id") == Some(RV::Many2one(uid))
                            && v("start")
                                .as_ref()
                                .and_then(RV::as_str)
                                .is_some_and(|s| s.starts_with("2026-11"))
                    })
                    .count() as f64;
                let state = if held >= 4.0 { "reached" } else { "inprogress" };
                (uid, held, state.to_owned())
            })
            .collect()
    };
    assert!(expected.iter().any(|g| g.1 > 0.0), "{expected:?}");
    assert_eq!(got, expected);
    if wire.odoo() == Odoo::V17 {
        // November 2026: meetings 1, 3, 5 are Mitchell Admin's, 2, 4, 6, 7 Marc Demo's.
        assert_eq!(
            got,
            [
                (2, 3.0, "inprogress".to_owned()),
                (6, 4.0, "reached".to_owned())
            ]
        );
    }
    served.stop().await;
}

over_each_world!(
    setup_provisions_config_challenges_and_the_job_computes_them,
    restricted_badges_check_the_bots_rights_in_each_world,
    the_scheduler_job_refreshes_and_books_karma,
);

/// A bot without Access Rights gets a precise error for restricted badges. Odoo 19 has no
/// `res.users.groups_id` (the rights check crashed on it): there the check goes through the
/// profile's `all_group_ids`, where admin's Access Rights is implied by its role, over JSON-2.
/// With the 17 profile on 19 the check asks for `groups_id` and fails.
async fn restricted_badges_check_the_bots_rights_in_each_world(wire: Wire) {
    let odoo = wire.odoo();
    let served = Served::start_over(sim_at_074_of(odoo), wire).await;
    let demo_uid = uid_of(&served.sim, "demo");
    let admin = served.client("admin", "admin");
    if odoo == Odoo::V17 {
        assert_day_close_computed(&served.sim);
    }
    let mut badge = Struct::new();
    badge.push("name", "Appointment Setter of the Month".into());
    badge.push("rule_auth", "nobody".into());
    let badge_id = admin
        .create("gamification.badge", vec![badge])
        .await
        .unwrap()[0];
    let mut values = Struct::new();
    values.push("reward_id", X::Int(badge_id));
    admin
        .write("gamification.challenge", &[4], values)
        .await
        .unwrap();

    // As admin (Access Rights): the grant is planned.
    let plan = gamification::plan(&admin, &options(MissingRows::Zero))
        .await
        .unwrap();
    assert!(
        plan.plan
            .creates()
            .any(|(m, ..)| m == "gamification.badge.user")
    );

    // As Marc Demo, a salesperson: refused before anything is written.
    let demo = served.client("demo", "demo");
    let err = gamification::plan(&demo, &options(MissingRows::Zero))
        .await
        .unwrap_err();
    assert!(
        matches!(err, GamificationError::GrantRights { uid, .. } if uid == demo_uid),
        "{err}"
    );
    assert!(
        err.to_string().contains(&format!("user \"demo\" (id {demo_uid}) may not grant badge {badge_id} 'Appointment Setter of the Month' (rule_auth = nobody)")),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("add this user to Administration / Access Rights"),
        "{err}"
    );
    served.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leaderboard_ranks_in_odoo_order_or_fairly_and_exports_csv() {
    let served = Served::start(sim_at_074()).await;
    let client = served.client("admin", "admin");
    assert_day_close_computed(&served.sim);
    let mut state = State::open_in_memory().unwrap();
    gamification::run(
        &client,
        &mut state,
        &options(MissingRows::KeepOdoosValue),
        &apply_options(),
    )
    .await
    .unwrap();

    let lb = gamification::leaderboard(&client, "Lead Acquisition", today(), Order::Odoo)
        .await
        .unwrap();
    assert_eq!(lb.period, "2026-11-01..2026-11-30");
    let table = lb.to_table();
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines[0], "Lead Acquisition (2026-11-01..2026-11-30)");
    assert_eq!(
        lines[1],
        "rank  user            New Leads  Time to Qualify a Lead  New Opportunities  completeness %"
    );
    assert_eq!(
        lines[2],
        "1     Mitchell Admin  21/7       3/15                    11/5               100.00"
    );
    assert_eq!(
        lines[3],
        "2     Marc Demo       8/7        16/15                   7/5                66.67"
    );

    let fair = gamification::leaderboard(&client, "4", today(), Order::Fair)
        .await
        .unwrap();
    let csv = fair.to_csv();
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(
        rows[0],
        "rank,user_id,user,New Leads current,New Leads target,Time to Qualify a Lead current,Time to Qualify a Lead target,New Opportunities current,New Opportunities target,% of target"
    );
    // Admin: (300 + 500 + 220) / 3 = 340; Demo: (114.29 + 93.75 + 140) / 3 = 116.01.
    assert_eq!(rows[1], "1,2,Mitchell Admin,21,7,3,15,11,5,340.00");
    assert_eq!(rows[2], "2,6,Marc Demo,8,7,16,15,7,5,116.01");

    // Quarterly report: October to December holds only November's goals here.
    let from = chrono::NaiveDate::from_ymd_opt(2026, 10, 1).unwrap();
    let to = chrono::NaiveDate::from_ymd_opt(2026, 12, 31).unwrap();
    let quarter = gamification::ranking_report(&client, "Lead Acquisition", from, to, Order::Odoo)
        .await
        .unwrap();
    assert_eq!(quarter.period, "2026-10-01..2026-12-31");
    assert_eq!(quarter.rows, lb.rows);
    let html = quarter.to_html();
    assert!(html.starts_with("<!doctype html>"));
    assert!(html.contains("<tr><td>1</td><td>Mitchell Admin</td><td>21 / 7</td><td>3 / 15</td><td>11 / 5</td><td>100.00</td></tr>"), "{html}");

    let missing = gamification::leaderboard(&client, "No Such Challenge", today(), Order::Odoo)
        .await
        .unwrap_err();
    assert_eq!(
        missing.to_string(),
        "no challenge named or numbered \"No Such Challenge\" in Odoo"
    );
    served.stop().await;
}

/// Lead Acquisition computed on 2026-11-22, then closed by a run on 2026-12-01 (manual
/// clock): November's unfinished goal fails and closes although its value did not move,
/// December's goals appear, and November's rewards go to November's winner — once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn period_close_across_the_month_end_on_the_simulator() {
    let served = Served::start(sim_at_074()).await;
    let client = served.client("admin", "admin");
    assert_day_close_computed(&served.sim);
    let mut values = Struct::new();
    values.push("reward_id", X::Int(4));
    values.push("reward_realtime", X::Bool(false));
    values.push("reward_first_id", X::Int(1));
    values.push("reward_second_id", X::Int(2));
    client
        .write("gamification.challenge", &[4], values)
        .await
        .unwrap();
    let mut state = State::open_in_memory().unwrap();
    let mut opts = options(MissingRows::KeepOdoosValue);
    opts.only = Some(vec![4]);
    let (nov, _) = gamification::run(&client, &mut state, &opts, &apply_options())
        .await
        .unwrap();
    assert_eq!(
        nov.plan
            .creates()
            .filter(|(m, ..)| *m == "gamification.badge.user")
            .count(),
        0,
        "nothing before the end"
    );

    opts.start.clear();
    opts.today = chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
    let (dec, report) = gamification::run(&client, &mut state, &opts, &apply_options())
        .await
        .unwrap();
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    let goal = |user: i64, def: i64, start: &str| {
        let store = served.sim.read();
        let id = store
            .all_ids("gamification.goal")
            .into_iter()
            .find(|id| {
                let v = |f: &str| store.value("gamification.goal", *id, f).unwrap_or(RV::Null);
                v("user_id") == RV::Many2one(user)
                    && v("definition_id") == RV::Many2one(def)
                    && v("start_date") == RV::Str(start.into())
            })
            .unwrap();
        let v = |f: &str| store.value("gamification.goal", id, f).unwrap_or(RV::Null);
        (
            v("current").as_f64().unwrap_or(0.0),
            v("state").as_str().unwrap_or("").to_owned(),
            v("closed").as_bool().unwrap_or(false),
        )
    };
    assert_eq!(goal(6, 7, "2026-11-01"), (16.0, "failed".into(), true));
    assert_eq!(goal(2, 7, "2026-11-01"), (3.0, "reached".into(), false));
    assert_eq!(goal(2, 6, "2026-12-01"), (0.0, "inprogress".into(), false));
    assert_eq!(
        dec.plan
            .creates()
            .filter(|(m, ..)| *m == "gamification.goal")
            .count(),
        6
    );

    let grants: Vec<(i64, i64, i64, String)> = {
        let store = served.sim.read();
        store
            .all_ids("gamification.badge.user")
            .into_iter()
            .map(|id| {
                let v = |f: &str| {
                    store
                        .value("gamification.badge.user", id, f)
                        .unwrap_or(RV::Null)
                };
                (
                    v("user_id").as_many2one().unwrap(),
                    v("badge_id").as_many2one().unwrap(),
                    v("challenge_id").as_many2one().unwrap(),
                    v("comment").as_str().unwrap_or("").to_owned(),
                )
            })
            .collect()
    };
    // Mitchell Admin reached all three November goals; Marc Demo failed one and
    // reward_failure is off, so there is no second place.
    assert_eq!(grants.len(), 2, "{grants:?}");
    assert_eq!((grants[0].0, grants[0].1, grants[0].2), (2, 4, 4));
    assert!(
        grants[0]
            .3
            .ends_with("[sk:badge:challenge=4:user=2:badge=4:period=2026-11-01..2026-11-30]"),
        "{}",
        grants[0].3
    );
    assert_eq!((grants[1].0, grants[1].1), (2, 1));
    assert!(
        grants[1]
            .3
            .ends_with("[sk:badge:challenge=4:rank=1:period=2026-11-01..2026-11-30]"),
        "{}",
        grants[1].3
    );

    let again = gamification::plan(&client, &opts).await.unwrap();
    assert!(again.plan.is_empty(), "{:?}", again.plan.changes());
    served.stop().await;
}

/// The scheduler's view: `GamificationJob` reads its section, refreshes the challenges,
/// books karma, and reports what it wrote; a second firing writes nothing. On each world: the
/// 17 and 19 recordings replayed to 074, over XML-RPC and JSON-2.
async fn the_scheduler_job_refreshes_and_books_karma(wire: Wire) {
    use scorekeeper::scheduler::{Job, JobContext};
    let served = Served::start_over(sim_at_074_of(wire.odoo()), wire).await;
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "{}\n[state]\npath = \"{}\"\n",
        CONFIG
            .replace("http://127.0.0.1:8069", &served_url(&served))
            .replace("\"crm17c\"", &format!("\"{}\"", served.sim.database())),
        dir.path().join("state.db").display()
    );
    let cfg = load(&text).unwrap();
    let client = served.client("admin", "admin");
    let ctx = JobContext {
        config: std::sync::Arc::new(cfg),
        odoo: std::sync::Arc::new(client),
        cancel: tokio_util::sync::CancellationToken::new(),
        scheduled_for: Some(
            chrono::NaiveDate::from_ymd_opt(2026, 11, 22)
                .unwrap()
                .and_hms_opt(9, 0, 0)
                .unwrap()
                .and_utc(),
        ),
        progress: Default::default(),
    };
    let job = gamification::GamificationJob;
    assert_eq!(job.name(), "gamification");
    let first = job.run(&ctx).await.unwrap();
    assert!(first.changes_written > 0, "{first:?}");
    assert!(first.summary.contains("karma entries"), "{}", first.summary);
    let second = job.run(&ctx).await.unwrap();
    assert_eq!(second.changes_written, 0, "{second:?}");
    served.stop().await;
}

fn served_url(served: &Served) -> String {
    served.url.clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_waits_for_another_holding_the_state_lock() {
    let served = Served::start(sim_at_074()).await;
    let client = served.client("admin", "admin");
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("state.db");
    let daemon = State::open(&db).unwrap();
    let held = daemon.lock_job("gamification").unwrap();
    let mut cron = State::open(&db).unwrap();
    let opts = options(MissingRows::KeepOdoosValue);
    let before = client.metrics().calls;
    let err = gamification::run(&client, &mut cron, &opts, &apply_options())
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("another scorekeeper run of gamification is applying"),
        "{err}"
    );
    assert_eq!(client.metrics().calls, before, "not a single call to Odoo");
    drop(held);
    let (_, report) = gamification::run(&client, &mut cron, &opts, &apply_options())
        .await
        .unwrap();
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    served.stop().await;
}
