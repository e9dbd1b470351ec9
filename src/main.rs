//! The `scorekeeper` binary: parses the command line, sets up logging, runs the command and
//! maps its failure to an exit code (0 ok, 1 run failed, 2 config error, 3 Odoo unreachable
//! or authentication failed).

use std::process::ExitCode;

use clap::Parser;
use scorekeeper::cli::{self, Cli, Failure, LogFormat};
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let format = cli.log_format;
    init_tracing(format);
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
            report(&failure, format);
            ExitCode::from(failure.exit_code())
        }
    }
}

/// The failure on stderr: `error: ...` lines, or with `--log-format json` one JSON object per
/// line like the logs (a collector reading stderr as JSON lines gets every line).
fn report(failure: &Failure, format: LogFormat) {
    let messages: Vec<String> = match failure {
        Failure::Config(e) if !e.diagnostics().is_empty() => {
            e.diagnostics().iter().map(ToString::to_string).collect()
        }
        other => vec![other.to_string()],
    };
    for message in messages {
        match format {
            LogFormat::Human => eprintln!("error: {message}"),
            LogFormat::Json => eprintln!(
                "{}",
                serde_json::json!({
                    "timestamp": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
                    "level": "ERROR",
                    "fields": { "message": message, "exit_code": failure.exit_code() },
                    "target": "scorekeeper",
                })
            ),
        }
    }
}

/// Logs go to stderr, filtered by `SCOREKEEPER_LOG` (same syntax as `RUST_LOG`; default
/// `warn`), so stdout stays the command's report.
fn init_tracing(format: LogFormat) {
    let filter =
        EnvFilter::try_from_env("SCOREKEEPER_LOG").unwrap_or_else(|_| EnvFilter::new("warn"));
    // Colour only on a terminal: redirected to a file or journald, escapes are noise.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Human => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}
