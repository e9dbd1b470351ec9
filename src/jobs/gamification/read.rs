//! Reading what a refresh needs from Odoo in a fixed, small number of calls: challenges,
//! their lines, goal definitions with the fields they name, participants (`user_domain`
//! re-evaluated) and goals (badges and grants: `grants`).

use std::collections::{BTreeSet, HashMap};

use chrono::{Datelike, Days, NaiveDate};

use crate::domain::Domain;
use crate::gamification::model::{
    Batch, Challenge, ChallengeState, Condition, DateField, Definition, Goal, GoalState, Line,
    Mode, Participant, Period,
};
use crate::gamification::period::previous_bounds;
use crate::odoo::WireLit as _;
use crate::odoo::{OdooClient, RowError};
use crate::xmlrpc::Value;

use super::GamificationError;
use crate::odoo::Row;

pub(super) const CHALLENGE_FIELDS: &[&str] = &[
    "name",
    "state",
    "period",
    "start_date",
    "end_date",
    "user_domain",
    "user_ids",
    "reward_id",
    "reward_first_id",
    "reward_second_id",
    "reward_third_id",
    "reward_failure",
    "reward_realtime",
    "report_message_frequency",
];

pub(super) fn leaf(field: &str, op: &str, value: Value) -> Value {
    Value::Array(vec![field.into(), op.into(), value])
}

pub(super) fn ints(ids: impl IntoIterator<Item = i64>) -> Value {
    Value::Array(ids.into_iter().map(Value::Int).collect())
}

/// The domain of the challenges to refresh on `today`: in progress, drafts whose start date
/// has come, and the drafts `start` names. `only` restricts by id.
pub(super) fn challenge_domain(
    today: NaiveDate,
    start: &[i64],
    only: Option<&[i64]>,
) -> Vec<Value> {
    let mut domain = vec![
        "|".into(),
        "|".into(),
        leaf("state", "=", "inprogress".into()),
        "&".into(),
        leaf("state", "=", "draft".into()),
        leaf("start_date", "<=", today.to_string().into()),
        leaf("id", "in", ints(start.iter().copied())),
    ];
    if let Some(only) = only {
        domain.insert(0, "&".into());
        domain.insert(1, leaf("id", "in", ints(only.iter().copied())));
    }
    domain
}

/// Challenges to refresh on `today` (see [`challenge_domain`]), drafts read as started (as
/// Odoo's `action_start` would start them).
pub(crate) async fn challenges(
    client: &OdooClient,
    today: NaiveDate,
    start: &[i64],
    only: Option<&[i64]>,
) -> Result<Read, GamificationError> {
    let rows = client
        .search_read_all(
            "gamification.challenge",
            challenge_domain(today, start, only),
            CHALLENGE_FIELDS,
        )
        .await?;
    challenges_from(&rows)
}

/// Challenge rows (fields [`CHALLENGE_FIELDS`]) as the engine takes them.
pub(super) fn challenges_from(rows: &[crate::xmlrpc::Struct]) -> Result<Read, GamificationError> {
    let mut out = Vec::new();
    let mut started = Vec::new();
    let mut on_change = BTreeSet::new();
    for r in rows {
        let row = Row::new("gamification.challenge", r);
        let id = row.id()?;
        if row.text("report_message_frequency")?.as_deref() == Some("onchange") {
            on_change.insert(id);
        }
        let state_text = required_text(&row, "state")?;
        let Some(mut state) = ChallengeState::parse(&state_text) else {
            return Err(GamificationError::Unexpected {
                what: format!("gamification.challenge {id} state"),
                detail: format!("unknown state {state_text:?}"),
            });
        };
        if state == ChallengeState::Draft {
            started.push(id);
            state = ChallengeState::InProgress;
        }
        out.push(Challenge {
            id,
            name: required_text(&row, "name")?,
            state,
            period: Period::parse(&required_text(&row, "period")?),
            start_date: row.date("start_date")?,
            end_date: row.date("end_date")?,
            user_ids: row.ids("user_ids")?,
            user_domain: row.text("user_domain")?.filter(|d| !d.trim().is_empty()),
            reward_id: row.m2o_id("reward_id")?,
            reward_first_id: row.m2o_id("reward_first_id")?,
            reward_second_id: row.m2o_id("reward_second_id")?,
            reward_third_id: row.m2o_id("reward_third_id")?,
            reward_failure: row.boolean("reward_failure")?,
            reward_realtime: row.boolean("reward_realtime")?,
        });
    }
    Ok(Read {
        challenges: out,
        started,
        on_change,
    })
}

