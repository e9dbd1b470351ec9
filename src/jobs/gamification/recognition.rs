//! Recognition posts for the gamification run ([`crate::gamification::recognition`] decides
//! them): where they go (the Discuss channel, found by name; people's contacts from the
//! participants already read) and which of them Odoo already holds (one `search_read` of
//! `mail.message` by key), so a plan lists only the posts a run makes. Two calls per run,
//! and none when nobody has anything to be recognised for. `setup` creates the key field on
//! `mail.message` and the channel.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;

use super::GamificationError;
use super::evaluate::Evaluation;
use super::keys::KEY_FIELD;
use super::reading::Reading;
use super::writer::goal_key;
use crate::config::{Occasion, RecognitionConfig};
use crate::gamification::recognition::{
    self as engine, Achievement, GoalNames, Places, message_key,
};
pub use crate::gamification::recognition::{CHANNEL, MESSAGE};
use crate::odoo::{OdooClient, OdooError, Row, SearchOptions, leaf};
use crate::plan::{IdemKey, Plan};
use crate::xmlrpc::{Struct, Value as X};

/// What this run's goals and grants are worth a message for.
fn achievements(
    cfg: &RecognitionConfig,
    reading: &Reading,
    evaluation: &Evaluation,
    today: NaiveDate,
) -> Result<Vec<Achievement>, GamificationError> {
    let snap = &reading.snap;
    let person = |id: i64| {
        snap.users
            .get(&id)
            .map_or_else(|| format!("user {id}"), |u| u.name.clone())
    };
    let challenge = |id: i64| {
        snap.challenges
            .iter()
            .find(|c| c.id == id)
            .map_or_else(|| format!("challenge {id}"), |c| c.name.clone())
    };
    let mut out = Vec::new();
    if cfg.recognises(Occasion::Goal) {
        for g in &evaluation.settled.goals {
            let (Some(line), Some(challenge_id)) = (g.line_id, g.challenge_id) else {
                continue;
            };
            let show = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
            let key = goal_key(
                line,
                g.user_id,
                &format!("{}..{}", show(g.start_date), show(g.end_date)),
            )?;
            let goal_name = snap
                .definitions
                .get(&g.definition_id)
                .map_or_else(|| format!("goal {}", g.definition_id), |d| d.name.clone());
            let (who, what) = (person(g.user_id), challenge(challenge_id));
            let names = GoalNames {
                person: &who,
                goal: &goal_name,
                challenge: &what,
            };
            out.extend(engine::goal_reached(g, &key, &names, today));
        }
    }
    if cfg.recognises(Occasion::Badge) {
        for grant in &evaluation.grants {
            let badge = reading
                .grants
                .as_ref()
                .and_then(|g| g.badges.get(&grant.badge_id))
                .map_or_else(|| format!("badge {}", grant.badge_id), |b| b.name.clone());
            out.push(engine::badge_granted(
                &grant.key,
                grant.user_id,
                &person(grant.user_id),
                &badge,
                &challenge(grant.challenge_id),
            ));
        }
    }
    Ok(out)
}

/// The channel named `name` (`None`: not in Odoo; `setup` creates it).
async fn channel_id(client: &OdooClient, name: &str) -> Result<Option<i64>, OdooError> {
    let ids = client
        .search(
            CHANNEL,
            vec![leaf("name", "=", name)],
            &SearchOptions {
                limit: Some(1),
                order: Some("id".into()),
                ..SearchOptions::default()
            },
        )
        .await?;
    Ok(ids.first().copied())
}

/// The keys among `keys` that messages in Odoo carry.
async fn posted(
    client: &OdooClient,
    keys: &[IdemKey],
) -> Result<HashSet<IdemKey>, GamificationError> {
    if keys.is_empty() {
        return Ok(HashSet::new());
    }
    let list = X::Array(keys.iter().map(|k| X::from(k.as_str())).collect());
    let rows = client
        .search_read_all(MESSAGE, vec![leaf(KEY_FIELD, "in", list)], &[KEY_FIELD])
        .await?;
    let mut out = HashSet::new();
    for r in &rows {
        if let Some(text) = Row::new(MESSAGE, r).text(KEY_FIELD)?
            && let Ok(key) = IdemKey::new(text)
        {
            out.insert(key);
        }
    }
    Ok(out)
}

/// Adds the recognition posts this run makes to `plan`.
pub(super) async fn plan_recognition(
    client: &OdooClient,
    cfg: &RecognitionConfig,
    reading: &Reading,
    evaluation: &Evaluation,
    today: NaiveDate,
    plan: &mut Plan,
) -> Result<(), GamificationError> {
    let found = achievements(cfg, reading, evaluation, today)?;
    if found.is_empty() {
        return Ok(());
    }
    let partners: HashMap<i64, i64> = reading
        .snap
        .users
        .values()
        .filter_map(|u| Some((u.id, u.partner_id?)))
        .collect();
    post(client, cfg, &found, &partners, plan).await
}

