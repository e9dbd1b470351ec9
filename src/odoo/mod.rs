//! The Odoo client: a logged-in session over a pluggable [`Transport`] (XML-RPC, JSON-RPC or
//! Odoo 19's JSON-2), typed errors from Odoo's faults and from the network, bounded retries
//! for transient failures only, paging and batched writes, counters of every call, and the
//! server's version profile (what differs between Odoo 16 and 19).

mod client;
mod domain_wire;
mod error;
mod helpers;
mod http_post;
mod json2_transport;
mod jsonrpc_transport;
mod metrics;
mod profile;
mod protocol;
mod retry;
mod row;
mod secret;
mod tracking;
mod transport;
mod version;
mod writer;
mod xmlrpc_transport;

pub use client::{
    ClientSettings, Credentials, DEFAULT_BATCH_SIZE, DEFAULT_MAX_CONCURRENCY, OdooClient,
};
pub use domain_wire::WireLit;
pub use error::{ErrorKind, OdooError};
pub use helpers::{SearchOptions, leaf};
pub use http_post::http_client;
pub use json2_transport::Json2Transport;
pub use jsonrpc_transport::JsonRpcTransport;
pub use metrics::{Metrics, MetricsSnapshot};
pub use profile::{Grouping, Profile, TESTED};
pub use protocol::{AutoTransport, Choice, Protocol, choose};
pub use retry::RetryPolicy;
pub use row::{Row, RowError};
pub use secret::Secret;
pub use transport::{BoxFuture, Service, Transport};
pub use version::ServerVersion;
pub use writer::{
    ClientWriter, DerivedKey, KeyLookup, classify, from_wire, from_wire_typed, to_wire,
};
pub use xmlrpc_transport::XmlRpcTransport;
