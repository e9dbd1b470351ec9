//! The scoring job end to end against the simulator on 127.0.0.1:0 with the demo dataset:
//! setup, full and incremental passes, call budgets, second runs, undo, routing invariants,
//! an interrupted apply reconciled by the next run, and the binary's commands.
#![allow(clippy::unwrap_used)]

use scorekeeper::jobs::scoring::{PassKind, RunOptions, ScoringJob, setup};
use scorekeeper::state::State;

use crate::support::{
    Wire, demo_config, demo_config_on, now, over_each_world, scores, served_demo, served_demo_over,
};

over_each_world!(with_jsonrpc: full_then_incremental_runs_with_call_budgets_and_undo);

async fn full_then_incremental_runs_with_call_budgets_and_undo(wire: Wire) {
    let served = served_demo_over(1_500, wire).await;
    let dir = tempfile::tempdir().unwrap();
    let (cfg, _) = demo_config_on(&served, false, dir.path());
    let scoring = cfg.scoring.as_ref().unwrap();
    let client = served.client("admin", "admin");
    let lines = setup::setup(&client, scoring).await.unwrap();
    assert!(
        lines.iter().any(|l| l.contains("x_lead_score: created")),
        "{lines:?}"
    );
    assert!(
        lines.iter().any(|l| l.contains("Hot: created")),
        "{lines:?}"
    );

    let mut state = State::open_in_memory().unwrap();
    let job = ScoringJob::new(&client, scoring, None);
    let opts = RunOptions {
        now: now(),
        full: false,
    };

    // First run: a full pass.
    let before = client.metrics().calls;
    let report = job.run(&mut state, &opts, false).await.unwrap();
    let calls = client.metrics().calls - before;
    let eval = &report.evaluation;
    assert_eq!(eval.kind, PassKind::Full);
    let n = eval.leads_read as u64;
    assert!(n > 300, "{n} leads");
    let applied = report.scoring.as_ref().unwrap();
    assert!(applied.is_success(), "{applied}");
    let rules = scoring.model.rules.len() as u64;
    let batch = client.batch_size() as u64;
    let writes = applied.calls.write;
    // rules + pages (+1 when the last page is full) + distinct-value writes + the band tag lookup
    let budget = rules + n.div_ceil(batch) + 1 + writes + 1;
    assert!(
        calls <= budget,
        "full pass used {calls} calls, budget {budget}"
    );
    println!("full pass: {n} leads, {calls} calls ({writes} writes)");

    let after_first = scores(&client, "x_lead_score").await;
    assert!(after_first.values().any(|s| *s >= 70), "some Hot leads");

    // Second run right after: incremental, writes nothing (the first run's own writes are
    // recognised by their exact stamps; see scoring_incremental).
    let report2 = job.run(&mut state, &opts, false).await.unwrap();
    assert!(matches!(
        report2.evaluation.kind,
        PassKind::Incremental { .. }
    ));
    assert!(report2.evaluation.scoring_plan.is_empty());
    assert_eq!(report2.scoring.as_ref().unwrap().calls.write, 0);

    if let PassKind::Incremental { since, seen, own } = &report2.evaluation.kind {
        println!(
            "second run: since {since}, seen {}, own writes {}, read {}, cursor {:?}, next seen {}",
            seen.len(),
            own.len(),
            report2.evaluation.leads_read,
            report2.evaluation.cursor,
            report2.evaluation.seen.len()
        );
    }
    // Third run: nothing changed since, at most 3 calls.
    let before = client.metrics().calls;
    let report3 = job.run(&mut state, &opts, false).await.unwrap();
    let calls3 = client.metrics().calls - before;
    assert!(report3.evaluation.scoring_plan.is_empty());
    if let PassKind::Incremental { since, seen, .. } = &report3.evaluation.kind {
        println!(
            "third run: since {since}, seen {}, read {}, cursor {:?}",
            seen.len(),
            report3.evaluation.leads_read,
            report3.evaluation.cursor
        );
    }
    assert!(
        calls3 <= 3,
        "a run with nothing changed used {calls3} calls"
    );

    // A full pass now agrees with what the incremental left: nothing to write.
    let full_again = job.evaluate(PassKind::Full, now()).await.unwrap();
    assert!(
        full_again.scoring_plan.is_empty(),
        "{}",
        full_again.scoring_plan
    );

    // Undo the first run: every score back to what it was (0 = never scored).
    let run_id = applied.run_id.clone();
    let writer = scorekeeper::odoo::ClientWriter::new(&client);
    let undo = scorekeeper::apply::undo(
        &run_id,
        &mut state,
        &writer,
        &scorekeeper::apply::ApplyOptions::default(),
    )
    .await
    .unwrap();
    // Every field change of the first run comes back (no later run touched those leads'
    // scores: the incremental run wrote nothing), and the report says so.
    let first_changes = applied.field_changes_applied;
    assert_eq!(undo.restored.len(), first_changes, "{undo}");
    assert!(undo.skipped.is_empty(), "{undo}");
    let scored = after_first.values().filter(|s| **s != 0).count();
    assert_eq!(
        undo.restored
            .iter()
            .filter(|(model, _, field)| model == "crm.lead" && field == "x_lead_score")
            .count(),
        scored,
        "{undo}"
    );
    assert!(
        undo.to_string()
            .contains(&format!("{first_changes} value(s) restored, 0 skipped")),
        "{undo}"
    );
    let after_undo = scores(&client, "x_lead_score").await;
    assert!(
        after_undo.values().all(|s| *s == 0),
        "undo restores exactly"
    );
    served.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_scheduler_runs_the_scoring_job() {
    use scorekeeper::jobs::scoring::scheduled::ScheduledScoring;
    use scorekeeper::scheduler::{Job, JobContext};
    let served = served_demo(300).await;
    let dir = tempfile::tempdir().unwrap();
    let (cfg, _) = demo_config(&served.url, true, dir.path());
    let client = served.client("admin", "admin");
    setup::setup(&client, cfg.scoring.as_ref().unwrap())
        .await
        .unwrap();
    let ctx = JobContext {
        config: std::sync::Arc::new(cfg),
        odoo: std::sync::Arc::new(client),
        cancel: tokio_util::sync::CancellationToken::new(),
        scheduled_for: None,
        progress: Default::default(),
    };
    let job = ScheduledScoring;
    assert_eq!(job.name(), "scoring");
    let first = job.run(&ctx).await.unwrap();
    assert!(first.changes_written > 0, "{first:?}");
    assert!(first.summary.contains("leads scored"), "{first:?}");
    let second = job.run(&ctx).await.unwrap();
    assert!(second.summary.contains("(0 changed)"), "{second:?}");
    assert!(dir.path().join("demo-state.db").exists());
    served.stop().await;
}

over_each_world!(a_full_pass_needing_only_scores_reads_them_grouped_in_one_call);

/// Issue 17: when the plan needs nothing of a lead but its score (no decay, no bands, no
/// routing), the full pass reads every lead in scope in one `read_group` (ids aggregated per
/// current score) instead of a page of rows per batch; scores come out the same as the
/// paged reading gives (checked against the in-memory evaluation of every lead).
async fn a_full_pass_needing_only_scores_reads_them_grouped_in_one_call(wire: Wire) {
    let served = served_demo_over(1_500, wire).await;
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "[odoo]\nurl = \"{}\"\ndatabase = \"{}\"\nlogin = \"admin\"\npassword_env = \"SK_TEST_PW\"\n\
         batch_size = 200\n[state]\npath = \"{}\"\n\
         [scoring]\nscore_field = \"x_lead_score\"\ncreate_score_field = true\n\
         [[scoring.rules]]\nname = \"Vietnam\"\ndomain = \"[('country_id.code', '=', 'VN')]\"\npoints = 15\n\
         [[scoring.rules]]\nname = \"Free mailbox\"\ndomain = \"[('email_from', 'ilike', '@gmail.com')]\"\npoints = -5\n\
         [[scoring.rules]]\nname = \"Opportunity\"\ndomain = \"[('type', '=', 'opportunity')]\"\npoints = 10\n",
        served.url,
        served.sim.database(),
        dir.path().join("state.db").display()
    );
    let cfg = scorekeeper::config::load_str(&dir.path().join("c.toml"), &text, &|_| {
        Some("admin".to_owned())
    })
    .unwrap();
    let scoring = cfg.scoring.as_ref().unwrap();
    let client = served
        .client("admin", "admin")
        .with_batch_size(std::num::NonZeroUsize::new(200).unwrap());
    setup::setup(&client, scoring).await.unwrap();
    let job = ScoringJob::new(&client, scoring, None);
    let mut state = State::open_in_memory().unwrap();
    let opts = RunOptions {
        now: now(),
        full: true,
    };
    let eval = job.evaluate(PassKind::Full, now()).await.unwrap();
    let leads = eval.leads_read as u64;
    assert!(leads > 1_000, "{leads}");

    let report = job.run(&mut state, &opts, false).await.unwrap();
    assert!(report.scoring.as_ref().unwrap().is_success());
    let scored = scores(&client, "x_lead_score").await;
    // What the rules give each lead, evaluated in memory over every lead read in full.
    let ids: Vec<i64> = scored.keys().copied().collect();
    let check = job.evaluate(PassKind::Leads(ids), now()).await.unwrap();
    assert!(check.scoring_plan.is_empty(), "{}", check.scoring_plan);
    // Some leads score 0 (never written), some positive, some negative.
    assert!(scored.values().any(|s| *s > 0));
    assert!(scored.values().any(|s| *s < 0));
    // A second full pass reads the scores grouped again and has nothing to write: 3 rule
    // searches + 1 grouped read, where pages of 200 would have taken 8 or more.
    let before = client.metrics().calls;
    let again = job.evaluate(PassKind::Full, now()).await.unwrap();
    let calls = client.metrics().calls - before;
    assert!(again.scoring_plan.is_empty(), "{}", again.scoring_plan);
    assert_eq!(again.leads_read as u64, leads);
    assert_eq!(calls, 4, "{leads} leads");
}
