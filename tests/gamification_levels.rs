//! Issue 16 item 1: levels with rewards. The config's levels name Odoo's karma ranks; `setup`
//! creates their badges; the level pass grants a level's badge once per crossing, keyed by
//! the tracking that crossed; falling below the level keeps or revokes the badge as the
//! config says, and says so. Values by hand from the Odoo 17 snapshot: Mitchell Admin (2)
//! crossed both levels with tracking 13 (0 → 2000), Marc Demo (6) with tracking 3
//! (0 → 1000); Joel Willis (7) holds 30 karma; OdooBot (1) is archived.

use std::collections::BTreeMap;

use scorekeeper::apply;
use scorekeeper::config::{GamificationConfig, LevelSpec};
use scorekeeper::gamification::levels::OnDrop;
use scorekeeper::jobs::gamification;
use scorekeeper::odoo::OdooClient;
use scorekeeper::record::Value as RV;
use scorekeeper::state::State;
use scorekeeper::xmlrpc::{Struct, Value as X};

use crate::support::gamification::apply_options;
use crate::support::{Served, snapshot_sim};

pub(crate) fn level_config(drop: OnDrop) -> GamificationConfig {
    let level = |key: &str, name: &str, karma_min: i64| LevelSpec {
        key: key.into(),
        name: name.into(),
        karma_min,
        badge: format!("{name} level"),
        bonus: None,
        bonus_each_time: false,
    };
    GamificationConfig {
        team_points: vec![],
        schedule: None,
        odoo_challenges: false,
        batch_missing_as_zero: true,
        challenges: vec![],
        point_rules: vec![],
        levels: vec![
            level("student", "Student", 100),
            level("bachelor", "Bachelor", 500),
        ],
        level_drop: drop,
        badge_rules: vec![],
    }
}

/// A karma tracking as Odoo's "Add Manually" makes one, dated after the snapshot's; its id.
async fn add_karma(client: &OdooClient, user: i64, old: i64, new: i64, date: &str) -> i64 {
    let mut v = Struct::new();
    v.push("user_id", X::Int(user));
    v.push("old_value", X::Int(old));
    v.push("new_value", X::Int(new));
    v.push("tracking_date", X::from(date));
    client
        .create("gamification.karma.tracking", vec![v])
        .await
        .unwrap()[0]
}

/// Level grants in the store: (badge name, user) → their keys.
fn level_grants(served: &Served) -> BTreeMap<(String, i64), Vec<String>> {
    let store = served.sim.read();
    let mut out: BTreeMap<(String, i64), Vec<String>> = BTreeMap::new();
    for id in store.all_ids("gamification.badge.user") {
        let v = |f: &str| {
            store
                .value("gamification.badge.user", id, f)
                .unwrap_or(RV::Null)
        };
        let Some(key) = v("x_sk_key").as_str().map(str::to_owned) else {
            continue;
        };
        if !key.starts_with("level:") {
            continue;
        }
        let badge = v("badge_id").as_many2one().unwrap();
        let name = store
            .value("gamification.badge", badge, "name")
            .and_then(|n| n.as_str().map(str::to_owned))
            .unwrap();
        out.entry((name, v("user_id").as_many2one().unwrap()))
            .or_default()
            .push(key);
    }
    out
}

async fn pass_and_apply(
    client: &OdooClient,
    cfg: &GamificationConfig,
    state: &mut State,
) -> gamification::LevelPass {
    let pass = gamification::level_plan(client, cfg).await.unwrap();
    let report = apply::apply(
        &pass.plan,
        state,
        &scorekeeper::jobs::writer(client),
        &apply_options(),
    )
    .await
    .unwrap();
    assert!(report.is_success(), "{report}");
    pass
}

