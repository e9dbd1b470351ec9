//! The `[gamification]` section: when the job runs, whether Odoo's own challenges are
//! computed, config-as-code challenges (`[[gamification.challenges]]`, provisioned into Odoo
//! by `setup`) and point rules (`[[gamification.point_rules]]`) for karma.

use toml::Spanned;

use super::context::Ctx;
use super::raw::{
    RawBadgeRule, RawChallenge, RawChallengeLine, RawGamification, RawLevel, RawPointRule,
    RawTeamPoints,
};
use crate::domain::Domain;
use crate::gamification::achievements::{Aggregate, Window};
use crate::gamification::levels::OnDrop;
use crate::gamification::{Condition, Period};

/// Validated gamification settings.
#[derive(Clone, Debug, PartialEq)]
pub struct GamificationConfig {
    /// Cron line (5 or 6 fields); `None` = only on demand.
    pub schedule: Option<String>,
    /// Compute the challenges defined in Odoo's own screens.
    pub odoo_challenges: bool,
    /// Users without any matching record get 0 in batch definitions (Odoo leaves their goal
    /// untouched; semantics gotcha 9).
    pub batch_missing_as_zero: bool,
    pub challenges: Vec<ChallengeSpec>,
    pub point_rules: Vec<PointRule>,
    /// Levels (Odoo karma ranks) and the badge each earns, lowest first.
    pub levels: Vec<LevelSpec>,
    /// What happens to a level's badge when its holder's karma falls below it again.
    pub level_drop: OnDrop,
    /// Achievement badges: a condition over records per person (or team) → a badge.
    pub badge_rules: Vec<BadgeRuleSpec>,
    /// Team points: karma for every member of a sales team whose records reach a target.
    pub team_points: Vec<TeamPointsSpec>,
}

/// Team points (`[[gamification.team_points]]`): when a sales team's records of a period
/// (counted, or `field` summed, by the record's `team_field`) reach the target, each member
/// gets `points` karma, once per team per period (`gamification::team_points`).
#[derive(Clone, Debug, PartialEq)]
pub struct TeamPointsSpec {
    /// Stable identifier, part of every award's key.
    pub key: String,
    pub name: String,
    /// Sales team names; empty = every sales team.
    pub teams: Vec<String>,
    pub model: String,
    pub domain: String,
    /// The record's sales team (`team_id` on leads, orders and invoices).
    pub team_field: String,
    pub date_field: String,
    /// Count or sum.
    pub aggregate: Aggregate,
    pub field: Option<String>,
    pub target: TeamTarget,
    pub window: Window,
    pub points: i64,
}

/// What a team's records must reach.
#[derive(Clone, Debug, PartialEq)]
pub enum TeamTarget {
    Fixed(f64),
    /// A field of `crm.team` holding each team's own target (`invoiced_target`).
    Field(String),
}

/// An achievement badge rule (`[[gamification.badge_rules]]`).
#[derive(Clone, Debug, PartialEq)]
pub struct BadgeRuleSpec {
    /// Stable identifier, part of every grant's key.
    pub key: String,
    pub name: String,
    /// The `gamification.badge` name (created by `setup` when missing).
    pub badge: String,
    pub model: String,
    pub domain: String,
    pub user_field: String,
    pub date_field: Option<String>,
    pub aggregate: Aggregate,
    /// The field summed or maxed.
    pub field: Option<String>,
    pub threshold: f64,
    pub window: Window,
    /// Reward whole sales teams whose members all reached the threshold.
    pub team: bool,
}

/// A level: an Odoo karma rank (created by `setup` when missing) and the badge reaching it
/// earns (created by `setup` when missing).
#[derive(Clone, Debug, PartialEq)]
pub struct LevelSpec {
    /// Stable identifier, part of every grant's idempotency key.
    pub key: String,
    /// The `gamification.karma.rank` name.
    pub name: String,
    /// The karma the rank starts at (what `setup` gives a rank it creates).
    pub karma_min: i64,
    /// The `gamification.badge` name.
    pub badge: String,
    /// A pay bonus for reaching the level: an incidental amount recorded in
    /// `x_sk_incidental` (dated the day the level was reached), which a pay plan with
    /// `incidental = {}` turns into a line of that period's statement.
    pub bonus: Option<f64>,
    /// Pay the bonus again each time the level is reached anew after a drop (default: once
    /// per person ever).
    pub bonus_each_time: bool,
}

