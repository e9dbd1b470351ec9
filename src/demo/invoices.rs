//! Customer invoices and credit notes (`account.move`) with their `account.invoice.report`
//! rows: in Odoo the report is a SQL view with one row per product line; the simulator stores
//! it as a model, so the generator writes both sides and keeps them consistent (the lines of an
//! invoice sum to its `amount_untaxed_signed`; refunds are negative on both).
//!
//! Amounts are computed in integer cents and carry no tax, like the snapshot's demo invoices.
//! Numbers follow Odoo's sequences (`INV/2026/00042`, `RINV/…`) in invoice-date order,
//! continuing after the numbers the store already holds; drafts are named `/`.

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, NaiveDate};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::record::Value;

use super::DatasetSpec;
use super::clock::{self, HOUR};
use super::draw::weighted_index;
use super::emit::{Out, Rec};
use super::leads::Customer;
use super::refs::Refs;
use super::staff::Staff;

const HISTORY_DAYS: i64 = 120;

struct Draft {
    date: NaiveDate,
    refund: bool,
    state: &'static str,
    payment_state: &'static str,
    /// Share of the total still due, in percent (partial payments).
    residual_pct: i64,
    user: Option<i64>,
    team: Option<i64>,
    customer: usize,
    /// (product index, quantity)
    lines: Vec<(usize, i64)>,
}

fn draw(
    rng: &mut StdRng,
    spec: &DatasetSpec,
    staff: &Staff,
    sellers: &[(i64, u32)],
    customers: usize,
    products: usize,
) -> Draft {
    let month_days = i64::from(spec.today.day0()).max(7);
    let back = if rng.random_bool(0.3) {
        rng.random_range(1..=month_days)
    } else {
        rng.random_range(1..=HISTORY_DAYS)
    };
    let date = spec.today - Duration::days(back);
    let refund = rng.random_bool(0.06);
    let state = match rng.random_range(0..100) {
        0..80 => "posted",
        80..92 => "draft",
        _ => "cancel",
    };
    let (payment_state, residual_pct) = match (state, refund) {
        ("posted", false) => {
            // Older invoices are more likely settled: cumulative thresholds per age.
            let [paid, in_payment, partial] = if back > 45 {
                [70, 75, 85]
            } else {
                [30, 45, 55]
            };
            let roll = rng.random_range(0..100);
            if roll < paid {
                ("paid", 0)
            } else if roll < in_payment {
                ("in_payment", 0)
            } else if roll < partial {
                ("partial", rng.random_range(20..=80))
            } else {
                ("not_paid", 100)
            }
        }
        ("posted", true) if rng.random_bool(0.5) => ("paid", 0),
        _ => ("not_paid", 100),
    };
    let weights: Vec<u32> = sellers.iter().map(|s| s.1).collect();
    let user = if rng.random_bool(0.97) {
        weighted_index(rng, &weights).map(|i| sellers[i].0)
    } else {
        None
    };
    let team = user
        .and_then(|u| staff.by_uid(u))
        .and_then(|m| m.team)
        .and_then(|t| staff.team_ids.get(t).copied());
    let customer = rng.random_range(0..customers.max(1));
    let n_lines = if refund { 1 } else { rng.random_range(1..=3) };
    let lines = (0..n_lines)
        .map(|_| {
            let qty = if refund {
                rng.random_range(1..=3)
            } else {
                rng.random_range(1..=12)
            };
            (rng.random_range(0..products.max(1)), qty)
        })
        .collect();
    Draft {
        date,
        refund,
        state,
        payment_state,
        residual_pct,
        user,
        team,
        customer,
        lines,
    }
}

/// First sequence number not yet used by a move named `PREFIX/YEAR/NNNNN` in the store.
fn first_free(out: &Out, prefix: &str, year: i32) -> i64 {
    let mut n = 1;
    while !out
        .search_eq(
            "account.move",
            "name",
            &Value::Str(format!("{prefix}/{year}/{n:05}")),
        )
        .is_empty()
    {
        n += 1;
    }
    n
}

fn money(cents: i64) -> f64 {
    cents as f64 / 100.0
}

/// An invoice's number: `INV/2026/00042` once posted, `/` while a draft.
struct Number {
    name: String,
    /// The sequence number, when the invoice has one.
    seq: Option<i64>,
}

/// Facts shared by an invoice's header and its report lines.
struct Posted<'a> {
    draft: &'a Draft,
    customer: &'a Customer,
    move_type: &'static str,
    sign: i64,
    invoice_date: String,
    due: String,
}

