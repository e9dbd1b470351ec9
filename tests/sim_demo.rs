//! The demo dataset loaded into the simulator, then used over HTTP with the project's client
//! as the daemon would: a generated salesperson logs in and sees their own and unassigned
//! leads, invoices aggregate per salesperson, the sales challenges are there.
#![allow(clippy::unwrap_used)]

use std::time::Instant;

use scorekeeper::demo::{DatasetSpec, Role, generate};
use scorekeeper::odoo::leaf;
use scorekeeper::xmlrpc::Value as X;

use crate::support::{Served, snapshot_sim};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_dataset_serves_like_odoo() {
    let sim = snapshot_sim();
    let t = Instant::now();
    let summary = generate(&DatasetSpec::default(), &mut *sim.write()).unwrap();
    println!(
        "demo dataset loaded into the simulator in {:.2?}",
        t.elapsed()
    );
    assert_eq!(summary.count("crm.lead"), 2_000);
    let unassigned = summary.unassigned_leads as i64;
    let seller = summary
        .users
        .iter()
        .find(|u| u.role == Role::Salesperson)
        .unwrap()
        .clone();
    let served = Served::start(sim).await;

    let admin = served.client("admin", "admin");
    let all = admin.search_count("crm.lead", vec![]).await.unwrap();
    assert!(all > 1_500, "{all} active leads");

    let client = served.client(&seller.login, &seller.password);
    assert_eq!(client.authenticate().await.unwrap(), seller.uid);
    let mine = admin
        .search_count("crm.lead", vec![leaf("user_id", "=", seller.uid)])
        .await
        .unwrap();
    let open_to_all = admin
        .search_count("crm.lead", vec![leaf("user_id", "=", false)])
        .await
        .unwrap();
    assert!(open_to_all >= unassigned, "{open_to_all} < {unassigned}");
    // Record rule "Personal Leads": own leads plus unassigned ones.
    assert_eq!(
        client.search_count("crm.lead", vec![]).await.unwrap(),
        mine + open_to_all
    );

    let groups = admin
        .read_group(
            "account.invoice.report",
            vec![leaf("move_type", "=", "out_invoice")],
            &["price_subtotal:sum"],
            &["invoice_user_id"],
            false,
        )
        .await
        .unwrap();
    assert!(groups.len() > 2, "{groups:?}");
    for g in &groups {
        assert!(
            matches!(g.get("__count"), Some(X::Int(n)) if *n > 0),
            "{g:?}"
        );
    }

    let challenges = admin
        .search_read_all("gamification.challenge", vec![], &["name", "state"])
        .await
        .unwrap();
    let names: Vec<&str> = challenges
        .iter()
        .filter_map(|c| c.get("name").and_then(X::as_str))
        .collect();
    for expected in ["Monthly Sales Targets", "Lead Acquisition"] {
        assert!(names.contains(&expected), "{names:?}");
    }
    served.stop().await;
}
