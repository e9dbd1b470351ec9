//! Issue 17's "Done when": scorekeeper beside an admin's script, both against the simulator
//! charging what a real Odoo 17 charges (`sim --costs odoo17`, `sim::CostTable::odoo17`), on
//! the demo dataset (100,000 leads; `SCOREKEEPER_BENCH_LEADS` for another size) and 12 rules
//! of the kinds the issue lists. Two simulators are built from the same seed, one for each
//! side, so neither sees the other's writes; each is served over HTTP in this process and
//! spoken to over XML-RPC.
//!
//! - **scorekeeper** (the library, as `run` drives it): first pass, a run with nothing changed,
//!   a routing pass (the demo's four teams), then gamification: challenge "Lead Acquisition"
//!   (three lines on `crm.lead`) for the demo's salespeople by `user_ids`, started by a first
//!   refresh; the third refresh is the steady state.
//! - **the script's call pattern**: one `search` per rule, the current scores read in pages of
//!   5,000 (`search_read`, `id >` paging), scores summed in memory, changed ones written grouped
//!   by value, 5,000 ids per plain `write` (Odoo's mail tracking on). Its routing writes the
//!   same team and salesperson changes scorekeeper's routing made (taken from scorekeeper's
//!   simulator), after one `search` per team, grouped by (team, salesperson), 5,000 ids per
//!   plain `write`: the decisions for free, only the calls are charged.
//!
//! `cargo bench --bench costed` (release); `SCOREKEEPER_BENCH_CONCURRENCY=1` sets scorekeeper's
//! `[odoo] max_concurrency` (default 2; the script writes one call at a time whatever it is).
//! Not a divan bench: single long runs, wall time
//! and calls per pass, printed as a Markdown table.
#![allow(clippy::unwrap_used)]

#[path = "support/demo_leads.rs"]
mod demo_leads;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use scorekeeper::domain::Domain;
use scorekeeper::jobs::gamification::{self, Options};
use scorekeeper::jobs::scoring::{RunOptions, ScoringJob, domain_items, setup};
use scorekeeper::odoo::{Credentials, Metrics, OdooClient, Secret, XmlRpcTransport};
use scorekeeper::sim::{CostTable, Sim};
use scorekeeper::state::State;
use scorekeeper::xmlrpc::{Struct, Value};

use demo_leads::add_demo_leads;

const NOW: &str = "2026-11-21 09:00:00";
const LEAD: &str = "crm.lead";
const SCORE: &str = "x_lead_score";
/// The script's ids per call.
const CHUNK: usize = 5_000;

/// 12 rules of the kinds issue 17 lists: country (2), free mailbox, source, campaign,
/// revenue (2), priority, type, tag, unassigned, name `ilike`.
const RULES: &[(&str, &str, i64)] = &[
    ("Vietnam", "[('country_id.code', '=', 'VN')]", 15),
    (
        "Greater China",
        "[('country_id.code', 'in', ['CN', 'SG'])]",
        10,
    ),
    (
        "Free mailbox",
        "[('email_from', 'ilike', '@gmail.com')]",
        -5,
    ),
    (
        "Referral or trade show",
        "[('source_id.name', 'in', ['Customer Referral', 'Trade Show'])]",
        20,
    ),
    ("From a campaign", "[('campaign_id', '!=', False)]", 5),
    (
        "Budget above 20k",
        "[('expected_revenue', '>=', 20000)]",
        20,
    ),
    ("No budget", "[('expected_revenue', '=', 0)]", -10),
    ("Starred", "[('priority', 'in', ['2', '3'])]", 10),
    ("Opportunity", "[('type', '=', 'opportunity')]", 10),
    (
        "VIP or government",
        "[('tag_ids.name', 'in', ['VIP', 'Government'])]",
        25,
    ),
    ("Unassigned", "[('user_id', '=', False)]", 5),
    ("Asks for a quote", "[('name', 'ilike', 'quote')]", 15),
];

