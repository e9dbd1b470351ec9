//! Plans: grouping of writes and creates, keys, merging, unlinks and their summaries.

use super::*;

fn fc(field: &str, old: i64, new: i64) -> FieldChange {
    FieldChange::new(field, Value::Int(old), Value::Int(new))
}

#[test]
fn noops_are_dropped() {
    let mut plan = Plan::new("scoring");
    plan.push_write("crm.lead", 1, vec![fc("x_score", 5, 5)], "same");
    plan.push_write(
        "crm.lead",
        2,
        vec![FieldChange::new("user_id", Value::Null, Value::Bool(false))],
        "empty",
    );
    assert!(plan.is_empty());
    plan.push_write(
        "crm.lead",
        3,
        vec![fc("x_score", 5, 5), fc("priority", 0, 3)],
        "hot",
    );
    assert_eq!(plan.field_change_count(), 1);
    assert_eq!(
        plan.changes().next().unwrap(),
        Change::Write {
            model: "crm.lead".into(),
            id: 3,
            values: vec![fc("priority", 0, 3)],
            reason: "hot".into()
        }
    );
}

#[test]
fn writes_to_one_record_merge() {
    let mut plan = Plan::new("scoring");
    plan.push_write("crm.lead", 1, vec![fc("x_score", 0, 10)], "rules");
    plan.push_write(
        "crm.lead",
        1,
        vec![fc("x_score", 10, 20), fc("priority", 0, 3)],
        "band",
    );
    let writes: Vec<_> = plan.writes().collect();
    assert_eq!(writes.len(), 1);
    assert_eq!(
        writes[0].2,
        &[fc("x_score", 0, 20), fc("priority", 0, 3)][..]
    );
    assert_eq!(writes[0].3, "rules; band");
    // Merging back to the original value makes the field a no-op again.
    plan.push_write("crm.lead", 1, vec![fc("priority", 3, 0)], "band");
    assert_eq!(plan.writes().next().unwrap().2, &[fc("x_score", 0, 20)][..]);
    plan.push_write("crm.lead", 1, vec![fc("x_score", 20, 0)], "reset");
    assert!(plan.is_empty());
    plan.push_write("crm.lead", 1, vec![fc("x_score", 0, 1)], "again");
    assert_eq!(plan.field_change_count(), 1);
}

#[test]
fn a_key_is_planned_once() {
    let key = IdemKey::new("karma:rule=1:record=7").unwrap();
    let mut plan = Plan::new("karma");
    plan.push_create(
        "gamification.karma.tracking",
        vec![("new_value".into(), Value::Int(10))],
        key.clone(),
        "won",
    );
    plan.push_create(
        "gamification.karma.tracking",
        vec![("new_value".into(), Value::Int(99))],
        key,
        "again",
    );
    assert_eq!(plan.create_count(), 1);
    assert_eq!(plan.creates().next().unwrap().3, "won");
}

fn shape(plan: &Plan) -> Vec<(String, i64, Vec<FieldChange>, String)> {
    plan.writes()
        .map(|(m, id, v, r)| (m.to_owned(), id, v.to_vec(), r.to_owned()))
        .collect()
}

#[test]
fn out_of_order_writes_merge_through_the_lazy_index() {
    let mut plan = Plan::new("scoring");
    for id in [1, 5, 9] {
        plan.push_write("crm.lead", id, vec![fc("x_score", 0, id)], "rules");
    }
    // Ascending ids never need the index.
    assert!(plan.index.is_none());
    // Below the highest id but new: the index is built, and the write is appended.
    plan.push_write("crm.lead", 3, vec![fc("x_score", 0, 3)], "late");
    assert!(plan.index.is_some());
    // From then on the index is kept up to date, also for ascending ids.
    plan.push_write("crm.lead", 12, vec![fc("x_score", 0, 12)], "rules");
    plan.push_write("crm.lead", 5, vec![fc("priority", 0, 2)], "band");
    plan.push_write("crm.lead", 12, vec![fc("x_score", 12, 13)], "rules");
    assert_eq!(
        shape(&plan),
        vec![
            (
                "crm.lead".into(),
                1,
                vec![fc("x_score", 0, 1)],
                "rules".into()
            ),
            (
                "crm.lead".into(),
                5,
                vec![fc("x_score", 0, 5), fc("priority", 0, 2)],
                "rules; band".into()
            ),
            (
                "crm.lead".into(),
                9,
                vec![fc("x_score", 0, 9)],
                "rules".into()
            ),
            (
                "crm.lead".into(),
                3,
                vec![fc("x_score", 0, 3)],
                "late".into()
            ),
            (
                "crm.lead".into(),
                12,
                vec![fc("x_score", 0, 13)],
                "rules".into()
            ),
        ]
    );
    assert_eq!(plan.len(), 5);
    assert_eq!(plan.field_change_count(), 6);
}

