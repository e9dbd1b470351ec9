//! Badges and the grants that exist, read only when some challenge has a reward: what the
//! rewards engine needs (held badges, keys granted, grants sent this month) and the grants
//! carrying a key an older grant carries (what a repair deletes).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::{NaiveDate, NaiveTime};

use crate::gamification::model::Challenge;
use crate::gamification::rewards::Badge;
use crate::odoo::{OdooClient, Row};
use crate::plan::IdemKey;
use crate::record::datetime;

use super::GamificationError;
use super::read::{ints, leaf, month_start, required_text};

/// What the reward pass needs about existing grants.
#[derive(Clone, Debug, Default)]
pub(crate) struct Grants {
    pub badges: HashMap<i64, Badge>,
    /// rule_auth per badge (`everyone`, `users`, `having`, `nobody`).
    pub rule_auth: HashMap<i64, String>,
    pub keys: HashSet<IdemKey>,
    /// Where this database keeps keys (read with the grants).
    pub key_fields: super::keys::KeyFields,
    /// challenge → user → badges held from that challenge.
    pub held: HashMap<i64, HashMap<i64, HashSet<i64>>>,
    /// badge → grants created by `uid` this month.
    pub sent_this_month: HashMap<i64, u32>,
    /// Grants carrying a key an older grant already carries: what a repair deletes.
    pub duplicates: Vec<DuplicateGrant>,
}

/// A badge grant whose key an older grant (`kept`) carries, with the values it holds (what
/// undo re-creates).
#[derive(Clone, Debug)]
pub(crate) struct DuplicateGrant {
    pub id: i64,
    pub kept: i64,
    pub key: IdemKey,
    pub values: Vec<(String, crate::record::Value)>,
}

/// Badges named by the challenges' rewards, where keys live, and the grants that exist: three
/// calls, made only when some challenge has a reward.
pub(crate) async fn grants(
    client: &OdooClient,
    challenges: &[Challenge],
    uid: i64,
    today: NaiveDate,
) -> Result<Grants, GamificationError> {
    let badge_ids: BTreeSet<i64> = challenges
        .iter()
        .flat_map(|c| {
            [
                c.reward_id,
                c.reward_first_id,
                c.reward_second_id,
                c.reward_third_id,
            ]
        })
        .flatten()
        .collect();
    let mut out = Grants::default();
    if badge_ids.is_empty() {
        return Ok(out);
    }
    let ids: Vec<i64> = badge_ids.iter().copied().collect();
    read_badges(client, &ids, &mut out).await?;
    out.key_fields = super::keys::key_fields(client).await?;
    let month_start = month_start(today);
    let challenge_ids: Vec<i64> = challenges.iter().map(|c| c.id).collect();
    let domain = vec![
        "|".into(),
        leaf("challenge_id", "in", ints(challenge_ids)),
        "&".into(),
        leaf("badge_id", "in", ints(ids)),
        leaf(
            "create_date",
            ">=",
            datetime::format_datetime(month_start.and_time(NaiveTime::MIN)).into(),
        ),
    ];
    let rows = client
        .search_read_all(
            "gamification.badge.user",
            domain,
            &[
                "user_id",
                "badge_id",
                "challenge_id",
                "comment",
                "create_uid",
                "create_date",
            ][..]
                .iter()
                .copied()
                .chain(
                    out.key_fields
                        .has("gamification.badge.user")
                        .then_some(super::keys::KEY_FIELD),
                )
                .collect::<Vec<_>>(),
        )
        .await?;
    // key → grants carrying it, oldest first.
    let mut by_key: BTreeMap<IdemKey, Vec<(i64, crate::plan::Values)>> = BTreeMap::new();
    for r in &rows {
        grant_row(
            &Row::new("gamification.badge.user", r),
            uid,
            month_start,
            &mut out,
            &mut by_key,
        )?;
    }
    for (key, mut grants) in by_key {
        grants.sort_by_key(|(id, _)| *id);
        let Some((kept, _)) = grants.first().cloned() else {
            continue;
        };
        for (id, values) in grants.into_iter().skip(1) {
            out.duplicates.push(DuplicateGrant {
                id,
                kept,
                key: key.clone(),
                values,
            });
        }
    }
    Ok(out)
}

