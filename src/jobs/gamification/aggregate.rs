//! The goal values Odoo aggregates for the engine: for each task the engine prepared (a
//! definition and a period), the queries it names (`compute::queries`), sent as `read_group`
//! (batch definitions, one per definition and period) or `search_count` / a sum (one per
//! user), their rows read through [`Row`]. A definition whose domain cannot be evaluated is
//! skipped with the reason, not fatal.

use std::collections::{HashMap, HashSet};

use chrono::{NaiveDate, NaiveTime};

use crate::domain::{Domain, Env, UserCtx};
use crate::gamification::Participant;
use crate::gamification::compute::{self, Aggregate, GroupRow, Query};
use crate::gamification::model::Definition;
use crate::gamification::refresh::{Prepared, Values};
use crate::odoo::WireLit as _;
use crate::odoo::{OdooClient, Row};
use crate::xmlrpc;

use super::read::Users;
use super::reading::Reading;
use super::{GamificationError, Options};

/// The values found, and what it took.
#[derive(Clone, Debug, Default)]
pub(crate) struct Aggregated {
    pub values: Values,
    /// Aggregation queries sent.
    pub queries: usize,
    /// Definitions that could not be computed, with the reason.
    pub skipped: Vec<String>,
}

/// Runs the queries of every prepared task.
pub(crate) async fn aggregate(
    client: &OdooClient,
    reading: &Reading,
    prepared: &Prepared,
    opts: &Options,
) -> Result<Aggregated, GamificationError> {
    let snap = &reading.snap;
    let mut out = Aggregated::default();
    let mut failed: HashSet<i64> = HashSet::new();
    for task in &prepared.tasks {
        let Some(def) = snap.definitions.get(&task.definition_id) else {
            continue;
        };
        if failed.contains(&def.id) {
            continue;
        }
        let queries = match compute::queries(def, task, &snap.users) {
            Ok(q) => q,
            Err(e) => {
                failed.insert(def.id);
                out.skipped.push(e.to_string());
                continue;
            }
        };
        let slot = out.values.entry((def.id, task.bounds)).or_default();
        for q in queries {
            out.queries += 1;
            match run_query(client, def, &q, &reading.users, opts).await {
                Ok(found) => slot.extend(found),
                Err(GamificationError::Domain { what, error }) => {
                    failed.insert(def.id);
                    out.skipped.push(format!("{what}: {error}"));
                    break;
                }
                Err(e) => return Err(e),
            }
        }
    }
    Ok(out)
}

fn definition_domain(
    def: &Definition,
    user: Option<(&Participant, &[i64])>,
    today: NaiveDate,
) -> Result<Vec<xmlrpc::Value>, GamificationError> {
    let what = || format!("goal definition {} '{}' domain", def.id, def.name);
    let parsed = Domain::parse(&def.domain).map_err(|e| GamificationError::Domain {
        what: what(),
        error: e.to_string(),
    })?;
    let mut env = Env::at(today.and_time(NaiveTime::MIN));
    if let Some((p, companies)) = user {
        env = env.with_user(UserCtx {
            id: p.id,
            // A user without partner or company (not possible in Odoo's own screens) binds
            // id 0, which no record has: the domain matches nothing through it.
            partner_id: p.partner_id.unwrap_or(0),
            company_id: p.company_id.unwrap_or(0),
            company_ids: companies.to_vec(),
            login: p.login.clone(),
            name: p.name.clone(),
        });
    }
    let bound = parsed
        .bind(&env)
        .and_then(|d| d.try_to_lit())
        .map_err(|e| GamificationError::Domain {
            what: what(),
            error: if user.is_none() {
                format!("{e} (batch definitions cannot use `user`)")
            } else {
                e.to_string()
            },
        })?;
    Ok(bound.to_wire_items())
}

/// One query: the value per user it found.
async fn run_query(
    client: &OdooClient,
    def: &Definition,
    q: &Query,
    users: &Users,
    opts: &Options,
) -> Result<HashMap<i64, f64>, GamificationError> {
    match q {
        Query::Grouped {
            model,
            extra,
            group_field,
            aggregate,
            keys,
        } => {
            let mut domain = definition_domain(def, None, opts.today)?;
            domain.extend(extra.iter().map(crate::odoo::WireLit::to_wire));
            let agg = match aggregate {
                Aggregate::Count => Vec::new(),
                Aggregate::Sum(f) => vec![format!("{f}:sum")],
            };
            let fields: Vec<&str> = agg.iter().map(String::as_str).collect();
            let rows = client
                .read_group(model, domain, &fields, &[group_field], false)
                .await?;
            let mut parsed = Vec::with_capacity(rows.len());
            for r in &rows {
                let row = Row::new(model, r);
                parsed.push(GroupRow {
                    key: row.m2o_id(group_field)?,
                    value: aggregated(&row, aggregate)?,
                });
            }
            Ok(compute::grouped_values(keys, &parsed, opts.missing_rows))
        }
        Query::Single {
            model,
            extra,
            aggregate,
            user,
        } => {
            let ctx = users.get(user).map(|(p, c)| (p, c.as_slice()));
            let mut domain = definition_domain(def, ctx, opts.today)?;
            domain.extend(extra.iter().map(crate::odoo::WireLit::to_wire));
            let value = match aggregate {
                Aggregate::Count => client.search_count(model, domain).await? as f64,
                Aggregate::Sum(f) => {
                    let spec = format!("{f}:sum");
                    let rows = client
                        .read_group(model, domain, &[spec.as_str()], &[], false)
                        .await?;
                    match rows.first() {
                        Some(r) => aggregated(&Row::new(model, r), aggregate)?,
                        // No group at all: nothing matched, the sum is 0 (as Odoo's is).
                        None => 0.0,
                    }
                }
            };
            Ok([(*user, value)].into_iter().collect())
        }
    }
}

/// The count or sum of one `read_group` row. A sum over nothing is `False` over XML-RPC and
/// `null` over JSON-RPC: 0 either way, as Odoo's goal computation takes it.
fn aggregated(row: &Row<'_>, aggregate: &Aggregate) -> Result<f64, GamificationError> {
    let field = match aggregate {
        Aggregate::Count => "__count",
        Aggregate::Sum(f) => f.as_str(),
    };
    match row.get(field) {
        Some(xmlrpc::Value::Nil) => Ok(0.0),
        _ => Ok(row.float(field)?),
    }
}
