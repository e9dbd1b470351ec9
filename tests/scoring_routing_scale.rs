//! The job routes only the leads that can matter (each member's top `lead_limit`) while the
//! pass streams; this checks it decides exactly what the engine decides over every candidate
//! read the old way (all unassigned leads, domains matched in Odoo), for both strategies,
//! several capacities and member domains, in a full pass and in an incremental one.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use scorekeeper::assignment::{
    self, Candidate, Explain, Input, Member, Quota, Strategy, Team, lead_limit,
};
use scorekeeper::config::AssignmentConfig;
use scorekeeper::domain::{Domain, Env};
use scorekeeper::jobs::scoring::{PassKind, RunOptions, ScoringJob, domain_items, setup};
use scorekeeper::odoo::{OdooClient, SearchOptions, leaf};
use scorekeeper::state::State;
use scorekeeper::xmlrpc::{Struct, Value as X};

use crate::support::{demo_config, now, served_demo};

fn m2o(r: &Struct, f: &str) -> Option<i64> {
    r.get(f).and_then(X::as_many2one).map(|v| v.0)
}

fn int(r: &Struct, f: &str) -> i64 {
    r.get(f).and_then(X::as_i64).unwrap_or(0)
}

async fn matching(client: &OdooClient, scope: &Domain, text: Option<&str>) -> Option<Vec<i64>> {
    let text = text.filter(|t| !t.trim().is_empty())?;
    let mut items = domain_items(scope);
    items.extend(domain_items(&Domain::parse(text).unwrap()));
    Some(
        client
            .search("crm.lead", items, &SearchOptions::default())
            .await
            .unwrap(),
    )
}