/// The `account.move` record of one invoice.
fn move_rec(refs: &Refs, inv: &Posted, number: &Number, prefix: &str) -> Rec {
    let d = inv.draft;
    let customer = inv.customer;
    let sign = inv.sign;
    let untaxed: i64 = d
        .lines
        .iter()
        .map(|&(p, qty)| qty * refs.products[p].price_cents)
        .sum();
    let residual = untaxed * d.residual_pct / 100;
    let name = number.name.as_str();
    let mut m = Rec::with_capacity(30);
    m.set("name", name)
        .set("move_type", inv.move_type)
        .set("state", d.state)
        .set("payment_state", d.payment_state)
        .set("auto_post", "no")
        .m2o("partner_id", customer.id)
        .m2o("commercial_partner_id", customer.id)
        .set("invoice_partner_display_name", customer.name.as_str())
        .m2o("company_id", refs.company)
        .m2o("currency_id", refs.currency)
        .m2o_opt("journal_id", refs.journal_sales)
        .m2o_opt("invoice_user_id", d.user)
        .m2o_opt("team_id", d.team)
        .set("invoice_date", inv.invoice_date.as_str())
        .set("date", inv.invoice_date.as_str())
        .set("invoice_date_due", inv.due.as_str())
        .set("amount_untaxed", money(untaxed))
        .set("amount_tax", 0.0)
        .set("amount_total", money(untaxed))
        .set("amount_residual", money(residual))
        .set("amount_untaxed_signed", money(sign * untaxed))
        .set("amount_total_signed", money(sign * untaxed))
        .set("amount_total_in_currency_signed", money(sign * untaxed))
        .set("amount_residual_signed", money(sign * residual))
        .set("posted_before", number.seq.is_some())
        .set(
            "create_date",
            clock::datetime(clock::midnight(d.date) + 9 * HOUR),
        );
    if let Some(seq) = number.seq {
        m.set("payment_reference", name)
            .set("sequence_prefix", format!("{prefix}/{}/", d.date.year()))
            .set("sequence_number", seq);
    }
    m
}

/// One `account.invoice.report` line of an invoice (a product and its quantity).
fn report_line(refs: &Refs, inv: &Posted, move_id: i64, product: usize, qty: i64) -> Rec {
    let d = inv.draft;
    let customer = inv.customer;
    let sign = inv.sign;
    let product = refs.products[product];
    let subtotal = money(sign * qty * product.price_cents);
    let mut l = Rec::with_capacity(22);
    l.m2o("move_id", move_id)
        .set("move_type", inv.move_type)
        .set("state", d.state)
        .set("payment_state", d.payment_state)
        .set("invoice_date", inv.invoice_date.as_str())
        .set("invoice_date_due", inv.due.as_str())
        .m2o_opt("invoice_user_id", d.user)
        .m2o_opt("team_id", d.team)
        .m2o("partner_id", customer.id)
        .m2o("commercial_partner_id", customer.id)
        .m2o("country_id", customer.country_id)
        .m2o("company_id", refs.company)
        .m2o("currency_id", refs.currency)
        .m2o("company_currency_id", refs.currency)
        .m2o_opt("journal_id", refs.journal_sales)
        .m2o_opt("account_id", refs.account_sales)
        .m2o_opt("product_id", product.id)
        .set("quantity", (sign * qty) as f64)
        .set("price_average", money(product.price_cents))
        .set("price_subtotal", subtotal)
        .set("price_total", subtotal);
    l
}

pub(crate) fn create(
    out: &mut Out,
    refs: &Refs,
    spec: &DatasetSpec,
    staff: &Staff,
    customers: &[Customer],
) {
    if customers.is_empty() || refs.products.is_empty() {
        return;
    }
    let mut rng = StdRng::seed_from_u64(spec.seed ^ 0x494e_5643_0000_0005);
    let sellers: Vec<(i64, u32)> = staff.salespeople().map(|m| (m.uid, m.weight)).collect();
    let mut drafts: Vec<Draft> = (0..spec.invoices)
        .map(|_| {
            draw(
                &mut rng,
                spec,
                staff,
                &sellers,
                customers.len(),
                refs.products.len(),
            )
        })
        .collect();
    // Sequence numbers follow invoice dates; the stable sort keeps same-day draw order.
    drafts.sort_by_key(|d| d.date);

    let mut next: BTreeMap<(&'static str, i32), i64> = BTreeMap::new();
    for d in &drafts {
        let prefix = if d.refund { "RINV" } else { "INV" };
        let number = if d.state != "draft" {
            let year = d.date.year();
            let n = next
                .entry((prefix, year))
                .or_insert_with(|| first_free(out, prefix, year));
            let seq = *n;
            *n += 1;
            Number {
                name: format!("{prefix}/{year}/{seq:05}"),
                seq: Some(seq),
            }
        } else {
            Number {
                name: "/".to_owned(),
                seq: None,
            }
        };
        let inv = Posted {
            draft: d,
            customer: &customers[d.customer],
            move_type: if d.refund {
                "out_refund"
            } else {
                "out_invoice"
            },
            sign: if d.refund { -1 } else { 1 },
            invoice_date: clock::date(d.date),
            due: clock::date(d.date + Duration::days(30)),
        };
        let move_id = out.create("account.move", move_rec(refs, &inv, &number, prefix));
        for &(p, qty) in &d.lines {
            out.create(
                "account.invoice.report",
                report_line(refs, &inv, move_id, p, qty),
            );
        }
    }
}
