//! What `/metrics` exports, in Prometheus text format: runs by job and outcome, run duration,
//! changes written, last success per job (fed by the scheduler through [`RunObserver`]), and
//! the Odoo client's counters (RPC calls, retries, errors by kind, bytes), read at scrape time.
//! Also keeps each job's last result for `/readyz`.

use std::collections::BTreeMap;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::odoo::{ErrorKind, Metrics};
use crate::scheduler::{JobError, JobOutcome, RunObserver};

type Labels = Vec<(&'static str, String)>;

/// The last finished run of one job, for `/readyz`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct JobStatus {
    pub finished_at: DateTime<Utc>,
    /// `None` when the last run succeeded.
    pub error: Option<String>,
}

pub struct DaemonMetrics {
    registry: Registry,
    runs: Family<Labels, Counter>,
    duration: Family<Labels, Histogram, fn() -> Histogram>,
    changes: Family<Labels, Counter>,
    last_success: Family<Labels, Gauge<f64, AtomicU64>>,
    running: Family<Labels, Gauge>,
    webhooks: Family<Labels, Counter>,
    statuses: Mutex<BTreeMap<String, JobStatus>>,
}

impl std::fmt::Debug for DaemonMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DaemonMetrics").finish_non_exhaustive()
    }
}

fn duration_histogram() -> Histogram {
    // 0.5 s .. ~2.3 h: a small incremental run up to a full rescore of a million leads.
    Histogram::new([
        0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 150.0, 300.0, 900.0, 1800.0, 3600.0, 8192.0,
    ])
}

impl DaemonMetrics {
    /// Metrics that also export the counters of `odoo` (the jobs' shared client metrics).
    pub fn new(odoo: Arc<Metrics>) -> Self {
        let mut registry = Registry::with_prefix("scorekeeper");
        let runs = Family::<Labels, Counter>::default();
        registry.register(
            "runs",
            "Finished runs by job and outcome (ok, interrupted, or the error kind)",
            runs.clone(),
        );
        let duration = Family::<Labels, Histogram, fn() -> Histogram>::new_with_constructor(
            duration_histogram,
        );
        registry.register(
            "run_duration_seconds",
            "Run duration by job",
            duration.clone(),
        );
        let changes = Family::<Labels, Counter>::default();
        registry.register(
            "changes_written",
            "Records written to Odoo by job",
            changes.clone(),
        );
        let last_success = Family::<Labels, Gauge<f64, AtomicU64>>::default();
        registry.register(
            "last_success_timestamp_seconds",
            "Unix time of the last successful run by job",
            last_success.clone(),
        );
        let running = Family::<Labels, Gauge>::default();
        registry.register(
            "runs_in_progress",
            "Runs in flight by job (0 or 1)",
            running.clone(),
        );
        let webhooks = Family::<Labels, Counter>::default();
        registry.register(
            "webhooks",
            "Odoo webhook POSTs by outcome (queued, duplicate, ignored, full, refused, bad_request)",
            webhooks.clone(),
        );
        registry.register_collector(Box::new(OdooCollector(odoo)));
        Self {
            registry,
            runs,
            duration,
            changes,
            last_success,
            running,
            webhooks,
            statuses: Mutex::new(BTreeMap::new()),
        }
    }

    /// The text exposition of every metric.
    pub(crate) fn encode(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }

    /// Counts one webhook POST by what became of it.
    pub(crate) fn webhook(&self, outcome: &'static str) {
        self.webhooks
            .get_or_create(&vec![("outcome", outcome.to_owned())])
            .inc();
    }

    /// The last result of each job that has finished a run.
    pub(crate) fn statuses(&self) -> BTreeMap<String, JobStatus> {
        self.statuses.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Forgets jobs no longer configured (after a reload), so a removed job that last failed
    /// does not hold readiness down forever.
    pub fn retain_jobs(&self, names: &[String]) {
        if let Ok(mut s) = self.statuses.lock() {
            s.retain(|k, _| names.contains(k));
        }
    }
}

fn job(name: &str) -> Labels {
    vec![("job", name.to_owned())]
}

impl RunObserver for DaemonMetrics {
    fn run_started(&self, name: &str, _at: DateTime<Utc>) {
        self.running.get_or_create(&job(name)).set(1);
    }

    fn run_finished(
        &self,
        name: &str,
        at: DateTime<Utc>,
        took: Duration,
        result: &Result<JobOutcome, JobError>,
    ) {
        let labels = job(name);
        self.running.get_or_create(&labels).set(0);
        self.duration
            .get_or_create(&labels)
            .observe(took.as_secs_f64());
        let outcome = match result {
            Ok(o) if o.interrupted => "interrupted",
            Ok(_) => "ok",
            Err(e) => e.kind(),
        };
        self.runs
            .get_or_create(&vec![
                ("job", name.to_owned()),
                ("outcome", outcome.to_owned()),
            ])
            .inc();
        if let Ok(o) = result {
            self.changes
                .get_or_create(&labels)
                .inc_by(o.changes_written);
            self.last_success
                .get_or_create(&labels)
                .set(at.timestamp_millis() as f64 / 1000.0);
        }
        let status = JobStatus {
            finished_at: at,
            error: result.as_ref().err().map(ToString::to_string),
        };
        if let Ok(mut s) = self.statuses.lock() {
            s.insert(name.to_owned(), status);
        }
    }
}

/// Reads the Odoo client's lock-free counters at scrape time.
#[derive(Debug)]
struct OdooCollector(Arc<Metrics>);

impl Collector for OdooCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let snap = self.0.snapshot();
        let plain = [
            (
                "odoo_rpc_calls",
                "RPC attempts sent to Odoo, retries included",
                snap.calls,
            ),
            (
                "odoo_rpc_retries",
                "RPC attempts that retried a failed one",
                snap.retries,
            ),
            (
                "odoo_bytes_sent",
                "Request bytes sent to Odoo",
                snap.bytes_sent,
            ),
            (
                "odoo_bytes_received",
                "Response bytes received from Odoo",
                snap.bytes_received,
            ),
        ];
        for (name, help, value) in plain {
            let counter = ConstCounter::new(value);
            let metric = encoder.encode_descriptor(name, help, None, counter.metric_type())?;
            counter.encode(metric)?;
        }
        let mut metric = encoder.encode_descriptor(
            "odoo_rpc_errors",
            "Failed RPC attempts by error kind",
            None,
            ConstCounter::new(0u64).metric_type(),
        )?;
        for kind in ErrorKind::ALL {
            let labels = [("kind", kind.name())];
            let family = metric.encode_family(&labels)?;
            ConstCounter::new(snap.errors_of(kind)).encode(family)?;
        }
        Ok(())
    }
}
