//! Per-role point rules (issue 16 item 2): the people a rule's scope names (logins, sales
//! team members, groups by XML id, a `res.users` domain), read once per rule; records
//! credited to anyone else earn nothing under that rule (and what they had earned is
//! compensated, as for a record that no longer qualifies). Also `explain user N`: the rules, karma and levels of one
//! person.

use std::collections::HashSet;
use std::fmt::Write as _;

use crate::config::{GamificationConfig, PointRule, RuleScope};
use crate::domain::Domain;
use crate::odoo::WireLit as _;
use crate::odoo::{OdooClient, Row, leaf};
use crate::xmlrpc::Value;

use super::GamificationError;

/// The users `scope` names; `None` for everyone.
pub(crate) async fn scope_users(
    client: &OdooClient,
    rule: &PointRule,
) -> Result<Option<HashSet<i64>>, GamificationError> {
    let list =
        |names: &[String]| Value::Array(names.iter().map(|n| Value::from(n.as_str())).collect());
    match &rule.scope {
        RuleScope::Everyone => Ok(None),
        RuleScope::Users(logins) => Ok(Some(
            client
                .search(
                    "res.users",
                    vec![leaf("login", "in", list(logins))],
                    &Default::default(),
                )
                .await?
                .into_iter()
                .collect(),
        )),
        RuleScope::Teams(teams) => {
            // crm.team.member is stored (crm.team.member_ids is computed from it).
            let mut out = HashSet::new();
            for r in client
                .search_read_all(
                    "crm.team.member",
                    vec![leaf("crm_team_id.name", "in", list(teams))],
                    &["user_id"],
                )
                .await?
            {
                out.extend(Row::new("crm.team.member", &r).m2o_id("user_id")?);
            }
            Ok(Some(out))
        }
        RuleScope::Groups(xml_ids) => {
            let mut ids = Vec::with_capacity(xml_ids.len());
            for xml in xml_ids {
                ids.push(Value::Int(group_id(client, xml).await?));
            }
            // The version's field with implied groups too (`groups_id` up to 18,
            // `all_group_ids` on 19), as pay resolves its groups.
            let field = client.profile().await?.user_groups_field;
            Ok(Some(
                client
                    .search(
                        "res.users",
                        vec![leaf(field, "in", Value::Array(ids))],
                        &Default::default(),
                    )
                    .await?
                    .into_iter()
                    .collect(),
            ))
        }
        RuleScope::Domain(text) => {
            let wire = Domain::parse(text)
                .and_then(|d| d.try_to_lit())
                .map_err(|e| GamificationError::Domain {
                    what: format!("point rule {:?} user_domain", rule.key),
                    error: e.to_string(),
                })?
                .to_wire_items();
            Ok(Some(
                client
                    .search("res.users", wire, &Default::default())
                    .await?
                    .into_iter()
                    .collect(),
            ))
        }
    }
}

/// The `res.groups` id of an XML id, through `ir.model.data.check_object_reference` (what
/// `check` resolves too, and any user may call).
async fn group_id(client: &OdooClient, xml: &str) -> Result<i64, GamificationError> {
    let (module, name) = xml.split_once('.').unwrap_or(("", xml));
    let v = client
        .execute_kw(
            "ir.model.data",
            "check_object_reference",
            vec![Value::from(module), Value::from(name)],
            crate::xmlrpc::Struct::new(),
        )
        .await?;
    // `check_object_reference` answers `[model, id]`.
    v.as_array()
        .and_then(|a| a.get(1))
        .and_then(Value::as_i64)
        .ok_or_else(|| GamificationError::Unexpected {
            what: format!("ir.model.data.check_object_reference({xml})"),
            detail: v.to_string().chars().take(120).collect(),
        })
}

/// The scope in words.
fn scope_text(scope: &RuleScope) -> String {
    match scope {
        RuleScope::Everyone => "everyone".into(),
        RuleScope::Users(l) => format!("users {}", l.join(", ")),
        RuleScope::Teams(t) => format!("members of {}", t.join(", ")),
        RuleScope::Groups(g) => format!("members of groups {}", g.join(", ")),
        RuleScope::Domain(d) => format!("users matching {d}"),
    }
}

