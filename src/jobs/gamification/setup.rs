//! `scorekeeper setup` for config-as-code challenges: creates the goal definitions (mode
//! `manually`, described as computed by scorekeeper), the challenge and its lines in Odoo,
//! unless records of the same names exist. Running it twice creates nothing; a run that fails
//! half-way (Odoo refusing a challenge, the connection lost) removes what it had created.

use std::collections::HashMap;

use crate::config::{ChallengeSpec, GamificationConfig, Participants};
use crate::odoo::OdooClient;
use crate::xmlrpc::{Struct, Value};

use super::GamificationError;
use crate::odoo::Row;

/// What setup did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SetupReport {
    /// One line per keyed model: the `x_sk_key` field found or created.
    pub key_fields: Vec<String>,
    pub definitions_created: Vec<String>,
    pub challenges_created: Vec<String>,
    pub already_there: Vec<String>,
    /// One line per level: its karma rank and badge, found or created.
    pub levels: Vec<String>,
}

const DESCRIPTION: &str = "Computed by scorekeeper from its configuration (config as code); values written here by hand are overwritten on its next run.";

fn leaf(field: &str, op: &str, value: Value) -> Value {
    Value::Array(vec![field.into(), op.into(), value])
}

async fn participants(
    client: &OdooClient,
    spec: &ChallengeSpec,
) -> Result<(Vec<i64>, Option<String>), GamificationError> {
    match &spec.participants {
        Participants::Domain(d) => Ok((Vec::new(), Some(d.clone()))),
        Participants::Users(logins) => {
            let list = Value::Array(logins.iter().map(|l| Value::from(l.as_str())).collect());
            Ok((
                client
                    .search(
                        "res.users",
                        vec![leaf("login", "in", list)],
                        &Default::default(),
                    )
                    .await?,
                None,
            ))
        }
        Participants::Team(team) => {
            // crm.team.member is stored (crm.team.member_ids is computed from it).
            let rows = client
                .search_read_all(
                    "crm.team.member",
                    vec![leaf("crm_team_id.name", "=", team.as_str().into())],
                    &["user_id"],
                )
                .await?;
            let mut ids = Vec::new();
            for r in &rows {
                ids.extend(Row::new("crm.team.member", r).m2o_id("user_id")?);
            }
            Ok((ids, None))
        }
    }
}

