//! Typed access to one row of a `read`/`search_read` answer: every job reads Odoo's rows
//! through this, so a value of the wrong type is an error naming model and field, never a
//! silent `0` or `""`, and Odoo's `False` (an empty field) stays apart from a wrong type.

use chrono::{NaiveDate, NaiveDateTime};
use thiserror::Error;

use crate::record::datetime;
use crate::xmlrpc::{Struct, Value};

/// A field of a row Odoo sent held something other than what its type promises.
#[derive(Debug, Clone, Error, PartialEq)]
#[error("unexpected answer for {model}.{field}: expected {expected}, got {got}")]
pub struct RowError {
    pub model: String,
    pub field: String,
    pub expected: &'static str,
    pub got: &'static str,
}

/// One row of a `read`/`search_read` answer, with the model it came from (for errors).
#[derive(Clone, Copy)]
pub struct Row<'a> {
    pub model: &'a str,
    pub row: &'a Struct,
}

impl<'a> Row<'a> {
    pub(crate) fn new(model: &'a str, row: &'a Struct) -> Row<'a> {
        Row { model, row }
    }

    /// The raw value of `field`, if the row has it.
    pub(crate) fn get(&self, field: &str) -> Option<&'a Value> {
        self.row.get(field)
    }

    fn bad(&self, field: &str, expected: &'static str) -> RowError {
        RowError {
            model: self.model.to_owned(),
            field: field.to_owned(),
            expected,
            got: self.row.get(field).map_or("nothing", |v| v.type_name()),
        }
    }

    /// The record's id.
    pub(crate) fn id(&self) -> Result<i64, RowError> {
        self.row
            .get("id")
            .and_then(Value::as_i64)
            .ok_or_else(|| self.bad("id", "an integer id"))
    }

    /// An integer field (Odoo reads an empty one as `0`, and `False` is taken the same way).
    pub(crate) fn int(&self, field: &str) -> Result<i64, RowError> {
        match self.row.get(field) {
            Some(Value::Int(i)) => Ok(*i),
            Some(Value::Double(f)) if f.fract() == 0.0 => Ok(*f as i64),
            Some(Value::Bool(false)) => Ok(0),
            _ => Err(self.bad(field, "an integer")),
        }
    }

    /// A float or monetary field (`False` reads as `0.0`, as Odoo reads an empty one).
    pub(crate) fn float(&self, field: &str) -> Result<f64, RowError> {
        match self.row.get(field) {
            Some(Value::Bool(false)) => Ok(0.0),
            Some(v) => v.as_f64().ok_or_else(|| self.bad(field, "a number")),
            None => Err(self.bad(field, "a number")),
        }
    }

    pub(crate) fn boolean(&self, field: &str) -> Result<bool, RowError> {
        self.row
            .get(field)
            .and_then(Value::as_bool)
            .ok_or_else(|| self.bad(field, "a boolean"))
    }

    /// A char/text/selection value; `None` for `False`.
    pub(crate) fn text(&self, field: &str) -> Result<Option<String>, RowError> {
        match self.row.get(field) {
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Bool(false)) => Ok(None),
            _ => Err(self.bad(field, "a string or False")),
        }
    }

    /// A date field (or the date of a datetime field); `None` for `False`.
    pub(crate) fn date(&self, field: &str) -> Result<Option<NaiveDate>, RowError> {
        match self.text(field)? {
            None => Ok(None),
            Some(s) => datetime::parse_date(&s)
                .map(Some)
                .ok_or_else(|| self.bad(field, "a YYYY-MM-DD date")),
        }
    }

    /// A datetime field; `None` for `False`. A bare date reads as its midnight.
    pub(crate) fn datetime(&self, field: &str) -> Result<Option<NaiveDateTime>, RowError> {
        match self.text(field)? {
            None => Ok(None),
            Some(s) => datetime::parse_datetime_or_date(&s)
                .map(Some)
                .ok_or_else(|| self.bad(field, "a YYYY-MM-DD HH:MM:SS datetime")),
        }
    }

    /// A many2one as `(id, display name)`; `None` for `False`. A bare id (what `read` with
    /// `load=None` sends) comes with an empty name.
    pub(crate) fn many2one(&self, field: &str) -> Result<Option<(i64, String)>, RowError> {
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

    /// The id of a many2one; `None` for `False`.
    pub(crate) fn m2o_id(&self, field: &str) -> Result<Option<i64>, RowError> {
        Ok(self.many2one(field)?.map(|(id, _)| id))
    }

    /// The ids of a one2many/many2many field.
    pub(crate) fn ids(&self, field: &str) -> Result<Vec<i64>, RowError> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn row(pairs: &[(&str, Value)]) -> Struct {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect()
    }

    #[test]
    fn false_is_empty_and_a_wrong_type_is_an_error_naming_the_field() {
        let r = row(&[
            ("id", Value::Int(7)),
            ("name", Value::Bool(false)),
            ("score", Value::String("high".into())),
            (
                "user_id",
                Value::Array(vec![Value::Int(2), "Mitchell".into()]),
            ),
            ("date_deadline", "2026-11-22".into()),
            ("write_date", "2026-11-22 13:14:01".into()),
        ]);
        let r = Row::new("crm.lead", &r);
        assert_eq!(r.id(), Ok(7));
        assert_eq!(r.text("name"), Ok(None));
        assert_eq!(r.m2o_id("user_id"), Ok(Some(2)));
        assert_eq!(
            r.date("date_deadline"),
            Ok(NaiveDate::from_ymd_opt(2026, 11, 22))
        );
        assert_eq!(
            r.datetime("write_date")
                .unwrap()
                .map(datetime::format_datetime),
            Some("2026-11-22 13:14:01".to_owned())
        );
        let err = r.int("score").unwrap_err();
        assert_eq!(
            err.to_string(),
            "unexpected answer for crm.lead.score: expected an integer, got string"
        );
        assert_eq!(r.int("missing").unwrap_err().got, "nothing");
    }
}
