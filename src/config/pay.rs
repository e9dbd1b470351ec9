//! The `[pay]` section: commission plans (`[[pay.plans]]`), KPIs (`[[pay.kpis]]`) and
//! coefficients (`[[pay.coefficients]]`), validated into the pay engine's types.
//!
//! Amounts and rates are exact decimals: write rates as `"5%"` or `0.05`, amounts as
//! `"99.95"` or `100` (a TOML float is read through its shortest decimal form, so `0.05` is
//! exactly 5 %). Choices where issue 14 is silent, documented in `config/example.toml`:
//! thresholds of tiers and coefficient bands are "at least" (exactly 100 % reaches the
//! 100 % band); the first band must start at 0 %; a person in two plans paying the same
//! component is refused here when the config alone shows it (same login, team or group)
//! and by the engine at run time otherwise, unless both plans say `stack = true`.

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;
use toml::Spanned;

use super::assignment::RecordRef;
use super::context::Ctx;
use crate::domain::Domain;
use crate::pay::coefficient::{
    Aggregate, CoefBand, CoefficientSource, CoefficientSpec, KpiSpec, SatisfactionSource,
};
use crate::pay::components::{
    Addon, AddonPay, IncidentalSource, Referral, ReferralSource, Repeat, Setter,
};
use crate::pay::tiers::{TierBand, TierMode, Tiers};
use crate::pay::{
    ComponentKind, Components, DocumentSource, Members, Money, PayConfig, PeriodKind, PlanSpec,
    Ratio,
};

/// The incidental model when a plan names none (created by the admin; `setup` does not
/// provision it yet).
pub const INCIDENTAL_MODEL: &str = "x_sk_incidental";

/// A number as written: a TOML integer, float or string (all read as exact decimals).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum RawNum {
    Int(i64),
    Float(f64),
    Text(String),
}