/// The challenges a run refreshes, the drafts it starts, and those reporting on change.
pub(crate) struct Read {
    pub challenges: Vec<Challenge>,
    pub started: Vec<i64>,
    /// Challenges whose report frequency is "On change" (Odoo reports on each goal write).
    pub on_change: BTreeSet<i64>,
}

/// Lines, definitions and the model fields they name. Definition names also come back, to
/// overlay config-as-code computations on manual definitions.
pub(crate) async fn lines_and_definitions(
    client: &OdooClient,
    challenge_ids: &[i64],
) -> Result<(Vec<Line>, HashMap<i64, Definition>), GamificationError> {
    let lines = lines(client, challenge_ids).await?;
    let def_ids: BTreeSet<i64> = lines.iter().map(|l| l.definition_id).collect();
    if def_ids.is_empty() {
        return Ok((lines, HashMap::new()));
    }
    let ids: Vec<i64> = def_ids.into_iter().collect();
    let rows = client
        .read("gamification.goal.definition", &ids, DEFINITION_FIELDS)
        .await?;
    let fields = definition_fields(client, &rows).await?;
    let (mut defs, need_models) = definitions_from(&rows, &fields)?;
    if !need_models.is_empty() {
        let ids: Vec<i64> = need_models.keys().copied().collect();
        let mut models = HashMap::new();
        for r in client.read("ir.model", &ids, &["model"]).await? {
            let row = Row::new("ir.model", &r);
            models.insert(row.id()?, required_text(&row, "model")?);
        }
        name_models(&mut defs, &need_models, &models);
    }
    Ok((lines, defs))
}

/// `ir.model` id → the definitions naming no field whose model it is.
pub(super) type NeedModels = HashMap<i64, Vec<i64>>;

/// Definition rows (fields [`DEFINITION_FIELDS`]) with the fields they name; the second map
/// lists, by `ir.model` id, the definitions naming no field whose model is still to be named.
pub(super) fn definitions_from(
    rows: &[crate::xmlrpc::Struct],
    fields: &HashMap<i64, ModelField>,
) -> Result<(HashMap<i64, Definition>, NeedModels), GamificationError> {
    let mut defs = HashMap::new();
    // Definitions naming no field: their model is found through `model_id` (ir.model).
    let mut need_models = NeedModels::new();
    for r in rows {
        let row = Row::new("gamification.goal.definition", r);
        let (def, model_id) = definition(&row, fields)?;
        if let Some(model_id) = model_id {
            need_models.entry(model_id).or_default().push(def.id);
        }
        defs.insert(def.id, def);
    }
    Ok((defs, need_models))
}

/// Names the model of the definitions `need_models` lists, from `ir.model` id → model.
pub(super) fn name_models(
    defs: &mut HashMap<i64, Definition>,
    need_models: &NeedModels,
    models: &HashMap<i64, String>,
) {
    for (model_id, def_ids) in need_models {
        let Some(model) = models.get(model_id) else {
            continue;
        };
        for def in def_ids {
            if let Some(d) = defs.get_mut(def) {
                d.model = model.clone();
            }
        }
    }
}

/// The lines of the challenges (a line without challenge or definition is left out).
async fn lines(client: &OdooClient, challenge_ids: &[i64]) -> Result<Vec<Line>, GamificationError> {
    let rows = client
        .search_read_all(
            "gamification.challenge.line",
            vec![leaf(
                "challenge_id",
                "in",
                ints(challenge_ids.iter().copied()),
            )],
            LINE_FIELDS,
        )
        .await?;
    lines_from(&rows)
}

pub(super) const LINE_FIELDS: &[&str] =
    &["challenge_id", "definition_id", "target_goal", "sequence"];

/// Line rows (fields [`LINE_FIELDS`]) as the engine takes them.
pub(super) fn lines_from(rows: &[crate::xmlrpc::Struct]) -> Result<Vec<Line>, GamificationError> {
    let mut lines = Vec::new();
    for r in rows {
        let row = Row::new("gamification.challenge.line", r);
        let (Some(challenge_id), Some(definition_id)) =
            (row.m2o_id("challenge_id")?, row.m2o_id("definition_id")?)
        else {
            continue;
        };
        lines.push(Line {
            id: row.id()?,
            challenge_id,
            definition_id,
            target: row.float("target_goal")?,
            sequence: row.int("sequence")?,
        });
    }
    Ok(lines)
}

