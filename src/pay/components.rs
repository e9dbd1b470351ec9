//! The components that earn on documents, meetings and recorded amounts: their settings
//! and, for one document, the lines they produce before any coefficient.
//!
//! Choices where the issue is silent (as an Odoo admin would expect):
//! * **repeat purchase**: a document is a repeat when the same commercial partner has an
//!   earlier *positive* earning document (any salesperson) dated within `within_months`
//!   before it (same date: a smaller id is earlier). A credit note is a repeat when the
//!   invoice it reverses was, so a refund takes back exactly what was paid.
//! * **referral**: the referrer is paid on the document's untaxed amount, unless they are the
//!   document's own salesperson (no self-referral on top of their own commission).
//! * **add-on**: per document and add-on, one line summing the matching lines (base = their
//!   untaxed amount, or their quantity for a per-unit amount).
//! * **setter**: a qualified meeting pays its setter a fixed amount; the deal it led to pays
//!   only its salesperson (the closer). Nothing links the two amounts (mission T1–T2).

use super::money::{Money, Qty, Ratio};

/// How an add-on pays.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddonPay {
    /// A rate on the untaxed amount of the matching lines.
    Rate(Ratio),
    /// A fixed amount per unit sold.
    PerUnit(Money),
}

/// `[[pay.plans.addons]]`: extra pay on lines whose product matches a domain.
#[derive(Clone, Debug, PartialEq)]
pub struct Addon {
    /// Unique in its plan; part of line keys.
    pub key: String,
    /// A Python-literal domain on `product.product`.
    pub product_domain: String,
    pub pay: AddonPay,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Repeat {
    pub rate: Ratio,
    pub within_months: u32,
}

/// The model incidental amounts live in when a plan names none: a custom model `setup`
/// provisions (`x_name`, `x_user_id`, `x_amount`, `x_date`), where managers record them.
pub const DEFAULT_INCIDENTAL_MODEL: &str = "x_sk_incidental";

/// Where incidental amounts are recorded: by default [`DEFAULT_INCIDENTAL_MODEL`], or any
/// model the plan names.
#[derive(Clone, Debug, PartialEq)]
pub struct IncidentalSource {
    pub model: String,
    pub user_field: String,
    pub amount_field: String,
    pub date_field: String,
    pub domain: String,
}

/// Where the referrer of a document's customer is found.
#[derive(Clone, Debug, PartialEq)]
pub enum ReferralSource {
    /// A field of the customer (`res.partner`): a many2one to `res.users`, or a text code
    /// matched against `code_field` of the users.
    PartnerField(String),
    /// The document's UTM source (`source_id`), whose name is matched against
    /// `code_field` of the users.
    Utm,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Referral {
    pub rate: Ratio,
    pub source: ReferralSource,
    /// The `res.users` field holding a collaborator's referral code (text sources).
    pub code_field: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Setter {
    pub per_meeting: Money,
    /// A Python-literal domain on `calendar.event` saying which meetings qualify.
    pub domain: String,
    /// The `calendar.event` field naming who booked it (default `user_id`, the organizer).
    pub setter_field: String,
}

/// What an add-on pays on: the untaxed amount and quantity of the matching lines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct AddonBase {
    pub amount: Money,
    pub qty: Qty,
}

/// The add-on base of a document's lines matching `products` (`None`: no line matches).
pub(crate) fn addon_base(
    lines: &[super::input::DocLine],
    matches: impl Fn(i64) -> bool,
) -> Option<AddonBase> {
    let mut amount = Money(0);
    let mut qty = Qty(0);
    let mut any = false;
    for l in lines {
        if l.product.is_some_and(&matches) {
            amount = amount + l.amount;
            qty = Qty(qty.0.saturating_add(l.qty.0));
            any = true;
        }
    }
    any.then_some(AddonBase { amount, qty })
}