impl RawNum {
    fn text(&self) -> String {
        match self {
            RawNum::Int(i) => i.to_string(),
            // Rust prints the shortest text that reads back as the same float: 0.05 → "0.05".
            RawNum::Float(f) => format!("{f}"),
            RawNum::Text(s) => s.clone(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPay {
    pub schedule: Option<Spanned<String>>,
    pub currency_decimals: Option<Spanned<u32>>,
    pub close_after_days: Option<Spanned<u32>>,
    #[serde(default)]
    pub plans: Vec<Spanned<RawPlan>>,
    #[serde(default)]
    pub kpis: Vec<Spanned<RawKpi>>,
    #[serde(default)]
    pub coefficients: Vec<Spanned<RawCoefficient>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPlan {
    pub key: Spanned<String>,
    pub name: Spanned<String>,
    pub users: Option<Vec<Spanned<String>>>,
    pub team: Option<Spanned<String>>,
    pub group: Option<Spanned<String>>,
    pub user_domain: Option<Spanned<String>>,
    pub period: Option<Spanned<String>>,
    pub documents: Option<Spanned<String>>,
    pub user_field: Option<Spanned<String>>,
    pub stack: Option<Spanned<bool>>,
    pub basic: Option<Spanned<RawNum>>,
    pub tiers: Option<Spanned<RawTiers>>,
    #[serde(default)]
    pub addons: Vec<Spanned<RawAddon>>,
    pub repeat: Option<Spanned<RawRepeat>>,
    pub incidental: Option<Spanned<RawIncidental>>,
    pub referral: Option<Spanned<RawReferral>>,
    pub setter: Option<Spanned<RawSetter>>,
    pub coefficients: Option<Spanned<BTreeMap<String, Vec<Spanned<String>>>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTiers {
    pub mode: Spanned<String>,
    pub target: Spanned<RawNum>,
    pub bands: Vec<Spanned<RawTierBand>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTierBand {
    pub from: Spanned<RawNum>,
    pub rate: Spanned<RawNum>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAddon {
    pub key: Spanned<String>,
    pub products: Spanned<String>,
    pub rate: Option<Spanned<RawNum>>,
    pub per_unit: Option<Spanned<RawNum>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRepeat {
    pub rate: Spanned<RawNum>,
    pub within_months: Spanned<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawIncidental {
    pub model: Option<Spanned<String>>,
    pub user_field: Option<Spanned<String>>,
    pub amount_field: Option<Spanned<String>>,
    pub date_field: Option<Spanned<String>>,
    pub domain: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawReferral {
    pub rate: Spanned<RawNum>,
    pub partner_field: Option<Spanned<String>>,
    pub utm: Option<Spanned<bool>>,
    pub code_field: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSetter {
    pub per_meeting: Spanned<RawNum>,
    pub domain: Spanned<String>,
    pub setter_field: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawKpi {
    pub key: Spanned<String>,
    pub model: Spanned<String>,
    pub count: Option<Spanned<bool>>,
    pub sum: Option<Spanned<String>>,
    pub avg: Option<Spanned<String>>,
    pub domain: Option<Spanned<String>>,
    pub user_field: Spanned<String>,
    pub date_field: Spanned<String>,
    pub target: Spanned<RawNum>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCoefficient {
    pub key: Spanned<String>,
    pub kpis: Option<Vec<Spanned<String>>>,
    pub satisfaction: Option<Spanned<RawSatisfaction>>,
    pub group: Option<Spanned<String>>,
    pub bands: Vec<Spanned<RawCoefBand>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSatisfaction {
    pub target: Spanned<RawNum>,
    pub model: Option<Spanned<String>>,
    pub field: Option<Spanned<String>>,
    pub user_field: Option<Spanned<String>>,
    pub date_field: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCoefBand {
    pub from: Spanned<RawNum>,
    pub factor: Spanned<RawNum>,
}

const RATE_HINT: &str = "a rate like \"5%\", \"2.5%\" or 0.05";

fn text(ctx: &mut Ctx<'_>, v: &Spanned<String>, key: &str) -> Option<String> {
    let s = v.get_ref().trim();
    if s.is_empty() {
        ctx.error(v.span(), key, "must not be empty", None);
        return None;
    }
    Some(s.to_owned())
}

fn stable_key(ctx: &mut Ctx<'_>, v: &Spanned<String>, key: &str) -> Option<String> {
    let k = text(ctx, v, key)?;
    if !k
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        ctx.error(
            v.span(),
            key,
            format!("{k:?} may only hold ASCII letters, digits, '-' and '_'"),
            Some("keys name lines in Odoo across runs; e.g. key = \"affiliates\"".into()),
        );
        return None;
    }
    Some(k)
}

fn rate(ctx: &mut Ctx<'_>, v: &Spanned<RawNum>, key: &str) -> Option<Ratio> {
    match Ratio::parse(&v.get_ref().text()) {
        Ok(r) if r.0 >= 0 => Some(r),
        Ok(_) => {
            ctx.error(
                v.span(),
                key,
                "must not be negative",
                Some(RATE_HINT.into()),
            );
            None
        }
        Err(e) => {
            ctx.error(v.span(), key, e, Some(RATE_HINT.into()));
            None
        }
    }
}

fn money(ctx: &mut Ctx<'_>, v: &Spanned<RawNum>, key: &str, decimals: u32) -> Option<Money> {
    match Money::parse(&v.get_ref().text(), decimals) {
        Ok(m) if m.0 >= 0 => Some(m),
        Ok(_) => {
            ctx.error(v.span(), key, "must not be negative", None);
            None
        }
        Err(e) => {
            ctx.error(
                v.span(),
                key,
                e,
                Some(format!(
                    "an amount in the company currency, e.g. \"150\"; pay.currency_decimals = {decimals}"
                )),
            );
            None
        }
    }
}

/// A plain number in millionths (KPI targets, ratings).
fn micro(ctx: &mut Ctx<'_>, v: &Spanned<RawNum>, key: &str) -> Option<i64> {
    match Ratio::parse(&v.get_ref().text()) {
        Ok(r) if r.0 > 0 && !v.get_ref().text().contains('%') => Some(r.0),
        _ => {
            ctx.error(
                v.span(),
                key,
                "must be a positive number",
                Some("e.g. target = 50".into()),
            );
            None
        }
    }
}

fn domain(ctx: &mut Ctx<'_>, v: &Spanned<String>, key: &str, model: &str) -> Option<String> {
    match Domain::parse(v.get_ref()) {
        Ok(d) => ctx
            .names_domain(model, &d, key, v.span())
            .then(|| v.get_ref().clone()),
        Err(e) => {
            ctx.error(
                v.span(),
                key,
                format!("not a valid domain: {e}"),
                Some(
                    "the Python-literal form Odoo shows, e.g. [('attendee_ids', '!=', False)]"
                        .into(),
                ),
            );
            None
        }
    }
}

fn field(ctx: &mut Ctx<'_>, model: &str, v: &Spanned<String>, key: &str) -> Option<String> {
    let name = text(ctx, v, key)?;
    ctx.names_field(model, name.clone(), key, v.span());
    Some(name)
}

/// Ascending `from`, the first at 0 %.
fn check_bands(
    ctx: &mut Ctx<'_>,
    froms: &[(Ratio, std::ops::Range<usize>)],
    key: &str,
    at: std::ops::Range<usize>,
) {
    match froms.first() {
        None => ctx.error(
            at,
            key,
            "needs at least one band",
            Some("bands = [{ from = \"0%\", ... }]".into()),
        ),
        Some((f, span)) if f.0 != 0 => ctx.error(
            span.clone(),
            format!("{key}[0].from"),
            "the first band must start at 0%",
            Some("below the first band nothing would be defined".into()),
        ),
        _ => {}
    }
    for (i, w) in froms.windows(2).enumerate() {
        if w[1].0 <= w[0].0 {
            ctx.error(
                w[1].1.clone(),
                format!("{key}[{}].from", i + 1),
                "bands must be in ascending order of `from`",
                None,
            );
        }
    }
}

pub(super) fn validate(
    raw: Option<Spanned<RawPay>>,
    ctx: &mut Ctx<'_>,
) -> Option<Option<PayConfig>> {
    let Some(raw) = raw else {
        return Some(None);
    };
    let errors_before = ctx.has_errors();
    let raw = raw.into_inner();
    let decimals = raw.currency_decimals.as_ref().map_or(2, |d| *d.get_ref());
    let schedule = raw.schedule.as_ref().and_then(|s| {
        // The zone comes from [daemon]; the syntax does not depend on it.
        match crate::cron::Schedule::parse(s.get_ref(), "UTC") {
            Ok(_) => Some(s.get_ref().trim().to_owned()),
            Err(e) => {
                ctx.error(
                    s.span(),
                    "pay.schedule",
                    e.to_string(),
                    Some("e.g. schedule = \"0 2 * * *\" (nightly)".into()),
                );
                None
            }
        }
    });
    if let Some(d) = &raw.currency_decimals
        && *d.get_ref() > 6
    {
        ctx.error(
            d.span(),
            "pay.currency_decimals",
            "at most 6",
            Some("2 for EUR/USD, 0 for VND".into()),
        );
    }
    let mut kpis = Vec::new();
    for (i, k) in raw.kpis.iter().enumerate() {
        if let Some(spec) = kpi(ctx, k.get_ref(), &format!("pay.kpis[{i}]")) {
            if kpis.iter().any(|o: &KpiSpec| o.key == spec.key) {
                ctx.error(
                    k.get_ref().key.span(),
                    format!("pay.kpis[{i}].key"),
                    format!("duplicate KPI key {:?}", spec.key),
                    None,
                );
            }
            kpis.push(spec);
        }
    }
    let mut coefficients = Vec::new();
    for (i, c) in raw.coefficients.iter().enumerate() {
        if let Some(spec) = coefficient(ctx, c.get_ref(), &format!("pay.coefficients[{i}]"), &kpis)
        {
            if coefficients
                .iter()
                .any(|o: &CoefficientSpec| o.key == spec.key)
            {
                ctx.error(
                    c.get_ref().key.span(),
                    format!("pay.coefficients[{i}].key"),
                    format!("duplicate coefficient key {:?}", spec.key),
                    None,
                );
            }
            coefficients.push(spec);
        }
    }
    let mut plans: Vec<(PlanSpec, std::ops::Range<usize>)> = Vec::new();
    for (i, p) in raw.plans.iter().enumerate() {
        let key = format!("pay.plans[{i}]");
        let Some(spec) = plan(ctx, p.get_ref(), &key, decimals, &coefficients) else {
            continue;
        };
        if plans.iter().any(|(o, _)| o.key == spec.key) {
            ctx.error(
                p.get_ref().key.span(),
                format!("{key}.key"),
                format!("duplicate plan key {:?}", spec.key),
                Some("keys name statement lines in Odoo; keep them unique and stable".into()),
            );
        }
        overlap(ctx, &plans, &spec, &key, p.get_ref().name.span());
        plans.push((spec, p.get_ref().name.span()));
    }
    if ctx.has_errors() && !errors_before {
        return None;
    }
    Some(Some(PayConfig {
        schedule,
        currency_decimals: decimals,
        close_after_days: raw.close_after_days.map_or(5, |d| *d.get_ref()),
        plans: plans.into_iter().map(|(p, _)| p).collect(),
        kpis,
        coefficients,
    }))
}

/// Two plans paying the same component to people the config alone shows to be the same
/// (a login in both lists, the same team, the same group): refused unless both stack.
fn overlap(
    ctx: &mut Ctx<'_>,
    earlier: &[(PlanSpec, std::ops::Range<usize>)],
    plan: &PlanSpec,
    key: &str,
    span: std::ops::Range<usize>,
) {
    for (other, _) in earlier {
        if other.stack && plan.stack {
            continue;
        }
        let same = match (&other.members, &plan.members) {
            (Members::Users(a), Members::Users(b)) => a
                .iter()
                .find(|u| b.contains(u))
                .map(|u| format!("user {u:?}")),
            (Members::Team(a), Members::Team(b)) if a == b => Some(format!("team {a:?}")),
            (Members::Group(a), Members::Group(b)) if a == b => Some(format!("group {a:?}")),
            _ => None,
        };
        let Some(who) = same else { continue };
        let kinds = plan.components.kinds();
        if let Some(kind) = other
            .components
            .kinds()
            .into_iter()
            .find(|k| kinds.contains(k))
        {
            ctx.error(
                span.clone(),
                key.to_owned(),
                format!(
                    "{who} is also in plan {:?}, and both pay {}",
                    other.key,
                    kind.code()
                ),
                Some(
                    "set `stack = true` in both plans to pay both, or take them out of one".into(),
                ),
            );
            return;
        }
    }
}

fn plan(
    ctx: &mut Ctx<'_>,
    p: &RawPlan,
    key: &str,
    decimals: u32,
    coefs: &[CoefficientSpec],
) -> Option<PlanSpec> {
    let plan_key = stable_key(ctx, &p.key, &format!("{key}.key"))?;
    let name = text(ctx, &p.name, &format!("{key}.name"))?;
    let members = match (&p.users, &p.team, &p.group, &p.user_domain) {
        (Some(u), None, None, None) => {
            Members::Users(u.iter().map(|u| u.get_ref().trim().to_owned()).collect())
        }
        (None, Some(t), None, None) => {
            let team = text(ctx, t, &format!("{key}.team"))?;
            ctx.names_record(
                "crm.team",
                RecordRef::Name(team.clone()),
                format!("{key}.team"),
                t.span(),
                None,
            );
            Members::Team(team)
        }
        (None, None, Some(g), None) => {
            let g_text = text(ctx, g, &format!("{key}.group"))?;
            if g_text
                .split_once('.')
                .is_none_or(|(m, n)| m.is_empty() || n.is_empty())
            {
                ctx.error(
                    g.span(),
                    format!("{key}.group"),
                    format!("{g_text:?} is not a group XML id"),
                    Some("e.g. group = \"sales_team.group_sale_salesman\"".into()),
                );
                return None;
            }
            Members::Group(g_text)
        }
        (None, None, None, Some(d)) => {
            Members::Domain(domain(ctx, d, &format!("{key}.user_domain"), "res.users")?)
        }
        _ => {
            ctx.error(p.name.span(), key.to_owned(), "give exactly one of users, team, group or user_domain", Some("users = [\"alice\"], team = \"Direct Sales\", group = \"sales_team.group_sale_salesman\" or user_domain = \"[('share', '=', False)]\"".into()));
            return None;
        }
    };
    let period = match &p.period {
        None => PeriodKind::Month,
        Some(v) => match PeriodKind::parse(v.get_ref()) {
            Some(k) => k,
            None => {
                ctx.error(
                    v.span(),
                    format!("{key}.period"),
                    format!("unknown period {:?}", v.get_ref()),
                    Some("month or quarter".into()),
                );
                return None;
            }
        },
    };
    let documents = match p
        .documents
        .as_ref()
        .map(|d| (d.get_ref().as_str(), d.span()))
    {
        None | Some(("invoices", _)) => DocumentSource::Invoices,
        Some(("sale_orders", _)) => DocumentSource::SaleOrders,
        Some((other, span)) => {
            ctx.error(span, format!("{key}.documents"), format!("unknown documents {other:?}"), Some("invoices (posted customer invoices and credit notes) or sale_orders (confirmed)".into()));
            return None;
        }
    };
    let model = documents.model();
    ctx.names_model(
        model,
        format!("{key}.documents"),
        p.documents.as_ref().map_or(p.name.span(), Spanned::span),
    );
    let user_field = match &p.user_field {
        Some(f) => field(ctx, model, f, &format!("{key}.user_field"))?,
        None => documents.default_user_field().to_owned(),
    };
    let mut c = Components {
        basic: p
            .basic
            .as_ref()
            .and_then(|b| rate(ctx, b, &format!("{key}.basic"))),
        ..Components::default()
    };
    if let Some(t) = &p.tiers {
        c.tiers = tiers(ctx, t.get_ref(), &format!("{key}.tiers"), decimals);
    }
    for (i, a) in p.addons.iter().enumerate() {
        let akey = format!("{key}.addons[{i}]");
        let a = a.get_ref();
        let Some(k) = stable_key(ctx, &a.key, &format!("{akey}.key")) else {
            continue;
        };
        if c.addons.iter().any(|o| o.key == k) {
            ctx.error(
                a.key.span(),
                format!("{akey}.key"),
                format!("duplicate add-on key {k:?}"),
                None,
            );
        }
        let Some(products) = domain(
            ctx,
            &a.products,
            &format!("{akey}.products"),
            "product.product",
        ) else {
            continue;
        };
        let pay = match (&a.rate, &a.per_unit) {
            (Some(r), None) => rate(ctx, r, &format!("{akey}.rate")).map(AddonPay::Rate),
            (None, Some(m)) => {
                money(ctx, m, &format!("{akey}.per_unit"), decimals).map(AddonPay::PerUnit)
            }
            _ => {
                ctx.error(a.key.span(), akey.clone(), "give exactly one of rate or per_unit", Some("rate = \"3%\" of the lines' untaxed amount, or per_unit = \"50\" per unit sold".into()));
                None
            }
        };
        if let Some(pay) = pay {
            c.addons.push(Addon {
                key: k,
                product_domain: products,
                pay,
            });
        }
    }
    if let Some(r) = &p.repeat {
        let r = r.get_ref();
        let months = *r.within_months.get_ref();
        if months == 0 {
            ctx.error(
                r.within_months.span(),
                format!("{key}.repeat.within_months"),
                "must be at least 1",
                None,
            );
        }
        c.repeat = rate(ctx, &r.rate, &format!("{key}.repeat.rate")).map(|rate| Repeat {
            rate,
            within_months: months,
        });
    }
    if let Some(i) = &p.incidental {
        c.incidental = incidental(ctx, i.get_ref(), &format!("{key}.incidental"));
    }
    if let Some(r) = &p.referral {
        c.referral = referral(ctx, r.get_ref(), &format!("{key}.referral"), r.span());
    }
    if let Some(s) = &p.setter {
        let s = s.get_ref();
        let skey = format!("{key}.setter");
        ctx.names_model("calendar.event", skey.clone(), s.domain.span());
        let setter_field = match &s.setter_field {
            Some(f) => field(ctx, "calendar.event", f, &format!("{skey}.setter_field"))?,
            None => "user_id".to_owned(),
        };
        if let (Some(per), Some(dom)) = (
            money(
                ctx,
                &s.per_meeting,
                &format!("{skey}.per_meeting"),
                decimals,
            ),
            domain(ctx, &s.domain, &format!("{skey}.domain"), "calendar.event"),
        ) {
            c.setter = Some(Setter {
                per_meeting: per,
                domain: dom,
                setter_field,
            });
        }
    }
    let mut coefficients = BTreeMap::new();
    if let Some(map) = &p.coefficients {
        let kinds = c.kinds();
        for (component, keys) in map.get_ref() {
            let ckey = format!("{key}.coefficients.{component}");
            let Some(kind) = ComponentKind::parse(component) else {
                let codes: Vec<&str> = ComponentKind::ALL.iter().map(|k| k.code()).collect();
                ctx.error(
                    map.span(),
                    ckey,
                    format!("unknown component {component:?}"),
                    Some(format!("one of {}", codes.join(", "))),
                );
                continue;
            };
            if !kinds.contains(&kind) {
                ctx.error(
                    map.span(),
                    ckey.clone(),
                    format!("this plan does not pay {component}"),
                    None,
                );
            }
            let mut list = Vec::new();
            for k in keys {
                if coefs.iter().any(|c| &c.key == k.get_ref()) {
                    list.push(k.get_ref().clone());
                } else {
                    let hint =
                        super::did_you_mean(k.get_ref(), coefs.iter().map(|c| c.key.as_str()))
                            .map(|b| format!("did you mean `{b}`?"))
                            .or_else(|| Some("define it in [[pay.coefficients]]".into()));
                    ctx.error(
                        k.span(),
                        ckey.clone(),
                        format!("unknown coefficient {:?}", k.get_ref()),
                        hint,
                    );
                }
            }
            coefficients.insert(kind, list);
        }
    }
    let written = p.basic.is_some()
        || p.tiers.is_some()
        || !p.addons.is_empty()
        || p.repeat.is_some()
        || p.incidental.is_some()
        || p.referral.is_some()
        || p.setter.is_some();
    if !written {
        ctx.error(
            p.name.span(),
            key.to_owned(),
            "a plan needs at least one component",
            Some("basic, tiers, addons, repeat, incidental, referral or setter".into()),
        );
    }
    Some(PlanSpec {
        key: plan_key,
        name,
        members,
        period,
        documents,
        user_field,
        stack: p.stack.as_ref().is_some_and(|s| *s.get_ref()),
        components: c,
        coefficients,
    })
}

fn tiers(ctx: &mut Ctx<'_>, t: &RawTiers, key: &str, decimals: u32) -> Option<Tiers> {
    let mode = match t.mode.get_ref().as_str() {
        "marginal" => TierMode::Marginal,
        "whole" => TierMode::Whole,
        other => {
            ctx.error(t.mode.span(), format!("{key}.mode"), format!("unknown mode {other:?}"), Some("marginal (each band's rate on the slice inside it) or whole (the reached band's rate on everything)".into()));
            return None;
        }
    };
    let target = money(ctx, &t.target, &format!("{key}.target"), decimals)?;
    let mut bands = Vec::new();
    let mut froms = Vec::new();
    for (i, b) in t.bands.iter().enumerate() {
        let b = b.get_ref();
        let from = rate(ctx, &b.from, &format!("{key}.bands[{i}].from"));
        let r = rate(ctx, &b.rate, &format!("{key}.bands[{i}].rate"));
        if let (Some(from), Some(rate)) = (from, r) {
            froms.push((from, b.from.span()));
            bands.push(TierBand { from, rate });
        }
    }
    check_bands(ctx, &froms, &format!("{key}.bands"), t.mode.span());
    Some(Tiers {
        mode,
        target,
        bands,
    })
}

fn incidental(ctx: &mut Ctx<'_>, i: &RawIncidental, key: &str) -> Option<IncidentalSource> {
    let model = i.model.as_ref().map_or(INCIDENTAL_MODEL.to_owned(), |m| {
        m.get_ref().trim().to_owned()
    });
    // `check` verifies only a model the admin names (the default one may not exist yet).
    let custom = model != INCIDENTAL_MODEL;
    if let (true, Some(m)) = (custom, &i.model) {
        ctx.names_model(&model, format!("{key}.model"), m.span());
    }
    let mut f = |v: &Option<Spanned<String>>, default: &str, k: &str| -> Option<String> {
        match v {
            Some(v) if custom => field(ctx, &model, v, &format!("{key}.{k}")),
            Some(v) => text(ctx, v, &format!("{key}.{k}")),
            None => Some(default.to_owned()),
        }
    };
    let user_field = f(&i.user_field, "x_user_id", "user_field")?;
    let amount_field = f(&i.amount_field, "x_amount", "amount_field")?;
    let date_field = f(&i.date_field, "x_date", "date_field")?;
    let dom = match &i.domain {
        Some(d) if custom => domain(ctx, d, &format!("{key}.domain"), &model)?,
        Some(d) => d.get_ref().clone(),
        None => "[]".into(),
    };
    Some(IncidentalSource {
        model,
        user_field,
        amount_field,
        date_field,
        domain: dom,
    })
}

fn referral(
    ctx: &mut Ctx<'_>,
    r: &RawReferral,
    key: &str,
    span: std::ops::Range<usize>,
) -> Option<Referral> {
    let rate = rate(ctx, &r.rate, &format!("{key}.rate"))?;
    let source = match (
        &r.partner_field,
        r.utm.as_ref().is_some_and(|u| *u.get_ref()),
    ) {
        (Some(f), false) => ReferralSource::PartnerField(field(
            ctx,
            "res.partner",
            f,
            &format!("{key}.partner_field"),
        )?),
        (None, true) => ReferralSource::Utm,
        _ => {
            ctx.error(span, key.to_owned(), "give exactly one of partner_field or utm = true", Some("partner_field = \"x_referrer_id\" (a field of the customer) or utm = true (the document's UTM source)".into()));
            return None;
        }
    };
    let code_field = match &r.code_field {
        Some(f) => Some(field(ctx, "res.users", f, &format!("{key}.code_field"))?),
        None if source == ReferralSource::Utm => {
            ctx.error(
                span,
                format!("{key}.code_field"),
                "a UTM source is matched by name against a users' field",
                Some("code_field = \"x_referral_code\"".into()),
            );
            return None;
        }
        None => None,
    };
    Some(Referral {
        rate,
        source,
        code_field,
    })
}

fn kpi(ctx: &mut Ctx<'_>, k: &RawKpi, key: &str) -> Option<KpiSpec> {
    let kkey = stable_key(ctx, &k.key, &format!("{key}.key"))?;
    let model = text(ctx, &k.model, &format!("{key}.model"))?;
    ctx.names_model(&model, format!("{key}.model"), k.model.span());
    let aggregate = match (&k.count, &k.sum, &k.avg) {
        (Some(c), None, None) if *c.get_ref() => Aggregate::Count,
        (None, Some(f), None) => Aggregate::Sum(field(ctx, &model, f, &format!("{key}.sum"))?),
        (None, None, Some(f)) => Aggregate::Avg(field(ctx, &model, f, &format!("{key}.avg"))?),
        _ => {
            ctx.error(
                k.key.span(),
                key.to_owned(),
                "give exactly one of count = true, sum = \"<field>\" or avg = \"<field>\"",
                None,
            );
            return None;
        }
    };
    let dom = match &k.domain {
        Some(d) => domain(ctx, d, &format!("{key}.domain"), &model)?,
        None => "[]".into(),
    };
    Some(KpiSpec {
        key: kkey,
        aggregate,
        domain: dom,
        user_field: field(ctx, &model, &k.user_field, &format!("{key}.user_field"))?,
        date_field: field(ctx, &model, &k.date_field, &format!("{key}.date_field"))?,
        target: micro(ctx, &k.target, &format!("{key}.target"))?,
        model,
    })
}

fn coefficient(
    ctx: &mut Ctx<'_>,
    c: &RawCoefficient,
    key: &str,
    kpis: &[KpiSpec],
) -> Option<CoefficientSpec> {
    let ckey = stable_key(ctx, &c.key, &format!("{key}.key"))?;
    let source = match (&c.kpis, &c.satisfaction) {
        (Some(list), None) => {
            let known: HashMap<&str, ()> = kpis.iter().map(|k| (k.key.as_str(), ())).collect();
            for k in list {
                if !known.contains_key(k.get_ref().as_str()) {
                    let hint =
                        super::did_you_mean(k.get_ref(), kpis.iter().map(|k| k.key.as_str()))
                            .map(|b| format!("did you mean `{b}`?"))
                            .or_else(|| Some("define it in [[pay.kpis]]".into()));
                    ctx.error(
                        k.span(),
                        format!("{key}.kpis"),
                        format!("unknown KPI {:?}", k.get_ref()),
                        hint,
                    );
                }
            }
            if list.is_empty() {
                ctx.error(
                    c.key.span(),
                    format!("{key}.kpis"),
                    "needs at least one KPI",
                    None,
                );
            }
            CoefficientSource::Kpis(list.iter().map(|k| k.get_ref().clone()).collect())
        }
        (None, Some(s)) => {
            let s = s.get_ref();
            let target = micro(ctx, &s.target, &format!("{key}.satisfaction.target"))?;
            let source = match (&s.model, &s.field) {
                (None, None) => {
                    ctx.names_model("rating.rating", format!("{key}.satisfaction"), c.key.span());
                    SatisfactionSource::Rating
                }
                (Some(m), Some(f)) => {
                    let model = text(ctx, m, &format!("{key}.satisfaction.model"))?;
                    ctx.names_model(&model, format!("{key}.satisfaction.model"), m.span());
                    let need = |ctx: &mut Ctx<'_>, v: &Option<Spanned<String>>, k: &str| match v {
                        Some(v) => field(ctx, &model, v, &format!("{key}.satisfaction.{k}")),
                        None => {
                            ctx.error(
                                m.span(),
                                format!("{key}.satisfaction.{k}"),
                                format!("missing key `{k}`"),
                                Some(
                                    "a numeric field needs the user and date fields that place it"
                                        .into(),
                                ),
                            );
                            None
                        }
                    };
                    SatisfactionSource::Field {
                        field: field(ctx, &model, f, &format!("{key}.satisfaction.field"))?,
                        user_field: need(ctx, &s.user_field, "user_field")?,
                        date_field: need(ctx, &s.date_field, "date_field")?,
                        model,
                    }
                }
                _ => {
                    ctx.error(
                        c.key.span(),
                        format!("{key}.satisfaction"),
                        "give both model and field, or neither (Odoo's rating.rating)",
                        None,
                    );
                    return None;
                }
            };
            CoefficientSource::Satisfaction { source, target }
        }
        _ => {
            ctx.error(
                c.key.span(),
                key.to_owned(),
                "give exactly one of kpis = [...] or satisfaction = { ... }",
                None,
            );
            return None;
        }
    };
    let group = match &c.group {
        Some(g) => Some(text(ctx, g, &format!("{key}.group"))?),
        None => None,
    };
    let mut bands = Vec::new();
    let mut froms = Vec::new();
    for (i, b) in c.bands.iter().enumerate() {
        let b = b.get_ref();
        let from = rate(ctx, &b.from, &format!("{key}.bands[{i}].from"));
        let factor = rate(ctx, &b.factor, &format!("{key}.bands[{i}].factor"));
        if let (Some(from), Some(factor)) = (from, factor) {
            froms.push((from, b.from.span()));
            bands.push(CoefBand { from, factor });
        }
    }
    check_bands(ctx, &froms, &format!("{key}.bands"), c.key.span());
    Some(CoefficientSpec {
        key: ckey,
        source,
        group,
        bands,
    })
}

#[cfg(test)]
mod tests;
