//! The command line, the admin edge of the crate: clap definitions (`args`), one file per
//! command family, and [`run`], which dispatches a parsed command. Failures carry the exit code
//! they map to (documented in README.md): 0 ok, 1 run failed, 2 config error, 3 Odoo
//! unreachable or authentication failed.

mod args;
mod check_cmd;
mod demo_cmd;
mod demo_pay;
mod failure;
mod gamification_cmd;
mod job_cmd;
mod job_request;
mod link_cmd;
mod names;
mod pay_cmd;
mod progress_bar;
mod runs;
mod scoring_cmd;
mod session;
mod setup_cmd;
mod sim_cmd;

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context as _;

pub use args::{
    Cli, Command, ConfigAction, DemoArgs, LeaderboardArgs, LogFormat, PlanArgs, ReportSpan,
    RunArgs, SimArgs, StatementArgs,
};
pub use check_cmd::check;
pub use failure::Failure;
pub use setup_cmd::setup_cmd;

/// Runs one command, writing its report to `out` (logs go to stderr through tracing).
pub async fn run(cli: Cli, out: &mut dyn Write) -> Result<(), Failure> {
    match cli.command {
        Command::Check { config } => check(&config, out).await,
        Command::Plan(args) => job_cmd::plan(&args, out).await,
        Command::Run(args) => job_cmd::run(&args, out).await,
        Command::Statement(args) => pay_cmd::statement(&args, out).await,
        Command::Explain {
            config,
            what,
            id,
            now,
        } => scoring_cmd::explain_cmd(&config, &what, id, now.as_deref(), out).await,
        Command::Undo { config, run_id } => runs::undo_cmd(&config, &run_id, out).await,
        Command::Runs { config, limit } => runs::runs_cmd(&config, limit, out),
        Command::Show { config, run_id } => runs::show_cmd(&config, &run_id, out).await,
        Command::Setup { config } => setup_cmd(&config, out).await,
        Command::Config {
            action: ConfigAction::Example,
        } => write_out(out, crate::config::EXAMPLE),
        Command::Daemon { config } => daemon_cmd(&config).await,
        Command::Leaderboard(args) => gamification_cmd::leaderboard(&args, out).await,
        Command::Link {
            config,
            user,
            board,
            days,
            now,
        } => {
            let who = match (user, board) {
                (Some(u), false) => link_cmd::LinkFor::User(u),
                _ => link_cmd::LinkFor::Board,
            };
            link_cmd::link_cmd(&config, who, days, now.as_deref(), out).await
        }
        Command::Demo(args) => demo_cmd::command(&args, out).await,
        Command::Sim(args) => sim_cmd::command(args, out).await,
    }
}

/// `scorekeeper daemon -c FILE`: every configured job on its schedule until a signal.
async fn daemon_cmd(config: &Path) -> Result<(), Failure> {
    let registry: Arc<crate::daemon::Registry> = Arc::new(crate::jobs::registry);
    crate::daemon::run_with_signals(config, registry)
        .await
        .map_err(|e| match e {
            crate::daemon::DaemonError::Config(c) => Failure::Config(c),
            other => Failure::Failed(other.into()),
        })
}

pub(crate) fn write_out(out: &mut dyn Write, text: &str) -> Result<(), Failure> {
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .context("cannot write to stdout")
        .map_err(Failure::Failed)
}
