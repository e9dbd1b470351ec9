//! The gamification job: reads challenges, goals and definitions from Odoo, lets Odoo
//! aggregate the goal values (`read_group` per definition and period), and plans the goal
//! creates and writes, badge grants and karma entries that `apply` then executes.
//!
//! Calls for a full refresh: challenges, lines, definitions, `ir.model.fields` (plus
//! `ir.model` only for definitions naming no field), one `res.users` search per distinct
//! `user_domain` (plus one read for other users), goals — then one query per definition and
//! period for batch definitions (one per user for non-batch ones), and two more (badges,
//! grants) only when a challenge has rewards. Writes come on top: grouped goal writes, one
//! `create` per model and batch.
//!
//! Drafts are started as Odoo's `action_start` would (state `inprogress`, goals generated):
//! a real Odoo generates the missing goals itself on that write, so `run` creates them first
//! (keyed) and writes the state last; Odoo then finds nothing to generate and `plan` is what
//! `run` does. What Odoo still does by itself is predicted (`gamification::side_effects`) and
//! checked after the start (two `search` calls, only when a draft is started). Challenges past
//! their end date are not written `done` by us: Odoo's cron does that, and its write runs
//! Odoo's own reward code.

mod job;
mod keys;
mod points;
mod read;
mod setup;
mod writer;

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::{NaiveDate, NaiveDateTime};
use thiserror::Error;

use crate::apply::{self, ApplyError, ApplyOptions, ApplyReport};
use crate::config::{GamificationConfig, Measure};
use crate::domain::{Domain, Env, UserCtx};
use crate::gamification::compute::{self, Aggregate, GroupRow, MissingRows, Query};
use crate::gamification::duplicates;
use crate::gamification::leaderboard::{self, Column, Leaderboard};
use crate::gamification::model::{Batch, DateField, Definition, Mode};
use crate::gamification::period::{Bounds, challenge_bounds};
use crate::gamification::ranking::Order;
use crate::gamification::refresh::{self, Snapshot, Values};
use crate::gamification::rewards::{self, RewardInput};
use crate::gamification::side_effects::{self, SideEffect};
use crate::odoo::WireLit as _;
use crate::odoo::{OdooClient, OdooError};
use crate::plan::{FieldChange, InvalidKey, Plan};
use crate::record::{FieldType, Value};
use crate::state::State;
use crate::xmlrpc;

pub(crate) use crate::odoo::Row;
pub use job::GamificationJob;
pub use keys::{KEY_FIELD, KeyFields, ensure_key_fields, key_fields};
pub use points::{karma_plan, trial, trial_report};
pub(crate) use read::marker_key;
pub use setup::{SetupReport, setup};
pub use writer::{ClientWriter, goal_key};

