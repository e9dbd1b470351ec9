//! Issue 17 item 2 for pay: the scheduled job sends its statement and line writes (one
//! record per call here) in waves of `[odoo] max_concurrency` calls, ends where a run sending
//! one call at a time ends, and a call that fails in a wave leaves a journal that says
//! exactly what Odoo holds.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use chrono::NaiveDateTime;
use scorekeeper::config::Config;
use scorekeeper::jobs::pay::PayJob;
use scorekeeper::jobs::pay::models::{LINE, STATEMENT};
use scorekeeper::record::{RecordStore, Value as RV};
use scorekeeper::scheduler::Job;
use scorekeeper::sim::Sim;
use scorekeeper::state::State;

use crate::support::proxy::Proxy;
use crate::support::waves::{
    assert_journal_exact, catch_two_writes_in_flight, client, context, third_call_failed, unlink,
};
use crate::support::{Served, snapshot_sim};

const REPS: usize = 6;

const CONFIG: &str = r#"
[odoo]
url = "http://127.0.0.1:9"
database = "crm17c"
login = "admin"
password_env = "PW"

[pay]
[[pay.plans]]
key = "reps"
name = "Reps"
user_domain = "[('login', '=like', 'rep%')]"
basic = "5%"
"#;

fn config(state: &Path) -> Config {
    let text = format!("{CONFIG}\n[state]\npath = \"{}\"\n", state.display());
    scorekeeper::config::load_str(Path::new("waves.toml"), &text, &|_| Some("admin".into()))
        .unwrap()
}

/// November's third day: October is not closed yet, so a firing computes November only.
fn at() -> NaiveDateTime {
    chrono::NaiveDate::from_ymd_opt(2026, 11, 3)
        .unwrap()
        .and_hms_opt(9, 0, 0)
        .unwrap()
}

/// The snapshot with six reps, each with two posted invoices of November.
fn world() -> Sim {
    let sim = snapshot_sim();
    {
        let mut store = sim.write();
        for i in 0..REPS {
            let name = format!("Rep {i}");
            let partner = store.create("res.partner", vec![("name".into(), RV::Str(name.clone()))]);
            let user = store.create(
                "res.users",
                vec![
                    ("login".into(), RV::Str(format!("rep{i}"))),
                    ("name".into(), RV::Str(name)),
                    ("active".into(), RV::Bool(true)),
                    ("partner_id".into(), RV::Many2one(partner)),
                    ("company_id".into(), RV::Many2one(1)),
                ],
            );
            for day in 1..=2 {
                store.create(
                    "account.move",
                    vec![
                        ("name".into(), RV::Str(format!("INV/2026/R{i}{day}"))),
                        ("move_type".into(), RV::Str("out_invoice".into())),
                        ("state".into(), RV::Str("posted".into())),
                        ("invoice_date".into(), RV::Str(format!("2026-11-0{day}"))),
                        ("invoice_user_id".into(), RV::Many2one(user)),
                        ("commercial_partner_id".into(), RV::Many2one(10)),
                        (
                            "amount_untaxed_signed".into(),
                            RV::Float(1000.0 * (i + day) as f64),
                        ),
                    ],
                );
            }
        }
    }
    sim
}

/// Every rep's invoices grow by a different amount (the same in every copy of the database):
/// each statement and each line changes.
fn invoices_grow(sim: &Sim) {
    let mut store = sim.write();
    for id in store.all_ids("account.move") {
        if let Some(RV::Str(name)) = store.value("account.move", id, "name")
            && name.starts_with("INV/2026/R")
            && let Some(RV::Float(amount)) =
                store.value("account.move", id, "amount_untaxed_signed")
        {
            store.set_raw(
                "account.move",
                id,
                "amount_untaxed_signed",
                RV::Float(amount + 10.0 * id as f64),
            );
        }
    }
}

/// A copy of the world, set up, paid once, then its invoices grown.
async fn grown(state: &Path) -> Served {
    let served = Served::start(world()).await;
    let setup = client(&served.url, "crm17c", 1, 1);
    let cfg = config(state);
    scorekeeper::jobs::pay::setup(&setup, cfg.pay.as_ref().unwrap())
        .await
        .unwrap();
    let ctx = context(cfg, setup, at());
    PayJob.run(&ctx).await.unwrap();
    invoices_grow(&served.sim);
    served
}

