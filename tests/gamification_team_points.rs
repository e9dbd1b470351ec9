//! Issue 16 item 4: team points. When a sales team's invoices of a month reach the target,
//! each member gets 25 karma, once per team per month. Hand values, Odoo 17 snapshot: team
//! "Sales" (1) has Mitchell Admin (2) as member, "Pre-Sales" (5) Marc Demo (6); the test adds
//! Joel Willis (7) to Sales on 1 December. Invoices (untaxed): Sales 30,000 on 3 November and
//! 25,000 on 30 November (55,000 ≥ 50,000), 60,000 on 1 December; Pre-Sales 20,000 on
//! 10 November (< 50,000).

use std::collections::BTreeMap;

use scorekeeper::config::{TeamPointsSpec, TeamTarget};
use scorekeeper::gamification::achievements::{Aggregate, Window};
use scorekeeper::jobs::gamification;
use scorekeeper::plan::Plan;
use scorekeeper::record::{RecordStore, Value as RV};
use scorekeeper::state::State;

use crate::support::gamification::apply_options;
use crate::support::{Served, snapshot_sim};

fn rule(key: &str, target: TeamTarget) -> TeamPointsSpec {
    TeamPointsSpec {
        key: key.into(),
        name: "Team target".into(),
        teams: vec![],
        model: "account.move".into(),
        domain: "[('name', '=like', 'TEAM/%'), ('state', '=', 'posted')]".into(),
        team_field: "team_id".into(),
        date_field: "invoice_date".into(),
        aggregate: Aggregate::Sum,
        field: Some("amount_untaxed_signed".into()),
        target,
        window: Window::Monthly,
        points: 25,
    }
}

