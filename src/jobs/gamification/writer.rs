//! `apply::OdooWriter` over the XML-RPC client for the gamification models, with idempotency
//! keys found where this job puts them: a goal's key is its (line, user, period), so it is
//! looked up by those fields; badge grants carry the key marker in `comment`, karma entries
//! in `reason`.

use crate::apply::{OdooWriter, ReadRows, WriteError};
use crate::odoo::{OdooClient, OdooError};
use crate::plan::IdemKey;
use crate::record;
use crate::xmlrpc::{Struct, Value};

use super::wire::{self, Row};

/// The gamification job's door to Odoo for `apply`.
pub struct ClientWriter<'a> {
    client: &'a OdooClient,
}

impl<'a> ClientWriter<'a> {
    pub fn new(client: &'a OdooClient) -> ClientWriter<'a> {
        ClientWriter { client }
    }
}

fn classify(e: OdooError) -> WriteError {
    if e.is_transient() {
        WriteError::Transient(e.to_string())
    } else {
        WriteError::Permanent(e.to_string())
    }
}

fn to_struct(values: &[(String, record::Value)]) -> Struct {
    values
        .iter()
        .map(|(k, v)| (k.clone(), wire::value(v)))
        .collect()
}

fn from_wire(v: &Value) -> record::Value {
    match v {
        Value::Bool(b) => record::Value::Bool(*b),
        Value::Int(i) => record::Value::Int(*i),
        Value::Double(f) => record::Value::Float(*f),
        Value::String(s) => record::Value::Str(s.clone()),
        Value::Array(items) => match v.as_many2one() {
            Some((id, _)) => record::Value::Many2one(id),
            None => record::Value::Ids(items.iter().filter_map(Value::as_i64).collect()),
        },
        _ => record::Value::Null,
    }
}

/// The key of a goal: `goal:line=<id>:user=<id>:period=<start>..<end>`.
pub fn goal_key(line: i64, user: i64, period: &str) -> Result<IdemKey, crate::plan::InvalidKey> {
    IdemKey::new(format!("goal:line={line}:user={user}:period={period}"))
}

fn parse_goal_key(key: &IdemKey) -> Option<(i64, i64, String)> {
    let rest = key.as_str().strip_prefix("goal:line=")?;
    let (line, rest) = rest.split_once(":user=")?;
    let (user, period) = rest.split_once(":period=")?;
    Some((line.parse().ok()?, user.parse().ok()?, period.to_string()))
}

/// The text field a model's records carry key markers in.
pub fn marker_field(model: &str) -> Option<&'static str> {
    match model {
        "gamification.badge.user" => Some("comment"),
        "gamification.karma.tracking" => Some("reason"),
        _ => None,
    }
}

impl OdooWriter for ClientWriter<'_> {
    async fn write(
        &self,
        model: &str,
        ids: &[i64],
        values: &[(String, record::Value)],
    ) -> Result<(), WriteError> {
        self.client
            .write(model, ids, to_struct(values))
            .await
            .map_err(classify)
    }

    async fn create(
        &self,
        model: &str,
        values: &[Vec<(String, record::Value)>],
    ) -> Result<Vec<i64>, WriteError> {
        let records: Vec<Struct> = values.iter().map(|v| to_struct(v)).collect();
        self.client.create(model, records).await.map_err(classify)
    }

    async fn read(
        &self,
        model: &str,
        ids: &[i64],
        fields: &[String],
    ) -> Result<ReadRows, WriteError> {
        let names: Vec<&str> = fields.iter().map(String::as_str).collect();
        let rows = self
            .client
            .read(model, ids, &names)
            .await
            .map_err(classify)?;
        let mut out = Vec::new();
        for row in &rows {
            let Some(id) = row.get("id").and_then(Value::as_i64) else {
                continue;
            };
            let values = fields
                .iter()
                .map(|f| (f.clone(), row.get(f).map_or(record::Value::Null, from_wire)))
                .collect();
            out.push((id, values));
        }
        Ok(out)
    }

    async fn find_by_key(&self, model: &str, key: &IdemKey) -> Result<Option<i64>, WriteError> {
        Ok(self
            .find_by_keys(model, std::slice::from_ref(key))
            .await?
            .into_iter()
            .next()
            .flatten())
    }

    async fn find_by_keys(
        &self,
        model: &str,
        keys: &[IdemKey],
    ) -> Result<Vec<Option<i64>>, WriteError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        if model == "gamification.goal" {
            return self.find_goals(keys).await;
        }
        let Some(field) = marker_field(model) else {
            return Err(WriteError::Permanent(format!(
                "scorekeeper keeps no idempotency marker on {model}"
            )));
        };
        let mut domain = Vec::new();
        for _ in 1..keys.len() {
            domain.push(Value::from("|"));
        }
        for key in keys {
            domain.push(Value::Array(vec![
                field.into(),
                "ilike".into(),
                key.marker().into(),
            ]));
        }
        let rows = self
            .client
            .search_read_all(model, domain, &[field])
            .await
            .map_err(classify)?;
        Ok(keys
            .iter()
            .map(|key| {
                let marker = key.marker();
                rows.iter()
                    .find(|r| {
                        r.get(field)
                            .and_then(Value::as_str)
                            .is_some_and(|t| t.contains(&marker))
                    })
                    .and_then(|r| r.get("id").and_then(Value::as_i64))
            })
            .collect())
    }
}

impl ClientWriter<'_> {
    async fn find_goals(&self, keys: &[IdemKey]) -> Result<Vec<Option<i64>>, WriteError> {
        let parsed: Vec<Option<(i64, i64, String)>> = keys.iter().map(parse_goal_key).collect();
        let lines: Vec<Value> = parsed
            .iter()
            .flatten()
            .map(|(l, _, _)| Value::Int(*l))
            .collect();
        let users: Vec<Value> = parsed
            .iter()
            .flatten()
            .map(|(_, u, _)| Value::Int(*u))
            .collect();
        let domain = vec![
            Value::Array(vec!["line_id".into(), "in".into(), Value::Array(lines)]),
            Value::Array(vec!["user_id".into(), "in".into(), Value::Array(users)]),
        ];
        let rows = self
            .client
            .search_read_all(
                "gamification.goal",
                domain,
                &["line_id", "user_id", "start_date", "end_date"],
            )
            .await
            .map_err(classify)?;
        let mut found = Vec::new();
        for want in &parsed {
            let hit = want.as_ref().and_then(|(line, user, period)| {
                rows.iter().find_map(|r| {
                    let row = Row::new("gamification.goal", r);
                    let same = row.m2o_id("line_id").ok()?? == *line
                        && row.m2o_id("user_id").ok()?? == *user
                        && goal_period(&row) == *period;
                    if same { row.id().ok() } else { None }
                })
            });
            found.push(hit);
        }
        Ok(found)
    }
}

fn goal_period(row: &Row<'_>) -> String {
    let show = |f: &str| {
        row.date(f)
            .ok()
            .flatten()
            .map(|d| d.to_string())
            .unwrap_or_default()
    };
    format!("{}..{}", show("start_date"), show("end_date"))
}