/// Why the gamification job could not plan or run.
#[derive(Debug, Error)]
pub enum GamificationError {
    #[error(transparent)]
    Odoo(#[from] OdooError),
    #[error(transparent)]
    Row(#[from] crate::odoo::RowError),
    #[error("unexpected answer for {what}: {detail}")]
    Unexpected { what: String, detail: String },
    #[error("{what}: {error}")]
    Domain { what: String, error: String },
    #[error(
        "user {login:?} (id {uid}) may not grant badge {badge} '{name}' (rule_auth = {rule_auth}): Odoo checks badge rights against the creating user; add this user to Administration / Access Rights, or set the badge's allowance to everyone"
    )]
    GrantRights {
        login: String,
        uid: i64,
        badge: i64,
        name: String,
        rule_auth: String,
    },
    #[error("no challenge named or numbered {0:?} in Odoo")]
    NoChallenge(String),
    /// `setup` failed after creating records; it removed them again (`left`: those it could
    /// not remove, by model and id).
    #[error("{error}; setup removed the {removed} record(s) it had created{}", if left.is_empty() { String::new() } else { format!(", except {}", left.join(", ")) })]
    SetupRolledBack {
        error: Box<GamificationError>,
        removed: usize,
        left: Vec<String>,
    },
    #[error(transparent)]
    Key(#[from] InvalidKey),
    #[error(transparent)]
    Apply(#[from] ApplyError),
}

/// How a run behaves.
#[derive(Clone, Debug)]
pub struct Options {
    /// UTC date the periods are computed for (injected; Odoo uses the server's UTC date).
    pub today: NaiveDate,
    /// Draft challenges to start now, as Odoo's `action_start`.
    pub start: Vec<i64>,
    /// Only these challenges (all relevant ones when `None`).
    pub only: Option<Vec<i64>>,
    /// Users without any matching record in a batch definition: 0, or untouched as in Odoo.
    pub missing_rows: MissingRows,
    /// Config-as-code computations, by goal definition name, for definitions that Odoo holds
    /// as `manually`.
    pub overrides: HashMap<String, Definition>,
    /// Compute the challenges made in Odoo's screens too (`odoo_challenges`); when false,
    /// only those named in `config_challenges`.
    pub odoo_challenges: bool,
    pub config_challenges: Vec<String>,
}

impl Options {
    pub fn new(today: NaiveDate) -> Options {
        Options {
            today,
            start: Vec::new(),
            only: None,
            missing_rows: MissingRows::Zero,
            overrides: HashMap::new(),
            odoo_challenges: true,
            config_challenges: Vec::new(),
        }
    }

    /// Options from the `[gamification]` section.
    pub fn from_config(config: &GamificationConfig, today: NaiveDate) -> Options {
        let mut opts = Options::new(today);
        opts.missing_rows = if config.batch_missing_as_zero {
            MissingRows::Zero
        } else {
            MissingRows::KeepOdoosValue
        };
        opts.overrides = overrides(config);
        opts.odoo_challenges = config.odoo_challenges;
        opts.config_challenges = config.challenges.iter().map(|c| c.name.clone()).collect();
        opts
    }
}

/// The engine-side definitions of the config's challenge lines, by definition name.
pub fn overrides(config: &GamificationConfig) -> HashMap<String, Definition> {
    let mut out = HashMap::new();
    for c in &config.challenges {
        for l in &c.lines {
            out.insert(
                l.name.clone(),
                Definition {
                    id: 0,
                    name: l.name.clone(),
                    mode: match &l.measure {
                        Measure::Count => Mode::Count,
                        Measure::Sum(f) => Mode::Sum { field: f.clone() },
                    },
                    model: l.model.clone(),
                    // Whether it is a datetime is learnt from Odoo at run time
                    // (`resolve_date_types`).
                    date_field: l.date_field.as_ref().map(|f| DateField {
                        name: f.clone(),
                        is_datetime: true,
                    }),
                    domain: l.domain.clone(),
                    batch: Some(Batch {
                        field: l.user_field.clone(),
                        user_expression: "user.id".into(),
                    }),
                    condition: l.condition,
                },
            );
        }
    }
    out
}

/// What a planning pass found besides the plan.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    pub plan: Plan,
    /// Drafts this run starts.
    pub started: Vec<i64>,
    /// Definitions that could not be computed, with the reason (e.g. `python` mode).
    pub skipped: Vec<String>,
    /// Grants held back (monthly badge limits).
    pub withheld: Vec<String>,
    /// Aggregation queries sent to Odoo.
    pub queries: usize,
    /// Goals after this run (new ones with id 0), for reports and leaderboards.
    pub goals: Vec<crate::gamification::Goal>,
    /// What Odoo will do by itself when these writes land.
    pub side_effects: Vec<SideEffect>,
    /// What a run saw Odoo do that the plan did not predict.
    pub surprises: Vec<String>,
}

/// Computes the gamification plan without writing anything.
pub async fn plan(client: &OdooClient, opts: &Options) -> Result<Outcome, GamificationError> {
    let read::Read {
        challenges,
        started,
        on_change,
    } = read::challenges(client, opts.today, &opts.start, opts.only.as_deref()).await?;
    let mut out = Outcome {
        plan: Plan::new("gamification"),
        started: started.clone(),
        ..Outcome::default()
    };
    if challenges.is_empty() {
        return Ok(out);
    }
    for id in &started {
        out.plan.push_write(
            "gamification.challenge",
            *id,
            vec![FieldChange::new(
                "state",
                Value::Str("draft".into()),
                Value::Str("inprogress".into()),
            )],
            "start the challenge (its start date has come, or asked to)",
        );
    }
    let ids: Vec<i64> = challenges.iter().map(|c| c.id).collect();
    let (lines, mut definitions) = read::lines_and_definitions(client, &ids).await?;
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
    for d in &duplicate_goals {
        let g = &d.goal;
        let date = |d: Option<NaiveDate>| d.map_or(Value::Null, |d| Value::Str(d.to_string()));
        let m2o = |id: Option<i64>| id.map_or(Value::Null, Value::Many2one);
        out.plan.push_unlink(
            "gamification.goal",
            g.id,
            vec![
                (
                    "definition_id".to_string(),
                    Value::Many2one(g.definition_id),
                ),
                ("user_id".to_string(), Value::Many2one(g.user_id)),
                ("line_id".to_string(), m2o(g.line_id)),
                ("start_date".to_string(), date(g.start_date)),
                ("end_date".to_string(), date(g.end_date)),
                ("target_goal".to_string(), Value::Float(g.target)),
                ("current".to_string(), Value::Float(g.current)),
                ("state".to_string(), Value::Str(g.state.as_str().into())),
                ("closed".to_string(), Value::Bool(g.closed)),
            ],
            format!(
                "duplicate of goal {} (line {}, user {}, {}..{})",
                d.kept,
                g.line_id.unwrap_or(0),
                g.user_id,
                g.start_date.map(|d| d.to_string()).unwrap_or_default(),
                g.end_date.map(|d| d.to_string()).unwrap_or_default()
            ),
        );
    }
    let goal_users: BTreeSet<i64> = goals.iter().map(|g| g.user_id).collect();
    let (participants, users) = read::participants(client, &challenges, &goal_users).await?;
    let snap = Snapshot {
        challenges,
        lines,
        definitions,
        participants,
        users: users.iter().map(|(id, (p, _))| (*id, p.clone())).collect(),
        goals,
    };
    let prepared = refresh::prepare(&snap, opts.today);
    out.skipped
        .extend(prepared.unsupported.iter().map(|u| u.to_string()));
    let values = compute_values(client, &snap, &users, &prepared, opts, &mut out).await?;
    let settled = refresh::settle(&snap, &prepared, &values, opts.today);
    out.side_effects = side_effects::predict(&snap, &started, &on_change, &settled, opts.today);

    for new in &settled.creates {
        let key = goal_key(new.line_id, new.user_id, &new.bounds.label())?;
        let date = |d: Option<NaiveDate>| d.map_or(Value::Null, |d| Value::Str(d.to_string()));
        let mut values = vec![
            (
                "definition_id".to_string(),
                Value::Many2one(new.definition_id),
            ),
            ("user_id".to_string(), Value::Many2one(new.user_id)),
            ("line_id".to_string(), Value::Many2one(new.line_id)),
            ("start_date".to_string(), date(new.bounds.start)),
            ("end_date".to_string(), date(new.bounds.end)),
            ("target_goal".to_string(), Value::Float(new.target)),
            ("current".to_string(), Value::Float(new.values.current)),
            (
                "state".to_string(),
                Value::Str(new.values.state.as_str().into()),
            ),
        ];
        if new.values.closed {
            values.push(("closed".to_string(), Value::Bool(true)));
        }
        let who = snap
            .users
            .get(&new.user_id)
            .map_or_else(|| format!("user {}", new.user_id), |u| u.name.clone());
        out.plan.push_create(
            "gamification.goal",
            values,
            key,
            format!(
                "new goal of {who} for {} (line {})",
                new.bounds.label(),
                new.line_id
            ),
        );
    }
    for w in &settled.writes {
        out.plan.push_write(
            "gamification.goal",
            w.goal_id,
            vec![
                FieldChange::new(
                    "current",
                    Value::Float(w.old.current),
                    Value::Float(w.new.current),
                ),
                FieldChange::new(
                    "state",
                    Value::Str(w.old.state.as_str().into()),
                    Value::Str(w.new.state.as_str().into()),
                ),
                FieldChange::new(
                    "closed",
                    Value::Bool(w.old.closed),
                    Value::Bool(w.new.closed),
                ),
            ],
            format!("goal value {} → {}", w.old.current, w.new.current),
        );
    }

    if snap
        .challenges
        .iter()
        .any(|c| c.reward_id.is_some() || c.reward_first_id.is_some())
    {
        plan_rewards(client, &snap, &settled.goals, opts, &mut out).await?;
    }
    out.goals = settled.goals;
    Ok(out)
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
                let ty = fields.field(&date.name).map(|f| &f.ty);
                match ty {
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

async fn compute_values(
    client: &OdooClient,
    snap: &Snapshot,
    users: &read::Users,
    prepared: &refresh::Prepared,
    opts: &Options,
    out: &mut Outcome,
) -> Result<Values, GamificationError> {
    let mut values: Values = HashMap::new();
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
        let slot = values.entry((def.id, task.bounds)).or_default();
        for q in queries {
            out.queries += 1;
            match run_query(client, def, &q, users, opts).await {
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
    Ok(values)
}

fn definition_domain(
    def: &Definition,
    user: Option<(&crate::gamification::Participant, &[i64])>,
    today: NaiveDate,
) -> Result<Vec<xmlrpc::Value>, GamificationError> {
    let what = || format!("goal definition {} '{}' domain", def.id, def.name);
    let parsed = Domain::parse(&def.domain).map_err(|e| GamificationError::Domain {
        what: what(),
        error: e.to_string(),
    })?;
    let now: NaiveDateTime = today.and_hms_opt(0, 0, 0).unwrap_or_default();
    let mut env = Env::at(now);
    if let Some((p, companies)) = user {
        env = env.with_user(UserCtx {
            id: p.id,
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

async fn run_query(
    client: &OdooClient,
    def: &Definition,
    q: &Query,
    users: &read::Users,
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
            domain.extend(extra.iter().map(crate::domain::Lit::to_wire));
            let agg = match aggregate {
                Aggregate::Count => Vec::new(),
                Aggregate::Sum(f) => vec![format!("{f}:sum")],
            };
            let fields: Vec<&str> = agg.iter().map(String::as_str).collect();
            let rows = client
                .read_group(model, domain, &fields, &[group_field], false)
                .await?;
            let mut parsed = Vec::new();
            for r in &rows {
                let key = match r.get(group_field) {
                    Some(xmlrpc::Value::Int(i)) => Some(*i),
                    Some(v) => v.as_many2one().map(|(id, _)| id),
                    None => None,
                };
                let value = match aggregate {
                    Aggregate::Count => r
                        .get("__count")
                        .and_then(xmlrpc::Value::as_f64)
                        .unwrap_or(0.0),
                    Aggregate::Sum(f) => r.get(f).and_then(xmlrpc::Value::as_f64).unwrap_or(0.0),
                };
                parsed.push(GroupRow { key, value });
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
            domain.extend(extra.iter().map(crate::domain::Lit::to_wire));
            let value = match aggregate {
                Aggregate::Count => client.search_count(model, domain).await? as f64,
                Aggregate::Sum(f) => {
                    let spec = format!("{f}:sum");
                    let rows = client
                        .read_group(model, domain, &[spec.as_str()], &[], false)
                        .await?;
                    rows.first()
                        .and_then(|r| r.get(f))
                        .and_then(xmlrpc::Value::as_f64)
                        .unwrap_or(0.0)
                }
            };
            Ok([(*user, value)].into_iter().collect())
        }
    }
}

async fn plan_rewards(
    client: &OdooClient,
    snap: &Snapshot,
    goals: &[crate::gamification::Goal],
    opts: &Options,
    out: &mut Outcome,
) -> Result<(), GamificationError> {
    let uid = client.uid().unwrap_or(0);
    let grants = read::grants(client, &snap.challenges, uid, opts.today).await?;
    for d in &grants.duplicates {
        out.plan.push_unlink(
            "gamification.badge.user",
            d.id,
            d.values.clone(),
            format!("duplicate of badge grant {} [{}]", d.kept, d.key),
        );
    }
    let conditions = snap
        .definitions
        .values()
        .map(|d| (d.id, d.condition))
        .collect();
    let mut sent = grants.sent_this_month.clone();
    let empty = HashMap::new();
    let mut planned = Vec::new();
    for c in &snap.challenges {
        let participants: Vec<_> = snap
            .participants
            .get(&c.id)
            .into_iter()
            .flatten()
            .filter_map(|id| snap.users.get(id).cloned())
            .collect();
        let lines = snap.lines_of(c.id).len();
        for (bounds, closing) in rewards::due_periods(c, goals, opts.today) {
            let input = RewardInput {
                challenge: c,
                lines,
                conditions: &conditions,
                bounds,
                closing,
                goals,
                participants: &participants,
                granted_keys: &grants.keys,
                held: grants.held.get(&c.id).unwrap_or(&empty),
                badges: &grants.badges,
                sent_this_month: &sent,
            };
            let r = rewards::rewards(&input)?;
            for g in &r.grants {
                if grants
                    .badges
                    .get(&g.badge_id)
                    .is_some_and(|b| b.monthly_limit.is_some())
                {
                    *sent.entry(g.badge_id).or_insert(0) += 1;
                }
            }
            out.withheld.extend(
                r.withheld
                    .iter()
                    .map(|w| format!("user {}: {}", w.user_id, w.reason)),
            );
            planned.extend(r.grants);
        }
    }
    if planned.is_empty() {
        return Ok(());
    }
    let restricted: Vec<i64> = planned
        .iter()
        .map(|g| g.badge_id)
        .filter(|b| {
            grants.rule_auth.get(b).is_some_and(|a| a != "everyone")
                || grants
                    .badges
                    .get(b)
                    .is_some_and(|x| x.monthly_limit.is_some())
        })
        .collect();
    if let Some(&badge) = restricted.first() {
        check_grant_rights(client, uid, badge, &grants).await?;
    }
    for g in planned {
        let mut values = vec![
            ("user_id".to_string(), Value::Many2one(g.user_id)),
            ("badge_id".to_string(), Value::Many2one(g.badge_id)),
            ("challenge_id".to_string(), Value::Many2one(g.challenge_id)),
            ("comment".to_string(), Value::Str(g.reason.clone())),
        ];
        grants
            .key_fields
            .put("gamification.badge.user", &mut values, &g.key);
        out.plan.push_create(
            "gamification.badge.user",
            values,
            g.key.clone(),
            g.reason.clone(),
        );
    }
    Ok(())
}

/// Odoo checks badge rights against the creating user (gotcha 13): only the superuser or an
/// *Access Rights* member may grant restricted badges; say so before apply hits the fault.
async fn check_grant_rights(
    client: &OdooClient,
    uid: i64,
    badge: i64,
    grants: &read::Grants,
) -> Result<(), GamificationError> {
    if uid == 1 {
        return Ok(());
    }
    // The group by its XML id (names are translated), then the user among its members
    // through the version's all-groups field: `groups_id` up to 18; on 19 `group_ids` holds
    // direct groups only and `all_group_ids.name` is refused, `[('all_group_ids', 'in',
    // [gid])]` is what works (../shared/odoo19/README.md).
    let groups_field = client.profile().await?.user_groups_field;
    let gid = access_rights_group(client).await?;
    let domain = vec![
        xmlrpc::Value::Array(vec!["id".into(), "=".into(), xmlrpc::Value::Int(uid)]),
        xmlrpc::Value::Array(vec![
            groups_field.into(),
            "in".into(),
            xmlrpc::Value::Array(gid.into_iter().map(xmlrpc::Value::Int).collect()),
        ]),
    ];
    if client.search_count("res.users", domain).await? > 0 {
        return Ok(());
    }
    Err(GamificationError::GrantRights {
        login: client.credentials().login.clone(),
        uid,
        badge,
        name: grants
            .badges
            .get(&badge)
            .map(|b| b.name.clone())
            .unwrap_or_default(),
        rule_auth: grants.rule_auth.get(&badge).cloned().unwrap_or_default(),
    })
}

/// The ids of Odoo's *Access Rights* group (`base.group_erp_manager`, named alike on 17 and
/// 19; `ir.model.data` is not readable by every bot, the name is).
async fn access_rights_group(client: &OdooClient) -> Result<Vec<i64>, GamificationError> {
    let domain = vec![xmlrpc::Value::Array(vec![
        "name".into(),
        "=".into(),
        "Access Rights".into(),
    ])];
    let ids = client
        .search_ids("res.groups", domain, &crate::odoo::SearchOptions::default())
        .await?;
    Ok(ids.iter().collect())
}

/// Plans once, then applies in two steps: everything but the starts of draft challenges,
/// then the starts. A real Odoo generates a started challenge's missing goals (and deletes
/// those of users no longer selected) on the state write; creating the goals first leaves it
/// nothing to generate, so what `plan` showed is what `run` does. The run then checks Odoo's
/// side effects against the prediction and says when they differ.
pub async fn run(
    client: &OdooClient,
    state: &mut State,
    opts: &Options,
    apply_opts: &ApplyOptions,
) -> Result<(Outcome, ApplyReport), GamificationError> {
    // Held until the run is applied: a second process planning from the same state would
    // plan the same writes.
    let _lock = state.lock_job("gamification").map_err(ApplyError::from)?;
    let writer = ClientWriter::new(client);
    let mut outcome = plan(client, opts).await?;
    if outcome.started.is_empty() {
        let report = apply::apply(&outcome.plan, state, &writer, apply_opts).await?;
        return Ok((outcome, report));
    }
    let is_start = |c: &crate::plan::Change| {
        matches!(c, crate::plan::Change::Write { model, id, .. }
            if model == "gamification.challenge" && outcome.started.contains(id))
    };
    let refresh = Plan::from_changes(
        "gamification",
        outcome.plan.changes().filter(|c| !is_start(c)),
    );
    let starts = Plan::from_changes(
        "gamification",
        outcome.plan.changes().filter(|c| is_start(c)),
    );
    let mut report = apply::apply(&refresh, state, &writer, apply_opts).await?;
    if !report.is_success() || report.interrupted {
        // A challenge is started only once its goals exist.
        return Ok((outcome, report));
    }
    let before = started_goal_ids(client, &outcome.started).await?;
    let started = apply::apply(&starts, state, &writer, apply_opts).await?;
    let after = started_goal_ids(client, &outcome.started).await?;
    let generated = after.difference(&before).count();
    let removed = before.difference(&after).count();
    let (want_generated, want_removed) = outcome
        .side_effects
        .iter()
        .filter_map(|e| match e {
            SideEffect::Start {
                generated, removed, ..
            } => Some((*generated, removed.len())),
            SideEffect::ProgressReports { .. } => None,
        })
        .fold((0, 0), |(g, r), (eg, er)| (g + eg, r + er));
    if (generated, removed) != (want_generated, want_removed) {
        outcome.surprises.push(format!(
            "starting challenge(s) {:?}: Odoo generated {generated} goal(s) and deleted \
             {removed} (predicted {want_generated} and {want_removed}); the next run computes \
             what it generated",
            outcome.started
        ));
    }
    report.absorb(started);
    Ok((outcome, report))
}

/// The ids of every goal of `challenges`, to see what Odoo's start did.
async fn started_goal_ids(
    client: &OdooClient,
    challenges: &[i64],
) -> Result<BTreeSet<i64>, GamificationError> {
    let ids = client
        .search(
            "gamification.goal",
            vec![crate::odoo::leaf(
                "challenge_id",
                "in",
                xmlrpc::Value::Array(challenges.iter().map(|&c| xmlrpc::Value::Int(c)).collect()),
            )],
            &Default::default(),
        )
        .await?;
    Ok(ids.into_iter().collect())
}

/// A leaderboard's columns: the challenge's lines in Odoo's order (`sequence, id`), named after
/// their goal definitions.
fn columns_of(
    mut lines: Vec<crate::gamification::model::Line>,
    defs: &std::collections::HashMap<i64, crate::gamification::model::Definition>,
) -> Vec<Column> {
    lines.sort_by_key(|l| (l.sequence, l.id));
    lines
        .iter()
        .map(|l| Column {
            line_id: l.id,
            name: defs
                .get(&l.definition_id)
                .map_or_else(|| format!("line {}", l.id), |d| d.name.clone()),
            condition: defs
                .get(&l.definition_id)
                .map_or(crate::gamification::Condition::Higher, |d| d.condition),
        })
        .collect()
}

/// One challenge by id or exact name, read as of `today` (a draft is read as if started, so
/// its leaderboard can be shown before the first run starts it).
async fn find_challenge(
    client: &OdooClient,
    challenge: &str,
    today: NaiveDate,
) -> Result<(i64, crate::gamification::model::Challenge), GamificationError> {
    let leaf = match challenge.parse::<i64>() {
        Ok(id) => crate::odoo::leaf("id", "=", xmlrpc::Value::Int(id)),
        Err(_) => crate::odoo::leaf("name", "=", challenge),
    };
    let ids = client
        .search("gamification.challenge", vec![leaf], &Default::default())
        .await?;
    let Some(&id) = ids.first() else {
        return Err(GamificationError::NoChallenge(challenge.to_string()));
    };
    let challenges = read::challenges(client, today, &[id], Some(&[id]))
        .await?
        .challenges;
    match challenges.into_iter().next() {
        Some(c) => Ok((id, c)),
        None => Err(GamificationError::NoChallenge(challenge.to_string())),
    }
}

/// The leaderboard of one challenge (by id or exact name) for the current period of `today`.
pub async fn leaderboard(
    client: &OdooClient,
    challenge: &str,
    today: NaiveDate,
    order: Order,
) -> Result<Leaderboard, GamificationError> {
    let (id, c) = find_challenge(client, challenge, today).await?;
    let (lines, defs) = read::lines_and_definitions(client, &[id]).await?;
    let goals = read::goals(client, std::slice::from_ref(&c), today).await?;
    let bounds: Bounds = challenge_bounds(&c, today);
    let current: Vec<_> = goals
        .into_iter()
        .filter(|g| g.start_date == bounds.start && g.end_date == bounds.end)
        .collect();
    let users: BTreeSet<i64> = current.iter().map(|g| g.user_id).collect();
    let (_, people) = read::participants(client, &[], &users).await?;
    let columns = columns_of(lines, &defs);
    let participants: Vec<_> = people.into_values().map(|(p, _)| p).collect();
    Ok(leaderboard::build(
        &c.name,
        &bounds.label(),
        columns,
        &current,
        &participants,
        order,
    ))
}

/// The ranking report of one challenge over `from..=to` (a month, a quarter): every goal
/// whose period lies inside, summed per user and line, ranked. Write it with
/// [`Leaderboard::to_csv`] or [`Leaderboard::to_html`].
pub async fn ranking_report(
    client: &OdooClient,
    challenge: &str,
    from: NaiveDate,
    to: NaiveDate,
    order: Order,
) -> Result<Leaderboard, GamificationError> {
    let today = to;
    let (id, c) = find_challenge(client, challenge, today).await?;
    let (lines, defs) = read::lines_and_definitions(client, &[id]).await?;
    let goals = read::goals_between(client, id, from, to).await?;
    let merged = leaderboard::merge_periods(&goals);
    let users: BTreeSet<i64> = merged.iter().map(|g| g.user_id).collect();
    let (_, people) = read::participants(client, &[], &users).await?;
    let columns = columns_of(lines, &defs);
    let participants: Vec<_> = people.into_values().map(|(p, _)| p).collect();
    Ok(leaderboard::build(
        &c.name,
        &format!("{from}..{to}"),
        columns,
        &merged,
        &participants,
        order,
    ))
}

impl std::fmt::Display for Outcome {
    /// What `scorekeeper plan gamification` prints: the plan, then what was left out and why.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if !self.started.is_empty() {
            let ids: Vec<String> = self.started.iter().map(i64::to_string).collect();
            writeln!(f, "challenges started: {}", ids.join(", "))?;
        }
        write!(f, "{}", self.plan.summary(10))?;
        for s in &self.skipped {
            writeln!(f, "skipped: {s}")?;
        }
        for w in &self.withheld {
            writeln!(f, "badge withheld: {w}")?;
        }
        for e in &self.side_effects {
            writeln!(f, "Odoo itself: {e}")?;
        }
        for s in &self.surprises {
            writeln!(f, "warning: {s}")?;
        }
        Ok(())
    }
}
