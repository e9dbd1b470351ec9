//! Issue 16 item 2: per-role point rules. A rule scoped to users, a sales team, groups (by
//! XML id) or a `res.users` domain books points for the records of those people only;
//! narrowing the scope of a booked rule compensates the others' points; `explain user N`
//! lists a person's rules. Hand values: every lead is worth 1 point to its salesperson,
//! counted from the store; in the Odoo 17 snapshot Mitchell Admin (2) is the member of team
//! "Sales", Marc Demo (6) of "Pre-Sales"; of the active users only Mitchell Admin is in
//! `sales_team.group_sale_manager` (res.groups 23, "Administrator").

use std::collections::BTreeMap;

use scorekeeper::config::{GamificationConfig, PointRule, RuleScope};
use scorekeeper::jobs::gamification;
use scorekeeper::record::Value as RV;
use scorekeeper::state::State;

use crate::support::gamification::book_karma;
use crate::support::{Served, snapshot_sim};

fn any_lead(scope: RuleScope) -> PointRule {
    PointRule {
        key: "any-lead".into(),
        name: "Any lead".into(),
        model: "crm.lead".into(),
        domain: "[]".into(),
        user_field: "user_id".into(),
        points: 1,
        amount_field: None,
        per_amount: None,
        date_field: None,
        scope,
        caps: Default::default(),
        refund_window_days: None,
    }
}

/// Leads per salesperson, from the store.
fn leads_by_user(served: &Served) -> BTreeMap<i64, i64> {
    let store = served.sim.read();
    let mut out = BTreeMap::new();
    for id in store.all_ids("crm.lead") {
        let active = store.value("crm.lead", id, "active") != Some(RV::Bool(false));
        if let (true, Some(user)) = (
            active,
            store
                .value("crm.lead", id, "user_id")
                .and_then(|u| u.as_many2one()),
        ) {
            *out.entry(user).or_insert(0) += 1;
        }
    }
    out
}

