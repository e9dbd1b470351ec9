//! Property tests of the domain module: the printed and list forms read back to the same
//! domain, and no input (arbitrary text, mutated domains, arbitrary list values) makes the
//! parser, the validator or the evaluator panic. Iterations follow `PROPTEST_CASES`
//! (default 256; the fuzz runs use 1,000,000).
#![allow(clippy::unwrap_used)]

use std::sync::OnceLock;

use chrono::NaiveDate;
use proptest::prelude::*;
use scorekeeper::domain::{Domain, DomainErrorKind, Env, EvalOptions, Lit, MemorySource, UserCtx};
use scorekeeper::record::{FieldDef, FieldType, ModelDef, Schema, Value};

struct Data {
    src: MemorySource,
    schema: Schema,
    env: Env,
}

fn data() -> &'static Data {
    static DATA: OnceLock<Data> = OnceLock::new();
    DATA.get_or_init(|| {
        let rel = |n: &str, t: FieldType, c: &str| FieldDef::new(n, t).with_relation(c);
        let lead = vec![
            FieldDef::new("name", FieldType::Char),
            FieldDef::new("score", FieldType::Integer),
            FieldDef::new("revenue", FieldType::Float),
            FieldDef::new("vip", FieldType::Boolean),
            FieldDef::new("active", FieldType::Boolean),
            FieldDef::new("deadline", FieldType::Date),
            FieldDef::new("opened", FieldType::Datetime),
            FieldDef::new("stage", FieldType::Selection),
            rel("partner_id", FieldType::Many2one, "partner"),
            rel("tag_ids", FieldType::Many2many, "tag"),
        ];
        let partner = vec![
            FieldDef::new("name", FieldType::Char),
            rel("parent_id", FieldType::Many2one, "partner"),
            FieldDef::new("active", FieldType::Boolean),
        ];
        let tag = vec![FieldDef::new("name", FieldType::Char)];
        let mut schema = Schema::default();
        let mut src = MemorySource::new();
        for (name, defs) in [("lead", &lead), ("partner", &partner), ("tag", &tag)] {
            let mut m = ModelDef::new(name);
            defs.iter().cloned().for_each(|d| m.add(d));
            schema.add_model(m);
            src.add_model(name, defs.iter().cloned());
        }
        for i in 1..=5i64 {
            src.insert(
                "partner",
                i,
                [
                    ("name", Value::Str(format!("Partner {i} Nguyễn"))),
                    (
                        "parent_id",
                        if i > 1 {
                            Value::Many2one(i - 1)
                        } else {
                            Value::Null
                        },
                    ),
                    ("active", Value::Bool(i != 3)),
                ],
            )
            .unwrap();
            src.insert("tag", i, [("name", Value::Str(format!("Tag{i}")))])
                .unwrap();
        }
        for i in 1..=20i64 {
            src.insert(
                "lead",
                i,
                [
                    (
                        "name",
                        if i % 7 == 0 {
                            Value::Null
                        } else {
                            Value::Str(format!("Lead {i} Москва"))
                        },
                    ),
                    (
                        "score",
                        if i % 5 == 0 {
                            Value::Null
                        } else {
                            Value::Int(i * 3 - 20)
                        },
                    ),
                    ("revenue", Value::Float(i as f64 * 1.5)),
                    (
                        "vip",
                        if i % 4 == 0 {
                            Value::Null
                        } else {
                            Value::Bool(i % 2 == 0)
                        },
                    ),
                    ("active", Value::Bool(i % 9 != 0)),
                    ("deadline", Value::Str(format!("2026-11-{:02}", i))),
                    (
                        "opened",
                        Value::Str(format!("2026-11-{:02} 1{}:00:00", i, i % 10)),
                    ),
                    (
                        "stage",
                        Value::Str(["new", "won", "lost"][(i % 3) as usize].into()),
                    ),
                    (
                        "partner_id",
                        if i % 6 == 0 {
                            Value::Null
                        } else {
                            Value::Many2one(i % 5 + 1)
                        },
                    ),
                    ("tag_ids", Value::Ids((1..=(i % 4)).collect())),
                ],
            )
            .unwrap();
        }
        let now = NaiveDate::from_ymd_opt(2026, 11, 22)
            .unwrap()
            .and_hms_opt(9, 0, 0)
            .unwrap();
        let env = Env::at(now).with_user(UserCtx {
            id: 2,
            partner_id: 2,
            company_id: 1,
            company_ids: vec![1],
            login: "admin".into(),
            name: "Admin".into(),
        });
        Data { src, schema, env }
    })
}

