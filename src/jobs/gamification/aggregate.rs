//! The goal values Odoo aggregates for the engine: for each task the engine prepared (a
//! definition and a period), the queries it names (`compute::queries`), sent as `read_group`
//! (batch definitions, one per definition and period) or `search_count` / a sum (one per
//! user), their rows read through [`Row`]. A definition whose domain cannot be evaluated is
//! skipped with the reason, not fatal. Given the last run's answers ([`super::answers`]),
//! each counted model is probed once and the queries on unchanged models are not sent.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{NaiveDate, NaiveTime};

use crate::domain::{Domain, Env, UserCtx};
use crate::gamification::Participant;
use crate::gamification::compute::{self, Aggregate, GroupRow, Query};
use crate::gamification::model::Definition;
use crate::gamification::refresh::{Prepared, Values};
use crate::odoo::WireLit as _;
use crate::odoo::{OdooClient, Row};
use crate::xmlrpc;

use super::answers::{self, Answers, Fingerprint};
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
    /// This run's answers, to keep for the next (when the last run's were given).
    pub answers: Option<Answers>,
}

/// Runs the queries of every prepared task. With `kept` (the last run's answers), each model
/// the queries count is probed first, and a query the kept answers hold for an unchanged
/// model is answered from them instead of sent.
pub(crate) async fn aggregate(
    client: &OdooClient,
    reading: &Reading,
    prepared: &Prepared,
    opts: &Options,
    kept: Option<&Answers>,
) -> Result<Aggregated, GamificationError> {
    let snap = &reading.snap;
    let mut out = Aggregated::default();
    let mut failed: HashSet<i64> = HashSet::new();
    // `None`: the model has no `write_date` to probe.
    let mut probes: BTreeMap<String, Option<Fingerprint>> = BTreeMap::new();
    let mut fresh = Answers {
        day: Some(opts.today.to_string()),
        stamped: kept.map(|k| k.stamped.clone()).unwrap_or_default(),
        ..Answers::default()
    };
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
            // Probed before its first query is sent: a write in between shows at the next
            // probe, and the answer is asked again then.
            let keyed = match kept {
                Some(kept) if follows_no_relation(def) => {
                    let model = q.model().to_owned();
                    if !probes.contains_key(&model) {
                        let stamped = match fresh.stamped.get(&model) {
                            Some(&known) => known,
                            None => {
                                let known = answers::stamped(client, &model).await?;
                                fresh.stamped.insert(model.clone(), known);
                                known
                            }
                        };
                        let print = if stamped {
                            Some(answers::probe(client, &model).await?)
                        } else {
                            None
                        };
                        probes.insert(model.clone(), print);
                    }
                    match probes.get(&model) {
                        Some(Some(print)) => {
                            let key = query_key(def, &q, &reading.users, opts);
                            if let Some(found) = kept.get(opts.today, &model, Some(print), &key) {
                                slot.extend(found.iter().copied());
                                fresh.values.insert(key, found.to_vec());
                                continue;
                            }
                            Some(key)
                        }
                        _ => None,
                    }
                }
                _ => None,
            };
            out.queries += 1;
            match run_query(client, def, &q, &reading.users, opts).await {
                Ok(found) => {
                    if let Some(key) = keyed {
                        let mut pairs: Vec<(i64, f64)> =
                            found.iter().map(|(u, v)| (*u, *v)).collect();
                        pairs.sort_by_key(|(u, _)| *u);
                        fresh.values.insert(key, pairs);
                    }
                    slot.extend(found);
                }
                Err(GamificationError::Domain { what, error }) => {
                    failed.insert(def.id);
                    out.skipped.push(format!("{what}: {error}"));
                    break;
                }
                Err(e) => return Err(e),
            }
        }
    }
    if kept.is_some() {
        fresh.models = probes
            .into_iter()
            .filter_map(|(model, print)| Some((model, print?)))
            .collect();
        out.answers = Some(fresh);
    }
    Ok(out)
}

/// Whether the definition's domain reads only fields of its own model (a dotted path reads
/// another model, whose writes the probe of this one does not see).
fn follows_no_relation(def: &Definition) -> bool {
    Domain::parse(&def.domain).is_ok_and(|d| d.fields().iter().all(|f| !f.contains('.')))
}

/// Everything a query's answer depends on besides the model's records: the query (model,
/// period clauses, user keys, aggregate), the definition's domain and, for a per-user query,
/// the user it is bound to; the day is the kept answers' own.
fn query_key(def: &Definition, q: &Query, users: &Users, opts: &Options) -> String {
    let user = match q {
        Query::Single { user, .. } => users.get(user).map(|u| format!("{u:?}")),
        Query::Grouped { .. } => None,
    };
    format!("{q:?}|{}|{user:?}|{:?}", def.domain, opts.missing_rows)
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
