//! The command line: clap definitions and one function per subcommand. Failures carry the
//! exit code they map to (documented in README.md): 0 ok, 1 run failed, 2 config error,
//! 3 Odoo unreachable or authentication failed.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Parser, Subcommand, ValueEnum};

use crate::config::{self, ConfigError};

mod job_request;
mod runs;

use crate::odoo::{OdooClient, OdooError, RetryPolicy};
use job_request::{Flags, JobName, Mode};

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
    Plan {
        #[arg(short, long, value_name = "FILE")]
        config: PathBuf,
        /// The job (`scoring`, which also routes when `[assignment]` is configured).
        #[arg(default_value = "scoring")]
        job: String,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
        /// Force a full pass.
        #[arg(long)]
        full: bool,
        /// Trial run (`plan gamification --since YYYY-MM-DD`): the karma entries the
        /// configured point rules would have produced over that history; writes nothing.
        #[arg(long, value_name = "DATE")]
        since: Option<String>,
        /// End of the history `plan points --since DATE` replays (default: today).
        #[arg(long, value_name = "DATE")]
        until: Option<String>,
        /// The pay period (`plan pay --period 2026-11`, or `2026-Q4`); default the current one.
        #[arg(long, value_name = "PERIOD")]
        period: Option<String>,
        /// The clock, `YYYY-MM-DD HH:MM:SS` UTC (tests and replays); default now.
        #[arg(long, hide = true)]
        now: Option<String>,
    },
    /// One run of a job: plan, journal, apply. Exit 1 if a write failed.
    Run {
        #[arg(short, long, value_name = "FILE")]
        config: PathBuf,
        #[arg(default_value = "scoring")]
        job: String,
        /// Stop after planning (same as `plan`).
        #[arg(long)]
        dry_run: bool,
        /// Force a full pass.
        #[arg(long)]
        full: bool,
        /// The pay period (`run pay --period 2026-11`); default the current one.
        #[arg(long, value_name = "PERIOD")]
        period: Option<String>,
        #[arg(long, hide = true)]
        now: Option<String>,
    },
    /// Commission statements of a period: one person's as a table (`--user LOGIN`), or
    /// every statement of the period as CSV (`--csv`) or an HTML page (`--html`).
    Statement {
        #[arg(short, long, value_name = "FILE")]
        config: PathBuf,
        #[arg(long, value_name = "PERIOD")]
        period: String,
        /// The person, by login.
        #[arg(long)]
        user: Option<String>,
        #[arg(long)]
        csv: bool,
        #[arg(long, conflicts_with = "csv")]
        html: bool,
        /// Terminal columns for the table.
        #[arg(long, default_value_t = 100)]
        width: usize,
        #[arg(long, hide = true)]
        now: Option<String>,
    },
    /// Why a record has its score and its team/salesperson: `explain -c FILE lead 42`.
    Explain {
        #[arg(short, long, value_name = "FILE")]
        config: PathBuf,
        /// What to explain (`lead`).
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
    Leaderboard {
        #[arg(short, long, value_name = "FILE")]
        config: PathBuf,
        /// The challenge, by name or id.
        challenge: String,
        /// Rank by % of each person's own target instead of Odoo's order.
        #[arg(long)]
        fair: bool,
        /// CSV instead of a table.
        #[arg(long)]
        csv: bool,
        /// The day the period is computed for, `YYYY-MM-DD` (UTC); default today.
        #[arg(long)]
        date: Option<String>,
        /// Write a ranking report over the month or quarter holding `--date` as CSV and HTML
        /// files into `--out` instead of printing the current period.
        #[arg(long, value_enum)]
        report: Option<ReportSpan>,
        /// Directory for `--report` files.
        #[arg(long, value_name = "DIR", default_value = ".")]
        out: PathBuf,
    },
    /// Configuration helpers.
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
    /// Start the built-in Odoo simulator (17, or 19 with `--odoo 19`) with the demo dataset,
    /// run every job once against it and print what changed.
    Demo {
        /// Seed of the demo dataset.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Number of demo leads (up to 1,000,000).
        #[arg(long, default_value_t = 2000)]
        leads: usize,
        /// The demo's "today" (`YYYY-MM-DD`): its history ends the day before; default today.
        #[arg(long, value_name = "DATE")]
        today: Option<String>,
        /// The Odoo version the simulator speaks (17 or 19).
        #[arg(long, default_value_t = 17, value_parser = odoo_version)]
        odoo: i64,
    },
    /// Serve the Odoo simulator on 127.0.0.1 (for tests and trials) until Ctrl-C.
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
        /// The demo dataset's "today" (`YYYY-MM-DD`); default today.
        #[arg(long, value_name = "DATE")]
        today: Option<String>,
        /// The Odoo version the simulator speaks (17 or 19; ignored with `--data`).
        #[arg(long, default_value_t = 17, value_parser = odoo_version)]
        odoo: i64,
    },
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
    /// Exit 2: the command names something the config does not have (an unknown job, a
    /// job whose section is missing); nothing was done.
    Invalid(anyhow::Error),
}

