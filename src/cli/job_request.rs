//! Which job a `plan` or `run` names, in which mode, with which flags — and whether that job
//! can honour them. One table ([`ALLOWED`]) answers for every entry point, so the job list
//! (`scoring`, `gamification`, `all`) and the flags (`--full`, `--now`, `--since`, `--json`)
//! mean the same for `plan`, `run --dry-run` and `run`; a flag a job cannot honour is refused
//! with the reason (exit 2), never ignored. The daemon runs the same jobs from the registry
//! and takes no flags.

use std::fmt;
use std::str::FromStr;

/// A job `plan` and `run` accept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum JobName {
    /// Lead scoring, and routing when `[assignment]` is configured.
    Scoring,
    /// Challenges, badges and the karma of the point rules.
    Gamification,
    /// Every configured job, in the order the daemon runs them.
    All,
    /// The trial run of the point rules over history (`plan points --since DATE`); their
    /// entries are booked by the gamification job.
    Points,
    /// Commission statements of a period (`[pay]`).
    Pay,
}

impl FromStr for JobName {
    type Err = String;

    fn from_str(s: &str) -> Result<JobName, String> {
        match s {
            // `leads` is the older name of the scoring job.
            "scoring" | "leads" => Ok(JobName::Scoring),
            "gamification" => Ok(JobName::Gamification),
            "all" => Ok(JobName::All),
            "points" => Ok(JobName::Points),
            "pay" => Ok(JobName::Pay),
            other => Err(format!(
                "unknown job {other:?}: the jobs are `scoring` (lead scoring and routing), `gamification`, `pay` (commission statements) and `all` (and `plan points --since DATE`, the trial run of the point rules)"
            )),
        }
    }
}

impl fmt::Display for JobName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            JobName::Scoring => "scoring",
            JobName::Gamification => "gamification",
            JobName::All => "all",
            JobName::Points => "points",
            JobName::Pay => "pay",
        })
    }
}

/// What the command does with the job.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// `plan`: what a run would write.
    Plan,
    /// `run --dry-run`: the same, said as a run.
    DryRun,
    /// `run`: plan, journal, apply.
    Run,
}

/// The flags given with the command.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Flags<'a> {
    pub full: bool,
    pub json: bool,
    pub since: Option<&'a str>,
    pub until: Option<&'a str>,
    pub period: Option<&'a str>,
    pub now: Option<&'a str>,
}

/// Which flags a job honours in a mode.
#[derive(Clone, Copy, Debug)]
struct Allowed {
    full: bool,
    json: bool,
    since: bool,
    now: bool,
    period: bool,
}

const fn allowed(full: bool, json: bool, since: bool, now: bool) -> Allowed {
    Allowed {
        full,
        json,
        since,
        now,
        period: false,
    }
}

/// What the pay job honours: its period and the clock.
const PAY: Allowed = Allowed {
    full: false,
    json: false,
    since: false,
    now: true,
    period: true,
};

/// The table: (job, mode) → the flags it honours. `--now` is the clock of the run (tests and
/// replays); `--since` is the gamification trial run, which replays history up to today and
/// so takes no `--now`.
#[rustfmt::skip]
const ALLOWED: &[(JobName, Mode, Allowed)] = &[
    (
        JobName::Scoring,
        Mode::Plan,
        allowed(true, true, false, true),
    ),
    (
        JobName::Scoring,
        Mode::DryRun,
        allowed(true, false, false, true),
    ),
    (
        JobName::Scoring,
        Mode::Run,
        allowed(true, false, false, true),
    ),
    (
        JobName::Gamification,
        Mode::Plan,
        allowed(false, true, true, true),
    ),
    (
        JobName::Gamification,
        Mode::DryRun,
        allowed(false, false, false, true),
    ),
    (
        JobName::Gamification,
        Mode::Run,
        allowed(false, false, false, true),
    ),
    (JobName::All, Mode::Plan, allowed(false, false, false, true)),
    (
        JobName::All,
        Mode::DryRun,
        allowed(false, false, false, true),
    ),
    (JobName::All, Mode::Run, allowed(false, false, false, true)),
    (
        JobName::Points,
        Mode::Plan,
        allowed(false, false, true, false),
    ),
    (JobName::Pay, Mode::Plan, PAY),
    (JobName::Pay, Mode::DryRun, PAY),
    (JobName::Pay, Mode::Run, PAY),
];

