//! Property test: on random rule sets over the demo data in the simulator, the full pass
//! (rule domains pushed down to the server) and the in-memory pass (what the incremental pass
//! runs) give the same score for every lead, and both equal a brute-force reference written
//! directly from the stored values with SQL's NULL rules.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::Path;

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config as PtConfig, TestRunner};
use scorekeeper::config;
use scorekeeper::domain::RecordSource;
use scorekeeper::jobs::scoring::{PassKind, ScoringJob};
use scorekeeper::record::Value;
use scorekeeper::sim::Sim;

use crate::support::{now, served_demo};

/// One generated leaf: its domain text and its reference predicate.
#[derive(Clone, Debug)]
enum Leaf {
    Num {
        field: &'static str,
        op: &'static str,
        v: i64,
    },
    Country(&'static str),
    EmailSet(bool),
    TagIn(Vec<&'static str>),
    PriorityIn(Vec<&'static str>),
}

impl Leaf {
    fn text(&self) -> String {
        match self {
            Leaf::Num { field, op, v } => format!("('{field}', '{op}', {v})"),
            Leaf::Country(c) => format!("('country_id.code', '=', '{c}')"),
            Leaf::EmailSet(true) => "('email_from', '!=', False)".into(),
            Leaf::EmailSet(false) => "('email_from', '=', False)".into(),
            Leaf::TagIn(names) => format!("('tag_ids.name', 'in', {names:?})").replace('"', "'"),
            Leaf::PriorityIn(ps) => format!("('priority', 'in', {ps:?})").replace('"', "'"),
        }
    }

    /// SQL semantics on the stored values (NULL kept apart from 0).
    fn eval(&self, src: &dyn RecordSource, id: i64) -> bool {
        let get = |f: &str| {
            src.value("crm.lead", id, f)
                .map(|v| v.into_owned())
                .unwrap_or(Value::Null)
        };
        match self {
            Leaf::Num { field, op, v } => {
                let x = match get(field) {
                    Value::Null => None,
                    other => other.as_f64(),
                };
                let v = *v as f64;
                match (op, x) {
                    (&"!=", None) => v != 0.0,
                    (_, None) => false,
                    (&"=", Some(x)) => x == v,
                    (&"!=", Some(x)) => x != v,
                    (&"<", Some(x)) => x < v,
                    (&">=", Some(x)) => x >= v,
                    _ => unreachable!(),
                }
            }
            Leaf::Country(code) => match get("country_id") {
                Value::Many2one(c) => {
                    src.value("res.country", c, "code").map(|v| v.into_owned())
                        == Some(Value::Str((*code).to_owned()))
                }
                _ => false,
            },
            Leaf::EmailSet(set) => {
                let present = !matches!(get("email_from"), Value::Null | Value::Bool(false));
                present == *set
            }
            Leaf::TagIn(names) => get("tag_ids").as_ids().iter().any(|t| {
                match src.value("crm.tag", *t, "name").map(|v| v.into_owned()) {
                    Some(Value::Str(n)) => names.contains(&n.as_str()),
                    _ => false,
                }
            }),
            Leaf::PriorityIn(ps) => match get("priority") {
                Value::Str(p) => ps.contains(&p.as_str()),
                _ => false,
            },
        }
    }
}

fn leaf() -> impl Strategy<Value = Leaf> {
    let num = (
        prop_oneof![Just("expected_revenue"), Just("probability")],
        prop_oneof![Just("="), Just("!="), Just("<"), Just(">=")],
        prop_oneof![Just(0i64), Just(10), Just(5_000), Just(20_000)],
    )
        // `!=` with a falsy value excludes NULL rows in Odoo (semantics §5.2), but the
        // simulator includes them (reported); keep `!=` to truthy values until it is fixed.
        .prop_map(|(field, op, v)| Leaf::Num {
            field,
            op,
            v: if op == "!=" && v == 0 { 10 } else { v },
        });
    prop_oneof![
        num,
        prop_oneof![Just("VN"), Just("CN"), Just("US"), Just("RU")].prop_map(Leaf::Country),
        any::<bool>().prop_map(Leaf::EmailSet),
        proptest::sample::subsequence(
            vec!["VIP", "Government", "Product", "Software", "Services"],
            1..3
        )
        .prop_map(Leaf::TagIn),
        proptest::sample::subsequence(vec!["0", "1", "2", "3"], 1..3).prop_map(Leaf::PriorityIn),
    ]
}

/// A rule: one leaf, or two ANDed or ORed.
#[derive(Clone, Debug)]
struct GenRule {
    a: Leaf,
    b: Option<(bool, Leaf)>,
    points: i64,
}

impl GenRule {
    fn domain(&self) -> String {
        match &self.b {
            None => format!("[{}]", self.a.text()),
            Some((true, b)) => format!("['|', {}, {}]", self.a.text(), b.text()),
            Some((false, b)) => format!("[{}, {}]", self.a.text(), b.text()),
        }
    }

    fn eval(&self, src: &dyn RecordSource, id: i64) -> bool {
        let a = self.a.eval(src, id);
        match &self.b {
            None => a,
            Some((true, b)) => a || b.eval(src, id),
            Some((false, b)) => a && b.eval(src, id),
        }
    }
}

fn rule() -> impl Strategy<Value = GenRule> {
    (
        leaf(),
        proptest::option::of((any::<bool>(), leaf())),
        -20i64..40,
    )
        .prop_map(|(a, b, points)| GenRule { a, b, points })
}

fn config_text(url: &str, rules: &[GenRule]) -> String {
    let mut text = format!(
        "[odoo]\nurl = \"{url}\"\ndatabase = \"crm17c\"\nlogin = \"admin\"\npassword_env = \"P\"\n\
         [scoring]\nscore_field = \"x_lead_score\"\ncreate_score_field = true\nscope = \"[('type', '=', 'lead')]\"\n"
    );
    for (i, r) in rules.iter().enumerate() {
        text.push_str(&format!(
            "[[scoring.rules]]\nname = \"r{i}\"\ndomain = \"{}\"\npoints = {}\n",
            r.domain(),
            r.points
        ));
    }
    text
}

fn reference(sim: &Sim, rules: &[GenRule]) -> BTreeMap<i64, i64> {
    let store = sim.read();
    let src: &dyn RecordSource = &*store;
    let mut out = BTreeMap::new();
    for id in src.ids("crm.lead").collect::<Vec<_>>() {
        let active = src.value("crm.lead", id, "active").map(|v| v.into_owned());
        let ty = src.value("crm.lead", id, "type").map(|v| v.into_owned());
        if active != Some(Value::Bool(true)) || ty != Some(Value::Str("lead".into())) {
            continue;
        }
        let score = rules
            .iter()
            .filter(|r| r.eval(src, id))
            .map(|r| r.points)
            .sum();
        out.insert(id, score);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pushdown_in_memory_and_brute_force_agree() {
    let served = served_demo(400).await;
    // Some NULL revenues and probabilities (Odoo stores a written False as NULL), so
    // NULL-vs-0 is exercised.
    let client = served.client("admin", "admin");
    let ids: Vec<i64> = {
        let store = served.sim.read();
        (&*store as &dyn RecordSource).ids("crm.lead").collect()
    };
    let every7: Vec<i64> = ids.iter().copied().step_by(7).collect();
    let every11: Vec<i64> = ids.iter().copied().skip(3).step_by(11).collect();
    let mut v = scorekeeper::xmlrpc::Struct::new();
    v.push("expected_revenue", scorekeeper::xmlrpc::Value::Bool(false));
    client.write("crm.lead", &every7, v).await.unwrap();
    let mut v = scorekeeper::xmlrpc::Struct::new();
    v.push("probability", scorekeeper::xmlrpc::Value::Bool(false));
    client.write("crm.lead", &every11, v).await.unwrap();
    {
        let store = served.sim.read();
        let src: &dyn RecordSource = &*store;
        assert_eq!(
            src.value("crm.lead", every7[1], "expected_revenue")
                .map(|v| v.into_owned()),
            Some(Value::Null),
            "the simulator keeps NULL"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let cfg0 = config::load_str(
        &dir.path().join("s.toml"),
        &config_text(&served.url, &[]),
        &|_| Some("admin".into()),
    )
    .unwrap();
    scorekeeper::jobs::scoring::setup::setup(&client, cfg0.scoring.as_ref().unwrap())
        .await
        .unwrap();

    let mut runner = TestRunner::new(PtConfig {
        cases: 24,
        ..PtConfig::default()
    });
    let strategy = proptest::collection::vec(rule(), 1..6);
    for _ in 0..24 {
        let rules = strategy.new_tree(&mut runner).unwrap().current();
        let text = config_text(&served.url, &rules);
        let cfg = config::load_str(Path::new("p.toml"), &text, &|_| Some("admin".into()))
            .unwrap_or_else(|e| panic!("{e}\n{text}"));
        let scoring = cfg.scoring.as_ref().unwrap();
        let job = ScoringJob::new(&client, scoring, None);
        let full = job.evaluate(PassKind::Full, now()).await.unwrap();
        let expected = reference(&served.sim, &rules);
        let ids: Vec<i64> = expected.keys().copied().collect();
        let local = job.evaluate(PassKind::Leads(ids), now()).await.unwrap();
        let from_plan = |plan: &scorekeeper::plan::Plan| -> BTreeMap<i64, i64> {
            // never-scored leads hold 0, so the plan lists exactly the non-zero scores
            plan.writes()
                .map(|(_, id, changes, _)| (id, changes[0].new.as_i64().unwrap()))
                .collect()
        };
        let want: BTreeMap<i64, i64> = expected
            .iter()
            .filter(|(_, s)| **s != 0)
            .map(|(k, v)| (*k, *v))
            .collect();
        assert_eq!(full.leads_read, expected.len(), "{text}");
        assert_eq!(
            from_plan(&full.scoring_plan),
            want,
            "pushdown vs reference\n{text}"
        );
        assert_eq!(
            from_plan(&local.scoring_plan),
            want,
            "in-memory vs reference\n{text}"
        );
    }
    // NULL-vs-0 on the in-memory side, including the case the simulator gets wrong.
    let rules = vec![
        GenRule {
            a: Leaf::Num {
                field: "expected_revenue",
                op: "!=",
                v: 0,
            },
            b: None,
            points: 7,
        },
        GenRule {
            a: Leaf::Num {
                field: "expected_revenue",
                op: "=",
                v: 0,
            },
            b: None,
            points: 11,
        },
        GenRule {
            a: Leaf::Num {
                field: "probability",
                op: "<",
                v: 10,
            },
            b: None,
            points: 13,
        },
    ];
    let text = config_text(&served.url, &rules);
    let cfg = config::load_str(Path::new("p.toml"), &text, &|_| Some("admin".into())).unwrap();
    let job = ScoringJob::new(&client, cfg.scoring.as_ref().unwrap(), None);
    let expected = reference(&served.sim, &rules);
    let ids: Vec<i64> = expected.keys().copied().collect();
    let local = job.evaluate(PassKind::Leads(ids), now()).await.unwrap();
    let got: BTreeMap<i64, i64> = local
        .scoring_plan
        .writes()
        .map(|(_, id, changes, _)| (id, changes[0].new.as_i64().unwrap()))
        .collect();
    let want: BTreeMap<i64, i64> = expected.into_iter().filter(|(_, s)| *s != 0).collect();
    assert_eq!(got, want);
    served.stop().await;
}
