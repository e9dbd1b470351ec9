//! Plan → journal → apply → reconcile → undo against the in-memory Odoo, with failures
//! injected at every call: second runs write nothing, undo restores exactly, and no crash,
//! retry or restart ever loses a write or duplicates a create.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use proptest::prelude::*;
use scorekeeper::apply::{
    ApplyOptions, ApplyReport, Fault, MemoryOdoo, Method, OdooWriter, apply, reconcile, undo,
};
use scorekeeper::plan::{FieldChange, IdemKey, Plan, decode_value, encode_value};
use scorekeeper::record::Value;
use scorekeeper::state::{EntryStatus, RunStatus, State};

const LEAD: &str = "crm.lead";
const KARMA: &str = "gamification.karma.tracking";

fn opts() -> ApplyOptions {
    ApplyOptions {
        batch_size: 100,
        ..ApplyOptions::default()
    }
}

/// Ten leads scored 0.
fn ten_leads() -> Arc<MemoryOdoo> {
    let odoo = Arc::new(MemoryOdoo::new());
    for id in 1..=10 {
        odoo.insert(
            LEAD,
            id,
            vec![
                ("x_score", Value::Int(0)),
                ("priority", Value::Str("0".into())),
            ],
        );
    }
    odoo
}

/// The "engine": lead `id` should score 10, 20 or 30 by `id % 3`; recomputed against what Odoo
/// holds now, like a real job.
fn desired(id: i64) -> i64 {
    [10, 20, 30][(id % 3) as usize]
}

fn score_plan(odoo: &MemoryOdoo) -> Plan {
    let mut plan = Plan::new("scoring");
    for id in 1..=10 {
        let old = odoo.get(LEAD, id, "x_score").unwrap();
        plan.push_write(
            LEAD,
            id,
            vec![FieldChange::new("x_score", old, Value::Int(desired(id)))],
            format!("rule sum = {}", desired(id)),
        );
    }
    plan
}

fn karma_key(n: i64) -> IdemKey {
    IdemKey::new(format!("karma:rule=won:lead={n}")).unwrap()
}

/// Scores plus five karma entries; the engine re-plans the same creates every time (it does not
/// know which were done: the keys protect it).
fn mixed_plan(odoo: &MemoryOdoo) -> Plan {
    let mut plan = score_plan(odoo);
    for n in 1..=5 {
        let key = karma_key(n);
        plan.push_create(
            KARMA,
            vec![
                ("user_id".into(), Value::Many2one(6)),
                ("new_value".into(), Value::Int(10 * n)),
                (
                    "reason".into(),
                    Value::Str(format!("Won lead {n} {}", key.marker())),
                ),
            ],
            key,
            format!("won lead {n}"),
        );
    }
    plan
}

fn assert_scores_done(odoo: &MemoryOdoo) {
    for id in 1..=10 {
        assert_eq!(
            odoo.get(LEAD, id, "x_score"),
            Some(Value::Int(desired(id))),
            "lead {id}"
        );
    }
}

/// Each key is carried by exactly one karma record.
fn assert_one_record_per_key(odoo: &MemoryOdoo) {
    let records = odoo.records(KARMA);
    for n in 1..=5 {
        let marker = karma_key(n).marker();
        let holders = records
            .values()
            .filter(|r| matches!(r.get("reason"), Some(Value::Str(s)) if s.contains(&marker)))
            .count();
        assert_eq!(holders, 1, "records carrying {marker}");
    }
    assert_eq!(records.len(), 5);
}

fn assert_journal_settled(state: &State) {
    assert_eq!(
        state.planned_entries().unwrap(),
        vec![],
        "no entry left planned"
    );
    assert_eq!(state.unfinished_runs().unwrap(), vec![], "no run left open");
}

/// Runs `apply` in its own task with a fresh connection to `path`, as a separate process run
/// would; a panic in the fake Odoo kills the task (and drops the connection) like a crash.
async fn run_in_task(path: &Path, odoo: &Arc<MemoryOdoo>, plan: Plan) -> Option<ApplyReport> {
    let path = path.to_owned();
    let odoo = Arc::clone(odoo);
    let task = tokio::spawn(async move {
        let mut state = State::open(&path).unwrap();
        apply(&plan, &mut state, &*odoo, &opts()).await.unwrap()
    });
    match task.await {
        Ok(report) => Some(report),
        Err(join) => {
            assert!(join.is_panic(), "the task crashed by an injected panic");
            None
        }
    }
}

