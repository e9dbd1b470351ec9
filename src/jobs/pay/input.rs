//! Reads what the pay engine computes from, in batched `search_read`s of only the fields the
//! plans need: plan members, earning documents (headers; lines only when a plan has
//! add-ons), the add-ons' products, qualified meetings, incidental amounts, and KPI values
//! (`read_group` per KPI and period: Odoo aggregates). Odoo evaluates every configured
//! domain itself.
//!
//! Amounts: invoices use `amount_untaxed_signed` (company currency, credit notes negative);
//! invoice lines `account.invoice.report`'s `price_subtotal` (`-balance`, company currency);
//! sale orders `amount_untaxed` divided by the order's `currency_rate` (see `company_amount`).
//!
//! Satisfaction coefficients without a field of their own read Odoo's ratings (`ratings`).

use std::collections::{BTreeSet, HashMap};

use chrono::{Days, Months, NaiveDate};

use crate::domain::Domain;
use crate::odoo::WireLit as _;
use crate::odoo::{OdooClient, Row, RowError, leaf};
use crate::pay::coefficient::{Aggregate, CoefficientSource, SatisfactionSource};
use crate::pay::components::ReferralSource;
use crate::pay::{
    DocLine, Document, DocumentSource, Incidental, Input, Meeting, Members, Money, PayConfig,
    Period, PlanSpec, Qty,
};
use crate::record::datetime;
use crate::xmlrpc::{Struct, Value as X};

use super::PayJobError;

fn domain(text: &str) -> Result<Vec<X>, PayJobError> {
    let lit = Domain::parse(text)
        .and_then(|d| d.try_to_lit())
        .map_err(|e| PayJobError::BadValue {
            model: "config",
            field: "domain",
            value: format!("{text}: {e}"),
            expected: "a domain Odoo can evaluate",
        })?;
    Ok(lit.to_wire_items())
}

/// `field` of `row` did not hold what the engine needs.
fn bad(row: &Row<'_>, field: &str, expected: &'static str) -> RowError {
    RowError {
        model: row.model.to_owned(),
        field: field.to_owned(),
        expected,
        got: row.get(field).map_or("nothing", X::type_name),
    }
}

/// A date the engine places a document by: an empty one is refused.
fn date(row: &Row<'_>, f: &str) -> Result<NaiveDate, RowError> {
    row.date(f)?.ok_or_else(|| bad(row, f, "a date"))
}

/// An amount in the company currency: an empty one (`False`) is refused, not read as 0.
fn money(row: &Row<'_>, f: &str, decimals: u32) -> Result<Money, RowError> {
    if matches!(row.get(f), Some(X::Bool(false))) {
        return Err(bad(row, f, "an amount"));
    }
    Money::from_odoo(row.float(f)?, decimals).ok_or_else(|| bad(row, f, "an amount"))
}

/// A sale order's `currency_rate`: units of the order's currency per unit of the company's
/// at the order date. Odoo's `sale.order._compute_currency_rate`
/// (`addons/sale/models/sale_order.py`) stores `res.currency._get_conversion_rate(
/// from_currency=company currency, to_currency=order currency, date=date_order)`, and Odoo
/// itself converts back with `amount / currency_rate` (`_compute_partner_credit_warning`).
/// An order in the company currency has rate 1. Missing (Odoo reads an empty float as 0.0),
/// zero or negative is the typed [`PayJobError::CurrencyRate`], never 1.
fn rate(row: &Row<'_>, id: i64) -> Result<f64, PayJobError> {
    let got = row.get("currency_rate");
    match got {
        Some(X::Double(r)) if r.is_finite() && *r > 0.0 => Ok(*r),
        Some(X::Int(r)) if *r > 0 => Ok(*r as f64),
        _ => Err(PayJobError::CurrencyRate {
            name: row.text("name").ok().flatten().unwrap_or_default(),
            id,
            got: got.map_or_else(|| "nothing".to_owned(), ToString::to_string),
        }),
    }
}

/// `field` (in the order's currency) in the company currency: divided by the order's rate
/// and rounded once to a minor unit ([`Money::from_foreign`]).
fn company_amount(
    row: &Row<'_>,
    field: &str,
    order: (&str, i64),
    rate: f64,
    decimals: u32,
) -> Result<Money, PayJobError> {
    if matches!(row.get(field), Some(X::Bool(false))) {
        return Err(bad(row, field, "an amount").into());
    }
    let value = row.float(field)?;
    Money::from_foreign(value, rate, decimals).ok_or_else(|| PayJobError::CurrencyRate {
        name: order.0.to_owned(),
        id: order.1,
        got: rate.to_string(),
    })
}

