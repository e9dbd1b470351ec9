//! scorekeeper: an external engine for lead scoring, lead routing and sales gamification
//! on top of an existing Odoo, over JSON-RPC or XML-RPC. Each job is read → evaluate (pure
//! engines) → plan → apply (design.md §2).
//!
//! # Modules, lowest layer first
//!
//! A module may use only the modules its `Uses:` names, every one of them listed above it, so
//! the module graph has no cycle. `tests/layering.rs` reads this list and fails, naming file
//! and edge, on any other `crate::` edge in `src/` (use statements and paths alike).
//!
//! - [`record`] (codecs): plain typed records, values and field metadata; the Odoo datetime
//!   format. Uses: nothing.
//! - [`xmlrpc`] (codecs): the XML-RPC value model, decoder and encoder; knows no Odoo model.
//!   Uses: record.
//! - [`jsonrpc`] (codecs): JSON-RPC envelopes over the XML-RPC value model. Uses: record,
//!   xmlrpc.
//! - [`cron`] (codecs): crontab lines in a time zone. Uses: nothing.
//! - [`domain`] (language): Odoo domains, parsed, validated and evaluated in memory; typed
//!   until the transport serialises them. Uses: record.
//! - [`progress`] (plans): the phases a long run reports to whoever watches; draws nothing.
//!   Uses: nothing.
//! - [`plan`] (plans): the changes a job wants, as plain data with reasons. Uses: record.
//! - [`state`] (plans): the SQLite state database: runs, journal, cursors, keys. Uses: plan,
//!   record.
//! - [`apply`] (plans): journals and executes a plan through a writer; undo and reconcile.
//!   Uses: plan, record, state, progress.
//! - [`scoring`] (engines): lead scores and bands, pure. Uses: record, domain, plan.
//! - [`assignment`] (engines): lead routing and Odoo's quota maths, pure. Uses: record,
//!   domain, plan.
//! - [`gamification`] (engines): periods, goals, rankings, rewards, karma, pure. Uses: record,
//!   domain, plan.
//! - [`pay`] (engines): commission statements and coefficients, pure. Uses: record, domain,
//!   plan.
//! - [`odoo`] (client): sessions over a transport, retries, paging, version profiles, typed
//!   rows, domains on the wire. Uses: record, xmlrpc, jsonrpc, domain, plan, apply,
//!   assignment.
//! - [`sim`] (simulator): an in-process Odoo 17/19 answering both protocols. Uses: record,
//!   xmlrpc, jsonrpc, domain.
//! - [`demo`] (simulator): the deterministic demo dataset generator. Uses: record.
//! - [`config`] (admin): the TOML file parsed and validated; no I/O beyond reading it and the
//!   secret files it names; names the client's types, never calls it. Uses: record, domain,
//!   cron, odoo, apply, scoring, assignment, gamification, pay.
//! - [`job`] (runtime): the job contract: `Job`, its context, outcome and error. Uses: config,
//!   odoo, state, cron, progress.
//! - [`scheduler`] (runtime): the croner loop, clock, observers and one-off runs; never reads
//!   the config. Uses: job, cron.
//! - [`jobs`] (runtime): scoring, routing, gamification and pay jobs, their registry, and the
//!   webhook rules `setup` provisions. Uses: everything above.
//! - [`check`] (admin): verifies a config against the server (fields, domains, rights,
//!   duplicates; pay's groups, products and plan overlaps, judged by the pay engine's own
//!   rule). Uses: record, xmlrpc, domain, pay, config, odoo, jobs.
//! - [`http`] (runtime): the admin listener: health, readiness, metrics, Odoo's webhooks, and
//!   the board's pages (leaderboards, each person's page, the rules) behind signed links.
//!   Uses: config, odoo, job, scheduler, gamification, pay, jobs.
//! - [`daemon`] (runtime): the long-running process: job loops, reloads, signals. Uses:
//!   config, odoo, job, scheduler, check, http, progress.
//! - [`cli`] (admin): the command line, one file per command family (the `demo` and `sim`
//!   commands included). Uses: everything above.

pub mod apply;
pub mod assignment;
pub mod check;
pub mod cli;
pub mod config;
pub mod cron;
pub mod daemon;
pub mod demo;
pub mod domain;
pub mod gamification;
pub mod http;
pub mod job;
pub mod jobs;
pub mod jsonrpc;
pub mod odoo;
pub mod pay;
pub mod plan;
pub mod progress;
pub mod record;
pub mod scheduler;
pub mod scoring;
pub mod sim;
pub mod state;
pub mod xmlrpc;
