//! Issue 11 item 4: duplicates of scorekeeper's own keyed records — however they arose (here:
//! an older version's lost retries, created through Odoo's API as it would have) — are found
//! by `check`, repaired by one run with journaled changes (duplicate goals and badge grants
//! deleted, a duplicate karma entry keyed apart and its gain corrected, so every user's karma
//! total is right), a second run has nothing to do, and `undo` of the repair restores the
//! database as it was.

use std::collections::BTreeMap;

use scorekeeper::apply::undo;
use scorekeeper::config::PointRule;
use scorekeeper::gamification::compute::MissingRows;
use scorekeeper::jobs::gamification::{self, KEY_FIELD, ensure_key_fields};
use scorekeeper::odoo::OdooClient;
use scorekeeper::record::Value as RV;
use scorekeeper::sim::Sim;
use scorekeeper::state::{RunId, State};
use scorekeeper::xmlrpc::{Struct, Value as X};

use crate::support::Served;
use crate::support::gamification::{apply_options, book_karma, invoice_rule, options, sim_at_074};

const GOAL: &str = "gamification.goal";
const GRANT: &str = "gamification.badge.user";
const KARMA: &str = "gamification.karma.tracking";

/// What people see: goals (line, user, period → value), badge grants per (user, badge) and
/// each user's karma.
#[derive(Debug, PartialEq)]
struct Seen {
    goals: BTreeMap<(i64, i64, String), Vec<f64>>,
    grants: BTreeMap<(i64, i64), usize>,
    karma: BTreeMap<i64, i64>,
}

fn seen(sim: &Sim) -> Seen {
    let store = sim.read();
    let v = |m: &str, id: i64, f: &str| store.value(m, id, f).unwrap_or(RV::Null);
    let mut goals: BTreeMap<(i64, i64, String), Vec<f64>> = BTreeMap::new();
    for g in store.all_ids(GOAL) {
        if let Some(line) = v(GOAL, g, "line_id").as_many2one() {
            let user = v(GOAL, g, "user_id").as_many2one().unwrap_or(0);
            let period = format!("{}", v(GOAL, g, "start_date"));
            goals
                .entry((line, user, period))
                .or_default()
                .push(v(GOAL, g, "current").as_f64().unwrap_or(0.0));
        }
    }
    let mut grants = BTreeMap::new();
    for g in store.all_ids(GRANT) {
        let key = (
            v(GRANT, g, "user_id").as_many2one().unwrap_or(0),
            v(GRANT, g, "badge_id").as_many2one().unwrap_or(0),
        );
        *grants.entry(key).or_insert(0) += 1;
    }
    let karma = store
        .all_ids("res.users")
        .into_iter()
        .map(|u| (u, v("res.users", u, "karma").as_i64().unwrap_or(0)))
        .filter(|(_, k)| *k != 0)
        .collect();
    Seen {
        goals,
        grants,
        karma,
    }
}

/// A copy of record `id` made through Odoo's API, as a retried create of an older version
/// would have made it: the same values (and key); a karma copy is booked on top of the
/// user's karma, as Odoo books any entry.
async fn duplicate(client: &OdooClient, sim: &Sim, model: &str, id: i64, fields: &[&str]) -> i64 {
    let values: Vec<(String, RV)> = {
        let store = sim.read();
        fields
            .iter()
            .map(|f| {
                (
                    (*f).to_owned(),
                    store.value(model, id, f).unwrap_or(RV::Null),
                )
            })
            .collect()
    };
    let mut vals = Struct::new();
    let karma_now = |user: i64| {
        sim.read()
            .value("res.users", user, "karma")
            .and_then(|k| k.as_i64())
            .unwrap_or(0)
    };
    let gain = |values: &[(String, RV)]| {
        let get = |f: &str| {
            values
                .iter()
                .find(|(k, _)| k == f)
                .and_then(|(_, v)| v.as_i64())
                .unwrap_or(0)
        };
        get("new_value") - get("old_value")
    };
    for (field, value) in &values {
        let x = match (model, field.as_str(), value) {
            (KARMA, "old_value", _) => {
                let user = values[0].1.as_many2one().unwrap();
                X::Int(karma_now(user))
            }
            (KARMA, "new_value", _) => {
                let user = values[0].1.as_many2one().unwrap();
                X::Int(karma_now(user) + gain(&values))
            }
            (_, _, RV::Many2one(i)) => X::Int(*i),
            (_, _, RV::Str(s)) => X::String(s.clone()),
            (_, _, RV::Float(f)) => X::Double(*f),
            (_, _, RV::Int(i)) => X::Int(*i),
            (_, _, RV::Bool(b)) => X::Bool(*b),
            _ => X::Bool(false),
        };
        vals.push(field.clone(), x);
    }
    client
        .execute_kw(model, "create", vec![X::Struct(vals)], Struct::new())
        .await
        .unwrap()
        .as_i64()
        .unwrap()
}

