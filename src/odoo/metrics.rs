//! Counters of what the client did (calls, retries, bytes, errors by kind), shared between the
//! client and its transport. Jobs and tests assert on them ("≤ N calls"); the admin listener
//! will export them.

use std::sync::atomic::{AtomicU64, Ordering};

use super::error::ErrorKind;

/// Lock-free counters; cheap to bump from any task.
#[derive(Debug, Default)]
pub struct Metrics {
    calls: AtomicU64,
    retries: AtomicU64,
    bytes_sent: AtomicU64,
    bytes_received: AtomicU64,
    errors: [AtomicU64; ErrorKind::ALL.len()],
}

/// A point-in-time copy of [`Metrics`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MetricsSnapshot {
    /// RPC attempts sent, retries included.
    pub calls: u64,
    /// Attempts that were retries of a failed one.
    pub retries: u64,
    pub bytes_sent: u64,
    pub bytes_received: u64,
    /// Failed attempts by kind (only non-zero kinds), in [`ErrorKind`] order.
    pub errors: Vec<(ErrorKind, u64)>,
}

impl MetricsSnapshot {
    pub fn errors_of(&self, kind: ErrorKind) -> u64 {
        self.errors
            .iter()
            .find(|(k, _)| *k == kind)
            .map_or(0, |(_, n)| *n)
    }
}

impl Metrics {
    pub fn new() -> Self {
        Self::default()
    }

    pub(crate) fn add_call(&self) {
        self.calls.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn add_retry(&self) {
        self.retries.fetch_add(1, Ordering::Relaxed);
    }

    /// For transports: request and response body sizes.
    pub fn add_bytes(&self, sent: usize, received: usize) {
        self.bytes_sent.fetch_add(sent as u64, Ordering::Relaxed);
        self.bytes_received
            .fetch_add(received as u64, Ordering::Relaxed);
    }

    pub(crate) fn add_error(&self, kind: ErrorKind) {
        self.errors[kind.index()].fetch_add(1, Ordering::Relaxed);
    }

    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }

    pub fn snapshot(&self) -> MetricsSnapshot {
        MetricsSnapshot {
            calls: self.calls.load(Ordering::Relaxed),
            retries: self.retries.load(Ordering::Relaxed),
            bytes_sent: self.bytes_sent.load(Ordering::Relaxed),
            bytes_received: self.bytes_received.load(Ordering::Relaxed),
            errors: ErrorKind::ALL
                .iter()
                .map(|k| (*k, self.errors[k.index()].load(Ordering::Relaxed)))
                .filter(|(_, n)| *n > 0)
                .collect(),
        }
    }
}
