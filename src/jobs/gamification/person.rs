//! One person's points as Odoo holds them: their karma and the `gamification.karma.tracking`
//! entries behind it, newest first, each with its reason — what their own page shows.

use chrono::NaiveDateTime;

use crate::odoo::{OdooClient, Row};
use crate::xmlrpc;

use super::GamificationError;

/// How many karma entries a page shows (the newest).
const HISTORY: usize = 50;

/// One karma entry.
#[derive(Clone, Debug, PartialEq)]
pub struct KarmaEntry {
    pub date: Option<NaiveDateTime>,
    pub gain: i64,
    pub total: i64,
    /// Why, as the entry says it (scorekeeper's `[sk:…]` key marker removed).
    pub reason: String,
}

/// A person's name, karma and recent karma entries.
#[derive(Clone, Debug, PartialEq)]
pub struct Points {
    pub user_id: i64,
    pub name: String,
    pub karma: i64,
    /// Their level (`rank_id`), when Odoo gives them one.
    pub level: Option<String>,
    pub history: Vec<KarmaEntry>,
}

/// `user_id`'s points: three calls (the user, their newest entries' ids, the entries). `None` when Odoo has no
/// such (active) user.
pub async fn points(
    client: &OdooClient,
    user_id: i64,
) -> Result<Option<Points>, GamificationError> {
    let users = client
        .search_read_all(
            "res.users",
            vec![crate::odoo::leaf("id", "=", xmlrpc::Value::Int(user_id))],
            &["name", "karma", "rank_id"],
        )
        .await?;
    let Some(user) = users.first() else {
        return Ok(None);
    };
    let user = Row::new("res.users", user);
    const MODEL: &str = "gamification.karma.tracking";
    let ids = client
        .search(
            MODEL,
            vec![crate::odoo::leaf(
                "user_id",
                "=",
                xmlrpc::Value::Int(user_id),
            )],
            &crate::odoo::SearchOptions {
                limit: Some(HISTORY),
                order: Some("tracking_date desc, id desc".to_owned()),
                offset: None,
            },
        )
        .await?;
    let rows = client
        .read(
            MODEL,
            &ids,
            &["tracking_date", "old_value", "new_value", "reason"],
        )
        .await?;
    let mut history = Vec::with_capacity(rows.len());
    for r in &rows {
        let row = Row::new(MODEL, r);
        let (old, new) = (row.int("old_value")?, row.int("new_value")?);
        history.push(KarmaEntry {
            date: row.datetime("tracking_date")?,
            gain: new - old,
            total: new,
            reason: without_marker(&row.text("reason")?.unwrap_or_default()),
        });
    }
    Ok(Some(Points {
        user_id,
        name: user.text("name")?.unwrap_or_default(),
        karma: user.int("karma")?,
        level: user.many2one("rank_id")?.map(|(_, name)| name),
        history,
    }))
}

/// The reason without scorekeeper's ` [sk:karma:…]` key marker (older entries carry it).
fn without_marker(reason: &str) -> String {
    match reason.find("[sk:") {
        Some(start) => {
            let end = reason[start..]
                .find(']')
                .map_or(reason.len(), |e| start + e + 1);
            format!("{}{}", &reason[..start], &reason[end..])
                .trim()
                .to_owned()
        }
        None => reason.trim().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_key_marker_is_not_part_of_the_reason_a_person_reads() {
        assert_eq!(
            super::without_marker(
                "Won opportunity (crm.lead #4 Đại Phát) [sk:karma:won-deal:crm.lead:4:1]"
            ),
            "Won opportunity (crm.lead #4 Đại Phát)"
        );
        assert_eq!(super::without_marker("Add Manually"), "Add Manually");
    }
}