/// One gamification run and one karma pass, as the job runs them; their run ids.
async fn run_once(client: &OdooClient, state: &mut State, rules: &[PointRule]) -> Vec<RunId> {
    let mut opts = options(MissingRows::Zero);
    opts.start.clear();
    let (_, report) = gamification::run(client, state, &opts, &apply_options())
        .await
        .unwrap();
    assert!(report.failures.is_empty(), "{report}");
    let karma_report = book_karma(client, rules, state).await;
    assert!(karma_report.failures.is_empty(), "{karma_report}");
    vec![report.run_id, karma_report.run_id]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicates_are_healed_by_one_run_and_undo_of_the_repair_restores_them() {
    let served = Served::start(sim_at_074()).await;
    let client = served.client("admin", "admin");
    ensure_key_fields(&client).await.unwrap();
    // Lead Acquisition rewards "Good Job" (badge 1) to whoever reaches every goal.
    let mut reward = Struct::new();
    reward.push("reward_id", X::Int(1));
    client
        .write("gamification.challenge", &[4], reward)
        .await
        .unwrap();
    let rules = [invoice_rule()];
    let mut state = State::open_in_memory().unwrap();
    let (_, first) = gamification::run(
        &client,
        &mut state,
        &options(MissingRows::Zero),
        &apply_options(),
    )
    .await
    .unwrap();
    assert!(first.failures.is_empty(), "{first}");
    book_karma(&client, &rules, &mut state).await;
    let clean = seen(&served.sim);
    assert_eq!(clean.grants.get(&(2, 1)), Some(&1), "{clean:?}");
    assert!(
        scorekeeper::check::duplicates(&client)
            .await
            .unwrap()
            .is_empty()
    );

    // An older version's lost retries: one goal, one grant, one karma entry twice.
    let (goal, grant, entry) = {
        let store = served.sim.read();
        let keyed = |m: &str| {
            *store
                .all_ids(m)
                .iter()
                .find(|&&id| {
                    store
                        .value(m, id, KEY_FIELD)
                        .is_some_and(|v| v.as_str().is_some())
                })
                .unwrap()
        };
        let goal = *store
            .all_ids(GOAL)
            .iter()
            .find(|&&g| store.value(GOAL, g, "challenge_id") == Some(RV::Many2one(4)))
            .unwrap();
        (goal, keyed(GRANT), keyed(KARMA))
    };
    let goal_copy = duplicate(
        &client,
        &served.sim,
        GOAL,
        goal,
        &[
            "definition_id",
            "user_id",
            "line_id",
            "start_date",
            "end_date",
            "target_goal",
            "current",
            "state",
        ],
    )
    .await;
    let grant_copy = duplicate(
        &client,
        &served.sim,
        GRANT,
        grant,
        &["user_id", "badge_id", "challenge_id", "comment", KEY_FIELD],
    )
    .await;
    let entry_copy = duplicate(
        &client,
        &served.sim,
        KARMA,
        entry,
        &["user_id", "old_value", "new_value", "reason", KEY_FIELD],
    )
    .await;
    let broken = seen(&served.sim);
    assert_ne!(broken, clean);
    let found = scorekeeper::check::duplicates(&client).await.unwrap();
    let groups: Vec<(&str, Vec<i64>)> = found.iter().map(|d| (d.model, d.ids.clone())).collect();
    assert_eq!(
        groups,
        [
            (GOAL, vec![goal, goal_copy]),
            (GRANT, vec![grant, grant_copy]),
            (KARMA, vec![entry, entry_copy]),
        ]
    );

    // One run heals all three; what people see is the clean state again.
    let repair = run_once(&client, &mut state, &rules).await;
    assert_eq!(seen(&served.sim), clean);
    assert!(!served.sim.read().exists(GOAL, goal_copy));
    assert!(!served.sim.read().exists(GRANT, grant_copy));
    // The karma duplicate stays in the history, keyed apart, with a correcting entry.
    let renamed = served
        .sim
        .read()
        .value(KARMA, entry_copy, KEY_FIELD)
        .unwrap();
    assert!(
        renamed
            .as_str()
            .unwrap()
            .ends_with(&format!(":dup={entry_copy}")),
        "{renamed:?}"
    );
    let corrections = {
        let store = served.sim.read();
        store
            .all_ids(KARMA)
            .into_iter()
            .filter(|&t| {
                store
                    .value(KARMA, t, "reason")
                    .and_then(|r| {
                        r.as_str()
                            .map(|r| r.contains("correction, an entry was booked twice"))
                    })
                    .unwrap_or(false)
            })
            .count()
    };
    assert_eq!(corrections, 1);
    assert!(
        scorekeeper::check::duplicates(&client)
            .await
            .unwrap()
            .is_empty()
    );

    // A second run has nothing to do.
    let mut opts = options(MissingRows::Zero);
    opts.start.clear();
    let again = gamification::plan(&client, &opts).await.unwrap();
    assert!(again.plan.is_empty(), "{:?}", again.plan.changes());
    assert!(
        gamification::karma_plan(&client, &rules)
            .await
            .unwrap()
            .is_empty()
    );

    // Undo of the repair (both of its runs) brings the duplicates back, karma included.
    for run in repair.iter().rev() {
        let report = undo(
            run,
            &mut state,
            &scorekeeper::jobs::writer(&client),
            &apply_options(),
        )
        .await
        .unwrap();
        assert!(
            report.run.as_ref().is_none_or(|r| r.failures.is_empty()),
            "{report}"
        );
    }
    assert_eq!(seen(&served.sim), broken);
    assert_eq!(
        scorekeeper::check::duplicates(&client).await.unwrap().len(),
        3
    );
    served.stop().await;
}
