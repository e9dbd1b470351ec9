//! Helpers shared by the integration tests: the simulator served on 127.0.0.1:0 with a clock
//! that never reads the machine's date, clients logged into it, and the demo dataset and
//! config most end-to-end tests start from. Test modules import from here, never from each
//! other.
#![allow(dead_code)]

pub mod automation;
pub mod board;
pub mod browser;
pub mod cli;
pub mod daemon;
pub mod fake_odoo;
pub mod gamification;
pub mod json2;
pub mod load;
pub mod mail;
pub mod pay;
pub mod pay_sim;
pub mod proxy;
pub mod replay;
pub mod waves;
pub mod writer;
pub mod xmlrpc;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{NaiveDate, NaiveDateTime};
use scorekeeper::config::{self, Config};
use scorekeeper::demo::{DatasetSpec, generate};
use scorekeeper::odoo::{
    Credentials, Json2Transport, JsonRpcTransport, Metrics, OdooClient, Secret, Transport,
    XmlRpcTransport, leaf,
};
use scorekeeper::sim::Sim;
use scorekeeper::xmlrpc::Value as X;

/// Where the simulator's clock starts in tests: the morning after the snapshot and the demo
/// dataset's "today" (2026-11-22), so every recorded and generated write date is in its past.
pub fn sim_epoch() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 11, 23)
        .unwrap()
        .and_hms_opt(8, 0, 0)
        .unwrap()
}

/// A clock that starts at `start` and moves with real elapsed (monotonic) time: tests keep
/// the passing of time they rely on (write dates that differ, cursors), never the machine's
/// date.
pub fn anchored_clock(start: NaiveDateTime) -> impl Fn() -> NaiveDateTime + Send + Sync + 'static {
    let origin = Instant::now();
    move || start + chrono::Duration::from_std(origin.elapsed()).unwrap()
}

/// The Odoo version an end-to-end test runs against: the simulator loads that version's
/// recorded snapshot (`fixtures/odoo<N>/`) and speaks it (fields, faults, rules).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Odoo {
    V17,
    V19,
}

impl Odoo {
    pub const ALL: [Odoo; 2] = [Odoo::V17, Odoo::V19];

    pub fn major(self) -> i64 {
        match self {
            Odoo::V17 => 17,
            Odoo::V19 => 19,
        }
    }

    /// The recorded database name (what a config's `database` must say).
    pub fn database(self) -> &'static str {
        match self {
            Odoo::V17 => "crm17c",
            Odoo::V19 => "crm19",
        }
    }
}

/// The recorded Odoo 17 snapshot in a simulator whose clock starts at [`sim_epoch`].
pub fn snapshot_sim() -> Sim {
    snapshot_sim_of(Odoo::V17)
}

/// The recorded snapshot of `odoo` in a simulator whose clock starts at [`sim_epoch`].
pub fn snapshot_sim_of(odoo: Odoo) -> Sim {
    let sim = Sim::from_snapshot_file(format!(
        "{}/fixtures/odoo{}/snapshot.json",
        env!("CARGO_MANIFEST_DIR"),
        odoo.major()
    ))
    .unwrap();
    sim.write().set_clock(anchored_clock(sim_epoch()));
    sim
}

/// The wire protocols the end-to-end tests run over (see [`over_each_wire`] and
/// [`over_each_world`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wire {
    XmlRpc,
    JsonRpc,
    /// Odoo 19's `/json/2`: the client sends the user's API key as a bearer token
    /// ([`Served::client_over`] looks it up), the database in `X-Odoo-Database`.
    Json2,
}

impl Wire {
    /// The Odoo version a test over this wire runs against: JSON-2 exists from Odoo 19 only
    /// (the 17 simulator answers `/json/2` with Werkzeug's 404), so a JSON-2 world is the 19
    /// snapshot; XML-RPC and JSON-RPC worlds are the 17 one.
    pub fn odoo(self) -> Odoo {
        match self {
            Wire::Json2 => Odoo::V19,
            Wire::XmlRpc | Wire::JsonRpc => Odoo::V17,
        }
    }

    /// The `[odoo] protocol` a config for this world names.
    pub fn protocol(self) -> &'static str {
        match self {
            Wire::XmlRpc => "xmlrpc",
            Wire::JsonRpc => "jsonrpc",
            Wire::Json2 => "json2",
        }
    }
}

/// Runs each named `async fn(Wire)` as two tests, `<name>::xmlrpc` and `<name>::jsonrpc`:
/// the same end-to-end test over each transport, parametrised rather than copied.
macro_rules! over_each_wire {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn xmlrpc() {
                super::$name($crate::support::Wire::XmlRpc).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn jsonrpc() {
                super::$name($crate::support::Wire::JsonRpc).await
            }
        }
    )*};
}
pub(crate) use over_each_wire;

