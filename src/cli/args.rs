//! The command line as clap reads it: the commands, their flags, and the parsers of the
//! values they take (`--odoo`, `--now`, dates).

use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand, ValueEnum};

use super::Failure;

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

/// The span of a ranking report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReportSpan {
    Month,
    Quarter,
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
    /// Compute the changes a job would make and print them; writes nothing.
    Plan(PlanArgs),
    /// One run of a job: plan, journal, apply. Exit 1 if a write failed.
    Run(RunArgs),
    /// Commission statements of a period: one person's as a table (`--user LOGIN`), or
    /// every statement of the period as CSV (`--csv`) or an HTML page (`--html`).
    Statement(StatementArgs),
    /// Why a record has its score and its team/salesperson (`explain -c FILE lead 42`), or
    /// which point rules and levels apply to a person (`explain -c FILE user 7`).
    Explain {
        #[arg(short, long, value_name = "FILE")]
        config: PathBuf,
        /// What to explain (`lead` or `user`).
        what: String,
        id: i64,
        #[arg(long, hide = true)]
        now: Option<String>,
    },
    /// The recent runs of every job: start, duration, counts, status.
    Runs {
        #[arg(short, long, value_name = "FILE")]
        config: PathBuf,
        /// How many runs, newest first.
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
    /// What a run changed, entry by entry, with record and user names.
    Show {
        #[arg(short, long, value_name = "FILE")]
        config: PathBuf,
        run_id: String,
    },
    /// Revert what a run wrote, where nobody changed it since.
    Undo {
        #[arg(short, long, value_name = "FILE")]
        config: PathBuf,
        run_id: String,
    },
    /// Create the custom fields and records the config needs (score field, band tags).
    Setup {
        #[arg(short, long, value_name = "FILE")]
        config: PathBuf,
    },
    /// Run every configured job on its crontab line until SIGTERM/SIGINT (SIGHUP reloads).
    Daemon {
        #[arg(short, long, value_name = "FILE")]
        config: PathBuf,
    },
    /// A challenge's ranking: rank, user, each goal's current/target, completeness.
    Leaderboard(LeaderboardArgs),
    /// Print a person's signed link to their own page (`--user ID|LOGIN`), or the link for a
    /// wall screen showing the leaderboards (`--board`). Needs `[board]`.
    Link {
        #[arg(short, long, value_name = "FILE")]
        config: PathBuf,
        /// The person: their Odoo user id, or their login (looked up in Odoo).
        #[arg(
            long,
            value_name = "ID|LOGIN",
            required_unless_present = "board",
            conflicts_with = "board"
        )]
        user: Option<String>,
        /// The sales-floor link: leaderboards and rules, nothing personal.
        #[arg(long)]
        board: bool,
        /// The link expires after this many days (default: `[board] link_days`, else never).
        #[arg(long)]
        days: Option<u64>,
        /// The instant the expiry counts from (tests); YYYY-MM-DD HH:MM:SS UTC.
        #[arg(long, hide = true)]
        now: Option<String>,
    },
    /// Configuration helpers.
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
    /// Start the built-in Odoo simulator (17, or 19 with `--odoo 19`) with the demo dataset,
    /// run every job once against it and print what changed.
    Demo(DemoArgs),
    /// Serve the Odoo simulator on 127.0.0.1 (for tests and trials) until Ctrl-C.
    Sim(SimArgs),
}

// `plan`'s arguments (its help text is the doc comment of `Command::Plan`).
#[derive(Debug, Args)]
pub struct PlanArgs {
    #[arg(short, long, value_name = "FILE")]
    pub(crate) config: PathBuf,
    /// The job (`scoring`, which also routes when `[assignment]` is configured).
    #[arg(default_value = "scoring")]
    pub(crate) job: String,
    /// Machine-readable output.
    #[arg(long)]
    pub(crate) json: bool,
    /// Force a full pass.
    #[arg(long)]
    pub(crate) full: bool,
    /// Trial run (`plan gamification --since YYYY-MM-DD`): the karma entries the
    /// configured point rules would have produced over that history; writes nothing.
    #[arg(long, value_name = "DATE")]
    pub(crate) since: Option<String>,
    /// End of the history `plan points --since DATE` replays (default: today).
    #[arg(long, value_name = "DATE")]
    pub(crate) until: Option<String>,
    /// The pay period (`plan pay --period 2026-11`, or `2026-Q4`); default the current one.
    #[arg(long, value_name = "PERIOD")]
    pub(crate) period: Option<String>,
    /// The clock, `YYYY-MM-DD HH:MM:SS` UTC (tests and replays); default now.
    #[arg(long, hide = true)]
    pub(crate) now: Option<String>,
}

// `run`'s arguments (its help text is the doc comment of `Command::Run`).
#[derive(Debug, Args)]
pub struct RunArgs {
    #[arg(short, long, value_name = "FILE")]
    pub(crate) config: PathBuf,
    #[arg(default_value = "scoring")]
    pub(crate) job: String,
    /// Stop after planning (same as `plan`).
    #[arg(long)]
    pub(crate) dry_run: bool,
    /// Force a full pass.
    #[arg(long)]
    pub(crate) full: bool,
    /// The pay period (`run pay --period 2026-11`); default the current one.
    #[arg(long, value_name = "PERIOD")]
    pub(crate) period: Option<String>,
    #[arg(long, hide = true)]
    pub(crate) now: Option<String>,
}

