//! Issue 16: the trial run (`plan points`) over 12 months of history for 1,000 people and
//! 1,000,000 events (`SK_TRIAL_PEOPLE`, `SK_TRIAL_EVENTS`): posted invoices from 2025-12-01
//! to 2026-11-30, 1 point per 1,000 untaxed, through the real `trial_report` against the
//! simulator in the same process. Wall time and the process's peak RSS (which includes the
//! simulator holding the data) are printed for BENCHMARKS.md, never asserted; the totals
//! are (computed by hand while generating). Ignored by default:
//! `cargo test --locked --test lib trial_load -- --ignored --nocapture` (add `--release` for
//! the figures BENCHMARKS.md gives first).

use std::collections::BTreeMap;
use std::time::Instant;

use chrono::{Duration, NaiveDate};
use scorekeeper::jobs::gamification;
use scorekeeper::record::{RecordStore, Value as RV};

use crate::support::gamification::invoice_rule;
use crate::support::load::{cpu_secs, env_or, peak_rss_mib};
use crate::support::{Served, snapshot_sim};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "load figure for BENCHMARKS.md"]
async fn trial_over_12_months_for_1000_people_and_1000000_events() {
    let people = env_or("SK_TRIAL_PEOPLE", 1_000);
    let events = env_or("SK_TRIAL_EVENTS", 1_000_000);
    let sim = snapshot_sim();
    let first = NaiveDate::from_ymd_opt(2025, 12, 1).unwrap();
    let mut want: BTreeMap<i64, i64> = BTreeMap::new();
    let generated = Instant::now();
    {
        let mut store = sim.write();
        let mut users = Vec::with_capacity(people);
        for i in 0..people {
            let name = format!("Rep {i:04}");
            let partner = store.create("res.partner", vec![("name".into(), RV::Str(name.clone()))]);
            users.push(store.create(
                "res.users",
                vec![
                    ("login".into(), RV::Str(format!("rep{i:04}"))),
                    ("name".into(), RV::Str(name)),
                    ("active".into(), RV::Bool(true)),
                    ("partner_id".into(), RV::Many2one(partner)),
                    ("company_id".into(), RV::Many2one(1)),
                ],
            ));
        }
        for i in 0..events {
            // 365 days from 2025-12-01: the twelve months to 2026-11-30.
            let date = first + Duration::days((i % 365) as i64);
            let amount = 500.0 + (i % 4_999) as f64;
            let user = users[i % people];
            *want.entry(user).or_insert(0) += (amount / 1000.0).trunc() as i64;
            store.create(
                "account.move",
                vec![
                    ("move_type".into(), RV::Str("out_invoice".into())),
                    ("state".into(), RV::Str("posted".into())),
                    ("invoice_date".into(), RV::Str(date.to_string())),
                    ("invoice_user_id".into(), RV::Many2one(user)),
                    ("amount_untaxed_signed".into(), RV::Float(amount)),
                ],
            );
        }
    }
    eprintln!(
        "trial load: generated {people} people, {events} invoices in {:.1?}, peak RSS {:.0} MiB",
        generated.elapsed(),
        peak_rss_mib()
    );
    let served = Served::start(sim).await;
    let client = served.client("admin", "admin");
    let calls = client.metrics().calls;
    let cpu = cpu_secs();
    let started = Instant::now();
    let trial = gamification::trial_report(
        &client,
        &[invoice_rule()],
        first,
        NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(),
    )
    .await
    .unwrap();
    let wall = started.elapsed();
    eprintln!(
        "trial load: plan points over {events} events, {people} people: {wall:.1?} wall, {:.1} s CPU (client and simulator), {} RPC calls, peak RSS {:.0} MiB",
        cpu_secs() - cpu,
        client.metrics().calls - calls,
        peak_rss_mib()
    );
    // The snapshot's own invoices fall outside the window or have no salesperson among the
    // generated people: only theirs are compared.
    let got: BTreeMap<i64, i64> = trial
        .lines
        .iter()
        .filter(|l| want.contains_key(&l.user_id))
        .map(|l| (l.user_id, l.trial))
        .collect();
    assert_eq!(got, want);
    served.stop().await;
}