pub(super) const DEFINITION_FIELDS: &[&str] = &[
    "name",
    "computation_mode",
    "model_id",
    "field_id",
    "field_date_id",
    "domain",
    "batch_mode",
    "batch_distinctive_field",
    "batch_user_expression",
    "condition",
];

/// A field a definition names, as `ir.model.fields` holds it.
#[derive(Clone, Debug)]
pub(super) struct ModelField {
    pub name: String,
    pub model: String,
    pub ttype: String,
}

/// The fields the definitions name, resolved in one read of `ir.model.fields`.
async fn definition_fields(
    client: &OdooClient,
    rows: &[crate::xmlrpc::Struct],
) -> Result<HashMap<i64, ModelField>, GamificationError> {
    let mut field_ids = BTreeSet::new();
    for r in rows {
        let row = Row::new("gamification.goal.definition", r);
        for f in ["field_id", "field_date_id", "batch_distinctive_field"] {
            if let Some(id) = row.m2o_id(f)? {
                field_ids.insert(id);
            }
        }
    }
    let mut fields = HashMap::new();
    if field_ids.is_empty() {
        return Ok(fields);
    }
    let ids: Vec<i64> = field_ids.into_iter().collect();
    for r in client
        .read("ir.model.fields", &ids, &["name", "model", "ttype"])
        .await?
    {
        let row = Row::new("ir.model.fields", &r);
        fields.insert(
            row.id()?,
            ModelField {
                name: required_text(&row, "name")?,
                model: required_text(&row, "model")?,
                ttype: required_text(&row, "ttype")?,
            },
        );
    }
    Ok(fields)
}

/// One definition, and its `model_id` when it names no field to learn its model from.
fn definition(
    row: &Row<'_>,
    fields: &HashMap<i64, ModelField>,
) -> Result<(Definition, Option<i64>), GamificationError> {
    let id = row.id()?;
    let field = |f: &str| -> Result<Option<ModelField>, GamificationError> {
        Ok(row.m2o_id(f)?.and_then(|fid| fields.get(&fid).cloned()))
    };
    let sum_field = field("field_id")?;
    let date_field = field("field_date_id")?;
    let batch_field = field("batch_distinctive_field")?;
    let batch_mode = row.boolean("batch_mode")?;
    // An empty field id shows as 0 in the reason: no such record could be read.
    let unread = |f: &str| -> Result<i64, GamificationError> { Ok(row.m2o_id(f)?.unwrap_or(0)) };
    let mode = match (row.text("computation_mode")?.as_deref(), &sum_field) {
        (Some("count" | "sum"), _) if batch_mode && batch_field.is_none() => {
            Mode::Unsupported(format!(
                "its batch field (ir.model.fields {}) could not be read",
                unread("batch_distinctive_field")?
            ))
        }
        (Some("sum"), None) => Mode::Unsupported(format!(
            "its summed field (ir.model.fields {}) could not be read",
            unread("field_id")?
        )),
        (Some("count"), _) => Mode::Count,
        (Some("sum"), Some(f)) => Mode::Sum {
            field: f.name.clone(),
        },
        (Some("python"), _) => Mode::Python,
        _ => Mode::Manual,
    };
    let model = [&sum_field, &date_field, &batch_field]
        .iter()
        .find_map(|f| f.as_ref().map(|f| f.model.clone()));
    let model_id = match (&model, &mode) {
        (None, Mode::Count | Mode::Sum { .. }) => row.m2o_id("model_id")?,
        _ => None,
    };
    let user_expression = row
        .text("batch_user_expression")?
        .unwrap_or_else(|| "user.id".into());
    let batch = if batch_mode {
        batch_field.as_ref().map(|f| Batch {
            field: f.name.clone(),
            user_expression,
        })
    } else {
        None
    };
    let def = Definition {
        id,
        name: required_text(row, "name")?,
        mode,
        // Empty until `ir.model` names it (a definition naming no field), else the model of
        // the fields it names.
        model: model.unwrap_or_default(),
        date_field: date_field.map(|f| DateField {
            name: f.name,
            is_datetime: f.ttype == "datetime",
        }),
        domain: row.text("domain")?.unwrap_or_else(|| "[]".into()),
        batch,
        condition: Condition::parse(&required_text(row, "condition")?),
    };
    Ok((def, model_id))
}

