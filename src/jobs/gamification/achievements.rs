//! The achievement pass (issue 16 item 3): for each `[[gamification.badge_rules]]`, reads
//! the records matching it (one `search_read`), the sales teams when it rewards teams, the
//! badges by name and the achievement grants that exist; `gamification::achievements`
//! decides; the plan creates the grants, keyed by rule, person and period. Record dates are
//! placed in periods by their UTC date, as Odoo's periods are.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::config::{BadgeRuleSpec, GamificationConfig};
use crate::domain::Domain;
use crate::gamification::achievements::{self, Aggregate, BadgeRule, Fact};
use crate::odoo::WireLit as _;
use crate::odoo::{OdooClient, Row, leaf};
use crate::plan::{IdemKey, Plan};
use crate::record::Value as V;
use crate::xmlrpc::Value;

use super::GamificationError;
use super::grants::marker_key;
use super::keys::{KEY_FIELD, KeyFields, key_fields};
use super::read::required_text;

const BADGE: &str = "gamification.badge";
const GRANT: &str = "gamification.badge.user";

/// What the pass plans and the rules it could not evaluate.
#[derive(Clone, Debug, Default)]
pub struct AchievementPass {
    pub plan: Plan,
    /// Rules whose badge is missing in Odoo (run `setup`).
    pub missing: Vec<String>,
}

impl AchievementPass {
    /// Counts, then at most `n` grants (the rest counted).
    pub fn summary(&self, n: usize) -> String {
        let mut out = format!(
            "achievements: {} badge(s) to grant\n",
            self.plan.create_count()
        );
        let grants: Vec<&str> = self.plan.creates().map(|(_, _, _, r)| r).collect();
        for r in grants.iter().take(n) {
            out.push_str(&format!("  grant  {r}\n"));
        }
        if grants.len() > n {
            out.push_str(&format!("  … and {} more\n", grants.len() - n));
        }
        for m in &self.missing {
            out.push_str(&format!("  skipped {m}\n"));
        }
        out
    }
}

/// Achievement grants that exist (their keys).
async fn held(
    client: &OdooClient,
    keys: &KeyFields,
) -> Result<HashSet<IdemKey>, GamificationError> {
    let legacy = leaf("comment", "ilike", "[sk:achv:");
    let in_field = keys.has(GRANT);
    let (domain, fields) = if in_field {
        (
            vec!["|".into(), leaf(KEY_FIELD, "=like", "achv:%"), legacy],
            vec!["comment", KEY_FIELD],
        )
    } else {
        (vec![legacy], vec!["comment"])
    };
    let mut out = HashSet::new();
    for r in client.search_read_all(GRANT, domain, &fields).await? {
        let row = Row::new(GRANT, &r);
        let in_key = if in_field {
            row.text(KEY_FIELD)?
                .and_then(|k| IdemKey::new(k.as_str()).ok())
        } else {
            None
        };
        let key = in_key.or_else(|| {
            row.text("comment")
                .ok()
                .flatten()
                .and_then(|c| marker_key(&c, "[sk:achv:"))
        });
        out.extend(key);
    }
    Ok(out)
}

/// Every sales team's name and members.
async fn teams(client: &OdooClient) -> Result<Vec<(String, Vec<i64>)>, GamificationError> {
    let mut by_team: BTreeMap<(i64, String), Vec<i64>> = BTreeMap::new();
    for r in client
        .search_read_all("crm.team.member", vec![], &["crm_team_id", "user_id"])
        .await?
    {
        let row = Row::new("crm.team.member", &r);
        if let (Some(team), Some(user)) = (row.many2one("crm_team_id")?, row.m2o_id("user_id")?) {
            by_team.entry(team).or_default().push(user);
        }
    }
    Ok(by_team
        .into_iter()
        .map(|((_, name), mut members)| {
            members.sort_unstable();
            members.dedup();
            (name, members)
        })
        .collect())
}

