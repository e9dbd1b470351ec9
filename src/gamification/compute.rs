//! Goal computation as queries Odoo answers (semantics §1.7, §1.14): per definition and
//! period, one `read_group` grouped by the user field (batch mode) or one `search_count` /
//! one-row `read_group` per user (non-batch, domains with `user` placeholders), and how their
//! answers become goal values.

use std::collections::{BTreeMap, HashMap};

use chrono::{Duration, NaiveDate};

use super::model::{Batch, DateField, Definition, Mode, Participant};
use super::period::Bounds;
use crate::domain::Lit;

/// Why a definition cannot be computed by scorekeeper.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum Unsupported {
    #[error(
        "goal definition {id} '{name}': computation mode 'python' is not supported (Odoo runs arbitrary code for it); its goals are left as they are"
    )]
    Python { id: i64, name: String },
    #[error(
        "goal definition {id} '{name}': batch user expression {expr:?} is not supported (only user.id, user.partner_id.id, user.company_id.id)"
    )]
    UserExpression { id: i64, name: String, expr: String },
    #[error("goal definition {id} '{name}' has no model")]
    NoModel { id: i64, name: String },
    #[error("goal definition {id} '{name}' is not computed: {reason}")]
    Other {
        id: i64,
        name: String,
        reason: String,
    },
}

/// The aggregate a query asks for.
#[derive(Clone, Debug, PartialEq)]
pub enum Aggregate {
    Count,
    Sum(String),
}

/// What the engine needs computed: one definition over one period for some users.
#[derive(Clone, Debug, PartialEq)]
pub struct Task {
    pub definition_id: i64,
    pub bounds: Bounds,
    /// Users whose value is wanted, ascending, without duplicates.
    pub users: Vec<i64>,
}

/// One Odoo query of a task. The definition's own domain is not included: the caller parses
/// and binds it (`user` placeholders for non-batch definitions) and puts it first.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Query {
    /// `read_group(definition domain + extra, [agg], [group_field], lazy=False)`; each row's
    /// group value is a user key.
    Grouped {
        model: String,
        extra: Vec<Lit>,
        group_field: String,
        aggregate: Aggregate,
        /// user key → users with that key (several users can share a partner or company).
        keys: BTreeMap<i64, Vec<i64>>,
    },
    /// For one user: `search_count` (count) or a one-row `read_group` without groupby (sum),
    /// with the definition domain bound for that user.
    Single {
        model: String,
        extra: Vec<Lit>,
        aggregate: Aggregate,
        user: i64,
    },
}

impl Query {
    /// The model the query counts.
    pub(crate) fn model(&self) -> &str {
        match self {
            Query::Grouped { model, .. } | Query::Single { model, .. } => model,
        }
    }
}

/// The queries for `task`. Batch definitions give one grouped query, others one per user.
pub(crate) fn queries(
    def: &Definition,
    task: &Task,
    users: &HashMap<i64, Participant>,
) -> Result<Vec<Query>, Unsupported> {
    let aggregate = match &def.mode {
        Mode::Count => Aggregate::Count,
        Mode::Sum { field } => Aggregate::Sum(field.clone()),
        Mode::Python => {
            return Err(Unsupported::Python {
                id: def.id,
                name: def.name.clone(),
            });
        }
        Mode::Unsupported(reason) => {
            return Err(Unsupported::Other {
                id: def.id,
                name: def.name.clone(),
                reason: reason.clone(),
            });
        }
        Mode::Manual => return Ok(Vec::new()),
    };
    if def.model.is_empty() {
        return Err(Unsupported::NoModel {
            id: def.id,
            name: def.name.clone(),
        });
    }
    let dates = date_clauses(def.date_field.as_ref(), task.bounds);
    match &def.batch {
        Some(batch) => {
            let mut keys: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
            for uid in &task.users {
                let key = match users.get(uid) {
                    Some(p) => user_key(def, batch, p)?,
                    None if batch.user_expression.trim() == "user.id" => Some(*uid),
                    None => None,
                };
                if let Some(key) = key {
                    keys.entry(key).or_default().push(*uid);
                }
            }
            if keys.is_empty() {
                return Ok(Vec::new());
            }
            let mut extra = vec![leaf(
                &batch.field,
                "in",
                Lit::List(keys.keys().map(|k| Lit::Int(*k)).collect()),
            )];
            extra.extend(dates);
            Ok(vec![Query::Grouped {
                model: def.model.clone(),
                extra,
                group_field: batch.field.clone(),
                aggregate,
                keys,
            }])
        }
        None => Ok(task
            .users
            .iter()
            .map(|&user| Query::Single {
                model: def.model.clone(),
                extra: dates.clone(),
                aggregate: aggregate.clone(),
                user,
            })
            .collect()),
    }
}