/// Who takes part in a config-as-code challenge.
#[derive(Clone, Debug, PartialEq)]
pub enum Participants {
    /// Logins.
    Users(Vec<String>),
    /// A Python-literal domain on `res.users`.
    Domain(String),
    /// Members of the sales team with this name.
    Team(String),
}

/// A challenge defined in the config file.
#[derive(Clone, Debug, PartialEq)]
pub struct ChallengeSpec {
    pub name: String,
    pub period: Period,
    pub participants: Participants,
    pub lines: Vec<LineSpec>,
}

/// How a config line is computed.
#[derive(Clone, Debug, PartialEq)]
pub enum Measure {
    Count,
    Sum(String),
}

/// A challenge line and its goal definition (created in Odoo as a `manually` definition that
/// scorekeeper computes).
#[derive(Clone, Debug, PartialEq)]
pub struct LineSpec {
    /// The goal definition's name (unique: it links the Odoo definition to this spec).
    pub name: String,
    pub model: String,
    pub measure: Measure,
    pub domain: String,
    pub date_field: Option<String>,
    /// The field naming the user credited (`user_id`, `invoice_user_id`, `create_uid`, ...).
    pub user_field: String,
    pub target: f64,
    pub condition: Condition,
    pub suffix: Option<String>,
}

/// Karma points on a business event.
#[derive(Clone, Debug, PartialEq)]
pub struct PointRule {
    /// Stable identifier, part of every entry's idempotency key.
    pub key: String,
    pub name: String,
    pub model: String,
    pub domain: String,
    pub user_field: String,
    pub points: i64,
    /// Points per `per_amount` of this field (e.g. 1 point per 1,000 invoiced).
    pub amount_field: Option<String>,
    pub per_amount: Option<f64>,
    /// Only records dated from `--since` on count in a trial run.
    pub date_field: Option<String>,
    /// Whose records earn points under this rule (per-role rules).
    pub scope: RuleScope,
    /// At most so many points per person per day and per period (needs `date_field`).
    pub caps: crate::gamification::caps::Caps,
    /// On `account.move` rules: an invoice refunded (a posted credit note reversing it) within
    /// so many days of its invoice date earns nothing, and what it earned is compensated. On
    /// `crm.lead` rules: the same for a deal one of whose invoices (through its sale orders) is
    /// refunded, or cancelled, within so many days of its invoice date.
    pub refund_window_days: Option<i64>,
}

/// The people a point rule applies to; everyone else's records earn nothing under it.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum RuleScope {
    #[default]
    Everyone,
    /// Logins.
    Users(Vec<String>),
    /// Members of the sales teams with these names.
    Teams(Vec<String>),
    /// Members of the groups with these XML ids (`sales_team.group_sale_manager`), implied
    /// membership included, as Odoo grants rights.
    Groups(Vec<String>),
    /// A Python-literal domain on `res.users` (groups, companies, ...: e.g.
    /// `[('groups_id.name', '=', 'Administrator')]`).
    Domain(String),
}

fn text(ctx: &mut Ctx<'_>, v: &Spanned<String>, key: &str) -> Option<String> {
    let s = v.get_ref().trim();
    if s.is_empty() {
        ctx.error(v.span(), key, "must not be empty", None);
        return None;
    }
    Some(s.to_string())
}

fn domain(ctx: &mut Ctx<'_>, v: Option<&Spanned<String>>, key: &str, model: &str) -> String {
    let Some(v) = v else {
        return "[]".into();
    };
    match Domain::parse(v.get_ref()) {
        Ok(d) => {
            ctx.names_domain(model, &d, key, v.span());
        }
        Err(e) => ctx.error(
            v.span(),
            key,
            format!("not a valid domain: {e}"),
            Some("the Python-literal form Odoo shows, e.g. [('type', '=', 'opportunity')]".into()),
        ),
    }
    v.get_ref().clone()
}