#[tokio::test]
async fn ten_leads_three_values_three_writes_and_a_second_run_writes_nothing() {
    let odoo = ten_leads();
    let mut state = State::open_in_memory().unwrap();
    let plan = score_plan(&odoo);
    assert_eq!(plan.write_groups(100).len(), 3);

    let report = apply(&plan, &mut state, &*odoo, &opts()).await.unwrap();
    assert_eq!(report.status, RunStatus::Applied);
    assert_eq!(odoo.calls().write, 3);
    assert_eq!(
        odoo.calls().total(),
        3,
        "no read or search for a plan of writes"
    );
    assert_eq!(
        (report.field_changes_applied, report.records_written),
        (10, 10)
    );
    assert_scores_done(&odoo);
    let journal = state.journal(&report.run_id).unwrap();
    assert_eq!(journal.len(), 10);
    assert!(journal.iter().all(|e| e.status == EntryStatus::Applied));
    let info = state.run(&report.run_id).unwrap().unwrap();
    assert_eq!(
        (info.entries, info.applied, info.status),
        (10, 10, RunStatus::Applied)
    );

    let again = score_plan(&odoo);
    assert!(again.is_empty(), "the recomputed plan is empty:\n{again}");
    let second = apply(&again, &mut state, &*odoo, &opts()).await.unwrap();
    assert_eq!(second.status, RunStatus::Applied);
    assert_eq!(odoo.calls().total(), 3, "the second run made no Odoo call");
    assert_journal_settled(&state);
}

#[tokio::test]
async fn batches_split_each_value_group() {
    let odoo = ten_leads();
    let mut state = State::open_in_memory().unwrap();
    let report = apply(
        &score_plan(&odoo),
        &mut state,
        &*odoo,
        &ApplyOptions {
            batch_size: 2,
            ..opts()
        },
    )
    .await
    .unwrap();
    assert!(report.is_success());
    // Groups of 3, 4 and 3 leads at 2 ids per call.
    assert_eq!(odoo.calls().write, 2 + 2 + 2);
    let sizes: Vec<usize> = odoo
        .write_log()
        .iter()
        .map(|(_, ids, _)| ids.len())
        .collect();
    assert_eq!(sizes, vec![2, 1, 2, 2, 2, 1]);
    assert_scores_done(&odoo);
}

#[tokio::test]
async fn undo_restores_exactly_skips_what_changed_since_and_a_second_undo_does_nothing() {
    let odoo = Arc::new(MemoryOdoo::new());
    let before: Vec<(i64, Value, Value)> = vec![
        (1, Value::Int(0), Value::Null),
        (2, Value::Int(5), Value::Many2one(7)),
        (3, Value::Int(0), Value::Many2one(8)),
        (4, Value::Int(-3), Value::Null),
    ];
    for (id, score, user) in &before {
        odoo.insert(
            LEAD,
            *id,
            vec![("x_score", score.clone()), ("user_id", user.clone())],
        );
    }
    let mut plan = Plan::new("assignment");
    for (id, score, user) in &before {
        plan.push_write(
            LEAD,
            *id,
            vec![
                FieldChange::new("x_score", score.clone(), Value::Int(50)),
                FieldChange::new("user_id", user.clone(), Value::Many2one(9)),
            ],
            "hot lead to the direct team",
        );
    }
    let mut state = State::open_in_memory().unwrap();
    let run = apply(&plan, &mut state, &*odoo, &opts()).await.unwrap();
    assert!(run.is_success());
    assert_eq!(odoo.calls().write, 1, "all four share the same values");

    // A salesperson takes lead 3 in Odoo after the run; lead 4 was deleted.
    odoo.set(LEAD, 3, "user_id", Value::Many2one(11));
    odoo.remove(LEAD, 4);

    let report = undo(&run.run_id, &mut state, &*odoo, &opts())
        .await
        .unwrap();
    assert!(!report.already_undone);
    assert_eq!(odoo.get(LEAD, 1, "x_score"), Some(Value::Int(0)));
    assert_eq!(odoo.get(LEAD, 1, "user_id"), Some(Value::Null));
    assert_eq!(odoo.get(LEAD, 2, "x_score"), Some(Value::Int(5)));
    assert_eq!(odoo.get(LEAD, 2, "user_id"), Some(Value::Many2one(7)));
    assert_eq!(
        odoo.get(LEAD, 3, "x_score"),
        Some(Value::Int(0)),
        "unchanged field restored"
    );
    assert_eq!(
        odoo.get(LEAD, 3, "user_id"),
        Some(Value::Many2one(11)),
        "the salesperson's change is kept"
    );
    let mut skipped: Vec<(i64, &str)> = report
        .skipped
        .iter()
        .map(|s| (s.record_id, s.field.as_str()))
        .collect();
    skipped.sort();
    assert_eq!(
        skipped,
        vec![(3, "user_id"), (4, "user_id"), (4, "x_score")]
    );
    assert!(
        report.skipped[0].detail.contains("changed since")
            || report.skipped[0].detail.contains("no longer")
    );
    assert_eq!(report.restored.len(), 5);
    // Restoring groups by value: (0, Null), (5, m2o 7) and lead 3's score alone.
    assert_eq!(odoo.calls().write, 1 + 3);
    assert_eq!(odoo.calls().read, 1);

    let undo_run = report.run.as_ref().unwrap();
    let undo_info = state.run(&undo_run.run_id).unwrap().unwrap();
    assert_eq!(undo_info.job, "undo");
    assert_eq!(undo_info.undo_of.as_ref(), Some(&run.run_id));
    assert_eq!((undo_info.applied, undo_info.skipped), (5, 3));
    assert_eq!(
        state.run(&run.run_id).unwrap().unwrap().status,
        RunStatus::Undone
    );

    let calls = odoo.calls();
    let second = undo(&run.run_id, &mut state, &*odoo, &opts())
        .await
        .unwrap();
    assert!(second.already_undone);
    assert!(second.run.is_none());
    assert_eq!(odoo.calls(), calls, "a second undo makes no call");
    assert!(second.to_string().contains("already undone"));
}

