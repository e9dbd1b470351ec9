//! An Odoo simulator (17, or 19 with [`Sim::embedded`]) that answers the external XML-RPC and
//! JSON-RPC APIs (and, as 19, JSON-2) like the real server: model registry from Odoo's own `fields_get` metadata
//! (each version's own), in-memory records, `execute_kw` methods, Odoo's faults and access
//! errors (worded as the recorded version words them). Tests, the demo and load benchmarks
//! run against it.
//!
//! Start with [`Sim::from_snapshot_file`] (or [`Sim::from_data_dir`]), feed extra records
//! through [`Sim::write`] (the store implements [`crate::record::RecordStore`]), then
//! [`serve`] it on a listener.

mod auth;
mod cell;
mod computed;
mod costs;
mod create;
mod custom_fields;
mod custom_models;
mod fault;
mod gamification;
mod http;
mod json2;
mod jsonrpc;
mod load;
mod methods;
mod order;
mod products;
mod query;
mod read_group;
mod registry;
mod service;
mod store;
mod table;
mod web_read;
mod wire;
mod wording;

use std::path::Path;
use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

pub use auth::SUPERUSER;
pub use costs::{CostTable, Work};
pub use fault::{SimFault, last_line};
pub use http::{router, serve};
pub use load::LoadError;
pub use registry::{ModelInfo, Registry};
pub use store::{Clock, Store};

use crate::xmlrpc::Value as X;

/// The database name of the recorded Odoo 17 (the snapshot's).
pub(crate) const SNAPSHOT_DATABASE: &str = "crm17c";
/// The database name of the recorded Odoo 19.
pub(crate) const SNAPSHOT_19_DATABASE: &str = "crm19";

/// The Odoo versions the simulator has a recording of.
pub(crate) const VERSIONS: [i64; 2] = [17, 19];

/// A simulated Odoo server: one database, its store behind a lock (reads run in parallel,
/// each write call runs alone, so every call is atomic).
#[derive(Debug)]
pub struct Sim {
    store: RwLock<Store>,
    database: String,
    version: X,
    major: i64,
    /// Odoo 19's deprecation of XML-RPC was logged (once per simulator).
    deprecation_logged: std::sync::atomic::AtomicBool,
    /// What calls cost (`sim --costs`); `None` charges nothing.
    costs: Option<costs::Charger>,
}

impl Sim {
    /// Loads `{"server_version": …, "models": {…}}` as `snapshot.json` holds it.
    pub fn from_snapshot_json(doc: &serde_json::Value) -> Result<Sim, LoadError> {
        let store = load::store_from_snapshot(doc)?;
        let major = load::snapshot_major(doc);
        let version = doc
            .get("server_version")
            .map(wire::json_to_wire)
            .unwrap_or_else(|| wire::structure([("server_version", X::String("17.0".into()))]));
        let database = match major {
            19 => SNAPSHOT_19_DATABASE,
            _ => SNAPSHOT_DATABASE,
        };
        let mut store = store;
        store.major = major;
        Ok(Sim {
            store: RwLock::new(store),
            database: database.to_owned(),
            version,
            major,
            deprecation_logged: std::sync::atomic::AtomicBool::new(false),
            costs: None,
        })
    }

    /// Charges every model call what `table` says a real Odoo charges (`sim --costs odoo17`).
    pub fn with_costs(mut self, table: CostTable) -> Sim {
        self.costs = Some(costs::Charger::new(table));
        self
    }

    pub fn from_snapshot_file(path: impl AsRef<Path>) -> Result<Sim, LoadError> {
        let path = path.as_ref();
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| LoadError::Io {
            path: shown.clone(),
            source,
        })?;
        let doc: serde_json::Value =
            serde_json::from_str(&text).map_err(|source| LoadError::Json {
                path: shown,
                source,
            })?;
        Sim::from_snapshot_json(&doc)
    }

    /// The recorded Odoo 17 database (`fixtures/odoo17/snapshot.json`, built into the
    /// binary so `scorekeeper demo` runs from anywhere).
    pub fn from_embedded_snapshot() -> Result<Sim, LoadError> {
        const SNAPSHOT: &str = include_str!("../../fixtures/odoo17/snapshot.json");
        let doc: serde_json::Value =
            serde_json::from_str(SNAPSHOT).map_err(|source| LoadError::Json {
                path: "embedded snapshot".to_owned(),
                source,
            })?;
        Sim::from_snapshot_json(&doc)
    }

    /// The recorded Odoo `major` (17 or 19; `fixtures/odoo<major>/snapshot.json`, built in).
    pub(crate) fn embedded(major: i64) -> Result<Sim, LoadError> {
        const SNAPSHOT_19: &str = include_str!("../../fixtures/odoo19/snapshot.json");
        match major {
            19 => {
                let doc: serde_json::Value =
                    serde_json::from_str(SNAPSHOT_19).map_err(|source| LoadError::Json {
                        path: "embedded Odoo 19 snapshot".to_owned(),
                        source,
                    })?;
                Sim::from_snapshot_json(&doc)
            }
            17 => Sim::from_embedded_snapshot(),
            other => Err(LoadError::Version(other)),
        }
    }

    /// The major version the simulator speaks (its snapshot's).
    pub(crate) fn major(&self) -> i64 {
        self.major
    }

    /// Loads `DIR/snapshot.json` (the layout `scorekeeper sim --data DIR` expects).
    pub(crate) fn from_data_dir(dir: impl AsRef<Path>) -> Result<Sim, LoadError> {
        Sim::from_snapshot_file(dir.as_ref().join("snapshot.json"))
    }

    /// Serves under another database name (clients must use it in every call).
    pub fn with_database(mut self, name: impl Into<String>) -> Sim {
        self.database = name.into();
        self
    }

    pub fn database(&self) -> &str {
        &self.database
    }

    /// The API key of the user `login`, if it has one (the recorded admin's on 17 and 19, the
    /// 19 demo user's): the bearer token JSON-2 takes, also accepted as a password.
    pub fn api_key(&self, login: &str) -> Option<String> {
        use crate::record::RecordStore as _;
        let store = self.read();
        let uid = *store
            .search_eq(
                "res.users",
                "login",
                &crate::record::Value::Str(login.to_owned()),
            )
            .first()?;
        store
            .api_keys
            .iter()
            .filter(|(_, u)| **u == uid)
            .map(|(k, _)| k.clone())
            .min()
    }

    /// Gives the user `login` the API key `key` (e.g. a generated salesperson, to call JSON-2
    /// as them); false when there is no such user.
    pub fn set_api_key(&self, login: &str, key: &str) -> bool {
        use crate::record::RecordStore as _;
        let mut store = self.write();
        let Some(&uid) = store
            .search_eq(
                "res.users",
                "login",
                &crate::record::Value::Str(login.to_owned()),
            )
            .first()
        else {
            return false;
        };
        store.secrets.entry(uid).or_default().push(key.to_owned());
        store.api_keys.insert(key.to_owned(), uid);
        true
    }

    /// Shared access to the store (blocks writers while held).
    pub fn read(&self) -> RwLockReadGuard<'_, Store> {
        self.store.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// Exclusive access to the store, e.g. to load a generated dataset through
    /// [`crate::record::RecordStore`].
    pub fn write(&self) -> RwLockWriteGuard<'_, Store> {
        self.store.write().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests;
