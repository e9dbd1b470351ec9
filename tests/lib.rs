//! The integration-test binary: one crate so the suite links once. Each module is one area.
#![allow(clippy::unwrap_used)]
mod sim_load;
mod sim_replay;
mod xmlrpc_conformance;
mod xmlrpc_props;
