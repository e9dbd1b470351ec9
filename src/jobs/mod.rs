//! Jobs: one module per scheduled job, each reading Odoo through the client, evaluating with
//! a pure engine and returning a `plan::Plan` that `apply` executes.

pub mod gamification;