/// user → net gain of the planned karma entries.
fn gains(plan: &scorekeeper::plan::Plan) -> BTreeMap<i64, i64> {
    let mut out = BTreeMap::new();
    for (_, values, _, _) in plan.creates() {
        let v = |f: &str| values.iter().find(|(n, _)| n == f).unwrap().1.clone();
        let user = v("user_id").as_many2one().unwrap();
        *out.entry(user).or_insert(0) +=
            v("new_value").as_i64().unwrap() - v("old_value").as_i64().unwrap();
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rule_scoped_to_a_role_books_for_those_people_only() {
    let served = Served::start(snapshot_sim()).await;
    let client = served.client("admin", "admin");
    let by_user = leads_by_user(&served);
    let (admin, marc) = (by_user[&2], by_user[&6]);
    assert!(admin > 0 && marc > 0, "{by_user:?}");

    let everyone = gamification::karma_plan(&client, &[any_lead(RuleScope::Everyone)])
        .await
        .unwrap();
    assert_eq!(gains(&everyone), by_user);
    for (scope, want) in [
        (RuleScope::Users(vec!["admin".into()]), [(2, admin)]),
        (RuleScope::Teams(vec!["Pre-Sales".into()]), [(6, marc)]),
        (
            RuleScope::Domain("[('login', '=', 'demo')]".into()),
            [(6, marc)],
        ),
        // Sales / Administrator: admin only (demo is a salesman).
        (
            RuleScope::Groups(vec!["sales_team.group_sale_manager".into()]),
            [(2, admin)],
        ),
    ] {
        let plan = gamification::karma_plan(&client, &[any_lead(scope.clone())])
            .await
            .unwrap();
        assert_eq!(gains(&plan), want.into_iter().collect(), "{scope:?}");
    }

    // Booked for everyone, then narrowed to the Pre-Sales team: the others' points are
    // compensated, Marc's stay.
    let mut state = State::open_in_memory().unwrap();
    book_karma(&client, &[any_lead(RuleScope::Everyone)], &mut state).await;
    let narrowed = gamification::karma_plan(
        &client,
        &[any_lead(RuleScope::Teams(vec!["Pre-Sales".into()]))],
    )
    .await
    .unwrap();
    let want: BTreeMap<i64, i64> = by_user
        .iter()
        .filter(|(u, _)| **u != 6)
        .map(|(u, n)| (*u, -n))
        .collect();
    assert_eq!(gains(&narrowed), want);

    // explain user N: the rules that apply and those that do not.
    let config = GamificationConfig {
        team_points: vec![],
        schedule: None,
        odoo_challenges: false,
        batch_missing_as_zero: true,
        challenges: vec![],
        point_rules: vec![
            any_lead(RuleScope::Everyone),
            PointRule {
                key: "pre-sales-lead".into(),
                name: "Pre-sales lead".into(),
                ..any_lead(RuleScope::Teams(vec!["Pre-Sales".into()]))
            },
            PointRule {
                key: "manager-lead".into(),
                name: "Manager lead".into(),
                ..any_lead(RuleScope::Groups(vec![
                    "sales_team.group_sale_manager".into(),
                ]))
            },
        ],
        levels: crate::gamification_levels::level_config(Default::default()).levels,
        level_drop: Default::default(),
        badge_rules: vec![],
    };
    let text = gamification::explain_user(&client, &config, 2)
        .await
        .unwrap();
    let karma = served
        .sim
        .read()
        .value("res.users", 2, "karma")
        .and_then(|k| k.as_i64())
        .unwrap();
    assert_eq!(
        text,
        format!(
            "user 2 Mitchell Admin (admin): karma {karma}\n\
             point rules that apply (2):\n  \
             any-lead 'Any lead': 1 point(s) per crm.lead [] credited to user_id; for everyone\n  \
             manager-lead 'Manager lead': 1 point(s) per crm.lead [] credited to user_id; for members of groups sales_team.group_sale_manager\n\
             point rules that do not apply (1):\n  \
             pre-sales-lead 'Pre-sales lead': 1 point(s) per crm.lead [] credited to user_id; only for members of Pre-Sales\n\
             levels:\n  \
             Student (100 karma): reached, badge 'Student level'\n  \
             Bachelor (500 karma): reached, badge 'Bachelor level'\n"
        )
    );
    let marc_text = gamification::explain_user(&client, &config, 6)
        .await
        .unwrap();
    assert!(
        marc_text.contains("point rules that apply (2):")
            && marc_text.contains(
                "manager-lead 'Manager lead': 1 point(s) per crm.lead [] credited to user_id; only for members of groups sales_team.group_sale_manager"
            ),
        "{marc_text}"
    );
    served.stop().await;
}

/// On Odoo 19 `group_ids` holds a user's direct groups only; implied ones are in
/// `all_group_ids`. By hand from the 19 snapshot: admin (2) is directly in Sales /
/// Administrator (24), which implies User: All Documents (23), which implies User: Own
/// Documents Only (22, `sales_team.group_sale_salesman`); demo (5) is directly in 22. So a
/// rule for salesmen counts both, a rule for managers admin alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_groups_scope_counts_implied_membership_on_odoo_19() {
    use crate::support::{Odoo, snapshot_sim_of};
    let served = Served::start(snapshot_sim_of(Odoo::V19)).await;
    let client = served.client("admin", "admin");
    let by_user = leads_by_user(&served);
    let (admin, marc) = (by_user[&2], by_user[&5]);
    assert!(admin > 0 && marc > 0, "{by_user:?}");
    for (group, want) in [
        (
            "sales_team.group_sale_salesman",
            BTreeMap::from([(2, admin), (5, marc)]),
        ),
        (
            "sales_team.group_sale_manager",
            BTreeMap::from([(2, admin)]),
        ),
    ] {
        let rule = any_lead(RuleScope::Groups(vec![group.into()]));
        let plan = gamification::karma_plan(&client, &[rule]).await.unwrap();
        assert_eq!(gains(&plan), want, "{group}");
    }
    served.stop().await;
}
