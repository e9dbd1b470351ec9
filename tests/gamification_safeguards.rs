//! Issue 16 item 4, safeguards: caps per rule per person per day and per period. Hand values:
//! 20 points per meeting, at most 30 a day and 50 a month; Joel Willis (7) holds meetings on
//! 2 November (two), 3 and 4 November and 1 December: 20 + 10, 20, 0, then 20 in December.

use scorekeeper::config::{PointRule, RuleScope};
use scorekeeper::gamification::achievements::Window;
use scorekeeper::gamification::caps::Caps;
use scorekeeper::jobs::gamification;
use scorekeeper::xmlrpc::{Struct, Value as X};

use crate::support::{Served, snapshot_sim};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn caps_cut_points_per_day_and_per_month() {
    let served = Served::start(snapshot_sim()).await;
    let client = served.client("admin", "admin");
    for start in [
        "2026-11-02 09:00:00",
        "2026-11-02 14:00:00",
        "2026-11-03 09:00:00",
        "2026-11-04 09:00:00",
        "2026-12-01 09:00:00",
    ] {
        let mut v = Struct::new();
        v.push("name", X::from("Capped meeting"));
        v.push("user_id", X::Int(7));
        v.push("start", X::from(start));
        v.push(
            "stop",
            X::from(format!("{} 23:00:00", &start[..10]).as_str()),
        );
        client.create("calendar.event", vec![v]).await.unwrap();
    }
    let rule = |caps| PointRule {
        key: "meeting".into(),
        name: "Meeting held".into(),
        model: "calendar.event".into(),
        domain: "[('name', '=', 'Capped meeting')]".into(),
        user_field: "user_id".into(),
        points: 20,
        amount_field: None,
        per_amount: None,
        date_field: Some("start".into()),
        scope: RuleScope::Everyone,
        caps,
        refund_window_days: None,
    };
    let gains = |plan: &scorekeeper::plan::Plan| -> Vec<i64> {
        plan.creates()
            .map(|(_, values, _, _)| {
                let v = |f: &str| {
                    values
                        .iter()
                        .find(|(n, _)| n == f)
                        .unwrap()
                        .1
                        .as_i64()
                        .unwrap()
                };
                v("new_value") - v("old_value")
            })
            .collect()
    };
    let uncapped = gamification::karma_plan(&client, &[rule(Caps::default())])
        .await
        .unwrap();
    assert_eq!(gains(&uncapped), [20, 20, 20, 20, 20]);
    let capped = gamification::karma_plan(
        &client,
        &[rule(Caps {
            per_day: Some(30),
            per_period: Some((50, Window::Monthly)),
        })],
    )
    .await
    .unwrap();
    // In date order: 2 Nov 20 + 10, 3 Nov 20 (the month's 50 reached), 4 Nov nothing, 1 Dec 20.
    assert_eq!(gains(&capped), [20, 10, 20, 20]);
    served.stop().await;
}