/// A record's name as a statement line shows it; an unnamed record (`False`, e.g. a meeting
/// without a subject) shows empty.
fn name(row: &Row<'_>, f: &str) -> Result<String, RowError> {
    Ok(row.text(f)?.unwrap_or_default())
}

/// A date as a domain value.
fn d(x: NaiveDate) -> X {
    X::from(datetime::format_date(x))
}

/// The day after `x` (the exclusive end of a range ending on `x`).
fn after(x: NaiveDate) -> NaiveDate {
    x + Days::new(1)
}

async fn ids(client: &OdooClient, model: &str, dom: Vec<X>) -> Result<Vec<i64>, PayJobError> {
    Ok(client.search(model, dom, &Default::default()).await?)
}

async fn xml_id(client: &OdooClient, xml: &str) -> Result<i64, PayJobError> {
    // A bare name (no module) is looked up as Odoo would, with an empty module.
    let (module, name) = match xml.split_once('.') {
        Some(parts) => parts,
        None => ("", xml),
    };
    let v = client
        .execute_kw(
            "ir.model.data",
            "check_object_reference",
            vec![X::from(module), X::from(name)],
            Struct::new(),
        )
        .await?;
    // `check_object_reference` answers `[model, id]`.
    v.as_array()
        .and_then(|a| a.get(1))
        .and_then(X::as_i64)
        .ok_or_else(|| {
            PayJobError::Odoo(crate::odoo::OdooError::UnexpectedReply {
                call: "ir.model.data.check_object_reference".into(),
                expected: "[model, id]",
                got: v.to_string().chars().take(120).collect(),
            })
        })
}

/// The users in a group, implied membership included: through the version's all-groups
/// field (`groups_id` up to 18; on 19 `group_ids` holds direct groups only, `all_group_ids`
/// every one).
async fn group_members(client: &OdooClient, xml: &str) -> Result<BTreeSet<i64>, PayJobError> {
    let g = xml_id(client, xml).await?;
    let field = client.profile().await?.user_groups_field;
    let found = ids(
        client,
        "res.users",
        vec![leaf(field, "in", X::Array(vec![X::Int(g)]))],
    )
    .await?;
    Ok(found.into_iter().collect())
}

pub(crate) async fn members(
    client: &OdooClient,
    m: &Members,
) -> Result<BTreeSet<i64>, PayJobError> {
    let found = match m {
        Members::Users(logins) => {
            let list = X::Array(logins.iter().map(|l| X::from(l.as_str())).collect());
            ids(client, "res.users", vec![leaf("login", "in", list)]).await?
        }
        // The team's members (crm.team.member), as Odoo's own team screens list them.
        Members::Team(team) => {
            let rows = client
                .search_read_all(
                    "crm.team.member",
                    vec![leaf("crm_team_id.name", "=", team.as_str())],
                    &["user_id"],
                )
                .await?;
            let mut users = Vec::with_capacity(rows.len());
            for r in &rows {
                // A membership without a user (not possible in Odoo's screens) adds nobody.
                if let Some(user) = Row::new("crm.team.member", r).m2o_id("user_id")? {
                    users.push(user);
                }
            }
            users
        }
        Members::Group(xml) => return group_members(client, xml).await,
        Members::Domain(d) => ids(client, "res.users", domain(d)?).await?,
    };
    Ok(found.into_iter().collect())
}

