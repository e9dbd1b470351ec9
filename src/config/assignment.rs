//! The `[assignment]` section: strategy, period, stale reassignment, the teams leads are
//! routed to (by id or name, with a minimum score, a domain and an order) and overrides of
//! Odoo's `crm.team.member` settings.

use toml::Spanned;

use super::context::Ctx;
use super::raw::{RawAssignment, RawMember, RawRef, RawTeam};
use super::scoring::{LEAD_MODEL, domain};
use crate::assignment::Strategy;
use crate::domain::Domain;

/// A record named in the config by id or by name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RecordRef {
    Id(i64),
    Name(String),
}

impl RecordRef {
    fn from_raw(raw: RawRef) -> RecordRef {
        match raw {
            RawRef::Id(id) => RecordRef::Id(id),
            RawRef::Name(name) => RecordRef::Name(name),
        }
    }

    pub(crate) fn matches(&self, id: i64, name: &str) -> bool {
        match self {
            RecordRef::Id(i) => *i == id,
            RecordRef::Name(n) => n == name,
        }
    }
}

impl std::fmt::Display for RecordRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RecordRef::Id(id) => write!(f, "id {id}"),
            RecordRef::Name(n) => write!(f, "'{n}'"),
        }
    }
}

#[derive(Clone, Debug)]
pub struct TeamConfig {
    pub team: RecordRef,
    pub min_score: i64,
    pub domain: Option<Domain>,
    /// Routing order (lower first); defaults to the position in the file.
    pub order: i64,
}

/// Overrides of one salesperson's membership (`crm.team.member`) settings.
#[derive(Clone, Debug)]
pub struct MemberOverride {
    /// A `res.users` id, login or name.
    pub user: RecordRef,
    /// Only the membership in this team (all of the user's memberships when absent).
    pub team: Option<RecordRef>,
    pub max: Option<i64>,
    pub domain: Option<Domain>,
    pub optout: Option<bool>,
}

#[derive(Clone, Debug)]
pub struct AssignmentConfig {
    pub strategy: Strategy,
    pub work_days: f64,
    pub reassign_stale_days: Option<u64>,
    pub teams: Vec<TeamConfig>,
    pub members: Vec<MemberOverride>,
}

/// Where `work_days` comes from.
enum WorkDays {
    Set(f64),
    /// Not set: derived from the scoring schedule as Odoo derives it from its assignment
    /// cron's interval, so each run hands out the quota of the time since the previous one.
    FromSchedule,
}

impl WorkDays {
    /// Odoo (`crm.team._cron_assign_leads`): minutes → max(0.2, n/1440), hours → max(0.2,
    /// n/24), days → min(30, n), weeks → min(30, 7n), months → 30, no cron → 1. A crontab
    /// line has no single interval, so its mean interval over a year stands in for `n`
    /// (weekdays at 09:00 → 1.4 days, so five runs hand out a week's quota).
    fn resolve(self, scoring_schedule: Option<&str>) -> f64 {
        match self {
            WorkDays::Set(v) => v,
            WorkDays::FromSchedule => {
                let Some(line) = scoring_schedule else {
                    return 1.0;
                };
                let Ok(schedule) = crate::cron::Schedule::parse(line, "UTC") else {
                    return 1.0;
                };
                let from =
                    chrono::DateTime::<chrono::Utc>::UNIX_EPOCH + chrono::Duration::days(20_454); // 2026-01-01, a fixed reference
                // 0.2 days is the floor: more than 5 firings a day change nothing.
                schedule
                    .mean_interval_days(from, 364 * 5 + 1)
                    .map_or(30.0, |d| d.clamp(0.2, 30.0))
            }
        }
    }
}

/// A team's or member's optional `domain`, checked; a mistake clears `ok`.
fn optional_domain(
    ctx: &mut Ctx<'_>,
    text: Option<&Spanned<String>>,
    key: &str,
    ok: &mut bool,
) -> Option<Domain> {
    let d = domain(ctx, text?, &format!("{key}.domain"), LEAD_MODEL);
    *ok &= d.is_some();
    d
}

