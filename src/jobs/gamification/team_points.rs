//! Team points (issue 16 item 4): reads the sales teams in each team rule's scope (one
//! `search_read` of `crm.team`, one of `crm.team.member` for all rules) and the records each
//! rule counts (one `search_read` per rule); `gamification::team_points` turns them into
//! karma events, which the karma pass books with the point rules' events (same keys, same
//! journal). Record dates are placed in periods by their UTC date, as Odoo's periods are.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;

use crate::config::{TeamPointsSpec, TeamTarget};
use crate::domain::Domain;
use crate::gamification::karma::{Booked, Event};
use crate::gamification::team_points::{self, BookedAward, Team, TeamFact, TeamRule};
use crate::odoo::WireLit as _;
use crate::odoo::{OdooClient, Row, leaf};
use crate::xmlrpc::Value;

use super::GamificationError;
use super::read::required_text;

const TEAM: &str = "crm.team";
const MEMBER: &str = "crm.team.member";

/// Every sales team (id, name, the rules' target fields) and its members.
async fn read_teams(
    client: &OdooClient,
    rules: &[TeamPointsSpec],
) -> Result<Vec<(Team, BTreeMap<String, f64>)>, GamificationError> {
    let target_fields: BTreeSet<&str> = rules
        .iter()
        .filter_map(|r| match &r.target {
            TeamTarget::Field(f) => Some(f.as_str()),
            TeamTarget::Fixed(_) => None,
        })
        .collect();
    let mut fields = vec!["name"];
    fields.extend(target_fields.iter().copied());
    let mut members: BTreeMap<i64, Vec<(i64, String, chrono::NaiveDate)>> = BTreeMap::new();
    for r in client
        .search_read_all(MEMBER, vec![], &["crm_team_id", "user_id", "create_date"])
        .await?
    {
        let row = Row::new(MEMBER, &r);
        let (Some(team), Some((user, name)), Some(since)) = (
            row.m2o_id("crm_team_id")?,
            row.many2one("user_id")?,
            row.datetime("create_date")?,
        ) else {
            continue;
        };
        members
            .entry(team)
            .or_default()
            .push((user, name, since.date()));
    }
    let mut out = Vec::new();
    for r in client.search_read_all(TEAM, vec![], &fields).await? {
        let row = Row::new(TEAM, &r);
        let id = row.id()?;
        let mut targets = BTreeMap::new();
        for f in &target_fields {
            targets.insert((*f).to_owned(), row.float(f)?);
        }
        let mut m = members.remove(&id).unwrap_or_default();
        m.sort_unstable();
        m.dedup_by_key(|(u, _, _)| *u);
        out.push((
            Team {
                id,
                name: required_text(&row, "name")?,
                target: None,
                members: m,
            },
            targets,
        ));
    }
    Ok(out)
}

/// The records `spec` counts, as facts (undated and teamless records count for nobody).
async fn facts(
    client: &OdooClient,
    spec: &TeamPointsSpec,
    teams: &[i64],
    window: Option<(NaiveDate, NaiveDate)>,
) -> Result<Vec<TeamFact>, GamificationError> {
    let mut domain = Domain::parse(&spec.domain)
        .and_then(|d| d.try_to_lit())
        .map_err(|e| GamificationError::Domain {
            what: format!("team points {:?} domain", spec.key),
            error: e.to_string(),
        })?
        .to_wire_items();
    domain.push(leaf(
        &spec.team_field,
        "in",
        Value::Array(teams.iter().map(|t| Value::Int(*t)).collect()),
    ));
    if let Some((since, end)) = window {
        domain.push(leaf(&spec.date_field, ">=", since.to_string()));
        domain.push(leaf(&spec.date_field, "<", end.to_string()));
    }
    let mut fields = vec![spec.team_field.as_str(), spec.date_field.as_str()];
    fields.extend(spec.field.as_deref());
    let mut out = Vec::new();
    for r in client.search_read_all(&spec.model, domain, &fields).await? {
        let row = Row::new(&spec.model, &r);
        let (Some(team_id), Some(date)) = (
            row.m2o_id(&spec.team_field)?,
            row.datetime(&spec.date_field)?,
        ) else {
            continue;
        };
        let value = match &spec.field {
            Some(f) => row.float(f)?,
            None => 1.0,
        };
        out.push(TeamFact {
            team_id,
            date: date.date(),
            value,
        });
    }
    Ok(out)
}

/// The karma events of every team rule, given the karma entries booked so far; with a
/// `window` (from, before), only the records dated in it count (the trial run).
pub(crate) async fn events(
    client: &OdooClient,
    rules: &[TeamPointsSpec],
    booked: &[Booked],
    window: Option<(NaiveDate, NaiveDate)>,
) -> Result<Vec<Event>, GamificationError> {
    if rules.is_empty() {
        return Ok(Vec::new());
    }
    let all = read_teams(client, rules).await?;
    let mut out = Vec::new();
    for spec in rules {
        let teams: Vec<Team> = all
            .iter()
            .filter(|(t, _)| spec.teams.is_empty() || spec.teams.contains(&t.name))
            .map(|(t, targets)| Team {
                target: match &spec.target {
                    TeamTarget::Field(f) => targets.get(f).copied(),
                    TeamTarget::Fixed(_) => None,
                },
                ..t.clone()
            })
            .collect();
        let ids: Vec<i64> = teams.iter().map(|t| t.id).collect();
        let facts = if ids.is_empty() {
            Vec::new()
        } else {
            facts(client, spec, &ids, window).await?
        };
        let awards: BTreeSet<BookedAward> = booked
            .iter()
            .filter_map(|b| {
                let (key, period, team_id) = team_points::parse_event_rule(&b.rule)?;
                (key == spec.key).then(|| BookedAward {
                    period: period.to_owned(),
                    team_id,
                    user_id: b.record_id,
                    user_name: all
                        .iter()
                        .flat_map(|(t, _)| t.members.iter())
                        .find(|(u, _, _)| *u == b.record_id)
                        .map(|(_, n, _)| n.clone())
                        .unwrap_or_default(),
                })
            })
            .collect();
        let rule = TeamRule {
            key: spec.key.clone(),
            name: spec.name.clone(),
            points: spec.points,
            aggregate: spec.aggregate,
            window: spec.window,
            target: match spec.target {
                TeamTarget::Fixed(t) => Some(t),
                TeamTarget::Field(_) => None,
            },
        };
        let awards: Vec<BookedAward> = awards.into_iter().collect();
        out.extend(team_points::events(&rule, &teams, &facts, &awards));
    }
    Ok(out)
}
