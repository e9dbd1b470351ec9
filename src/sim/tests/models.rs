//! What the simulator computes as Odoo does: custom fields, read_group, karma and goal
//! trackings, defaults, lead side effects, stored day computations, order specs and dates.

use super::*;

#[test]
fn custom_fields_become_real_fields() {
    let sim = sim();
    let new = kw(
        &sim,
        "ir.model.fields",
        "create",
        vec![st(vec![
            ("model_id", X::Int(497)),
            ("name", s("x_lead_score")),
            ("field_description", s("Lead Score")),
            ("ttype", s("integer")),
            ("state", s("manual")),
        ])],
        vec![],
    );
    assert_eq!(new, Ok(X::Int(6988)));
    let f = kw(
        &sim,
        "ir.model.fields",
        "create",
        vec![st(vec![
            ("model_id", X::Int(497)),
            ("name", s("bad")),
            ("ttype", s("integer")),
        ])],
        vec![],
    )
    .unwrap_err();
    assert_eq!(
        (f.code, f.string.as_str()),
        (
            2,
            "The operation cannot be completed: Custom fields must have a name that starts with 'x_'!"
        )
    );
    assert_eq!(
        kw(
            &sim,
            "crm.lead",
            "write",
            vec![arr(vec![X::Int(1)]), st(vec![("x_lead_score", X::Int(35))])],
            vec![]
        ),
        Ok(X::Bool(true))
    );
    let found = kw(
        &sim,
        "crm.lead",
        "search",
        vec![arr(vec![leaf("x_lead_score", ">=", X::Int(30))])],
        vec![],
    )
    .unwrap();
    assert_eq!(ids(&found), [1]);
    let fg = kw(
        &sim,
        "crm.lead",
        "fields_get",
        vec![arr(vec![s("x_lead_score")])],
        vec![("attributes", arr(vec![s("type"), s("string")]))],
    )
    .unwrap();
    assert_eq!(
        fg,
        st(vec![(
            "x_lead_score",
            st(vec![("type", s("integer")), ("string", s("Lead Score"))])
        )])
    );
    let f = kw_as(
        &sim,
        6,
        "demo",
        "ir.model.fields",
        "create",
        vec![st(vec![
            ("model", s("crm.lead")),
            ("name", s("x_evil")),
            ("ttype", s("char")),
        ])],
        vec![],
    )
    .unwrap_err();
    assert_eq!(f.code, 4);
}

#[test]
fn read_group_lazy_and_by_month() {
    let sim = sim();
    let rows = kw(
        &sim,
        "crm.lead",
        "read_group",
        vec![
            arr(vec![]),
            arr(vec![s("expected_revenue:sum")]),
            arr(vec![s("user_id"), s("stage_id")]),
        ],
        vec![],
    )
    .unwrap();
    let first = rows
        .as_array()
        .and_then(|r| r.first())
        .and_then(X::as_struct)
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        first.get("user_id"),
        Some(&arr(vec![X::Int(6), s("Marc Demo")]))
    );
    assert_eq!(first.get("user_id_count"), Some(&X::Int(8)));
    assert_eq!(first.get("expected_revenue"), Some(&X::Double(90000.0)));
    assert_eq!(
        first.get("__context"),
        Some(&st(vec![("group_by", arr(vec![s("stage_id")]))]))
    );
    let rows = kw(
        &sim,
        "crm.lead",
        "read_group",
        vec![
            arr(vec![]),
            arr(vec![s("expected_revenue:sum")]),
            arr(vec![s("create_date:month")]),
        ],
        vec![("lazy", X::Bool(false))],
    )
    .unwrap();
    let first = rows
        .as_array()
        .and_then(|r| r.first())
        .and_then(X::as_struct)
        .cloned()
        .unwrap_or_default();
    assert_eq!(first.get("create_date:month"), Some(&s("September 2026")));
    assert_eq!(
        first.get("__domain"),
        Some(&arr(vec![
            s("&"),
            leaf("create_date", ">=", s("2026-09-01 00:00:00")),
            leaf("create_date", "<", s("2026-10-01 00:00:00"))
        ]))
    );
}