/// Issue 11, item 10: undoing an older routing run restored `team_id` on leads a later run
/// had given a salesperson, leaving salespeople without a team. Team and salesperson are one
/// unit: restored together or not at all, and the report says which field changed.
#[tokio::test]
async fn undo_restores_team_and_salesperson_together_or_not_at_all() {
    let odoo = Arc::new(MemoryOdoo::new());
    for id in 1..=4 {
        odoo.insert(
            LEAD,
            id,
            vec![("team_id", Value::Null), ("user_id", Value::Null)],
        );
    }
    // Routing run A: leads 1 and 3 get a team only, leads 2 and 4 a team and salesperson 17.
    let mut plan = Plan::new("assignment");
    for id in [1, 3] {
        plan.push_write(
            LEAD,
            id,
            vec![FieldChange::new("team_id", Value::Null, Value::Many2one(5))],
            "routed to team Direct",
        );
    }
    for id in [2, 4] {
        plan.push_write(
            LEAD,
            id,
            vec![
                FieldChange::new("team_id", Value::Null, Value::Many2one(5)),
                FieldChange::new("user_id", Value::Null, Value::Many2one(17)),
            ],
            "routed to team Direct, salesperson 17",
        );
    }
    let mut state = State::open_in_memory().unwrap();
    let run = apply(&plan, &mut state, &*odoo, &opts()).await.unwrap();
    assert!(run.is_success());

    // Later, lead 1 gets salesperson 22 and lead 2 moves to salesperson 22 (same team).
    odoo.set(LEAD, 1, "user_id", Value::Many2one(22));
    odoo.set(LEAD, 2, "user_id", Value::Many2one(22));

    let report = undo(&run.run_id, &mut state, &*odoo, &opts())
        .await
        .unwrap();
    let lead = |id| {
        (
            odoo.get(LEAD, id, "team_id").unwrap(),
            odoo.get(LEAD, id, "user_id").unwrap(),
        )
    };
    assert_eq!(
        lead(1),
        (Value::Many2one(5), Value::Many2one(22)),
        "a salesperson keeps the team: {report}"
    );
    assert_eq!(
        lead(2),
        (Value::Many2one(5), Value::Many2one(22)),
        "{report}"
    );
    assert_eq!(lead(3), (Value::Null, Value::Null), "untouched: restored");
    assert_eq!(
        lead(4),
        (Value::Null, Value::Null),
        "untouched: both restored"
    );

    let mut skipped: Vec<(i64, &str, &str)> = report
        .skipped
        .iter()
        .map(|s| (s.record_id, s.field.as_str(), s.detail.as_str()))
        .collect();
    skipped.sort();
    let together = "team and salesperson are restored together";
    assert_eq!(
        skipped,
        vec![
            (
                1,
                "team_id",
                &*format!("user_id was set since (now 22, the run left it empty): {together}")
            ),
            (
                2,
                "team_id",
                &*format!("user_id changed since (now 22, run wrote 17): {together}")
            ),
            (
                2,
                "user_id",
                &*format!("user_id changed since (now 22, run wrote 17): {together}")
            ),
        ]
    );
    let mut restored = report.restored.clone();
    restored.sort();
    assert_eq!(
        restored,
        vec![
            (LEAD.to_owned(), 3, "team_id".to_owned()),
            (LEAD.to_owned(), 4, "team_id".to_owned()),
            (LEAD.to_owned(), 4, "user_id".to_owned()),
        ]
    );
    let text = report.to_string();
    assert!(
        text.contains("skipped crm.lead 1 team_id: user_id was set since"),
        "{text}"
    );
    let info = state
        .run(&report.run.as_ref().unwrap().run_id)
        .unwrap()
        .unwrap();
    assert_eq!(
        (info.applied, info.skipped),
        (3, 3),
        "the skips are journaled"
    );
}

#[tokio::test]
async fn undo_of_an_undo_puts_the_run_back() {
    let odoo = ten_leads();
    let mut state = State::open_in_memory().unwrap();
    let run = apply(&score_plan(&odoo), &mut state, &*odoo, &opts())
        .await
        .unwrap();
    let undone = undo(&run.run_id, &mut state, &*odoo, &opts())
        .await
        .unwrap();
    for id in 1..=10 {
        assert_eq!(odoo.get(LEAD, id, "x_score"), Some(Value::Int(0)));
    }
    let undo_run = undone.run.unwrap().run_id;
    undo(&undo_run, &mut state, &*odoo, &opts()).await.unwrap();
    assert_scores_done(&odoo);
}

