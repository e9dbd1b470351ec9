//! `scorekeeper sim`: loads a snapshot (an embedded one, Odoo 17 or 19, or `DIR/snapshot.json`),
//! optionally adds the demo dataset, and serves it on 127.0.0.1 until Ctrl-C or SIGTERM.

use std::future::Future;
use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

use thiserror::Error;

use super::Failure;
use super::args::SimArgs;
use super::demo_cmd::dataset_spec;

use crate::demo::{DatasetSpec, DatasetSummary, DemoError};
use crate::sim::{LoadError, Sim};

/// What to serve.
#[derive(Clone, Debug)]
pub(super) struct SimOptions {
    /// A directory holding `snapshot.json`; `None` = the snapshot built into the binary.
    pub data: Option<PathBuf>,
    /// Port on 127.0.0.1; 0 picks a free one (printed on stdout).
    pub port: u16,
    /// Add the demo dataset generated from this spec.
    pub dataset: Option<DatasetSpec>,
    /// The Odoo version whose built-in snapshot is served (17 or 19; ignored with `data`).
    pub odoo: i64,
    /// What each call costs (`--costs`); `None` = free.
    pub costs: Option<crate::sim::CostTable>,
}

#[derive(Debug, Error)]
pub(super) enum SimCommandError {
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error("cannot generate the demo dataset: {0}")]
    Dataset(#[from] DemoError),
    #[error("cannot listen on 127.0.0.1:{port}: {source}")]
    Bind { port: u16, source: std::io::Error },
    #[error("cannot write to stdout: {0}")]
    Output(std::io::Error),
}

/// `scorekeeper sim [--data DIR] [--port P] [--demo ...] [--odoo V]`: serves until Ctrl-C or
/// SIGTERM.
pub(super) async fn command(args: SimArgs, out: &mut dyn Write) -> Result<(), Failure> {
    let dataset = if args.demo {
        Some(dataset_spec(args.seed, args.leads, args.today.as_deref())?)
    } else {
        None
    };
    let opts = SimOptions {
        data: args.data,
        port: args.port,
        dataset,
        odoo: args.odoo,
        costs: args.costs,
    };
    run(&opts, out, shutdown_signal())
        .await
        .map_err(|e| Failure::Failed(e.into()))
}

/// Loads the simulator as `opts` say (snapshot, then the optional dataset).
pub(super) fn load(opts: &SimOptions) -> Result<(Sim, Option<DatasetSummary>), SimCommandError> {
    let sim = match &opts.data {
        Some(dir) => Sim::from_data_dir(dir)?,
        None => Sim::embedded(opts.odoo)?,
    };
    let summary = match &opts.dataset {
        Some(spec) => {
            // The simulator's clock keeps the dataset's "today": records created later are
            // stamped in the same days as the demo's history.
            let shift = spec.today - chrono::Utc::now().date_naive();
            if shift != chrono::Duration::zero() {
                sim.write()
                    .set_clock(move || chrono::Utc::now().naive_utc() + shift);
            }
            Some(crate::demo::generate(spec, &mut *sim.write())?)
        }
        None => None,
    };
    // After the dataset: generating it is not a call anyone pays for.
    let sim = match &opts.costs {
        Some(table) => sim.with_costs(table.clone()),
        None => sim,
    };
    Ok((sim, summary))
}

/// Binds 127.0.0.1:`port` (never another interface: the simulator has demo credentials).
pub(super) async fn bind(port: u16) -> Result<tokio::net::TcpListener, SimCommandError> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| SimCommandError::Bind { port, source })
}

/// Runs `scorekeeper sim`: prints where it listens, then serves until `shutdown` resolves.
async fn run(
    opts: &SimOptions,
    out: &mut dyn Write,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), SimCommandError> {
    let (sim, summary) = load(opts)?;
    let listener = bind(opts.port).await?;
    let addr = listener
        .local_addr()
        .map_err(|source| SimCommandError::Bind {
            port: opts.port,
            source,
        })?;
    let mut report = format!(
        "Odoo {major} simulator listening on http://{addr} (database {db}; logins admin/admin, demo/demo)\n",
        major = sim.major(),
        db = sim.database()
    );
    report.push_str(&api_keys_line(&sim));
    if let Some(table) = &opts.costs {
        report.push_str(&format!(
            "calls cost what a real Odoo charges (cost table {}: {} workers)\n",
            table.name, table.workers
        ));
    }
    if let Some(summary) = &summary {
        report.push_str(&format!(
            "demo dataset: {} leads, {} users (password = login), {} invoices, {} meetings\n",
            summary.count("crm.lead"),
            summary.users.len(),
            summary.count("account.move"),
            summary.count("calendar.event"),
        ));
    }
    out.write_all(report.as_bytes())
        .and_then(|()| out.flush())
        .map_err(SimCommandError::Output)?;
    crate::sim::serve(listener, Arc::new(sim), shutdown)
        .await
        .map_err(|source| SimCommandError::Bind {
            port: opts.port,
            source,
        })
}

/// On Odoo 19 and later, the line naming each login's JSON-2 API key (JSON-2 takes API keys
/// only: a config's password source must hold the key); nothing before 19, where the
/// passwords above are what a client sends.
pub(super) fn api_keys_line(sim: &Sim) -> String {
    if sim.major() < 19 {
        return String::new();
    }
    let keys: Vec<String> = ["admin", "demo"]
        .iter()
        .filter_map(|login| sim.api_key(login).map(|key| format!("{login} {key}")))
        .collect();
    if keys.is_empty() {
        return String::new();
    }
    format!("JSON-2 API keys: {}\n", keys.join(", "))
}

/// Resolves on Ctrl-C or SIGTERM (the simulator has nothing to flush).
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}