/// (key, user, gain, reason) of each planned karma entry.
fn entries(plan: &Plan) -> Vec<(String, i64, i64, String)> {
    plan.creates()
        .map(|(_, values, key, reason)| {
            let v = |f: &str| values.iter().find(|(n, _)| n == f).unwrap().1.clone();
            (
                key.as_str().to_owned(),
                v("user_id").as_many2one().unwrap(),
                v("new_value").as_i64().unwrap() - v("old_value").as_i64().unwrap(),
                reason.to_owned(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_team_reaching_its_target_pays_every_member_once_per_period() {
    let served = Served::start(snapshot_sim()).await;
    let client = served.client("admin", "admin");
    let invoice = |name: &str, team: i64, date: &str, amount: f64| {
        served.sim.write().create(
            "account.move",
            vec![
                ("name".to_owned(), RV::Str(name.into())),
                ("move_type".to_owned(), RV::Str("out_invoice".into())),
                ("state".to_owned(), RV::Str("posted".into())),
                ("invoice_date".to_owned(), RV::Str(date.into())),
                ("team_id".to_owned(), RV::Many2one(team)),
                ("amount_untaxed_signed".to_owned(), RV::Float(amount)),
            ],
        )
    };
    invoice("TEAM/1", 1, "2026-11-03", 30_000.0);
    let second = invoice("TEAM/2", 1, "2026-11-30", 25_000.0);
    invoice("TEAM/3", 5, "2026-11-10", 20_000.0);
    invoice("TEAM/4", 1, "2026-12-01", 60_000.0);
    served.sim.write().create(
        "crm.team.member",
        vec![
            ("crm_team_id".to_owned(), RV::Many2one(1)),
            ("user_id".to_owned(), RV::Many2one(7)),
            ("active".to_owned(), RV::Bool(true)),
            (
                "create_date".to_owned(),
                RV::Str("2026-12-01 08:00:00".into()),
            ),
        ],
    );
    let fixed = rule("team-target", TeamTarget::Fixed(50_000.0));
    let plan = gamification::karma_plan_with(&client, &[], std::slice::from_ref(&fixed))
        .await
        .unwrap();
    // November: Sales 55,000 → Mitchell (Joel joined after November); December: Sales 60,000
    // → Mitchell and Joel; Pre-Sales never.
    let got = entries(&plan);
    let short: Vec<(&str, i64, i64)> = got
        .iter()
        .map(|(k, u, g, _)| (k.as_str(), *u, *g))
        .collect();
    assert_eq!(
        short,
        [
            (
                "karma:rule=team-target@2026-11@1:rec=res.users/2:n=1",
                2,
                25
            ),
            (
                "karma:rule=team-target@2026-12@1:rec=res.users/2:n=1",
                2,
                25
            ),
            (
                "karma:rule=team-target@2026-12@1:rec=res.users/7:n=1",
                7,
                25
            ),
        ]
    );
    assert_eq!(
        got[0].3,
        "Team target: Sales reached 50000 in 2026-11 (total 55000) (res.users #2 Mitchell Admin)"
    );
    let mut state = State::open_in_memory().unwrap();
    let report = scorekeeper::apply::apply(
        &plan,
        &mut state,
        &scorekeeper::jobs::writer(&client),
        &apply_options(),
    )
    .await
    .unwrap();
    assert_eq!(report.created.len(), 3);
    // The trial run over November replays the team rule: Mitchell's November award (25),
    // against the 50 booked for him (November and December); Joel's 25 are December's.
    let trial = gamification::trial_report_with(
        &client,
        &[],
        std::slice::from_ref(&fixed),
        "2026-11-01".parse().unwrap(),
        "2026-11-30".parse().unwrap(),
    )
    .await
    .unwrap();
    let lines: Vec<(i64, i64, i64)> = trial
        .lines
        .iter()
        .map(|l| (l.user_id, l.trial, l.booked))
        .collect();
    assert_eq!(lines, [(2, 25, 50), (7, 0, 25)]);
    // Once per team per period: the second run books nothing.
    let again = gamification::karma_plan_with(&client, &[], std::slice::from_ref(&fixed))
        .await
        .unwrap();
    assert!(entries(&again).is_empty(), "{:?}", entries(&again));
    // A karma pass without the team rule leaves the awards alone.
    let mut unrelated = crate::support::gamification::invoice_rule();
    unrelated.domain = "[('name', '=', 'no such invoice')]".into();
    let other = gamification::karma_plan(&client, &[unrelated])
        .await
        .unwrap();
    assert!(entries(&other).is_empty(), "{:?}", entries(&other));

    // The 30 November invoice is cancelled: Sales' November is 30,000 now, under the target.
    served
        .sim
        .write()
        .set_raw("account.move", second, "state", RV::Str("cancel".into()));
    let undo = gamification::karma_plan_with(&client, &[], std::slice::from_ref(&fixed))
        .await
        .unwrap();
    let got = entries(&undo);
    assert_eq!(
        got,
        [(
            "karma:rule=team-target@2026-11@1:rec=res.users/2:n=2".to_owned(),
            2,
            -25,
            "Team target: Sales no longer reaches its target in 2026-11: reversed (res.users #2 Mitchell Admin)".to_owned()
        )]
    );

    // explain user N names the team rule and whether it applies to them.
    let config = scorekeeper::config::GamificationConfig {
        team_points: vec![fixed.clone()],
        schedule: None,
        odoo_challenges: false,
        batch_missing_as_zero: true,
        challenges: vec![],
        point_rules: vec![],
        levels: vec![],
        level_drop: Default::default(),
        badge_rules: vec![],
    };
    let text = gamification::explain_user(&client, &config, 6)
        .await
        .unwrap();
    assert!(
        text.ends_with(
            "team points:\n  team-target 'Team target': 25 point(s) to each member when the \
             team's amount_untaxed_signed of account.move [('name', '=like', 'TEAM/%'), \
             ('state', '=', 'posted')] reaches 50000 in a month; applies (member of Pre-Sales)\n"
        ),
        "{text}"
    );

    // Each team's own target (crm.team.invoiced_target: Sales 250,000, Pre-Sales 40,000):
    // Pre-Sales' November becomes 20,000 + 25,000 = 45,000 → Marc Demo; Sales never.
    invoice("TEAM/5", 5, "2026-11-15", 25_000.0);
    let own = rule("own-target", TeamTarget::Field("invoiced_target".into()));
    let plan = gamification::karma_plan_with(&client, &[], &[own])
        .await
        .unwrap();
    let by_user: BTreeMap<i64, i64> = entries(&plan).iter().map(|e| (e.1, e.2)).collect();
    assert_eq!(by_user, BTreeMap::from([(6, 25)]));
    assert_eq!(
        entries(&plan)[0].0,
        "karma:rule=own-target@2026-11@5:rec=res.users/6:n=1"
    );
    served.stop().await;
}