/// The records matching `rule`, as facts.
async fn facts(client: &OdooClient, rule: &BadgeRuleSpec) -> Result<Vec<Fact>, GamificationError> {
    let domain = Domain::parse(&rule.domain)
        .and_then(|d| d.try_to_lit())
        .map_err(|e| GamificationError::Domain {
            what: format!("badge rule {:?} domain", rule.key),
            error: e.to_string(),
        })?
        .to_wire_items();
    let mut fields = vec![rule.user_field.as_str()];
    fields.extend(rule.date_field.as_deref());
    fields.extend(rule.field.as_deref());
    let mut out = Vec::new();
    for r in client.search_read_all(&rule.model, domain, &fields).await? {
        let row = Row::new(&rule.model, &r);
        let Some(user_id) = row.m2o_id(&rule.user_field)? else {
            continue;
        };
        let date = match &rule.date_field {
            Some(f) => row.datetime(f)?.map(|d| d.date()),
            None => None,
        };
        let value = match (rule.aggregate, &rule.field) {
            (Aggregate::Count, _) | (_, None) => 1.0,
            (_, Some(f)) => row.float(f)?,
        };
        out.push(Fact {
            user_id,
            date,
            value,
        });
    }
    Ok(out)
}

/// The achievement badges the rules grant now. Writes nothing.
pub async fn achievement_plan(
    client: &OdooClient,
    config: &GamificationConfig,
) -> Result<AchievementPass, GamificationError> {
    let mut pass = AchievementPass {
        plan: Plan::new("gamification"),
        ..AchievementPass::default()
    };
    if config.badge_rules.is_empty() {
        return Ok(pass);
    }
    let names = Value::Array(
        config
            .badge_rules
            .iter()
            .map(|r| Value::from(r.badge.as_str()))
            .collect(),
    );
    let mut badges: HashMap<String, i64> = HashMap::new();
    for r in client
        .search_read_all(BADGE, vec![leaf("name", "in", names)], &["name"])
        .await?
    {
        let row = Row::new(BADGE, &r);
        let (name, id) = (required_text(&row, "name")?, row.id()?);
        badges
            .entry(name)
            .and_modify(|b| *b = (*b).min(id))
            .or_insert(id);
    }
    let keys = key_fields(client).await?;
    let held = held(client, &keys).await?;
    let teams = if config.badge_rules.iter().any(|r| r.team) {
        Some(teams(client).await?)
    } else {
        None
    };
    let mut granted = Vec::new();
    for spec in &config.badge_rules {
        let Some(&badge_id) = badges.get(&spec.badge) else {
            pass.missing.push(format!(
                "badge rule {}: no badge named {:?} in Odoo (run `scorekeeper setup`)",
                spec.key, spec.badge
            ));
            continue;
        };
        let rule = BadgeRule {
            key: spec.key.clone(),
            name: spec.name.clone(),
            badge_id,
            aggregate: spec.aggregate,
            field: spec.field.clone(),
            threshold: spec.threshold,
            window: spec.window,
            teams: if spec.team { teams.clone() } else { None },
        };
        let facts = facts(client, spec).await?;
        granted.extend(achievements::decide(&rule, &facts, &held)?);
    }
    // Names for the plan's reasons (one read).
    let mut names: HashMap<i64, String> = HashMap::new();
    let users: Vec<i64> = granted
        .iter()
        .map(|g| g.user_id)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    if !users.is_empty() {
        for r in client.read("res.users", &users, &["display_name"]).await? {
            let row = Row::new("res.users", &r);
            if let Some(name) = row.text("display_name")? {
                names.insert(row.id()?, name);
            }
        }
    }
    {
        for g in granted {
            let mut values = vec![
                ("user_id".to_owned(), V::Many2one(g.user_id)),
                ("badge_id".to_owned(), V::Many2one(g.badge_id)),
                ("comment".to_owned(), V::Str(g.comment.clone())),
            ];
            keys.put(GRANT, &mut values, &g.key);
            pass.plan.push_create(
                GRANT,
                values,
                g.key,
                format!(
                    "{}: {}",
                    names
                        .get(&g.user_id)
                        .cloned()
                        .unwrap_or_else(|| format!("user {}", g.user_id)),
                    g.comment
                ),
            );
        }
    }
    Ok(pass)
}
