//! The gamification tests' common ground: the simulator in the state real Odoo (17, or 19)
//! had at exchange 074 (snapshot + exchanges 001–073 replayed at the recording's instant), the
//! evaluation day, and the job's options.

use std::collections::HashMap;

use chrono::NaiveDate;
use scorekeeper::apply::ApplyOptions;
use scorekeeper::gamification::compute::MissingRows;
use scorekeeper::jobs::gamification::Options;
use scorekeeper::record::Value as RV;
use scorekeeper::sim::Sim;

use super::replay::recording_clock;

/// The snapshot with exchanges 001–073 replayed in process: the state real Odoo 17 had just
/// before 074 started "Lead Acquisition".
pub fn sim_at_074() -> Sim {
    sim_at_074_of(super::Odoo::V17)
}

/// [`sim_at_074`] for the recordings of `odoo`.
pub fn sim_at_074_of(odoo: super::Odoo) -> Sim {
    let root = format!(
        "{}/fixtures/odoo{}",
        env!("CARGO_MANIFEST_DIR"),
        odoo.major()
    );
    let sim = Sim::from_snapshot_file(format!("{root}/snapshot.json")).unwrap();
    sim.write().set_clock(recording_clock);
    for ex in super::replay::exchanges_of(odoo.major()) {
        let Ok(n) = ex.name[..3].parse::<u32>() else {
            continue;
        };
        if n > 73 {
            break;
        }
        if ex.http_method != "POST" {
            continue;
        }
        let (endpoint, Some(request)) = (ex.endpoint.as_str(), ex.request.as_deref()) else {
            continue;
        };
        let service = endpoint.rsplit('/').next().unwrap();
        let _ = sim.handle_xmlrpc(service, request.as_bytes());
    }
    sim
}

/// Odoo stores `crm.lead.day_close = abs((date_closed - create_date).days)` when a write sets
/// `date_closed` (exchange 051 on lead 46); real Odoo stored 3.0 for it (transcript 097), and
/// "Time to Qualify a Lead" sums it. The simulator must have computed the same.
pub fn assert_day_close_computed(sim: &Sim) {
    assert_eq!(
        sim.read().value("crm.lead", 46, "day_close"),
        Some(RV::Float(3.0))
    );
}

pub fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()
}

/// (challenge, definition, user) → (current, state, closed) of every goal in the sim.
pub fn goals(sim: &Sim) -> HashMap<(i64, i64, i64), (f64, String, bool)> {
    let store = sim.read();
    let mut out = HashMap::new();
    for id in store.all_ids("gamification.goal") {
        let v = |f: &str| store.value("gamification.goal", id, f).unwrap_or(RV::Null);
        let line = v("line_id").as_many2one();
        let challenge = line
            .and_then(|l| store.value("gamification.challenge.line", l, "challenge_id"))
            .and_then(|c| c.as_many2one())
            .unwrap_or(0);
        let key = (
            challenge,
            v("definition_id").as_many2one().unwrap_or(0),
            v("user_id").as_many2one().unwrap_or(0),
        );
        let state = v("state").as_str().unwrap_or("").to_owned();
        let previous = out.insert(
            key,
            (
                v("current").as_f64().unwrap_or(0.0),
                state,
                v("closed").as_bool().unwrap_or(false),
            ),
        );
        assert!(previous.is_none(), "two goals for {key:?}");
    }
    out
}

pub fn options(missing: MissingRows) -> Options {
    let mut opts = Options::new(today());
    opts.start = vec![4];
    opts.only = Some(vec![3, 4]);
    opts.missing_rows = missing;
    opts
}

pub fn apply_options() -> ApplyOptions {
    ApplyOptions::default()
}

/// A point rule on the snapshot's invoices: 1 point per 1,000 invoiced (untaxed), to the
/// invoice's salesperson, dated by the invoice date.
pub fn invoice_rule() -> scorekeeper::config::PointRule {
    scorekeeper::config::PointRule {
        key: "posted-invoice".into(),
        name: "Posted invoice".into(),
        model: "account.move".into(),
        domain: "[('move_type', '=', 'out_invoice'), ('state', '=', 'posted')]".into(),
        user_field: "invoice_user_id".into(),
        points: 1,
        amount_field: Some("amount_untaxed_signed".into()),
        per_amount: Some(1000.0),
        date_field: Some("invoice_date".into()),
        scope: scorekeeper::config::RuleScope::Everyone,
        caps: Default::default(),
        refund_window_days: None,
    }
}

/// Plans the karma entries of `rules` and applies them as the job does; the apply report.
pub async fn book_karma(
    client: &scorekeeper::odoo::OdooClient,
    rules: &[scorekeeper::config::PointRule],
    state: &mut scorekeeper::state::State,
) -> scorekeeper::apply::ApplyReport {
    let plan = scorekeeper::jobs::gamification::karma_plan(client, rules)
        .await
        .unwrap();
    scorekeeper::apply::apply(
        &plan,
        state,
        &scorekeeper::jobs::writer(client),
        &apply_options(),
    )
    .await
    .unwrap()
}
