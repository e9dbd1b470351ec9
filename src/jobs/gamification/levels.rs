//! The level pass (issue 16 item 1), run after the karma pass: reads the configured levels'
//! karma ranks and badges, everyone whose karma reaches a level, the level grants that
//! exist and the trackings that crossed into a level, lets `gamification::levels` decide,
//! and plans the `gamification.badge.user` creates (keyed, so a level is rewarded once) and,
//! with `level_drop = "revoke"`, the deletions.

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::NaiveDate;

use crate::config::GamificationConfig;
use crate::gamification::levels::{self, HeldGrant, Holder, Level, LevelGrant, LevelInput};
use crate::odoo::{OdooClient, Row, leaf};
use crate::plan::{IdemKey, Plan};
use crate::record::Value as V;
use crate::xmlrpc::Value;

use super::GamificationError;
use super::grants::marker_key;
use super::keys::{KEY_FIELD, KeyFields, key_fields};
use super::read::required_text;

const RANK: &str = "gamification.karma.rank";
const BADGE: &str = "gamification.badge";
const GRANT: &str = "gamification.badge.user";
const TRACKING: &str = "gamification.karma.tracking";
/// Where level bonuses go: the incidental amounts pay turns into statement lines.
const INCIDENTAL: &str = crate::pay::DEFAULT_INCIDENTAL_MODEL;

/// The key of a level bonus: once per person and level, or (`bonus_each_time`) once per
/// crossing.
fn bonus_key(level: &str, user: i64, at: Option<i64>) -> Result<IdemKey, crate::plan::InvalidKey> {
    match at {
        None => IdemKey::new(format!("levelbonus:level={level}:user={user}")),
        Some(at) => IdemKey::new(format!("levelbonus:level={level}:user={user}:at={at}")),
    }
}

/// Level bonuses for the grants planned (issue 16 item 1, "a pay bonus line"): each is an
/// incidental amount (`x_sk_incidental`: `x_user_id`, `x_amount`, `x_date` = the day of the
/// tracking that crossed into the level), which the pay run puts on the statement of that
/// day's period as an incidental line. Keyed (a marker in `x_name`): once per person and
/// level, so falling below and crossing again pays nothing more unless the level says
/// `bonus_each_time`. Two calls: does the model exist (pay's `setup` provisions it), which
/// bonuses exist.
async fn plan_bonuses(
    client: &OdooClient,
    config: &GamificationConfig,
    grants: &[LevelGrant],
    dates: &HashMap<i64, NaiveDate>,
    holders: &[Holder],
    pass: &mut LevelPass,
) -> Result<(), GamificationError> {
    let exists = client
        .search(
            "ir.model",
            vec![leaf("model", "=", INCIDENTAL)],
            &Default::default(),
        )
        .await?;
    if exists.is_empty() {
        pass.missing.push(format!(
            "level bonuses: no {INCIDENTAL} model in Odoo (run `scorekeeper setup` with a pay plan that has incidental = {{}})"
        ));
        return Ok(());
    }
    let mut held: HashSet<IdemKey> = HashSet::new();
    for r in client
        .search_read_all(
            INCIDENTAL,
            vec![leaf("x_name", "ilike", "[sk:levelbonus:")],
            &["x_name"],
        )
        .await?
    {
        let row = Row::new(INCIDENTAL, &r);
        held.extend(
            row.text("x_name")?
                .and_then(|n| marker_key(&n, "[sk:levelbonus:")),
        );
    }
    for g in grants {
        let Some((level_key, user)) = levels::parse_grant_key(g.key.as_str()) else {
            continue;
        };
        let Some(spec) = config.levels.iter().find(|l| l.key == level_key) else {
            continue;
        };
        let Some(amount) = spec.bonus else {
            continue;
        };
        let who = holders
            .iter()
            .find(|h| h.user_id == user)
            .map_or_else(|| format!("user {user}"), |h| h.name.clone());
        let at: i64 = g
            .key
            .as_str()
            .rsplit_once(":at=")
            .and_then(|(_, t)| t.parse().ok())
            .unwrap_or(0);
        let Some(day) = dates.get(&at) else {
            pass.missing.push(format!(
                "level {level_key}: no bonus for {who}: no karma tracking crossed into the level, so the day it was reached (and the pay period) is unknown"
            ));
            continue;
        };
        let key = bonus_key(&level_key, user, spec.bonus_each_time.then_some(at))?;
        if held.contains(&key) {
            continue;
        }
        let name = format!(
            "Level {} reached on {day}: bonus {}",
            spec.name,
            key.marker()
        );
        pass.plan.push_create(
            INCIDENTAL,
            vec![
                ("x_name".to_owned(), V::Str(name)),
                ("x_user_id".to_owned(), V::Many2one(user)),
                ("x_amount".to_owned(), V::Float(amount)),
                ("x_date".to_owned(), V::Str(day.to_string())),
            ],
            key,
            format!("{who}: level {} bonus {amount} (pay of {day})", spec.name),
        );
        pass.bonuses += 1;
    }
    Ok(())
}

