//! Jobs: read → evaluate (pure engines) → plan → apply, one module per job. A job owns its
//! Odoo reading strategy and its cursors; the engines never see the client.

pub mod gamification;
pub mod scoring;
