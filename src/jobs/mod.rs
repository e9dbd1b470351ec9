//! Jobs: read → evaluate (pure engines) → plan → apply, one module per job. A job owns its
//! Odoo reading strategy and its cursors; the engines never see the client. [`registry`] maps
//! a configuration to the scheduled jobs `run` and `daemon` execute.

pub mod gamification;
pub mod pay;
pub mod scoring;
pub mod webhooks;

use std::sync::Arc;

use crate::config::Config;
use crate::odoo::{ClientWriter, OdooClient};
use crate::scheduler::{JobError, Schedule, ScheduledJob};

/// How the jobs apply through `client`: its batch size, request deadline and
/// `[odoo] max_concurrency`. Apply sends write groups that share no record in waves of that
/// many calls and keeps everything else (creates, whose ids later changes need; unlinks) one
/// call at a time, so a job whose later changes depend on earlier ones splits them into
/// passes, as pay does (statements, then their lines) and gamification does (goals, then the
/// challenge starts that would generate them).
pub fn apply_options(client: &OdooClient) -> crate::apply::ApplyOptions {
    crate::apply::ApplyOptions {
        batch_size: client.batch_size(),
        request_deadline: client.request_deadline(),
        concurrency: client.max_concurrency(),
        ..crate::apply::ApplyOptions::default()
    }
}

/// The client writer knowing where every job's keyed models keep their keys (gamification:
/// goals, grants, karma; pay: statements and lines): what the jobs, undo and the CLI apply
/// with.
pub fn writer(client: &OdooClient) -> ClientWriter<'_> {
    ClientWriter::new(client)
        .with_keys(gamification::key_lookups())
        .with_keys(pay::models::key_lookups())
        .with_keys([(
            crate::gamification::recognition::MESSAGE,
            crate::odoo::KeyLookup::Field {
                field: gamification::KEY_FIELD,
                legacy_text: None,
            },
        )])
}

/// Default crontab lines when a section sets none: scoring every 10 minutes, gamification
/// hourly (Odoo's own cron refreshes goals once a day).
const DEFAULT_SCORING: &str = "*/10 * * * *";
const DEFAULT_GAMIFICATION: &str = "0 * * * *";
/// Pay statements nightly: they follow invoices, not minutes.
const DEFAULT_PAY: &str = "0 2 * * *";

/// The jobs a configuration enables, in the order `run` without a job name executes them
/// (scoring before gamification: routing and goals read the scores' effects).
pub fn registry(config: &Config) -> Result<Vec<ScheduledJob>, JobError> {
    let tz = config.daemon.time_zone;
    let mut jobs = Vec::new();
    if let Some(scoring) = &config.scoring {
        let line = scoring.schedule.as_deref().unwrap_or(DEFAULT_SCORING);
        jobs.push(ScheduledJob {
            job: Arc::new(scoring::scheduled::ScheduledScoring),
            schedule: Schedule::parse(line, "UTC")?.in_time_zone(tz),
        });
    }
    if let Some(gamification) = &config.gamification {
        let line = gamification
            .schedule
            .as_deref()
            .unwrap_or(DEFAULT_GAMIFICATION);
        jobs.push(ScheduledJob {
            job: Arc::new(gamification::GamificationJob),
            schedule: Schedule::parse(line, "UTC")?.in_time_zone(tz),
        });
    }
    if let Some(pay) = &config.pay {
        let line = pay.schedule.as_deref().unwrap_or(DEFAULT_PAY);
        jobs.push(ScheduledJob {
            job: Arc::new(pay::PayJob),
            schedule: Schedule::parse(line, "UTC")?.in_time_zone(tz),
        });
    }
    Ok(jobs)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::config::load_str;

    const HEAD: &str = "[odoo]\nurl = \"http://127.0.0.1:8069\"\ndatabase = \"db\"\nlogin = \"bot\"\npassword_env = \"PW\"\n";
    const PLAN: &str =
        "[[pay.plans]]\nkey = \"a\"\nname = \"A\"\nusers = [\"a\"]\nbasic = \"1%\"\n";

    fn registry_of(pay: &str) -> Vec<super::ScheduledJob> {
        let text = format!("{HEAD}{pay}");
        let config = load_str(Path::new("conf/pay.toml"), &text, &|n| {
            (n == "PW").then(|| "x".into())
        })
        .unwrap_or_else(|e| panic!("{e}"));
        super::registry(&config).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn pay_is_scheduled_nightly_unless_told_otherwise() {
        let jobs = registry_of(&format!("[pay]\n{PLAN}"));
        let names: Vec<&str> = jobs.iter().map(|j| j.job.name()).collect();
        assert_eq!(names, ["pay"]);
        assert_eq!(jobs[0].schedule.expr(), "0 2 * * *");
        let jobs = registry_of(&format!("[pay]\nschedule = \"30 1 * * *\"\n{PLAN}"));
        assert_eq!(jobs[0].schedule.expr(), "30 1 * * *");
    }
}
