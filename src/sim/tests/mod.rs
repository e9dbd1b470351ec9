//! Unit tests of the simulator's methods and faults, dispatched as decoded values against
//! the real snapshot (no codec, no HTTP).

use super::*;
use crate::record::{RecordStore, Value as RV};
use crate::xmlrpc::{Struct, Value as X};

/// The snapshot, with the clock pinned the morning after it was recorded (tests never read
/// the machine's date).
pub(super) fn sim() -> Sim {
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

pub(super) fn s(v: &str) -> X {
    X::String(v.to_owned())
}

pub(super) fn arr(items: Vec<X>) -> X {
    X::Array(items)
}

pub(super) fn st(members: Vec<(&str, X)>) -> X {
    X::Struct(members.into_iter().collect::<Struct>())
}

pub(super) fn leaf(f: &str, op: &str, v: X) -> X {
    arr(vec![s(f), s(op), v])
}

/// `execute_kw` as admin.
pub(super) fn kw(
    sim: &Sim,
    model: &str,
    method: &str,
    args: Vec<X>,
    kwargs: Vec<(&str, X)>,
) -> Result<X, SimFault> {
    kw_as(sim, 2, "admin", model, method, args, kwargs)
}

pub(super) fn kw_as(
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

pub(super) fn ids(x: &X) -> Vec<i64> {
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

// Long on purpose: one table of recorded search cases (orders, pages, filters) against the
// same snapshot, each a few lines.
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

// Long on purpose: one scenario (a record written, created and unlinked, with every fault Odoo
// raises on the way) whose steps depend on each other.
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

mod models;
