//! Goal values that need no asking: the answers of the last run's aggregation queries, kept
//! in the state with a fingerprint of each model they counted (its number of records and its
//! latest `write_date`, one `read_group` per model). When a model's fingerprint is the same
//! at the next run, an identical query (same model, bound domain, user keys, aggregate and
//! period) gets the same answer, so it is not sent: a refresh in which nothing changed asks
//! Odoo one probe per model instead of one query per definition, period and user.
//!
//! Models without `write_date` (SQL views such as `account.invoice.report`, whose rows
//! come from other tables) cannot be fingerprinted: their queries are always sent. Whether a
//! model has one is asked once (`fields_get`) and kept.
//!
//! What the fingerprint sees: any create, write or archive on the model (each moves
//! `write_date`) and any delete (the count drops). What it does not see, so such queries are
//! always sent: domains through a dotted path (`stage_id.is_won`: a change on the other
//! model leaves this one's `write_date`). Not seen either: a field computed without being
//! stored whose value moves without a write, and a transaction that started before the
//! previous probe and committed after it with an older `write_date` than one already seen;
//! the answers are only kept for the UTC day they were taken on, so such a value is at most
//! a day late.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::odoo::{OdooClient, Row};
use crate::xmlrpc::Value;

use super::GamificationError;

/// Where the answers are kept in the state (a cursor of the gamification job).
pub(crate) const CURSOR: &str = "aggregate-answers";

/// A model as the probe saw it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Fingerprint {
    pub count: i64,
    /// The latest `write_date` (Odoo's text), `None` for an empty model.
    pub latest: Option<String>,
}

/// The answers of one run's queries and the fingerprints of the models they counted.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Answers {
    /// The UTC day the answers were taken on (`YYYY-MM-DD`).
    pub day: Option<String>,
    pub models: BTreeMap<String, Fingerprint>,
    /// Query (its full text) → value per user.
    pub values: BTreeMap<String, Vec<(i64, f64)>>,
    /// Per model asked: whether it has a `write_date` (kept across days).
    #[serde(default)]
    pub stamped: BTreeMap<String, bool>,
}

impl Answers {
    /// The answers kept in a cursor's text; unreadable text (another version's) is none.
    pub(crate) fn from_cursor(text: Option<&str>) -> Answers {
        text.and_then(|t| serde_json::from_str(t).ok())
            .unwrap_or_default()
    }

    pub(crate) fn to_cursor(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The kept answer to `query`, if its model looks as it did when it was taken.
    pub(crate) fn get(
        &self,
        today: NaiveDate,
        model: &str,
        now: Option<&Fingerprint>,
        query: &str,
    ) -> Option<&[(i64, f64)]> {
        if self.day != Some(today.to_string()) || now.is_none() || self.models.get(model) != now {
            return None;
        }
        self.values.get(query).map(Vec::as_slice)
    }
}

/// Whether `model` has a `write_date` to probe (one `fields_get`; the answer is kept).
pub(crate) async fn stamped(client: &OdooClient, model: &str) -> Result<bool, GamificationError> {
    let fields = client.fields_get(model, &["type"]).await?;
    Ok(fields.field("write_date").is_some())
}

/// One call per model: its record count and latest `write_date`.
pub(crate) async fn probe(
    client: &OdooClient,
    model: &str,
) -> Result<Fingerprint, GamificationError> {
    let rows = client
        .read_group(model, Vec::new(), &["write_date:max"], &[], false)
        .await?;
    let Some(r) = rows.first() else {
        return Ok(Fingerprint::default());
    };
    let row = Row::new(model, r);
    let count = row.int("__count")?;
    let latest = match row.get("write_date") {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Bool(false) | Value::Nil) | None => None,
        Some(other) => {
            return Err(GamificationError::Unexpected {
                what: format!("{model} read_group write_date:max"),
                detail: format!("expected a datetime or False, got {other:?}"),
            });
        }
    };
    Ok(Fingerprint { count, latest })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn kept() -> Answers {
        let print = Fingerprint {
            count: 3,
            latest: Some("2026-12-07 06:00:00".into()),
        };
        Answers {
            day: Some("2026-12-07".into()),
            models: [("crm.lead".to_owned(), print)].into_iter().collect(),
            values: [("q".to_owned(), vec![(7, 2.0)])].into_iter().collect(),
            stamped: [("crm.lead".to_owned(), true)].into_iter().collect(),
        }
    }

    #[test]
    fn an_answer_is_reused_only_on_its_day_for_an_unchanged_model() {
        let a = kept();
        let same = a.models.get("crm.lead").cloned();
        assert_eq!(
            a.get(day("2026-12-07"), "crm.lead", same.as_ref(), "q"),
            Some(&[(7, 2.0)][..])
        );
        assert_eq!(
            a.get(day("2026-12-08"), "crm.lead", same.as_ref(), "q"),
            None
        );
        assert_eq!(
            a.get(day("2026-12-07"), "crm.lead", same.as_ref(), "other"),
            None
        );
        let written = Fingerprint {
            count: 3,
            latest: Some("2026-12-07 06:00:01".into()),
        };
        assert_eq!(
            a.get(day("2026-12-07"), "crm.lead", Some(&written), "q"),
            None
        );
        let deleted = Fingerprint {
            count: 2,
            latest: Some("2026-12-07 06:00:00".into()),
        };
        assert_eq!(
            a.get(day("2026-12-07"), "crm.lead", Some(&deleted), "q"),
            None
        );
        assert_eq!(a.get(day("2026-12-07"), "crm.lead", None, "q"), None);
    }

    #[test]
    fn answers_survive_the_state_and_unreadable_text_is_none() {
        let a = kept();
        assert_eq!(Answers::from_cursor(Some(&a.to_cursor())), a);
        assert_eq!(Answers::from_cursor(Some("{not json")), Answers::default());
        assert_eq!(Answers::from_cursor(None), Answers::default());
    }
}