/// A team rule in words, and whether it applies to a member of `mine` (team names).
fn team_rule_text(t: &crate::config::TeamPointsSpec, mine: &[String]) -> String {
    use crate::gamification::achievements::{Aggregate, Window};
    let what = match (&t.aggregate, &t.field) {
        (Aggregate::Count, _) | (_, None) => format!("count of {} {}", t.model, t.domain),
        (_, Some(f)) => format!("{f} of {} {}", t.model, t.domain),
    };
    let target = match &t.target {
        crate::config::TeamTarget::Fixed(v) => v.to_string(),
        crate::config::TeamTarget::Field(f) => format!("the team's {f}"),
    };
    let per = match t.window {
        Window::Daily => "day",
        Window::Weekly => "week",
        Window::Monthly => "month",
        Window::Yearly => "year",
        Window::Once => "ever",
    };
    let teams: Vec<&String> = mine
        .iter()
        .filter(|m| t.teams.is_empty() || t.teams.contains(m))
        .collect();
    let applies = if teams.is_empty() {
        format!(
            "does not apply (only for members of {})",
            if t.teams.is_empty() {
                "a sales team".to_owned()
            } else {
                t.teams.join(", ")
            }
        )
    } else {
        format!(
            "applies (member of {})",
            teams
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    format!(
        "{} '{}': {} point(s) to each member when the team's {what} reaches {target} in a {per}; {applies}",
        t.key, t.name, t.points
    )
}

/// What a rule pays, in words.
fn pays(rule: &PointRule) -> String {
    let per = match (&rule.amount_field, rule.per_amount) {
        (Some(f), Some(p)) => format!(" per {p} of {f}"),
        (Some(f), None) => format!(" per unit of {f}"),
        _ => String::new(),
    };
    format!(
        "{} point(s){per} per {} {} credited to {}",
        rule.points, rule.model, rule.domain, rule.user_field
    )
}

/// `explain user N`: the person's karma and level, the point rules that apply to them and
/// those that do not (with their scope), and the configured levels reached or not.
pub async fn explain_user(
    client: &OdooClient,
    config: &GamificationConfig,
    uid: i64,
) -> Result<String, GamificationError> {
    let rows = client
        .read("res.users", &[uid], &["display_name", "login", "karma"])
        .await?;
    let Some(r) = rows.first() else {
        return Err(GamificationError::Unexpected {
            what: format!("res.users {uid}"),
            detail: "no such user".into(),
        });
    };
    let row = Row::new("res.users", r);
    let name = row.text("display_name")?.unwrap_or_default();
    let login = row.text("login")?.unwrap_or_default();
    let karma = row.int("karma")?;
    let mut out = String::new();
    let _ = writeln!(out, "user {uid} {name} ({login}): karma {karma}");
    let (mut apply, mut other) = (Vec::new(), Vec::new());
    for rule in &config.point_rules {
        let line = format!("  {} '{}': {}", rule.key, rule.name, pays(rule));
        match scope_users(client, rule).await? {
            Some(users) if !users.contains(&uid) => {
                other.push(format!("{line}; only for {}", scope_text(&rule.scope)))
            }
            _ => apply.push(format!("{line}; for {}", scope_text(&rule.scope))),
        }
    }
    let _ = writeln!(out, "point rules that apply ({}):", apply.len());
    for l in &apply {
        let _ = writeln!(out, "{l}");
    }
    let _ = writeln!(out, "point rules that do not apply ({}):", other.len());
    for l in &other {
        let _ = writeln!(out, "{l}");
    }
    if !config.team_points.is_empty() {
        let mut mine = Vec::new();
        for r in client
            .search_read_all(
                "crm.team.member",
                vec![leaf("user_id", "=", uid)],
                &["crm_team_id"],
            )
            .await?
        {
            if let Some((_, team)) = Row::new("crm.team.member", &r).many2one("crm_team_id")? {
                mine.push(team);
            }
        }
        let _ = writeln!(out, "team points:");
        for t in &config.team_points {
            let _ = writeln!(out, "  {}", team_rule_text(t, &mine));
        }
    }
    if !config.levels.is_empty() {
        let _ = writeln!(out, "levels:");
        for l in &config.levels {
            if karma >= l.karma_min {
                let _ = writeln!(
                    out,
                    "  {} ({} karma): reached, badge '{}'",
                    l.name, l.karma_min, l.badge
                );
            } else {
                let _ = writeln!(
                    out,
                    "  {} ({} karma): {} to go",
                    l.name,
                    l.karma_min,
                    l.karma_min - karma
                );
            }
        }
    }
    Ok(out)
}