/// A char or selection field Odoo requires: `False` there is bad data, not an empty text.
pub(crate) fn required_text(row: &Row<'_>, field: &str) -> Result<String, RowError> {
    row.text(field)?.ok_or_else(|| RowError {
        model: row.model.to_owned(),
        field: field.to_owned(),
        expected: "a string",
        got: "False",
    })
}

/// `user_domain` parsed to the wire form (a pure literal: Odoo evaluates it without names).
pub(crate) fn user_domain(
    challenge: &Challenge,
    text: &str,
) -> Result<Vec<Value>, GamificationError> {
    let parsed = Domain::parse(text).map_err(|e| GamificationError::Domain {
        what: format!(
            "user_domain of challenge {} '{}'",
            challenge.id, challenge.name
        ),
        error: e.to_string(),
    })?;
    let lit = parsed.try_to_lit().map_err(|e| GamificationError::Domain {
        what: format!(
            "user_domain of challenge {} '{}'",
            challenge.id, challenge.name
        ),
        error: e.to_string(),
    })?;
    Ok(lit.to_wire_items())
}

pub(super) const USER_FIELDS: &[&str] =
    &["name", "login", "partner_id", "company_id", "company_ids"];

/// A participant and their companies (for `user.company_ids` placeholders).
pub(crate) type Users = HashMap<i64, (Participant, Vec<i64>)>;

pub(super) fn participant(
    r: &crate::xmlrpc::Struct,
) -> Result<(i64, (Participant, Vec<i64>)), GamificationError> {
    let row = Row::new("res.users", r);
    let id = row.id()?;
    Ok((
        id,
        (
            Participant {
                id,
                name: required_text(&row, "name")?,
                login: required_text(&row, "login")?,
                partner_id: row.m2o_id("partner_id")?,
                company_id: row.m2o_id("company_id")?,
            },
            row.ids("company_ids")?,
        ),
    ))
}

/// Participants per challenge: what its `user_domain` selects now (one `search_read` per
/// distinct domain), else its `user_ids`; plus the users of `extra` ids (goal owners). Users
/// already `known` (read with the challenges) are not read again.
pub(crate) async fn participants(
    client: &OdooClient,
    challenges: &[Challenge],
    extra: &BTreeSet<i64>,
    known: Users,
) -> Result<(HashMap<i64, Vec<i64>>, Users), GamificationError> {
    let mut users: Users = known;
    let mut by_domain: HashMap<String, Vec<i64>> = HashMap::new();
    let mut out = HashMap::new();
    for c in challenges {
        let ids = match &c.user_domain {
            Some(text) => {
                if let Some(ids) = by_domain.get(text) {
                    ids.clone()
                } else {
                    let domain = user_domain(c, text)?;
                    let rows = client
                        .search_read_all("res.users", domain, USER_FIELDS)
                        .await?;
                    let mut ids = Vec::new();
                    for r in &rows {
                        let (id, u) = participant(r)?;
                        ids.push(id);
                        users.insert(id, u);
                    }
                    by_domain.insert(text.clone(), ids.clone());
                    ids
                }
            }
            None => c.user_ids.clone(),
        };
        out.insert(c.id, ids);
    }
    let missing: Vec<i64> = out
        .values()
        .flatten()
        .chain(extra.iter())
        .copied()
        .filter(|id| !users.contains_key(id))
        .collect::<BTreeSet<i64>>()
        .into_iter()
        .collect();
    if !missing.is_empty() {
        for r in client.read("res.users", &missing, USER_FIELDS).await? {
            let (id, u) = participant(&r)?;
            users.insert(id, u);
        }
    }
    Ok((out, users))
}

/// Goals of the challenges that can still matter: those of the current and previous periods
/// (for rewards and rankings), and older ones still open (to be computed and closed). Reached
/// and failed goals of older periods are final and not read again.
pub(crate) async fn goals(
    client: &OdooClient,
    challenges: &[Challenge],
    today: NaiveDate,
) -> Result<Vec<Goal>, GamificationError> {
    let ids: Vec<i64> = challenges.iter().map(|c| c.id).collect();
    let cutoff = challenges
        .iter()
        .filter_map(|c| previous_bounds(c.period, today).and_then(|b| b.start))
        .min()
        .unwrap_or_else(|| month_start(today));
    let domain = vec![
        leaf("challenge_id", "in", ints(ids)),
        "|".into(),
        "|".into(),
        leaf("end_date", "=", Value::Bool(false)),
        leaf("end_date", ">=", cutoff.to_string().into()),
        leaf(
            "state",
            "in",
            Value::Array(vec!["draft".into(), "inprogress".into()]),
        ),
    ];
    let rows = client
        .search_read_all("gamification.goal", domain, GOAL_FIELDS)
        .await?;
    goals_from(&rows)
}