pub(super) fn validate(
    raw: Option<Spanned<RawAssignment>>,
    scoring_schedule: Option<&str>,
    ctx: &mut Ctx<'_>,
) -> Option<AssignmentConfig> {
    let raw = raw?.into_inner();
    let mut ok = true;
    let strategy = strategy(raw.strategy, ctx, &mut ok);
    let work_days = work_days(raw.work_days, ctx, &mut ok);
    let teams = teams(raw.teams, ctx, &mut ok);
    let members = members(raw.members, ctx, &mut ok);
    if raw.reassign_stale_days.is_some() {
        for f in ["date_open", "date_last_stage_update"] {
            ctx.names_field(LEAD_MODEL, f, "assignment.reassign_stale_days", 0..0);
        }
    }
    ok.then_some(AssignmentConfig {
        strategy,
        work_days: work_days.resolve(scoring_schedule),
        reassign_stale_days: raw.reassign_stale_days.map(Spanned::into_inner),
        teams,
        members,
    })
}

/// `assignment.strategy`: `odoo` (the default) or `round_robin`.
fn strategy(raw: Option<Spanned<String>>, ctx: &mut Ctx<'_>, ok: &mut bool) -> Strategy {
    match raw {
        None => Strategy::Odoo,
        Some(s) => match s.get_ref().as_str() {
            "odoo" => Strategy::Odoo,
            "round_robin" => Strategy::RoundRobin,
            other => {
                ctx.error(
                    s.span(),
                    "assignment.strategy",
                    format!("unknown strategy '{other}'"),
                    Some("one of \"odoo\", \"round_robin\"".into()),
                );
                *ok = false;
                Strategy::Odoo
            }
        },
    }
}

/// `assignment.work_days`: within Odoo's bounds; by default derived from the schedule.
fn work_days(raw: Option<Spanned<f64>>, ctx: &mut Ctx<'_>, ok: &mut bool) -> WorkDays {
    match raw {
        None => WorkDays::FromSchedule,
        Some(w) => {
            let v = *w.get_ref();
            if !(0.2..=30.0).contains(&v) {
                ctx.error(
                    w.span(),
                    "assignment.work_days",
                    format!("{v} is outside 0.2..30 (Odoo refuses it too)"),
                    None,
                );
                *ok = false;
            }
            WorkDays::Set(v)
        }
    }
}

/// `[[assignment.teams]]`: at least one, each naming a team Odoo has.
fn teams(raw: Vec<Spanned<RawTeam>>, ctx: &mut Ctx<'_>, ok: &mut bool) -> Vec<TeamConfig> {
    if raw.is_empty() {
        ctx.error(
            0..0,
            "assignment.teams",
            "no team to route leads to",
            Some("add [[assignment.teams]] team = \"Direct Sales\"".into()),
        );
        *ok = false;
    }
    let mut teams = Vec::new();
    for (i, t) in raw.into_iter().enumerate() {
        let t = t.into_inner();
        let key = format!("assignment.teams[{i}]");
        let d = optional_domain(ctx, t.domain.as_ref(), &key, ok);
        let team_span = t.team.span();
        let team = RecordRef::from_raw(t.team.into_inner());
        ctx.names_record(
            "crm.team",
            team.clone(),
            format!("{key}.team"),
            team_span,
            Some("the name as Odoo shows it in CRM → Configuration → Sales Teams".into()),
        );
        teams.push(TeamConfig {
            team,
            min_score: t.min_score.map_or(0, Spanned::into_inner),
            domain: d,
            order: t.order.map_or(i as i64, Spanned::into_inner),
        });
    }
    teams
}

/// `[[assignment.members]]`: per-salesperson overrides of Odoo's member settings.
fn members(raw: Vec<Spanned<RawMember>>, ctx: &mut Ctx<'_>, ok: &mut bool) -> Vec<MemberOverride> {
    let mut members = Vec::new();
    for (i, m) in raw.into_iter().enumerate() {
        let m = m.into_inner();
        let key = format!("assignment.members[{i}]");
        let d = optional_domain(ctx, m.domain.as_ref(), &key, ok);
        if let Some(max) = &m.max
            && *max.get_ref() < 0
        {
            ctx.error(
                max.span(),
                format!("{key}.max"),
                "must not be negative",
                None,
            );
            *ok = false;
        }
        members.push(MemberOverride {
            user: RecordRef::from_raw(m.user.into_inner()),
            team: m.team.map(|t| {
                let span = t.span();
                let team = RecordRef::from_raw(t.into_inner());
                ctx.names_record("crm.team", team.clone(), format!("{key}.team"), span, None);
                team
            }),
            max: m.max.map(Spanned::into_inner),
            domain: d,
            optout: m.optout.map(Spanned::into_inner),
        });
    }
    members
}
