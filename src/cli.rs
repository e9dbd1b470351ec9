//! The command line: clap definitions and one function per subcommand. Failures carry the
//! exit code they map to (documented in README.md): 0 ok, 1 run failed, 2 config error,
//! 3 Odoo unreachable or authentication failed.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Parser, Subcommand, ValueEnum};

use crate::config::{self, ConfigError};
use crate::odoo::{OdooClient, OdooError, RetryPolicy};

#[derive(Debug, Parser)]
#[command(
    name = "scorekeeper",
    version,
    about = "Lead scoring, routing and gamification for Odoo"
)]
pub struct Cli {
    /// Format of the log lines on stderr.
    #[arg(long, value_enum, default_value_t = LogFormat::Human, global = true)]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Human,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate the config, connect to Odoo, authenticate and verify every field the config names.
    Check {
        /// The config file.
        #[arg(short, long, value_name = "FILE")]
        config: PathBuf,
    },
    /// Configuration helpers.
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
    /// Start the built-in Odoo 17 simulator with the demo dataset, run every job once against
    /// it and print what changed.
    Demo {
        /// Seed of the demo dataset.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Number of demo leads (up to 1,000,000).
        #[arg(long, default_value_t = 2000)]
        leads: usize,
    },
    /// Serve the Odoo 17 simulator on 127.0.0.1 (for tests and trials) until Ctrl-C.
    Sim {
        /// A directory holding `snapshot.json` (default: the Odoo 17 snapshot built in).
        #[arg(long, value_name = "DIR")]
        data: Option<PathBuf>,
        /// Port on 127.0.0.1; 0 picks a free one and prints it.
        #[arg(long, default_value_t = 8069)]
        port: u16,
        /// Add the demo dataset (teams, salespeople, leads, invoices, meetings, challenges).
        #[arg(long)]
        demo: bool,
        /// Seed of the demo dataset.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Number of demo leads (up to 1,000,000).
        #[arg(long, default_value_t = 2000)]
        leads: usize,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConfigAction {
    /// Print the bundled, documented example configuration.
    Example,
}

/// Why a command failed, and therefore its exit code.
#[derive(Debug)]
pub enum Failure {
    /// Exit 2: the config (or a field it names) is wrong; nothing was done.
    Config(ConfigError),
    /// Exit 3: Odoo could not be reached, did not speak XML-RPC, or refused our credentials.
    Unreachable(anyhow::Error),
    /// Exit 1: anything else.
    Failed(anyhow::Error),
}

impl Failure {
    pub fn exit_code(&self) -> u8 {
        match self {
            Failure::Failed(_) => 1,
            Failure::Config(_) => 2,
            Failure::Unreachable(_) => 3,
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Config(e) => write!(f, "{e}"),
            Failure::Unreachable(e) | Failure::Failed(e) => write!(f, "{e:#}"),
        }
    }
}

impl From<ConfigError> for Failure {
    fn from(e: ConfigError) -> Self {
        Failure::Config(e)
    }
}

/// Runs one command, writing its report to `out` (logs go to stderr through tracing).
pub async fn run(cli: Cli, out: &mut dyn Write) -> Result<(), Failure> {
    match cli.command {
        Command::Check { config } => check(&config, out).await,
        Command::Config {
            action: ConfigAction::Example,
        } => write_out(out, config::EXAMPLE),
        Command::Demo { seed, leads } => {
            let spec = dataset_spec(seed, leads);
            crate::demo::command::run(spec, out).await
        }
        Command::Sim {
            data,
            port,
            demo,
            seed,
            leads,
        } => {
            let opts = crate::sim::command::SimOptions {
                data,
                port,
                dataset: demo.then(|| dataset_spec(seed, leads)),
            };
            crate::sim::command::run(&opts, out, shutdown_signal())
                .await
                .map_err(|e| Failure::Failed(e.into()))
        }
    }
}

fn dataset_spec(seed: u64, leads: usize) -> crate::demo::DatasetSpec {
    crate::demo::DatasetSpec {
        seed,
        ..crate::demo::DatasetSpec::with_leads(leads)
    }
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

fn write_out(out: &mut dyn Write, text: &str) -> Result<(), Failure> {
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .context("cannot write to stdout")
        .map_err(Failure::Failed)
}

/// `scorekeeper check -c FILE`. Tries each RPC once: a diagnostic should answer within the
/// configured timeout, not ride out an outage.
pub async fn check(path: &std::path::Path, out: &mut dyn Write) -> Result<(), Failure> {
    let cfg = config::load(path)?;
    let url = cfg.odoo.url.clone();
    write_out(out, &format!("config  {}: ok\n", path.display()))?;

    let client = OdooClient::from_config(&cfg.odoo)
        .map_err(|e| Failure::Failed(e.into()))?
        .with_retry(RetryPolicy::no_retry());
    let reach = |e: OdooError| {
        let context = format!("cannot reach Odoo at {url}");
        if e.is_unreachable_or_auth() {
            Failure::Unreachable(anyhow::Error::new(e).context(context))
        } else {
            Failure::Failed(anyhow::Error::new(e).context(context))
        }
    };
    let version = client.version().await.map_err(reach)?;
    write_out(out, &format!("odoo    {version} at {url}\n"))?;
    if version.major().is_some_and(|m| m != 17) {
        write_out(
            out,
            &format!("warning {version} is not Odoo 17: scorekeeper is tested against 17.0\n"),
        )?;
    }

    let uid = client.authenticate().await.map_err(|e| {
        let context = format!(
            "cannot log in as {:?} on database {:?}",
            cfg.odoo.login, cfg.odoo.database
        );
        // Any failure here (refused credentials, unknown database) means we cannot talk to
        // this Odoo as configured.
        Failure::Unreachable(anyhow::Error::new(e).context(context))
    })?;
    write_out(
        out,
        &format!(
            "login   {} on {}: uid {uid}\n",
            cfg.odoo.login, cfg.odoo.database
        ),
    )?;

    let diags = config::verify_fields(&client, &cfg.field_refs)
        .await
        .map_err(|e| {
            let unreachable = e.is_unreachable_or_auth();
            let e = anyhow::Error::new(e).context("cannot verify the fields the config names");
            if unreachable {
                Failure::Unreachable(e)
            } else {
                Failure::Failed(e)
            }
        })?;
    if !diags.is_empty() {
        return Err(Failure::Config(ConfigError::Invalid(diags)));
    }
    let models: std::collections::BTreeSet<&str> =
        cfg.field_refs.iter().map(|r| r.model.as_str()).collect();
    write_out(
        out,
        &format!(
            "fields  {} named by the config, on {} models: all exist\nOK\n",
            cfg.field_refs.len(),
            models.len()
        ),
    )
}