/// Everything the engine needs for `periods` (and, for repeat purchases, the months before).
pub(crate) async fn read_input(
    client: &OdooClient,
    cfg: &PayConfig,
    periods: &[Period],
) -> Result<Input, PayJobError> {
    let mut input = Input::default();
    let decimals = cfg.currency_decimals;
    let (Some(first), Some(last)) = (
        periods.iter().map(Period::start).min(),
        periods.iter().map(Period::end).max(),
    ) else {
        return Ok(input);
    };
    let back = cfg
        .plans
        .iter()
        .filter_map(|p| p.components.repeat.map(|r| r.within_months))
        .max()
        .unwrap_or(0);
    let from = first.checked_sub_months(Months::new(back)).unwrap_or(first);
    for plan in &cfg.plans {
        input
            .members
            .insert(plan.key.clone(), members(client, &plan.members).await?);
    }
    for c in &cfg.coefficients {
        if let Some(g) = &c.group {
            input
                .groups
                .insert(c.key.clone(), group_members(client, g).await?);
        }
    }
    read_names(client, &mut input).await?;
    for src in document_sources(cfg) {
        let docs = documents(client, cfg, &src, from, last).await?;
        input.documents.extend(docs);
    }
    for plan in &cfg.plans {
        plan_sources(client, plan, first, last, decimals, &mut input).await?;
    }
    // Satisfaction from Odoo's ratings, for every member of a plan (the engine applies it
    // to whom a plan names it for).
    let rating_keys: Vec<String> = cfg
        .coefficients
        .iter()
        .filter(|c| {
            matches!(
                c.source,
                CoefficientSource::Satisfaction {
                    source: SatisfactionSource::Rating,
                    ..
                }
            )
        })
        .map(|c| c.key.clone())
        .collect();
    let everyone: BTreeSet<i64> = input.members.values().flatten().copied().collect();
    for p in periods {
        let mut values = kpis(client, cfg, *p).await?;
        values.extend(super::ratings::ratings(client, &rating_keys, &everyone, *p).await?);
        input.kpis.insert(p.to_string(), values);
    }
    Ok(input)
}

/// The names of every member (statements show them).
async fn read_names(client: &OdooClient, input: &mut Input) -> Result<(), PayJobError> {
    let everyone: BTreeSet<i64> = input.members.values().flatten().copied().collect();
    let names = client
        .read(
            "res.users",
            &everyone.iter().copied().collect::<Vec<_>>(),
            &["name"],
        )
        .await?;
    for r in &names {
        let row = Row::new("res.users", r);
        // A user without a name is shown by id (the engine's fallback).
        if let Some(name) = row.text("name")? {
            input.names.insert(row.id()?, name);
        }
    }
    Ok(())
}

/// A document source some plan earns on.
struct Source {
    source: DocumentSource,
    /// The salesperson field of the first plan on it.
    user_field: String,
    /// Whether lines are read: some plan on it has add-ons.
    with_lines: bool,
}

/// The document sources the plans earn on, each once.
fn document_sources(cfg: &PayConfig) -> Vec<Source> {
    let mut sources: Vec<Source> = Vec::new();
    for p in &cfg.plans {
        if !sources.iter().any(|s| s.source == p.documents) {
            let with_lines = cfg
                .plans
                .iter()
                .any(|q| q.documents == p.documents && !q.components.addons.is_empty());
            sources.push(Source {
                source: p.documents,
                user_field: p.user_field.clone(),
                with_lines,
            });
        }
    }
    sources
}

/// The earning documents of one source over `from..=last`, with referrers and (when asked)
/// lines.
async fn documents(
    client: &OdooClient,
    cfg: &PayConfig,
    src: &Source,
    from: NaiveDate,
    last: NaiveDate,
) -> Result<Vec<Document>, PayJobError> {
    let (source, user_field, with_lines) = (src.source, src.user_field.as_str(), src.with_lines);
    let decimals = cfg.currency_decimals;
    let (dom, date_field, amount_field, customer_field) = match source {
        DocumentSource::Invoices => (
            vec![
                leaf(
                    "move_type",
                    "in",
                    X::Array(vec![X::from("out_invoice"), X::from("out_refund")]),
                ),
                leaf("state", "=", "posted"),
                leaf("invoice_date", ">=", d(from)),
                leaf("invoice_date", "<=", d(last)),
            ],
            "invoice_date",
            "amount_untaxed_signed",
            "commercial_partner_id",
        ),
        DocumentSource::SaleOrders => (
            vec![
                leaf(
                    "state",
                    "in",
                    X::Array(vec![X::from("sale"), X::from("done")]),
                ),
                leaf("date_order", ">=", d(from)),
                leaf("date_order", "<", d(after(last))),
            ],
            "date_order",
            "amount_untaxed",
            "partner_id",
        ),
    };
    let model = source.model();
    let mut fields = vec!["name", date_field, amount_field, customer_field, user_field];
    match source {
        DocumentSource::Invoices => fields.extend(["reversed_entry_id", "source_id"]),
        DocumentSource::SaleOrders => fields.push("currency_rate"),
    }
    let rows = client.search_read_all(model, dom, &fields).await?;
    let mut docs = Vec::with_capacity(rows.len());
    // Sale orders' rates, for their lines.
    let mut rates: HashMap<i64, f64> = HashMap::new();
    for r in &rows {
        let row = Row::new(model, r);
        let id = row.id()?;
        let doc_name = name(&row, "name")?;
        let amount = match source {
            DocumentSource::Invoices => money(&row, amount_field, decimals)?,
            DocumentSource::SaleOrders => {
                let rate = rate(&row, id)?;
                rates.insert(id, rate);
                company_amount(&row, amount_field, (&doc_name, id), rate, decimals)?
            }
        };
        docs.push(Document {
            source,
            id,
            name: doc_name,
            date: date(&row, date_field)?,
            salesperson: row.m2o_id(user_field)?,
            customer: row.m2o_id(customer_field)?,
            amount,
            reverses: if source == DocumentSource::Invoices {
                row.m2o_id("reversed_entry_id")?
            } else {
                None
            },
            referrer: None,
            lines: Vec::new(),
        });
    }
    referrers(client, cfg, source, &rows, &mut docs).await?;
    if with_lines {
        doc_lines(client, source, decimals, (from, last), &rates, &mut docs).await?;
    }
    Ok(docs)
}

