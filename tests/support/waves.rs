//! Issue 17 item 2 in the jobs: a client through the fault proxy with a chosen
//! `max_concurrency`, a job context around it, a wave of writes caught in flight, and the
//! check that a journal says exactly what the simulator holds.

use std::collections::BTreeMap;
use std::num::NonZeroUsize;
use std::sync::Arc;
use std::time::Duration;

use scorekeeper::config::Config;
use scorekeeper::odoo::{Credentials, Metrics, OdooClient, Secret, XmlRpcTransport};
use scorekeeper::record::Value as RV;
use scorekeeper::scheduler::JobContext;
use scorekeeper::sim::Sim;
use scorekeeper::state::{EntryChange, EntryStatus, JournalEntry};
use scorekeeper::xmlrpc::{Struct, Value as X};

use super::proxy::Proxy;

/// Admin's client of `database` through `url` (the proxy), writing `batch` ids per call with
/// up to `concurrency` write calls in flight.
pub fn client(url: &str, database: &str, concurrency: usize, batch: usize) -> OdooClient {
    let metrics = Arc::new(Metrics::new());
    let url = reqwest::Url::parse(url).unwrap();
    let transport = XmlRpcTransport::new(&url, Duration::from_secs(60), metrics.clone()).unwrap();
    OdooClient::new(
        Arc::new(transport),
        metrics,
        Credentials {
            database: database.to_owned(),
            login: "admin".to_owned(),
            secret: Secret::new("admin"),
        },
    )
    .with_batch_size(NonZeroUsize::new(batch).unwrap())
    .with_max_concurrency(NonZeroUsize::new(concurrency).unwrap())
}

/// The scheduler's context for one firing with `config` and `client`, at `at` (UTC).
pub fn context(config: Config, client: OdooClient, at: chrono::NaiveDateTime) -> JobContext {
    JobContext {
        config: Arc::new(config),
        odoo: Arc::new(client),
        cancel: tokio_util::sync::CancellationToken::new(),
        scheduled_for: Some(at.and_utc()),
        progress: Default::default(),
    }
}

/// Holds the next write call at the proxy and waits until another write arrives while it
/// is held: two write calls in flight at once. Returns with the first still held
/// ([`Proxy::release_paused`] lets it run).
pub async fn catch_two_writes_in_flight(proxy: &Proxy) {
    let before = proxy.arrived("write");
    proxy.pause_next("write");
    // A guard against a hang, not a timing: with one call in flight the second never comes.
    tokio::time::timeout(Duration::from_secs(60), async {
        proxy.paused().await;
        proxy.wait_arrived("write", before + 2).await;
    })
    .await
    .expect("a second write call arrived while the first was held");
}

/// Deletes `model` record `id` as admin, as someone working in Odoo would.
pub fn unlink(sim: &Sim, model: &str, id: i64) {
    let args = X::Array(vec![X::Array(vec![X::Int(id)])]);
    sim.dispatch(
        "object",
        "execute_kw",
        &[
            X::String(sim.database().to_owned()),
            X::Int(2),
            X::String("admin".into()),
            X::String(model.into()),
            X::String("unlink".into()),
            args,
            X::Struct(Struct::new()),
        ],
    )
    .unwrap();
}

/// Asserts a write journal says exactly what `sim` holds: every `applied` entry's new value
/// is there, every `failed` or `not applied` record still holds the old value (or is gone),
/// and nothing is left `planned`. Returns each call group's status.
pub fn assert_journal_exact(sim: &Sim, journal: &[JournalEntry]) -> BTreeMap<i64, EntryStatus> {
    let store = sim.read();
    let mut groups = BTreeMap::new();
    for e in journal {
        let EntryChange::Write { field, old, new } = &e.change else {
            continue;
        };
        let held = store.value(&e.model, e.record_id.unwrap(), field);
        let holds = |v: &RV| held.as_ref().is_some_and(|h| same_value(h, v));
        match e.status {
            EntryStatus::Applied => assert!(holds(new), "{e:?} but Odoo holds {held:?}"),
            EntryStatus::Failed | EntryStatus::NotApplied => assert!(
                held.is_none() || holds(old),
                "{e:?} but Odoo holds {held:?}"
            ),
            EntryStatus::Planned | EntryStatus::Skipped => panic!("left {e:?}"),
        }
        let group = e.group.unwrap();
        let previous = groups.insert(group, e.status);
        assert!(
            previous.is_none_or(|p| p == e.status),
            "one call, one status: {e:?}"
        );
    }
    groups
}

/// Odoo's answer equals the journaled value (floats as floats; an empty value is `False`).
fn same_value(held: &RV, new: &RV) -> bool {
    match (held, new) {
        (RV::Float(a), RV::Float(b)) => (a - b).abs() < 1e-9,
        (RV::Int(a), RV::Float(b)) | (RV::Float(b), RV::Int(a)) => (*a as f64 - b).abs() < 1e-9,
        (RV::Null, RV::Bool(false)) | (RV::Bool(false), RV::Null) => true,
        _ => held == new,
    }
}

/// The journal statuses, per write group, of a run whose third call (the second wave's first,
/// two calls a wave) failed: its partner in the wave applied, the first wave applied, every
/// later wave never sent.
pub fn third_call_failed(groups: &std::collections::BTreeSet<i64>) -> BTreeMap<i64, EntryStatus> {
    groups
        .iter()
        .map(|&g| {
            let status = match g {
                0 | 1 | 3 => EntryStatus::Applied,
                2 => EntryStatus::Failed,
                _ => EntryStatus::NotApplied,
            };
            (g, status)
        })
        .collect()
}