/// An invoice refunded within the window loses its points (one compensating entry, keyed as
/// the event's next entry); one refunded later keeps them. Invoices of Marc Demo (6), 1 point
/// per 1,000 untaxed: INV A 5,000 on 1 November refunded on 20 November (19 days), INV B
/// 7,000 on 1 October refunded on 20 November (50 days); window 30 days.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refund_within_the_window_revokes_the_invoice_points() {
    use scorekeeper::record::{RecordStore, Value as RV};
    let served = Served::start(snapshot_sim()).await;
    let client = served.client("admin", "admin");
    let invoice = |name: &str, kind: &str, date: &str, amount: f64, reverses: Option<i64>| {
        let mut values = vec![
            ("name".to_owned(), RV::Str(name.into())),
            ("move_type".to_owned(), RV::Str(kind.into())),
            ("state".to_owned(), RV::Str("posted".into())),
            ("invoice_date".to_owned(), RV::Str(date.into())),
            ("invoice_user_id".to_owned(), RV::Many2one(6)),
            ("amount_untaxed_signed".to_owned(), RV::Float(amount)),
        ];
        if let Some(id) = reverses {
            values.push(("reversed_entry_id".to_owned(), RV::Many2one(id)));
        }
        served.sim.write().create("account.move", values)
    };
    let a = invoice("INV/TEST/A", "out_invoice", "2026-11-01", 5_000.0, None);
    let b = invoice("INV/TEST/B", "out_invoice", "2026-10-01", 7_000.0, None);
    let rule = PointRule {
        key: "invoice".into(),
        name: "Invoice".into(),
        model: "account.move".into(),
        domain: "[('name', 'in', ['INV/TEST/A', 'INV/TEST/B'])]".into(),
        user_field: "invoice_user_id".into(),
        points: 1,
        amount_field: Some("amount_untaxed_signed".into()),
        per_amount: Some(1000.0),
        date_field: Some("invoice_date".into()),
        scope: RuleScope::Everyone,
        caps: Caps::default(),
        refund_window_days: Some(30),
    };
    let mut state = scorekeeper::state::State::open_in_memory().unwrap();
    let booked =
        crate::support::gamification::book_karma(&client, std::slice::from_ref(&rule), &mut state)
            .await;
    assert_eq!(booked.created.len(), 2);
    invoice("RINV/TEST/A", "out_refund", "2026-11-20", -5_000.0, Some(a));
    invoice("RINV/TEST/B", "out_refund", "2026-11-20", -7_000.0, Some(b));
    let plan = gamification::karma_plan(&client, &[rule]).await.unwrap();
    let creates: Vec<_> = plan.creates().collect();
    assert_eq!(creates.len(), 1);
    let (_, values, key, reason) = creates[0];
    assert_eq!(
        key.as_str(),
        format!("karma:rule=invoice:rec=account.move/{a}:n=2")
    );
    let v = |f: &str| {
        values
            .iter()
            .find(|(n, _)| n == f)
            .unwrap()
            .1
            .as_i64()
            .unwrap()
    };
    assert_eq!(v("new_value") - v("old_value"), -5);
    assert_eq!(
        reason,
        format!(
            "Invoice: reversed (account.move #{a} INV/TEST/A, refunded by RINV/TEST/A within 30 days)"
        )
    );
    served.stop().await;
}

/// A deal's points are revoked when its invoice is refunded or cancelled within the window
/// (item 4). The link is Odoo's: the deal's sale order (`opportunity_id`), whose name the
/// invoice carries in `invoice_origin`. Hand values: 50 points per won deal of Marc Demo,
/// window 30 days. DEAL A: INV/DEAL/A of 1 November refunded on 20 November (19 days) →
/// revoked. DEAL B: INV/DEAL/B, merged from two orders, of 1 October refunded on 20 November
/// (50 days) → kept. DEAL C: INV/DEAL/C of 1 November cancelled on 10 November (9 days) →
/// revoked. Two correcting entries of −50, keyed as each deal's second entry, and nothing more
/// on the next run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refund_or_cancellation_within_the_window_revokes_the_deal_points() {
    deal_points_revoked(crate::support::Odoo::V17).await;
}

/// The same on the Odoo 19 snapshot (Marc Demo is uid 5 there).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_odoo_19_a_refund_or_cancellation_revokes_the_deal_points() {
    deal_points_revoked(crate::support::Odoo::V19).await;
}

