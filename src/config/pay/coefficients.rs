//! `[[pay.kpis]]` and `[[pay.coefficients]]` validated into the engine's KPI and coefficient
//! specs (KPIs known by key, satisfaction from `rating.rating` or a numeric field, bands).

use std::collections::HashMap;

use toml::Spanned;

use super::raw::{RawCoefficient, RawKpi, RawSatisfaction};
use super::values::{check_bands, domain, field, group, micro, rate, stable_key, text};
use crate::config::context::Ctx;
use crate::pay::coefficient::{
    Aggregate, CoefBand, CoefficientSource, CoefficientSpec, KpiSpec, SatisfactionSource,
};

pub(super) fn kpi(ctx: &mut Ctx<'_>, k: &RawKpi, key: &str) -> Option<KpiSpec> {
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

pub(super) fn coefficient(
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
                    let hint = crate::config::did_you_mean(
                        k.get_ref(),
                        kpis.iter().map(|k| k.key.as_str()),
                    )
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
        (None, Some(s)) => satisfaction(ctx, c, s.get_ref(), key)?,
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
        Some(g) => Some(group(ctx, g, &format!("{key}.group"))?),
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

/// A coefficient from customer satisfaction: Odoo's `rating.rating` (no model and field
/// given), or a numeric field with the user and date fields that place it.
fn satisfaction(
    ctx: &mut Ctx<'_>,
    c: &RawCoefficient,
    s: &RawSatisfaction,
    key: &str,
) -> Option<CoefficientSource> {
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
                        Some("a numeric field needs the user and date fields that place it".into()),
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
    Some(CoefficientSource::Satisfaction { source, target })
}