fn field(ctx: &mut Ctx<'_>, model: &str, v: &Spanned<String>, key: &str) -> Option<String> {
    let name = text(ctx, v, key)?;
    ctx.names_field(model, name.clone(), key, v.span());
    Some(name)
}

pub(super) fn validate(
    raw: Option<Spanned<RawGamification>>,
    ctx: &mut Ctx<'_>,
) -> Option<Option<GamificationConfig>> {
    let Some(raw) = raw else {
        return Some(None);
    };
    let raw = raw.into_inner();
    let errors_before = ctx.has_errors();
    let schedule = raw.schedule.as_ref().and_then(|s| {
        // The zone comes from [daemon]; the syntax does not depend on it.
        match crate::cron::Schedule::parse(s.get_ref(), "UTC") {
            Ok(_) => Some(s.get_ref().trim().to_string()),
            Err(e) => {
                ctx.error(
                    s.span(),
                    "gamification.schedule",
                    e.to_string(),
                    Some("e.g. schedule = \"0 * * * *\" (every hour)".into()),
                );
                None
            }
        }
    });
    let mut challenges = Vec::new();
    let mut names = std::collections::HashSet::new();
    for (i, c) in raw.challenges.iter().enumerate() {
        let key = format!("gamification.challenges[{i}]");
        if let Some(spec) = challenge(ctx, c.get_ref(), &key, &mut names) {
            challenges.push(spec);
        }
    }
    let mut point_rules = Vec::new();
    let mut keys = std::collections::HashSet::new();
    for (i, r) in raw.point_rules.iter().enumerate() {
        let key = format!("gamification.point_rules[{i}]");
        if let Some(rule) = point_rule(ctx, r.get_ref(), &key) {
            if !keys.insert(rule.key.clone()) {
                ctx.error(
                    r.get_ref().key.span(),
                    format!("{key}.key"),
                    format!("duplicate point rule key {:?}", rule.key),
                    Some(
                        "keys name the rule in every karma entry; keep them unique and stable"
                            .into(),
                    ),
                );
            }
            point_rules.push(rule);
        }
    }
    let levels = levels(ctx, &raw.levels);
    let mut badge_rules: Vec<BadgeRuleSpec> = Vec::new();
    for (i, r) in raw.badge_rules.iter().enumerate() {
        let key = format!("gamification.badge_rules[{i}]");
        if let Some(rule) = badge_rule(ctx, r.get_ref(), &key) {
            if badge_rules.iter().any(|b| b.key == rule.key) {
                ctx.error(
                    r.get_ref().key.span(),
                    format!("{key}.key"),
                    format!("duplicate badge rule key {:?}", rule.key),
                    Some("keys name the rule in every grant; keep them unique and stable".into()),
                );
            }
            badge_rules.push(rule);
        }
    }
    let mut team_points: Vec<TeamPointsSpec> = Vec::new();
    for (i, r) in raw.team_points.iter().enumerate() {
        let key = format!("gamification.team_points[{i}]");
        if let Some(rule) = team_rule(ctx, r.get_ref(), &key) {
            if team_points.iter().any(|t| t.key == rule.key)
                || point_rules.iter().any(|p| p.key == rule.key)
            {
                ctx.error(
                    r.get_ref().key.span(),
                    format!("{key}.key"),
                    format!("duplicate rule key {:?}", rule.key),
                    Some("point rules and team points share karma keys; keep them unique".into()),
                );
            }
            team_points.push(rule);
        }
    }
    let level_drop = ctx
        .one_of(
            raw.level_drop.as_ref(),
            "gamification.level_drop",
            OnDrop::Keep,
            &[("keep", OnDrop::Keep), ("revoke", OnDrop::Revoke)],
            "keep (the badge stays) or revoke (the grant is deleted)",
        )
        .unwrap_or(OnDrop::Keep);
    if ctx.has_errors() && !errors_before {
        return None;
    }
    Some(Some(GamificationConfig {
        badge_rules,
        team_points,
        levels,
        level_drop,
        schedule,
        odoo_challenges: raw.odoo_challenges.is_none_or(|v| *v.get_ref()),
        batch_missing_as_zero: raw.batch_missing_as_zero.is_none_or(|v| *v.get_ref()),
        challenges,
        point_rules,
    }))
}

