//! `apply::OdooWriter` over the XML-RPC client for the gamification models, with idempotency
//! keys found where this job puts them: a goal's key is its (line, user, period), so it is
//! looked up by those fields; badge grants carry the key marker in `comment`, karma entries
//! in `reason`.

use crate::apply::{OdooWriter, ReadRows, WriteError};
use crate::odoo::{self, OdooClient, classify};
use crate::plan::IdemKey;
use crate::record;
use crate::xmlrpc::Value;

use super::keys::{KEY_FIELD, KEYED_MODELS, KeyFields, key_fields};
use crate::odoo::Row;

/// The gamification job's door to Odoo for `apply`: the generic client writer (grouped
/// writes, batch creates, markers in `reason`/`comment`), except that a goal's key is found
/// by its line, user and period.
pub struct ClientWriter<'a> {
    client: &'a OdooClient,
    inner: odoo::ClientWriter<'a>,
    /// Where keys live, asked once, when first needed.
    key_fields: tokio::sync::OnceCell<KeyFields>,
}

impl<'a> ClientWriter<'a> {
    pub fn new(client: &'a OdooClient) -> ClientWriter<'a> {
        ClientWriter {
            client,
            inner: odoo::ClientWriter::new(client),
            key_fields: tokio::sync::OnceCell::new(),
        }
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

impl OdooWriter for ClientWriter<'_> {
    fn retries_so_far(&self) -> u64 {
        self.inner.retries_so_far()
    }

    async fn write(
        &self,
        model: &str,
        ids: &[i64],
        values: &[(String, record::Value)],
    ) -> Result<(), WriteError> {
        self.inner.write(model, ids, values).await
    }

    async fn create(
        &self,
        model: &str,
        values: &[Vec<(String, record::Value)>],
    ) -> Result<Vec<i64>, WriteError> {
        self.inner.create(model, values).await
    }

    async fn unlink(&self, model: &str, ids: &[i64]) -> Result<(), WriteError> {
        self.inner.unlink(model, ids).await
    }

    async fn read(
        &self,
        model: &str,
        ids: &[i64],
        fields: &[String],
    ) -> Result<ReadRows, WriteError> {
        self.inner.read(model, ids, fields).await
    }

    async fn find_by_keys(
        &self,
        model: &str,
        keys: &[IdemKey],
    ) -> Result<Vec<Option<i64>>, WriteError> {
        if model == "gamification.goal" && !keys.is_empty() {
            return self.find_goals(keys).await;
        }
        if KEYED_MODELS.iter().any(|(m, _)| *m == model) && !keys.is_empty() {
            let fields = self
                .key_fields
                .get_or_try_init(|| key_fields(self.client))
                .await
                .map_err(classify)?;
            let exact = fields.has(model).then_some(KEY_FIELD);
            return self.inner.find_keys(model, keys, exact).await;
        }
        self.inner.find_by_keys(model, keys).await
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
