//! Recognition in Odoo through the binary (`[recognition]`, issue 15 item 4): `check` refuses
//! it until `setup` has made the key field and the channel; a run posts one message per goal
//! reached in the current period and per badge granted, to the channel and to each person's
//! own chatter; a second run and `plan` post nothing more. The lost-answer case is in
//! `fault_injection::a_recognition_post_whose_answer_was_lost_is_not_posted_twice`.

use std::collections::{BTreeMap, BTreeSet};

use scorekeeper::record::Value;

use crate::support::cli::{cmd_text, sk_async};
use crate::support::mail::served_demo_with_mail;
use crate::support::{Served, Wire, over_each_world, write_world_config};

const NOW: &str = "2026-11-22 09:00:00";
const RECOGNITION: &str = "\n[recognition]\nchannel = \"Sales floor\"\nchatter = true\n";

fn str_of(v: Option<Value>) -> String {
    match v {
        Some(Value::Str(s)) => s,
        other => panic!("not a text: {other:?}"),
    }
}

fn id_of(v: Option<Value>) -> i64 {
    match v {
        Some(Value::Int(i) | Value::Many2one(i)) => i,
        other => panic!("not an id: {other:?}"),
    }
}

/// (model, res_id) → the bodies of the messages posted there.
type Posts = BTreeMap<(String, i64), Vec<String>>;

/// Every message in the simulator: where it was posted, and the keys with their counts.
fn messages(served: &Served) -> (Posts, BTreeMap<String, usize>) {
    let store = served.sim.read();
    let mut posts = Posts::new();
    let mut keys: BTreeMap<String, usize> = BTreeMap::new();
    for id in store.all_ids("mail.message") {
        let model = str_of(store.value("mail.message", id, "model"));
        let res_id = id_of(store.value("mail.message", id, "res_id"));
        posts
            .entry((model, res_id))
            .or_default()
            .push(str_of(store.value("mail.message", id, "body")));
        *keys
            .entry(str_of(store.value("mail.message", id, "x_sk_key")))
            .or_default() += 1;
    }
    (posts, keys)
}

over_each_world!(a_goal_reached_or_a_badge_granted_is_posted_once_to_the_channel_and_chatter);

async fn a_goal_reached_or_a_badge_granted_is_posted_once_to_the_channel_and_chatter(wire: Wire) {
    let served = served_demo_with_mail(300, wire).await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_world_config(dir.path(), "demo", &served, &[]);
    let mut toml = std::fs::read_to_string(&cfg).unwrap();
    toml.push_str(RECOGNITION);
    std::fs::write(&cfg, toml).unwrap();
    let cfg = cfg.to_string_lossy().into_owned();

    // Before setup: `check` refuses what the run would (no key field, no channel).
    let check = sk_async(&["check", "-c", &cfg]).await;
    assert_eq!(check.status.code(), Some(2), "{}", cmd_text(&check));
    let said = cmd_text(&check);
    assert!(
        said.contains("mail.message.x_sk_key not in Odoo yet"),
        "{said}"
    );
    assert!(
        said.contains("no discuss.channel named \"Sales floor\""),
        "{said}"
    );

    let setup = sk_async(&["setup", "-c", &cfg]).await;
    assert_eq!(setup.status.code(), Some(0), "{}", cmd_text(&setup));
    let said = String::from_utf8_lossy(&setup.stdout).into_owned();
    assert!(
        said.contains("field   mail.message.x_sk_key: created"),
        "{said}"
    );
    assert!(
        said.contains("channel discuss.channel \"Sales floor\": created"),
        "{said}"
    );
    let channel = *served
        .sim
        .read()
        .all_ids("discuss.channel")
        .first()
        .unwrap();

    let run = sk_async(&["run", "-c", &cfg, "gamification", "--now", NOW]).await;
    assert_eq!(run.status.code(), Some(0), "{}", cmd_text(&run));

    // What deserves a message, from the simulator's own records after the run: goals reached
    // in the period holding the day, and the badges granted.
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
    let (reached, granted) = {
        let store = served.sim.read();
        let mut reached: Vec<i64> = Vec::new();
        for id in store.all_ids("gamification.goal") {
            let date = |f: &str| match store.value("gamification.goal", id, f) {
                Some(Value::Str(d)) => chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok(),
                _ => None,
            };
            let state = str_of(store.value("gamification.goal", id, "state"));
            let closed = matches!(
                store.value("gamification.goal", id, "closed"),
                Some(Value::Bool(true))
            );
            let current = date("start_date").is_none_or(|s| s <= today)
                && date("end_date").is_none_or(|e| today <= e);
            if state == "reached" && !closed && current {
                reached.push(id_of(store.value("gamification.goal", id, "user_id")));
            }
        }
        let granted: Vec<i64> = store
            .all_ids("gamification.badge.user")
            .into_iter()
            .filter(|&id| {
                matches!(
                    store.value("gamification.badge.user", id, "x_sk_key"),
                    Some(Value::Str(_))
                )
            })
            .map(|id| id_of(store.value("gamification.badge.user", id, "user_id")))
            .collect();
        (reached, granted)
    };
    let partner = |user: i64| id_of(served.sim.read().value("res.users", user, "partner_id"));
    let name = |user: i64| str_of(served.sim.read().value("res.users", user, "name"));
    assert!(!reached.is_empty(), "the demo reaches goals by {today}");
    assert!(!granted.is_empty(), "the demo grants badges by {today}");

    let (posts, keys) = messages(&served);
    assert!(
        keys.values().all(|n| *n == 1),
        "one message per key: {keys:?}"
    );
    let in_channel = &posts[&("discuss.channel".to_owned(), channel)];
    assert_eq!(
        in_channel.len(),
        reached.len() + granted.len(),
        "{in_channel:#?}"
    );
    // Each person's chatter holds their own messages, naming them (escaped as HTML).
    let mut per_person: BTreeMap<i64, usize> = BTreeMap::new();
    for u in reached.iter().chain(&granted) {
        *per_person.entry(*u).or_default() += 1;
    }
    for (user, n) in &per_person {
        let mine = &posts[&("res.partner".to_owned(), partner(*user))];
        assert_eq!(mine.len(), *n, "{mine:#?}");
        let shown = name(*user)
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
            .replace('\'', "&#x27;");
        assert!(
            mine.iter().all(|b| b.contains(&format!("<b>{shown}</b>"))),
            "{mine:#?}"
        );
    }
    let goal_posts = in_channel
        .iter()
        .filter(|b| b.starts_with("<p>🎯 "))
        .count();
    assert_eq!(goal_posts, reached.len());
    // Levels and achievements are recognised with their badges, saying what earned them.
    assert!(
        in_channel
            .iter()
            .any(|b| b.starts_with("<p>🏅 ") && b.contains("Level")),
        "{in_channel:#?}"
    );
    let people: BTreeSet<&i64> = per_person.keys().collect();
    assert_eq!(
        posts.len(),
        1 + people.len(),
        "the channel and each person's chatter"
    );

    // Nothing more: a second run and the plan after it post nothing.
    let again = sk_async(&["run", "-c", &cfg, "gamification", "--now", NOW]).await;
    assert_eq!(again.status.code(), Some(0), "{}", cmd_text(&again));
    let plan = sk_async(&["plan", "-c", &cfg, "gamification", "--now", NOW]).await;
    assert_eq!(plan.status.code(), Some(0), "{}", cmd_text(&plan));
    assert!(
        !String::from_utf8_lossy(&plan.stdout).contains("mail.message"),
        "{}",
        cmd_text(&plan)
    );
    assert_eq!(messages(&served).1, keys);
    served.stop().await;
}