/// The period restriction on the definition's date field.
///
/// Date fields get `>= start` and `<= end`. Datetime fields get `>= start 00:00:00` and
/// `< day after end 00:00:00`: Odoo's own string form ends at `end 23:59:59` and drops a
/// record stamped in the last second of the period (`23:59:59.5`); the half-open window
/// counts it, in exactly one period.
pub(crate) fn date_clauses(field: Option<&DateField>, bounds: Bounds) -> Vec<Lit> {
    let Some(field) = field else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if let Some(start) = bounds.start {
        let value = if field.is_datetime {
            format!("{start} 00:00:00")
        } else {
            start.to_string()
        };
        out.push(leaf(&field.name, ">=", Lit::Str(value)));
    }
    if let Some(end) = bounds.end {
        if field.is_datetime {
            let next: NaiveDate = end + Duration::days(1);
            out.push(leaf(&field.name, "<", Lit::Str(format!("{next} 00:00:00"))));
        } else {
            out.push(leaf(&field.name, "<=", Lit::Str(end.to_string())));
        }
    }
    out
}

fn leaf(field: &str, op: &str, value: Lit) -> Lit {
    Lit::Tuple(vec![
        Lit::Str(field.to_string()),
        Lit::Str(op.to_string()),
        value,
    ])
}

/// The value a user is identified by in a batch query (`batch_user_expression`).
pub(crate) fn user_key(
    def: &Definition,
    batch: &Batch,
    user: &Participant,
) -> Result<Option<i64>, Unsupported> {
    match batch
        .user_expression
        .split_whitespace()
        .collect::<String>()
        .as_str()
    {
        "user.id" | "user.id.id" => Ok(Some(user.id)),
        "user.partner_id.id" | "user.partner_id" => Ok(user.partner_id),
        "user.company_id.id" | "user.company_id" => Ok(user.company_id),
        other => Err(Unsupported::UserExpression {
            id: def.id,
            name: def.name.clone(),
            expr: other.to_string(),
        }),
    }
}

/// A `read_group` row, reduced to what the engine needs: the group value (a many2one's id or
/// a scalar id; `None` for the "no user" group) and the aggregate (`__count` or the sum,
/// `False` → 0).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct GroupRow {
    pub key: Option<i64>,
    pub value: f64,
}

/// What to do for users a batch query returned no row for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MissingRows {
    /// Their value is 0, as the non-batch computation of the same definition would say.
    Zero,
    /// Leave their goals untouched, as Odoo does (gotcha 9).
    KeepOdoosValue,
}