fn challenge(
    ctx: &mut Ctx<'_>,
    c: &RawChallenge,
    key: &str,
    names: &mut std::collections::HashSet<String>,
) -> Option<ChallengeSpec> {
    let name = text(ctx, &c.name, &format!("{key}.name"))?;
    let period = match &c.period {
        None => Period::Monthly,
        Some(p) => match p.get_ref().as_str() {
            "once" | "daily" | "weekly" | "monthly" | "yearly" => Period::parse(p.get_ref()),
            other => {
                ctx.error(
                    p.span(),
                    format!("{key}.period"),
                    format!("unknown period {other:?}"),
                    Some("one of once, daily, weekly, monthly, yearly".into()),
                );
                return None;
            }
        },
    };
    let participants = match (&c.users, &c.user_domain, &c.team) {
        (Some(users), None, None) => {
            Participants::Users(users.iter().map(|u| u.get_ref().clone()).collect())
        }
        (None, Some(d), None) => Participants::Domain(domain(
            ctx,
            Some(d),
            &format!("{key}.user_domain"),
            "res.users",
        )),
        (None, None, Some(t)) => Participants::Team(text(ctx, t, &format!("{key}.team"))?),
        _ => {
            ctx.error(c.name.span(), key.to_string(), "give exactly one of users, user_domain or team", Some("users = [\"alice\"], user_domain = \"[('share', '=', False)]\" or team = \"Direct Sales\"".into()));
            return None;
        }
    };
    if c.lines.is_empty() {
        ctx.error(
            c.name.span(),
            format!("{key}.lines"),
            "a challenge needs at least one line",
            None,
        );
    }
    let mut lines = Vec::new();
    for (i, l) in c.lines.iter().enumerate() {
        let lkey = format!("{key}.lines[{i}]");
        if let Some(line) = line(ctx, l.get_ref(), &lkey) {
            if !names.insert(line.name.clone()) {
                ctx.error(
                    l.get_ref().name.span(),
                    format!("{lkey}.name"),
                    format!("duplicate line name {:?}", line.name),
                    Some("the name links the line to its goal definition in Odoo".into()),
                );
            }
            lines.push(line);
        }
    }
    Some(ChallengeSpec {
        name,
        period,
        participants,
        lines,
    })
}

fn line(ctx: &mut Ctx<'_>, l: &RawChallengeLine, key: &str) -> Option<LineSpec> {
    let name = text(ctx, &l.name, &format!("{key}.name"))?;
    let model = text(ctx, &l.model, &format!("{key}.model"))?;
    ctx.names_model(&model, format!("{key}.model"), l.model.span());
    let measure = match (&l.count, &l.sum) {
        (Some(c), None) if *c.get_ref() => Measure::Count,
        (None, Some(f)) => Measure::Sum(field(ctx, &model, f, &format!("{key}.sum"))?),
        _ => {
            ctx.error(
                l.name.span(),
                key.to_string(),
                "give either count = true or sum = \"<field>\"",
                None,
            );
            return None;
        }
    };
    let condition = match l.condition.as_ref().map(|c| c.get_ref().as_str()) {
        None | Some("higher") => Condition::Higher,
        Some("lower") => Condition::Lower,
        Some(other) => {
            let span = l.condition.as_ref().map(|c| c.span()).unwrap_or_default();
            ctx.error(
                span,
                format!("{key}.condition"),
                format!("unknown condition {other:?}"),
                Some("higher or lower".into()),
            );
            return None;
        }
    };
    Some(LineSpec {
        domain: domain(ctx, l.domain.as_ref(), &format!("{key}.domain"), &model),
        date_field: match &l.date_field {
            Some(f) => Some(field(ctx, &model, f, &format!("{key}.date_field"))?),
            None => None,
        },
        user_field: field(ctx, &model, &l.user_field, &format!("{key}.user_field"))?,
        target: *l.target.get_ref(),
        condition,
        suffix: l.suffix.as_ref().map(|s| s.get_ref().clone()),
        name,
        model,
        measure,
    })
}