/// What one plan's add-ons, setter and incidental components read for `first..=last`.
async fn plan_sources(
    client: &OdooClient,
    plan: &PlanSpec,
    first: NaiveDate,
    last: NaiveDate,
    decimals: u32,
    input: &mut Input,
) -> Result<(), PayJobError> {
    for a in &plan.components.addons {
        let found = ids(client, "product.product", domain(&a.product_domain)?).await?;
        input.addon_products.insert(
            format!("{}/{}", plan.key, a.key),
            found.into_iter().collect(),
        );
    }
    if let Some(s) = &plan.components.setter {
        let mut dom = domain(&s.domain)?;
        dom.extend([
            leaf("start", ">=", d(first)),
            leaf("start", "<", d(after(last))),
        ]);
        let rows = client
            .search_read_all(
                "calendar.event",
                dom,
                &["name", "start", s.setter_field.as_str()],
            )
            .await?;
        let mut list = Vec::with_capacity(rows.len());
        for r in &rows {
            let row = Row::new("calendar.event", r);
            list.push(Meeting {
                id: row.id()?,
                name: name(&row, "name")?,
                date: date(&row, "start")?,
                setter: row.m2o_id(&s.setter_field)?,
            });
        }
        input.meetings.insert(plan.key.clone(), list);
    }
    if let Some(src) = &plan.components.incidental {
        let mut dom = domain(&src.domain)?;
        dom.extend([
            leaf(&src.date_field, ">=", d(first)),
            leaf(&src.date_field, "<=", d(last)),
        ]);
        let rows = client
            .search_read_all(
                &src.model,
                dom,
                &[
                    "x_name",
                    src.user_field.as_str(),
                    src.amount_field.as_str(),
                    src.date_field.as_str(),
                ],
            )
            .await?;
        let mut list = Vec::with_capacity(rows.len());
        for r in &rows {
            let row = Row::new(&src.model, r);
            let Some(user) = row.m2o_id(&src.user_field)? else {
                continue;
            };
            list.push(Incidental {
                id: row.id()?,
                name: name(&row, "x_name")?,
                date: date(&row, &src.date_field)?,
                user,
                amount: money(&row, &src.amount_field, decimals)?,
            });
        }
        input.incidentals.insert(plan.key.clone(), list);
    }
    Ok(())
}

