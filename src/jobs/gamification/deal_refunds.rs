//! Deal points revoked on refund (issue 16 item 4): a point rule on `crm.lead` with
//! `refund_window_days` gives a won deal nothing when one of its invoices is refunded (a
//! posted credit note reversing it, `reversed_entry_id`) or cancelled within that many days
//! of the invoice date; what the deal earned is compensated by the karma engine's correcting
//! entry, as for any event that no longer qualifies.
//!
//! The link is Odoo's own: a deal's quotations are `sale.order` rows whose `opportunity_id`
//! is the deal (`sale_crm`); an order's invoices carry its name in `invoice_origin` (set by
//! `sale.order._prepare_invoice`, several orders' names joined by ", " when Odoo merges
//! them). `sale.order.invoice_ids` would be the direct way, but it is computed from the
//! order lines' invoice lines (`order_line.invoice_lines.move_id`), which neither the
//! recordings (`/work/shared/odoo17`, `odoo19`: no order or invoice line model) nor a plain
//! `search_read` with a domain can follow; `invoice_origin` is stored, searchable and
//! recorded, so it is the link used. A cancelled invoice's cancellation day is its
//! `write_date` (Odoo keeps no other date for it). Calls: one `search_read` of orders, one
//! of invoices, one of credit notes, only for rules that have won deals.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;

use crate::gamification::karma::Event;
use crate::odoo::{OdooClient, Row, leaf};
use crate::xmlrpc::Value;

use super::GamificationError;

const ORDER: &str = "sale.order";
const MOVE: &str = "account.move";

/// An invoice of a deal, as read.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct DealInvoice {
    pub name: String,
    pub invoice_date: Option<NaiveDate>,
    /// `state = cancel`: the day it was cancelled (its `write_date`).
    pub cancelled_on: Option<NaiveDate>,
    /// The earliest posted credit note reversing it: (its date, its name).
    pub refund: Option<(NaiveDate, String)>,
}

/// Why a deal's invoice takes its points back, if one does: the first invoice (by name)
/// refunded or cancelled within `days` of its invoice date. Pure.
pub(crate) fn taken_back(invoices: &[DealInvoice], days: i64) -> Option<String> {
    let mut sorted: Vec<&DealInvoice> = invoices.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    sorted.into_iter().find_map(|i| {
        let invoiced = i.invoice_date?;
        if let Some((on, refund)) = &i.refund
            && (*on - invoiced).num_days() <= days
        {
            return Some(format!(
                "its invoice {} refunded by {refund} within {days} days",
                i.name
            ));
        }
        match i.cancelled_on {
            Some(on) if (on - invoiced).num_days() <= days => Some(format!(
                "its invoice {} cancelled within {days} days",
                i.name
            )),
            _ => None,
        }
    })
}

fn ids(values: impl Iterator<Item = i64>) -> Value {
    Value::Array(values.map(Value::Int).collect())
}