/// Runs each named `async fn(Wire)` once per world the product supports end to end:
/// `<name>::odoo17_xmlrpc` (the Odoo 17 snapshot over XML-RPC) and `<name>::odoo19_json2`
/// (the Odoo 19 snapshot over JSON-2, the client holding the user's API key). With a leading
/// `with_jsonrpc:` it also runs `<name>::odoo17_jsonrpc`. A test reads its version from
/// [`Wire::odoo`] and takes what differs between versions from the data it runs on.
macro_rules! over_each_world {
    (with_jsonrpc: $($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn odoo17_xmlrpc() {
                super::$name($crate::support::Wire::XmlRpc).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn odoo17_jsonrpc() {
                super::$name($crate::support::Wire::JsonRpc).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn odoo19_json2() {
                super::$name($crate::support::Wire::Json2).await
            }
        }
    )*};
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn odoo17_xmlrpc() {
                super::$name($crate::support::Wire::XmlRpc).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn odoo19_json2() {
                super::$name($crate::support::Wire::Json2).await
            }
        }
    )*};
}
pub(crate) use over_each_world;

/// A served simulator and a client logged in as `login`.
pub struct Served {
    pub sim: Arc<Sim>,
    pub url: String,
    /// The transport [`Served::client`] uses.
    pub wire: Wire,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl Served {
    pub async fn start(sim: Sim) -> Served {
        let sim = Arc::new(sim);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(scorekeeper::sim::serve(listener, sim.clone(), async {
            let _ = stopped.await;
        }));
        Served {
            sim,
            url,
            wire: Wire::XmlRpc,
            stop: Some(stop),
            server: Some(server),
        }
    }

    /// [`Served::start`], its clients speaking `wire`.
    pub async fn start_over(sim: Sim, wire: Wire) -> Served {
        Served {
            wire,
            ..Served::start(sim).await
        }
    }

    pub fn client(&self, login: &str, secret: &str) -> OdooClient {
        self.client_over(self.wire, login, secret)
    }

    /// A client of this simulator speaking `wire`. Over JSON-2, which takes API keys only,
    /// `secret` (the tests pass the password) is replaced by `login`'s API key, so one test
    /// body logs in on every world.
    pub fn client_over(&self, wire: Wire, login: &str, secret: &str) -> OdooClient {
        let metrics = Arc::new(Metrics::new());
        let url = reqwest::Url::parse(&self.url).unwrap();
        let timeout = Duration::from_secs(60);
        let transport: Arc<dyn Transport> = match wire {
            Wire::XmlRpc => Arc::new(XmlRpcTransport::new(&url, timeout, metrics.clone()).unwrap()),
            Wire::JsonRpc => {
                Arc::new(JsonRpcTransport::new(&url, timeout, metrics.clone()).unwrap())
            }
            Wire::Json2 => Arc::new(Json2Transport::new(&url, timeout, metrics.clone()).unwrap()),
        };
        let secret = match wire {
            Wire::Json2 => self.api_key(login),
            Wire::XmlRpc | Wire::JsonRpc => secret.to_owned(),
        };
        OdooClient::new(
            transport,
            metrics,
            Credentials {
                database: self.sim.database().to_owned(),
                login: login.to_owned(),
                secret: Secret::new(secret),
            },
        )
    }

    /// The API key of `login` (the bearer token of JSON-2, which the Odoo 19 simulator
    /// serves at `{url}/json/2/<model>/<method>`): the recorded admin's on both versions and
    /// the demo user's on 19; give other users one with [`Sim::set_api_key`].
    pub fn api_key(&self, login: &str) -> String {
        self.sim
            .api_key(login)
            .unwrap_or_else(|| panic!("{login} has no API key on this simulator"))
    }

    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.unwrap().unwrap();
        }
    }
}
/// The bundled demo config (`config/demo.toml`).
pub const DEMO_TOML: &str = include_str!("../../config/demo.toml");

/// The evaluation instant the scoring tests pass to the job (a Friday in the demo data).
pub fn now() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 11, 20)
        .unwrap()
        .and_hms_opt(9, 0, 0)
        .unwrap()
}

/// The demo config pointed at `url` with its state database `dir/<name>.db`, each
/// `(from, to)` edit applied, written to `dir/<name>.toml` for the binary.
pub fn write_demo_config(dir: &Path, name: &str, url: &str, edits: &[(&str, &str)]) -> PathBuf {
    let mut text = DEMO_TOML.replace("http://127.0.0.1:8069", url).replace(
        "path = \"demo-state.db\"",
        &format!("path = \"{}\"", dir.join(format!("{name}.db")).display()),
    );
    for (from, to) in edits {
        assert!(text.contains(from), "the demo config has {from:?}");
        text = text.replace(from, to);
    }
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(&path, text).unwrap();
    path
}

