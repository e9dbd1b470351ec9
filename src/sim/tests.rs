//! Unit tests of the simulator's methods and faults, dispatched as decoded values against
//! the real snapshot (no codec, no HTTP).

use super::*;
use crate::record::{RecordStore, Value as RV};
use crate::xmlrpc::{Struct, Value as X};

/// The snapshot, with the clock pinned the morning after it was recorded (tests never read
/// the machine's date).
fn sim() -> Sim {
    let sim = Sim::from_snapshot_file(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/odoo17/snapshot.json"
    ))
    .expect("snapshot loads");
    let at = chrono::NaiveDate::from_ymd_opt(2026, 11, 23)
        .and_then(|d| d.and_hms_opt(8, 0, 0))
        .expect("a valid instant");
    sim.write().set_clock(move || at);
    sim
}

fn s(v: &str) -> X {
    X::String(v.to_owned())
}

fn arr(items: Vec<X>) -> X {
    X::Array(items)
}

fn st(members: Vec<(&str, X)>) -> X {
    X::Struct(members.into_iter().collect::<Struct>())
}

fn leaf(f: &str, op: &str, v: X) -> X {
    arr(vec![s(f), s(op), v])
}

/// `execute_kw` as admin.
fn kw(
    sim: &Sim,
    model: &str,
    method: &str,
    args: Vec<X>,
    kwargs: Vec<(&str, X)>,
) -> Result<X, SimFault> {
    kw_as(sim, 2, "admin", model, method, args, kwargs)
}

fn kw_as(
    sim: &Sim,
    uid: i64,
    pw: &str,
    model: &str,
    method: &str,
    args: Vec<X>,
    kwargs: Vec<(&str, X)>,
) -> Result<X, SimFault> {
    sim.dispatch(
        "object",
        "execute_kw",
        &[
            s("crm17c"),
            X::Int(uid),
            s(pw),
            s(model),
            s(method),
            arr(args),
            st(kwargs),
        ],
    )
}

fn ids(x: &X) -> Vec<i64> {
    x.as_array()
        .unwrap_or(&[])
        .iter()
        .filter_map(X::as_i64)
        .collect()
}

#[test]
fn the_embedded_snapshot_is_the_fixture() {
    let embedded = Sim::from_embedded_snapshot().expect("embedded snapshot loads");
    assert_eq!(embedded.read().count("crm.lead"), 44);
    assert_eq!(embedded.read().count("res.country"), 250);
    assert_eq!(embedded.database(), SNAPSHOT_DATABASE);
}

#[test]
fn common_version_and_authentication() {
    let sim = sim();
    let v = sim.dispatch("common", "version", &[]).unwrap_or(X::Nil);
    assert_eq!(
        v.as_struct().and_then(|s| s.get("server_version")),
        Some(&s("17.0"))
    );
    let auth = |login: &str, pw: &str| {
        sim.dispatch(
            "common",
            "authenticate",
            &[s("crm17c"), s(login), s(pw), st(vec![])],
        )
    };
    assert_eq!(auth("admin", "admin"), Ok(X::Int(2)));
    assert_eq!(auth("demo", "demo"), Ok(X::Int(6)));
    assert_eq!(auth("admin", "wrong"), Ok(X::Bool(false)));
    assert_eq!(auth("admin", load::SNAPSHOT_API_KEY), Ok(X::Int(2)));
    assert_eq!(auth("nobody", "x"), Ok(X::Bool(false)));
    let f = sim
        .dispatch(
            "common",
            "authenticate",
            &[s("no_such_db"), s("admin"), s("admin"), st(vec![])],
        )
        .unwrap_err();
    assert_eq!(f.code, 1);
    assert!(f.last_line().starts_with("psycopg2.OperationalError"));
    assert_eq!(
        sim.dispatch("common", "login", &[s("crm17c"), s("admin"), s("admin")]),
        Ok(X::Int(2))
    );
}