fn goals_from(rows: &[crate::xmlrpc::Struct]) -> Result<Vec<Goal>, GamificationError> {
    let mut out = Vec::new();
    for r in rows {
        let row = Row::new("gamification.goal", r);
        let id = row.id()?;
        let (Some(definition_id), Some(user_id)) =
            (row.m2o_id("definition_id")?, row.m2o_id("user_id")?)
        else {
            continue;
        };
        let state_text = required_text(&row, "state")?;
        let Some(state) = GoalState::parse(&state_text) else {
            return Err(GamificationError::Unexpected {
                what: format!("gamification.goal {id} state"),
                detail: format!("unknown state {state_text:?}"),
            });
        };
        out.push(Goal {
            id,
            definition_id,
            user_id,
            line_id: row.m2o_id("line_id")?,
            challenge_id: row.m2o_id("challenge_id")?,
            start_date: row.date("start_date")?,
            end_date: row.date("end_date")?,
            target: row.float("target_goal")?,
            current: row.float("current")?,
            state,
            closed: row.boolean("closed")?,
        });
    }
    out.sort_by_key(|g| g.id);
    Ok(out)
}

const GOAL_FIELDS: &[&str] = &[
    "definition_id",
    "user_id",
    "line_id",
    "challenge_id",
    "start_date",
    "end_date",
    "target_goal",
    "current",
    "state",
    "closed",
];

/// Goals of one challenge whose period lies within `from..=to` (ranking reports).
pub(crate) async fn goals_between(
    client: &OdooClient,
    challenge: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<Goal>, GamificationError> {
    let domain = vec![
        leaf("challenge_id", "=", Value::Int(challenge)),
        leaf("start_date", ">=", from.to_string().into()),
        leaf("end_date", "<=", to.to_string().into()),
    ];
    let rows = client
        .search_read_all("gamification.goal", domain, GOAL_FIELDS)
        .await?;
    goals_from(&rows)
}

/// The first day of `today`'s month.
pub(super) fn month_start(today: NaiveDate) -> NaiveDate {
    today - Days::new(u64::from(today.day0()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xmlrpc::Struct;

    fn goal_row(state: Value, current: Value) -> Struct {
        let mut s = Struct::new();
        s.push("id", Value::Int(9));
        s.push(
            "definition_id",
            Value::Array(vec![Value::Int(2), "Deals".into()]),
        );
        s.push("user_id", Value::Array(vec![Value::Int(7), "An".into()]));
        s.push("line_id", Value::Array(vec![Value::Int(3), "Deals".into()]));
        s.push(
            "challenge_id",
            Value::Array(vec![Value::Int(1), "Monthly".into()]),
        );
        s.push("start_date", "2026-12-01".into());
        s.push("end_date", "2026-12-31".into());
        s.push("target_goal", Value::Double(10.0));
        s.push("current", current);
        s.push("state", state);
        s.push("closed", Value::Bool(false));
        s
    }

    #[test]
    fn a_goal_row_reads_into_a_goal() {
        let goals = goals_from(&[goal_row("reached".into(), Value::Double(4.0))]).unwrap();
        assert_eq!(goals.len(), 1);
        assert_eq!(
            (goals[0].id, goals[0].current, goals[0].state),
            (9, 4.0, GoalState::Reached)
        );
    }

    #[test]
    fn a_goal_with_an_unknown_state_is_an_error_not_a_goal_in_progress() {
        let err = goals_from(&[goal_row("paused".into(), Value::Double(4.0))]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "unexpected answer for gamification.goal 9 state: unknown state \"paused\""
        );
        let err = goals_from(&[goal_row(Value::Bool(false), Value::Double(4.0))]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "unexpected answer for gamification.goal.state: expected a string, got False"
        );
    }

    #[test]
    fn a_non_numeric_goal_value_names_model_and_field_instead_of_reading_0() {
        let err = goals_from(&[goal_row("inprogress".into(), "four".into())]).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("unexpected answer for gamification.goal.current: expected a number"),
            "{err}"
        );
    }

    #[test]
    fn the_month_starts_on_its_first_day() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(month_start(d("2026-12-07")), d("2026-12-01"));
        assert_eq!(month_start(d("2026-03-01")), d("2026-03-01"));
    }
}
