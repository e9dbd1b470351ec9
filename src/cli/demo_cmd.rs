//! `scorekeeper demo`: starts the simulator in-process on a free port with the demo dataset,
//! writes a throwaway config pointing at it, runs `check` and every job once, and prints
//! what changed. This is README command 1, so it must work on a fresh clone with no set-up.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::NaiveDate;

use super::Failure;
use super::args::{DemoArgs, today as parse_date};
use super::check_cmd::check;
use super::sim_cmd::{self, SimOptions};
use crate::apply::ApplyOptions;
use crate::demo::DatasetSpec;
use crate::odoo::OdooClient;
use crate::state::State;

/// The demo's configuration (`config/demo.toml`, documented there; `demo_pay::CONFIG` is
/// appended to it). Its `[odoo]` url and
/// password source are rewritten at run time to point at the in-process simulator.
const DEMO_CONFIG: &str = include_str!("../../config/demo.toml");

/// `scorekeeper demo [--seed S] [--leads N] [--today DATE] [--odoo V]`.
pub(super) async fn command(args: &DemoArgs, out: &mut dyn Write) -> Result<(), Failure> {
    let spec = dataset_spec(args.seed, args.leads, args.today.as_deref())?;
    run(spec, args.odoo, out).await
}

/// Runs the demo with `spec` (the default dataset unless a test asks for another) on the
/// simulator of Odoo `odoo` (17 or 19).
async fn run(spec: DatasetSpec, odoo: i64, out: &mut dyn Write) -> Result<(), Failure> {
    let spec_today = spec.today;
    let pay_spec = spec.clone();
    let opts = SimOptions {
        data: None,
        port: 0,
        dataset: Some(spec),
        odoo,
        costs: None,
    };
    let (sim, summary) = sim_cmd::load(&opts).map_err(|e| Failure::Failed(e.into()))?;
    let pay_demo = crate::demo::pay::generate(&pay_spec, &mut *sim.write())
        .map_err(|e| Failure::Failed(e.into()))?;
    let database = sim.database().to_owned();
    // From Odoo 19 the demo's client speaks JSON-2 (`protocol = "auto"`, the config's
    // default), which takes API keys only: the password file holds admin's key there.
    let secret = match sim.api_key("admin") {
        Some(key) if sim.major() >= 19 => key,
        _ => "admin".to_owned(),
    };
    let listener = sim_cmd::bind(0)
        .await
        .map_err(|e| Failure::Failed(e.into()))?;
    let addr = listener
        .local_addr()
        .map_err(|e| Failure::Failed(e.into()))?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(crate::sim::serve(listener, Arc::new(sim), async {
        let _ = stopped.await;
    }));

    let workdir = WorkDir::create().map_err(|e| Failure::Failed(e.into()))?;
    let result = async {
        let config = workdir.write_config(&format!("http://{addr}"), &database, &secret)?;
        say(
            out,
            &format!("scorekeeper demo: Odoo {odoo} simulator on http://{addr}\n"),
        )?;
        if let Some(summary) = &summary {
            say(
                out,
                &format!(
                    "  demo dataset: {} leads ({} unassigned), {} salespeople and telemarketers, {} invoices, {} meetings, {} challenges\n\n",
                    summary.count("crm.lead"),
                    summary.unassigned_leads,
                    summary.users.len(),
                    summary.count("account.move"),
                    summary.count("calendar.event"),
                    summary.challenges.len(),
                ),
            )?;
        }
        // Setup first: `check` refuses a config whose score field or band tags are missing.
        setup(&config, out).await?;
        super::demo_pay::setup(&config, &pay_demo, out).await?;
        say(out, "\n== check\n")?;
        check(&config, out).await?;
        jobs(&config, spec_today, out).await?;
        super::demo_pay::statements(&config, spec_today, out).await?;
        say(out, "\ndemo finished: every job ran against the simulator; the second scoring run changed no score (routing hands out one more day of each salesperson's quota per run, as Odoo's assignment does).\n")
    }
    .await;
    let _ = stop.send(());
    let _ = server.await;
    result
}