#[tokio::test]
async fn a_crash_between_journal_and_write_is_reconciled_then_redone_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    let odoo = ten_leads();
    odoo.inject(Method::Write, 1, Fault::CrashBefore);
    assert!(run_in_task(&path, &odoo, score_plan(&odoo)).await.is_none());

    let state = State::open(&path).unwrap();
    let crashed = state.unfinished_runs().unwrap();
    assert_eq!(crashed.len(), 1);
    assert_eq!(crashed[0].status, RunStatus::Applying);
    assert_eq!(
        state.planned_entries().unwrap().len(),
        10,
        "the journal was written before the call"
    );
    drop(state);

    let report = run_in_task(&path, &odoo, score_plan(&odoo)).await.unwrap();
    assert_eq!(report.reconciled.not_applied, 10);
    assert_eq!(
        report.reconciled.runs_closed,
        vec![crashed[0].run_id.clone()]
    );
    assert!(report.is_success());
    assert_scores_done(&odoo);
    for id in 1..=10 {
        assert_eq!(
            odoo.times_written(LEAD, id, "x_score"),
            1,
            "lead {id} written once"
        );
    }
    let state = State::open(&path).unwrap();
    assert_journal_settled(&state);
    let old = state.run(&crashed[0].run_id).unwrap().unwrap();
    assert_eq!((old.status, old.not_applied), (RunStatus::Failed, 10));
    assert!(old.error.unwrap().contains("interrupted"));
}

#[tokio::test]
async fn a_crash_after_a_write_before_marking_it_is_found_applied() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    let odoo = ten_leads();
    odoo.inject(Method::Write, 2, Fault::CrashAfter);
    assert!(run_in_task(&path, &odoo, score_plan(&odoo)).await.is_none());
    // Groups are ordered by value: 10 (leads 3, 6, 9), 20 (1, 4, 7, 10), 30 (2, 5, 8).
    assert_eq!(odoo.calls().write, 2);

    let report = run_in_task(&path, &odoo, score_plan(&odoo)).await.unwrap();
    assert_eq!(
        report.reconciled.applied, 4,
        "the second group had reached Odoo"
    );
    assert_eq!(report.reconciled.not_applied, 3);
    assert_eq!(
        report.records_written, 3,
        "only the third group is left to write"
    );
    assert_scores_done(&odoo);
    for id in 1..=10 {
        assert_eq!(
            odoo.times_written(LEAD, id, "x_score"),
            1,
            "lead {id} written once"
        );
    }
    let state = State::open(&path).unwrap();
    assert_journal_settled(&state);
}

#[tokio::test]
async fn each_call_is_sent_once_and_a_failure_stops_the_run_clearly() {
    // Retries belong to the client under the writer: apply sends each call once, so a
    // transient failure (certainly not applied) stops the run and the next run redoes it.
    let odoo = ten_leads();
    let mut state = State::open_in_memory().unwrap();
    odoo.inject(Method::Write, 1, Fault::Transient);
    let report = apply(&score_plan(&odoo), &mut state, &*odoo, &opts())
        .await
        .unwrap();
    assert_eq!(report.status, RunStatus::Failed);
    assert_eq!(report.calls.write, 1, "no retry inside apply");
    assert_eq!(report.calls.retries, 0);
    assert_eq!(report.records_written, 0);
    assert_eq!(report.failures[0].ids, vec![3, 6, 9]);
    assert!(!report.failures[0].outcome_unknown);
    assert_eq!(report.not_attempted, 7);
    let info = state.run(&report.run_id).unwrap().unwrap();
    assert_eq!((info.applied, info.failed, info.not_applied), (0, 3, 7));

    // A permanent error on the second group of the next run: the first is written, the
    // third not attempted, and the report says so.
    odoo.inject(Method::Write, 2, Fault::Permanent);
    let report = apply(&score_plan(&odoo), &mut state, &*odoo, &opts())
        .await
        .unwrap();
    assert_eq!(report.status, RunStatus::Failed);
    assert_eq!(report.calls.write, 2);
    assert_eq!(report.records_written, 3);
    assert_eq!(report.failures.len(), 1);
    assert!(!report.failures[0].outcome_unknown);
    assert_eq!(report.not_attempted, 3);
    let text = report.to_string();
    assert!(
        text.contains("FAILED crm.lead.write ids [1, 4, 7, 10] fields x_score"),
        "{text}"
    );
    assert!(
        text.contains("injected access error — not applied"),
        "{text}"
    );
    assert!(text.contains("3 change(s) not attempted"), "{text}");
    let info = state.run(&report.run_id).unwrap().unwrap();
    assert_eq!((info.applied, info.failed, info.not_applied), (3, 4, 3));
    assert!(info.error.unwrap().contains("injected access error"));

    let again = apply(&score_plan(&odoo), &mut state, &*odoo, &opts())
        .await
        .unwrap();
    assert!(again.is_success());
    assert_eq!(again.records_written, 7);
    assert_scores_done(&odoo);
    assert_journal_settled(&state);
}