async fn deal_points_revoked(odoo: crate::support::Odoo) {
    use scorekeeper::record::{RecordStore, Value as RV};
    let marc = match odoo {
        crate::support::Odoo::V17 => 6,
        crate::support::Odoo::V19 => 5,
    };
    let served = Served::start(crate::support::snapshot_sim_of(odoo)).await;
    let client = served.client("admin", "admin");
    let create = |model: &str, values: Vec<(&str, RV)>| {
        served.sim.write().create(
            model,
            values.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
        )
    };
    let mut deals = Vec::new();
    for (deal, order, origin, date) in [
        ("DEAL A", "S-TEST-A", "S-TEST-A", "2026-11-01"),
        ("DEAL B", "S-TEST-B", "S-TEST-X, S-TEST-B", "2026-10-01"),
        ("DEAL C", "S-TEST-C", "S-TEST-C", "2026-11-01"),
    ] {
        let lead = create(
            "crm.lead",
            vec![
                ("name", RV::Str(deal.into())),
                ("type", RV::Str("opportunity".into())),
                ("active", RV::Bool(true)),
                ("user_id", RV::Many2one(marc)),
            ],
        );
        create(
            "sale.order",
            vec![
                ("name", RV::Str(order.into())),
                ("opportunity_id", RV::Many2one(lead)),
                ("state", RV::Str("sale".into())),
                ("user_id", RV::Many2one(marc)),
            ],
        );
        let invoice = create(
            "account.move",
            vec![
                ("name", RV::Str(format!("INV/DEAL/{}", &deal[5..]))),
                ("move_type", RV::Str("out_invoice".into())),
                ("state", RV::Str("posted".into())),
                ("invoice_date", RV::Str(date.into())),
                ("invoice_origin", RV::Str(origin.into())),
                ("invoice_user_id", RV::Many2one(marc)),
            ],
        );
        deals.push((lead, invoice));
    }
    let rule = PointRule {
        key: "won".into(),
        name: "Won deal".into(),
        model: "crm.lead".into(),
        domain: "[('name', 'in', ['DEAL A', 'DEAL B', 'DEAL C'])]".into(),
        user_field: "user_id".into(),
        points: 50,
        amount_field: None,
        per_amount: None,
        date_field: None,
        scope: RuleScope::Everyone,
        caps: Caps::default(),
        refund_window_days: Some(30),
    };
    let mut state = scorekeeper::state::State::open_in_memory().unwrap();
    let booked =
        crate::support::gamification::book_karma(&client, std::slice::from_ref(&rule), &mut state)
            .await;
    assert_eq!(booked.created.len(), 3);
    for (deal, date) in [(0, "2026-11-20"), (1, "2026-11-20")] {
        let letter = ["A", "B"][deal];
        create(
            "account.move",
            vec![
                ("name", RV::Str(format!("RINV/DEAL/{letter}"))),
                ("move_type", RV::Str("out_refund".into())),
                ("state", RV::Str("posted".into())),
                ("invoice_date", RV::Str(date.into())),
                ("reversed_entry_id", RV::Many2one(deals[deal].1)),
            ],
        );
    }
    {
        let mut store = served.sim.write();
        store.set_raw(
            "account.move",
            deals[2].1,
            "state",
            RV::Str("cancel".into()),
        );
        store.set_raw(
            "account.move",
            deals[2].1,
            "write_date",
            RV::Str("2026-11-10 09:00:00".into()),
        );
    }
    let plan = gamification::karma_plan(&client, std::slice::from_ref(&rule))
        .await
        .unwrap();
    let got: Vec<(String, i64, String)> = plan
        .creates()
        .map(|(_, values, key, reason)| {
            let v = |f: &str| {
                values
                    .iter()
                    .find(|(n, _)| n == f)
                    .unwrap()
                    .1
                    .as_i64()
                    .unwrap()
            };
            (
                key.as_str().to_owned(),
                v("new_value") - v("old_value"),
                reason.to_owned(),
            )
        })
        .collect();
    let (a, c) = (deals[0].0, deals[2].0);
    assert_eq!(
        got,
        [
            (
                format!("karma:rule=won:rec=crm.lead/{a}:n=2"),
                -50,
                format!(
                    "Won deal: reversed (crm.lead #{a} DEAL A, its invoice INV/DEAL/A refunded by RINV/DEAL/A within 30 days)"
                )
            ),
            (
                format!("karma:rule=won:rec=crm.lead/{c}:n=2"),
                -50,
                format!(
                    "Won deal: reversed (crm.lead #{c} DEAL C, its invoice INV/DEAL/C cancelled within 30 days)"
                )
            ),
        ]
    );
    scorekeeper::apply::apply(
        &plan,
        &mut state,
        &scorekeeper::jobs::writer(&client),
        &crate::support::gamification::apply_options(),
    )
    .await
    .unwrap();
    let again = gamification::karma_plan(&client, &[rule]).await.unwrap();
    assert_eq!(again.create_count(), 0);
    served.stop().await;
}
