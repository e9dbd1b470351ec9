//! Reads what the pay engine computes from, in batched `search_read`s of only the fields the
//! plans need: plan members, earning documents (headers; lines only when a plan has
//! add-ons), the add-ons' products, qualified meetings, incidental amounts, and KPI values
//! (`read_group` per KPI and period: Odoo aggregates). Odoo evaluates every configured
//! domain itself.
//!
//! Amounts: invoices use `amount_untaxed_signed` (company currency, credit notes negative);
//! invoice lines `-balance` (company currency, income is a credit); sale orders
//! `amount_untaxed`, which is in the order's currency — documented as such (a multi-currency
//! company should pay on invoices).
//!
//! Not read yet: customer ratings (`rating.rating`) for satisfaction coefficients without a
//! configured field; such a coefficient finds no value and is × 1 ("no ratings").

use std::collections::{BTreeSet, HashMap};

use chrono::{Months, NaiveDate};

use crate::domain::Domain;
use crate::odoo::WireLit as _;
use crate::odoo::{OdooClient, leaf};
use crate::pay::coefficient::{Aggregate, CoefficientSource, SatisfactionSource};
use crate::pay::components::ReferralSource;
use crate::pay::{
    DocLine, Document, DocumentSource, Incidental, Input, Meeting, Members, Money, PayConfig,
    Period, Qty,
};
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

fn m2o(r: &Struct, f: &str) -> Option<i64> {
    r.get(f).and_then(X::as_many2one).map(|(id, _)| id)
}

fn date(r: &Struct, f: &str, model: &'static str) -> Result<NaiveDate, PayJobError> {
    let text = r.get(f).and_then(X::as_str).unwrap_or_default();
    NaiveDate::parse_from_str(text.get(..10).unwrap_or(text), "%Y-%m-%d").map_err(|_| {
        PayJobError::BadValue {
            model,
            field: "date",
            value: text.chars().take(30).collect(),
            expected: "a date",
        }
    })
}

fn money(r: &Struct, f: &str, decimals: u32, model: &'static str) -> Result<Money, PayJobError> {
    let v = r.get(f).and_then(X::as_f64);
    v.and_then(|v| Money::from_odoo(v, decimals))
        .ok_or_else(|| PayJobError::BadValue {
            model,
            field: "amount",
            value: r.get(f).map(ToString::to_string).unwrap_or_default(),
            expected: "an amount",
        })
}

async fn ids(client: &OdooClient, model: &str, dom: Vec<X>) -> Result<Vec<i64>, PayJobError> {
    Ok(client.search(model, dom, &Default::default()).await?)
}

async fn xml_id(client: &OdooClient, xml: &str) -> Result<i64, PayJobError> {
    let (module, name) = xml.split_once('.').unwrap_or(("", xml));
    let v = client
        .execute_kw(
            "ir.model.data",
            "check_object_reference",
            vec![X::from(module), X::from(name)],
            Struct::new(),
        )
        .await?;
    Ok(v.as_array()
        .and_then(|a| a.get(1))
        .and_then(X::as_i64)
        .unwrap_or(0))
}

async fn group_members(client: &OdooClient, xml: &str) -> Result<BTreeSet<i64>, PayJobError> {
    let g = xml_id(client, xml).await?;
    let found = ids(
        client,
        "res.users",
        vec![leaf("groups_id", "in", X::Array(vec![X::Int(g)]))],
    )
    .await?;
    Ok(found.into_iter().collect())
}

async fn members(client: &OdooClient, m: &Members) -> Result<BTreeSet<i64>, PayJobError> {
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
            rows.iter().filter_map(|r| m2o(r, "user_id")).collect()
        }
        Members::Group(xml) => return group_members(client, xml).await,
        Members::Domain(d) => ids(client, "res.users", domain(d)?).await?,
    };
    Ok(found.into_iter().collect())
}

