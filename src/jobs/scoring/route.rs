//! The routing step of the job: gathers candidate leads (unassigned, or stale when
//! `reassign_stale_days` is set), the configured teams and their memberships from Odoo,
//! decides which domains each candidate matches (pushed down, restricted to the candidates),
//! runs the pure `assignment` engine and plans `team_id`/`user_id` writes.

use std::collections::BTreeMap;

use super::local::search_among;
use super::wire::domain_items;
use super::{ASSIGNMENT_JOB, JobError, LeadRow, PassKind, ScoringJob, domain_err};
use crate::assignment::{self, Candidate, Explain, Input, Member, Outcome, Team};
use crate::config::{AssignmentConfig, LEAD_MODEL, RecordRef};
use crate::domain::{Domain, Env};
use crate::odoo::{from_wire, leaf};
use crate::plan::{FieldChange, Plan};
use crate::record::{IdSet, Value};
use crate::xmlrpc::{Struct, Value as Wire};

fn id_of(r: &Struct, f: &str) -> Option<i64> {
    r.get(f).map(from_wire).and_then(|v| v.as_i64())
}

fn name_of(r: &Struct, f: &str) -> String {
    match r.get(f) {
        Some(Wire::Array(items)) => items
            .get(1)
            .and_then(Wire::as_str)
            .unwrap_or_default()
            .to_owned(),
        Some(Wire::String(s)) => s.clone(),
        _ => String::new(),
    }
}

