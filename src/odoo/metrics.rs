//! Counters of what the client did (calls, retries, bytes, errors by kind), shared between the
//! client and its transport. Jobs and tests assert on them ("≤ N calls"); the admin listener
//! will export them.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use chrono::{DateTime, NaiveDateTime};

use super::error::ErrorKind;

/// Lock-free counters; cheap to bump from any task.
#[derive(Debug, Default)]
pub struct Metrics {
    calls: AtomicU64,
    retries: AtomicU64,
    bytes_sent: AtomicU64,
    bytes_received: AtomicU64,
    errors: [AtomicU64; ErrorKind::ALL.len()],
    /// Unix seconds of the `Date` header of the latest answer (0: none seen).
    server_date: AtomicI64,
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
    pub(crate) fn add_bytes(&self, sent: usize, received: usize) {
        self.bytes_sent.fetch_add(sent as u64, Ordering::Relaxed);
        self.bytes_received
            .fetch_add(received as u64, Ordering::Relaxed);
    }

    pub(crate) fn add_error(&self, kind: ErrorKind) {
        self.errors[kind.index()].fetch_add(1, Ordering::Relaxed);
    }

    /// For transports: the `Date` header of an answer (an HTTP-date, e.g.
    /// `Sun, 22 Nov 2026 16:00:00 GMT`); unparsable values are ignored.
    pub(crate) fn note_server_date(&self, header: &str) {
        if let Ok(t) = DateTime::parse_from_rfc2822(header.trim()) {
            self.server_date.store(t.timestamp(), Ordering::Relaxed);
        }
    }

    /// The server's clock (UTC, naive like Odoo's datetimes) as of the latest answer that
    /// carried a `Date` header: a lower bound of the server's time for every call sent after
    /// that answer arrived.
    pub fn server_time(&self) -> Option<NaiveDateTime> {
        match self.server_date.load(Ordering::Relaxed) {
            0 => None,
            secs => DateTime::from_timestamp(secs, 0).map(|t| t.naive_utc()),
        }
    }

    pub(crate) fn snapshot(&self) -> MetricsSnapshot {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_date_from_the_http_header() {
        let m = Metrics::new();
        assert_eq!(m.server_time(), None);
        m.note_server_date("Sun, 22 Nov 2026 16:00:05 GMT");
        assert_eq!(
            m.server_time().map(|t| t.to_string()).as_deref(),
            Some("2026-11-22 16:00:05")
        );
        m.note_server_date("yesterday");
        assert_eq!(
            m.server_time().map(|t| t.to_string()).as_deref(),
            Some("2026-11-22 16:00:05")
        );
    }
}