/// Everything the engine needs for `periods` (and, for repeat purchases, the months before).
pub async fn read_input(
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
    let everyone: BTreeSet<i64> = input.members.values().flatten().copied().collect();
    let names = client
        .read(
            "res.users",
            &everyone.iter().copied().collect::<Vec<_>>(),
            &["name"],
        )
        .await?;
    for r in &names {
        if let (Some(id), Some(name)) = (
            r.get("id").and_then(X::as_i64),
            r.get("name").and_then(X::as_str),
        ) {
            input.names.insert(id, name.to_owned());
        }
    }
    let d = |x: NaiveDate| X::from(x.to_string());
    // Documents, per source any plan earns on (the salesperson field of the first plan on it).
    let mut sources: Vec<(DocumentSource, String, bool)> = Vec::new();
    for p in &cfg.plans {
        if !sources.iter().any(|(s, _, _)| *s == p.documents) {
            let lines = cfg
                .plans
                .iter()
                .any(|q| q.documents == p.documents && !q.components.addons.is_empty());
            sources.push((p.documents, p.user_field.clone(), lines));
        }
    }
    for (source, user_field, with_lines) in sources {
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
                    leaf("date_order", "<", d(last.succ_opt().unwrap_or(last))),
                ],
                "date_order",
                "amount_untaxed",
                "partner_id",
            ),
        };
        let model = source.model();
        let mut fields = vec![
            "name",
            date_field,
            amount_field,
            customer_field,
            user_field.as_str(),
        ];
        if source == DocumentSource::Invoices {
            fields.extend(["reversed_entry_id", "source_id"]);
        }
        let rows = client.search_read_all(model, dom, &fields).await?;
        let static_model: &'static str = model;
        let mut docs = Vec::with_capacity(rows.len());
        for r in &rows {
            docs.push(Document {
                source,
                id: r.get("id").and_then(X::as_i64).unwrap_or(0),
                name: r
                    .get("name")
                    .and_then(X::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                date: date(r, date_field, static_model)?,
                salesperson: m2o(r, &user_field),
                customer: m2o(r, customer_field),
                amount: money(r, amount_field, decimals, static_model)?,
                reverses: m2o(r, "reversed_entry_id"),
                referrer: None,
                lines: Vec::new(),
            });
        }
        referrers(client, cfg, source, &rows, &mut docs).await?;
        if with_lines {
            doc_lines(client, source, decimals, &mut docs).await?;
        }
        input.documents.extend(docs);
    }
    for plan in &cfg.plans {
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
                leaf("start", "<", d(last.succ_opt().unwrap_or(last))),
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
                list.push(Meeting {
                    id: r.get("id").and_then(X::as_i64).unwrap_or(0),
                    name: r
                        .get("name")
                        .and_then(X::as_str)
                        .unwrap_or_default()
                        .to_owned(),
                    date: date(r, "start", "calendar.event")?,
                    setter: m2o(r, &s.setter_field),
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
                let Some(user) = m2o(r, &src.user_field) else {
                    continue;
                };
                list.push(Incidental {
                    id: r.get("id").and_then(X::as_i64).unwrap_or(0),
                    name: r
                        .get("x_name")
                        .and_then(X::as_str)
                        .unwrap_or_default()
                        .to_owned(),
                    date: date(r, &src.date_field, "incidental")?,
                    user,
                    amount: money(r, &src.amount_field, decimals, "incidental")?,
                });
            }
            input.incidentals.insert(plan.key.clone(), list);
        }
    }
    for p in periods {
        input
            .kpis
            .insert(p.to_string(), kpis(client, cfg, *p).await?);
    }
    Ok(input)
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
    let codes: HashMap<String, i64> = match &referral.code_field {
        Some(f) => client
            .search_read_all("res.users", vec![leaf(f, "!=", false)], &[f.as_str()])
            .await?
            .iter()
            .filter_map(|r| {
                Some((
                    r.get(f)?.as_str()?.trim().to_owned(),
                    r.get("id")?.as_i64()?,
                ))
            })
            .collect(),
        None => HashMap::new(),
    };
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
                doc.referrer = r
                    .get("source_id")
                    .and_then(X::as_many2one)
                    .and_then(|(_, name)| codes.get(name.trim()).copied());
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
            let by_partner: HashMap<i64, Option<i64>> = rows
                .iter()
                .filter_map(|r| Some((r.get("id")?.as_i64()?, resolve(r.get(field)))))
                .collect();
            for doc in docs.iter_mut() {
                doc.referrer = doc
                    .customer
                    .and_then(|c| by_partner.get(&c).copied().flatten());
            }
        }
    }
    Ok(())
}

