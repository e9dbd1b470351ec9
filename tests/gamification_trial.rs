//! Issue 16 item 5: the trial run of the point rules (`plan points --since DATE --until DATE`)
//! replays them over dated history only, per person, against what Odoo holds; a rule that
//! cannot be dated is named, not counted. Totals are checked against the invoices read
//! straight from the simulator's store.

use std::collections::BTreeMap;

use scorekeeper::config::PointRule;
use scorekeeper::jobs::gamification;
use scorekeeper::record::Value as RV;
use scorekeeper::sim::Sim;
use scorekeeper::state::State;

use crate::support::Served;
use crate::support::gamification::{book_karma, invoice_rule, sim_at_074};

/// Points per salesperson over `since..=until`, computed from the store by hand: posted
/// customer invoices, 1 point per whole 1,000 untaxed.
fn by_hand(sim: &Sim, since: &str, until: &str) -> BTreeMap<i64, i64> {
    let store = sim.read();
    let mut out = BTreeMap::new();
    for id in store.all_ids("account.move") {
        let v = |f: &str| store.value("account.move", id, f).unwrap_or(RV::Null);
        let date = v("invoice_date")
            .as_str()
            .map(str::to_owned)
            .unwrap_or_default();
        if v("move_type").as_str() != Some("out_invoice")
            || v("state").as_str() != Some("posted")
            || date.as_str() < since
            || date.as_str() > until
        {
            continue;
        }
        if let Some(user) = v("invoice_user_id").as_many2one() {
            let amount = v("amount_untaxed_signed").as_f64().unwrap_or(0.0);
            *out.entry(user).or_insert(0) += (amount / 1000.0).trunc() as i64;
        }
    }
    out.retain(|_, p| *p != 0);
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_trial_replays_dated_history_per_person_against_what_odoo_holds() {
    let served = Served::start(sim_at_074()).await;
    let client = served.client("admin", "admin");
    let undated = PointRule {
        key: "any-lead".into(),
        name: "Any lead".into(),
        model: "crm.lead".into(),
        domain: "[]".into(),
        user_field: "user_id".into(),
        points: 1,
        amount_field: None,
        per_amount: None,
        date_field: None,
        scope: scorekeeper::config::RuleScope::Everyone,
        caps: Default::default(),
        refund_window_days: None,
    };
    let rules = [invoice_rule(), undated];
    let since = "2026-01-01".parse().unwrap();
    let until = "2026-11-30".parse().unwrap();

    let trial = gamification::trial_report(&client, &rules, since, until)
        .await
        .unwrap();
    let expected = by_hand(&served.sim, "2026-01-01", "2026-11-30");
    assert!(!expected.is_empty(), "the snapshot has posted invoices");
    let got: BTreeMap<i64, i64> = trial
        .lines
        .iter()
        .filter(|l| l.trial != 0)
        .map(|l| (l.user_id, l.trial))
        .collect();
    assert_eq!(got, expected);
    assert_eq!(trial.not_replayed.len(), 1, "{:?}", trial.not_replayed);
    assert!(trial.not_replayed[0].starts_with("'Any lead' (any-lead) has no date_field"));
    // Nothing booked yet: the whole trial is the difference.
    assert!(
        trial
            .lines
            .iter()
            .all(|l| l.booked == 0 && l.difference() == l.trial)
    );

    // A narrower window counts less (an earlier --until leaves the later invoices out).
    let narrow = gamification::trial_report(&client, &rules, since, "2026-06-30".parse().unwrap())
        .await
        .unwrap();
    let narrow_total: i64 = narrow.lines.iter().map(|l| l.trial).sum();
    let expected_narrow: i64 = by_hand(&served.sim, "2026-01-01", "2026-06-30")
        .values()
        .sum();
    assert_eq!(narrow_total, expected_narrow);

    // Once the rules are booked, the trial over all history differs by nothing.
    let mut state = State::open_in_memory().unwrap();
    book_karma(&client, &rules[..1], &mut state).await;
    let all = gamification::trial_report(
        &client,
        &rules[..1],
        "2000-01-01".parse().unwrap(),
        "2099-12-31".parse().unwrap(),
    )
    .await
    .unwrap();
    assert!(all.lines.iter().all(|l| l.difference() == 0), "{all}");
    served.stop().await;
}