/// Plans the posts of `found` to where `cfg` says (people's contacts from `partners`),
/// leaving out those Odoo already holds: a `search` for the channel, a `search_read` of the
/// keys.
async fn post(
    client: &OdooClient,
    cfg: &RecognitionConfig,
    found: &[Achievement],
    partners: &HashMap<i64, i64>,
    plan: &mut Plan,
) -> Result<(), GamificationError> {
    let channel =
        match &cfg.channel {
            Some(name) => Some(channel_id(client, name).await?.ok_or_else(|| {
                GamificationError::Unexpected {
                    what: format!("[recognition] channel {name:?}"),
                    detail: format!(
                        "no {CHANNEL} of that name in Odoo: `scorekeeper setup` creates it"
                    ),
                }
            })?),
            None => None,
        };
    let places = Places {
        channel,
        chatter: cfg.chatter.then_some(partners),
    };
    let mut keys = Vec::new();
    for a in found {
        if let Some(c) = channel {
            keys.push(message_key(&a.key, &format!("channel={c}"))?);
        }
        if cfg.chatter {
            keys.push(message_key(&a.key, "chatter")?);
        }
    }
    let posted = posted(client, &keys).await?;
    engine::plan_posts(plan, found, &places, &posted, KEY_FIELD)?;
    Ok(())
}

/// `setup`: the key field on `mail.message` and the channel. Lines for setup's report.
pub async fn setup(client: &OdooClient, cfg: &RecognitionConfig) -> Result<Vec<String>, OdooError> {
    let mut lines = vec![super::keys::ensure_key_field(client, MESSAGE).await?];
    if let Some(name) = &cfg.channel {
        match channel_id(client, name).await? {
            Some(id) => lines.push(format!("exists  {CHANNEL} {name:?} ({id})")),
            None => {
                let mut values = Struct::new();
                values.push("name", X::from(name.as_str()));
                values.push("channel_type", X::from("channel"));
                let ids = client.create(CHANNEL, vec![values]).await?;
                let id = ids.first().copied().unwrap_or_default();
                lines.push(format!("channel {CHANNEL} {name:?}: created ({id})"));
            }
        }
    }
    Ok(lines)
}

/// Adds to `plan` the posts recognising the badge grants it creates (levels reached,
/// achievements): the person and badge named as Odoo names them (one `read` each), the
/// grant's comment saying what earned it. Grants are planned once, so are their posts; the
/// keys Odoo already holds are left out as for goals. Nothing when `cfg` is `None` or badges
/// are not recognised.
pub async fn plan_grant_posts(
    client: &OdooClient,
    cfg: Option<&RecognitionConfig>,
    plan: &mut Plan,
) -> Result<(), GamificationError> {
    let Some(cfg) = cfg.filter(|c| c.recognises(Occasion::Badge)) else {
        return Ok(());
    };
    let mut grants: Vec<(IdemKey, i64, i64, String)> = Vec::new();
    for change in plan.changes() {
        if let crate::plan::Change::Create {
            model, values, key, ..
        } = change
            && model == "gamification.badge.user"
        {
            let id = |f: &str| {
                values
                    .iter()
                    .find(|(k, _)| k == f)
                    .and_then(|(_, v)| match v {
                        crate::record::Value::Many2one(i) | crate::record::Value::Int(i) => {
                            Some(*i)
                        }
                        _ => None,
                    })
            };
            let comment = values
                .iter()
                .find(|(k, _)| k == "comment")
                .and_then(|(_, v)| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            if let (Some(user), Some(badge)) = (id("user_id"), id("badge_id")) {
                grants.push((key, user, badge, comment));
            }
        }
    }
    if grants.is_empty() {
        return Ok(());
    }
    // One read of the people (names and contacts), one of the badges.
    let ids: Vec<i64> = grants.iter().map(|g| g.1).collect();
    let mut people: HashMap<i64, String> = HashMap::new();
    let mut partners: HashMap<i64, i64> = HashMap::new();
    for r in &client
        .read("res.users", &ids, &["display_name", "partner_id"])
        .await?
    {
        let row = Row::new("res.users", r);
        let id = row.id()?;
        if let Some(name) = row.text("display_name")? {
            people.insert(id, name);
        }
        if let Some(p) = row.m2o_id("partner_id")? {
            partners.insert(id, p);
        }
    }
    let ids: Vec<i64> = grants.iter().map(|g| g.2).collect();
    let mut badges: HashMap<i64, String> = HashMap::new();
    for r in &client
        .read("gamification.badge", &ids, &["display_name"])
        .await?
    {
        let row = Row::new("gamification.badge", r);
        if let Some(name) = row.text("display_name")? {
            badges.insert(row.id()?, name);
        }
    }
    let found: Vec<Achievement> = grants
        .iter()
        .map(|(key, user, badge, comment)| {
            // The comment carries the scorekeeper marker in databases without x_sk_key.
            let why = comment.split(" [sk:").next().unwrap_or_default();
            engine::badge_granted(
                key,
                *user,
                people.get(user).map_or("", String::as_str),
                badges.get(badge).map_or("", String::as_str),
                why,
            )
        })
        .collect();
    post(client, cfg, &found, &partners, plan).await
}