impl Failure {
    pub fn exit_code(&self) -> u8 {
        match self {
            Failure::Failed(_) => 1,
            Failure::Config(_) | Failure::Invalid(_) => 2,
            Failure::Unreachable(_) => 3,
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Config(e) => write!(f, "{e}"),
            Failure::Unreachable(e) | Failure::Failed(e) | Failure::Invalid(e) => {
                write!(f, "{e:#}")
            }
        }
    }
}

impl From<ConfigError> for Failure {
    fn from(e: ConfigError) -> Self {
        Failure::Config(e)
    }
}

/// `plan`, `run --dry-run` and `run` of every job: the job and its flags are checked against
/// one table ([`job_request`]), then the job runs.
async fn job_command(
    config: &std::path::Path,
    job: &str,
    mode: Mode,
    flags: Flags<'_>,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    let name: JobName = job
        .parse()
        .map_err(|e: String| Failure::Invalid(anyhow::anyhow!(e)))?;
    if let Some(why) = job_request::refusal(name, mode, &flags) {
        return Err(Failure::Invalid(anyhow::anyhow!(why)));
    }
    match (name, mode) {
        (JobName::Scoring, Mode::Plan) => {
            plan_cmd(config, job, flags.json, flags.full, flags.now, out).await
        }
        (JobName::Scoring, Mode::DryRun | Mode::Run) => {
            run_cmd(
                config,
                job,
                mode == Mode::DryRun,
                flags.full,
                flags.now,
                out,
            )
            .await
        }
        (JobName::Gamification, Mode::Plan) => match flags.since {
            Some(since) => gamification_trial_cmd(config, since, flags.json, out).await,
            None => gamification_plan_cmd(config, flags.json, flags.now, out).await,
        },
        (JobName::Gamification, Mode::DryRun) => {
            gamification_plan_cmd(config, false, flags.now, out).await?;
            write_out(out, "dry run: nothing written\n")
        }
        (JobName::All, Mode::Plan | Mode::DryRun) => {
            // Every job's plan, in the order `run all` applies them.
            run_cmd(config, "scoring", true, false, flags.now, out).await?;
            gamification_plan_cmd(config, false, flags.now, out).await
        }
        (JobName::Points, _) => points_trial_cmd(config, flags.since, flags.until, out).await,
        (JobName::Pay, mode) => {
            pay_cmd(config, flags.period, flags.now, mode == Mode::Run, out).await
        }
        (JobName::Gamification | JobName::All, Mode::Run) => {
            let now = flags.now.map(|n| parse_now(Some(n))).transpose()?;
            run_jobs_cmd(config, &name.to_string(), now, out).await
        }
    }
}

/// Runs one command, writing its report to `out` (logs go to stderr through tracing).
pub async fn run(cli: Cli, out: &mut dyn Write) -> Result<(), Failure> {
    match cli.command {
        Command::Check { config } => check(&config, out).await,
        Command::Statement {
            config,
            period,
            user,
            csv,
            html,
            width,
            now,
        } => {
            let export = match (csv, html) {
                (true, _) => Some("csv"),
                (_, true) => Some("html"),
                _ => None,
            };
            statement_cmd(
                &config,
                &period,
                user.as_deref(),
                export,
                width,
                now.as_deref(),
                out,
            )
            .await
        }
        Command::Plan {
            config,
            job,
            json,
            full,
            since,
            until,
            period,
            now,
        } => {
            let flags = Flags {
                full,
                json,
                since: since.as_deref(),
                until: until.as_deref(),
                period: period.as_deref(),
                now: now.as_deref(),
            };
            job_command(&config, &job, Mode::Plan, flags, out).await
        }
        Command::Run {
            config,
            job,
            dry_run,
            full,
            now,
            period,
        } => {
            let flags = Flags {
                full,
                period: period.as_deref(),
                now: now.as_deref(),
                ..Flags::default()
            };
            let mode = if dry_run { Mode::DryRun } else { Mode::Run };
            job_command(&config, &job, mode, flags, out).await
        }
        Command::Explain {
            config,
            what,
            id,
            now,
        } => explain_cmd(&config, &what, id, now.as_deref(), out).await,
        Command::Undo { config, run_id } => undo_cmd(&config, &run_id, out).await,
        Command::Runs { config, limit } => runs::runs_cmd(&config, limit, out),
        Command::Show { config, run_id } => runs::show_cmd(&config, &run_id, out).await,
        Command::Setup { config } => setup_cmd(&config, out).await,
        Command::Config {
            action: ConfigAction::Example,
        } => write_out(out, config::EXAMPLE),
        Command::Daemon { config } => {
            let registry: std::sync::Arc<crate::daemon::Registry> =
                std::sync::Arc::new(crate::jobs::registry);
            crate::daemon::run_with_signals(&config, registry)
                .await
                .map_err(|e| match e {
                    crate::daemon::DaemonError::Config(c) => Failure::Config(c),
                    other => Failure::Failed(other.into()),
                })
        }
        Command::Leaderboard {
            config,
            challenge,
            fair,
            csv: _,
            date,
            report: Some(span),
            out: dir,
        } => report_cmd(&config, &challenge, fair, span, date.as_deref(), &dir, out).await,
        Command::Leaderboard {
            config,
            challenge,
            fair,
            csv,
            date,
            report: None,
            out: _,
        } => leaderboard_cmd(&config, &challenge, fair, csv, date.as_deref(), out).await,
        Command::Demo {
            seed,
            leads,
            today,
            odoo,
        } => {
            let spec = dataset_spec(seed, leads, today.as_deref())?;
            crate::demo::command::run(spec, odoo, out).await
        }
        Command::Sim {
            data,
            port,
            demo,
            seed,
            leads,
            today,
            odoo,
        } => {
            let dataset = if demo {
                Some(dataset_spec(seed, leads, today.as_deref())?)
            } else {
                None
            };
            let opts = crate::sim::command::SimOptions {
                data,
                port,
                dataset,
                odoo,
            };
            crate::sim::command::run(&opts, out, shutdown_signal())
                .await
                .map_err(|e| Failure::Failed(e.into()))
        }
    }
}