#[test]
fn object_faults_match_odoo() {
    let sim = sim();
    let bad_pw = kw_as(
        &sim,
        2,
        "nope",
        "crm.lead",
        "search_count",
        vec![arr(vec![])],
        vec![],
    );
    assert_eq!(bad_pw, Err(SimFault::access_denied()));
    let f = kw(&sim, "no.such.model", "search", vec![arr(vec![])], vec![]).unwrap_err();
    assert_eq!(
        (f.code, f.string.as_str()),
        (2, "Object no.such.model doesn't exist")
    );
    let f = kw(
        &sim,
        "crm.lead",
        "no_such_method",
        vec![arr(vec![])],
        vec![],
    )
    .unwrap_err();
    assert_eq!(
        (f.code, f.last_line()),
        (
            1,
            "AttributeError: The method 'no_such_method' does not exist on the model 'crm.lead'"
        )
    );
    let f = kw(
        &sim,
        "crm.lead",
        "_compute_probabilities",
        vec![arr(vec![X::Int(1)])],
        vec![],
    )
    .unwrap_err();
    assert_eq!(f.code, 4);
    let f = sim.dispatch("object", "frobnicate", &[]).unwrap_err();
    assert_eq!(f.last_line(), "IndexError: tuple index out of range");
    let f = sim.dispatch("nosuchservice", "version", &[]).unwrap_err();
    assert_eq!(f.last_line(), "KeyError: 'nosuchservice'");
    let f = kw(
        &sim,
        "gamification.challenge",
        "action_check",
        vec![arr(vec![X::Int(4)])],
        vec![],
    )
    .unwrap_err();
    assert!(
        f.last_line()
            .starts_with("NotImplementedError: scorekeeper's Odoo simulator")
    );
}

#[test]
fn search_orders_pages_and_filters() {
    let sim = sim();
    let dom = arr(vec![leaf("type", "=", s("opportunity"))]);
    assert_eq!(
        kw(&sim, "crm.lead", "search_count", vec![dom.clone()], vec![]),
        Ok(X::Int(17))
    );
    let page = kw(
        &sim,
        "crm.lead",
        "search",
        vec![arr(vec![])],
        vec![
            ("order", s("id")),
            ("limit", X::Int(3)),
            ("offset", X::Int(2)),
        ],
    )
    .unwrap();
    assert_eq!(ids(&page), [3, 4, 5]);
    let all = kw(
        &sim,
        "crm.lead",
        "search",
        vec![arr(vec![])],
        vec![("limit", X::Int(0)), ("order", s("id"))],
    )
    .unwrap();
    assert_eq!(ids(&all).len(), 39);
    // Default order of res.users is "name, login": Marc Demo before Mitchell Admin.
    let users = kw(
        &sim,
        "res.users",
        "search",
        vec![arr(vec![leaf("share", "=", X::Bool(false))])],
        vec![],
    )
    .unwrap();
    assert_eq!(ids(&users), [6, 2]);
    // Archived records only with active_test False (or an explicit active leaf).
    let archived = kw(
        &sim,
        "crm.lead",
        "search",
        vec![arr(vec![leaf("active", "=", X::Bool(false))])],
        vec![
            ("context", st(vec![("active_test", X::Bool(false))])),
            ("limit", X::Int(3)),
        ],
    )
    .unwrap();
    assert_eq!(ids(&archived), [12, 11, 9]);
    let f = kw(
        &sim,
        "crm.lead",
        "search",
        vec![arr(vec![leaf("no_such_field", "=", X::Int(1))])],
        vec![],
    )
    .unwrap_err();
    assert_eq!(
        f.last_line(),
        "ValueError: Invalid field crm.lead.no_such_field in leaf ('no_such_field', '=', 1)"
    );
    let f = kw(
        &sim,
        "crm.lead",
        "search",
        vec![arr(vec![leaf("name", "~~", s("x"))])],
        vec![],
    )
    .unwrap_err();
    assert_eq!(
        f.last_line(),
        "ValueError: Invalid leaf ('name', '~~', 'x')"
    );
    let f = kw(
        &sim,
        "crm.lead",
        "search",
        vec![arr(vec![s("|"), leaf("name", "=", s("x"))])],
        vec![],
    )
    .unwrap_err();
    assert_eq!(
        f.last_line(),
        "ValueError: Domain ['|', ['name', '=', 'x']] is syntactically not correct."
    );
    // The demo salesperson sees only their own and unassigned leads.
    assert_eq!(
        kw_as(
            &sim,
            6,
            "demo",
            "crm.lead",
            "search_count",
            vec![arr(vec![])],
            vec![]
        ),
        Ok(X::Int(21))
    );
}

