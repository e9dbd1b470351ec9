//! The sales-floor leaderboard in a real headless Chromium, served by a running daemon over the
//! demo dataset: it updates by itself (server-sent events) when a run changes goals, and
//! names in Chinese, Vietnamese and Russian line their scores up, on a desktop and on a
//! 390 px phone. What is asserted is what a person sees: text, order, boxes.
#![allow(clippy::unwrap_used)]

use scorekeeper::http::link::Subject;
use scorekeeper::odoo::leaf;
use scorekeeper::xmlrpc::{Struct, Value as X};

use crate::support::board::BoardDaemon;
use crate::support::browser;

async fn challenge_id(d: &BoardDaemon, name: &str) -> i64 {
    let admin = d.served.client("admin", "admin");
    admin
        .search(
            "gamification.challenge",
            vec![leaf("name", "=", name)],
            &Default::default(),
        )
        .await
        .unwrap()[0]
}

/// The text of `user`'s cell under the column headed `column`, or null.
fn cell(user: i64, column: &str) -> String {
    format!(
        "(() => {{ const ths = [...document.querySelectorAll('table.board thead th')];
                  const i = ths.findIndex(t => t.textContent === {column:?});
                  const row = document.querySelector('tr[data-user=\"{user}\"]');
                  return row && i >= 0 ? row.children[i].textContent : null; }})()"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_leaderboard_updates_without_reload_after_a_run_changes_goals() {
    let dir = tempfile::tempdir().unwrap();
    let d = BoardDaemon::start(dir.path(), "").await;
    let Some(browser) = browser::launch(1280, 900).await else {
        d.stop().await;
        return;
    };
    let id = challenge_id(&d, "Lead Acquisition").await;
    let wang = d.uid("wei.wang");
    let url = format!("{}/board/{id}?k={}", d.base, d.token(Subject::Board));
    browser.goto(&url).await;
    let before = browser.eval(&cell(wang, "New Leads")).await;
    let before = before
        .as_str()
        .unwrap_or_else(|| panic!("no New Leads cell for 王伟: {}", ""))
        .to_owned();
    let (count, target) = before.split_once(" / ").unwrap();
    let count: i64 = count.parse().unwrap();
    assert!(browser.text().await.contains("王伟"));
    // A mark that survives only if the page is never reloaded.
    browser.eval("(window.__same_page = true)").await;

    // A salesperson logs a new lead in Odoo; Odoo's automation announces it.
    let admin = d.served.client("admin", "admin");
    let mut lead = Struct::new();
    lead.push("name", X::String("Công ty Đại Phát — 新客户".into()));
    lead.push("type", X::String("lead".into()));
    lead.push("user_id", X::Int(wang));
    let created = admin.create("crm.lead", vec![lead]).await.unwrap()[0];
    d.announce_lead(created, "2026-11-23 08:01:00").await;

    let expected = format!("{} / {target}", count + 1);
    browser
        .wait_until(&format!("{} === {expected:?}", cell(wang, "New Leads")))
        .await;
    assert_eq!(browser.eval("window.__same_page === true").await, true);
    // The last update shown is the daemon's clock, in its time zone.
    let updated = browser
        .eval("document.getElementById('updated').textContent")
        .await;
    assert!(
        updated.as_str().unwrap().starts_with("2026-11-23 08:0"),
        "{updated}"
    );
    browser.close().await;
    d.stop().await;
}

/// The right edges of the score cells and the left edges of the names in the rows of 王伟,
/// Nguyễn Văn An and Дмитрий Кузнецов, plus the page's and the window's widths.
const BOXES: &str = "(() => {
  const rows = ARGS.map(u => document.querySelector(`tr[data-user=\"${u}\"]`));
  if (rows.some(r => !r)) return null;
  const box = (r, sel) => r.querySelector(sel).getBoundingClientRect();
  return {
    score_right: rows.map(r => box(r, 'td.score').right),
    name_left: rows.map(r => box(r, 'td.name').left),
    names: rows.map(r => r.querySelector('td.name').textContent),
    overflow: rows.map(r => getComputedStyle(r.querySelector('td.name')).textOverflow),
    align: rows.map(r => getComputedStyle(r.querySelector('td.score')).textAlign),
    page: document.documentElement.scrollWidth,
    window: window.innerWidth,
  };
})()";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_in_three_scripts_line_up_on_a_desktop_and_a_phone() {
    let dir = tempfile::tempdir().unwrap();
    let d = BoardDaemon::start(dir.path(), "public = true").await;
    let Some(browser) = browser::launch(1280, 900).await else {
        d.stop().await;
        return;
    };
    let id = challenge_id(&d, "Lead Acquisition").await;
    let users = [
        d.uid("wei.wang"),
        d.uid("an.nguyen"),
        d.uid("dmitry.kuznetsov"),
    ];
    let script = BOXES.replace("ARGS", &format!("{users:?}"));
    for (width, height) in [(1280, 900), (390, 844)] {
        browser.client.set_window_size(width, height).await.unwrap();
        // Public board: no link needed.
        browser.goto(&format!("{}/board/{id}", d.base)).await;
        let b = browser.eval(&script).await;
        assert!(
            !b.is_null(),
            "rows missing at {width} px:\n{}",
            browser.text().await
        );
        assert_eq!(
            b["names"],
            serde_json::json!(["王伟", "Nguyễn Văn An", "Дмитрий Кузнецов"]),
            "whole names in the page (cut by CSS only)"
        );
        let right: Vec<f64> = b["score_right"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        let left: Vec<f64> = b["name_left"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        assert!(
            right.windows(2).all(|w| (w[0] - w[1]).abs() < 0.5),
            "score edges at {width} px: {right:?}"
        );
        assert!(
            left.windows(2).all(|w| (w[0] - w[1]).abs() < 0.5),
            "name edges at {width} px: {left:?}"
        );
        assert!(
            b["overflow"]
                .as_array()
                .unwrap()
                .iter()
                .all(|v| v == "ellipsis")
        );
        assert!(b["align"].as_array().unwrap().iter().all(|v| v == "right"));
        let (page, window) = (b["page"].as_f64().unwrap(), b["window"].as_f64().unwrap());
        assert!(
            page <= window,
            "no sideways scrolling at {width} px: page {page}, window {window}"
        );
        assert!(right[0] <= window, "the score is on screen at {width} px");
    }
    browser.close().await;
    d.stop().await;
}