#[tokio::test]
async fn a_lost_answer_leaves_an_unknown_outcome_that_reconciliation_settles() {
    let odoo = ten_leads();
    let mut state = State::open_in_memory().unwrap();
    // The first group reaches Odoo but the answer is lost: not sent again.
    odoo.inject(Method::Write, 1, Fault::LostResponse);
    let report = apply(&score_plan(&odoo), &mut state, &*odoo, &opts())
        .await
        .unwrap();
    assert_eq!(report.status, RunStatus::Failed);
    assert!(report.failures[0].outcome_unknown);
    assert_eq!(report.calls.write, 1);
    assert_eq!(
        state.planned_entries().unwrap().len(),
        3,
        "left for reconciliation"
    );
    assert_eq!(
        state.run(&report.run_id).unwrap().unwrap().still_planned(),
        3
    );

    let mut state2 = state;
    let settled = reconcile(&mut state2, &*odoo, &opts()).await.unwrap();
    assert_eq!((settled.applied, settled.not_applied), (3, 0));
    assert_eq!(
        state2.run(&report.run_id).unwrap().unwrap().still_planned(),
        0
    );
    let rest = apply(&score_plan(&odoo), &mut state2, &*odoo, &opts())
        .await
        .unwrap();
    assert_eq!(rest.records_written, 7);
    assert_scores_done(&odoo);
    assert_journal_settled(&state2);
}

#[tokio::test]
async fn reconciliation_leaves_a_conflicting_value_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    let odoo = ten_leads();
    odoo.inject(Method::Write, 1, Fault::CrashBefore);
    assert!(run_in_task(&path, &odoo, score_plan(&odoo)).await.is_none());
    odoo.set(LEAD, 3, "x_score", Value::Int(99)); // someone edits lead 3 meanwhile
    let mut state = State::open(&path).unwrap();
    let report = reconcile(&mut state, &*odoo, &opts()).await.unwrap();
    assert_eq!(report.conflicts.len(), 1);
    assert_eq!(report.conflicts[0].record_id, Some(3));
    assert!(
        report.conflicts[0].detail.contains("99"),
        "{}",
        report.conflicts[0].detail
    );
    assert_eq!(report.not_applied, 9);
    assert_journal_settled(&state);
}

#[tokio::test]
async fn creates_are_never_duplicated_whatever_call_fails_and_however() {
    // A clean run of the mixed plan: 3 writes, then for the single create batch one key
    // search and one create.
    let clean = {
        let odoo = ten_leads();
        let mut state = State::open_in_memory().unwrap();
        let report = apply(&mixed_plan(&odoo), &mut state, &*odoo, &opts())
            .await
            .unwrap();
        assert!(report.is_success());
        assert_eq!(report.created.len(), 5);
        odoo.calls().total()
    };
    assert_eq!(clean, 5);
    let faults = [
        Fault::CrashBefore,
        Fault::CrashAfter,
        Fault::LostResponse,
        Fault::Transient,
        Fault::Permanent,
    ];
    for fault in faults {
        for nth in 1..=clean {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("state.db");
            let odoo = ten_leads();
            odoo.inject(Method::Any, nth, fault);
            let _ = run_in_task(&path, &odoo, mixed_plan(&odoo)).await;
            // Restart until a run succeeds (at most a couple of times).
            let mut succeeded = false;
            for _ in 0..3 {
                if let Some(report) = run_in_task(&path, &odoo, mixed_plan(&odoo)).await
                    && report.is_success()
                {
                    succeeded = true;
                    break;
                }
            }
            assert!(succeeded, "{fault:?} at call {nth}: a later run succeeds");
            assert_scores_done(&odoo);
            assert_one_record_per_key(&odoo);
            assert_eq!(
                odoo.records_created(),
                5,
                "{fault:?} at call {nth}: each karma entry created once"
            );
            for id in 1..=10 {
                assert!(
                    odoo.times_written(LEAD, id, "x_score") <= 2,
                    "{fault:?} at call {nth}"
                );
            }
            let mut state = State::open(&path).unwrap();
            assert_journal_settled(&state);
            // And once settled, the same plan costs no Odoo call at all.
            let calls = odoo.calls();
            let last = apply(&mixed_plan(&odoo), &mut state, &*odoo, &opts())
                .await
                .unwrap();
            assert!(last.is_success());
            assert_eq!(last.duplicates.len(), 5);
            assert_eq!(
                odoo.calls(),
                calls,
                "{fault:?} at call {nth}: nothing to do, no call"
            );
        }
    }
}

