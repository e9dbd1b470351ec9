//! The integration-test binary: one crate so the suite links once. Each module is one area.
#![allow(clippy::unwrap_used)]
mod state_apply;
mod xmlrpc_conformance;
mod xmlrpc_props;
