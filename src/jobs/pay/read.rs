//! What Odoo holds of the statements of some periods: one `search_read` of the statements
//! and one of their lines (only the fields the planner writes), turned into
//! [`Existing`](super::Existing).

use crate::odoo::{OdooClient, from_wire, leaf};
use crate::pay::Period;
use crate::record::Value;
use crate::xmlrpc::{Struct, Value as X};

use super::PayJobError;
use super::models::{KEY, LINE, LINE_FIELDS, STATEMENT};
use super::plan::{Existing, ExistingLine, ExistingStatement};

const STATEMENT_READ: [&str; 7] = [
    KEY,
    "x_name",
    "x_user_id",
    "x_period",
    "x_total",
    "x_locked",
    "x_closed_on",
];

/// The key a record carries (`pay:6:2026-11`, `pay:6:2026-11:l=…`).
fn key_of(s: &Struct, model: &'static str) -> Result<String, PayJobError> {
    let text = s.get(KEY).and_then(X::as_str).unwrap_or_default();
    match crate::plan::IdemKey::new(text) {
        Ok(k) if text.starts_with("pay:") => Ok(k.as_str().to_owned()),
        _ => Err(PayJobError::BadValue {
            model,
            field: KEY,
            value: text.chars().take(60).collect(),
            expected: "a scorekeeper pay key (pay:<user>:<period>…)",
        }),
    }
}

fn values(s: &Struct, fields: &[&str]) -> Vec<(String, Value)> {
    fields
        .iter()
        .filter(|f| **f != KEY)
        .map(|f| {
            let v = match s.get(f) {
                // Booleans are data here: False is "not locked", not "empty".
                Some(X::Bool(b)) if *f == "x_locked" => Value::Bool(*b),
                Some(v) => from_wire(v),
                None => Value::Null,
            };
            ((*f).to_owned(), v)
        })
        .collect()
}

/// The statements (and their lines) of `periods`.
pub async fn existing(client: &OdooClient, periods: &[Period]) -> Result<Existing, PayJobError> {
    let labels = X::Array(periods.iter().map(|p| X::from(p.to_string())).collect());
    let rows = client
        .search_read_all(
            STATEMENT,
            vec![leaf("x_period", "in", labels)],
            &STATEMENT_READ,
        )
        .await?;
    let mut out = Existing::new();
    let mut by_id = std::collections::HashMap::new();
    for r in &rows {
        let id = r.get("id").and_then(X::as_i64).unwrap_or(0);
        let key = key_of(r, STATEMENT)?;
        let locked = r.get("x_locked").and_then(X::as_bool).unwrap_or(false);
        by_id.insert(id, key.clone());
        out.insert(
            key,
            ExistingStatement {
                id,
                locked,
                values: values(r, &STATEMENT_READ),
                lines: Default::default(),
            },
        );
    }
    if by_id.is_empty() {
        return Ok(out);
    }
    let mut line_fields: Vec<&str> = LINE_FIELDS.iter().map(|f| f.0).collect();
    line_fields.extend(["x_kind", "x_statement_id"]);
    let ids = X::Array(by_id.keys().map(|i| X::Int(*i)).collect());
    let lines = client
        .search_read_all(LINE, vec![leaf("x_statement_id", "in", ids)], &line_fields)
        .await?;
    for l in &lines {
        let parent = l
            .get("x_statement_id")
            .and_then(|v| v.as_many2one())
            .map(|(id, _)| id);
        let Some(statement) = parent
            .and_then(|p| by_id.get(&p))
            .and_then(|k| out.get_mut(k))
        else {
            continue;
        };
        let fields: Vec<&str> = line_fields
            .iter()
            .copied()
            .filter(|f| *f != "x_statement_id")
            .collect();
        statement.lines.insert(
            key_of(l, LINE)?,
            ExistingLine {
                id: l.get("id").and_then(X::as_i64).unwrap_or(0),
                values: values(l, &fields),
            },
        );
    }
    Ok(out)
}