#[tokio::test]
async fn a_key_found_in_odoo_is_not_created_again_even_with_a_lost_state() {
    let odoo = ten_leads();
    {
        let mut state = State::open_in_memory().unwrap();
        apply(&mixed_plan(&odoo), &mut state, &*odoo, &opts())
            .await
            .unwrap();
    }
    // A brand-new state database (lost, or a second machine): Odoo still knows the keys.
    let mut state = State::open_in_memory().unwrap();
    let report = apply(&mixed_plan(&odoo), &mut state, &*odoo, &opts())
        .await
        .unwrap();
    assert!(report.is_success());
    assert_eq!(report.created, vec![]);
    assert_eq!(report.duplicates.len(), 5);
    assert_eq!(odoo.records_created(), 5);
    let journal = state.journal(&report.run_id).unwrap();
    assert!(journal.iter().all(|e| e.status == EntryStatus::Skipped));
    assert!(
        journal[0]
            .detail
            .as_deref()
            .unwrap()
            .starts_with("duplicate")
    );
    // The keys are now known locally: the next run does not even ask Odoo.
    let calls = odoo.calls();
    apply(&mixed_plan(&odoo), &mut state, &*odoo, &opts())
        .await
        .unwrap();
    assert_eq!(odoo.calls(), calls);
}

/// A karma plan alone (no score writes), for the create-in-doubt tests.
fn karma_plan() -> Plan {
    let mut plan = Plan::new("scoring");
    for change in mixed_plan(&ten_leads())
        .changes()
        .filter(|c| c.model() == KARMA)
    {
        plan.push(change);
    }
    plan
}