/// The ladder: keys unique and of key characters, names unique, `karma_min` positive (Odoo's
/// SQL check) and strictly increasing in file order.
fn levels(ctx: &mut Ctx<'_>, raw: &[Spanned<RawLevel>]) -> Vec<LevelSpec> {
    let mut out: Vec<LevelSpec> = Vec::new();
    let mut previous: Option<i64> = None;
    for (i, l) in raw.iter().enumerate() {
        let key = format!("gamification.levels[{i}]");
        let l = l.get_ref();
        let min = *l.karma_min.get_ref();
        if min <= 0 {
            ctx.error(
                l.karma_min.span(),
                format!("{key}.karma_min"),
                format!("must be positive, not {min}"),
                Some("Odoo's karma ranks start at 1 karma or more".into()),
            );
        } else if let Some(p) = previous
            && min <= p
        {
            ctx.error(
                l.karma_min.span(),
                format!("{key}.karma_min"),
                format!("the ladder must increase: {min} is not above the level before ({p})"),
                Some("list levels lowest first, each above the one before".into()),
            );
        }
        previous = Some(min);
        let Some(level_key) = text(ctx, &l.key, &format!("{key}.key")) else {
            continue;
        };
        if !level_key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            ctx.error(
                l.key.span(),
                format!("{key}.key"),
                format!("{level_key:?} may only hold ASCII letters, digits and '-'"),
                Some("e.g. key = \"student\"".into()),
            );
            continue;
        }
        if out.iter().any(|o| o.key == level_key) {
            ctx.error(
                l.key.span(),
                format!("{key}.key"),
                format!("duplicate level key {level_key:?}"),
                Some("keys name the level in every grant; keep them unique and stable".into()),
            );
        }
        let (Some(name), Some(badge)) = (
            text(ctx, &l.name, &format!("{key}.name")),
            text(ctx, &l.badge, &format!("{key}.badge")),
        ) else {
            continue;
        };
        if out.iter().any(|o| o.name == name) {
            ctx.error(
                l.name.span(),
                format!("{key}.name"),
                format!("duplicate level name {name:?}"),
                Some("each level is its own karma rank".into()),
            );
        }
        let bonus = match &l.bonus {
            None => None,
            Some(b) if *b.get_ref() > 0.0 && b.get_ref().is_finite() => {
                // Checked against [pay] once it is read.
                ctx.locates(format!("{key}.bonus"), b.span());
                Some(*b.get_ref())
            }
            Some(b) => {
                ctx.error(
                    b.span(),
                    format!("{key}.bonus"),
                    format!("must be a positive amount, not {}", b.get_ref()),
                    Some("leave the bonus out for a level that pays none".into()),
                );
                continue;
            }
        };
        if let (None, Some(each)) = (bonus, &l.bonus_each_time) {
            ctx.error(
                each.span(),
                format!("{key}.bonus_each_time"),
                "there is no bonus to pay again",
                Some("e.g. bonus = 200".into()),
            );
            continue;
        }
        out.push(LevelSpec {
            key: level_key,
            name,
            karma_min: min,
            badge,
            bonus,
            bonus_each_time: l.bonus_each_time.as_ref().is_some_and(|b| *b.get_ref()),
        });
    }
    out
}