/// Resolves each document's referrer: a partner field (many2one to a user, or a code), or
/// the UTM source's name, matched against the users' code field.
async fn referrers(
    client: &OdooClient,
    cfg: &PayConfig,
    source: DocumentSource,
    rows: &[Struct],
    docs: &mut [Document],
) -> Result<(), PayJobError> {
    let Some(referral) = cfg
        .plans
        .iter()
        .filter(|p| p.documents == source)
        .find_map(|p| p.components.referral.clone())
    else {
        return Ok(());
    };
    let mut codes: HashMap<String, i64> = HashMap::new();
    if let Some(f) = &referral.code_field {
        for r in &client
            .search_read_all("res.users", vec![leaf(f, "!=", false)], &[f.as_str()])
            .await?
        {
            let row = Row::new("res.users", r);
            if let Some(code) = row.text(f)? {
                codes.insert(code.trim().to_owned(), row.id()?);
            }
        }
    }
    let resolve = |v: Option<&X>| -> Option<i64> {
        match v? {
            X::Array(_) => v?
                .as_many2one()
                .map(|(id, name)| codes.get(name.trim()).copied().unwrap_or(id)),
            X::String(code) => codes.get(code.trim()).copied(),
            _ => None,
        }
    };
    match &referral.source {
        ReferralSource::Utm => {
            for (doc, r) in docs.iter_mut().zip(rows) {
                let source = Row::new(source.model(), r).many2one("source_id")?;
                doc.referrer = source.and_then(|(_, name)| codes.get(name.trim()).copied());
            }
        }
        ReferralSource::PartnerField(field) => {
            let partners: BTreeSet<i64> = docs.iter().filter_map(|d| d.customer).collect();
            let rows = client
                .read(
                    "res.partner",
                    &partners.into_iter().collect::<Vec<_>>(),
                    &[field.as_str()],
                )
                .await?;
            let mut by_partner: HashMap<i64, Option<i64>> = HashMap::with_capacity(rows.len());
            for r in &rows {
                let row = Row::new("res.partner", r);
                by_partner.insert(row.id()?, resolve(row.get(field)));
            }
            for doc in docs.iter_mut() {
                doc.referrer = doc
                    .customer
                    .and_then(|c| by_partner.get(&c).copied().flatten());
            }
        }
    }
    Ok(())
}

/// Product lines of the documents (only for add-ons): for invoices the rows of
/// `account.invoice.report` selected like the invoices themselves (posted customer invoices
/// and credit notes of `from..=last`, no list of ids), for sale orders the order lines of
/// the orders read. See `DocumentSource::lines` for why the report.
async fn doc_lines(
    client: &OdooClient,
    source: DocumentSource,
    decimals: u32,
    range: (NaiveDate, NaiveDate),
    rates: &HashMap<i64, f64>,
    docs: &mut [Document],
) -> Result<(), PayJobError> {
    let (model, fields) = source.lines();
    let (parent, qty, amount) = (fields[0], fields[2], fields[3]);
    let dom = match source {
        DocumentSource::Invoices => vec![
            leaf(
                "move_type",
                "in",
                X::Array(vec![X::from("out_invoice"), X::from("out_refund")]),
            ),
            leaf("state", "=", "posted"),
            leaf("invoice_date", ">=", d(range.0)),
            leaf("invoice_date", "<=", d(range.1)),
        ],
        DocumentSource::SaleOrders => {
            let ids = X::Array(docs.iter().map(|d| X::Int(d.id)).collect());
            vec![leaf(parent, "in", ids)]
        }
    };
    let rows = client
        .search_read_all(model, dom, &[parent, "product_id", qty, amount])
        .await?;
    let at: HashMap<i64, usize> = docs.iter().enumerate().map(|(i, d)| (d.id, i)).collect();
    for r in &rows {
        let row = Row::new(model, r);
        let Some(i) = row.m2o_id(parent)?.and_then(|p| at.get(&p).copied()) else {
            continue;
        };
        // Both amounts are already signed: the report's `price_subtotal` is `-balance`. An
        // order line is in the order's currency, converted like its order.
        let value = match rates.get(&docs[i].id) {
            Some(&rate) if source == DocumentSource::SaleOrders => {
                company_amount(&row, amount, (&docs[i].name, docs[i].id), rate, decimals)?
            }
            _ => money(&row, amount, decimals)?,
        };
        let mut units =
            Qty::from_odoo(row.float(qty)?).ok_or_else(|| bad(&row, qty, "a quantity"))?;
        // The report signs a credit note's quantity; a sale order line never is one. A
        // positive quantity on a negative document is signed like the document.
        if docs[i].amount.0 < 0 && units.0 > 0 {
            units = Qty(-units.0);
        }
        docs[i].lines.push(DocLine {
            product: row.m2o_id("product_id")?,
            qty: units,
            amount: value,
        });
    }
    Ok(())
}

