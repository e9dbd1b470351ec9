//! scorekeeper: an external engine for lead scoring, lead routing and sales gamification
//! on top of an existing Odoo, over JSON-RPC or XML-RPC.
//!
//! Module map (design.md §2): `xmlrpc` and `jsonrpc` are the wire codecs and know nothing
//! about Odoo's models; `odoo` is the client; `record` holds plain typed records and field metadata; `domain` is Odoo's
//! domain language; `plan`, `apply` and `state` turn engine results into journaled writes;
//! `config` and `cli` are the admin-facing edge; `check` verifies a
//! config against the server (for `check` and before every `run`).

pub mod apply;
pub mod assignment;
pub mod check;
pub mod cli;
pub mod config;
pub mod daemon;
pub mod demo;
pub mod domain;
pub mod gamification;
pub mod http;
pub mod jobs;
pub mod jsonrpc;
pub mod odoo;
pub mod pay;
pub mod plan;
pub mod record;
pub mod scheduler;
pub mod scoring;
pub mod sim;
pub mod state;
pub mod xmlrpc;