fn keys(pairs: &[(&str, i64, &str)]) -> BTreeMap<(String, i64), Vec<String>> {
    pairs
        .iter()
        .map(|(badge, user, key)| ((badge.to_string(), *user), vec![key.to_string()]))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_level_crossed_earns_its_badge_once_and_a_drop_keeps_or_revokes_it() {
    let served = Served::start(snapshot_sim()).await;
    let client = served.client("admin", "admin");
    let keep = level_config(OnDrop::Keep);
    let revoke = level_config(OnDrop::Revoke);

    let setup = gamification::setup(&client, &keep).await.unwrap();
    assert_eq!(
        setup.levels,
        [
            "rank    Student: exists (100 karma)",
            "rank    Bachelor: exists (500 karma)",
            "badge   Student level: created",
            "badge   Bachelor level: created",
        ]
    );
    let mut state = State::open_in_memory().unwrap();
    let first = pass_and_apply(&client, &keep, &mut state).await;
    assert!(first.missing.is_empty() && first.kept.is_empty());
    let mut want = keys(&[
        ("Student level", 2, "level:level=student:user=2:at=13"),
        ("Bachelor level", 2, "level:level=bachelor:user=2:at=13"),
        ("Student level", 6, "level:level=student:user=6:at=3"),
        ("Bachelor level", 6, "level:level=bachelor:user=6:at=3"),
    ]);
    assert_eq!(level_grants(&served), want);
    let comment = served
        .sim
        .read()
        .all_ids("gamification.badge.user")
        .into_iter()
        .filter_map(|id| {
            served
                .sim
                .read()
                .value("gamification.badge.user", id, "comment")
        })
        .filter_map(|c| c.as_str().map(str::to_owned))
        .find(|c| c.starts_with("Level Bachelor"));
    assert_eq!(
        comment.as_deref(),
        Some("Level Bachelor reached: 2500 karma (the level starts at 500)")
    );
    // Nothing new: nothing planned, with a fresh state as well (the keys are in Odoo).
    assert!(
        gamification::level_plan(&client, &keep)
            .await
            .unwrap()
            .plan
            .is_empty()
    );

    // Joel Willis: 30 → 130 crosses Student, not Bachelor.
    let crossed = add_karma(&client, 7, 30, 130, "2026-11-23 10:00:00").await;
    let pass = pass_and_apply(&client, &keep, &mut state).await;
    let creates: Vec<_> = pass.plan.creates().collect();
    assert_eq!(creates.len(), 1);
    assert_eq!(
        creates[0].3,
        "Joel Willis: Level Student reached: 130 karma (the level starts at 100)"
    );
    let student_7 = format!("level:level=student:user=7:at={crossed}");
    want.insert(("Student level".into(), 7), vec![student_7.clone()]);
    assert_eq!(level_grants(&served), want);
    // More karma inside the level grants nothing more.
    add_karma(&client, 7, 130, 140, "2026-11-23 11:00:00").await;
    assert!(
        pass_and_apply(&client, &keep, &mut state)
            .await
            .plan
            .is_empty()
    );

    // A compensation takes Joel to 60: kept (and said), or revoked, as configured.
    add_karma(&client, 7, 140, 60, "2026-11-23 12:00:00").await;
    let kept = pass_and_apply(&client, &keep, &mut state).await;
    assert!(kept.plan.is_empty());
    assert_eq!(
        kept.kept,
        [
            "Joel Willis is below level Student (60 karma < 100) and keeps its badge (level_drop = \"keep\")"
        ]
    );
    assert_eq!(level_grants(&served), want);
    let revoked = pass_and_apply(&client, &revoke, &mut state).await;
    assert_eq!(revoked.revoked.len(), 1);
    assert_eq!(
        revoked.revoked[0].1,
        "level Student revoked from Joel Willis: 60 karma < 100 (level_drop = \"revoke\")"
    );
    want.remove(&("Student level".into(), 7));
    assert_eq!(level_grants(&served), want);
    assert!(
        pass_and_apply(&client, &revoke, &mut state)
            .await
            .plan
            .is_empty()
    );

    // Back above: a new crossing, a new grant with its own key.
    let again = add_karma(&client, 7, 60, 150, "2026-11-24 09:00:00").await;
    pass_and_apply(&client, &revoke, &mut state).await;
    want.insert(
        ("Student level".into(), 7),
        vec![format!("level:level=student:user=7:at={again}")],
    );
    assert_eq!(level_grants(&served), want);
    assert!(
        pass_and_apply(&client, &revoke, &mut state)
            .await
            .plan
            .is_empty()
    );
    served.stop().await;
}