/// Runs everything a domain text can go through; must never panic.
fn exercise_text(text: &str) {
    if let Ok(d) = Domain::parse(text) {
        exercise(d);
    }
}

fn exercise(d: Domain) {
    let data = data();
    let _ = d.to_string();
    let _ = d.fields();
    let Ok(d) = d.bind(&data.env) else { return };
    let _ = d.to_lit().to_string();
    for model in ["lead", "partner"] {
        let _ = d.validate(&data.schema, model);
        for active_test in [true, false] {
            let _ = d.search(&data.src, model, &EvalOptions { active_test });
        }
    }
}

const FIELDS: &[&str] = &[
    "name",
    "score",
    "revenue",
    "vip",
    "active",
    "deadline",
    "opened",
    "stage",
    "partner_id",
    "tag_ids",
    "id",
    "partner_id.name",
    "partner_id.parent_id",
    "tag_ids.name",
    "partner_id.parent_id.name",
    "nope",
];
const OPS: &[&str] = &[
    "=",
    "!=",
    "<>",
    "<",
    "<=",
    ">",
    ">=",
    "=?",
    "=like",
    "=ilike",
    "like",
    "not like",
    "ilike",
    "not ilike",
    "in",
    "not in",
    "child_of",
    "parent_of",
    "~~",
];

fn scalar() -> impl Strategy<Value = Lit> {
    prop_oneof![
        Just(Lit::None),
        any::<bool>().prop_map(Lit::Bool),
        (-30i64..30).prop_map(Lit::Int),
        any::<i64>().prop_map(Lit::Int),
        (-1e6f64..1e6).prop_map(Lit::Float),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Lit::Float),
        "[a-zA-Z0-9 %_\\\\'\"éễмк京-]{0,12}".prop_map(Lit::Str),
        any::<String>().prop_map(Lit::Str),
        (1u32..28).prop_map(|d| Lit::Str(format!("2026-11-{d:02}"))),
        (1u32..28, 0u32..24).prop_map(|(d, h)| Lit::Str(format!("2026-11-{d:02} {h:02}:00:00"))),
    ]
}

fn value() -> impl Strategy<Value = Lit> {
    prop_oneof![
        4 => scalar(),
        1 => prop::collection::vec(scalar(), 0..4).prop_map(Lit::List),
        1 => prop::collection::vec(scalar(), 0..4).prop_map(Lit::Tuple),
    ]
}

fn leaf() -> impl Strategy<Value = Lit> {
    prop_oneof![
        8 => (prop::sample::select(FIELDS), prop::sample::select(OPS), value(), any::<bool>()).prop_map(
            |(f, o, v, tuple)| {
                let items = vec![Lit::Str(f.into()), Lit::Str(o.into()), v];
                if tuple { Lit::Tuple(items) } else { Lit::List(items) }
            }
        ),
        1 => prop_oneof![Just(1i64), Just(0)].prop_map(|l| Lit::Tuple(vec![Lit::Int(l), Lit::Str("=".into()), Lit::Int(1)])),
    ]
}

