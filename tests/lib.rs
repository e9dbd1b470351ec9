//! The integration-test binary: one crate so the suite links once. Each module is one area.
#![allow(clippy::unwrap_used)]

mod cli_check;
mod cli_demo;
mod cli_jobs;
mod client_fake_odoo;
mod client_faults;
mod client_paging;
mod client_requests;
mod client_transport;
mod daemon_http;
mod daemon_lifecycle;
mod daemon_signal;
mod domain_cases;
mod domain_props;
mod domain_snapshot;
mod domain_transcripts;
mod gamification_features;
mod gamification_golden;
mod gamification_load;
mod gamification_retries;
mod odoo_ids;
mod scheduler_dst;
mod scoring_cli;
mod scoring_e2e;
mod scoring_incremental;
mod scoring_props;
mod scoring_routing;
mod scoring_routing_scale;
mod sim_client;
mod sim_demo;
mod sim_load;
mod sim_replay;
mod state_apply;
mod support;
mod xmlrpc_conformance;
mod xmlrpc_props;