fn config_text(url: &str, database: &str, state: &Path, routing: bool) -> String {
    let mut t = format!(
        "[odoo]\nurl = \"{url}\"\ndatabase = \"{database}\"\nlogin = \"admin\"\n\
         password_env = \"SK_BENCH_PASSWORD\"\ntimeout_secs = 600\nbatch_size = 2000\n\
         [state]\npath = \"{}\"\n\
         [scoring]\nscore_field = \"{SCORE}\"\ncreate_score_field = true\nmax_concurrency = 2\n",
        state.display()
    );
    for (name, domain, points) in RULES {
        t.push_str(&format!(
            "[[scoring.rules]]\nname = \"{name}\"\ndomain = \"{domain}\"\npoints = {points}\n"
        ));
    }
    if routing {
        t.push_str("[assignment]\nstrategy = \"odoo\"\nwork_days = 1\n");
        for (team, min) in [
            ("Vietnam", 30),
            ("Greater China", 30),
            ("Europe & CIS", 35),
            ("Americas & Pacific", 40),
        ] {
            t.push_str(&format!(
                "[[assignment.teams]]\nteam = \"{team}\"\nmin_score = {min}\n"
            ));
        }
    }
    t
}

/// The demo dataset in a simulator charging Odoo 17's costs, served on `rt`.
fn serve(rt: &tokio::runtime::Runtime, leads: usize) -> (Arc<Sim>, String) {
    let sim = Sim::from_snapshot_file(format!(
        "{}/fixtures/odoo17/snapshot.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    add_demo_leads(&sim, leads);
    let sim = Arc::new(sim.with_costs(CostTable::odoo17()));
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    rt.spawn(scorekeeper::sim::serve(
        listener,
        sim.clone(),
        std::future::pending::<()>(),
    ));
    (sim, url)
}

/// `[odoo] max_concurrency` of both clients (`SCOREKEEPER_BENCH_CONCURRENCY`, default 2).
fn concurrency() -> std::num::NonZeroUsize {
    std::env::var("SCOREKEEPER_BENCH_CONCURRENCY")
        .ok()
        .and_then(|v| v.parse().ok())
        .and_then(std::num::NonZeroUsize::new)
        .unwrap_or(std::num::NonZeroUsize::new(2).unwrap())
}

fn client(url: &str, database: &str) -> OdooClient {
    let metrics = Arc::new(Metrics::new());
    let transport = XmlRpcTransport::new(
        &reqwest::Url::parse(url).unwrap(),
        Duration::from_secs(600),
        metrics.clone(),
    )
    .unwrap();
    OdooClient::new(
        Arc::new(transport),
        metrics,
        Credentials {
            database: database.to_owned(),
            login: "admin".into(),
            secret: Secret::new("admin"),
        },
    )
    .with_max_concurrency(concurrency())
}

/// Wall time and calls of one pass.
#[derive(Clone, Copy, Default)]
struct Pass {
    wall: Duration,
    calls: u64,
}

async fn timed<F: std::future::Future<Output = ()>>(client: &OdooClient, f: F) -> Pass {
    let before = client.metrics().calls;
    let t = Instant::now();
    f.await;
    Pass {
        wall: t.elapsed(),
        calls: client.metrics().calls - before,
    }
}

/// The script's scoring pass: one `search` per rule, current scores in pages of 5,000,
/// changed scores written grouped by value, 5,000 ids per plain `write`.
async fn script_scores(client: &OdooClient) -> usize {
    let mut score: HashMap<i64, i64> = HashMap::new();
    for (_, domain, points) in RULES {
        let items = domain_items(&Domain::parse(domain).unwrap());
        for id in client
            .search(LEAD, items, &Default::default())
            .await
            .unwrap()
        {
            *score.entry(id).or_default() += points;
        }
    }
    let mut current: HashMap<i64, i64> = HashMap::new();
    let mut last = 0;
    loop {
        let mut kwargs = Struct::new();
        kwargs.push("fields", Value::Array(vec![Value::from(SCORE)]));
        kwargs.push("limit", Value::Int(CHUNK as i64));
        kwargs.push("order", Value::from("id"));
        let domain = vec![Value::Array(vec![
            Value::from("id"),
            Value::from(">"),
            Value::Int(last),
        ])];
        let rows = client
            .execute_kw(LEAD, "search_read", vec![Value::Array(domain)], kwargs)
            .await
            .unwrap();
        let rows = rows.as_array().unwrap().to_vec();
        for r in &rows {
            let r = r.as_struct().unwrap();
            let id = r.get("id").and_then(Value::as_i64).unwrap();
            let s = r.get(SCORE).and_then(Value::as_i64).unwrap_or(0);
            current.insert(id, s);
            last = last.max(id);
        }
        if rows.len() < CHUNK {
            break;
        }
    }
    let mut by_value: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for (id, now) in &current {
        let new = score.get(id).copied().unwrap_or(0);
        if new != *now {
            by_value.entry(new).or_default().push(*id);
        }
    }
    let mut written = 0;
    for (value, mut ids) in by_value {
        ids.sort_unstable();
        for chunk in ids.chunks(CHUNK) {
            let mut v = Struct::new();
            v.push(SCORE, Value::Int(value));
            client.write(LEAD, chunk, v).await.unwrap();
            written += chunk.len();
        }
    }
    written
}

/// (team, salesperson) of every lead, read from a simulator's store (no call).
fn routing_of(sim: &Sim) -> BTreeMap<i64, (Option<i64>, Option<i64>)> {
    let store = sim.read();
    store
        .all_ids(LEAD)
        .into_iter()
        .map(|id| {
            let m2o = |f: &str| store.value(LEAD, id, f).and_then(|v| v.as_many2one());
            (id, (m2o("team_id"), m2o("user_id")))
        })
        .collect()
}

/// The script's routing: one `search` per team, then the given changes written grouped by
/// (team, salesperson), 5,000 ids per plain `write`.
async fn script_routing(
    client: &OdooClient,
    changes: &BTreeMap<(Option<i64>, Option<i64>), Vec<i64>>,
) {
    let teams: std::collections::BTreeSet<i64> = changes.keys().filter_map(|(t, _)| *t).collect();
    for team in teams {
        let domain = vec![
            Value::Array(vec!["user_id".into(), "=".into(), Value::Bool(false)]),
            Value::Array(vec![
                "team_id".into(),
                "in".into(),
                Value::Array(vec![Value::Bool(false), Value::Int(team)]),
            ]),
        ];
        client
            .search(LEAD, domain, &Default::default())
            .await
            .unwrap();
    }
    for ((team, user), ids) in changes {
        for chunk in ids.chunks(CHUNK) {
            let mut v = Struct::new();
            if let Some(t) = team {
                v.push("team_id", Value::Int(*t));
            }
            if let Some(u) = user {
                v.push("user_id", Value::Int(*u));
            }
            client.write(LEAD, chunk, v).await.unwrap();
        }
    }
}

fn main() {
    let leads: usize = std::env::var("SCOREKEEPER_BENCH_LEADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let t = Instant::now();
    let (sim_a, url_a) = serve(&rt, leads);
    let (sim_b, url_b) = serve(&rt, leads);
    eprintln!(
        "two simulators of {leads} demo leads in {:.1?}",
        t.elapsed()
    );
    let database = sim_a.database().to_owned();
    let dir = tempfile::tempdir().unwrap();
    let state_path = dir.path().join("state.db");
    let load = |routing: bool| {
        let text = config_text(&url_a, &database, &state_path, routing);
        scorekeeper::config::load_str(Path::new("/tmp/costed.toml"), &text, &|_| {
            Some("admin".to_owned())
        })
        .unwrap()
    };
    let (plain, routed) = (load(false), load(true));
    let now = NaiveDateTime::parse_from_str(NOW, "%Y-%m-%d %H:%M:%S").unwrap();
    let a = client(&url_a, &database);
    let b = client(&url_b, &database);

    rt.block_on(async {
        let scoring = plain.scoring.as_ref().unwrap();
        setup::setup(&a, scoring).await.unwrap();
        setup::setup(&b, scoring).await.unwrap();
        let mut state = State::open(&state_path).unwrap();
        let job = ScoringJob::new(&a, scoring, None);
        let opts = RunOptions { now, full: false };
        let mut sk = Vec::new();
        let mut written = 0;
        sk.push(
            timed(&a, async {
                let r = job.run(&mut state, &opts, false).await.unwrap();
                written = r.scoring.as_ref().map_or(0, |s| s.records_written);
            })
            .await,
        );
        // The same work: the script must end with these scores.
        let scores = |sim: &Sim| -> Vec<Option<i64>> {
            let store = sim.read();
            store
                .all_ids(LEAD)
                .into_iter()
                .map(|id| store.value(LEAD, id, SCORE).and_then(|v| v.as_i64()).filter(|&s| s != 0))
                .collect()
        };
        let a_scores = scores(&sim_a);
        eprintln!("scorekeeper first pass: {written} leads written");
        sk.push(
            timed(&a, async {
                let r = job.run(&mut state, &opts, false).await.unwrap();
                let w = r.scoring.as_ref().map_or(0, |s| s.records_written);
                assert_eq!(w, 0, "nothing changed, nothing written");
            })
            .await,
        );
        let before = routing_of(&sim_a);
        let routing_job = ScoringJob::new(&a, routed.scoring.as_ref().unwrap(), routed.assignment.as_ref());
        sk.push(
            timed(&a, async {
                routing_job
                    .run(&mut state, &RunOptions { now, full: true }, false)
                    .await
                    .unwrap();
            })
            .await,
        );
        let after = routing_of(&sim_a);
        let mut changes: BTreeMap<(Option<i64>, Option<i64>), Vec<i64>> = BTreeMap::new();
        for (id, (team, user)) in &after {
            let (t0, u0) = before[id];
            if (t0, u0) != (*team, *user) {
                let key = (if t0 != *team { *team } else { None }, if u0 != *user { *user } else { None });
                changes.entry(key).or_default().push(*id);
            }
        }
        let routed_leads: usize = changes.values().map(Vec::len).sum();
        eprintln!("scorekeeper routing: {routed_leads} leads changed team or salesperson");

        let mut script = Vec::new();
        let mut script_written = 0;
        script.push(timed(&b, async { script_written = script_scores(&b).await }).await);
        eprintln!("script first pass: {script_written} leads written");
        assert!(a_scores == scores(&sim_b), "the script and scorekeeper disagree");
        script.push(
            timed(&b, async {
                assert_eq!(script_scores(&b).await, 0);
            })
            .await,
        );
        script.push(timed(&b, script_routing(&b, &changes)).await);

        // Gamification: "Lead Acquisition" for the salespeople by `user_ids`.
        let salespeople: Vec<i64> = {
            let store = sim_a.read();
            let mut ids: Vec<i64> = store
                .all_ids("crm.team.member")
                .into_iter()
                .filter_map(|m| store.value("crm.team.member", m, "user_id").and_then(|v| v.as_many2one()))
                .collect();
            ids.sort_unstable();
            ids.dedup();
            ids
        };
        let mut challenge = Struct::new();
        challenge.push("user_domain", Value::Bool(false));
        challenge.push(
            "user_ids",
            Value::Array(vec![Value::Array(vec![
                Value::Int(6),
                Value::Int(0),
                Value::Array(salespeople.iter().map(|&u| Value::Int(u)).collect()),
            ])]),
        );
        a.write("gamification.challenge", &[4], challenge).await.unwrap();
        // The simulator's clock is the wall clock (it generates a started challenge's goals
        // for its own today): the refresh runs on the same day.
        let mut gopts = Options::new(chrono::Utc::now().date_naive());
        gopts.start = vec![4];
        gopts.only = Some(vec![4]);
        let apply = scorekeeper::apply::ApplyOptions::default();
        let mut game = Vec::new();
        for _ in 0..3 {
            game.push(
                timed(&a, async {
                    let (outcome, report) = gamification::run(&a, &mut state, &gopts, &apply).await.unwrap();
                    assert!(report.failures.is_empty());
                    eprintln!(
                        "gamification refresh: {} queries, {} creates, {} field changes",
                        outcome.queries,
                        outcome.plan.create_count(),
                        outcome.plan.field_change_count()
                    );
                })
                .await,
            );
        }
        let goals = sim_a.read().all_ids("gamification.goal").len();

        println!(
            "\n{leads} leads, 12 rules, Odoo 17 costs (`sim --costs odoo17`), XML-RPC, max_concurrency {}\n",
            concurrency()
        );
        println!("| pass | scorekeeper | calls | script's call pattern | calls | ratio |");
        println!("|---|---|---|---|---|---|");
        for (i, name) in ["first pass", "nothing changed", "routing pass"].iter().enumerate() {
            println!(
                "| {name} | {:.2?} | {} | {:.2?} | {} | {:.3} |",
                sk[i].wall,
                sk[i].calls,
                script[i].wall,
                script[i].calls,
                sk[i].wall.as_secs_f64() / script[i].wall.as_secs_f64()
            );
        }
        println!(
            "\ngamification, {} salespeople × 3 lines ({goals} goals in Odoo): first refresh {:.2?} / {} calls, second {:.2?} / {} calls, steady state {:.2?} / {} calls",
            salespeople.len(),
            game[0].wall,
            game[0].calls,
            game[1].wall,
            game[1].calls,
            game[2].wall,
            game[2].calls
        );
        println!("scores written: scorekeeper {written}, script {script_written}; routed leads {routed_leads}");
    });
}
