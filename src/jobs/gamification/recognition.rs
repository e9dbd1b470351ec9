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
    let partners: HashMap<i64, i64> = reading
        .snap
        .users
        .values()
        .filter_map(|u| Some((u.id, u.partner_id?)))
        .collect();
    let places = Places {
        channel,
        chatter: cfg.chatter.then_some(&partners),
    };
    let mut keys = Vec::new();
    for a in &found {
        if let Some(c) = channel {
            keys.push(message_key(&a.key, &format!("channel={c}"))?);
        }
        if cfg.chatter {
            keys.push(message_key(&a.key, "chatter")?);
        }
    }
    let posted = posted(client, &keys).await?;
    engine::plan_posts(plan, &found, &places, &posted, KEY_FIELD)?;
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
