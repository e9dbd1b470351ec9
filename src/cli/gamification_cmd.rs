//! The gamification commands: `plan gamification` (and its trial `--since`), `plan points`,
//! `leaderboard` and its month/quarter report.

use std::io::Write;

use anyhow::Context as _;

use super::args::{LeaderboardArgs, ReportSpan, parse_now, today};
use super::session::login;
use super::{Failure, write_out};

pub(super) fn gamification_failure(e: crate::jobs::gamification::GamificationError) -> Failure {
    use crate::jobs::gamification::GamificationError;
    match e {
        GamificationError::Odoo(o) if o.is_unreachable_or_auth() => Failure::Unreachable(o.into()),
        other => Failure::Failed(other.into()),
    }
}

/// `scorekeeper plan -c FILE gamification [--json]`: goals to create and update, badges and
/// karma entries the configured challenges would produce now; writes nothing.
pub(super) async fn gamification_plan_cmd(
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
    let opts = crate::jobs::gamification::Options::from_config(gcfg, today)
        .with_recognition(cfg.recognition.clone());
    let outcome = crate::jobs::gamification::plan(&client, &opts)
        .await
        .map_err(gamification_failure)?;
    // The karma entries `run` books after the goals: a plan shows everything a run writes.
    let karma =
        crate::jobs::gamification::karma_plan_with(&client, &gcfg.point_rules, &gcfg.team_points)
            .await
            .map_err(gamification_failure)?;
    // Levels as they stand now (a run grants after booking the karma above).
    let mut levels = crate::jobs::gamification::level_plan(&client, gcfg)
        .await
        .map_err(gamification_failure)?;
    let mut achievements = crate::jobs::gamification::achievement_plan(&client, gcfg)
        .await
        .map_err(gamification_failure)?;
    // The posts recognising those grants, as `run` plans them.
    for plan in [&mut levels.plan, &mut achievements.plan] {
        crate::jobs::gamification::recognition::plan_grant_posts(
            &client,
            cfg.recognition.as_ref(),
            plan,
        )
        .await
        .map_err(gamification_failure)?;
    }
    if json {
        let mut all = outcome.plan.clone();
        for change in karma
            .changes()
            .chain(levels.plan.changes())
            .chain(achievements.plan.changes())
        {
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
        let mut wanted = outcome
            .plan
            .wanted_names(crate::jobs::gamification::EXAMPLES);
        wanted.merge(karma.wanted_names(crate::jobs::gamification::EXAMPLES));
        let names = super::names::fetch(&client, &wanted).await;
        write_out(
            out,
            &format!(
                "{}\nkarma: {} entr{} to book\n{}{}{}",
                outcome.text(&names),
                karma.create_count(),
                if karma.create_count() == 1 {
                    "y"
                } else {
                    "ies"
                },
                karma.summary_named(crate::jobs::gamification::EXAMPLES, &names),
                if gcfg.levels.is_empty() {
                    String::new()
                } else {
                    levels.to_string()
                },
                if gcfg.badge_rules.is_empty() {
                    String::new()
                } else {
                    achievements.summary(usize::MAX)
                }
            ),
        )
    }
}

/// `scorekeeper leaderboard`: the current period's ranking, or with `--report` the month's or
/// quarter's written as files.
pub(super) async fn leaderboard(
    args: &LeaderboardArgs,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    let (path, challenge, date) = (&args.config, &args.challenge, args.date.as_deref());
    match args.report {
        Some(span) => report_cmd(path, challenge, args.fair, span, date, &args.out, out).await,
        None => leaderboard_cmd(path, challenge, args.fair, args.csv, date, out).await,
    }
}

/// `scorekeeper leaderboard -c FILE CHALLENGE [--fair] [--csv]`.
async fn leaderboard_cmd(
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
pub(super) async fn gamification_trial_cmd(
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
pub(super) async fn points_trial_cmd(
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
    let trial = crate::jobs::gamification::trial_report_with(
        &client,
        &gcfg.point_rules,
        &gcfg.team_points,
        since,
        until,
    )
    .await
    .map_err(gamification_failure)?;
    write_out(out, &trial.to_string())
}

/// `scorekeeper leaderboard -c FILE CHALLENGE --report month|quarter [--out DIR]`: the ranking
/// over the month or quarter holding `--date`, written as `<slug>-<from>.csv` and `.html`.
async fn report_cmd(
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

/// `scorekeeper explain -c FILE user N`: the point rules that apply to user N and those that
/// do not, their karma and the levels reached.
pub(super) async fn explain_user_cmd(
    path: &std::path::Path,
    uid: i64,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    let (cfg, client) = login(path).await?;
    let Some(gcfg) = cfg.gamification.as_ref() else {
        return Err(Failure::Invalid(anyhow::anyhow!(
            "{} has no [gamification] section",
            path.display()
        )));
    };
    let text = crate::jobs::gamification::explain_user(&client, gcfg, uid)
        .await
        .map_err(gamification_failure)?;
    write_out(out, &text)
}
