//! The challenges a refresh takes, with their lines, goal definitions, the `ir.model.fields`
//! and `ir.model` those name, and the users of their `user_ids`, in **one** call: Odoo 17's
//! `web_search_read`, whose specification reads related records in the same request
//! (`addons/web/models/models.py`). The nested answer is flattened into the rows the
//! parsers of [`super::read`] take, so both ways of reading give the same engine input.
//! Odoo 16 has no such specification; there the refresh reads model by model.

use std::collections::HashMap;

use chrono::NaiveDate;

use crate::gamification::model::{Definition, Line};
use crate::odoo::{OdooClient, Row};
use crate::xmlrpc::{Struct, Value};

use super::GamificationError;
use super::read::{self, ModelField, Read, Users};

/// What the one call read.
pub(crate) struct Structure {
    pub read: Read,
    pub lines: Vec<Line>,
    pub definitions: HashMap<i64, Definition>,
    /// The users of the challenges' `user_ids`, with their companies.
    pub users: Users,
}

/// `{field: {}}` for each of `fields`: read as they are (a many2one as its bare id).
fn plain(fields: &[&str]) -> Struct {
    fields
        .iter()
        .map(|f| ((*f).to_owned(), Value::Struct(Struct::new())))
        .collect()
}

/// `{fields: spec}`: the related records' fields, read in the same call.
fn nested(spec: Struct) -> Value {
    let mut s = Struct::new();
    s.push("fields", Value::Struct(spec));
    Value::Struct(s)
}

fn specification() -> Struct {
    let field = || nested(plain(&["name", "model", "ttype"]));
    let mut definition = plain(read::DEFINITION_FIELDS);
    for f in ["field_id", "field_date_id", "batch_distinctive_field"] {
        definition.insert(f, field());
    }
    definition.insert("model_id", nested(plain(&["model"])));
    let mut line = plain(read::LINE_FIELDS);
    line.insert("definition_id", nested(definition));
    let mut challenge = plain(read::CHALLENGE_FIELDS);
    challenge.insert("line_ids", nested(line));
    challenge.insert("user_ids", nested(plain(read::USER_FIELDS)));
    challenge
}

/// Reads the challenges to refresh on `today` (as [`read::challenges`]) with everything
/// above them, in one `web_search_read`.
pub(crate) async fn read(
    client: &OdooClient,
    today: NaiveDate,
    start: &[i64],
    only: Option<&[i64]>,
) -> Result<Structure, GamificationError> {
    let rows = client
        .web_search_read(
            "gamification.challenge",
            read::challenge_domain(today, start, only),
            specification(),
        )
        .await?;
    flatten(rows)
}

/// The nested answer as the flat rows `read`'s parsers take.
fn flatten(rows: Vec<Struct>) -> Result<Structure, GamificationError> {
    let mut challenges = Vec::with_capacity(rows.len());
    let mut lines = Vec::new();
    let mut definitions: HashMap<i64, Struct> = HashMap::new();
    let mut fields: HashMap<i64, ModelField> = HashMap::new();
    let mut models: HashMap<i64, String> = HashMap::new();
    let mut users: Users = HashMap::new();
    for mut challenge in rows {
        for user in records(&mut challenge, "gamification.challenge", "user_ids")? {
            let (id, u) = read::participant(&user)?;
            users.insert(id, u);
        }
        for mut line in records(&mut challenge, "gamification.challenge", "line_ids")? {
            if let Some(mut def) =
                record(&mut line, "gamification.challenge.line", "definition_id")?
            {
                for f in ["field_id", "field_date_id", "batch_distinctive_field"] {
                    if let Some(field) = record(&mut def, "gamification.goal.definition", f)? {
                        let row = Row::new("ir.model.fields", &field);
                        fields.insert(
                            row.id()?,
                            ModelField {
                                name: read::required_text(&row, "name")?,
                                model: read::required_text(&row, "model")?,
                                ttype: read::required_text(&row, "ttype")?,
                            },
                        );
                    }
                }
                if let Some(model) = record(&mut def, "gamification.goal.definition", "model_id")? {
                    let row = Row::new("ir.model", &model);
                    models.insert(row.id()?, read::required_text(&row, "model")?);
                }
                definitions.insert(Row::new("gamification.goal.definition", &def).id()?, def);
            }
            lines.push(line);
        }
        challenges.push(challenge);
    }
    let read = read::challenges_from(&challenges)?;
    let lines = read::lines_from(&lines)?;
    let rows: Vec<Struct> = definitions.into_values().collect();
    let (mut definitions, need_models) = read::definitions_from(&rows, &fields)?;
    read::name_models(&mut definitions, &need_models, &models);
    Ok(Structure {
        read,
        lines,
        definitions,
        users,
    })
}

/// Takes the nested records of an x2many out of `row`, leaving their ids in their place.
fn records(row: &mut Struct, model: &str, field: &str) -> Result<Vec<Struct>, GamificationError> {
    let items = match row.remove(field) {
        Some(Value::Array(items)) => items,
        Some(Value::Bool(false)) | None => Vec::new(),
        Some(other) => return Err(bad(model, field, &other)),
    };
    let mut out = Vec::with_capacity(items.len());
    let mut ids = Vec::with_capacity(items.len());
    for item in items {
        match item {
            Value::Struct(s) => {
                ids.push(Value::Int(Row::new(model, &s).id()?));
                out.push(s);
            }
            other => return Err(bad(model, field, &other)),
        }
    }
    row.insert(field, Value::Array(ids));
    Ok(out)
}

/// Takes the nested record of a many2one out of `row` (`None` for `False`), leaving its id.
/// A bare id (a record that could not be read) stays as it is: the parsers say which.
fn record(row: &mut Struct, model: &str, field: &str) -> Result<Option<Struct>, GamificationError> {
    match row.remove(field) {
        Some(Value::Int(id)) => {
            row.insert(field, Value::Int(id));
            Ok(None)
        }
        Some(Value::Struct(s)) => {
            row.insert(field, Value::Int(Row::new(model, &s).id()?));
            Ok(Some(s))
        }
        Some(Value::Bool(false)) | None => {
            row.insert(field, Value::Bool(false));
            Ok(None)
        }
        Some(other) => Err(bad(model, field, &other)),
    }
}

fn bad(model: &str, field: &str, got: &Value) -> GamificationError {
    GamificationError::Unexpected {
        what: format!("{model}.{field}"),
        detail: format!("expected the records web_search_read nests, got {got:?}"),
    }
}