#[test]
fn karma_follows_the_newest_tracking_and_goals_their_line() {
    let sim = sim();
    let id = kw(
        &sim,
        "gamification.karma.tracking",
        "create",
        vec![st(vec![
            ("user_id", X::Int(2)),
            ("new_value", X::Int(2510)),
            ("reason", s("Won")),
        ])],
        vec![],
    )
    .unwrap();
    assert_eq!(id, X::Int(16));
    assert_eq!(
        sim.read().value("res.users", 2, "karma"),
        Some(RV::Int(2510))
    );
    assert_eq!(
        sim.read()
            .value("gamification.karma.tracking", 16, "old_value"),
        Some(RV::Int(2500))
    );
    let goal = sim.write().create(
        "gamification.goal",
        vec![
            ("definition_id".into(), RV::Many2one(6)),
            ("user_id".into(), RV::Many2one(2)),
            ("line_id".into(), RV::Many2one(6)),
            ("target_goal".into(), RV::Float(7.0)),
            ("current".into(), RV::Float(3.5)),
        ],
    );
    assert_eq!(goal, 3);
    let store = sim.read();
    assert_eq!(
        store.value("gamification.goal", goal, "challenge_id"),
        Some(RV::Many2one(4))
    );
    assert_eq!(
        store.value("gamification.goal", goal, "completeness"),
        Some(RV::Float(50.0))
    );
    assert_eq!(
        store.value("gamification.goal", goal, "state"),
        Some(RV::Null),
        "generators decide"
    );
    assert_eq!(store.display_name("gamification.goal", goal), "New Leads");
    drop(store);
    // Over RPC, Odoo's defaults apply: required selections take their first key.
    let rpc = kw(
        &sim,
        "gamification.goal",
        "create",
        vec![st(vec![
            ("definition_id", X::Int(6)),
            ("user_id", X::Int(6)),
            ("line_id", X::Int(6)),
            ("target_goal", X::Double(7.0)),
        ])],
        vec![],
    );
    assert_eq!(rpc, Ok(X::Int(4)));
    let store = sim.read();
    assert_eq!(
        store.value("gamification.goal", 4, "state"),
        Some(RV::Str("draft".into()))
    );
    assert_eq!(
        store.value("gamification.goal", 4, "challenge_id"),
        Some(RV::Many2one(4))
    );
}

#[test]
fn explicit_false_beats_defaults() {
    let sim = sim();
    let id = kw(
        &sim,
        "crm.lead",
        "create",
        vec![st(vec![
            ("name", s("Unassigned")),
            ("user_id", X::Bool(false)),
        ])],
        vec![],
    );
    assert_eq!(id, Ok(X::Int(45)));
    assert_eq!(sim.read().value("crm.lead", 45, "user_id"), Some(RV::Null));
}

#[test]
fn access_errors_for_the_demo_user() {
    let sim = sim();
    let f = kw_as(
        &sim,
        6,
        "demo",
        "gamification.challenge",
        "write",
        vec![arr(vec![X::Int(1)]), st(vec![("name", s("hijack"))])],
        vec![],
    )
    .unwrap_err();
    assert_eq!(f.code, 4);
    assert!(
        f.string
            .contains("'Gamification Challenge' (gamification.challenge)")
    );
    assert!(f.string.contains("\t- Administration/Access Rights"));
}

#[test]
fn lead_writes_have_odoo_side_effects() {
    let sim = sim();
    let won = kw(
        &sim,
        "crm.lead",
        "write",
        vec![
            arr(vec![X::Int(1)]),
            st(vec![("probability", X::Double(100.0))]),
        ],
        vec![],
    );
    assert_eq!(won, Ok(X::Bool(true)));
    assert!(matches!(
        sim.read().value("crm.lead", 1, "date_closed"),
        Some(RV::Str(_))
    ));
    let reopened = kw(
        &sim,
        "crm.lead",
        "write",
        vec![
            arr(vec![X::Int(1)]),
            st(vec![("probability", X::Double(40.0))]),
        ],
        vec![],
    );
    assert_eq!(reopened, Ok(X::Bool(true)));
    assert_eq!(
        sim.read().value("crm.lead", 1, "date_closed"),
        Some(RV::Null)
    );
}

