//! What the engine computes from: plain typed records the job read from Odoo (or a test
//! wrote by hand). Signs are already the accounting ones: a credit note's amount and line
//! quantities are negative. Membership, product domains and meeting domains are resolved by
//! the job (Odoo evaluates them); the engine only sees ids.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;

use super::coefficient::KpiValues;
use super::money::{Money, Qty};
use super::plan::DocumentSource;

/// A line of an earning document.
#[derive(Clone, Debug, PartialEq)]
pub struct DocLine {
    pub product: Option<i64>,
    /// Signed: negative on a credit note.
    pub qty: Qty,
    /// Untaxed, in company currency, signed.
    pub amount: Money,
}

/// An earning document: a posted customer invoice / credit note, or a confirmed sale order.
#[derive(Clone, Debug, PartialEq)]
pub struct Document {
    pub source: DocumentSource,
    pub id: i64,
    /// `INV/2026/00042`, `RINV/2026/00003`, `S00042`.
    pub name: String,
    /// Accounting date (`invoice_date`) or order date.
    pub date: NaiveDate,
    /// The salesperson credited (the plan's `user_field`), the closer.
    pub salesperson: Option<i64>,
    /// The commercial partner (a company and its contacts are one customer).
    pub customer: Option<i64>,
    /// Untaxed, company currency, signed (a credit note is negative).
    pub amount: Money,
    /// The invoice a credit note reverses (`reversed_entry_id`).
    pub reverses: Option<i64>,
    /// The collaborator whose referral brought the customer (already resolved to a user).
    pub referrer: Option<i64>,
    pub lines: Vec<DocLine>,
}

/// A qualified appointment (`calendar.event` matching the plan's domain).
#[derive(Clone, Debug, PartialEq)]
pub struct Meeting {
    pub id: i64,
    pub name: String,
    pub date: NaiveDate,
    /// Who booked it (the plan's `setter_field`).
    pub setter: Option<i64>,
}

/// A one-off amount a manager recorded in Odoo for a person.
#[derive(Clone, Debug, PartialEq)]
pub struct Incidental {
    pub id: i64,
    pub name: String,
    pub date: NaiveDate,
    pub user: i64,
    pub amount: Money,
}

/// Everything read for one computation.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Input {
    /// Plan key → its members' user ids.
    pub members: BTreeMap<String, BTreeSet<i64>>,
    /// User id → display name (statement titles).
    pub names: BTreeMap<i64, String>,
    /// Earning documents of the periods computed, plus the customers' earlier documents
    /// the repeat-purchase component looks back on.
    pub documents: Vec<Document>,
    /// `"plan/addon"` key → product ids matching the add-on's product domain.
    pub addon_products: BTreeMap<String, BTreeSet<i64>>,
    /// Plan key → qualified meetings (matching that plan's setter domain).
    pub meetings: BTreeMap<String, Vec<Meeting>>,
    /// Plan key → incidental amounts read from that plan's incidental source.
    pub incidentals: BTreeMap<String, Vec<Incidental>>,
    /// Period label (`2026-11`) → KPI and satisfaction values of that period.
    pub kpis: BTreeMap<String, KpiValues>,
    /// Coefficient key → members of its group (only for coefficients with a group).
    pub groups: BTreeMap<String, BTreeSet<i64>>,
}
