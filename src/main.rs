//! The `scorekeeper` binary: parses the command line, sets up logging, runs the command and
//! maps its failure to an exit code (0 ok, 1 run failed, 2 config error, 3 Odoo unreachable
//! or authentication failed).

use std::process::ExitCode;

use clap::Parser;
use scorekeeper::cli::{self, Cli, Failure, LogFormat};
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let mut stdout = std::io::stdout().lock();
    match runtime.block_on(cli::run(cli, &mut stdout)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            report(&failure);
            ExitCode::from(failure.exit_code())
        }
    }
}

fn report(failure: &Failure) {
    match failure {
        Failure::Config(e) if !e.diagnostics().is_empty() => {
            for d in e.diagnostics() {
                eprintln!("error: {d}");
            }
        }
        other => eprintln!("error: {other}"),
    }
}

/// Logs go to stderr, filtered by `SCOREKEEPER_LOG` (same syntax as `RUST_LOG`; default
/// `warn`), so stdout stays the command's report.
fn init_tracing(format: LogFormat) {
    let filter =
        EnvFilter::try_from_env("SCOREKEEPER_LOG").unwrap_or_else(|_| EnvFilter::new("warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Human => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}
