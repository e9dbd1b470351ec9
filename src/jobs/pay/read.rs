//! What Odoo holds of the statements of some periods: one `search_read` of the statements
//! and one of their lines (only the fields the planner writes), turned into
//! [`Existing`](super::Existing).

use crate::odoo::{OdooClient, Row, from_wire, leaf};
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

/// The key a record carries (`pay:6:2026-11`, `pay:6:2026-11:l=…`); a record without one
/// is not ours to plan with, and refused.
fn key_of(row: &Row<'_>, model: &'static str) -> Result<String, PayJobError> {
    let bad = |value: String| PayJobError::BadValue {
        model,
        field: KEY,
        value,
        expected: "a scorekeeper pay key (pay:<user>:<period>…)",
    };
    let Some(text) = row.text(KEY)? else {
        return Err(bad("False".into()));
    };
    match crate::plan::IdemKey::new(text.as_str()) {
        Ok(k) if text.starts_with("pay:") => Ok(k.as_str().to_owned()),
        _ => Err(bad(text.chars().take(60).collect())),
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
        let row = Row::new(STATEMENT, r);
        let id = row.id()?;
        let key = key_of(&row, STATEMENT)?;
        let locked = row.boolean("x_locked")?;
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
        let row = Row::new(LINE, l);
        let Some(statement) = row
            .m2o_id("x_statement_id")?
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
            key_of(&row, LINE)?,
            ExistingLine {
                id: row.id()?,
                values: values(l, &fields),
            },
        );
    }
    Ok(out)
}

/// A statement as Odoo holds it, for a person's own page (what they also read in Odoo).
#[derive(Clone, Debug, PartialEq)]
pub struct StoredStatement {
    pub period: String,
    pub total: f64,
    pub locked: bool,
    pub lines: Vec<StoredLine>,
}

/// One line of a [`StoredStatement`].
#[derive(Clone, Debug, PartialEq)]
pub struct StoredLine {
    /// The component, as people read it (`Qualified appointment`).
    pub component: String,
    pub document: String,
    pub base: f64,
    pub rate: String,
    pub coefficient: f64,
    pub amount: f64,
}

/// `user`'s statement of `period` as Odoo holds it (`None`: none written yet): one
/// `search_read` of the statement, one of its lines.
pub async fn stored_statement(
    client: &OdooClient,
    user: i64,
    period: &Period,
) -> Result<Option<StoredStatement>, PayJobError> {
    let rows = client
        .search_read_all(
            STATEMENT,
            vec![
                leaf("x_user_id", "=", X::Int(user)),
                leaf("x_period", "=", period.to_string()),
            ],
            &["x_period", "x_total", "x_locked"],
        )
        .await?;
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let row = Row::new(STATEMENT, first);
    let id = row.id()?;
    let lines = client
        .search_read_all(
            LINE,
            vec![leaf("x_statement_id", "=", X::Int(id))],
            &[
                "x_kind",
                "x_document",
                "x_base",
                "x_rate",
                "x_coefficient",
                "x_amount",
            ],
        )
        .await?;
    let labels: std::collections::HashMap<&str, &str> =
        super::models::kinds().into_iter().collect();
    let mut out = StoredStatement {
        period: row.text("x_period")?.unwrap_or_else(|| period.to_string()),
        total: row.float("x_total")?,
        locked: row.boolean("x_locked")?,
        lines: Vec::with_capacity(lines.len()),
    };
    for l in &lines {
        let line = Row::new(LINE, l);
        let kind = line.text("x_kind")?.unwrap_or_default();
        out.lines.push(StoredLine {
            component: labels
                .get(kind.as_str())
                .map_or(kind.clone(), |l| (*l).to_owned()),
            document: line.text("x_document")?.unwrap_or_default(),
            base: line.float("x_base")?,
            rate: line.text("x_rate")?.unwrap_or_default(),
            coefficient: line.float("x_coefficient")?,
            amount: line.float("x_amount")?,
        });
    }
    Ok(Some(out))
}