fn badge_rule(ctx: &mut Ctx<'_>, r: &RawBadgeRule, key: &str) -> Option<BadgeRuleSpec> {
    let rule_key = text(ctx, &r.key, &format!("{key}.key"))?;
    if !rule_key
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        ctx.error(
            r.key.span(),
            format!("{key}.key"),
            format!("{rule_key:?} may only hold ASCII letters, digits and '-'"),
            Some("e.g. key = \"big-deal\"".into()),
        );
        return None;
    }
    let model = text(ctx, &r.model, &format!("{key}.model"))?;
    ctx.names_model(&model, format!("{key}.model"), r.model.span());
    let aggregate = ctx.one_of(
        r.aggregate.as_ref(),
        &format!("{key}.aggregate"),
        Aggregate::Count,
        &[
            ("count", Aggregate::Count),
            ("sum", Aggregate::Sum),
            ("max", Aggregate::Max),
        ],
        "count, sum or max",
    )?;
    let aggregated = match &r.field {
        Some(f) => Some(field(ctx, &model, f, &format!("{key}.field"))?),
        None => None,
    };
    if aggregate != Aggregate::Count && aggregated.is_none() {
        ctx.error(
            r.key.span(),
            format!("{key}.field"),
            format!(
                "aggregate = \"{}\" needs the field it aggregates",
                aggregate.as_str()
            ),
            Some("e.g. field = \"expected_revenue\"".into()),
        );
        return None;
    }
    let window = ctx.one_of(
        r.period.as_ref(),
        &format!("{key}.period"),
        Window::Once,
        &[
            ("once", Window::Once),
            ("daily", Window::Daily),
            ("weekly", Window::Weekly),
            ("monthly", Window::Monthly),
            ("yearly", Window::Yearly),
        ],
        "once, daily, weekly, monthly or yearly",
    )?;
    let date_field = match &r.date_field {
        Some(f) => Some(field(ctx, &model, f, &format!("{key}.date_field"))?),
        None => None,
    };
    if window != Window::Once && date_field.is_none() {
        let span = r.period.as_ref().map(|p| p.span()).unwrap_or_default();
        ctx.error(
            span,
            format!("{key}.period"),
            "a period needs a date_field to place each record in one",
            Some("e.g. date_field = \"start\"".into()),
        );
        return None;
    }
    let threshold = *r.threshold.get_ref();
    if !(threshold > 0.0 && threshold.is_finite()) {
        ctx.error(
            r.threshold.span(),
            format!("{key}.threshold"),
            "must be a positive number",
            None,
        );
        return None;
    }
    Some(BadgeRuleSpec {
        key: rule_key,
        name: text(ctx, &r.name, &format!("{key}.name"))?,
        badge: text(ctx, &r.badge, &format!("{key}.badge"))?,
        domain: domain(ctx, r.domain.as_ref(), &format!("{key}.domain"), &model),
        user_field: field(ctx, &model, &r.user_field, &format!("{key}.user_field"))?,
        date_field,
        aggregate,
        field: aggregated,
        threshold,
        window,
        team: r.team.as_ref().is_some_and(|t| *t.get_ref()),
        model,
    })
}

/// A key of ASCII letters, digits and '-' (it goes into idempotency keys).
fn rule_key(ctx: &mut Ctx<'_>, v: &Spanned<String>, key: &str, example: &str) -> Option<String> {
    let k = text(ctx, v, &format!("{key}.key"))?;
    if !k.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        ctx.error(
            v.span(),
            format!("{key}.key"),
            format!("{k:?} may only hold ASCII letters, digits and '-'"),
            Some(format!("e.g. key = \"{example}\"")),
        );
        return None;
    }
    Some(k)
}

