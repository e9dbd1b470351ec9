//! scorekeeper: an external engine for lead scoring, lead routing and sales gamification
//! on top of an existing Odoo, over XML-RPC.
//!
//! Module map (see `docs`/design): `xmlrpc` is the wire codec and knows nothing about Odoo;
//! `record` holds plain typed records and field metadata for the pure engines.

pub mod domain;
pub mod record;
pub mod sim;
pub mod xmlrpc;