/// The demo dataset, dated so that its "today" is `today` (default: the clock's date), so
/// the current month's goals and leaderboards have data.
fn dataset_spec(
    seed: u64,
    leads: usize,
    today: Option<&str>,
) -> Result<crate::demo::DatasetSpec, Failure> {
    let today = match today {
        Some(_) => self::today(today).map_err(|e| match e {
            Failure::Invalid(e) => Failure::Invalid(e.context("--today")),
            other => other,
        })?,
        None => chrono::Utc::now().date_naive(),
    };
    Ok(crate::demo::DatasetSpec {
        seed,
        today,
        ..crate::demo::DatasetSpec::with_leads(leads)
    })
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
    if let Some(choice) = client.protocol() {
        write_out(out, &format!("wire    {choice}\n"))?;
    }
    let profile = crate::odoo::Profile::for_version(&version);
    write_out(out, &format!("profile {profile}: {}\n", profile.assignment))?;
    if let Some(w) = profile.untested() {
        write_out(out, &format!("warning {w}\n"))?;
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

    let verified = crate::check::verify_config(&client, &cfg)
        .await
        .map_err(|e| odoo_failure(e, "cannot verify the config against Odoo"))?;
    for note in &verified.notes {
        write_out(out, &format!("note    {note}\n"))?;
    }
    if !verified.diagnostics.is_empty() {
        return Err(Failure::Config(ConfigError::Invalid(verified.diagnostics)));
    }
    write_out(
        out,
        &format!(
            "fields  {} named by the config, on {} models: all exist\n\
             access  {} rights the jobs need: all granted to {}\n",
            verified.fields, verified.models, verified.rights, cfg.odoo.login
        ),
    )?;
    if cfg.gamification.is_some() {
        let found = crate::check::duplicates(&client)
            .await
            .map_err(gamification_failure)?;
        if found.is_empty() {
            write_out(
                out,
                "records no duplicate goal, badge grant or karma entry\n",
            )?;
        }
        for d in &found {
            let ids: Vec<String> = d.ids.iter().map(ToString::to_string).collect();
            write_out(
                out,
                &format!(
                    "warning duplicate {} ({}): ids {} — the next `run gamification` repairs it (keeps the oldest, deletes the others; a karma duplicate gets its own key and a correcting entry), journaled and undoable\n",
                    d.model,
                    d.what,
                    ids.join(", ")
                ),
            )?;
        }
    }
    write_out(out, "OK\n")
}

/// An Odoo error while doing `what`: exit 3 when Odoo is unreachable or refused the login,
/// else exit 1.
fn odoo_failure(e: OdooError, what: &str) -> Failure {
    let unreachable = e.is_unreachable_or_auth();
    let e = anyhow::Error::new(e).context(what.to_owned());
    if unreachable {
        Failure::Unreachable(e)
    } else {
        Failure::Failed(e)
    }
}

/// What `check` verifies against the server, before a command writes anything: a config
/// mistake is exit 2 with nothing written.
async fn preflight(client: &OdooClient, cfg: &config::Config) -> Result<(), Failure> {
    let verified = crate::check::verify_config(client, cfg)
        .await
        .map_err(|e| odoo_failure(e, "cannot verify the config against Odoo"))?;
    if verified.diagnostics.is_empty() {
        Ok(())
    } else {
        Err(Failure::Config(ConfigError::Invalid(verified.diagnostics)))
    }
}

// ---- the scoring job's commands (plan, run, explain, undo, setup) ----

fn parse_now(now: Option<&str>) -> Result<chrono::NaiveDateTime, Failure> {
    match now {
        None => Ok(chrono::Utc::now().naive_utc()),
        Some(s) => chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S")
            .with_context(|| format!("--now {s:?} is not YYYY-MM-DD HH:MM:SS"))
            .map_err(Failure::Failed),
    }
}

/// Loads the config, checks the job name and logs in.
async fn job_setup(
    path: &std::path::Path,
    job: &str,
) -> Result<(config::Config, OdooClient), Failure> {
    if !matches!(job, "scoring" | "leads") {
        return Err(Failure::Invalid(anyhow::anyhow!(
            "unknown job {job:?}: the jobs are `scoring` (lead scoring and routing), `gamification` and `all`"
        )));
    }
    let (cfg, client) = login(path).await?;
    if cfg.scoring.is_none() {
        return Err(Failure::Failed(anyhow::anyhow!(
            "{} has no [scoring] section",
            path.display()
        )));
    }
    Ok((cfg, client))
}

fn job_failure(e: crate::jobs::scoring::JobError) -> Failure {
    use crate::jobs::scoring::JobError;
    match e {
        JobError::Odoo(o) if o.is_unreachable_or_auth() => Failure::Unreachable(o.into()),
        e @ JobError::Unreachable { .. } => Failure::Unreachable(e.into()),
        other => Failure::Failed(other.into()),
    }
}

fn open_state(cfg: &config::Config) -> Result<crate::state::State, Failure> {
    crate::state::State::open(&cfg.state.path)
        .with_context(|| {
            format!(
                "cannot open the state database {}",
                cfg.state.path.display()
            )
        })
        .map_err(Failure::Failed)
}

fn evaluation_text(
    eval: &crate::jobs::scoring::Evaluation,
    calls: &crate::odoo::MetricsSnapshot,
) -> String {
    use crate::jobs::scoring::PassKind;
    let pass = match &eval.kind {
        PassKind::Full => "full".to_owned(),
        PassKind::Incremental { since, .. } => format!("incremental (written since {since})"),
        PassKind::Leads(ids) => format!("leads {ids:?}"),
    };
    let mut out = format!(
        "pass    {pass}: {} leads read, {} RPC calls, {} bytes sent, {} received\n",
        eval.leads_read, calls.calls, calls.bytes_sent, calls.bytes_received
    );
    out.push_str(&eval.summary_text(10));
    out
}

/// `scorekeeper plan -c FILE [JOB] [--json]`.
pub async fn plan_cmd(
    path: &std::path::Path,
    job: &str,
    json: bool,
    full: bool,
    now: Option<&str>,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    use crate::jobs::scoring::{RunOptions, ScoringJob};
    let now = parse_now(now)?;
    let (cfg, client) = job_setup(path, job).await?;
    let state = open_state(&cfg)?;
    let Some(scoring) = cfg.scoring.as_ref() else {
        return Ok(());
    };
    let job = ScoringJob::new(&client, scoring, cfg.assignment.as_ref());
    let kind = job
        .next_pass(&state, &RunOptions { now, full })
        .map_err(job_failure)?;
    let eval = job.evaluate(kind, now).await.map_err(job_failure)?;
    let metrics = client.metrics();
    let calls = metrics.calls;
    if json {
        let doc = serde_json::json!({
            "pass": match &eval.kind {
                crate::jobs::scoring::PassKind::Full => "full",
                _ => "incremental",
            },
            "leads_read": eval.leads_read,
            "bands": eval.band_counts.iter().map(|(b, n)| serde_json::json!({"band": b, "leads": n})).collect::<Vec<_>>(),
            "rpc_calls": calls,
            "scoring": eval.scoring_plan.to_json(),
            "assignment": eval.assignment_plan.to_json(),
        });
        write_out(out, &format!("{doc:#}\n"))
    } else {
        write_out(out, &evaluation_text(&eval, &metrics))
    }
}

/// `scorekeeper run -c FILE [JOB] [--dry-run]`.
pub async fn run_cmd(
    path: &std::path::Path,
    job: &str,
    dry_run: bool,
    full: bool,
    now: Option<&str>,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    use crate::jobs::scoring::{RunOptions, ScoringJob};
    let now = parse_now(now)?;
    let (cfg, client) = job_setup(path, job).await?;
    // A client of its own, so the pass's call counts stay the job's.
    let verifier = OdooClient::from_config(&cfg.odoo).map_err(|e| Failure::Failed(e.into()))?;
    preflight(&verifier, &cfg).await?;
    let mut state = open_state(&cfg)?;
    let Some(scoring) = cfg.scoring.as_ref() else {
        return Ok(());
    };
    // SIGTERM/SIGINT: the call in flight finishes and is journaled, the rest is journaled as
    // not attempted, and the command exits 0 saying so (as the daemon does).
    let cancel = tokio_util::sync::CancellationToken::new();
    let _signals = crate::daemon::cancel_on_signals(cancel.clone());
    let job = ScoringJob::new(&client, scoring, cfg.assignment.as_ref()).with_cancel(cancel);
    let report = job
        .run(&mut state, &RunOptions { now, full }, dry_run)
        .await
        .map_err(job_failure)?;
    let mut text = evaluation_text(&report.evaluation, &client.metrics());
    let mut failed = false;
    for r in report.applied() {
        text.push_str(&format!("{r}\n"));
        failed |= !r.is_success() && !r.interrupted;
    }
    if dry_run {
        text.push_str("dry run: nothing written\n");
    }
    write_out(out, &text)?;
    if failed {
        return Err(Failure::Failed(anyhow::anyhow!(
            "some writes failed; the journal keeps them for the next run to reconcile"
        )));
    }
    Ok(())
}

/// `scorekeeper explain -c FILE lead N`.
pub async fn explain_cmd(
    path: &std::path::Path,
    what: &str,
    id: i64,
    now: Option<&str>,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    if what != "lead" {
        return Err(Failure::Failed(anyhow::anyhow!(
            "cannot explain {what:?}: only `lead N` is supported"
        )));
    }
    let now = parse_now(now)?;
    let (cfg, client) = job_setup(path, "scoring").await?;
    let Some(scoring) = cfg.scoring.as_ref() else {
        return Ok(());
    };
    let job = crate::jobs::scoring::ScoringJob::new(&client, scoring, cfg.assignment.as_ref());
    let text = job.explain(id, now).await.map_err(job_failure)?;
    write_out(out, &text)
}

/// `scorekeeper undo -c FILE RUN_ID`.
pub async fn undo_cmd(
    path: &std::path::Path,
    run_id: &str,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    let (cfg, client) = login(path).await?;
    let mut state = open_state(&cfg)?;
    // The jobs' writer knows where every keyed model keeps its keys (goals by line, user and
    // period; grants, karma and statements in `x_sk_key`): undo may re-create or reverse those.
    let writer = crate::jobs::writer(&client);
    let opts = crate::apply::ApplyOptions {
        batch_size: client.batch_size(),
        request_deadline: client.request_deadline(),
        ..crate::apply::ApplyOptions::default()
    };
    let report = crate::apply::undo(
        &crate::state::RunId::from(run_id),
        &mut state,
        &writer,
        &opts,
    )
    .await
    .map_err(|e| Failure::Failed(e.into()))?;
    write_out(out, &format!("{report}\n"))
}

/// `scorekeeper setup -c FILE`.
pub async fn setup_cmd(path: &std::path::Path, out: &mut dyn Write) -> Result<(), Failure> {
    if config::load(path)?.pay.is_some() {
        let (cfg, client) = login(path).await?;
        let report = crate::jobs::pay::setup(&client)
            .await
            .map_err(|e| odoo_failure(e, "cannot provision the statement models"))?;
        let mut lines: Vec<String> = report
            .created
            .iter()
            .map(|c| format!("pay     {c}: created"))
            .collect();
        lines.extend(report.already_there.iter().map(|c| format!("exists  {c}")));
        write_out(out, &(lines.join("\n") + "\n"))?;
        if cfg.scoring.is_none() {
            return write_out(out, "OK\n");
        }
    }
    let (cfg, client) = job_setup(path, "scoring").await?;
    let Some(scoring) = cfg.scoring.as_ref() else {
        return Ok(());
    };
    // What setup writes for gamification (definitions, challenges with their user_domain) is
    // verified before anything is written; the score field and band tags are setup's to
    // create, so the rest of `check` waits for them.
    let verified = crate::check::verify_config(&client, &cfg)
        .await
        .map_err(|e| odoo_failure(e, "cannot verify the config against Odoo"))?;
    let blocking: Vec<_> = verified
        .diagnostics
        .into_iter()
        .filter(|d| d.key.starts_with("gamification.") && !d.message.contains(&scoring.score_field))
        .collect();
    if !blocking.is_empty() {
        return Err(Failure::Config(ConfigError::Invalid(blocking)));
    }
    let mut lines = crate::jobs::scoring::setup::setup(&client, scoring)
        .await
        .map_err(job_failure)?;
    if let Some(gcfg) = cfg.gamification.as_ref() {
        let report = crate::jobs::gamification::setup(&client, gcfg)
            .await
            .map_err(gamification_failure)?;
        lines.extend(report.key_fields.iter().cloned());
        lines.extend(
            report
                .definitions_created
                .iter()
                .map(|d| format!("goal    definition {d}: created")),
        );
        lines.extend(
            report
                .challenges_created
                .iter()
                .map(|c| format!("challenge {c}: created")),
        );
        lines.extend(report.already_there.iter().map(|c| format!("exists  {c}")));
    }
    write_out(out, &(lines.join("\n") + "\nOK\n"))
}

/// Loads the config and logs in for a job that needs `section`.
async fn login(path: &std::path::Path) -> Result<(config::Config, OdooClient), Failure> {
    let cfg = config::load(path)?;
    let client = OdooClient::from_config(&cfg.odoo).map_err(|e| Failure::Failed(e.into()))?;
    client.authenticate().await.map_err(|e| {
        let e = anyhow::Error::new(e).context(format!("cannot log in to {}", cfg.odoo.url));
        Failure::Unreachable(e)
    })?;
    // Fixes the version profile now, so a server outside the tested range is warned about
    // by every command (the client logs the warning once).
    client
        .profile()
        .await
        .map_err(|e| odoo_failure(e, "cannot read the Odoo version"))?;
    Ok((cfg, client))
}

fn gamification_failure(e: crate::jobs::gamification::GamificationError) -> Failure {
    use crate::jobs::gamification::GamificationError;
    match e {
        GamificationError::Odoo(o) if o.is_unreachable_or_auth() => Failure::Unreachable(o.into()),
        other => Failure::Failed(other.into()),
    }
}

fn today(date: Option<&str>) -> Result<chrono::NaiveDate, Failure> {
    match date {
        None => Ok(chrono::Utc::now().date_naive()),
        Some(s) => chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .with_context(|| format!("{s:?} is not a YYYY-MM-DD date"))
            .map_err(Failure::Invalid),
    }
}

/// `scorekeeper plan -c FILE gamification [--json]`: goals to create and update, badges and
/// karma entries the configured challenges would produce now; writes nothing.
pub async fn gamification_plan_cmd(
    path: &std::path::Path,
    json: bool,
    now: Option<&str>,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    let today = match now {
        Some(_) => parse_now(now)?.date(),
        None => chrono::Utc::now().date_naive(),
    };
    let (cfg, client) = login(path).await?;
    let Some(gcfg) = cfg.gamification.as_ref() else {
        return Err(Failure::Invalid(anyhow::anyhow!(
            "{} has no [gamification] section",
            path.display()
        )));
    };
    let opts = crate::jobs::gamification::Options::from_config(gcfg, today);
    let outcome = crate::jobs::gamification::plan(&client, &opts)
        .await
        .map_err(gamification_failure)?;
    // The karma entries `run` books after the goals: a plan shows everything a run writes.
    let karma = crate::jobs::gamification::karma_plan(&client, &gcfg.point_rules)
        .await
        .map_err(gamification_failure)?;
    if json {
        let mut all = outcome.plan.clone();
        for change in karma.changes() {
            all.push(change);
        }
        let mut json = all.to_json();
        if let Some(obj) = json.as_object_mut() {
            obj.insert(
                "odoo_side_effects".into(),
                outcome
                    .side_effects
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .into(),
            );
        }
        write_out(out, &format!("{json:#}\n"))
    } else {
        write_out(
            out,
            &format!(
                "{outcome}\nkarma: {} entr{} to book\n{karma}",
                karma.create_count(),
                if karma.create_count() == 1 {
                    "y"
                } else {
                    "ies"
                }
            ),
        )
    }
}

/// `scorekeeper run -c FILE gamification|all`: the scheduler's jobs, once each, at `now`
/// (default: the clock).
pub async fn run_jobs_cmd(
    path: &std::path::Path,
    job: &str,
    now: Option<chrono::NaiveDateTime>,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    let only = (job != "all").then_some(job);
    let at = now.map(|n| n.and_utc());
    match crate::daemon::run_command(path, &crate::jobs::registry, only, at).await {
        Ok(outcomes) => {
            let mut text = String::new();
            for (name, outcome) in outcomes {
                text.push_str(&format!(
                    "{name}: {} ({} changes written, {} RPC calls)\n",
                    outcome.summary, outcome.changes_written, outcome.rpc_calls
                ));
                if outcome.interrupted {
                    text.push_str(&format!(
                        "{name}: interrupted on request (SIGTERM/SIGINT): what was written is journaled; the next run does the rest\n"
                    ));
                }
            }
            write_out(out, &text)
        }
        Err(e) => Err(match e.exit_code() {
            2 => match e {
                crate::daemon::RunCommandError::Config(c) => Failure::Config(c),
                other => Failure::Invalid(other.into()),
            },
            3 => Failure::Unreachable(e.into()),
            _ => Failure::Failed(e.into()),
        }),
    }
}

/// `scorekeeper leaderboard -c FILE CHALLENGE [--fair] [--csv]`.
pub async fn leaderboard_cmd(
    path: &std::path::Path,
    challenge: &str,
    fair: bool,
    csv: bool,
    date: Option<&str>,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    use crate::gamification::ranking::Order;
    let today = today(date)?;
    let (_cfg, client) = login(path).await?;
    let order = if fair { Order::Fair } else { Order::Odoo };
    let board = crate::jobs::gamification::leaderboard(&client, challenge, today, order)
        .await
        .map_err(gamification_failure)?;
    write_out(
        out,
        &if csv {
            board.to_csv()
        } else {
            board.to_table()
        },
    )
}

/// `scorekeeper plan -c FILE gamification --since DATE`: the trial run of the point rules.
pub async fn gamification_trial_cmd(
    path: &std::path::Path,
    since: &str,
    json: bool,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    let since = today(Some(since))?;
    let (cfg, client) = login(path).await?;
    let Some(gcfg) = cfg.gamification.as_ref() else {
        return Err(Failure::Invalid(anyhow::anyhow!(
            "{} has no [gamification] section",
            path.display()
        )));
    };
    let plan = crate::jobs::gamification::trial(&client, &gcfg.point_rules, since)
        .await
        .map_err(gamification_failure)?;
    if json {
        write_out(out, &format!("{:#}\n", plan.to_json()))
    } else {
        write_out(
            out,
            &format!(
                "trial run since {since} (nothing is written)\n{}",
                plan.summary(20)
            ),
        )
    }
}

/// `scorekeeper plan -c FILE points --since DATE [--until DATE]`: the trial run of the point
/// rules, per person, against what Odoo holds.
async fn points_trial_cmd(
    path: &std::path::Path,
    since: Option<&str>,
    until: Option<&str>,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    let since = today(since)?;
    let until = today(until)?;
    if until < since {
        return Err(Failure::Invalid(anyhow::anyhow!(
            "--until {until} is before --since {since}"
        )));
    }
    let (cfg, client) = login(path).await?;
    let Some(gcfg) = cfg.gamification.as_ref() else {
        return Err(Failure::Invalid(anyhow::anyhow!(
            "{} has no [gamification] section",
            path.display()
        )));
    };
    let trial = crate::jobs::gamification::trial_report(&client, &gcfg.point_rules, since, until)
        .await
        .map_err(gamification_failure)?;
    write_out(out, &trial.to_string())
}

/// `scorekeeper leaderboard -c FILE CHALLENGE --report month|quarter [--out DIR]`: the ranking
/// over the month or quarter holding `--date`, written as `<slug>-<from>.csv` and `.html`.
pub async fn report_cmd(
    path: &std::path::Path,
    challenge: &str,
    fair: bool,
    span: ReportSpan,
    date: Option<&str>,
    dir: &std::path::Path,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    use crate::gamification::ranking::Order;
    use chrono::Datelike;
    let day = today(date)?;
    let (first_month, months) = match span {
        ReportSpan::Month => (day.month(), 1),
        ReportSpan::Quarter => ((day.month0() / 3) * 3 + 1, 3),
    };
    let from = chrono::NaiveDate::from_ymd_opt(day.year(), first_month, 1)
        .context("no such month")
        .map_err(Failure::Failed)?;
    let to = from
        .checked_add_months(chrono::Months::new(months))
        .and_then(|d| d.pred_opt())
        .context("date out of range")
        .map_err(Failure::Failed)?;
    let (_cfg, client) = login(path).await?;
    let order = if fair { Order::Fair } else { Order::Odoo };
    let board = crate::jobs::gamification::ranking_report(&client, challenge, from, to, order)
        .await
        .map_err(gamification_failure)?;
    let slug: String = challenge
        .chars()
        .map(|c| {
            if c.is_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    // The fair ranking is another report: its own file names, so neither overwrites the other.
    let kind = match (span, fair) {
        (ReportSpan::Month, false) => "month",
        (ReportSpan::Month, true) => "month-fair",
        (ReportSpan::Quarter, false) => "quarter",
        (ReportSpan::Quarter, true) => "quarter-fair",
    };
    let csv_path = dir.join(format!("{slug}-{from}-{kind}.csv"));
    let html_path = dir.join(format!("{slug}-{from}-{kind}.html"));
    std::fs::create_dir_all(dir)
        .and_then(|()| std::fs::write(&csv_path, board.to_csv()))
        .and_then(|()| std::fs::write(&html_path, board.to_html()))
        .with_context(|| format!("cannot write the report into {}", dir.display()))
        .map_err(Failure::Failed)?;
    write_out(
        out,
        &format!(
            "{}wrote {} and {}\n",
            board.to_table(),
            csv_path.display(),
            html_path.display()
        ),
    )
}

// ---- pay (issue 14) ----

/// The `[pay]` section, the period asked for (default: the current month, or quarter when
/// every plan is quarterly) and today.
async fn pay_context(
    path: &std::path::Path,
    period: Option<&str>,
    now: Option<&str>,
) -> Result<
    (
        config::Config,
        OdooClient,
        crate::pay::Period,
        chrono::NaiveDate,
    ),
    Failure,
> {
    let (cfg, client) = login(path).await?;
    let Some(pay) = cfg.pay.as_ref() else {
        return Err(Failure::Invalid(anyhow::anyhow!(
            "{} has no [pay] section",
            path.display()
        )));
    };
    let today = parse_now(now)?.date();
    let period = match period {
        Some(p) => {
            crate::pay::Period::parse(p).map_err(|e| Failure::Invalid(anyhow::anyhow!(e)))?
        }
        None => crate::jobs::pay::current_period(pay, today),
    };
    Ok((cfg, client, period, today))
}

fn pay_failure(e: crate::jobs::pay::PayJobError) -> Failure {
    use crate::jobs::pay::PayJobError;
    match e {
        PayJobError::Odoo(o) if o.is_unreachable_or_auth() => Failure::Unreachable(o.into()),
        // A locked period or overlapping plans: refused with the reason, nothing written.
        PayJobError::Engine(e) => Failure::Invalid(e.into()),
        other => Failure::Failed(other.into()),
    }
}

/// `plan pay [--period P]` (`write` false) and `run pay [--period P]`.
async fn pay_cmd(
    path: &std::path::Path,
    period: Option<&str>,
    now: Option<&str>,
    write: bool,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    let asked = period.is_some();
    let (cfg, client, period, today) = pay_context(path, period, now).await?;
    let Some(pay) = cfg.pay.as_ref() else {
        return Ok(());
    };
    let opts = crate::apply::ApplyOptions {
        batch_size: client.batch_size(),
        request_deadline: client.request_deadline(),
        ..crate::apply::ApplyOptions::default()
    };
    let mut state = if write {
        Some(crate::state::State::open(&cfg.state.path).map_err(|e| Failure::Failed(e.into()))?)
    } else {
        None
    };
    let mut text = String::new();
    // Without --period, the period that just closed is locked first (see `run_current`).
    let outcome = if asked {
        crate::jobs::pay::run(&client, state.as_mut(), pay, period, today, &opts).await
    } else {
        crate::jobs::pay::run_current(&client, state.as_mut(), pay, today, &opts)
            .await
            .map(|(closed, outcome)| {
                if let Some(c) = closed {
                    text.push_str(&format!(
                        "closed    {}: {} statement(s) locked\n",
                        period.previous(),
                        c.statements.len()
                    ));
                }
                outcome
            })
    }
    .map_err(pay_failure)?;
    let d = pay.currency_decimals;
    for s in &outcome.statements {
        let lock = if s.locked { ", locks" } else { "" };
        text.push_str(&format!(
            "statement {} {}: {} ({} lines{lock})\n",
            s.period,
            s.name,
            s.total.display(d),
            s.lines.len()
        ));
    }
    text.push_str(&format!(
        "changes   {} statement(s), {} line change(s){}\n",
        outcome.statement_plan.len(),
        outcome.line_plan.len(),
        if write {
            ""
        } else {
            " planned; nothing written"
        }
    ));
    for r in &outcome.reports {
        if !r.is_success() {
            write_out(out, &text)?;
            return Err(Failure::Failed(anyhow::anyhow!("{r}")));
        }
    }
    write_out(out, &text)
}

/// `statement --period P --user LOGIN` (a table) or `statement --period P --csv`.
async fn statement_cmd(
    path: &std::path::Path,
    period: &str,
    user: Option<&str>,
    export: Option<&str>,
    width: usize,
    now: Option<&str>,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    let (cfg, client, period, today) = pay_context(path, Some(period), now).await?;
    let Some(pay) = cfg.pay.as_ref() else {
        return Ok(());
    };
    let (statements, _) = crate::jobs::pay::compute(&client, pay, period, today)
        .await
        .map_err(pay_failure)?;
    let d = pay.currency_decimals;
    match export {
        Some("csv") => return write_out(out, &crate::jobs::pay::render::to_csv(&statements, d)),
        Some(_) => return write_out(out, &crate::jobs::pay::render::to_html(&statements, d)),
        None => {}
    }
    let Some(login) = user else {
        return Err(Failure::Invalid(anyhow::anyhow!(
            "give --user LOGIN for a table, or --csv / --html for every statement"
        )));
    };
    let ids = client
        .search(
            "res.users",
            vec![crate::odoo::leaf("login", "=", login)],
            &Default::default(),
        )
        .await
        .map_err(|e| odoo_failure(e, "cannot find the user"))?;
    let Some(s) = statements.iter().find(|s| ids.contains(&s.user)) else {
        return Err(Failure::Invalid(anyhow::anyhow!(
            "{login} has no statement in {period} (not in any plan of that period)"
        )));
    };
    write_out(out, &crate::jobs::pay::render::to_table(s, d, width))
}