/// Provisions every `[[gamification.challenges]]` of `config`. On failure, the goal
/// definitions, challenges and lines it created are unlinked again (newest first), so no
/// orphan is left in Odoo; the key fields (`x_sk_key`) stay, they are needed by every run.
pub async fn setup(
    client: &OdooClient,
    config: &GamificationConfig,
) -> Result<SetupReport, GamificationError> {
    let mut report = SetupReport {
        key_fields: super::keys::ensure_key_fields(client).await?,
        ..SetupReport::default()
    };
    if config.challenges.is_empty() && config.levels.is_empty() && config.badge_rules.is_empty() {
        return Ok(report);
    }
    let mut created: Vec<(&'static str, Vec<i64>)> = Vec::new();
    match provision(client, config, &mut report, &mut created).await {
        Ok(()) => Ok(report),
        Err(error) => {
            let (mut removed, mut left) = (0, Vec::new());
            for (model, ids) in created.iter().rev() {
                let args = vec![Value::Array(ids.iter().map(|i| Value::Int(*i)).collect())];
                match client
                    .execute_kw(model, "unlink", args, Struct::new())
                    .await
                {
                    Ok(_) => removed += ids.len(),
                    Err(_) => left.extend(ids.iter().map(|i| format!("{model} {i}"))),
                }
            }
            if removed == 0 && left.is_empty() {
                return Err(error);
            }
            Err(GamificationError::SetupRolledBack {
                error: Box::new(error),
                removed,
                left,
            })
        }
    }
}

/// The creates of [`setup`], each recorded in `created` as soon as Odoo answered.
async fn provision(
    client: &OdooClient,
    config: &GamificationConfig,
    report: &mut SetupReport,
    created: &mut Vec<(&'static str, Vec<i64>)>,
) -> Result<(), GamificationError> {
    if !config.challenges.is_empty() {
        let defs = definitions(client, config, report, created).await?;
        for spec in &config.challenges {
            challenge(client, spec, &defs, report, created).await?;
        }
    }
    levels(client, config, report, created).await
}

/// The karma ranks and badges of `[[gamification.levels]]`, by name: found, or created. A
/// rank found with another `karma_min` than the config's is left as Odoo has it (Odoo's
/// ranks are what its own `rank_id` follows, and what the level pass honours) and the report
/// says so.
async fn levels(
    client: &OdooClient,
    config: &GamificationConfig,
    report: &mut SetupReport,
    created: &mut Vec<(&'static str, Vec<i64>)>,
) -> Result<(), GamificationError> {
    const RANK: &str = "gamification.karma.rank";
    let mut wanted: Vec<(String, String)> = config
        .levels
        .iter()
        .map(|l| {
            (
                l.badge.clone(),
                format!(
                    "Granted by scorekeeper on reaching level {} ({} karma).",
                    l.name, l.karma_min
                ),
            )
        })
        .collect();
    wanted.extend(config.badge_rules.iter().map(|r| {
        (
            r.badge.clone(),
            format!("Granted by scorekeeper: {}.", r.name),
        )
    }));
    if config.levels.is_empty() {
        return badges(client, &wanted, report, created).await;
    }
    let names = Value::Array(
        config
            .levels
            .iter()
            .map(|l| Value::from(l.name.as_str()))
            .collect(),
    );
    let mut ranks: HashMap<String, i64> = HashMap::new();
    for r in client
        .search_read_all(
            RANK,
            vec![leaf("name", "in", names)],
            &["name", "karma_min"],
        )
        .await?
    {
        let row = Row::new(RANK, &r);
        ranks.insert(
            super::read::required_text(&row, "name")?,
            row.int("karma_min")?,
        );
    }
    for level in &config.levels {
        match ranks.get(&level.name) {
            Some(&min) if min == level.karma_min => report
                .levels
                .push(format!("rank    {}: exists ({min} karma)", level.name)),
            Some(&min) => report.levels.push(format!(
                "rank    {}: exists with {min} karma (the config says {}); Odoo's value is used",
                level.name, level.karma_min
            )),
            None => {
                let mut s = Struct::new();
                s.push("name", level.name.as_str().into());
                s.push("karma_min", Value::Int(level.karma_min));
                let ids = client.create(RANK, vec![s]).await?;
                created.push((RANK, ids));
                report.levels.push(format!(
                    "rank    {}: created ({} karma)",
                    level.name, level.karma_min
                ));
            }
        }
    }
    badges(client, &wanted, report, created).await
}

/// The badges levels and badge rules grant, by name: found, or created (earned, so nobody
/// sends them by hand).
async fn badges(
    client: &OdooClient,
    wanted: &[(String, String)],
    report: &mut SetupReport,
    created: &mut Vec<(&'static str, Vec<i64>)>,
) -> Result<(), GamificationError> {
    const BADGE: &str = "gamification.badge";
    if wanted.is_empty() {
        return Ok(());
    }
    let names = Value::Array(
        wanted
            .iter()
            .map(|(n, _)| Value::from(n.as_str()))
            .collect(),
    );
    let mut badges = std::collections::HashSet::new();
    for r in client
        .search_read_all(BADGE, vec![leaf("name", "in", names)], &["name"])
        .await?
    {
        badges.insert(super::read::required_text(&Row::new(BADGE, &r), "name")?);
    }
    for (name, description) in wanted {
        if badges.contains(name) {
            report.levels.push(format!("badge   {name}: exists"));
            continue;
        }
        let mut s = Struct::new();
        s.push("name", name.as_str().into());
        s.push("description", description.as_str().into());
        s.push("rule_auth", "nobody".into());
        let ids = client.create(BADGE, vec![s]).await?;
        created.push((BADGE, ids));
        badges.insert(name.clone());
        report.levels.push(format!("badge   {name}: created"));
    }
    Ok(())
}

/// The goal definitions the lines name, by name: found, or created as `manually` ones.
async fn definitions(
    client: &OdooClient,
    config: &GamificationConfig,
    report: &mut SetupReport,
    created: &mut Vec<(&'static str, Vec<i64>)>,
) -> Result<HashMap<String, i64>, GamificationError> {
    let names: Vec<Value> = config
        .challenges
        .iter()
        .flat_map(|c| c.lines.iter().map(|l| Value::from(l.name.as_str())))
        .collect();
    let existing = client
        .search_read_all(
            "gamification.goal.definition",
            vec![leaf("name", "in", Value::Array(names))],
            &["name"],
        )
        .await?;
    let mut defs: HashMap<String, i64> = HashMap::new();
    for r in &existing {
        let row = Row::new("gamification.goal.definition", r);
        defs.insert(super::read::required_text(&row, "name")?, row.id()?);
    }
    let mut to_create = Vec::new();
    for line in config.challenges.iter().flat_map(|c| c.lines.iter()) {
        if defs.contains_key(&line.name)
            || to_create
                .iter()
                .any(|(n, _): &(String, Struct)| *n == line.name)
        {
            continue;
        }
        let mut s = Struct::new();
        s.push("name", line.name.as_str().into());
        s.push("computation_mode", "manually".into());
        s.push("description", DESCRIPTION.into());
        s.push("condition", line.condition.as_str().into());
        if let Some(suffix) = &line.suffix {
            s.push("suffix", suffix.as_str().into());
        }
        to_create.push((line.name.clone(), s));
    }
    if !to_create.is_empty() {
        let ids = client
            .create(
                "gamification.goal.definition",
                to_create.iter().map(|(_, s)| s.clone()).collect(),
            )
            .await?;
        created.push(("gamification.goal.definition", ids.clone()));
        for ((name, _), id) in to_create.into_iter().zip(ids) {
            report.definitions_created.push(name.clone());
            defs.insert(name, id);
        }
    }
    Ok(defs)
}

/// One challenge and its lines, unless a challenge of that name exists.
async fn challenge(
    client: &OdooClient,
    spec: &ChallengeSpec,
    defs: &HashMap<String, i64>,
    report: &mut SetupReport,
    created: &mut Vec<(&'static str, Vec<i64>)>,
) -> Result<(), GamificationError> {
    let found = client
        .search(
            "gamification.challenge",
            vec![leaf("name", "=", spec.name.as_str().into())],
            &Default::default(),
        )
        .await?;
    if !found.is_empty() {
        report.already_there.push(spec.name.clone());
        return Ok(());
    }
    let (users, domain) = participants(client, spec).await?;
    let mut s = Struct::new();
    s.push("name", spec.name.as_str().into());
    s.push("description", DESCRIPTION.into());
    s.push("period", spec.period.as_str().into());
    s.push("visibility_mode", "ranking".into());
    s.push("state", "inprogress".into());
    if let Some(d) = domain {
        s.push("user_domain", d.into());
    } else {
        s.push(
            "user_ids",
            Value::Array(vec![Value::Array(vec![
                Value::Int(6),
                Value::Int(0),
                Value::Array(users.into_iter().map(Value::Int).collect()),
            ])]),
        );
    }
    let ids = client.create("gamification.challenge", vec![s]).await?;
    created.push(("gamification.challenge", ids.clone()));
    let Some(&challenge) = ids.first() else {
        return Ok(());
    };
    // Lines as records of their own rather than one2many commands inside the challenge:
    // simpler for every server that speaks Odoo's API.
    let lines: Vec<Struct> = spec
        .lines
        .iter()
        .enumerate()
        .filter_map(|(i, l)| {
            let def = defs.get(&l.name)?;
            let mut v = Struct::new();
            v.push("challenge_id", Value::Int(challenge));
            v.push("definition_id", Value::Int(*def));
            v.push("target_goal", Value::Double(l.target));
            v.push("sequence", Value::Int(i as i64 + 1));
            Some(v)
        })
        .collect();
    if !lines.is_empty() {
        let ids = client.create("gamification.challenge.line", lines).await?;
        created.push(("gamification.challenge.line", ids));
    }
    report.challenges_created.push(spec.name.clone());
    Ok(())
}
