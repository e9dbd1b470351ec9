//! The integration-test binary: one crate so the suite links once. Each module is one area.
#![allow(clippy::unwrap_used)]
mod domain_cases;
mod domain_props;
mod domain_snapshot;
