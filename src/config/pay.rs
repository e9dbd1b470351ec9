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

mod coefficients;
mod plans;
mod raw;
mod values;

use toml::Spanned;

use super::context::Ctx;
use crate::pay::coefficient::{CoefficientSpec, KpiSpec};
use crate::pay::{PayConfig, PlanSpec};
use coefficients::{coefficient, kpi};
use plans::{overlap, plan};
pub(crate) use raw::RawPay;

/// The incidental model when a plan names none (`setup` provisions it).
pub(crate) use crate::pay::DEFAULT_INCIDENTAL_MODEL as INCIDENTAL_MODEL;

pub(super) fn validate(
    raw: Option<Spanned<RawPay>>,
    ctx: &mut Ctx<'_>,
) -> Option<Option<PayConfig>> {
    let Some(raw) = raw else {
        return Some(None);
    };
    let errors_before = ctx.has_errors();
    ctx.locates("pay", raw.span());
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

#[cfg(test)]
mod tests;