/// Values per user from the rows of a grouped query. Users without a row get 0 or nothing.
pub(crate) fn grouped_values(
    keys: &BTreeMap<i64, Vec<i64>>,
    rows: &[GroupRow],
    missing: MissingRows,
) -> HashMap<i64, f64> {
    let mut out = HashMap::new();
    for row in rows {
        if let Some(users) = row.key.and_then(|k| keys.get(&k)) {
            for user in users {
                *out.entry(*user).or_insert(0.0) += row.value;
            }
        }
    }
    if missing == MissingRows::Zero {
        for users in keys.values() {
            for user in users {
                out.entry(*user).or_insert(0.0);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gamification::model::Condition;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn nov() -> Bounds {
        Bounds {
            start: Some(d("2026-11-01")),
            end: Some(d("2026-11-30")),
        }
    }

    fn new_leads() -> Definition {
        Definition {
            id: 6,
            name: "New Leads".into(),
            mode: Mode::Count,
            model: "crm.lead".into(),
            date_field: Some(DateField {
                name: "create_date".into(),
                is_datetime: true,
            }),
            domain: "['|', ('type', '=', 'lead'), ('type', '=', 'opportunity')]".into(),
            batch: Some(Batch {
                field: "user_id".into(),
                user_expression: "user.id".into(),
            }),
            condition: Condition::Higher,
        }
    }

    fn users() -> HashMap<i64, Participant> {
        [2, 6]
            .into_iter()
            .map(|id| {
                (
                    id,
                    Participant {
                        id,
                        name: format!("u{id}"),
                        login: format!("u{id}"),
                        partner_id: Some(id + 1),
                        company_id: Some(1),
                    },
                )
            })
            .collect()
    }

    #[test]
    fn a_batch_definition_is_one_grouped_query_per_period() {
        let task = Task {
            definition_id: 6,
            bounds: nov(),
            users: vec![2, 6],
        };
        let q = queries(&new_leads(), &task, &users()).unwrap();
        assert_eq!(q.len(), 1);
        let Query::Grouped {
            extra,
            group_field,
            aggregate,
            keys,
            ..
        } = &q[0]
        else {
            panic!("not grouped: {q:?}")
        };
        assert_eq!(group_field, "user_id");
        assert_eq!(*aggregate, Aggregate::Count);
        assert_eq!(keys.len(), 2);
        let shown: Vec<String> = extra.iter().map(|l| l.to_string()).collect();
        assert_eq!(
            shown,
            [
                "('user_id', 'in', [2, 6])",
                "('create_date', '>=', '2026-11-01 00:00:00')",
                "('create_date', '<', '2026-12-01 00:00:00')",
            ]
        );
    }

    /// Odoo's RPC form ends a datetime period at `23:59:59`, losing the last fraction of a
    /// second; we use a half-open window on the next day.
    #[test]
    fn datetime_end_of_period_boundary_bug() {
        let field = DateField {
            name: "date_closed".into(),
            is_datetime: true,
        };
        let clauses = date_clauses(Some(&field), nov());
        assert_eq!(
            clauses[1].to_string(),
            "('date_closed', '<', '2026-12-01 00:00:00')"
        );
        let date = DateField {
            name: "invoice_date".into(),
            is_datetime: false,
        };
        let clauses = date_clauses(Some(&date), nov());
        assert_eq!(
            clauses[0].to_string(),
            "('invoice_date', '>=', '2026-11-01')"
        );
        assert_eq!(
            clauses[1].to_string(),
            "('invoice_date', '<=', '2026-11-30')"
        );
        assert!(date_clauses(None, nov()).is_empty());
    }

    #[test]
    fn non_batch_definitions_are_one_query_per_user() {
        let def = Definition {
            batch: None,
            mode: Mode::Sum {
                field: "expected_revenue".into(),
            },
            ..new_leads()
        };
        let task = Task {
            definition_id: 6,
            bounds: nov(),
            users: vec![2, 6],
        };
        let q = queries(&def, &task, &users()).unwrap();
        assert_eq!(q.len(), 2);
        assert!(
            matches!(&q[1], Query::Single { user: 6, aggregate: Aggregate::Sum(f), .. } if f == "expected_revenue")
        );
    }

    #[test]
    fn python_definitions_are_refused_by_name() {
        let def = Definition {
            mode: Mode::Python,
            ..new_leads()
        };
        let task = Task {
            definition_id: 6,
            bounds: nov(),
            users: vec![2],
        };
        let err = queries(&def, &task, &users()).unwrap_err();
        assert!(
            err.to_string()
                .contains("'New Leads': computation mode 'python' is not supported"),
            "{err}"
        );
        let manual = Definition {
            mode: Mode::Manual,
            ..new_leads()
        };
        assert!(queries(&manual, &task, &users()).unwrap().is_empty());
    }

    #[test]
    fn partner_keys_map_back_to_users() {
        let def = Definition {
            batch: Some(Batch {
                field: "partner_id".into(),
                user_expression: "user.partner_id.id".into(),
            }),
            ..new_leads()
        };
        let task = Task {
            definition_id: 6,
            bounds: nov(),
            users: vec![2, 6],
        };
        let q = queries(&def, &task, &users()).unwrap();
        let Query::Grouped { keys, .. } = &q[0] else {
            panic!()
        };
        assert_eq!(keys.get(&3), Some(&vec![2]));
        assert_eq!(keys.get(&7), Some(&vec![6]));
    }

    /// Odoo leaves the goal of a user without any matching record at its initial value
    /// (16 days for "Time to Qualify" with target 15) because no group row names them. We
    /// write 0, as non-batch mode would; `KeepOdoosValue` reproduces Odoo.
    #[test]
    fn batch_mode_never_writing_zero_bug() {
        let keys: BTreeMap<i64, Vec<i64>> = [(2, vec![2]), (6, vec![6])].into_iter().collect();
        let rows = [
            GroupRow {
                key: Some(2),
                value: 3.0,
            },
            GroupRow {
                key: None,
                value: 40.0,
            },
        ];
        let ours = grouped_values(&keys, &rows, MissingRows::Zero);
        assert_eq!(ours.get(&2), Some(&3.0));
        assert_eq!(ours.get(&6), Some(&0.0));
        let odoo = grouped_values(&keys, &rows, MissingRows::KeepOdoosValue);
        assert_eq!(odoo.get(&6), None);
    }
}
