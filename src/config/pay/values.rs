//! Single values of the `[pay]` section checked and converted, each error reported at its
//! span and key: texts, stable keys, rates, amounts, domains, field names, ascending bands.

use toml::Spanned;

use super::raw::RawNum;
use crate::config::context::Ctx;
use crate::domain::Domain;
use crate::pay::{Money, Ratio};

const RATE_HINT: &str = "a rate like \"5%\", \"2.5%\" or 0.05";

pub(super) fn text(ctx: &mut Ctx<'_>, v: &Spanned<String>, key: &str) -> Option<String> {
    let s = v.get_ref().trim();
    if s.is_empty() {
        ctx.error(v.span(), key, "must not be empty", None);
        return None;
    }
    Some(s.to_owned())
}

pub(super) fn stable_key(ctx: &mut Ctx<'_>, v: &Spanned<String>, key: &str) -> Option<String> {
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

pub(super) fn rate(ctx: &mut Ctx<'_>, v: &Spanned<RawNum>, key: &str) -> Option<Ratio> {
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

pub(super) fn money(
    ctx: &mut Ctx<'_>,
    v: &Spanned<RawNum>,
    key: &str,
    decimals: u32,
) -> Option<Money> {
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
pub(super) fn micro(ctx: &mut Ctx<'_>, v: &Spanned<RawNum>, key: &str) -> Option<i64> {
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

/// A group named by XML id (`module.name`), for `check` to resolve to a `res.groups`.
pub(super) fn group(ctx: &mut Ctx<'_>, g: &Spanned<String>, key: &str) -> Option<String> {
    let xml = text(ctx, g, key)?;
    if xml
        .split_once('.')
        .is_none_or(|(m, n)| m.is_empty() || n.is_empty())
    {
        ctx.error(
            g.span(),
            key,
            format!("{xml:?} is not a group XML id"),
            Some("e.g. group = \"sales_team.group_sale_salesman\"".into()),
        );
        return None;
    }
    ctx.names_xml_id(&xml, "res.groups", key, g.span());
    Some(xml)
}

pub(super) fn domain(
    ctx: &mut Ctx<'_>,
    v: &Spanned<String>,
    key: &str,
    model: &str,
) -> Option<String> {
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

pub(super) fn field(
    ctx: &mut Ctx<'_>,
    model: &str,
    v: &Spanned<String>,
    key: &str,
) -> Option<String> {
    let name = text(ctx, v, key)?;
    ctx.names_field(model, name.clone(), key, v.span());
    Some(name)
}

/// Ascending `from`, the first at 0 %.
pub(super) fn check_bands(
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
