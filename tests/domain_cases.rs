//! The table-driven domain suite: `fixtures/domains/*.json` cases (domain text, expected ids or
//! error, and why) run against the records of `fixtures/domains/dataset.json`.
#![allow(clippy::unwrap_used)]

use chrono::{NaiveDate, NaiveDateTime};
use scorekeeper::domain::{Domain, Env, EvalOptions, MemorySource, UserCtx};
use scorekeeper::record::{FieldDef, FieldType, ModelDef, Schema, Value};
use serde_json::Value as J;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/domains");

fn field_def(name: &str, spec: &str) -> FieldDef {
    let mut parts = spec.split(':');
    let ty = FieldType::parse(parts.next().unwrap());
    let mut def = FieldDef::new(name, ty);
    def.relation = parts.next().map(str::to_owned);
    def.relation_field = parts.next().map(str::to_owned);
    def
}

fn value(def: &FieldDef, v: &J) -> Value {
    match (&def.ty, v) {
        (_, J::Null) => Value::Null,
        (FieldType::Boolean, J::Bool(b)) => Value::Bool(*b),
        (FieldType::Many2one, J::Number(n)) => Value::Many2one(n.as_i64().unwrap()),
        (FieldType::One2many | FieldType::Many2many, J::Array(a)) => {
            Value::Ids(a.iter().map(|i| i.as_i64().unwrap()).collect())
        }
        (FieldType::Float | FieldType::Monetary, J::Number(n)) => Value::Float(n.as_f64().unwrap()),
        (_, J::Number(n)) => Value::Int(n.as_i64().unwrap()),
        (_, J::String(s)) => Value::Str(s.clone()),
        other => panic!("unexpected value {other:?}"),
    }
}

pub struct Dataset {
    pub src: MemorySource,
    pub schema: Schema,
    pub env: Env,
}

pub fn dataset() -> Dataset {
    let doc: J =
        serde_json::from_str(&std::fs::read_to_string(format!("{DIR}/dataset.json")).unwrap())
            .unwrap();
    let mut src = MemorySource::new();
    let mut schema = Schema::default();
    for (model, body) in doc["models"].as_object().unwrap() {
        let defs: Vec<FieldDef> = body["fields"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(n, spec)| field_def(n, spec.as_str().unwrap()))
            .collect();
        let mut m = ModelDef::new(model.clone());
        defs.iter().cloned().for_each(|d| m.add(d));
        schema.add_model(m);
        src.add_model(model, defs.clone());
        for rec in body["records"].as_array().unwrap() {
            let id = rec["id"].as_i64().unwrap();
            let vals: Vec<(String, Value)> = defs
                .iter()
                .filter(|d| rec.get(&d.name).is_some())
                .map(|d| (d.name.clone(), value(d, &rec[&d.name])))
                .collect();
            src.insert(model, id, vals).unwrap();
        }
    }
    let e = &doc["env"];
    let now =
        NaiveDateTime::parse_from_str(e["now"].as_str().unwrap(), "%Y-%m-%d %H:%M:%S").unwrap();
    let u = &e["user"];
    let env = Env {
        user: Some(UserCtx {
            id: u["id"].as_i64().unwrap(),
            partner_id: u["partner_id"].as_i64().unwrap(),
            company_id: u["company_id"].as_i64().unwrap(),
            company_ids: u["company_ids"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i.as_i64().unwrap())
                .collect(),
            login: u["login"].as_str().unwrap().to_owned(),
            name: u["name"].as_str().unwrap().to_owned(),
        }),
        today: NaiveDate::parse_from_str(e["today"].as_str().unwrap(), "%Y-%m-%d").unwrap(),
        now,
    };
    Dataset { src, schema, env }
}

fn run(
    ds: &Dataset,
    text: &str,
    model: &str,
    opts: &EvalOptions,
) -> Result<Vec<i64>, scorekeeper::domain::DomainError> {
    let d = Domain::parse(text)?;
    // the printed form parses back to the same domain
    assert_eq!(
        Domain::parse(&d.to_string()).unwrap(),
        d,
        "round trip of {text}"
    );
    let d = d.bind(&ds.env)?;
    d.validate(&ds.schema, model)?;
    let ids = d.search(&ds.src, model, opts)?;
    // and so does the list form pushed to Odoo
    let back = Domain::from_lit(&d.to_lit()).unwrap();
    assert_eq!(
        back.search(&ds.src, model, opts).unwrap(),
        ids,
        "list form of {text}"
    );
    Ok(ids)
}

#[test]
fn domain_cases_match_odoo_semantics() {
    let ds = dataset();
    let mut files: Vec<_> = std::fs::read_dir(DIR)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json") && !p.ends_with("dataset.json"))
        .collect();
    files.sort();
    let mut total = 0;
    let mut failures = Vec::new();
    for path in &files {
        let doc: J = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let file = path.file_name().unwrap().to_string_lossy().to_string();
        for case in doc["cases"].as_array().unwrap() {
            total += 1;
            let text = case["domain"].as_str().unwrap();
            let why = case["why"].as_str().unwrap_or("");
            assert!(!why.is_empty(), "{file}: {text} has no why");
            let model = case.get("model").and_then(J::as_str).unwrap_or("lead");
            let opts = EvalOptions {
                active_test: case.get("active_test").and_then(J::as_bool).unwrap_or(true),
            };
            let got = run(&ds, text, model, &opts);
            let ok = match (&got, case.get("ids"), case.get("error"), case.get("kind")) {
                (Ok(ids), Some(want), _, _) => {
                    let want: Vec<i64> = want
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|i| i.as_i64().unwrap())
                        .collect();
                    *ids == want
                }
                (Err(e), None, Some(want), _) => {
                    e.odoo_message().unwrap_or_else(|| e.message.clone()) == want.as_str().unwrap()
                }
                (Err(e), None, None, Some(kind)) => {
                    format!("{:?}", e.kind()) == kind.as_str().unwrap()
                }
                _ => false,
            };
            if !ok {
                failures.push(format!(
                    "{file}: {text}  [{why}]\n    got {got:?}\n    want {}",
                    case
                ));
            }
        }
    }
    assert!(total >= 150, "only {total} cases");
    assert!(
        failures.is_empty(),
        "{} of {total} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
