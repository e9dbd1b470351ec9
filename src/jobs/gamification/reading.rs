//! Everything a refresh reads from Odoo before the engines run, in one struct: the challenges
//! (drafts being started read as started), their lines and definitions (config-as-code
//! computations laid over manual ones), the goals (duplicates set apart), the participants,
//! and — only when a challenge has rewards — the badges and grants. Every row is read through
//! [`crate::odoo::Row`] (in [`super::read`]). The goal values Odoo aggregates are read after,
//! once the engine has said which to compute ([`super::aggregate`]).

use std::collections::{BTreeSet, HashMap};

use crate::gamification::duplicates::{self, DuplicateGoal};
use crate::gamification::model::{Definition, Mode};
use crate::gamification::refresh::Snapshot;
use crate::odoo::OdooClient;
use crate::record::FieldType;

use super::grants::{self, Grants};
use super::read::{self, Users};
use super::structure;
use super::{GamificationError, Options};

/// What a refresh read from Odoo.
#[derive(Clone, Debug, Default)]
pub(crate) struct Reading {
    /// Challenges, lines, definitions, participants and goals, as the engines take them.
    pub snap: Snapshot,
    /// Participants with their companies (for `user.company_ids` in domains).
    pub users: Users,
    /// Drafts this run starts.
    pub started: Vec<i64>,
    /// Challenges reporting on each goal write ("On change").
    pub on_change: BTreeSet<i64>,
    /// Goals an older goal of the same line, user and period holds (left out of `snap`).
    pub duplicate_goals: Vec<DuplicateGoal>,
    /// Badges and existing grants, read only when some challenge has a reward.
    pub grants: Option<Grants>,
    /// The user the job runs as (badge rights are checked against it).
    pub uid: i64,
}

/// Reads what a refresh needs; with no challenge to refresh, only the challenge search is
/// made and the snapshot is empty.
pub(crate) async fn read_all(
    client: &OdooClient,
    opts: &Options,
) -> Result<Reading, GamificationError> {
    // Odoo 17+ answers challenges, lines, definitions, their fields and the `user_ids`
    // users in one `web_search_read`; Odoo 16 model by model.
    let (
        read::Read {
            challenges,
            started,
            on_change,
        },
        lines,
        mut definitions,
        known,
    ) = if client.profile().await?.major >= 17 {
        let s = structure::read(client, opts.today, &opts.start, opts.only.as_deref()).await?;
        (s.read, s.lines, s.definitions, s.users)
    } else {
        let read = read::challenges(client, opts.today, &opts.start, opts.only.as_deref()).await?;
        let ids: Vec<i64> = read.challenges.iter().map(|c| c.id).collect();
        let (lines, definitions) = if ids.is_empty() {
            Default::default()
        } else {
            read::lines_and_definitions(client, &ids).await?
        };
        (read, lines, definitions, Users::default())
    };
    if challenges.is_empty() {
        return Ok(Reading {
            started,
            on_change,
            ..Reading::default()
        });
    }
    for def in definitions.values_mut() {
        if def.mode == Mode::Manual
            && let Some(spec) = opts.overrides.get(&def.name)
        {
            *def = Definition {
                id: def.id,
                ..spec.clone()
            };
        }
    }
    resolve_date_types(client, &mut definitions, &opts.overrides).await?;
    // Duplicates among the goals read are deleted (journaled with their values, so undo
    // brings them back) and left out of the refresh.
    let (goals, duplicate_goals) =
        duplicates::split_goals(read::goals(client, &challenges, opts.today).await?);
    let goal_users: BTreeSet<i64> = goals.iter().map(|g| g.user_id).collect();
    let (participants, users) = read::participants(client, &challenges, &goal_users, known).await?;
    // Without a session uid no grant was created by us this month: 0 matches no user.
    let uid = client.uid().unwrap_or(0);
    let has_rewards = challenges
        .iter()
        .any(|c| c.reward_id.is_some() || c.reward_first_id.is_some());
    let grants = if has_rewards {
        Some(grants::grants(client, &challenges, uid, opts.today).await?)
    } else {
        None
    };
    Ok(Reading {
        snap: Snapshot {
            challenges,
            lines,
            definitions,
            participants,
            users: users.iter().map(|(id, (p, _))| (*id, p.clone())).collect(),
            goals,
        },
        users,
        started,
        on_change,
        duplicate_goals,
        grants,
        uid,
    })
}

/// Config-as-code lines name their date field by name only: learn from Odoo whether it is a
/// date or a datetime (one `fields_get` per model), since the period window differs.
async fn resolve_date_types(
    client: &OdooClient,
    definitions: &mut HashMap<i64, Definition>,
    overrides: &HashMap<String, Definition>,
) -> Result<(), GamificationError> {
    let models: BTreeSet<String> = definitions
        .values()
        .filter(|d| d.date_field.is_some() && overrides.contains_key(&d.name))
        .map(|d| d.model.clone())
        .collect();
    for model in models {
        let fields = client.fields_get(&model, &["type"]).await?;
        for def in definitions
            .values_mut()
            .filter(|d| d.model == model && overrides.contains_key(&d.name))
        {
            if let Some(date) = def.date_field.as_mut() {
                match fields.field(&date.name).map(|f| &f.ty) {
                    Some(FieldType::Datetime) => date.is_datetime = true,
                    Some(FieldType::Date) => date.is_datetime = false,
                    _ => {
                        return Err(GamificationError::Unexpected {
                            what: format!("goal definition '{}'", def.name),
                            detail: format!(
                                "{model}.{} is not a date or datetime field",
                                date.name
                            ),
                        });
                    }
                }
            }
        }
    }
    Ok(())
}
