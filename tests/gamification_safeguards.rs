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
