//! Issue 16 item 3: achievement badges. Each kind against the Odoo 17 snapshot with records
//! the test adds, values by hand: the first won deal over 10,000 (max, once), ten qualified
//! appointments in an ISO week (count per week, `calendar.event`), a whole team reaching its
//! target (team), and thank-you badges people give each other counting toward a rule. Every
//! grant once: a second pass plans nothing.

use std::collections::BTreeSet;

use scorekeeper::apply;
use scorekeeper::config::{BadgeRuleSpec, GamificationConfig};
use scorekeeper::gamification::achievements::{Aggregate, Window};
use scorekeeper::jobs::gamification;
use scorekeeper::odoo::OdooClient;
use scorekeeper::record::Value as RV;
use scorekeeper::state::State;
use scorekeeper::xmlrpc::{Struct, Value as X};

use crate::support::gamification::apply_options;
use crate::support::{Served, snapshot_sim};

fn rule(key: &str, name: &str, model: &str, domain: &str) -> BadgeRuleSpec {
    BadgeRuleSpec {
        key: key.into(),
        name: name.into(),
        badge: name.into(),
        model: model.into(),
        domain: domain.into(),
        user_field: "user_id".into(),
        date_field: None,
        aggregate: Aggregate::Count,
        field: None,
        threshold: 1.0,
        window: Window::Once,
        team: false,
    }
}

fn config() -> GamificationConfig {
    GamificationConfig {
        team_points: vec![],
        schedule: None,
        odoo_challenges: false,
        batch_missing_as_zero: true,
        challenges: vec![],
        point_rules: vec![],
        levels: vec![],
        level_drop: Default::default(),
        badge_rules: vec![
            BadgeRuleSpec {
                aggregate: Aggregate::Max,
                field: Some("expected_revenue".into()),
                threshold: 10_000.0,
                ..rule(
                    "big-deal",
                    "First deal over 10,000",
                    "crm.lead",
                    "[('stage_id.is_won', '=', True)]",
                )
            },
            BadgeRuleSpec {
                date_field: Some("start".into()),
                threshold: 10.0,
                window: Window::Weekly,
                ..rule(
                    "qualified-week",
                    "10 qualified appointments in a week",
                    "calendar.event",
                    "[('name', 'ilike', 'qualified appointment')]",
                )
            },
            BadgeRuleSpec {
                date_field: Some("start".into()),
                window: Window::Monthly,
                team: true,
                threshold: 2.0,
                ..rule(
                    "team-target",
                    "Whole team on target",
                    "calendar.event",
                    "[]",
                )
            },
            BadgeRuleSpec {
                threshold: 3.0,
                ..rule(
                    "appreciated",
                    "Appreciated",
                    "gamification.badge.user",
                    "[('badge_id.name', '=', 'Good Job')]",
                )
            },
        ],
    }
}

async fn create(client: &OdooClient, model: &str, fields: &[(&str, X)]) -> i64 {
    let mut v = Struct::new();
    for (f, x) in fields {
        v.push(*f, x.clone());
    }
    client.create(model, vec![v]).await.unwrap()[0]
}

async fn meeting(client: &OdooClient, user: i64, name: &str, start: &str) {
    let stop = format!("{} 23:00:00", &start[..10]);
    create(
        client,
        "calendar.event",
        &[
            ("name", X::from(name)),
            ("user_id", X::Int(user)),
            ("start", X::from(start)),
            ("stop", X::from(stop.as_str())),
        ],
    )
    .await;
}

/// Achievement grants in the store: (badge name, user, key, comment).
fn grants(served: &Served) -> BTreeSet<(String, i64, String, String)> {
    let store = served.sim.read();
    store
        .all_ids("gamification.badge.user")
        .into_iter()
        .filter_map(|id| {
            let v = |f: &str| {
                store
                    .value("gamification.badge.user", id, f)
                    .unwrap_or(RV::Null)
            };
            let key = v("x_sk_key").as_str()?.to_owned();
            let badge = v("badge_id").as_many2one()?;
            let name = store
                .value("gamification.badge", badge, "name")?
                .as_str()?
                .to_owned();
            Some((
                name,
                v("user_id").as_many2one()?,
                key,
                v("comment").as_str()?.to_owned(),
            ))
        })
        .collect()
}

