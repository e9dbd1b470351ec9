//! Pay: commission statements, performance coefficients and appointment-setter pay (issue 14,
//! mission P1–P4, T1–T2) — a pure engine like the others: plans and typed inputs in,
//! statements with explaining lines out. The job in `jobs::pay` reads Odoo and applies.
//!
//! * [`money`]: exact amounts (integer minor units, ppm rates; never `f64` sums);
//! * [`period`]: months and quarters, and when they close;
//! * [`plan`]: who a plan is for, which documents earn, components and coefficients;
//! * [`components`]: basic, add-on, repeat, incidental, referral and setter settings;
//! * [`tiers`]: advanced commission, marginal or whole-amount;
//! * [`coefficient`]: KPI and customer-satisfaction multipliers;
//! * [`statement`]: statements, lines, locking and adjustments;
//! * [`engine`]: the computation.

pub mod coefficient;
pub(crate) mod components;
pub(crate) mod engine;
pub(crate) mod error;
pub(crate) mod input;
pub(crate) mod money;
pub(crate) mod period;
pub(crate) mod plan;
pub(crate) mod statement;
pub mod tiers;

pub use components::DEFAULT_INCIDENTAL_MODEL;
pub use engine::Calc;
pub use error::PayError;
pub use input::{DocLine, Document, Incidental, Input, Meeting};
pub use money::{Money, Qty, Ratio};
pub use period::{Period, PeriodKind};
pub use plan::{ComponentKind, Components, DocumentSource, Members, PayConfig, PlanSpec};
pub use statement::{Base, Line, LineKey, Origin, Rate, Statement};