/// (key, total) of every statement, and (key, amount) of every line.
fn paid(sim: &Sim) -> (BTreeMap<String, RV>, BTreeMap<String, RV>) {
    let store = sim.read();
    let by_key = |model: &str, field: &str| {
        store
            .all_ids(model)
            .into_iter()
            .map(|id| {
                let key = match store.value(model, id, "x_sk_key") {
                    Some(RV::Str(key)) => key,
                    other => panic!("{model} {id} has no key: {other:?}"),
                };
                (key, store.value(model, id, field).unwrap_or(RV::Null))
            })
            .collect::<BTreeMap<_, _>>()
    };
    (by_key(STATEMENT, "x_total"), by_key(LINE, "x_amount"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statement_writes_go_out_in_waves_and_a_failed_call_leaves_an_exact_journal() {
    let dir = tempfile::tempdir().unwrap();
    // The reference: one call at a time.
    let one_db = dir.path().join("one.db");
    let one = grown(&one_db).await;
    let ctx = context(config(&one_db), client(&one.url, "crm17c", 1, 1), at());
    PayJob.run(&ctx).await.unwrap();
    let want = paid(&one.sim);
    assert_eq!(want.0.len(), REPS, "{want:?}");

    let db = dir.path().join("state.db");
    let served = grown(&db).await;
    let proxy = Proxy::start(&served.url, 0.0, 1).await;
    let ctx = context(config(&db), client(&proxy.url, "crm17c", 2, 1), at());
    let firing = tokio::spawn(async move { PayJob.run(&ctx).await });
    // Two statement writes in flight at once.
    catch_two_writes_in_flight(&proxy).await;
    let state = State::open(&db).unwrap();
    let run_id = state.runs(1).unwrap()[0].run_id.clone();
    let journal = state.journal(&run_id).unwrap();
    assert!(journal.iter().all(|e| e.model == STATEMENT), "{journal:?}");
    let groups: BTreeSet<i64> = journal.iter().filter_map(|e| e.group).collect();
    assert_eq!(groups.len(), REPS, "one write per statement");
    // Someone deletes the statement of the third call (the second wave's first) meanwhile
    // (its lines go with it): that call fails in Odoo.
    let doomed = journal.iter().find(|e| e.group == Some(2)).unwrap();
    let doomed_user = served
        .sim
        .read()
        .value(STATEMENT, doomed.record_id.unwrap(), "x_user_id")
        .and_then(|u| u.as_many2one())
        .unwrap();
    unlink(&served.sim, STATEMENT, doomed.record_id.unwrap());
    proxy.release_paused(true).await;
    firing.await.unwrap().unwrap_err();

    let after = State::open(&db).unwrap();
    let journal = after.journal(&run_id).unwrap();
    let statuses = assert_journal_exact(&served.sim, &journal);
    // The failed call's partner in its wave was applied; later waves were never sent, nor
    // were the lines (they wait for their statements).
    assert_eq!(statuses, third_call_failed(&groups));
    assert_eq!(after.runs(1).unwrap()[0].run_id, run_id, "no line pass");

    // The next firing writes the statements the failed one did not, then every line: all
    // end as the one-call-at-a-time run left its copy, and a firing after it writes nothing.
    // The deleted statement and its lines stay deleted: its key was honoured when the first
    // firing created it, and apply never creates a key twice (see `apply`).
    let ctx = context(config(&db), client(&proxy.url, "crm17c", 2, 1), at());
    let next = PayJob.run(&ctx).await.unwrap();
    // Statements 4 and 5 (the wave never sent), then the lines of the five statements left.
    assert_eq!(next.changes_written, 2 + 2 * (REPS as u64 - 1), "{next:?}");
    let (mut statements, mut lines) = want;
    let doomed_key = format!("pay:{doomed_user}:2026-11");
    assert!(statements.remove(&doomed_key).is_some(), "{doomed_key}");
    lines.retain(|k, _| !k.starts_with(&format!("{doomed_key}:")));
    assert_eq!(paid(&served.sim), (statements, lines));
    let again = PayJob.run(&ctx).await.unwrap();
    assert_eq!(again.changes_written, 0, "{again:?}");
    served.stop().await;
    one.stop().await;
}