/// Won leads per user with their expected revenue, from the store.
fn won_max(served: &Served) -> Vec<(i64, f64)> {
    let store = served.sim.read();
    let mut best: std::collections::BTreeMap<i64, f64> = Default::default();
    for id in store.all_ids("crm.lead") {
        let v = |f: &str| store.value("crm.lead", id, f).unwrap_or(RV::Null);
        let won = v("stage_id")
            .as_many2one()
            .and_then(|s| store.value("crm.stage", s, "is_won"))
            == Some(RV::Bool(true));
        if let (true, Some(user)) = (
            won && v("active") != RV::Bool(false),
            v("user_id").as_many2one(),
        ) {
            let r = v("expected_revenue").as_f64().unwrap_or(0.0);
            let slot = best.entry(user).or_insert(f64::NEG_INFINITY);
            *slot = slot.max(r);
        }
    }
    best.into_iter().filter(|(_, r)| *r >= 10_000.0).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_achievement_kind_grants_its_badge_once() {
    let served = Served::start(snapshot_sim()).await;
    let client = served.client("admin", "admin");
    let cfg = config();
    let setup = gamification::setup(&client, &cfg).await.unwrap();
    assert!(
        setup
            .levels
            .contains(&"badge   10 qualified appointments in a week: created".to_owned()),
        "{:?}",
        setup.levels
    );

    // Marc Demo (6): a won deal of 12,500 on top of the snapshot's.
    let won_stage = client
        .search(
            "crm.stage",
            vec![scorekeeper::odoo::leaf("is_won", "=", true)],
            &Default::default(),
        )
        .await
        .unwrap()[0];
    create(
        &client,
        "crm.lead",
        &[
            ("name", X::from("Big one")),
            ("type", X::from("opportunity")),
            ("user_id", X::Int(6)),
            ("stage_id", X::Int(won_stage)),
            ("expected_revenue", X::Double(12_500.0)),
        ],
    )
    .await;
    // Joel Willis (7): ten qualified appointments in ISO week 2026-W47 (Mon 16 – Sun 22
    // November), nine in W49.
    for (day, n) in [(16, 2), (17, 2), (18, 2), (19, 2), (22, 2)] {
        for i in 0..n {
            meeting(
                &client,
                7,
                "Qualified appointment",
                &format!("2026-11-{day} 0{i}:00:00"),
            )
            .await;
        }
    }
    for day in 0..9 {
        meeting(
            &client,
            7,
            "Qualified appointment",
            &format!("2026-12-0{} 09:00:00", day % 5 + 1),
        )
        .await;
    }
    // Thank-you badges: admin gives Marc three "Good Job" (badge 1), Joel two.
    for user in [6, 6, 6, 7, 7] {
        create(
            &client,
            "gamification.badge.user",
            &[("user_id", X::Int(user)), ("badge_id", X::Int(1))],
        )
        .await;
    }

    let pass = gamification::achievement_plan(&client, &cfg).await.unwrap();
    assert!(pass.missing.is_empty(), "{:?}", pass.missing);
    let mut state = State::open_in_memory().unwrap();
    let report = apply::apply(
        &pass.plan,
        &mut state,
        &scorekeeper::jobs::writer(&client),
        &apply_options(),
    )
    .await
    .unwrap();
    assert!(report.is_success(), "{report}");
    let got = grants(&served);

    // First deal over 10,000: once per person whose best won deal reaches it.
    let big: Vec<(i64, String)> = got
        .iter()
        .filter(|g| g.0 == "First deal over 10,000")
        .map(|g| (g.1, g.2.clone()))
        .collect();
    let want: Vec<(i64, String)> = won_max(&served)
        .iter()
        .map(|(u, _)| (*u, format!("achv:rule=big-deal:user={u}:period=ever")))
        .collect();
    assert!(want.iter().any(|(u, _)| *u == 6), "{want:?}");
    assert_eq!(big, want);
    // Ten in a week: W47 only, for Joel.
    let week: Vec<_> = got
        .iter()
        .filter(|g| g.0 == "10 qualified appointments in a week")
        .map(|g| (g.1, g.2.as_str(), g.3.as_str()))
        .collect();
    assert_eq!(
        week,
        [(
            7,
            "achv:rule=qualified-week:user=7:period=2026-W47",
            "10 qualified appointments in a week: count 10 reached 10 in 2026-W47"
        )]
    );
    // Whole team: in November 2026 Sales (Mitchell Admin: 3 snapshot meetings) and
    // Pre-Sales (Marc Demo: 2) both had every member at two meetings or more.
    let team: Vec<_> = got
        .iter()
        .filter(|g| g.0 == "Whole team on target")
        .map(|g| (g.1, g.2.as_str()))
        .collect();
    assert_eq!(
        team,
        [
            (2, "achv:rule=team-target:user=2:period=2026-11"),
            (6, "achv:rule=team-target:user=6:period=2026-11"),
        ]
    );
    // Thank-you badges count: Marc has three, Joel two.
    let thanked: Vec<_> = got
        .iter()
        .filter(|g| g.0 == "Appreciated")
        .map(|g| (g.1, g.3.as_str()))
        .collect();
    assert_eq!(thanked, [(6, "Appreciated: count 3 reached 3")]);

    // Once: nothing more on the next pass.
    assert!(
        gamification::achievement_plan(&client, &cfg)
            .await
            .unwrap()
            .plan
            .is_empty()
    );
    // Joel joins Pre-Sales: in November every member (Marc 2, Joel 10) reached 2, so Joel
    // earns the team badge of November; in December Marc had none, so nobody earns it.
    create(
        &client,
        "crm.team.member",
        &[("crm_team_id", X::Int(5)), ("user_id", X::Int(7))],
    )
    .await;
    let joined = gamification::achievement_plan(&client, &cfg).await.unwrap();
    let keys: Vec<&str> = joined
        .plan
        .creates()
        .map(|(_, _, k, _)| k.as_str())
        .collect();
    assert_eq!(keys, ["achv:rule=team-target:user=7:period=2026-11"]);
    served.stop().await;
}
