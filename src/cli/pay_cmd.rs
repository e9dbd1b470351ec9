//! The pay commands: `plan pay` / `run pay` (statements of a period, locking the one that just
//! closed) and `statement` (one person's table, or every statement as CSV or HTML).

use std::io::Write;

use super::args::{StatementArgs, parse_now};
use super::failure::odoo_failure;
use super::session::{login, preflight};
use super::{Failure, write_out};
use crate::config;
use crate::odoo::OdooClient;

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
    // What `check` refuses, every pay command refuses, before reading anything else.
    preflight(&client, &cfg).await?;
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
pub(super) async fn pay_cmd(
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
        progress: super::progress_bar::terminal_progress(),
        ..crate::jobs::apply_options(&client)
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

/// `scorekeeper statement -c FILE --period P [--user LOGIN | --csv | --html]`.
pub(super) async fn statement(args: &StatementArgs, out: &mut dyn Write) -> Result<(), Failure> {
    // `--csv` wins over `--html` (clap refuses both anyway).
    let export = match (args.csv, args.html) {
        (true, _) => Some("csv"),
        (_, true) => Some("html"),
        _ => None,
    };
    statement_cmd(
        &args.config,
        &args.period,
        args.user.as_deref(),
        export,
        args.width,
        args.now.as_deref(),
        out,
    )
    .await
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