/// [`write_demo_config`] for `served`'s world: its database and its wire as `[odoo]
/// protocol` (`xmlrpc`, `jsonrpc`, or on a JSON-2 world `auto`, which picks JSON-2 on 19,
/// with admin's API key in a password file `dir/<name>.key` in place of the password the
/// binary finds in the environment).
pub fn write_world_config(
    dir: &Path,
    name: &str,
    served: &Served,
    edits: &[(&str, &str)],
) -> PathBuf {
    const PASSWORD: &str = "password_env = \"SCOREKEEPER_ODOO_PASSWORD\"";
    let database = format!("database = \"{}\"", served.sim.database());
    let password = match served.wire {
        Wire::Json2 => {
            let key = dir.join(format!("{name}.key"));
            std::fs::write(&key, served.api_key("admin")).unwrap();
            format!("password_file = \"{}\"\nprotocol = \"auto\"", key.display())
        }
        Wire::XmlRpc | Wire::JsonRpc => {
            format!("{PASSWORD}\nprotocol = \"{}\"", served.wire.protocol())
        }
    };
    let mut all: Vec<(String, String)> = vec![
        ("database = \"crm17c\"".to_owned(), database),
        (PASSWORD.to_owned(), password),
    ];
    all.extend(
        edits
            .iter()
            .map(|(f, t)| ((*f).to_owned(), (*t).to_owned())),
    );
    let refs: Vec<(&str, &str)> = all.iter().map(|(f, t)| (f.as_str(), t.as_str())).collect();
    write_demo_config(dir, name, &served.url, &refs)
}

/// How `check` names the wire of `served`'s world in its `wire` line.
pub fn wire_label(wire: Wire) -> &'static str {
    match wire {
        Wire::XmlRpc => "wire    XML-RPC (protocol = \"xmlrpc\")",
        Wire::JsonRpc => "wire    JSON-RPC (protocol = \"jsonrpc\")",
        Wire::Json2 => "wire    JSON-2 (protocol = \"auto\": Odoo 19 serves JSON-2",
    }
}

/// The demo config pointed at `url`, optionally without its `[assignment]` section.
pub fn demo_config(url: &str, routing: bool, dir: &Path) -> (Config, String) {
    let mut text = DEMO_TOML.replace("http://127.0.0.1:8069", url);
    if !routing {
        let cut = text.find("[assignment]").unwrap();
        text.truncate(cut);
    }
    let path = dir.join("demo.toml");
    std::fs::write(&path, &text).unwrap();
    let cfg = config::load_str(&path, &text, &|_| Some("admin".to_owned())).unwrap();
    (cfg, text)
}

/// The demo config pointed at `served` (its url and database), optionally without its
/// `[assignment]` section.
pub fn demo_config_on(served: &Served, routing: bool, dir: &Path) -> (Config, String) {
    let mut text = DEMO_TOML.replace(
        "database = \"crm17c\"",
        &format!("database = \"{}\"", served.sim.database()),
    );
    text = text.replace("http://127.0.0.1:8069", &served.url);
    if !routing {
        let cut = text.find("[assignment]").unwrap();
        text.truncate(cut);
    }
    let path = dir.join("demo.toml");
    std::fs::write(&path, &text).unwrap();
    let cfg = config::load_str(&path, &text, &|_| Some("admin".to_owned())).unwrap();
    (cfg, text)
}

/// The Odoo 17 snapshot plus the demo dataset with `leads` leads, served.
pub async fn served_demo(leads: usize) -> Served {
    served_demo_over(leads, Wire::XmlRpc).await
}

/// The snapshot of `odoo` plus the demo dataset with `leads` leads, served.
pub async fn served_demo_of(odoo: Odoo, leads: usize) -> Served {
    served_demo_on(odoo, leads, Wire::XmlRpc).await
}

/// [`served_demo`] in `wire`'s world ([`Wire::odoo`]), its clients speaking `wire`.
pub async fn served_demo_over(leads: usize, wire: Wire) -> Served {
    served_demo_on(wire.odoo(), leads, wire).await
}

/// The uid of `login` in the simulator's data (the demo user is 6 on 17 and 5 on 19).
pub fn uid_of(sim: &Sim, login: &str) -> i64 {
    use scorekeeper::record::RecordStore as _;
    *sim.read()
        .search_eq(
            "res.users",
            "login",
            &scorekeeper::record::Value::Str(login.to_owned()),
        )
        .first()
        .unwrap_or_else(|| panic!("no user {login}"))
}

/// The snapshot of `odoo` plus the demo dataset with `leads` leads, served to clients
/// speaking `wire`.
pub async fn served_demo_on(odoo: Odoo, leads: usize, wire: Wire) -> Served {
    serve_with_demo(snapshot_sim_of(odoo), leads, wire).await
}

/// `sim` with the demo dataset of `leads` leads added, served to clients speaking `wire`.
pub async fn serve_with_demo(sim: Sim, leads: usize, wire: Wire) -> Served {
    generate(
        &DatasetSpec {
            leads,
            ..DatasetSpec::default()
        },
        &mut *sim.write(),
    )
    .unwrap();
    Served::start_over(sim, wire).await
}

/// `field` of every lead (not opportunity), by id.
pub async fn scores(client: &OdooClient, field: &str) -> BTreeMap<i64, i64> {
    client
        .search_read_all("crm.lead", vec![leaf("type", "=", "lead")], &["id", field])
        .await
        .unwrap()
        .iter()
        .map(|r| {
            (
                r.get("id").and_then(X::as_i64).unwrap(),
                r.get(field).and_then(X::as_i64).unwrap_or(0),
            )
        })
        .collect()
}
