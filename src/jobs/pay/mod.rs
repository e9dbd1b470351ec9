//! The pay job's Odoo side: the statement and incidental models `setup` provisions (`models`,
//! `setup`), how
//! statements become Odoo records and back (`rows`), the pure planner from computed
//! statements and what Odoo holds to the changes to apply (`plan`), and statements shown in a
//! terminal or exported as CSV (`render`).
//!
//! `input` reads what the engine computes from (`ratings`: satisfaction from Odoo's
//! `rating.rating`); `job` is the run (`plan pay`, `run pay`).

pub(crate) mod input;
pub(crate) mod job;
pub mod models;
pub(crate) mod plan;
mod ratings;
pub mod read;
pub(crate) mod render;
pub(crate) mod rows;
pub mod setup;

pub use job::{PayJob, PayOutcome, compute, current_period, run, run_current};
pub use plan::{Existing, ExistingLine, ExistingStatement, lines_plan, statements_plan};
pub use setup::{SetupError, SetupReport, setup};

/// Why the pay job failed.
#[derive(Debug, thiserror::Error)]
pub enum PayJobError {
    #[error(transparent)]
    Odoo(#[from] crate::odoo::OdooError),
    #[error(transparent)]
    Engine(#[from] crate::pay::PayError),
    #[error(transparent)]
    Apply(#[from] crate::apply::ApplyError),
    #[error(transparent)]
    Row(#[from] crate::odoo::RowError),
    /// A sale order without a usable `currency_rate`: its amount cannot be put in the
    /// company currency, and a guessed rate (1, or 0) would pay a wrong amount silently.
    #[error(
        "sale order {name} (id {id}) has currency_rate = {got}, so its amount cannot be \
         converted to the company currency; Odoo sets the rate when the order is saved \
         (check the rates of its currency in Accounting › Currencies, then save the order)"
    )]
    CurrencyRate { name: String, id: i64, got: String },
    #[error("Odoo sent {model}.{field} = {value}, which is not {expected}")]
    BadValue {
        model: &'static str,
        field: &'static str,
        value: String,
        expected: &'static str,
    },
}
