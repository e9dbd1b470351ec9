//! The read side of routing: the configured teams joined with `crm.team`, their memberships
//! with the config's overrides, and the stale leads, each row typed through
//! [`crate::odoo::Row`] (a wrong type is an error naming the model and field). Domains are
//! parsed and bound here; which leads they match is searched in `search`.

use std::collections::{BTreeMap, BTreeSet};

use super::Lead;
use crate::assignment::{Member, Quota, Rules, Strategy, Team};
use crate::config::{AssignmentConfig, LEAD_MODEL, MemberOverride, RecordRef};
use crate::domain::{Domain, Env};
use crate::jobs::scoring::wire::domain_items;
use crate::jobs::scoring::{ScoringError, ScoringJob, domain_err};
use crate::odoo::{Row, RowError, leaf};
use crate::record::datetime::format_datetime;
use crate::xmlrpc::{Struct, Value as Wire};

/// The fields of a lead routing reads outside the pass (stale and waiting leads).
pub(super) fn lead_fields(score_field: &str) -> [&str; 6] {
    [
        "id",
        score_field,
        "team_id",
        "user_id",
        "probability",
        "create_date",
    ]
}

/// A lead as `search_read` gives it with [`lead_fields`] (score from the score field, as
/// stored: Odoo reads an empty one as `0`).
pub(super) fn lead_of(row: &Struct, score_field: &str) -> Result<Lead, RowError> {
    let r = Row::new(LEAD_MODEL, row);
    Ok(Lead {
        id: r.id()?,
        score: r.int(score_field)?,
        probability: r.float("probability")?,
        team_id: r.m2o_id("team_id")?,
        user_id: r.m2o_id("user_id")?,
        created: r.datetime("create_date")?,
    })
}

/// A domain text Odoo's `literal_eval(...)` finds falsy: empty, or an empty list.
fn no_condition(text: &str) -> bool {
    let t: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    t.is_empty() || t == "[]"
}

/// The teams and memberships routing works with, and their bound domains (per team, per
/// member, and per member its domain ∧ preferred domain on 19).
pub(super) struct Roster {
    pub(super) teams: Vec<Team>,
    pub(super) team_domains: Vec<Option<Domain>>,
    pub(super) members: Vec<Member>,
    pub(super) member_domains: Vec<Option<Domain>>,
    pub(super) preferred_domains: Vec<Option<Domain>>,
}

/// Reads the roster: [`read_teams`], then [`read_members`].
pub(super) async fn read_roster(
    job: &ScoringJob<'_>,
    cfg: &AssignmentConfig,
    env: &Env,
    rules: &Rules,
) -> Result<Roster, ScoringError> {
    let (teams, team_domains) = read_teams(job, cfg, env).await?;
    let mut roster = Roster {
        teams,
        team_domains,
        members: Vec::new(),
        member_domains: Vec::new(),
        preferred_domains: Vec::new(),
    };
    read_members(job, cfg, env, rules, &mut roster).await?;
    Ok(roster)
}

/// One `crm.team` row, typed.
struct TeamRow {
    id: i64,
    name: String,
    optout: bool,
    domain: Option<String>,
}