/// A well-formed prefix expression, as its items.
fn expr() -> impl Strategy<Value = Vec<Lit>> {
    let base = leaf().prop_map(|l| vec![l]);
    base.prop_recursive(5, 24, 3, |inner| {
        prop_oneof![
            inner.clone().prop_map(|e| {
                let mut v = vec![Lit::Str("!".into())];
                v.extend(e);
                v
            }),
            (
                prop_oneof![Just("&"), Just("|")],
                inner.clone(),
                inner.clone()
            )
                .prop_map(|(op, a, b)| {
                    let mut v = vec![Lit::Str(op.into())];
                    v.extend(a);
                    v.extend(b);
                    v
                }),
            (
                prop::sample::select(&["partner_id", "tag_ids", "partner_id.parent_id"][..]),
                any::<bool>(),
                inner
            )
                .prop_map(|(f, neg, sub)| {
                    vec![Lit::Tuple(vec![
                        Lit::Str(f.into()),
                        Lit::Str(if neg { "not any" } else { "any" }.into()),
                        Lit::List(sub),
                    ])]
                }),
        ]
    })
}

/// A domain: one or more expressions side by side (implicit `&`).
fn domain() -> impl Strategy<Value = Lit> {
    prop::collection::vec(expr(), 0..4).prop_map(|es| Lit::List(es.into_iter().flatten().collect()))
}

proptest! {
    #[test]
    fn printed_and_list_forms_read_back_identically(lit in domain()) {
        let text = lit.to_string();
        let d = Domain::parse(&text).unwrap();
        prop_assert_eq!(&Domain::from_lit(&lit).unwrap(), &d);
        // serialize (to_lit, printed with Python's repr) and parse again: the identity
        let again = Domain::parse(&d.to_lit().to_string()).unwrap();
        prop_assert_eq!(&again, &d);
        prop_assert_eq!(&Domain::from_lit(&d.to_lit()).unwrap(), &d);
        prop_assert_eq!(&Domain::parse(&d.to_string()).unwrap(), &d);
    }

    #[test]
    fn pushed_down_form_evaluates_the_same(lit in domain()) {
        let data = data();
        let d = Domain::from_lit(&lit).unwrap();
        let back = Domain::from_lit(&d.to_lit()).unwrap();
        for active_test in [true, false] {
            let opts = EvalOptions { active_test };
            let a = d.search(&data.src, "lead", &opts);
            let b = back.search(&data.src, "lead", &opts);
            prop_assert_eq!(a.is_ok(), b.is_ok());
            if let (Ok(a), Ok(b)) = (a, b) {
                prop_assert_eq!(a, b);
            }
        }
    }

    #[test]
    fn double_negation_changes_nothing(lit in domain()) {
        // Odoo's `!` is not a complement (`not like False` and `like False` both match NULL),
        // but `!!D` is D
        let data = data();
        let d = Domain::from_lit(&lit).unwrap();
        let opts = EvalOptions { active_test: false };
        let twice = d.clone().negate().negate();
        prop_assert_eq!(&twice, &d);
        if let (Ok(a), Ok(b)) = (d.search(&data.src, "lead", &opts), twice.search(&data.src, "lead", &opts)) {
            prop_assert_eq!(a, b);
        }
    }

    #[test]
    fn arbitrary_text_never_panics(text in any::<String>()) {
        exercise_text(&text);
    }

    #[test]
    fn domain_like_text_never_panics(text in "[\\[\\](),'\" a-z_.0-9!&|=<>%~?+-]{0,80}") {
        exercise_text(&text);
    }

    #[test]
    fn mutated_domains_never_panic(
        lit in domain(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), 0u8..3, prop::sample::select(&["'", "\"", "[", "]", "(", ")", ",", "\\", ".", "-", "(", "user.id", "context_today()", "é", "%", "!", "|", "&", "1e", "0x", "#", " "][..])), 1..6),
    ) {
        let mut text: Vec<char> = lit.to_string().chars().collect();
        for (at, kind, s) in edits {
            let i = if text.is_empty() { 0 } else { at.index(text.len() + 1) };
            match kind {
                0 => { text.splice(i..i, s.chars()); }
                1 => { if i < text.len() { text.remove(i); } }
                _ => { if i < text.len() { text.splice(i..=i, s.chars()); } }
            }
        }
        let text: String = text.into_iter().collect();
        exercise_text(&text);
    }

    #[test]
    fn arbitrary_list_values_never_panic(lit in arbitrary_lit()) {
        if let Ok(d) = Domain::from_lit(&lit) {
            exercise(d);
        }
    }
}