/// Product lines of the documents (only for add-ons).
async fn doc_lines(
    client: &OdooClient,
    source: DocumentSource,
    decimals: u32,
    docs: &mut [Document],
) -> Result<(), PayJobError> {
    let ids = X::Array(docs.iter().map(|d| X::Int(d.id)).collect());
    let (model, parent, qty, amount, dom) = match source {
        DocumentSource::Invoices => (
            "account.move.line",
            "move_id",
            "quantity",
            "balance",
            vec![
                leaf("move_id", "in", ids),
                leaf("display_type", "=", "product"),
            ],
        ),
        DocumentSource::SaleOrders => (
            "sale.order.line",
            "order_id",
            "product_uom_qty",
            "price_subtotal",
            vec![leaf("order_id", "in", ids)],
        ),
    };
    let rows = client
        .search_read_all(model, dom, &[parent, "product_id", qty, amount])
        .await?;
    let at: HashMap<i64, usize> = docs.iter().enumerate().map(|(i, d)| (d.id, i)).collect();
    for r in &rows {
        let Some(i) = m2o(r, parent).and_then(|p| at.get(&p).copied()) else {
            continue;
        };
        let mut value = money(r, amount, decimals, "line")?;
        let mut units = r
            .get(qty)
            .and_then(X::as_f64)
            .and_then(Qty::from_odoo)
            .unwrap_or_default();
        if source == DocumentSource::Invoices {
            // Income is a credit: -balance is the signed untaxed amount.
            value = -value;
        }
        if docs[i].amount.0 < 0 && units.0 > 0 {
            units = Qty(-units.0);
        }
        docs[i].lines.push(DocLine {
            product: m2o(r, "product_id"),
            qty: units,
            amount: value,
        });
    }
    Ok(())
}

/// KPI and satisfaction values of one period, per user, in millionths.
async fn kpis(
    client: &OdooClient,
    cfg: &PayConfig,
    period: Period,
) -> Result<crate::pay::coefficient::KpiValues, PayJobError> {
    let mut out = crate::pay::coefficient::KpiValues::new();
    let d = |x: NaiveDate| X::from(x.to_string());
    let range = |field: &str| {
        vec![
            leaf(field, ">=", d(period.start())),
            leaf(
                field,
                "<",
                d(period.end().succ_opt().unwrap_or(period.end())),
            ),
        ]
    };
    let mut queries: Vec<(String, String, Aggregate, String, String, String)> = cfg
        .kpis
        .iter()
        .map(|k| {
            (
                k.key.clone(),
                k.model.clone(),
                k.aggregate.clone(),
                k.domain.clone(),
                k.user_field.clone(),
                k.date_field.clone(),
            )
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
            queries.push((
                c.key.clone(),
                model.clone(),
                Aggregate::Avg(field.clone()),
                "[]".into(),
                user_field.clone(),
                date_field.clone(),
            ));
        }
    }
    for (key, model, aggregate, dom_text, user_field, date_field) in queries {
        let mut dom = domain(&dom_text)?;
        dom.extend(range(&date_field));
        let spec = match &aggregate {
            Aggregate::Count => "__count".to_owned(),
            Aggregate::Sum(f) => format!("{f}:sum"),
            Aggregate::Avg(f) => format!("{f}:avg"),
        };
        let groups = client
            .read_group(&model, dom, &[spec.as_str()], &[user_field.as_str()], false)
            .await?;
        for g in &groups {
            let Some(user) = m2o(g, &user_field) else {
                continue;
            };
            let value = match &aggregate {
                Aggregate::Count => g.get("__count").and_then(X::as_f64),
                Aggregate::Sum(f) | Aggregate::Avg(f) => g.get(f).and_then(X::as_f64),
            };
            if let Some(v) = value {
                #[allow(clippy::cast_possible_truncation)]
                out.insert((key.clone(), user), (v * 1_000_000.0).round() as i64);
            }
        }
    }
    Ok(out)
}
