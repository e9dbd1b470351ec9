//! Conversions between the XML-RPC values the client speaks and the plain values of the
//! engine: domain literals to wire lists, record values to wire values, and typed readers for
//! the fields of a `search_read` row (Odoo's `False` kept apart from a wrong type).

use chrono::NaiveDate;

use crate::xmlrpc::{Struct, Value};

use super::GamificationError;

/// Typed access to one row of a `read`/`search_read` answer.
pub struct Row<'a> {
    pub model: &'a str,
    pub row: &'a Struct,
}

impl<'a> Row<'a> {
    pub fn new(model: &'a str, row: &'a Struct) -> Row<'a> {
        Row { model, row }
    }

    fn bad(&self, field: &str, expected: &str) -> GamificationError {
        let got = self.row.get(field).map_or("nothing", |v| v.type_name());
        GamificationError::Unexpected {
            what: format!("{}.{field}", self.model),
            detail: format!("expected {expected}, got {got}"),
        }
    }

    pub fn id(&self) -> Result<i64, GamificationError> {
        self.row
            .get("id")
            .and_then(Value::as_i64)
            .ok_or_else(|| self.bad("id", "an integer id"))
    }

    pub fn int(&self, field: &str) -> Result<i64, GamificationError> {
        match self.row.get(field) {
            Some(Value::Int(i)) => Ok(*i),
            Some(Value::Double(f)) if f.fract() == 0.0 => Ok(*f as i64),
            Some(Value::Bool(false)) => Ok(0),
            _ => Err(self.bad(field, "an integer")),
        }
    }

    pub fn float(&self, field: &str) -> Result<f64, GamificationError> {
        match self.row.get(field) {
            Some(Value::Bool(false)) => Ok(0.0),
            Some(v) => v.as_f64().ok_or_else(|| self.bad(field, "a number")),
            None => Err(self.bad(field, "a number")),
        }
    }

    pub fn boolean(&self, field: &str) -> Result<bool, GamificationError> {
        self.row
            .get(field)
            .and_then(Value::as_bool)
            .ok_or_else(|| self.bad(field, "a boolean"))
    }

    /// A char/text/selection value; `None` for `False`.
    pub fn text(&self, field: &str) -> Result<Option<String>, GamificationError> {
        match self.row.get(field) {
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Bool(false)) => Ok(None),
            _ => Err(self.bad(field, "a string or False")),
        }
    }

    pub fn date(&self, field: &str) -> Result<Option<NaiveDate>, GamificationError> {
        match self.text(field)? {
            None => Ok(None),
            Some(s) => s
                .get(..10)
                .and_then(|d| d.parse().ok())
                .map(Some)
                .ok_or_else(|| self.bad(field, "a YYYY-MM-DD date")),
        }
    }

    pub fn many2one(&self, field: &str) -> Result<Option<(i64, String)>, GamificationError> {
        match self.row.get(field) {
            Some(Value::Bool(false)) => Ok(None),
            Some(Value::Int(i)) => Ok(Some((*i, String::new()))),
            Some(v) => v
                .as_many2one()
                .map(|(id, name)| Some((id, name.to_string())))
                .ok_or_else(|| self.bad(field, "a many2one [id, name] or False")),
            None => Err(self.bad(field, "a many2one")),
        }
    }

    pub fn m2o_id(&self, field: &str) -> Result<Option<i64>, GamificationError> {
        Ok(self.many2one(field)?.map(|(id, _)| id))
    }

    pub fn ids(&self, field: &str) -> Result<Vec<i64>, GamificationError> {
        match self.row.get(field) {
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| v.as_i64().ok_or_else(|| self.bad(field, "a list of ids")))
                .collect(),
            Some(Value::Bool(false)) => Ok(Vec::new()),
            _ => Err(self.bad(field, "a list of ids")),
        }
    }
}
