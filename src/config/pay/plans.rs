//! `[[pay.plans]]` validated into the engine's [`PlanSpec`]: who is paid (members), on which
//! documents and period, by which components (tiers, add-ons, repeat, incidental, referral,
//! setter), with which coefficients; and plans refused for paying the same people twice.

use std::collections::BTreeMap;

use toml::Spanned;

use super::INCIDENTAL_MODEL;
use super::raw::{RawIncidental, RawPlan, RawReferral, RawSetter, RawTiers};
use super::values::{check_bands, domain, field, group, money, rate, stable_key, text};
use crate::config::assignment::RecordRef;
use crate::config::context::Ctx;
use crate::pay::coefficient::CoefficientSpec;
use crate::pay::components::{
    Addon, AddonPay, IncidentalSource, Referral, ReferralSource, Repeat, Setter,
};
use crate::pay::tiers::{TierBand, TierMode, Tiers};
use crate::pay::{ComponentKind, Components, DocumentSource, Members, PeriodKind, PlanSpec};

/// Two plans paying the same component to people the config alone shows to be the same
/// (a login in both lists, the same team, the same group): refused unless both stack.
pub(super) fn overlap(
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

pub(super) fn plan(
    ctx: &mut Ctx<'_>,
    p: &RawPlan,
    key: &str,
    decimals: u32,
    coefs: &[CoefficientSpec],
) -> Option<PlanSpec> {
    let plan_key = stable_key(ctx, &p.key, &format!("{key}.key"))?;
    ctx.locates(key, p.name.span());
    let name = text(ctx, &p.name, &format!("{key}.name"))?;
    let members = members(ctx, p, key)?;
    let period = period(ctx, p, key)?;
    let documents = documents(ctx, p, key)?;
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
    let c = components(ctx, p, key, decimals)?;
    // Add-ons read the documents' lines: `check` verifies that model and its fields too.
    if let Some(first) = p.addons.first() {
        let (lines, fields) = documents.lines();
        for f in fields {
            ctx.names_field(lines, *f, format!("{key}.addons"), first.span());
        }
    }
    let coefficients = plan_coefficients(ctx, p, key, &c, coefs);
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

/// Who the plan pays: exactly one of `users`, `team`, `group` (an XML id) or `user_domain`.
fn members(ctx: &mut Ctx<'_>, p: &RawPlan, key: &str) -> Option<Members> {
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
        (None, None, Some(g), None) => Members::Group(group(ctx, g, &format!("{key}.group"))?),
        (None, None, None, Some(d)) => {
            Members::Domain(domain(ctx, d, &format!("{key}.user_domain"), "res.users")?)
        }
        _ => {
            ctx.error(p.name.span(), key.to_owned(), "give exactly one of users, team, group or user_domain", Some("users = [\"alice\"], team = \"Direct Sales\", group = \"sales_team.group_sale_salesman\" or user_domain = \"[('share', '=', False)]\"".into()));
            return None;
        }
    };
    Some(members)
}

/// The plan's period (a month when not given).
fn period(ctx: &mut Ctx<'_>, p: &RawPlan, key: &str) -> Option<PeriodKind> {
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
    Some(period)
}

/// The documents the plan pays on (posted invoices when not given).
fn documents(ctx: &mut Ctx<'_>, p: &RawPlan, key: &str) -> Option<DocumentSource> {
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
    Some(documents)
}

/// The components the plan pays; `None` when one is wrong in a way that stops the plan.
fn components(ctx: &mut Ctx<'_>, p: &RawPlan, key: &str, decimals: u32) -> Option<Components> {
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
    c.addons = addons(ctx, p, key, decimals);
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
        c.setter = setter(ctx, s.get_ref(), key, decimals)?;
    }
    Some(c)
}

/// `[[pay.plans.addons]]`, each with a unique key, a product domain and one way to pay.
fn addons(ctx: &mut Ctx<'_>, p: &RawPlan, key: &str, decimals: u32) -> Vec<Addon> {
    let mut out: Vec<Addon> = Vec::new();
    for (i, a) in p.addons.iter().enumerate() {
        let akey = format!("{key}.addons[{i}]");
        let a = a.get_ref();
        let Some(k) = stable_key(ctx, &a.key, &format!("{akey}.key")) else {
            continue;
        };
        if out.iter().any(|o| o.key == k) {
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
        if let Ok(d) = crate::domain::Domain::parse(&products) {
            ctx.names_match(
                "product.product",
                d,
                format!("{akey}.products"),
                a.products.span(),
            );
        }
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
            out.push(Addon {
                key: k,
                product_domain: products,
                pay,
            });
        }
    }
    out
}

/// The appointment setter's pay; the outer `None` stops the plan (its field is wrong).
fn setter(ctx: &mut Ctx<'_>, s: &RawSetter, key: &str, decimals: u32) -> Option<Option<Setter>> {
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
        return Some(Some(Setter {
            per_meeting: per,
            domain: dom,
            setter_field,
        }));
    }
    Some(None)
}

/// The coefficients applied per component: known components the plan pays, known
/// coefficient keys.
fn plan_coefficients(
    ctx: &mut Ctx<'_>,
    p: &RawPlan,
    key: &str,
    c: &Components,
    coefs: &[CoefficientSpec],
) -> BTreeMap<ComponentKind, Vec<String>> {
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
                    let hint = crate::config::did_you_mean(
                        k.get_ref(),
                        coefs.iter().map(|c| c.key.as_str()),
                    )
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
    coefficients
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