fn team_rule(ctx: &mut Ctx<'_>, r: &RawTeamPoints, key: &str) -> Option<TeamPointsSpec> {
    let rule_key = rule_key(ctx, &r.key, key, "team-target")?;
    let points = *r.points.get_ref();
    if points <= 0 {
        ctx.error(
            r.points.span(),
            format!("{key}.points"),
            format!("must be a positive number of points, not {points}"),
            Some("a team reward worth nothing is a rule to remove".into()),
        );
        return None;
    }
    let model = text(ctx, &r.model, &format!("{key}.model"))?;
    ctx.names_model(&model, format!("{key}.model"), r.model.span());
    let mut teams = Vec::new();
    for (i, t) in r.teams.iter().flatten().enumerate() {
        let name = text(ctx, t, &format!("{key}.teams[{i}]"))?;
        ctx.names_record(
            "crm.team",
            crate::config::RecordRef::Name(name.clone()),
            format!("{key}.teams[{i}]"),
            t.span(),
            Some("the name as Odoo shows it in CRM → Configuration → Sales Teams".into()),
        );
        teams.push(name);
    }
    let team_field = match &r.team_field {
        Some(f) => field(ctx, &model, f, &format!("{key}.team_field"))?,
        None => {
            ctx.names_field(
                &model,
                "team_id".to_owned(),
                format!("{key}.team_field"),
                r.model.span(),
            );
            "team_id".to_owned()
        }
    };
    let aggregate = ctx.one_of(
        r.aggregate.as_ref(),
        &format!("{key}.aggregate"),
        Aggregate::Count,
        &[("count", Aggregate::Count), ("sum", Aggregate::Sum)],
        "count or sum",
    )?;
    let summed = match &r.field {
        Some(f) => Some(field(ctx, &model, f, &format!("{key}.field"))?),
        None => None,
    };
    if aggregate == Aggregate::Sum && summed.is_none() {
        ctx.error(
            r.key.span(),
            format!("{key}.field"),
            "aggregate = \"sum\" needs the field it sums",
            Some("e.g. field = \"amount_untaxed_signed\"".into()),
        );
        return None;
    }
    let target = match (&r.target, &r.target_field) {
        (Some(t), None) if *t.get_ref() > 0.0 && t.get_ref().is_finite() => {
            TeamTarget::Fixed(*t.get_ref())
        }
        (Some(t), None) => {
            ctx.error(
                t.span(),
                format!("{key}.target"),
                "must be a positive number",
                None,
            );
            return None;
        }
        (None, Some(f)) => {
            TeamTarget::Field(field(ctx, "crm.team", f, &format!("{key}.target_field"))?)
        }
        _ => {
            ctx.error(
                r.key.span(),
                format!("{key}.target"),
                "give exactly one of target or target_field",
                Some("target = 100000, or target_field = \"invoiced_target\" (each team's own monthly Invoicing Target)".into()),
            );
            return None;
        }
    };
    let window = ctx.one_of(
        r.period.as_ref(),
        &format!("{key}.period"),
        Window::Monthly,
        &[
            ("daily", Window::Daily),
            ("weekly", Window::Weekly),
            ("monthly", Window::Monthly),
            ("yearly", Window::Yearly),
        ],
        "daily, weekly, monthly or yearly",
    )?;
    Some(TeamPointsSpec {
        key: rule_key,
        name: text(ctx, &r.name, &format!("{key}.name"))?,
        teams,
        domain: domain(ctx, r.domain.as_ref(), &format!("{key}.domain"), &model),
        team_field,
        date_field: field(ctx, &model, &r.date_field, &format!("{key}.date_field"))?,
        aggregate,
        field: summed,
        target,
        window,
        points,
        model,
    })
}

/// `daily_cap`, `period_cap` and `cap_period` (default monthly): positive numbers.
fn caps(ctx: &mut Ctx<'_>, r: &RawPointRule, key: &str) -> Option<crate::gamification::caps::Caps> {
    let mut positive = |v: &Option<Spanned<i64>>, name: &str| -> Result<Option<i64>, ()> {
        match v {
            None => Ok(None),
            Some(c) if *c.get_ref() > 0 => Ok(Some(*c.get_ref())),
            Some(c) => {
                ctx.error(
                    c.span(),
                    format!("{key}.{name}"),
                    format!("a cap must be positive, not {}", c.get_ref()),
                    Some(
                        "leave the cap out for no cap; a rule worth nothing is a rule to remove"
                            .into(),
                    ),
                );
                Err(())
            }
        }
    };
    let per_day = positive(&r.daily_cap, "daily_cap").ok()?;
    let per_period = positive(&r.period_cap, "period_cap").ok()?;
    let window = ctx.one_of(
        r.cap_period.as_ref(),
        &format!("{key}.cap_period"),
        Window::Monthly,
        &[
            ("weekly", Window::Weekly),
            ("monthly", Window::Monthly),
            ("yearly", Window::Yearly),
        ],
        "weekly, monthly or yearly",
    )?;
    Some(crate::gamification::caps::Caps {
        per_day,
        per_period: per_period.map(|c| (c, window)),
    })
}