#[test]
fn read_converts_like_odoo() {
    let sim = sim();
    let r = kw(
        &sim,
        "crm.lead",
        "read",
        vec![arr(vec![X::Int(1), X::Int(999_999)])],
        vec![(
            "fields",
            arr(vec![
                s("name"),
                s("stage_id"),
                s("tag_ids"),
                s("date_closed"),
                s("expected_revenue"),
            ]),
        )],
    )
    .unwrap();
    let recs = r.as_array().unwrap_or(&[]);
    assert_eq!(recs.len(), 1, "missing ids are dropped");
    let rec = recs[0].as_struct().cloned().unwrap_or_default();
    assert_eq!(rec.get("stage_id"), Some(&arr(vec![X::Int(1), s("New")])));
    assert_eq!(rec.get("tag_ids"), Some(&arr(vec![X::Int(6)])));
    assert_eq!(rec.get("date_closed"), Some(&X::Bool(false)));
    assert_eq!(rec.get("expected_revenue"), Some(&X::Double(0.0)));
    let f = kw(
        &sim,
        "crm.lead",
        "read",
        vec![arr(vec![X::Int(1)])],
        vec![("fields", arr(vec![s("nope")]))],
    )
    .unwrap_err();
    assert_eq!(f.code, 1);
}

#[test]
fn write_create_unlink_and_their_faults() {
    let sim = sim();
    let id = kw(
        &sim,
        "crm.lead",
        "create",
        vec![st(vec![("name", s("Cơ hội")), ("type", s("lead"))])],
        vec![],
    )
    .unwrap();
    assert_eq!(id, X::Int(45));
    let batch = kw(
        &sim,
        "crm.lead",
        "create",
        vec![arr(vec![
            st(vec![("name", s("A"))]),
            st(vec![("name", s("B"))]),
        ])],
        vec![],
    )
    .unwrap();
    assert_eq!(ids(&batch), [46, 47]);
    {
        let store = sim.read();
        assert_eq!(
            store.value("crm.lead", 45, "user_id"),
            Some(RV::Many2one(2))
        );
        assert_eq!(
            store.value("crm.lead", 45, "team_id"),
            Some(RV::Many2one(1))
        );
        assert_eq!(
            store.value("crm.lead", 45, "stage_id"),
            Some(RV::Many2one(1))
        );
        assert_eq!(store.value("crm.lead", 45, "active"), Some(RV::Bool(true)));
    }
    let ok = kw(
        &sim,
        "crm.lead",
        "write",
        vec![
            arr(vec![X::Int(45)]),
            st(vec![
                ("priority", s("2")),
                ("date_closed", s("2026-11-20 08:30")),
            ]),
        ],
        vec![],
    );
    assert_eq!(ok, Ok(X::Bool(true)));
    assert_eq!(
        sim.read().value("crm.lead", 45, "date_closed"),
        Some(RV::Str("2026-11-20 08:30:00".into()))
    );
    let f = kw(
        &sim,
        "crm.lead",
        "write",
        vec![arr(vec![X::Int(45)]), st(vec![("x_nope", X::Int(1))])],
        vec![],
    )
    .unwrap_err();
    assert_eq!(
        f.last_line(),
        "ValueError: Invalid field 'x_nope' on model 'crm.lead'"
    );
    let f = kw(
        &sim,
        "crm.lead",
        "write",
        vec![arr(vec![X::Int(45)]), st(vec![("priority", s("9"))])],
        vec![],
    )
    .unwrap_err();
    assert_eq!(
        f.last_line(),
        "ValueError: Wrong value for crm.lead.priority: '9'"
    );
    let f = kw(
        &sim,
        "crm.lead",
        "write",
        vec![arr(vec![X::Int(999_999)]), st(vec![("name", s("x"))])],
        vec![],
    )
    .unwrap_err();
    assert_eq!(f, SimFault::missing("crm.lead", &[999_999], 2));
    let f = kw(
        &sim,
        "crm.lead",
        "write",
        vec![arr(vec![X::Int(45)])],
        vec![],
    )
    .unwrap_err();
    assert_eq!(
        f.last_line(),
        "TypeError: Lead.write() missing 1 required positional argument: 'vals'"
    );
    let f = kw(
        &sim,
        "crm.lead",
        "write",
        vec![
            arr(vec![X::Int(45)]),
            st(vec![("color", X::Int(3_000_000_000))]),
        ],
        vec![],
    )
    .unwrap_err();
    assert_eq!(
        f.last_line(),
        "psycopg2.errors.NumericValueOutOfRange: integer out of range"
    );
    assert_eq!(
        sim.read().value("crm.lead", 45, "priority"),
        Some(RV::Str("2".into())),
        "failed writes change nothing"
    );
    assert_eq!(
        kw(
            &sim,
            "crm.lead",
            "unlink",
            vec![arr(vec![X::Int(47)])],
            vec![]
        ),
        Ok(X::Bool(true))
    );
    assert!(!sim.read().exists("crm.lead", 47));
}

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
