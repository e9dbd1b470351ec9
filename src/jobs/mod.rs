//! Jobs: one module per scheduled job, each reading Odoo through the client, evaluating with
//! a pure engine and returning a `plan::Plan` that `apply` executes. A job owns its Odoo
//! reading strategy and its cursors; the engines never see the client.

pub mod gamification;
pub mod scoring;