/// The state's clock, settable from the test.
fn settable_clock(state: &mut State) -> Arc<std::sync::Mutex<chrono::DateTime<chrono::Utc>>> {
    let now = Arc::new(std::sync::Mutex::new(
        chrono::DateTime::parse_from_rfc3339("2026-11-23T08:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc),
    ));
    let read = Arc::clone(&now);
    state.set_clock(Arc::new(move || *read.lock().unwrap()));
    now
}

#[tokio::test]
async fn a_create_that_runs_after_the_client_gave_up_is_never_created_twice() {
    // The slow-create case: the create's answer is lost and the request itself reaches Odoo
    // only later. A search right after finds nothing, yet sending the create again would
    // execute twice. The keys are held until found or past the request deadline.
    let odoo = ten_leads();
    let mut state = State::open_in_memory().unwrap();
    let now = settable_clock(&mut state);
    odoo.inject(Method::Create, 1, Fault::Delayed);
    let first = apply(&karma_plan(), &mut state, &*odoo, &opts())
        .await
        .unwrap();
    assert!(first.failures[0].outcome_unknown, "{first}");
    assert_eq!(odoo.records(KARMA).len(), 0, "not run yet");

    // The next run, a minute later: Odoo has no record yet, but the request may still run.
    *now.lock().unwrap() += chrono::Duration::minutes(1);
    let held = apply(&karma_plan(), &mut state, &*odoo, &opts())
        .await
        .unwrap();
    assert_eq!(held.calls.create, 0, "nothing is sent again: {held}");
    assert_eq!(held.held.len(), 5, "{held}");
    assert_eq!(held.reconciled.in_doubt, 5, "{held}");
    assert!(held.to_string().contains("held 5 create(s)"), "{held}");
    let journal = state.journal(&held.run_id).unwrap();
    assert!(
        journal
            .iter()
            .all(|e| e.detail.as_deref().unwrap().starts_with("held: the create")),
        "{journal:?}"
    );

    // The queued request finally runs; the next run finds every record by key.
    assert_eq!(odoo.run_delayed(), 5);
    *now.lock().unwrap() += chrono::Duration::minutes(1);
    let settled = apply(&karma_plan(), &mut state, &*odoo, &opts())
        .await
        .unwrap();
    assert_eq!(settled.reconciled.applied, 5, "{settled}");
    assert_eq!(settled.calls.create, 0);
    assert!(settled.created.is_empty());
    assert_one_record_per_key(&odoo);
    assert_journal_settled(&state);
}

#[tokio::test]
async fn a_lost_create_that_never_runs_is_created_once_after_the_deadline() {
    let odoo = ten_leads();
    let mut state = State::open_in_memory().unwrap();
    let now = settable_clock(&mut state);
    odoo.inject(Method::Create, 1, Fault::Delayed);
    apply(&karma_plan(), &mut state, &*odoo, &opts())
        .await
        .unwrap();
    odoo.drop_delayed();
    // Just before the deadline: still held.
    *now.lock().unwrap() +=
        chrono::Duration::from_std(opts().request_deadline).unwrap() - chrono::Duration::seconds(1);
    let held = apply(&karma_plan(), &mut state, &*odoo, &opts())
        .await
        .unwrap();
    assert_eq!((held.calls.create, held.held.len()), (0, 5), "{held}");
    // Past it, the request can no longer run: the keys are created, once.
    *now.lock().unwrap() += chrono::Duration::seconds(2);
    let created = apply(&karma_plan(), &mut state, &*odoo, &opts())
        .await
        .unwrap();
    assert_eq!(created.reconciled.not_applied, 5, "{created}");
    assert_eq!(created.created.len(), 5, "{created}");
    assert_eq!(created.calls.create, 1);
    assert_one_record_per_key(&odoo);
    assert_journal_settled(&state);
}

#[tokio::test]
async fn cursors_move_with_an_applied_run_only() {
    let odoo = ten_leads();
    let mut state = State::open_in_memory().unwrap();
    let cursor = vec![("write_date".to_owned(), "2026-11-22 14:00:00".to_owned())];
    odoo.inject(Method::Write, 1, Fault::Permanent);
    let failed = apply(
        &score_plan(&odoo),
        &mut state,
        &*odoo,
        &ApplyOptions {
            cursors: cursor.clone(),
            ..opts()
        },
    )
    .await
    .unwrap();
    assert_eq!(failed.status, RunStatus::Failed);
    assert_eq!(state.cursor("scoring", "write_date").unwrap(), None);
    let ok = apply(
        &score_plan(&odoo),
        &mut state,
        &*odoo,
        &ApplyOptions {
            cursors: cursor,
            ..opts()
        },
    )
    .await
    .unwrap();
    assert!(ok.is_success());
    assert_eq!(
        state.cursor("scoring", "write_date").unwrap().as_deref(),
        Some("2026-11-22 14:00:00")
    );
}

#[tokio::test]
async fn verify_old_leaves_values_people_changed_after_planning() {
    let odoo = Arc::new(MemoryOdoo::new());
    for id in 1..=10 {
        odoo.insert(LEAD, id, vec![("user_id", Value::Null)]);
    }
    let mut plan = Plan::new("assignment");
    for id in 1..=10 {
        plan.push_write(
            LEAD,
            id,
            vec![FieldChange::new("user_id", Value::Null, Value::Many2one(9))],
            "capacity left",
        );
    }
    // While the plan was computed, a salesperson took lead 2 and someone gave lead 3 to 9.
    odoo.set(LEAD, 2, "user_id", Value::Many2one(5));
    odoo.set(LEAD, 3, "user_id", Value::Many2one(9));
    let mut state = State::open_in_memory().unwrap();
    let report = apply(
        &plan,
        &mut state,
        &*odoo,
        &ApplyOptions {
            verify_old: true,
            ..opts()
        },
    )
    .await
    .unwrap();
    assert!(report.is_success());
    assert_eq!(
        odoo.get(LEAD, 2, "user_id"),
        Some(Value::Many2one(5)),
        "the salesperson keeps the lead"
    );
    assert_eq!(report.records_written, 8);
    assert_eq!((odoo.calls().read, odoo.calls().write), (1, 1));
    assert_eq!(report.calls.read, 1);
    let stale: Vec<(i64, &str)> = report
        .stale
        .iter()
        .map(|s| (s.record_id, s.detail.split(':').next().unwrap()))
        .collect();
    assert_eq!(
        stale,
        vec![
            (2, "changed since planned"),
            (3, "Odoo already holds the new value")
        ]
    );
    let info = state.run(&report.run_id).unwrap().unwrap();
    assert_eq!((info.entries, info.applied, info.skipped), (10, 8, 2));

    // In batches of 3 the plan is verified a batch at a time: 4 reads, the same decisions.
    for id in 1..=10 {
        odoo.set(LEAD, id, "user_id", Value::Null);
    }
    odoo.set(LEAD, 7, "user_id", Value::Many2one(5));
    let mut state = State::open_in_memory().unwrap();
    let before = odoo.calls().read;
    let report = apply(
        &plan,
        &mut state,
        &*odoo,
        &ApplyOptions {
            verify_old: true,
            batch_size: 3,
            ..opts()
        },
    )
    .await
    .unwrap();
    assert_eq!(odoo.calls().read - before, 4);
    assert_eq!(report.records_written, 9);
    assert_eq!(
        report.written_span,
        Some((1, 10)),
        "first id of the first write, last of the last"
    );
    assert_eq!(odoo.get(LEAD, 7, "user_id"), Some(Value::Many2one(5)));
    assert_eq!(
        report.stale.iter().map(|s| s.record_id).collect::<Vec<_>>(),
        vec![7]
    );
}

#[tokio::test]
async fn continuing_after_a_failure_applies_the_other_groups() {
    let odoo = ten_leads();
    let mut state = State::open_in_memory().unwrap();
    odoo.inject(Method::Write, 1, Fault::Permanent);
    let report = apply(
        &score_plan(&odoo),
        &mut state,
        &*odoo,
        &ApplyOptions {
            stop_on_error: false,
            ..opts()
        },
    )
    .await
    .unwrap();
    assert_eq!(report.status, RunStatus::Failed);
    assert_eq!(report.records_written, 7);
    assert_eq!(report.not_attempted, 0);
}

/// The trait is usable from a generic job on a multi-threaded runtime.
fn _apply_future_is_send<W: OdooWriter + Send + 'static>(
    writer: Arc<W>,
    mut state: State,
    plan: Plan,
) {
    let _handle = tokio::spawn(async move {
        apply(&plan, &mut state, &*writer, &ApplyOptions::default())
            .await
            .is_ok()
    });
}

