//! Each person's own page and the rules page, in a real headless Chromium, and who may open
//! what over plain HTTP: a person's signed link shows their figures and nobody else's, a
//! tampered or foreign link is refused without data, a private board needs a link or the
//! admin token, and `scorekeeper link` prints a link the daemon opens.
#![allow(clippy::unwrap_used)]

use scorekeeper::http::link::Subject;

use crate::support::board::{BoardDaemon, TOKEN};
use crate::support::browser;
use crate::support::cli::sk;

async fn get(url: &str, bearer: Option<&str>) -> (u16, String) {
    let mut req = reqwest::Client::new().get(url);
    if let Some(t) = bearer {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_persons_link_shows_only_their_figures_and_a_tampered_link_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = BoardDaemon::start(dir.path(), "").await;
    let Some(browser) = browser::launch(390, 844).await else {
        d.stop().await;
        return;
    };
    let (wang, an) = (d.uid("wei.wang"), d.uid("an.nguyen"));
    let link = d.token(Subject::User(wang));
    browser.goto(&format!("{}/me/{link}", d.base)).await;
    let text = browser.text().await;
    assert!(text.contains("王伟"), "{text}");
    assert!(
        text.contains("Your goals") && text.contains("Lead Acquisition"),
        "{text}"
    );
    assert!(text.contains("New Leads"), "{text}");
    assert!(text.contains("Your points"), "{text}");
    // Every karma entry with its reason (the demo books "Add Manually" history).
    let karma_rows = browser
        .eval("document.querySelectorAll('table.karma tbody tr').length")
        .await;
    let reasons = browser
        .eval("[...document.querySelectorAll('table.karma td.why')].every(td => td.textContent.length > 0)")
        .await;
    assert_eq!(reasons, true);
    // Nobody else's name or figures: not a colleague of the same team, not anyone.
    for other in ["Nguyễn Văn An", "李娜", "Дмитрий Кузнецов", "James Carter"] {
        assert!(!text.contains(other), "{other} on 王伟's page:\n{text}");
    }
    // The karma shown is Odoo's.
    let admin = d.served.client("admin", "admin");
    let karma = admin.read("res.users", &[wang], &["karma"]).await.unwrap()[0]
        .get("karma")
        .and_then(scorekeeper::xmlrpc::Value::as_i64)
        .unwrap();
    let shown = browser
        .eval("document.getElementById('karma').textContent")
        .await;
    assert_eq!(shown.as_str().unwrap().replace(',', ""), karma.to_string());
    eprintln!("王伟's page: karma {karma}, {karma_rows} karma entries");

    // The same signature on another person's id, a changed signature, the board's link.
    let tampered = link.replacen(&format!("u{wang}."), &format!("u{an}."), 1);
    let mut flipped = link.clone();
    let last = flipped.pop().unwrap();
    flipped.push(if last == 'a' { 'b' } else { 'a' });
    for bad in [tampered, flipped, d.token(Subject::Board)] {
        browser.goto(&format!("{}/me/{bad}", d.base)).await;
        let text = browser.text().await;
        assert!(text.contains("Not for this link"), "{text}");
        for name in ["王伟", "Nguyễn Văn An", "Karma"] {
            assert!(!text.contains(name), "{name} shown to a bad link:\n{text}");
        }
        let (status, _) = get(&format!("{}/me/{bad}", d.base), None).await;
        assert_eq!(status, 403);
    }
    let (status, body) = get(&format!("{}/me/nonsense", d.base), None).await;
    assert_eq!(status, 404, "{body}");
    browser.close().await;
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rules_page_says_what_earns_what() {
    let dir = tempfile::tempdir().unwrap();
    let d = BoardDaemon::start(dir.path(), "public = true").await;
    let Some(browser) = browser::launch(1280, 900).await else {
        d.stop().await;
        return;
    };
    browser.goto(&format!("{}/rules", d.base)).await;
    let text = browser.text().await;
    for line in [
        "How points are earned",
        "Vietnam market: +15 points",
        "No budget stated: −10 points",
        "Fresh lead: +30 points, halving every 14 days after the lead's create_date",
        "The “contact” group counts at most +15 points in all.",
        "Hot: a score of 70 or more gives priority 3 and the tag “Hot”",
        "Won opportunity: +50 points each",
        "Lead Acquisition",
        "New Leads (more is better",
        "Time to Qualify a Lead (less is better",
        "Appointment Setting",
    ] {
        assert!(
            text.contains(line),
            "{line:?} missing from the rules:\n{text}"
        );
    }
    browser.close().await;
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_private_board_opens_with_a_link_or_the_admin_token_only() {
    let dir = tempfile::tempdir().unwrap();
    let d = BoardDaemon::start(dir.path(), "").await;
    let board = d.token(Subject::Board);
    let person = d.token(Subject::User(d.uid("wei.wang")));
    for path in ["/board", "/rules", "/board/events"] {
        let url = format!("{}{path}", d.base);
        let (status, body) = get(&url, None).await;
        assert_eq!(status, 403, "{path}: {body}");
        assert!(
            !body.contains("王伟") && !body.contains("Vietnam market"),
            "{body}"
        );
        assert_eq!(get(&url, Some("wrong-token")).await.0, 403, "{path}");
        let sep = if path.contains('?') { '&' } else { '?' };
        let bad = format!("{}{}", &board[..board.len() - 1], "0");
        assert_eq!(
            get(&format!("{url}{sep}k={bad}"), None).await.0,
            403,
            "{path}"
        );
    }
    for path in ["/board", "/rules"] {
        let url = format!("{}{path}", d.base);
        let (status, body) = get(&url, Some(TOKEN)).await;
        assert_eq!(status, 200, "{path} with the admin token: {body}");
        assert_eq!(
            get(&format!("{url}?k={board}"), None).await.0,
            200,
            "{path}"
        );
        assert_eq!(
            get(&format!("{url}?k={person}"), None).await.0,
            200,
            "{path}"
        );
    }
    let (_, list) = get(&format!("{}/board?k={board}", d.base), None).await;
    assert!(
        list.contains("Lead Acquisition") && list.contains("Monthly Sales Targets"),
        "{list}"
    );

    // The CLI prints a person's link; the daemon opens it.
    let config = d.config.display().to_string();
    let uid = d.uid("wei.wang").to_string();
    let out = tokio::task::spawn_blocking(move || {
        sk(&[
            "link",
            "-c",
            &config,
            "--user",
            "wei.wang",
            "--now",
            "2026-11-23 08:00:00",
            "--days",
            "30",
        ])
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let url = stdout.lines().next().unwrap();
    assert!(url.starts_with("http://127.0.0.1:9187/me/u"), "{stdout}");
    assert!(
        stdout.contains(&format!(
            "wei.wang (user {uid}); valid until 2026-12-23 08:00 UTC"
        )),
        "{stdout}"
    );
    let path = &url["http://127.0.0.1:9187".len()..];
    let (status, page) = get(&format!("{}{path}", d.base), None).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("王伟"));
    d.stop().await;
}