/// What the pass plans, and what it leaves alone and why.
#[derive(Clone, Debug, Default)]
pub struct LevelPass {
    pub plan: Plan,
    /// Grants the plan deletes (`level_drop = "revoke"`): id and why.
    pub revoked: Vec<(i64, String)>,
    /// Holders below a level who keep its badge (`level_drop = "keep"`).
    pub kept: Vec<String>,
    /// Levels the pass cannot reward (no such rank or badge in Odoo: run `setup`).
    pub missing: Vec<String>,
    /// Level bonuses the plan records (incidental amounts for pay).
    pub bonuses: usize,
}

impl LevelPass {
    /// The pass in a few lines: counts, then at most `n` grants, revocations and kept notes
    /// each (the rest counted).
    pub fn summary(&self, n: usize) -> String {
        let mut out = format!(
            "levels: {} badge(s) to grant, {} to revoke{}\n",
            self.plan.create_count() - self.bonuses,
            self.revoked.len(),
            if self.bonuses == 0 {
                String::new()
            } else {
                format!(", {} pay bonus(es) to record", self.bonuses)
            }
        );
        let mut section = |label: &str, lines: Vec<String>| {
            for l in lines.iter().take(n) {
                out.push_str(&format!("  {label} {l}\n"));
            }
            if lines.len() > n {
                out.push_str(&format!("  … and {} more\n", lines.len() - n));
            }
        };
        section(
            "grant ",
            self.plan
                .creates()
                .map(|(_, _, _, r)| r.to_owned())
                .collect(),
        );
        section(
            "revoke",
            self.revoked
                .iter()
                .map(|(id, r)| format!("grant {id}: {r}"))
                .collect(),
        );
        section("kept  ", self.kept.clone());
        section("skipped", self.missing.clone());
        out
    }
}

impl std::fmt::Display for LevelPass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.summary(usize::MAX))
    }
}

fn names(values: impl Iterator<Item = String>) -> Value {
    Value::Array(values.map(Value::from).collect())
}

