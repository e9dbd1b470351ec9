//! Issue 17 item 2 for gamification: the scheduled job sends its goal writes (one goal per
//! call here) in waves of `[odoo] max_concurrency` calls, ends where a run sending one call
//! at a time ends, and a call that fails in a wave leaves a journal that says exactly what
//! Odoo holds.

use std::collections::BTreeSet;
use std::path::Path;

use chrono::NaiveDateTime;
use scorekeeper::config::Config;
use scorekeeper::jobs::gamification::GamificationJob;
use scorekeeper::record::Value as RV;
use scorekeeper::scheduler::Job;
use scorekeeper::sim::Sim;
use scorekeeper::state::State;

use crate::support::Served;
use crate::support::gamification::{goals, sim_at_074};
use crate::support::proxy::Proxy;
use crate::support::waves::{
    assert_journal_exact, catch_two_writes_in_flight, client, context, third_call_failed, unlink,
};

const CONFIG: &str = r#"
[odoo]
url = "http://127.0.0.1:9"
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
"#;

fn config(state: &Path) -> Config {
    let text = format!("{CONFIG}\n[state]\npath = \"{}\"\n", state.display());
    scorekeeper::config::load_str(Path::new("waves.toml"), &text, &|_| Some("admin".into()))
        .unwrap()
}

fn at() -> NaiveDateTime {
    crate::support::gamification::today()
        .and_hms_opt(9, 0, 0)
        .unwrap()
}

/// Every goal's value moved away from what the refresh computes, so the next firing writes
/// each goal it refreshes again (the same values in every copy of the database).
fn unsettle(sim: &Sim) {
    let mut store = sim.write();
    for id in store.all_ids("gamification.goal") {
        store.set_raw(
            "gamification.goal",
            id,
            "current",
            RV::Float(1000.0 + id as f64),
        );
    }
}

/// A copy of the database at 074, settled by one firing, then unsettled.
async fn unsettled(state: &Path) -> Served {
    let served = Served::start(sim_at_074()).await;
    let ctx = context(config(state), client(&served.url, "crm17c", 1, 1), at());
    GamificationJob.run(&ctx).await.unwrap();
    unsettle(&served.sim);
    served
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn goal_writes_go_out_in_waves_and_a_failed_call_leaves_an_exact_journal() {
    let dir = tempfile::tempdir().unwrap();
    // The reference: one call at a time.
    let one_db = dir.path().join("one.db");
    let one = unsettled(&one_db).await;
    let ctx = context(config(&one_db), client(&one.url, "crm17c", 1, 1), at());
    GamificationJob.run(&ctx).await.unwrap();
    let want = goals(&one.sim);

    let db = dir.path().join("state.db");
    let served = unsettled(&db).await;
    let proxy = Proxy::start(&served.url, 0.0, 1).await;
    let ctx = context(config(&db), client(&proxy.url, "crm17c", 2, 1), at());
    let firing = tokio::spawn(async move { GamificationJob.run(&ctx).await });
    // Two goal writes in flight at once: the first is held at the proxy while the second
    // arrives.
    catch_two_writes_in_flight(&proxy).await;
    let state = State::open(&db).unwrap();
    let run_id = state.runs(1).unwrap()[0].run_id.clone();
    let journal = state.journal(&run_id).unwrap();
    let groups: BTreeSet<i64> = journal.iter().filter_map(|e| e.group).collect();
    assert!(groups.len() >= 5, "{} goal writes", groups.len());
    // Someone deletes the goal of the third call (the second wave's first) meanwhile: that
    // call fails in Odoo.
    let doomed = journal.iter().find(|e| e.group == Some(2)).unwrap();
    unlink(&served.sim, "gamification.goal", doomed.record_id.unwrap());
    proxy.release_paused(true).await;
    let failed = firing.await.unwrap().unwrap_err();
    assert!(failed.to_string().contains("gamification.goal"), "{failed}");

    let journal = State::open(&db).unwrap().journal(&run_id).unwrap();
    let statuses = assert_journal_exact(&served.sim, &journal);
    // The failed call's partner in its wave was applied; later waves were never sent.
    assert_eq!(statuses, third_call_failed(&groups));

    // The next firing writes the goals the failed one did not: every goal ends as the
    // one-call-at-a-time run left its copy, and a firing after it writes nothing. The deleted
    // goal stays deleted (the refresh plans no create for it: the job recreates no goal of a
    // challenge it did not start).
    let ctx = context(config(&db), client(&proxy.url, "crm17c", 2, 1), at());
    let next = GamificationJob.run(&ctx).await.unwrap();
    assert_eq!(next.changes_written, (groups.len() - 4) as u64, "{next:?}");
    let got = goals(&served.sim);
    let mut want = want;
    let gone: Vec<_> = want
        .keys()
        .filter(|k| !got.contains_key(k))
        .copied()
        .collect();
    assert_eq!(gone.len(), 1, "{gone:?}");
    want.remove(&gone[0]);
    assert_eq!(got, want);
    let again = GamificationJob.run(&ctx).await.unwrap();
    assert_eq!(again.changes_written, 0, "{again:?}");
    served.stop().await;
    one.stop().await;
}