/// The engine over every unassigned lead in scope scoring at least the lowest minimum (those
/// `keep` accepts: lead id, current team), domains matched by plain searches.
async fn reference(
    client: &OdooClient,
    scope: &Domain,
    cfg: &AssignmentConfig,
    keep: impl Fn(i64, Option<i64>) -> bool,
) -> (assignment::Outcome, Vec<(i64, usize, i64)>) {
    let mut teams = Vec::new();
    let mut team_hits = BTreeMap::new();
    for t in &cfg.teams {
        let name = t.team.to_string().trim_matches('\'').to_owned();
        let row = client
            .search_read_all(
                "crm.team",
                vec![leaf("name", "=", name.as_str())],
                &["id", "name", "assignment_domain", "assignment_optout"],
            )
            .await
            .unwrap()
            .remove(0);
        let id = int(&row, "id");
        team_hits.insert(
            id,
            matching(
                client,
                scope,
                row.get("assignment_domain").and_then(X::as_str),
            )
            .await,
        );
        teams.push(Team {
            id,
            name,
            min_score: t.min_score,
            order: t.order,
            optout: row.get("assignment_optout") == Some(&X::Bool(true)),
        });
    }
    let team_ids: Vec<X> = teams.iter().map(|t| X::Int(t.id)).collect();
    let rows = client
        .search_read_all(
            "crm.team.member",
            vec![leaf("crm_team_id", "in", X::Array(team_ids))],
            &[
                "id",
                "user_id",
                "crm_team_id",
                "assignment_max",
                "assignment_domain",
                "assignment_optout",
                "lead_month_count",
            ],
        )
        .await
        .unwrap();
    let mut members = Vec::new();
    let mut member_hits = BTreeMap::new();
    for r in &rows {
        let id = int(r, "id");
        member_hits.insert(
            id,
            matching(
                client,
                scope,
                r.get("assignment_domain").and_then(X::as_str),
            )
            .await,
        );
        members.push(Member {
            id,
            user_id: m2o(r, "user_id").unwrap(),
            name: r
                .get("user_id")
                .and_then(X::as_many2one)
                .map(|v| v.1.to_owned())
                .unwrap_or_default(),
            team_id: m2o(r, "crm_team_id").unwrap(),
            max: int(r, "assignment_max"),
            month_count: int(r, "lead_month_count"),
            day_count: 0,
            // 17's quota is handed once per `work_days`: the member's leads opened within it,
            // counted here one member at a time (the job counts them in one read_group).
            window_count: if cfg.strategy == Strategy::Odoo {
                let since = now() - chrono::Duration::seconds((cfg.work_days * 86_400.0) as i64);
                client
                    .search_count(
                        "crm.lead",
                        vec![
                            leaf(
                                "date_open",
                                ">=",
                                since.format("%Y-%m-%d %H:%M:%S").to_string(),
                            ),
                            leaf("user_id", "=", m2o(r, "user_id").unwrap()),
                            leaf("team_id", "=", m2o(r, "crm_team_id").unwrap()),
                            leaf(
                                "active",
                                "in",
                                X::Array(vec![X::Bool(true), X::Bool(false)]),
                            ),
                        ],
                    )
                    .await
                    .unwrap()
            } else {
                0
            },
            preferred: false,
            optout: r.get("assignment_optout") == Some(&X::Bool(true)),
            broken_domain: None,
        });
    }
    let min_min = cfg.teams.iter().map(|t| t.min_score).min().unwrap();
    let mut domain = domain_items(scope);
    domain.push(leaf("user_id", "=", false));
    domain.push(leaf("x_lead_score", ">=", min_min));
    let leads = client
        .search_read_all(
            "crm.lead",
            domain,
            &["id", "x_lead_score", "team_id", "probability"],
        )
        .await
        .unwrap();
    let hit = |h: &Option<Vec<i64>>, id: i64| h.as_ref().is_none_or(|ids| ids.contains(&id));
    let candidates: Vec<Candidate> = leads
        .iter()
        .filter(|r| keep(int(r, "id"), m2o(r, "team_id")))
        .map(|r| {
            let id = int(r, "id");
            Candidate {
                id,
                score: int(r, "x_lead_score"),
                probability: r.get("probability").and_then(X::as_f64).unwrap_or(0.0),
                team_id: m2o(r, "team_id"),
                user_id: None,
                team_matches: team_hits
                    .iter()
                    .filter(|(_, h)| hit(h, id))
                    .map(|(t, _)| *t)
                    .collect(),
                member_matches: member_hits
                    .iter()
                    .filter(|(_, h)| hit(h, id))
                    .map(|(m, _)| *m)
                    .collect(),
                member_preferred: Vec::new(),
                created: None,
            }
        })
        .collect();
    // Per team: (team, leads that chose it, lead_limit), to check the limits really cut.
    let out = assignment::assign(&Input {
        teams: teams.clone(),
        members: members.clone(),
        candidates: candidates.clone(),
        strategy: cfg.strategy,
        work_days: cfg.work_days,
        explain: Explain::All,
        ..Input::default()
    });
    let sizes = teams
        .iter()
        .map(|t| {
            let n = out
                .routings
                .values()
                .filter(|r| r.team.as_ref().is_some_and(|x| x.id == t.id))
                .count();
            (
                t.id,
                n,
                lead_limit(&members, t.id, cfg.strategy, cfg.work_days, Quota::Monthly),
            )
        })
        .collect();
    (out, sizes)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streamed_routing_equals_the_engine_over_all_candidates() {
    let served = served_demo(4_000).await;
    let dir = tempfile::tempdir().unwrap();
    let (cfg, _) = demo_config(&served.url, true, dir.path());
    let scoring = cfg.scoring.as_ref().unwrap();
    let client = served.client("admin", "admin");
    setup::setup(&client, scoring).await.unwrap();
    // Scores stored first, so the stored score the reference reads is the pass's fresh one.
    let mut state = State::open_in_memory().unwrap();
    let opts = RunOptions {
        now: now(),
        full: true,
    };
    let scored = ScoringJob::new(&client, scoring, None)
        .run(&mut state, &opts, false)
        .await
        .unwrap();
    assert!(scored.scoring.as_ref().unwrap().is_success());

    // Varied capacities, member domains (some overlapping, one matching nothing) and one
    // opted-out member.
    let members = client
        .search_read_all("crm.team.member", vec![], &["id"])
        .await
        .unwrap();
    let ids: Vec<i64> = members.iter().map(|r| int(r, "id")).collect();
    assert!(ids.len() >= 8);
    let domains = [
        Some("[('probability', '>=', 30)]"),
        Some("[('country_id.code', 'in', ['VN', 'CN', 'FR'])]"),
        None,
        Some("[('id', '<', 0)]"),
        Some("['|', ('probability', '<', 50), ('country_id.code', '=', 'SG')]"),
    ];
    for (i, id) in ids.iter().enumerate() {
        let mut v = Struct::new();
        v.push("assignment_max", X::Int([3, 10, 30, 45, 90][i % 5]));
        v.push(
            "assignment_domain",
            domains[i % domains.len()].map_or(X::Bool(false), X::from),
        );
        v.push("assignment_optout", X::Bool(i % 7 == 3));
        client.write("crm.team.member", &[*id], v).await.unwrap();
    }

    let scope = scoring.scope.bind(&Env::at(now())).unwrap();
    // With no overlap, the leads the scoring run wrote (over a second ago: the simulator's
    // clock is moved ahead, no sleep) are matched by the pushed-down domain sets; with the
    // default overlap they were written "during" the pass and are matched among themselves at
    // the end. Both must route the same.
    served
        .sim
        .write()
        .advance_clock(chrono::Duration::milliseconds(1100));
    let mut no_overlap = scoring.clone();
    no_overlap.overlap_secs = 0;
    let base = cfg.assignment.clone().unwrap();
    let mut cut = false;
    for (strategy, work_days) in [
        (Strategy::Odoo, 1.0),
        (Strategy::Odoo, 5.0),
        (Strategy::RoundRobin, 1.0),
    ] {
        let acfg = AssignmentConfig {
            strategy,
            work_days,
            ..base.clone()
        };
        for (incremental, overlap) in [(false, false), (false, true), (true, true)] {
            let sc = if overlap { scoring } else { &no_overlap };
            let job = ScoringJob::new(&client, sc, Some(&acfg));
            let kind = if incremental {
                // Nothing changed since: only the waiting lists are read.
                PassKind::Incremental {
                    since: "2100-01-01 00:00:00".into(),
                    seen: Default::default(),
                    own: Default::default(),
                }
            } else {
                PassKind::Full
            };
            let before = client.metrics();
            let eval = job.evaluate(kind, now()).await.unwrap();
            let sent = client.metrics().bytes_sent - before.bytes_sent;
            assert!(eval.scoring_plan.is_empty(), "scores were stored first");
            let got = eval.routing.unwrap();
            let (want, sizes) = reference(&client, &scope, &acfg, |_, team| {
                !incremental || team.is_some()
            })
            .await;
            let what = format!(
                "{strategy:?}, {work_days} days, incremental {incremental}, overlap {overlap}"
            );
            eprintln!("{what}: {sent} bytes sent");
            if !incremental && !overlap {
                // No id list goes out: the domains are pushed down whole.
                assert!(sent < 50_000, "{what}: {sent} bytes sent");
            }
            assert_eq!(got.assignments, want.assignments, "{what}");
            assert!(
                got.assignments.iter().any(|a| a.user_id.is_some()),
                "{what}"
            );
            let used = |o: &assignment::Outcome| -> BTreeMap<i64, assignment::Usage> {
                o.usage
                    .iter()
                    .filter(|(_, u)| u.used > 0)
                    .map(|(m, u)| (*m, *u))
                    .collect()
            };
            assert_eq!(used(&got), used(&want), "{what}");
            // The salesperson explanations agree too.
            for a in got.assignments.iter().filter(|a| a.user_id.is_some()) {
                assert_eq!(
                    got.routings[&a.lead].salesperson, want.routings[&a.lead].salesperson,
                    "{what}: lead {}",
                    a.lead
                );
            }
            cut |= sizes.iter().any(|(_, n, limit)| *n as i64 > *limit);
            if !incremental {
                assert!(
                    got.assignments.iter().any(|a| a.user_id.is_none()),
                    "{what}: some leads only get a team"
                );
            }
        }
        // An incremental pass that read every lead (as right after a run that routed
        // thousands): the waiting lists are paged past this pass's leads, 50 rows a page,
        // and the outcome is still the engine's over all candidates.
        let small = served
            .client("admin", "admin")
            .with_batch_size(std::num::NonZeroUsize::new(50).unwrap());
        let job = ScoringJob::new(&small, scoring, Some(&acfg));
        let everything = PassKind::Incremental {
            since: "2000-01-01 00:00:00".into(),
            seen: Default::default(),
            own: Default::default(),
        };
        let got = job
            .evaluate(everything, now())
            .await
            .unwrap()
            .routing
            .unwrap();
        let (want, _) = reference(&client, &scope, &acfg, |_, _| true).await;
        assert_eq!(
            got.assignments, want.assignments,
            "{strategy:?}, {work_days} days, incremental pass over every lead"
        );
    }
    assert!(cut, "some team had more leads than its lead_limit");

    // An incremental pass that reads some leads: unassigned ones with and without a team
    // (edited on a field no rule reads, so their scores stay), next to the waiting ones.
    let pick = |team: bool| {
        let client = &client;
        let scope = &scope;
        async move {
            let mut d = domain_items(scope);
            d.push(leaf("user_id", "=", false));
            d.push(leaf("x_lead_score", ">=", 30));
            d.push(leaf("team_id", if team { "!=" } else { "=" }, false));
            if team {
                // The best-placed waiting leads: Odoo lists them first, so the waiting lists
                // must page past them to find the others.
                let opts = SearchOptions {
                    order: Some("probability desc, id asc".into()),
                    limit: Some(25),
                    ..SearchOptions::default()
                };
                return client.search("crm.lead", d, &opts).await.unwrap();
            }
            let ids = client
                .search("crm.lead", d, &SearchOptions::default())
                .await
                .unwrap();
            ids.into_iter().step_by(7).take(25).collect::<Vec<i64>>()
        }
    };
    let mut edited = pick(false).await;
    assert!(!edited.is_empty());
    edited.extend(pick(true).await);
    let since = served
        .sim
        .read()
        .clock_now()
        .format("%Y-%m-%d %H:%M:%S")
        .to_string();
    let mut v = Struct::new();
    v.push("description", X::from("called back"));
    client.write("crm.lead", &edited, v).await.unwrap();
    // Pages of 5 rows: the waiting lists cross the 25 edited leads page by page.
    let small = served
        .client("admin", "admin")
        .with_batch_size(std::num::NonZeroUsize::new(5).unwrap());
    for (strategy, client) in [
        (Strategy::Odoo, &client),
        (Strategy::RoundRobin, &client),
        (Strategy::Odoo, &small),
        (Strategy::RoundRobin, &small),
    ] {
        let acfg = AssignmentConfig {
            strategy,
            ..base.clone()
        };
        let job = ScoringJob::new(client, scoring, Some(&acfg));
        let kind = PassKind::Incremental {
            since: since.clone(),
            seen: Default::default(),
            own: Default::default(),
        };
        let eval = job.evaluate(kind, now()).await.unwrap();
        assert_eq!(eval.leads_read, edited.len(), "{strategy:?}");
        assert!(eval.scoring_plan.is_empty(), "{strategy:?}");
        let got = eval.routing.unwrap();
        let (want, _) = reference(client, &scope, &acfg, |id, team| {
            team.is_some() || edited.contains(&id)
        })
        .await;
        assert_eq!(got.assignments, want.assignments, "{strategy:?}");
        assert!(
            got.assignments
                .iter()
                .any(|a| a.user_id.is_none() && edited.contains(&a.lead)),
            "{strategy:?}: an edited lead without a team gets one"
        );
    }
    served.stop().await;
}