fn arbitrary_lit() -> impl Strategy<Value = Lit> {
    let leaf = prop_oneof![
        scalar(),
        prop::sample::select(
            &[
                "&",
                "|",
                "!",
                "any",
                "not any",
                "=",
                "in",
                "name",
                "partner_id",
                "tag_ids.name"
            ][..]
        )
        .prop_map(|s| Lit::Str(s.into())),
    ];
    leaf.prop_recursive(6, 48, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Lit::List),
            prop::collection::vec(inner, 0..5).prop_map(Lit::Tuple),
        ]
    })
}

#[test]
fn hostile_sizes_and_depths_are_errors_not_crashes() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert_eq!(
        Domain::parse(&deep).unwrap_err().kind(),
        DomainErrorKind::TooLarge
    );
    let deep = format!("{}{}", "[".repeat(20_000), "]".repeat(20_000));
    assert_eq!(
        Domain::parse(&deep).unwrap_err().kind(),
        DomainErrorKind::TooDeep
    );
    let deep = format!("[{}('a','=',1)]", "'!', ".repeat(10_000));
    assert!(
        Domain::parse(&deep).is_ok(),
        "negations cancel and do not nest"
    );
    let alternating: String = (0..1_000)
        .map(|i| if i % 2 == 0 { "'&', " } else { "'|', " })
        .collect();
    let leaves = "('score','=',1), ".repeat(1_001);
    let err = Domain::parse(&format!("[{alternating}{leaves}]")).unwrap_err();
    assert_eq!(err.kind(), DomainErrorKind::TooDeep);
    let path = format!("[('{}name', '=', 1)]", "partner_id.".repeat(1_000));
    assert_eq!(
        Domain::parse(&path).unwrap_err().kind(),
        DomainErrorKind::InvalidPath
    );
    let minus = format!("[('score', '=', {}1)]", "-".repeat(10_000));
    assert_eq!(
        Domain::parse(&minus).unwrap_err().kind(),
        DomainErrorKind::TooDeep
    );
    let calls = format!(
        "[('score', '=', {}{})]",
        "(".repeat(10_000),
        ")".repeat(10_000)
    );
    assert_eq!(
        Domain::parse(&calls).unwrap_err().kind(),
        DomainErrorKind::TooDeep
    );
    let mut lit = Lit::List(vec![]);
    for _ in 0..100_000 {
        lit = Lit::List(vec![lit]);
    }
    assert_eq!(
        Domain::from_lit(&lit).unwrap_err().kind(),
        DomainErrorKind::TooDeep
    );
    // dropping the deep value must not overflow either: unwind it by hand
    let mut cur = lit;
    while let Lit::List(mut v) = cur {
        cur = v.pop().unwrap_or(Lit::None);
    }
}

#[test]
fn parse_errors_point_at_the_construct() {
    let e = Domain::parse("[('name', '=', foo.bar)]").unwrap_err();
    assert_eq!(e.kind(), DomainErrorKind::Unsupported);
    assert!(e.message.contains("unknown name `foo`"), "{e}");
    assert_eq!(e.position.as_ref().unwrap().offset, 15);
    assert!(e.to_string().contains("at byte 15"), "{e}");
    let e = Domain::parse("[('name', '=', 'Nguyễn)]").unwrap_err();
    assert_eq!(e.kind(), DomainErrorKind::Syntax);
    assert_eq!(e.position.as_ref().unwrap().excerpt, "'Nguyễn)]");
    let e = Domain::parse("[('name' '=', 1)]").unwrap_err();
    assert_eq!(
        e.kind(),
        DomainErrorKind::MalformedLeaf,
        "adjacent strings concatenate: ('name=', 1)"
    );
    let e = Domain::parse("[('a', '=', 1) ('b', '=', 2)]").unwrap_err();
    assert_eq!(e.kind(), DomainErrorKind::Unsupported, "{e}");
}