// `statement`'s arguments (its help text is the doc comment of `Command::Statement`).
#[derive(Debug, Args)]
pub struct StatementArgs {
    #[arg(short, long, value_name = "FILE")]
    pub(crate) config: PathBuf,
    #[arg(long, value_name = "PERIOD")]
    pub(crate) period: String,
    /// The person, by login.
    #[arg(long)]
    pub(crate) user: Option<String>,
    #[arg(long)]
    pub(crate) csv: bool,
    #[arg(long, conflicts_with = "csv")]
    pub(crate) html: bool,
    /// Terminal columns for the table.
    #[arg(long, default_value_t = 100)]
    pub(crate) width: usize,
    #[arg(long, hide = true)]
    pub(crate) now: Option<String>,
}

// `leaderboard`'s arguments (its help text is the doc comment of `Command::Leaderboard`).
#[derive(Debug, Args)]
pub struct LeaderboardArgs {
    #[arg(short, long, value_name = "FILE")]
    pub(crate) config: PathBuf,
    /// The challenge, by name or id.
    pub(crate) challenge: String,
    /// Rank by % of each person's own target instead of Odoo's order.
    #[arg(long)]
    pub(crate) fair: bool,
    /// CSV instead of a table.
    #[arg(long)]
    pub(crate) csv: bool,
    /// The day the period is computed for, `YYYY-MM-DD` (UTC); default today.
    #[arg(long)]
    pub(crate) date: Option<String>,
    /// Write a ranking report over the month or quarter holding `--date` as CSV and HTML
    /// files into `--out` instead of printing the current period.
    #[arg(long, value_enum)]
    pub(crate) report: Option<ReportSpan>,
    /// Directory for `--report` files.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub(crate) out: PathBuf,
}

// `demo`'s arguments (its help text is the doc comment of `Command::Demo`).
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Seed of the demo dataset.
    #[arg(long, default_value_t = 42)]
    pub(crate) seed: u64,
    /// Number of demo leads (up to 1,000,000).
    #[arg(long, default_value_t = 2000)]
    pub(crate) leads: usize,
    /// The demo's "today" (`YYYY-MM-DD`): its history ends the day before; default today.
    #[arg(long, value_name = "DATE")]
    pub(crate) today: Option<String>,
    /// The Odoo version the simulator speaks (17 or 19).
    #[arg(long, default_value_t = 17, value_parser = odoo_version)]
    pub(crate) odoo: i64,
}

// `sim`'s arguments (its help text is the doc comment of `Command::Sim`).
#[derive(Debug, Args)]
pub struct SimArgs {
    /// A directory holding `snapshot.json` (default: the Odoo 17 snapshot built in).
    #[arg(long, value_name = "DIR")]
    pub(crate) data: Option<PathBuf>,
    /// Port on 127.0.0.1; 0 picks a free one and prints it.
    #[arg(long, default_value_t = 8069)]
    pub(crate) port: u16,
    /// Add the demo dataset (teams, salespeople, leads, invoices, meetings, challenges).
    #[arg(long)]
    pub(crate) demo: bool,
    /// Seed of the demo dataset.
    #[arg(long, default_value_t = 42)]
    pub(crate) seed: u64,
    /// Number of demo leads (up to 1,000,000).
    #[arg(long, default_value_t = 2000)]
    pub(crate) leads: usize,
    /// The demo dataset's "today" (`YYYY-MM-DD`); default today.
    #[arg(long, value_name = "DATE")]
    pub(crate) today: Option<String>,
    /// The Odoo version the simulator speaks (17 or 19; ignored with `--data`).
    #[arg(long, default_value_t = 17, value_parser = odoo_version)]
    pub(crate) odoo: i64,
    /// Charge each call what a real Odoo charges (`odoo17`: a 2-core Odoo 17 with 3 workers),
    /// so benchmarks against the simulator predict a real server. Default: free.
    #[arg(long, value_name = "TABLE", value_parser = cost_table)]
    pub(crate) costs: Option<crate::sim::CostTable>,
}

/// `--costs`: a cost table the simulator knows.
fn cost_table(s: &str) -> Result<crate::sim::CostTable, String> {
    crate::sim::CostTable::named(s)
        .ok_or_else(|| format!("unknown cost table {s:?}; known: odoo17"))
}

#[derive(Debug, Subcommand)]
pub enum ConfigAction {
    /// Print the bundled, documented example configuration.
    Example,
}

/// `--odoo`: a version the simulator has a recording of.
fn odoo_version(s: &str) -> Result<i64, String> {
    match s.trim_end_matches(".0").parse::<i64>() {
        Ok(v) if crate::sim::VERSIONS.contains(&v) => Ok(v),
        _ => Err(format!(
            "the simulator speaks Odoo {} (recordings exist for these only)",
            crate::sim::VERSIONS.map(|v| v.to_string()).join(" and ")
        )),
    }
}

pub(super) fn parse_now(now: Option<&str>) -> Result<chrono::NaiveDateTime, Failure> {
    match now {
        None => Ok(chrono::Utc::now().naive_utc()),
        Some(s) => {
            chrono::NaiveDateTime::parse_from_str(s, crate::record::datetime::DATETIME_FORMAT)
                .with_context(|| format!("--now {s:?} is not YYYY-MM-DD HH:MM:SS"))
                .map_err(Failure::Failed)
        }
    }
}

pub(super) fn today(date: Option<&str>) -> Result<chrono::NaiveDate, Failure> {
    match date {
        None => Ok(chrono::Utc::now().date_naive()),
        Some(s) => chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .with_context(|| format!("{s:?} is not a YYYY-MM-DD date"))
            .map_err(Failure::Invalid),
    }
}