fn any_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::Int),
        any::<f64>().prop_map(Value::Float),
        (0u64..u64::MAX).prop_map(|bits| Value::Float(f64::from_bits(bits))),
        ".*".prop_map(Value::Str),
        any::<i64>().prop_map(Value::Many2one),
        prop::collection::vec(any::<i64>(), 0..8).prop_map(Value::Ids),
    ]
}

fn identical(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Float(x), Value::Float(y)) => {
            x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan())
        }
        _ => a == b,
    }
}

proptest! {
    #[test]
    fn journal_encoding_round_trips_every_value(value in any_value()) {
        let back = decode_value(&encode_value(&value)).unwrap();
        prop_assert!(identical(&back, &value), "{value:?} came back as {back:?}");
    }
}

#[test]
fn journal_keeps_values_exactly() {
    let values: BTreeMap<&str, Value> = [
        ("float", Value::Float(0.1 + 0.2)),
        (
            "text",
            Value::Str("Công ty TNHH \"Ánh Dương\" & 张伟".into()),
        ),
        ("m2o", Value::Many2one(42)),
        ("ids", Value::Ids(vec![9, 3])),
    ]
    .into_iter()
    .collect();
    for value in values.values() {
        assert_eq!(&decode_value(&encode_value(value)).unwrap(), value);
    }
}

#[tokio::test]
async fn a_run_another_job_is_applying_is_left_to_it() {
    // The daemon runs scoring and gamification side by side on one state database: the
    // gamification run's planned entries are live, not interrupted, while its lock is held.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    let odoo = ten_leads();
    let mut live = score_plan(&odoo);
    live.job = "gamification".into();
    odoo.inject(Method::Write, 1, Fault::CrashBefore);
    assert!(run_in_task(&path, &odoo, live).await.is_none());
    let holder = State::open(&path).unwrap();
    let held = holder.lock_job("gamification").unwrap();

    let mut state = State::open(&path).unwrap();
    let empty = Plan::new("scoring");
    let report = apply(&empty, &mut state, &*odoo, &opts()).await.unwrap();
    assert_eq!(report.reconciled.entries, 0, "{}", report.reconciled);
    assert_eq!(state.unfinished_runs().unwrap().len(), 1);
    assert_eq!(state.planned_entries().unwrap().len(), 10);

    // Once no one holds it, the run was interrupted after all: the next apply settles it.
    drop(held);
    let report = apply(&empty, &mut state, &*odoo, &opts()).await.unwrap();
    assert_eq!(report.reconciled.entries, 10);
    assert_eq!(report.reconciled.runs_closed.len(), 1);
    assert_journal_settled(&state);
}

/// Issue 17 item 2: with two write calls in flight, a crash before or after any call's effect
/// leaves a journal that says exactly what was applied — every `applied` entry is in Odoo,
/// every `failed` or `not applied` one is not (only `planned` ones are unknown) — and the next
/// run reconciles them and writes each lead once.
#[tokio::test]
async fn concurrent_writes_keep_the_journal_exact_through_a_crash_at_any_call() {
    let concurrent = ApplyOptions {
        batch_size: 2,
        concurrency: 2,
        ..ApplyOptions::default()
    };
    for nth in 1..=5 {
        for fault in [Fault::CrashBefore, Fault::CrashAfter, Fault::Permanent] {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("state.db");
            let odoo = ten_leads();
            odoo.inject(Method::Write, nth, fault);
            let run = |odoo: &Arc<MemoryOdoo>| {
                let (path, odoo, opts) = (path.clone(), Arc::clone(odoo), concurrent.clone());
                tokio::spawn(async move {
                    let mut state = State::open(&path).unwrap();
                    let plan = score_plan(&odoo);
                    apply(&plan, &mut state, &*odoo, &opts).await.unwrap()
                })
            };
            let first = run(&odoo).await;
            assert_eq!(first.is_err(), fault != Fault::Permanent, "{nth} {fault:?}");
            let state = State::open(&path).unwrap();
            let run_id = state.runs(1).unwrap()[0].run_id.clone();
            for e in state.journal(&run_id).unwrap() {
                let scorekeeper::state::EntryChange::Write { new, .. } = &e.change else {
                    unreachable!()
                };
                let held = odoo.get(LEAD, e.record_id.unwrap(), "x_score").unwrap();
                match e.status {
                    EntryStatus::Applied => assert_eq!(&held, new, "{nth} {fault:?} {e:?}"),
                    EntryStatus::Failed | EntryStatus::NotApplied => {
                        assert_ne!(&held, new, "{nth} {fault:?} {e:?}")
                    }
                    EntryStatus::Planned => {}
                    EntryStatus::Skipped => panic!("{e:?}"),
                }
            }
            drop(state);
            let again = run(&odoo).await.unwrap();
            assert!(again.is_success(), "{nth} {fault:?}: {again}");
            assert_scores_done(&odoo);
            for id in 1..=10 {
                assert_eq!(
                    odoo.times_written(LEAD, id, "x_score"),
                    1,
                    "{nth} {fault:?}"
                );
            }
            assert_journal_settled(&State::open(&path).unwrap());
        }
    }
}