#[test]
fn models_keep_their_own_ids() {
    let mut plan = Plan::new("mixed");
    plan.push_write("crm.lead", 10, vec![fc("x_score", 0, 1)], "a");
    // Lower than the lead's id, but the first of its model: no merge, no index.
    plan.push_write("res.partner", 10, vec![fc("x_score", 0, 2)], "b");
    plan.push_write("res.partner", 3, vec![fc("x_score", 0, 3)], "c");
    plan.push_write("crm.lead", 10, vec![fc("priority", 0, 1)], "d");
    plan.push_write("res.partner", 10, vec![fc("x_score", 2, 4)], "e");
    assert_eq!(
        shape(&plan),
        vec![
            (
                "crm.lead".into(),
                10,
                vec![fc("x_score", 0, 1), fc("priority", 0, 1)],
                "a; d".into()
            ),
            (
                "res.partner".into(),
                10,
                vec![fc("x_score", 0, 4)],
                "b; e".into()
            ),
            (
                "res.partner".into(),
                3,
                vec![fc("x_score", 0, 3)],
                "c".into()
            ),
        ]
    );
}

#[test]
fn a_write_merged_into_nothing_disappears_and_may_come_back_last() {
    let mut plan = Plan::new("scoring");
    plan.push_write("crm.lead", 1, vec![fc("x_score", 0, 5)], "a");
    plan.push_write("crm.lead", 2, vec![fc("x_score", 0, 6)], "b");
    plan.push_write("crm.lead", 3, vec![fc("x_score", 0, 7)], "c");
    plan.push_write("crm.lead", 2, vec![fc("x_score", 6, 0)], "undo");
    assert_eq!(plan.len(), 2);
    assert_eq!(plan.changes().len(), 2);
    let ids: Vec<i64> = plan.writes().map(|w| w.1).collect();
    assert_eq!(ids, vec![1, 3]);
    // The grouping and the journal positions skip it too.
    let groups = group::indexed_write_groups(&plan, 10);
    let ids: Vec<Vec<i64>> = groups.iter().map(|(g, _)| g.ids.clone()).collect();
    assert_eq!(ids, vec![vec![1], vec![3]]);
    for (group, slots) in &groups {
        let written: Vec<i64> = slots.iter().map(|&s| plan.write_at(s).unwrap().1).collect();
        assert_eq!(written, group.ids);
    }
    // Written again, the record is a new write at the end, with only the new reason.
    plan.push_write("crm.lead", 2, vec![fc("x_score", 0, 8)], "again");
    let last = plan.writes().last().unwrap();
    assert_eq!((last.1, last.3), (2, "again"));
    assert_eq!(last.2, &[fc("x_score", 0, 8)][..]);
    assert_eq!(plan.len(), 3);
}

#[test]
fn creates_and_writes_keep_the_engine_order() {
    let key = |k: &str| IdemKey::new(k).unwrap();
    let create = |k: &str, reason: &str| Change::Create {
        model: "gamification.goal".into(),
        values: vec![("current".into(), Value::Int(1))],
        key: key(k),
        reason: reason.into(),
    };
    let write = |id: i64, values: Vec<FieldChange>, reason: &str| Change::Write {
        model: "gamification.goal".into(),
        id,
        values,
        reason: reason.into(),
    };
    let plan = Plan::from_changes(
        "gamification",
        vec![
            create("goal:1", "new"),
            write(7, vec![fc("current", 0, 3)], "progress"),
            create("goal:2", "new"),
            create("goal:1", "again"),
            write(4, vec![fc("current", 1, 2)], "progress"),
            write(7, vec![fc("current", 3, 4)], "more"),
        ],
    );
    let expected = vec![
        create("goal:1", "new"),
        write(7, vec![fc("current", 0, 4)], "progress; more"),
        create("goal:2", "new"),
        write(4, vec![fc("current", 1, 2)], "progress"),
    ];
    assert_eq!(plan.changes().collect::<Vec<_>>(), expected);
    let borrowed: Vec<Change> = plan.iter().map(|c| c.to_change()).collect();
    assert_eq!(borrowed, expected);
    assert_eq!(plan.len(), 4);
    assert_eq!(plan, Plan::from_changes("gamification", expected.clone()));
    assert_ne!(
        plan,
        Plan::from_changes("gamification", expected[1..].to_vec())
    );
    let debug = format!("{plan:?}");
    assert!(debug.contains("progress; more"), "{debug}");
}

#[test]
fn every_write_distinct_is_kept_exactly() {
    let mut plan = Plan::new("scoring");
    let values = |id: i64| {
        vec![
            FieldChange::new("x_score", Value::Int(id), Value::Float(id as f64 + 0.5)),
            FieldChange::new("tag_ids", Value::Ids(vec![]), Value::Ids(vec![id, 1])),
        ]
    };
    for id in 1..=1000 {
        plan.push_write("crm.lead", id, values(id), format!("reason {id}"));
    }
    assert_eq!(plan.len(), 1000);
    for (i, (_, id, changes, reason)) in plan.writes().enumerate() {
        assert_eq!(id, i as i64 + 1);
        assert_eq!(changes, &values(id)[..]);
        assert_eq!(reason, format!("reason {id}"));
    }
    assert_eq!(plan.write_groups(10).len(), 1000);
}

#[test]
fn duplicate_fields_in_one_write_keep_first_old_and_last_new() {
    let mut plan = Plan::new("scoring");
    plan.push_write(
        "crm.lead",
        1,
        vec![
            fc("x_score", 0, 5),
            fc("priority", 1, 1),
            fc("x_score", 7, 9),
        ],
        "r",
    );
    assert_eq!(plan.writes().next().unwrap().2, &[fc("x_score", 0, 9)][..]);
}