/// The configured levels resolved against Odoo's ranks and badges (two calls); levels whose
/// rank or badge is missing are named in `missing`.
async fn resolve(
    client: &OdooClient,
    config: &GamificationConfig,
    missing: &mut Vec<String>,
) -> Result<Vec<Level>, GamificationError> {
    let mut ranks: HashMap<String, i64> = HashMap::new();
    let rank_names = names(config.levels.iter().map(|l| l.name.clone()));
    for r in client
        .search_read_all(
            RANK,
            vec![leaf("name", "in", rank_names)],
            &["name", "karma_min"],
        )
        .await?
    {
        let row = Row::new(RANK, &r);
        ranks.insert(required_text(&row, "name")?, row.int("karma_min")?);
    }
    let mut badges: HashMap<String, i64> = HashMap::new();
    let badge_names = names(config.levels.iter().map(|l| l.badge.clone()));
    for r in client
        .search_read_all(BADGE, vec![leaf("name", "in", badge_names)], &["name"])
        .await?
    {
        let row = Row::new(BADGE, &r);
        // Two badges of one name: the oldest is the level's.
        let (name, id) = (required_text(&row, "name")?, row.id()?);
        badges
            .entry(name)
            .and_modify(|b| *b = (*b).min(id))
            .or_insert(id);
    }
    let mut out = Vec::new();
    for l in &config.levels {
        match (ranks.get(&l.name), badges.get(&l.badge)) {
            (Some(&karma_min), Some(&badge_id)) => out.push(Level {
                key: l.key.clone(),
                name: l.name.clone(),
                // Odoo's rank is what its own rank_id follows: it is honoured.
                karma_min,
                badge_id,
            }),
            (rank, _) => missing.push(format!(
                "level {}: no {} named {:?} in Odoo (run `scorekeeper setup`)",
                l.key,
                if rank.is_none() {
                    "karma rank"
                } else {
                    "badge"
                },
                if rank.is_none() { &l.name } else { &l.badge }
            )),
        }
    }
    Ok(out)
}

/// Level grants that exist: `gamification.badge.user` carrying a `level:` key.
async fn held(client: &OdooClient, keys: &KeyFields) -> Result<Vec<HeldGrant>, GamificationError> {
    let legacy = leaf("comment", "ilike", "[sk:level:");
    let in_field = keys.has(GRANT);
    let (domain, fields) = if in_field {
        (
            vec!["|".into(), leaf(KEY_FIELD, "=like", "level:%"), legacy],
            vec!["user_id", "badge_id", "comment", KEY_FIELD],
        )
    } else {
        (vec![legacy], vec!["user_id", "badge_id", "comment"])
    };
    let mut out = Vec::new();
    for r in client.search_read_all(GRANT, domain, &fields).await? {
        let row = Row::new(GRANT, &r);
        let field_key = if in_field {
            row.text(KEY_FIELD)?
                .and_then(|k| IdemKey::new(k.as_str()).ok())
        } else {
            None
        };
        let comment = row.text("comment")?;
        let key =
            field_key.or_else(|| comment.as_deref().and_then(|c| marker_key(c, "[sk:level:")));
        let (Some(key), Some(user_id), Some(badge)) =
            (key, row.m2o_id("user_id")?, row.m2o_id("badge_id")?)
        else {
            continue;
        };
        let mut values = vec![
            ("user_id".to_owned(), V::Many2one(user_id)),
            ("badge_id".to_owned(), V::Many2one(badge)),
            ("comment".to_owned(), comment.map_or(V::Null, V::Str)),
        ];
        if in_field {
            values.push((KEY_FIELD.to_owned(), V::Str(key.as_str().to_owned())));
        }
        out.push(HeldGrant {
            id: row.id()?,
            user_id,
            key,
            values,
        });
    }
    Ok(out)
}

/// Everyone whose karma reaches the lowest level, and every holder of a level grant.
async fn holders(
    client: &OdooClient,
    lowest: i64,
    held: &[HeldGrant],
) -> Result<Vec<Holder>, GamificationError> {
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    let mut push = |r: &crate::xmlrpc::Struct| -> Result<(), GamificationError> {
        let row = Row::new("res.users", r);
        let id = row.id()?;
        if seen.insert(id) {
            out.push(Holder {
                user_id: id,
                // A user without a display name is named by id.
                name: row
                    .text("display_name")?
                    .unwrap_or_else(|| format!("user {id}")),
                karma: row.int("karma")?,
            });
        }
        Ok(())
    };
    let fields = ["karma", "display_name"];
    for r in client
        .search_read_all("res.users", vec![leaf("karma", ">=", lowest)], &fields)
        .await?
    {
        push(&r)?;
    }
    let others: BTreeSet<i64> = held.iter().map(|g| g.user_id).collect();
    let others: Vec<i64> = others.into_iter().collect();
    if !others.is_empty() {
        // Archived holders too: `read` by id sees them.
        for r in client.read("res.users", &others, &fields).await? {
            push(&r)?;
        }
    }
    Ok(out)
}