fn point_rule(ctx: &mut Ctx<'_>, r: &RawPointRule, key: &str) -> Option<PointRule> {
    let rule_key = text(ctx, &r.key, &format!("{key}.key"))?;
    if !rule_key
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        ctx.error(
            r.key.span(),
            format!("{key}.key"),
            format!("{rule_key:?} may only hold ASCII letters, digits and '-'"),
            Some("e.g. key = \"won-deal\"".into()),
        );
        return None;
    }
    let model = text(ctx, &r.model, &format!("{key}.model"))?;
    ctx.names_model(&model, format!("{key}.model"), r.model.span());
    let amount_field = match &r.amount_field {
        Some(f) => Some(field(ctx, &model, f, &format!("{key}.amount_field"))?),
        None => None,
    };
    let per_amount = r.per_amount.as_ref().map(|p| *p.get_ref());
    if let (Some(p), Some(span)) = (per_amount, r.per_amount.as_ref().map(|p| p.span()))
        && (p <= 0.0 || !p.is_finite())
    {
        ctx.error(
            span,
            format!("{key}.per_amount"),
            "must be a positive number",
            None,
        );
    }
    let given = [
        r.users.is_some(),
        r.teams.is_some(),
        r.groups.is_some(),
        r.user_domain.is_some(),
    ]
    .into_iter()
    .filter(|g| *g)
    .count();
    let empty = [&r.users, &r.teams, &r.groups]
        .into_iter()
        .any(|l| l.as_ref().is_some_and(Vec::is_empty));
    if given > 1 || empty {
        ctx.error(
            r.key.span(),
            key.to_string(),
            "give at most one of users, teams, groups or user_domain, and not an empty list",
            Some("users = [\"demo\"], teams = [\"Direct Sales\"], groups = [\"sales_team.group_sale_manager\"] or user_domain = \"[('share', '=', False)]\"".into()),
        );
        return None;
    }
    let scope = if let Some(u) = &r.users {
        RuleScope::Users(u.iter().map(|l| l.get_ref().trim().to_owned()).collect())
    } else if let Some(t) = &r.teams {
        RuleScope::Teams(t.iter().map(|l| l.get_ref().trim().to_owned()).collect())
    } else if let Some(g) = &r.groups {
        let mut xml_ids = Vec::with_capacity(g.len());
        for (i, x) in g.iter().enumerate() {
            let gkey = format!("{key}.groups[{i}]");
            let xml = text(ctx, x, &gkey)?;
            if xml
                .split_once('.')
                .is_none_or(|(m, n)| m.is_empty() || n.is_empty())
            {
                ctx.error(
                    x.span(),
                    gkey,
                    format!("{xml:?} is not a group XML id"),
                    Some("e.g. groups = [\"sales_team.group_sale_manager\"]".into()),
                );
                return None;
            }
            ctx.names_xml_id(&xml, "res.groups", gkey, x.span());
            xml_ids.push(xml);
        }
        RuleScope::Groups(xml_ids)
    } else if let Some(d) = &r.user_domain {
        RuleScope::Domain(domain(
            ctx,
            Some(d),
            &format!("{key}.user_domain"),
            "res.users",
        ))
    } else {
        RuleScope::Everyone
    };
    let caps = caps(ctx, r, key)?;
    if !caps.is_none() && r.date_field.is_none() {
        ctx.error(
            r.key.span(),
            format!("{key}.date_field"),
            "caps need a date_field to place each record in a day and a period",
            Some("e.g. date_field = \"date_closed\"".into()),
        );
        return None;
    }
    let refund_window_days = match &r.refund_window_days {
        None => None,
        Some(d) if *d.get_ref() <= 0 => {
            ctx.error(
                d.span(),
                format!("{key}.refund_window_days"),
                format!("must be a positive number of days, not {}", d.get_ref()),
                None,
            );
            return None;
        }
        Some(d) if !matches!(r.model.get_ref().trim(), "account.move" | "crm.lead") => {
            ctx.error(
                d.span(),
                format!("{key}.refund_window_days"),
                "only a rule on account.move (invoices) or crm.lead (deals, through their \
                 sale orders' invoices) can be revoked by a refund",
                None,
            );
            return None;
        }
        Some(d) => Some(*d.get_ref()),
    };
    Some(PointRule {
        refund_window_days,
        caps,
        scope,
        key: rule_key,
        name: text(ctx, &r.name, &format!("{key}.name"))?,
        domain: domain(ctx, r.domain.as_ref(), &format!("{key}.domain"), &model),
        user_field: field(ctx, &model, &r.user_field, &format!("{key}.user_field"))?,
        points: *r.points.get_ref(),
        amount_field,
        per_amount,
        date_field: match &r.date_field {
            Some(f) => Some(field(ctx, &model, f, &format!("{key}.date_field"))?),
            None => None,
        },
        model,
    })
}