/// Plans the routing of this pass's leads (and, outside a full pass, of the other leads
/// waiting for a salesperson).
pub async fn route_leads(
    job: &ScoringJob<'_>,
    cfg: &AssignmentConfig,
    kind: &PassKind,
    scope: &Domain,
    rows: &[LeadRow],
    env: &Env,
) -> Result<(Plan, Outcome), JobError> {
    let mut plan = Plan::new(ASSIGNMENT_JOB);
    let min_min = cfg.teams.iter().map(|t| t.min_score).min().unwrap_or(0);
    let score_field = job.scoring.score_field.as_str();
    let client = job.client;

    // id → (score, probability, team, owner)
    let mut cands: BTreeMap<i64, (i64, f64, Option<i64>, Option<i64>)> = BTreeMap::new();
    let fresh_scores: BTreeMap<i64, i64> = rows.iter().map(|r| (r.id, r.scored.score)).collect();
    for r in rows {
        if r.user_id.is_none() && r.scored.score >= min_min {
            cands.insert(r.id, (r.scored.score, r.probability, r.team_id, None));
        }
    }
    let fields = ["id", score_field, "team_id", "user_id", "probability"];
    let mut queries: Vec<Vec<Wire>> = Vec::new();
    if !matches!(kind, PassKind::Full) {
        let mut d = domain_items(scope);
        d.push(leaf("user_id", "=", Wire::Bool(false)));
        if min_min > 0 {
            d.push(leaf(score_field, ">=", Wire::Int(min_min)));
        }
        if let PassKind::Leads(ids) = kind {
            d.push(leaf(
                "id",
                "not in",
                Wire::Array(ids.iter().map(|i| Wire::Int(*i)).collect()),
            ));
        }
        queries.push(d);
    }
    if let Some(days) = cfg.reassign_stale_days {
        let cutoff = (env.now - chrono::Duration::days(days as i64))
            .format("%Y-%m-%d %H:%M:%S")
            .to_string();
        let mut d = domain_items(scope);
        d.push(leaf("user_id", "!=", Wire::Bool(false)));
        d.push(leaf("probability", "<", Wire::Int(100)));
        d.push(leaf("date_open", "<=", Wire::from(cutoff.as_str())));
        d.push(Wire::from("|"));
        d.push(leaf("date_last_stage_update", "=", Wire::Bool(false)));
        d.push(leaf(
            "date_last_stage_update",
            "<=",
            Wire::from(cutoff.as_str()),
        ));
        queries.push(d);
    }
    for d in queries {
        for r in client.search_read_all(LEAD_MODEL, d, &fields).await? {
            let Some(id) = id_of(&r, "id") else { continue };
            let score = r.get(score_field).and_then(Wire::as_i64).unwrap_or(0);
            if score < min_min {
                continue;
            }
            let owner = id_of(&r, "user_id");
            // A lead of this pass is known with its fresh score, unless it is stale.
            let fresh = fresh_scores.get(&id).copied();
            if fresh.is_some() && owner.is_none() {
                continue;
            }
            let prob = r.get("probability").and_then(Wire::as_f64).unwrap_or(0.0);
            cands.insert(
                id,
                (fresh.unwrap_or(score), prob, id_of(&r, "team_id"), owner),
            );
        }
    }
    if cands.is_empty() {
        return Ok((plan, Outcome::default()));
    }
    let cand_ids: Vec<i64> = cands.keys().copied().collect();

    // Teams.
    let ids: Vec<Wire> = cfg
        .teams
        .iter()
        .filter_map(|t| match &t.team {
            RecordRef::Id(i) => Some(Wire::Int(*i)),
            RecordRef::Name(_) => None,
        })
        .collect();
    let names: Vec<Wire> = cfg
        .teams
        .iter()
        .filter_map(|t| match &t.team {
            RecordRef::Name(n) => Some(Wire::from(n.as_str())),
            RecordRef::Id(_) => None,
        })
        .collect();
    let team_rows = client
        .search_read_all(
            "crm.team",
            vec![
                Wire::from("|"),
                leaf("id", "in", Wire::Array(ids)),
                leaf("name", "in", Wire::Array(names)),
            ],
            &["id", "name", "assignment_optout", "assignment_domain"],
        )
        .await?;
    let mut teams = Vec::new();
    let mut team_domains: Vec<(i64, Option<Domain>)> = Vec::new();
    for (i, t) in cfg.teams.iter().enumerate() {
        let row = team_rows.iter().find(|r| {
            let id = id_of(r, "id").unwrap_or(0);
            t.team
                .matches(id, r.get("name").and_then(Wire::as_str).unwrap_or(""))
        });
        let Some(row) = row else {
            return Err(JobError::Setup(format!(
                "assignment.teams[{i}]: no crm.team with {}",
                t.team
            )));
        };
        let id = id_of(row, "id").unwrap_or(0);
        teams.push(Team {
            id,
            name: name_of(row, "name"),
            min_score: t.min_score,
            order: t.order,
            optout: row
                .get("assignment_optout")
                .and_then(Wire::as_bool)
                .unwrap_or(false),
        });
        // The config's domain, else the team's own `assignment_domain` from Odoo.
        let odoo_domain = match row.get("assignment_domain").and_then(Wire::as_str) {
            Some(text) if !text.trim().is_empty() => Some(
                Domain::parse(text)
                    .map_err(domain_err(format!("crm.team {id} assignment_domain")))?,
            ),
            _ => None,
        };
        let d = match t.domain.as_ref().or(odoo_domain.as_ref()) {
            Some(d) => Some(
                d.bind(env)
                    .map_err(domain_err(format!("assignment.teams[{i}].domain")))?,
            ),
            None => None,
        };
        team_domains.push((id, d));
    }

    // Memberships.
    let team_ids: Vec<Wire> = teams.iter().map(|t| Wire::Int(t.id)).collect();
    let member_rows = client
        .search_read_all(
            "crm.team.member",
            vec![leaf("crm_team_id", "in", Wire::Array(team_ids))],
            &[
                "id",
                "user_id",
                "crm_team_id",
                "assignment_max",
                "assignment_domain",
                "assignment_optout",
                "lead_month_count",
            ],
        )
        .await?;
    let mut members = Vec::new();
    let mut member_domains: Vec<(i64, Option<Domain>)> = Vec::new();
    for r in &member_rows {
        let (Some(id), Some(user_id), Some(team_id)) =
            (id_of(r, "id"), id_of(r, "user_id"), id_of(r, "crm_team_id"))
        else {
            continue;
        };
        let name = name_of(r, "user_id");
        let team_name = teams
            .iter()
            .find(|t| t.id == team_id)
            .map(|t| t.name.clone())
            .unwrap_or_default();
        let mut m = Member {
            id,
            user_id,
            name: name.clone(),
            team_id,
            max: r.get("assignment_max").and_then(Wire::as_i64).unwrap_or(0),
            month_count: r
                .get("lead_month_count")
                .and_then(Wire::as_i64)
                .unwrap_or(0),
            optout: r
                .get("assignment_optout")
                .and_then(Wire::as_bool)
                .unwrap_or(false),
            broken_domain: None,
        };
        let mut domain = match r.get("assignment_domain").and_then(Wire::as_str) {
            Some(text) if !text.trim().is_empty() => match Domain::parse(text) {
                Ok(d) => Some(d),
                Err(e) => {
                    m.broken_domain = Some(e.to_string());
                    None
                }
            },
            _ => None,
        };
        for o in &cfg.members {
            let team_ok = o
                .team
                .as_ref()
                .is_none_or(|t| t.matches(team_id, &team_name));
            if o.user.matches(user_id, &name) && team_ok {
                if let Some(max) = o.max {
                    m.max = max;
                }
                if let Some(optout) = o.optout {
                    m.optout = optout;
                }
                if let Some(d) = &o.domain {
                    domain = Some(d.clone());
                    m.broken_domain = None;
                }
            }
        }
        let domain = match domain.map(|d| d.bind(env)) {
            Some(Ok(d)) => Some(d),
            Some(Err(e)) => {
                m.broken_domain = Some(e.to_string());
                None
            }
            None => None,
        };
        member_domains.push((id, domain));
        members.push(m);
    }

    // Domain matches, one search per distinct domain, restricted to the candidates.
    let mut cache: BTreeMap<String, IdSet> = BTreeMap::new();
    let mut matches_of = async |d: &Option<Domain>| -> Result<Option<IdSet>, JobError> {
        let Some(d) = d else { return Ok(None) };
        let key = d.to_lit().to_string();
        if let Some(hit) = cache.get(&key) {
            return Ok(Some(hit.clone()));
        }
        let hit = search_among(client, LEAD_MODEL, &cand_ids, domain_items(d)).await?;
        cache.insert(key, hit.clone());
        Ok(Some(hit))
    };
    let mut team_hits: BTreeMap<i64, Option<IdSet>> = BTreeMap::new();
    for (id, d) in &team_domains {
        team_hits.insert(*id, matches_of(d).await?);
    }
    let mut member_hits: BTreeMap<i64, Option<IdSet>> = BTreeMap::new();
    for (id, d) in &member_domains {
        member_hits.insert(*id, matches_of(d).await?);
    }
    let hit = |hits: &Option<IdSet>, lead: i64| hits.as_ref().is_none_or(|ids| ids.contains(lead));
    let candidates: Vec<Candidate> = cands
        .iter()
        .map(|(&id, &(score, probability, team_id, user_id))| Candidate {
            id,
            score,
            probability,
            team_id,
            user_id,
            team_matches: team_hits
                .iter()
                .filter(|(_, h)| hit(h, id))
                .map(|(t, _)| *t)
                .collect(),
            member_matches: member_hits
                .iter()
                .filter(|(_, h)| hit(h, id))
                .map(|(m, _)| *m)
                .collect(),
        })
        .collect();
    let input = Input {
        teams,
        members,
        candidates,
        strategy: cfg.strategy,
        work_days: cfg.work_days,
        explain: if matches!(kind, PassKind::Leads(_)) {
            Explain::All
        } else {
            Explain::Assigned
        },
    };
    let outcome = assignment::assign(&input);
    for a in &outcome.assignments {
        let Some(&(_, _, team_id, owner)) = cands.get(&a.lead) else {
            continue;
        };
        let team_name = input
            .teams
            .iter()
            .find(|t| t.id == a.team_id)
            .map_or("", |t| t.name.as_str());
        let mut changes = vec![FieldChange::new(
            "team_id",
            team_id.map_or(Value::Null, Value::Many2one),
            Value::Many2one(a.team_id),
        )];
        let mut reason = format!("routed to team {team_name}");
        if let Some(uid) = a.user_id {
            changes.push(FieldChange::new(
                "user_id",
                owner.map_or(Value::Null, Value::Many2one),
                Value::Many2one(uid),
            ));
            if let Some((_, name, used, cap)) = outcome
                .routings
                .get(&a.lead)
                .and_then(|r| r.salesperson.clone())
            {
                reason.push_str(&format!(", salesperson {name} ({used} of {cap})"));
            }
        }
        plan.push_write(LEAD_MODEL, a.lead, changes, reason);
    }
    Ok((plan, outcome))
}
