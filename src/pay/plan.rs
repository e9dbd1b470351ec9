//! A pay plan as the engine sees it: who it is for (resolved by the job into user ids), its
//! period, which documents earn, its components and which coefficients multiply which
//! component. `config::pay` builds these from `[[pay.plans]]`; nothing here reads Odoo.

use std::collections::BTreeMap;

use super::coefficient::CoefficientSpec;
use super::components::{Addon, IncidentalSource, Referral, Repeat, Setter};
use super::money::Ratio;
use super::period::PeriodKind;
use super::tiers::Tiers;

/// Which documents earn commission.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DocumentSource {
    /// Posted customer invoices and credit notes (`account.move`, `move_type` in
    /// `out_invoice`, `out_refund`); credit notes count negative.
    Invoices,
    /// Confirmed sale orders (`sale.order`, `state = 'sale'`).
    SaleOrders,
}

impl DocumentSource {
    pub(crate) fn model(self) -> &'static str {
        match self {
            DocumentSource::Invoices => "account.move",
            DocumentSource::SaleOrders => "sale.order",
        }
    }

    /// The lines add-ons read: their model and the fields read from it (the parent document,
    /// the product, the quantity, the amount in company currency, and for invoices what the
    /// lines are filtered by).
    ///
    /// Invoice lines come from `account.invoice.report`, Odoo's own per-line view of invoice
    /// product lines (`addons/account/report/account_invoice_report.py`: one row per
    /// `account.move.line` with `display_type = 'product'`, `price_subtotal = -balance`
    /// (company currency, negative on a credit note), `quantity` signed and in the product's
    /// unit). It holds exactly what an add-on pays on, already signed and converted, and every
    /// recording carries it (17 and 19), where `account.move.line` would need its debit/credit,
    /// tax and payment-term lines filtered and signed here.
    pub(crate) fn lines(self) -> (&'static str, &'static [&'static str]) {
        match self {
            DocumentSource::Invoices => (
                "account.invoice.report",
                &[
                    "move_id",
                    "product_id",
                    "quantity",
                    "price_subtotal",
                    "move_type",
                    "state",
                    "invoice_date",
                ],
            ),
            DocumentSource::SaleOrders => (
                "sale.order.line",
                &[
                    "order_id",
                    "product_id",
                    "product_uom_qty",
                    "price_subtotal",
                ],
            ),
        }
    }

    /// The field naming the salesperson Odoo credits by default.
    pub(crate) fn default_user_field(self) -> &'static str {
        match self {
            DocumentSource::Invoices => "invoice_user_id",
            DocumentSource::SaleOrders => "user_id",
        }
    }
}

/// Who a plan applies to, as written; the job resolves it to user ids.
#[derive(Clone, Debug, PartialEq)]
pub enum Members {
    /// Logins.
    Users(Vec<String>),
    /// Members and leader of the sales team with this name.
    Team(String),
    /// Users of the group with this XML id (`sales_team.group_sale_salesman`).
    Group(String),
    /// A Python-literal domain on `res.users`.
    Domain(String),
}

/// The kinds of component a statement line can come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ComponentKind {
    Basic,
    Tiers,
    Addon,
    Repeat,
    Incidental,
    Referral,
    Setter,
}

impl ComponentKind {
    pub(crate) const ALL: [ComponentKind; 7] = [
        ComponentKind::Basic,
        ComponentKind::Tiers,
        ComponentKind::Addon,
        ComponentKind::Repeat,
        ComponentKind::Incidental,
        ComponentKind::Referral,
        ComponentKind::Setter,
    ];

    /// The config key and the `x_kind` selection value.
    pub(crate) fn code(self) -> &'static str {
        match self {
            ComponentKind::Basic => "basic",
            ComponentKind::Tiers => "tiers",
            ComponentKind::Addon => "addon",
            ComponentKind::Repeat => "repeat",
            ComponentKind::Incidental => "incidental",
            ComponentKind::Referral => "referral",
            ComponentKind::Setter => "setter",
        }
    }

    pub(crate) fn parse(code: &str) -> Option<ComponentKind> {
        ComponentKind::ALL.into_iter().find(|k| k.code() == code)
    }

    /// Label in statements.
    pub(crate) fn label(self) -> &'static str {
        match self {
            ComponentKind::Basic => "Basic",
            ComponentKind::Tiers => "Advanced (tiers)",
            ComponentKind::Addon => "Add-on",
            ComponentKind::Repeat => "Repeat purchase",
            ComponentKind::Incidental => "Incidental",
            ComponentKind::Referral => "Referral",
            ComponentKind::Setter => "Qualified appointment",
        }
    }
}

/// A plan's components; each is optional, add-ons may be several.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Components {
    /// A rate on every earning document.
    pub basic: Option<Ratio>,
    pub tiers: Option<Tiers>,
    pub addons: Vec<Addon>,
    pub repeat: Option<Repeat>,
    pub incidental: Option<IncidentalSource>,
    pub referral: Option<Referral>,
    pub setter: Option<Setter>,
}

impl Components {
    /// The kinds this plan pays.
    pub(crate) fn kinds(&self) -> Vec<ComponentKind> {
        let mut out = Vec::new();
        let mut push = |on: bool, k| {
            if on {
                out.push(k);
            }
        };
        push(self.basic.is_some(), ComponentKind::Basic);
        push(self.tiers.is_some(), ComponentKind::Tiers);
        push(!self.addons.is_empty(), ComponentKind::Addon);
        push(self.repeat.is_some(), ComponentKind::Repeat);
        push(self.incidental.is_some(), ComponentKind::Incidental);
        push(self.referral.is_some(), ComponentKind::Referral);
        push(self.setter.is_some(), ComponentKind::Setter);
        out
    }
}

/// One `[[pay.plans]]`.
#[derive(Clone, Debug, PartialEq)]
pub struct PlanSpec {
    /// Stable identifier: part of every statement line's key.
    pub key: String,
    pub name: String,
    pub members: Members,
    pub period: PeriodKind,
    pub documents: DocumentSource,
    /// The document field naming the salesperson credited (the closer).
    pub user_field: String,
    /// A person in this plan and another paying the same component is paid by both only
    /// when both plans say `stack = true`.
    pub stack: bool,
    pub components: Components,
    /// Coefficient keys multiplying each component (multiplied together, in order).
    pub coefficients: BTreeMap<ComponentKind, Vec<String>>,
}

/// The `[pay]` section.
#[derive(Clone, Debug, PartialEq)]
pub struct PayConfig {
    /// Cron line of the daemon's pay job (5 or 6 fields); `None`: nightly at 02:00.
    pub schedule: Option<String>,
    /// Decimal places of the company currency (2 for EUR/USD, 0 for VND).
    pub currency_decimals: u32,
    /// Days after a period's last day before its statements lock.
    pub close_after_days: u32,
    pub plans: Vec<PlanSpec>,
    pub kpis: Vec<super::coefficient::KpiSpec>,
    pub coefficients: Vec<CoefficientSpec>,
}

/// One component's factor: the product of the coefficients the plan lists for it.
pub(crate) fn coefficient_keys(plan: &PlanSpec, kind: ComponentKind) -> &[String] {
    plan.coefficients.get(&kind).map_or(&[], Vec::as_slice)
}