/// The demo dataset, dated so that its "today" is `today` (default: the clock's date), so
/// the current month's goals and leaderboards have data.
pub(super) fn dataset_spec(
    seed: u64,
    leads: usize,
    today: Option<&str>,
) -> Result<crate::demo::DatasetSpec, Failure> {
    let today = match today {
        Some(_) => parse_date(today).map_err(|e| match e {
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

/// Creates the score field and band tags the demo config needs.
async fn setup(config: &Path, out: &mut dyn Write) -> Result<(), Failure> {
    let failed = |e: &dyn std::fmt::Display| Failure::Failed(anyhow::anyhow!("{e}"));
    let cfg = crate::config::load(config)?;
    let Some(scoring) = cfg.scoring.as_ref() else {
        return Ok(());
    };
    let client = OdooClient::from_settings(&cfg.odoo.client_settings()).map_err(|e| failed(&e))?;
    say(out, "== setup\n")?;
    let mut lines = crate::jobs::scoring::setup::setup(&client, scoring)
        .await
        .map_err(|e| failed(&e))?;
    // The levels' badges (and any missing karma rank).
    if let Some(gcfg) = cfg.gamification.as_ref() {
        let report = crate::jobs::gamification::setup(&client, gcfg)
            .await
            .map_err(|e| failed(&e))?;
        lines.extend(report.levels);
    }
    say(out, &(lines.join("\n") + "\n"))
}

/// Runs scoring/routing and gamification once with the dataset's "today" as the clock (so the
/// demo prints the same figures every time), then scoring again to show it writes nothing.
async fn jobs(config: &Path, today: NaiveDate, out: &mut dyn Write) -> Result<(), Failure> {
    use crate::jobs::gamification::{self as gamification, Options};
    use crate::jobs::scoring::{RunOptions, ScoringJob};

    let failed = |e: &dyn std::fmt::Display| Failure::Failed(anyhow::anyhow!("{e}"));
    let cfg = crate::config::load(config)?;
    let client = OdooClient::from_settings(&cfg.odoo.client_settings()).map_err(|e| failed(&e))?;
    client.authenticate().await.map_err(|e| failed(&e))?;
    let mut state = State::open(&cfg.state.path).map_err(|e| failed(&e))?;
    let now = today.and_hms_opt(9, 0, 0).unwrap_or_default();

    if let Some(scoring) = cfg.scoring.as_ref() {
        let job = ScoringJob::new(&client, scoring, cfg.assignment.as_ref());
        for round in ["first run", "second run"] {
            let before = client.metrics().calls;
            let report = job
                .run(
                    &mut state,
                    &RunOptions {
                        now,
                        full: round == "first run",
                    },
                    false,
                )
                .await
                .map_err(|e| failed(&e))?;
            let eval = &report.evaluation;
            let mut text = format!(
                "\n== scoring and routing, {round}: {} leads read, {} RPC calls\n",
                eval.leads_read,
                client.metrics().calls - before
            );
            let names = super::scoring_cmd::example_names(&client, eval, 5).await;
            text.push_str(&eval.summary_text(5, &names));
            for r in report.applied() {
                text.push_str(&format!("{r}\n"));
            }
            say(out, &text)?;
        }
    }

    if let Some(gcfg) = cfg.gamification.as_ref() {
        let opts = Options::from_config(gcfg, today).with_recognition(cfg.recognition.clone());
        let apply_opts = crate::jobs::apply_options(&client);
        let before = client.metrics().calls;
        let (outcome, report) = gamification::run(&client, &mut state, &opts, &apply_opts)
            .await
            .map_err(|e| failed(&e))?;
        say(
            out,
            &format!(
                "\n== gamification ({} RPC calls)\n{outcome}\n{report}\n",
                client.metrics().calls - before
            ),
        )?;
        if !gcfg.point_rules.is_empty() || !gcfg.team_points.is_empty() {
            let plan = gamification::karma_plan_with(&client, &gcfg.point_rules, &gcfg.team_points)
                .await
                .map_err(|e| failed(&e))?;
            let report = apply_plan(&client, &mut state, &plan, &apply_opts).await?;
            say(out, &format!("\n== karma\n{}{report}\n", plan.summary(5)))?;
        }
        if !gcfg.levels.is_empty() {
            let pass = gamification::level_plan(&client, gcfg)
                .await
                .map_err(|e| failed(&e))?;
            let report = apply_plan(&client, &mut state, &pass.plan, &apply_opts).await?;
            say(out, &format!("\n== levels\n{}{report}\n", pass.summary(5)))?;
        }
        if !gcfg.badge_rules.is_empty() {
            let pass = gamification::achievement_plan(&client, gcfg)
                .await
                .map_err(|e| failed(&e))?;
            let report = apply_plan(&client, &mut state, &pass.plan, &apply_opts).await?;
            say(
                out,
                &format!("\n== achievements\n{}{report}\n", pass.summary(5)),
            )?;
        }
        for challenge in ["Monthly Sales Targets", "Appointment Setting"] {
            let board = gamification::leaderboard(
                &client,
                challenge,
                today,
                crate::gamification::ranking::Order::Odoo,
            )
            .await
            .map_err(|e| failed(&e))?;
            say(
                out,
                &format!("\n== leaderboard: {challenge}\n{}", board.to_table()),
            )?;
        }
    }
    Ok(())
}

pub(super) fn say(out: &mut dyn Write, text: &str) -> Result<(), Failure> {
    out.write_all(text.as_bytes())
        .map_err(|e| Failure::Failed(e.into()))
}

/// A private temporary directory for the demo's config, password file and state database,
/// removed when the demo ends.
struct WorkDir(PathBuf);

impl WorkDir {
    fn create() -> std::io::Result<WorkDir> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let dir =
            std::env::temp_dir().join(format!("scorekeeper-demo-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        Ok(WorkDir(dir))
    }

    fn path(&self) -> &Path {
        &self.0
    }

    /// Writes `demo.toml` (pointing at `url` and `database`) and the file with admin's
    /// `secret` (password or API key) next to it.
    fn write_config(&self, url: &str, database: &str, secret: &str) -> Result<PathBuf, Failure> {
        let io = |e: std::io::Error| Failure::Failed(e.into());
        std::fs::write(self.path().join("password"), format!("{secret}\n")).map_err(io)?;
        let config = self.path().join("demo.toml");
        let text = format!("{DEMO_CONFIG}\n{}", super::demo_pay::CONFIG);
        std::fs::write(&config, point_at(&text, url, database)).map_err(io)?;
        Ok(config)
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Rewrites the `[odoo]` connection lines of a config for the in-process simulator: its url,
/// its database, a password file next to the config, and a state database in the work
/// directory.
fn point_at(config: &str, url: &str, database: &str) -> String {
    let mut out = String::with_capacity(config.len() + 64);
    for line in config.lines() {
        let key = line.split('=').next().unwrap_or("").trim();
        let replacement = match key {
            "url" => format!("url = \"{url}\""),
            "database" => format!("database = \"{database}\""),
            "password_env" | "password_file" => "password_file = \"password\"".to_owned(),
            "path" if line.contains(".db") => "path = \"state.db\"".to_owned(),
            _ => line.to_owned(),
        };
        out.push_str(&replacement);
        out.push('\n');
    }
    out
}

/// Journals and applies one pass of the demo with the jobs' writer.
async fn apply_plan(
    client: &OdooClient,
    state: &mut State,
    plan: &crate::plan::Plan,
    opts: &ApplyOptions,
) -> Result<crate::apply::ApplyReport, Failure> {
    crate::apply::apply(plan, state, &crate::jobs::writer(client), opts)
        .await
        .map_err(|e| Failure::Failed(anyhow::anyhow!("{e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_config_is_pointed_at_the_simulator() {
        let text = point_at(DEMO_CONFIG, "http://127.0.0.1:4242", "crm19");
        assert!(text.contains("database = \"crm19\""));
        assert!(text.contains("url = \"http://127.0.0.1:4242\""));
        assert!(text.contains("password_file = \"password\""));
        assert!(!text.contains("password_env"));
        let config = crate::config::load_str(Path::new("/tmp/demo.toml"), &text, &|_| None);
        // The password file does not exist at this path: only that error may remain.
        if let Err(e) = config {
            assert!(e.to_string().contains("password"), "{e}");
        }
    }
}