/// The newest tracking of each of `users` that crossed into `level` (one call per level with
/// someone to reward).
async fn crossings(
    client: &OdooClient,
    level: &Level,
    users: &[i64],
    out: &mut HashMap<(String, i64), i64>,
    dates: &mut HashMap<i64, NaiveDate>,
) -> Result<(), GamificationError> {
    let domain = vec![
        leaf(
            "user_id",
            "in",
            Value::Array(users.iter().map(|u| Value::Int(*u)).collect()),
        ),
        leaf("old_value", "<", level.karma_min),
        leaf("new_value", ">=", level.karma_min),
    ];
    for r in client
        .search_read_all(TRACKING, domain, &["user_id", "tracking_date"])
        .await?
    {
        let row = Row::new(TRACKING, &r);
        let (Some(user), id) = (row.m2o_id("user_id")?, row.id()?) else {
            continue;
        };
        if let Some(at) = row.datetime("tracking_date")? {
            dates.insert(id, at.date());
        }
        out.entry((level.key.clone(), user))
            .and_modify(|t| *t = (*t).max(id))
            .or_insert(id);
    }
    Ok(())
}

/// The level pass: the grants (and, when configured, revocations) that bring Odoo in line
/// with everyone's karma now. Writes nothing.
pub async fn level_plan(
    client: &OdooClient,
    config: &GamificationConfig,
) -> Result<LevelPass, GamificationError> {
    let mut pass = LevelPass {
        plan: Plan::new("gamification"),
        ..LevelPass::default()
    };
    if config.levels.is_empty() {
        return Ok(pass);
    }
    let levels = resolve(client, config, &mut pass.missing).await?;
    let Some(lowest) = levels.iter().map(|l| l.karma_min).min() else {
        return Ok(pass);
    };
    let keys = key_fields(client).await?;
    let held = held(client, &keys).await?;
    let holders = holders(client, lowest, &held).await?;
    let mut input = LevelInput {
        levels: &levels,
        holders: &holders,
        held: &held,
        crossings: &HashMap::new(),
        on_drop: config.level_drop,
    };
    // Who is due a grant decides whose crossings are read.
    let due = levels::decide(&input)?;
    let mut found = HashMap::new();
    let mut dates = HashMap::new();
    for level in &levels {
        let users: Vec<i64> = due
            .grants
            .iter()
            .filter(|g| {
                levels::parse_grant_key(g.key.as_str()).is_some_and(|(l, _)| l == level.key)
            })
            .map(|g| g.user_id)
            .collect();
        if !users.is_empty() {
            crossings(client, level, &users, &mut found, &mut dates).await?;
        }
    }
    input.crossings = &found;
    let decision = levels::decide(&input)?;
    for r in &decision.revocations {
        pass.plan
            .push_unlink(GRANT, r.grant.id, r.grant.values.clone(), r.reason.clone());
        pass.revoked.push((r.grant.id, r.reason.clone()));
    }
    if config.levels.iter().any(|l| l.bonus.is_some()) && !decision.grants.is_empty() {
        plan_bonuses(
            client,
            config,
            &decision.grants,
            &dates,
            &holders,
            &mut pass,
        )
        .await?;
    }
    for g in decision.grants {
        let mut values = vec![
            ("user_id".to_owned(), V::Many2one(g.user_id)),
            ("badge_id".to_owned(), V::Many2one(g.badge_id)),
            ("comment".to_owned(), V::Str(g.comment.clone())),
        ];
        keys.put(GRANT, &mut values, &g.key);
        let who = holders
            .iter()
            .find(|h| h.user_id == g.user_id)
            .map_or_else(|| format!("user {}", g.user_id), |h| h.name.clone());
        pass.plan
            .push_create(GRANT, values, g.key, format!("{who}: {}", g.comment));
    }
    pass.kept = decision.kept;
    Ok(pass)
}