/// One aggregation a KPI or a field-based satisfaction coefficient asks of Odoo.
struct KpiQuery {
    key: String,
    model: String,
    aggregate: Aggregate,
    domain: String,
    user_field: String,
    date_field: String,
}

/// The queries of every KPI and field-based satisfaction coefficient.
fn kpi_queries(cfg: &PayConfig) -> Vec<KpiQuery> {
    let mut queries: Vec<KpiQuery> = cfg
        .kpis
        .iter()
        .map(|k| KpiQuery {
            key: k.key.clone(),
            model: k.model.clone(),
            aggregate: k.aggregate.clone(),
            domain: k.domain.clone(),
            user_field: k.user_field.clone(),
            date_field: k.date_field.clone(),
        })
        .collect();
    for c in &cfg.coefficients {
        if let CoefficientSource::Satisfaction {
            source:
                SatisfactionSource::Field {
                    model,
                    field,
                    user_field,
                    date_field,
                },
            ..
        } = &c.source
        {
            queries.push(KpiQuery {
                key: c.key.clone(),
                model: model.clone(),
                aggregate: Aggregate::Avg(field.clone()),
                domain: "[]".into(),
                user_field: user_field.clone(),
                date_field: date_field.clone(),
            });
        }
    }
    queries
}

/// KPI and satisfaction values of one period, per user, in millionths.
async fn kpis(
    client: &OdooClient,
    cfg: &PayConfig,
    period: Period,
) -> Result<crate::pay::coefficient::KpiValues, PayJobError> {
    let mut out = crate::pay::coefficient::KpiValues::new();
    for q in kpi_queries(cfg) {
        let mut dom = domain(&q.domain)?;
        dom.extend([
            leaf(&q.date_field, ">=", d(period.start())),
            leaf(&q.date_field, "<", d(after(period.end()))),
        ]);
        let (spec, field) = match &q.aggregate {
            Aggregate::Count => ("__count".to_owned(), "__count"),
            Aggregate::Sum(f) => (format!("{f}:sum"), f.as_str()),
            Aggregate::Avg(f) => (format!("{f}:avg"), f.as_str()),
        };
        let groups = client
            .read_group(
                &q.model,
                dom,
                &[spec.as_str()],
                &[q.user_field.as_str()],
                false,
            )
            .await?;
        for g in &groups {
            let row = Row::new(&q.model, g);
            let Some(user) = row.m2o_id(&q.user_field)? else {
                continue;
            };
            // No value (an average over nothing is `False`, or `null` over JSON-RPC): the
            // user has none this period, which the engine reads as "no data".
            if matches!(row.get(field), Some(X::Bool(false) | X::Nil)) {
                continue;
            }
            let v = row.float(field)?;
            #[allow(clippy::cast_possible_truncation)]
            out.insert((q.key.clone(), user), (v * 1_000_000.0).round() as i64);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invoice(amount: X, date: X) -> Struct {
        let mut s = Struct::new();
        s.push("id", X::Int(42));
        s.push("amount_untaxed_signed", amount);
        s.push("invoice_date", date);
        s
    }

    #[test]
    fn amounts_and_dates_read_exactly() {
        let s = invoice(X::Double(1234.5), "2026-11-22".into());
        let row = Row::new("account.move", &s);
        assert_eq!(
            money(&row, "amount_untaxed_signed", 2).unwrap(),
            Money(123_450)
        );
        assert_eq!(
            date(&row, "invoice_date").unwrap(),
            NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()
        );
    }

    #[test]
    fn an_empty_or_wrong_amount_or_date_is_an_error_naming_model_and_field() {
        let s = invoice(X::Bool(false), X::Bool(false));
        let row = Row::new("account.move", &s);
        assert_eq!(
            money(&row, "amount_untaxed_signed", 2)
                .unwrap_err()
                .to_string(),
            "unexpected answer for account.move.amount_untaxed_signed: expected an amount, got boolean"
        );
        assert_eq!(
            date(&row, "invoice_date").unwrap_err().to_string(),
            "unexpected answer for account.move.invoice_date: expected a date, got boolean"
        );
        let s = invoice("12,5".into(), "22/11/2026".into());
        let row = Row::new("account.move", &s);
        assert!(money(&row, "amount_untaxed_signed", 2).is_err());
        assert!(date(&row, "invoice_date").is_err());
    }
}