#[test]
fn lead_day_close_and_day_open_are_stored_computations() {
    let sim = sim();
    // Lead 1 was created 2026-11-14 13:11:07 (snapshot); Odoo floors timedelta.days, then abs.
    let ok = kw(
        &sim,
        "crm.lead",
        "write",
        vec![
            arr(vec![X::Int(1)]),
            st(vec![
                ("date_closed", X::String("2026-11-20 13:11:06".into())),
                ("date_open", X::String("2026-11-10 09:00:00".into())),
            ]),
        ],
        vec![],
    );
    assert_eq!(ok, Ok(X::Bool(true)));
    let store = sim.read();
    assert_eq!(
        store.value("crm.lead", 1, "day_close"),
        Some(RV::Float(5.0))
    );
    // 2026-11-10 09:00 is 4 days 4 h before creation: days = -5 (floored), abs → 5
    assert_eq!(store.value("crm.lead", 1, "day_open"), Some(RV::Float(5.0)));
}

#[test]
fn karma_writes_become_trackings() {
    let sim = sim();
    let ok = kw(
        &sim,
        "res.users",
        "write",
        vec![arr(vec![X::Int(6)]), st(vec![("karma", X::Int(2600))])],
        vec![],
    );
    assert_eq!(ok, Ok(X::Bool(true)));
    let store = sim.read();
    assert_eq!(
        store.value("gamification.karma.tracking", 16, "old_value"),
        Some(RV::Int(2500))
    );
    assert_eq!(
        store.value("gamification.karma.tracking", 16, "new_value"),
        Some(RV::Int(2600))
    );
    assert_eq!(store.value("res.users", 6, "karma"), Some(RV::Int(2600)));
}

#[test]
fn bad_order_specs_fault_like_odoo() {
    let sim = sim();
    let f = kw(
        &sim,
        "crm.lead",
        "search",
        vec![arr(vec![])],
        vec![("order", s("name sideways"))],
    )
    .unwrap_err();
    assert_eq!(f.code, 2);
    assert!(
        f.string
            .starts_with("Invalid \"order\" specified (name sideways).")
    );
    let f = kw(
        &sim,
        "crm.lead",
        "search",
        vec![arr(vec![])],
        vec![("order", s("nope desc"))],
    )
    .unwrap_err();
    assert_eq!(
        f.last_line(),
        "ValueError: Invalid field 'nope' on model 'crm.lead'"
    );
}

#[test]
fn bare_dates_cover_whole_days_of_datetimes() {
    let sim = sim();
    // Lead 1 was created on 2026-11-14 at 13:11:07 (UTC).
    let until = kw(
        &sim,
        "crm.lead",
        "search",
        vec![arr(vec![
            leaf("id", "=", X::Int(1)),
            leaf("create_date", "<=", s("2026-11-14")),
        ])],
        vec![],
    )
    .unwrap();
    assert_eq!(ids(&until), [1]);
    let after = kw(
        &sim,
        "crm.lead",
        "search",
        vec![arr(vec![
            leaf("id", "=", X::Int(1)),
            leaf("create_date", ">", s("2026-11-14")),
        ])],
        vec![],
    )
    .unwrap();
    assert_eq!(ids(&after), Vec::<i64>::new());
}

#[test]
fn advancing_the_clock_moves_it_ahead_and_keeps_the_pinned_time() {
    let mut store = sim().write().clone();
    let pinned = chrono::NaiveDate::from_ymd_opt(2026, 11, 23)
        .and_then(|d| d.and_hms_opt(8, 0, 0))
        .unwrap_or_else(|| panic!("date"));
    store.set_clock(move || pinned);
    store.advance_clock(chrono::Duration::milliseconds(1100));
    assert_eq!(
        store.clock_now(),
        pinned + chrono::Duration::milliseconds(1100)
    );
    store.advance_clock(chrono::Duration::seconds(1));
    assert_eq!(store.now(), "2026-11-23 08:00:02");
}