/// The configured teams joined with `crm.team`, in config order, with their bound domains
/// (the config's, else the team's own `assignment_domain`).
async fn read_teams(
    job: &ScoringJob<'_>,
    cfg: &AssignmentConfig,
    env: &Env,
) -> Result<(Vec<Team>, Vec<Option<Domain>>), ScoringError> {
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
    let rows = job
        .client
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
    let mut found = Vec::with_capacity(rows.len());
    for row in &rows {
        let r = Row::new("crm.team", row);
        found.push(TeamRow {
            id: r.id()?,
            // `name` is required on crm.team; were it empty, the team matches by id only.
            name: r.text("name")?.unwrap_or_default(),
            optout: r.boolean("assignment_optout")?,
            domain: r.text("assignment_domain")?,
        });
    }
    let mut teams = Vec::new();
    let mut domains = Vec::new();
    for (i, t) in cfg.teams.iter().enumerate() {
        let Some(row) = found.iter().find(|r| t.team.matches(r.id, &r.name)) else {
            return Err(ScoringError::Setup(format!(
                "assignment.teams[{i}]: no crm.team with {}",
                t.team
            )));
        };
        teams.push(Team {
            id: row.id,
            name: row.name.clone(),
            min_score: t.min_score,
            order: t.order,
            optout: row.optout,
        });
        let odoo_domain = match &row.domain {
            Some(text) if !text.trim().is_empty() => Some(
                Domain::parse(text)
                    .map_err(domain_err(format!("crm.team {} assignment_domain", row.id)))?,
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
        domains.push(d);
    }
    Ok((teams, domains))
}

/// The memberships of the roster's teams with the config's overrides, their bound domains
/// (an unusable domain marks the member instead of failing the run), and the fields the
/// version's rules need (`lead_day_count` on 18+, `assignment_domain_preferred` on 19).
async fn read_members(
    job: &ScoringJob<'_>,
    cfg: &AssignmentConfig,
    env: &Env,
    rules: &Rules,
    roster: &mut Roster,
) -> Result<(), ScoringError> {
    let team_ids: Vec<Wire> = roster.teams.iter().map(|t| Wire::Int(t.id)).collect();
    let mut fields = vec![
        "id",
        "user_id",
        "crm_team_id",
        "assignment_max",
        "assignment_domain",
        "assignment_optout",
        "lead_month_count",
    ];
    if rules.quota == Quota::Daily {
        fields.push("lead_day_count");
    }
    if rules.preferred_domain {
        fields.push("assignment_domain_preferred");
    }
    let rows = job
        .client
        .search_read_all(
            "crm.team.member",
            vec![leaf("crm_team_id", "in", Wire::Array(team_ids))],
            &fields,
        )
        .await?;
    for row in &rows {
        let Some((m, domain)) = member_of(Row::new("crm.team.member", row), rules)? else {
            continue;
        };
        let (m, domain) = with_overrides(m, domain, &cfg.members, roster);
        let (m, domain, preferred) = bind_member(m, domain, row, env, rules)?;
        roster.preferred_domains.push(preferred);
        roster.member_domains.push(domain);
        roster.members.push(m);
    }
    if rules.quota == Quota::Monthly && cfg.strategy == Strategy::Odoo {
        read_window_counts(job, cfg.work_days, env, roster).await?;
    }
    Ok(())
}

/// 17's monthly quota is handed once per `work_days` (see `Member::capacity`): per member,
/// the leads opened within the last `work_days` of the run's clock, counted as Odoo counts
/// `lead_month_count` (same user and team, archived leads included: odoo/addons/crm
/// `crm_team_member._compute_lead_month_count`, `active_test=False`), in one `read_group`.
async fn read_window_counts(
    job: &ScoringJob<'_>,
    work_days: f64,
    env: &Env,
    roster: &mut Roster,
) -> Result<(), ScoringError> {
    if roster.members.is_empty() {
        return Ok(());
    }
    let since = env.now - chrono::Duration::seconds((work_days * 86_400.0).round() as i64);
    let users: BTreeSet<i64> = roster.members.iter().map(|m| m.user_id).collect();
    let teams: BTreeSet<i64> = roster.members.iter().map(|m| m.team_id).collect();
    let ints = |ids: &BTreeSet<i64>| Wire::Array(ids.iter().map(|&i| Wire::Int(i)).collect());
    let domain = vec![
        leaf("date_open", ">=", Wire::from(format_datetime(since))),
        leaf("user_id", "in", ints(&users)),
        leaf("team_id", "in", ints(&teams)),
        leaf(
            "active",
            "in",
            Wire::Array(vec![Wire::Bool(true), Wire::Bool(false)]),
        ),
    ];
    let groups = job
        .client
        .read_group(
            LEAD_MODEL,
            domain,
            &["__count"],
            &["user_id", "team_id"],
            false,
        )
        .await?;
    let mut counts: BTreeMap<(i64, i64), i64> = BTreeMap::new();
    for g in &groups {
        let r = Row::new(LEAD_MODEL, g);
        if let (Some(user), Some(team)) = (r.m2o_id("user_id")?, r.m2o_id("team_id")?) {
            counts.insert((user, team), r.int("__count")?);
        }
    }
    for m in &mut roster.members {
        m.window_count = counts.get(&(m.user_id, m.team_id)).copied().unwrap_or(0);
    }
    Ok(())
}

/// One membership as Odoo holds it, with its own domain parsed (`broken_domain` when it
/// does not parse); `None` for a membership without user or team.
fn member_of(r: Row<'_>, rules: &Rules) -> Result<Option<(Member, Option<Domain>)>, RowError> {
    let id = r.id()?;
    let (Some((user_id, name)), Some(team_id)) = (r.many2one("user_id")?, r.m2o_id("crm_team_id")?)
    else {
        return Ok(None);
    };
    let mut m = Member {
        id,
        user_id,
        name,
        team_id,
        max: r.int("assignment_max")?,
        month_count: r.int("lead_month_count")?,
        // Not read before 18 (no daily quota): 0, as the Member doc says.
        day_count: if rules.quota == Quota::Daily {
            r.int("lead_day_count")?
        } else {
            0
        },
        // Set by `read_window_counts` where the version's quota needs it.
        window_count: 0,
        preferred: false,
        optout: r.boolean("assignment_optout")?,
        broken_domain: None,
    };
    let domain = match r.text("assignment_domain")? {
        Some(text) if !text.trim().is_empty() => match Domain::parse(&text) {
            Ok(d) => Some(d),
            Err(e) => {
                m.broken_domain = Some(e.to_string());
                None
            }
        },
        _ => None,
    };
    Ok(Some((m, domain)))
}

/// The config's `[[assignment.members]]` overrides that match the member (by user, and by
/// team when given), applied in order.
fn with_overrides(
    mut m: Member,
    mut domain: Option<Domain>,
    overrides: &[MemberOverride],
    roster: &Roster,
) -> (Member, Option<Domain>) {
    let team_name = roster
        .teams
        .iter()
        .find(|t| t.id == m.team_id)
        .map_or("", |t| t.name.as_str());
    for o in overrides {
        let team_ok = o
            .team
            .as_ref()
            .is_none_or(|t| t.matches(m.team_id, team_name));
        if o.user.matches(m.user_id, &m.name) && team_ok {
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
    (m, domain)
}

/// The member's domain bound to the run's clock and, on 19, its preferred domain (Odoo 19
/// `_assign_and_convert_leads`: a member prefers the leads matching
/// `AND(assignment_domain, assignment_domain_preferred)`; an empty or `[]` preferred domain
/// means no preference). A domain that does not bind marks the member unusable.
fn bind_member(
    mut m: Member,
    domain: Option<Domain>,
    row: &Struct,
    env: &Env,
    rules: &Rules,
) -> Result<(Member, Option<Domain>, Option<Domain>), RowError> {
    let domain = match domain.map(|d| d.bind(env)) {
        Some(Ok(d)) => Some(d),
        Some(Err(e)) => {
            m.broken_domain = Some(e.to_string());
            None
        }
        None => None,
    };
    let preferred_text = if rules.preferred_domain {
        Row::new("crm.team.member", row).text("assignment_domain_preferred")?
    } else {
        None
    };
    let preferred = match preferred_text {
        Some(text) if !no_condition(&text) => {
            match Domain::parse(&text).and_then(|d| d.bind(env)) {
                Ok(p) => Some(match &domain {
                    Some(d) => Domain::and(d.clone(), p),
                    None => p,
                }),
                Err(e) => {
                    m.broken_domain = Some(format!("assignment_domain_preferred: {e}"));
                    None
                }
            }
        }
        _ => None,
    };
    m.preferred = preferred.is_some();
    Ok((m, domain, preferred))
}

/// With `reassign_stale_days`: the assigned, open leads in scope whose assignment (and last
/// stage change) is older than that, scoring at least `min_min` as stored.
pub(super) async fn read_stale(
    job: &ScoringJob<'_>,
    cfg: &AssignmentConfig,
    scope: &Domain,
    env: &Env,
    min_min: i64,
) -> Result<BTreeMap<i64, Lead>, ScoringError> {
    let mut stale = BTreeMap::new();
    let Some(days) = cfg.reassign_stale_days else {
        return Ok(stale);
    };
    let score_field = job.scoring.score_field.as_str();
    let cutoff = format_datetime(env.now - chrono::Duration::days(days as i64));
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
    let fields = ["id", score_field, "team_id", "user_id", "probability"];
    for r in job.client.search_read_all(LEAD_MODEL, d, &fields).await? {
        let lead = stale_lead_of(&r, score_field)?;
        if lead.score >= min_min {
            stale.insert(lead.id, lead);
        }
    }
    Ok(stale)
}

/// A stale lead (read without `create_date`: stale leads are exempt from the creation window).
fn stale_lead_of(row: &Struct, score_field: &str) -> Result<Lead, RowError> {
    let r = Row::new(LEAD_MODEL, row);
    Ok(Lead {
        id: r.id()?,
        score: r.int(score_field)?,
        probability: r.float("probability")?,
        team_id: r.m2o_id("team_id")?,
        user_id: r.m2o_id("user_id")?,
        created: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_membership_reads_typed_and_a_bad_value_names_the_field() {
        let row: Struct = [
            ("id", Wire::Int(4)),
            (
                "user_id",
                Wire::Array(vec![Wire::Int(6), "Marc Demo".into()]),
            ),
            (
                "crm_team_id",
                Wire::Array(vec![Wire::Int(5), "Pre-Sales".into()]),
            ),
            ("assignment_max", Wire::Int(45)),
            ("assignment_domain", "[['probability', '>=', 5]]".into()),
            ("assignment_optout", Wire::Bool(false)),
            ("lead_month_count", Wire::Int(10)),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        let rules = Rules::default();
        let (m, domain) = member_of(Row::new("crm.team.member", &row), &rules)
            .unwrap()
            .unwrap();
        assert_eq!(
            (
                m.id,
                m.user_id,
                m.name.as_str(),
                m.team_id,
                m.max,
                m.month_count
            ),
            (4, 6, "Marc Demo", 5, 45, 10)
        );
        assert_eq!((m.day_count, m.optout, m.broken_domain), (0, false, None));
        assert!(domain.is_some());
        let bad: Struct = row
            .clone()
            .into_iter()
            .map(|(k, v)| match k.as_str() {
                "assignment_max" => (k, Wire::from("thirty")),
                _ => (k, v),
            })
            .collect();
        let err = member_of(Row::new("crm.team.member", &bad), &rules).unwrap_err();
        assert_eq!(
            err.to_string(),
            "unexpected answer for crm.team.member.assignment_max: expected an integer, got string"
        );
        // A lead row without an id is an error, not lead 0.
        let lead: Struct = [("x_score", Wire::Int(3))]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
        assert_eq!(lead_of(&lead, "x_score").unwrap_err().field, "id");
    }
}