/// The key inside the first `[sk:…]` marker starting with `prefix`.
pub fn marker_key(text: &str, prefix: &str) -> Option<IdemKey> {
    let start = text.find(prefix)? + 4;
    let len = text[start..].find(']')?;
    IdemKey::new(&text[start..start + len]).ok()
}

/// The badges the rewards name: name, who may grant them, monthly limit.
async fn read_badges(
    client: &OdooClient,
    ids: &[i64],
    out: &mut Grants,
) -> Result<(), GamificationError> {
    for r in client
        .read(
            "gamification.badge",
            ids,
            &["name", "rule_auth", "rule_max", "rule_max_number"],
        )
        .await?
    {
        let row = Row::new("gamification.badge", &r);
        let id = row.id()?;
        let limit = if row.boolean("rule_max")? {
            // A negative limit grants nothing; one beyond u32 is no limit in practice.
            Some(row.int("rule_max_number")?.clamp(0, i64::from(u32::MAX)) as u32)
        } else {
            None
        };
        out.rule_auth.insert(
            id,
            row.text("rule_auth")?.unwrap_or_else(|| "everyone".into()),
        );
        out.badges.insert(
            id,
            Badge {
                id,
                name: required_text(&row, "name")?,
                monthly_limit: limit,
            },
        );
    }
    Ok(())
}

/// One existing grant: held by whom from which challenge, the key it carries (into
/// `by_key`), and whether `uid` sent it this month.
fn grant_row(
    row: &Row<'_>,
    uid: i64,
    month_start: NaiveDate,
    out: &mut Grants,
    by_key: &mut BTreeMap<IdemKey, Vec<(i64, crate::plan::Values)>>,
) -> Result<(), GamificationError> {
    let (Some(user), Some(badge)) = (row.m2o_id("user_id")?, row.m2o_id("badge_id")?) else {
        return Ok(());
    };
    if let Some(challenge) = row.m2o_id("challenge_id")? {
        out.held
            .entry(challenge)
            .or_default()
            .entry(user)
            .or_default()
            .insert(badge);
    }
    let in_field = if out.key_fields.has("gamification.badge.user") {
        row.text(super::keys::KEY_FIELD)?
            .and_then(|k| IdemKey::new(k.as_str()).ok())
    } else {
        None
    };
    let in_comment = row
        .text("comment")?
        .and_then(|comment| marker_key(&comment, "[sk:badge:"));
    if let Some(key) = in_field.or(in_comment) {
        use crate::record::Value as V;
        let mut values = vec![
            ("user_id".to_owned(), V::Many2one(user)),
            ("badge_id".to_owned(), V::Many2one(badge)),
            (
                "challenge_id".to_owned(),
                row.m2o_id("challenge_id")?.map_or(V::Null, V::Many2one),
            ),
            (
                "comment".to_owned(),
                row.text("comment")?.map_or(V::Null, V::Str),
            ),
        ];
        if out.key_fields.has("gamification.badge.user") {
            values.push((
                super::keys::KEY_FIELD.to_owned(),
                row.text(super::keys::KEY_FIELD)?.map_or(V::Null, V::Str),
            ));
        }
        by_key
            .entry(key.clone())
            .or_default()
            .push((row.id()?, values));
        out.keys.insert(key);
    }
    let created = row.date("create_date")?;
    if row.m2o_id("create_uid")? == Some(uid) && created.is_some_and(|d| d >= month_start) {
        *out.sent_this_month.entry(badge).or_insert(0) += 1;
    }
    Ok(())
}