/// Why `job` cannot take these flags in `mode`, if it cannot.
pub(crate) fn refusal(job: JobName, mode: Mode, flags: &Flags<'_>) -> Option<String> {
    let Some(ok) = ALLOWED
        .iter()
        .find(|(j, m, _)| *j == job && *m == mode)
        .map(|(_, _, a)| *a)
    else {
        return Some(format!(
            "`{job}` is only a trial run: `plan points --since DATE [--until DATE]` (the gamification job books the points)"
        ));
    };
    if job == JobName::Points && flags.since.is_none() {
        return Some(
            "`plan points` needs --since DATE (the start of the history to replay)".into(),
        );
    }
    if flags.until.is_some() && job != JobName::Points {
        return Some(
            "--until belongs to the trial run: `plan points --since DATE --until DATE`".into(),
        );
    }
    let command = match mode {
        Mode::Plan => format!("plan {job}"),
        Mode::DryRun => format!("run {job} --dry-run"),
        Mode::Run => format!("run {job}"),
    };
    if flags.full && !ok.full {
        return Some(format!(
            "--full is a scoring flag (force a full pass); `{command}` cannot honour it{}",
            match job {
                JobName::Gamification => ": the gamification job always computes every challenge",
                _ => ": `all` lets the scoring job choose its pass (use `run scoring --full`)",
            }
        ));
    }
    if flags.json && !ok.json {
        return Some(format!(
            "--json is for `plan scoring` and `plan gamification`; `{command}` prints text"
        ));
    }
    if flags.since.is_some() && !ok.since {
        return Some(format!(
            "--since is the gamification trial run (`plan gamification --since DATE`); `{command}` cannot honour it"
        ));
    }
    if flags.since.is_some() && flags.now.is_some() {
        return Some(
            "--now does not apply to the trial run (`--since DATE` replays the history up to today)"
                .to_owned(),
        );
    }
    if flags.now.is_some() && !ok.now {
        return Some(format!("--now does not apply to `{command}`"));
    }
    if flags.period.is_some() && !ok.period {
        return Some(format!(
            "--period is the pay period (`plan pay --period 2026-11`); `{command}` cannot honour it"
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_job_and_mode_is_in_the_table() {
        let trial = Flags {
            since: Some("2026-10-01"),
            until: Some("2026-11-30"),
            ..Flags::default()
        };
        assert_eq!(refusal(JobName::Points, Mode::Plan, &trial), None);
        assert!(refusal(JobName::Points, Mode::Plan, &Flags::default()).is_some());
        assert!(refusal(JobName::Points, Mode::Run, &trial).is_some());
        assert!(refusal(JobName::Gamification, Mode::Plan, &trial).is_some());
        for job in [
            JobName::Scoring,
            JobName::Gamification,
            JobName::All,
            JobName::Pay,
        ] {
            for mode in [Mode::Plan, Mode::DryRun, Mode::Run] {
                assert!(
                    ALLOWED.iter().any(|(j, m, _)| *j == job && *m == mode),
                    "{job} {mode:?}"
                );
                assert_eq!(refusal(job, mode, &Flags::default()), None);
                assert_eq!(
                    refusal(
                        job,
                        mode,
                        &Flags {
                            now: Some("2026-11-23 08:00:00"),
                            ..Flags::default()
                        }
                    ),
                    None,
                    "--now is every job's clock"
                );
            }
        }
    }

    #[test]
    fn flags_a_job_cannot_honour_are_refused_with_the_reason() {
        let full = Flags {
            full: true,
            ..Flags::default()
        };
        assert_eq!(refusal(JobName::Scoring, Mode::Run, &full), None);
        for (job, mode) in [
            (JobName::Gamification, Mode::Plan),
            (JobName::Gamification, Mode::Run),
            (JobName::All, Mode::Run),
            (JobName::All, Mode::DryRun),
        ] {
            let why = refusal(job, mode, &full).unwrap();
            assert!(why.starts_with("--full is a scoring flag"), "{why}");
        }
        let since = Flags {
            since: Some("2026-10-01"),
            ..Flags::default()
        };
        assert_eq!(refusal(JobName::Gamification, Mode::Plan, &since), None);
        assert!(refusal(JobName::Scoring, Mode::Plan, &since).is_some());
        assert!(refusal(JobName::Gamification, Mode::Run, &since).is_some());
        let trial_with_clock = Flags {
            since: Some("2026-10-01"),
            now: Some("2026-11-23 08:00:00"),
            ..Flags::default()
        };
        assert!(
            refusal(JobName::Gamification, Mode::Plan, &trial_with_clock)
                .unwrap()
                .starts_with("--now does not apply to the trial run")
        );
        let json = Flags {
            json: true,
            ..Flags::default()
        };
        assert!(refusal(JobName::All, Mode::Plan, &json).is_some());
        let period = Flags {
            period: Some("2026-11"),
            ..Flags::default()
        };
        assert_eq!(refusal(JobName::Pay, Mode::Run, &period), None);
        assert!(refusal(JobName::Scoring, Mode::Run, &period).is_some());
        assert!(refusal(JobName::Pay, Mode::Run, &full).is_some());
        assert_eq!("leads".parse::<JobName>(), Ok(JobName::Scoring));
        assert!(
            "nope"
                .parse::<JobName>()
                .unwrap_err()
                .contains("unknown job")
        );
    }
}