/// Deals among `events` whose invoice was refunded or cancelled within `days`: worth nothing
/// now, named with the invoice.
pub(crate) async fn revoke(
    client: &OdooClient,
    days: i64,
    events: &mut [(Event, Option<NaiveDate>)],
) -> Result<(), GamificationError> {
    let deals: Vec<i64> = events
        .iter()
        .filter(|(e, _)| e.points != 0)
        .map(|(e, _)| e.record_id)
        .collect();
    if deals.is_empty() {
        return Ok(());
    }
    // order name → deal
    let mut deal_of: HashMap<String, i64> = HashMap::new();
    for r in client
        .search_read_all(
            ORDER,
            vec![leaf("opportunity_id", "in", ids(deals.into_iter()))],
            &["name", "opportunity_id"],
        )
        .await?
    {
        let row = Row::new(ORDER, &r);
        if let (Some(name), Some(deal)) = (row.text("name")?, row.m2o_id("opportunity_id")?) {
            deal_of.insert(name, deal);
        }
    }
    if deal_of.is_empty() {
        return Ok(());
    }
    let names = Value::Array(deal_of.keys().map(|n| Value::from(n.as_str())).collect());
    // Exact origins, and merged invoices ("S00001, S00002"), split below.
    let domain = vec![
        leaf("move_type", "=", "out_invoice"),
        "|".into(),
        leaf("invoice_origin", "in", names),
        leaf("invoice_origin", "like", ", "),
    ];
    let rows = client
        .search_read_all(
            MOVE,
            domain,
            &[
                "name",
                "invoice_origin",
                "invoice_date",
                "state",
                "write_date",
            ],
        )
        .await?;
    // invoice id → (deal, invoice)
    let mut invoices: BTreeMap<i64, (i64, DealInvoice)> = BTreeMap::new();
    for r in &rows {
        let row = Row::new(MOVE, r);
        let origin = row.text("invoice_origin")?.unwrap_or_default();
        let Some(deal) = origin
            .split(',')
            .find_map(|o| deal_of.get(o.trim()).copied())
        else {
            continue;
        };
        let cancelled_on = if row.text("state")?.as_deref() == Some("cancel") {
            row.datetime("write_date")?.map(|d| d.date())
        } else {
            None
        };
        invoices.insert(
            row.id()?,
            (
                deal,
                DealInvoice {
                    name: row.text("name")?.unwrap_or_default(),
                    invoice_date: row.date("invoice_date")?,
                    cancelled_on,
                    refund: None,
                },
            ),
        );
    }
    if invoices.is_empty() {
        return Ok(());
    }
    for r in client
        .search_read_all(
            MOVE,
            vec![
                leaf("move_type", "=", "out_refund"),
                leaf("state", "=", "posted"),
                leaf("reversed_entry_id", "in", ids(invoices.keys().copied())),
            ],
            &["reversed_entry_id", "invoice_date", "name"],
        )
        .await?
    {
        let row = Row::new(MOVE, &r);
        let (Some(invoice), Some(date)) =
            (row.m2o_id("reversed_entry_id")?, row.date("invoice_date")?)
        else {
            continue;
        };
        let name = row.text("name")?.unwrap_or_default();
        if let Some((_, i)) = invoices.get_mut(&invoice)
            && i.refund.as_ref().is_none_or(|(d, _)| date < *d)
        {
            i.refund = Some((date, name));
        }
    }
    let mut by_deal: HashMap<i64, Vec<DealInvoice>> = HashMap::new();
    for (deal, invoice) in invoices.into_values() {
        by_deal.entry(deal).or_default().push(invoice);
    }
    for (e, _) in events.iter_mut() {
        if let Some(why) = by_deal.get(&e.record_id).and_then(|i| taken_back(i, days)) {
            e.points = 0;
            e.record_name = format!("{}, {why}", e.record_name);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(m: u32, day: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(2026, m, day)
    }

    fn invoice(name: &str, date: Option<NaiveDate>) -> DealInvoice {
        DealInvoice {
            name: name.into(),
            invoice_date: date,
            cancelled_on: None,
            refund: None,
        }
    }

    #[test]
    fn a_refund_or_a_cancellation_within_the_window_takes_the_deal_back() {
        // Invoiced 1 November; window 30 days.
        let mut refunded = invoice("INV/1", d(11, 1));
        refunded.refund = Some((d(11, 20).unwrap(), "RINV/1".into()));
        assert_eq!(
            taken_back(std::slice::from_ref(&refunded), 30).as_deref(),
            Some("its invoice INV/1 refunded by RINV/1 within 30 days")
        );
        // 19 days is outside a 10-day window.
        assert_eq!(taken_back(std::slice::from_ref(&refunded), 10), None);
        let mut cancelled = invoice("INV/2", d(11, 1));
        cancelled.cancelled_on = d(11, 30);
        assert_eq!(
            taken_back(std::slice::from_ref(&cancelled), 30).as_deref(),
            Some("its invoice INV/2 cancelled within 30 days")
        );
        assert_eq!(taken_back(std::slice::from_ref(&cancelled), 28), None);
        // A draft cancelled before it was ever dated (never posted) takes nothing back.
        let mut draft = invoice("INV/3", None);
        draft.cancelled_on = d(11, 2);
        assert_eq!(taken_back(&[draft, invoice("INV/4", d(11, 1))], 30), None);
    }
}
