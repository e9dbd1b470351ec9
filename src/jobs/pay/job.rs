//! The pay run: read what Odoo holds (statements of the period and the locked ones before
//! it, documents, meetings, values), compute the period's statements, plan and apply them in
//! two phases through the journal (statements, then their lines). `plan pay` stops after
//! planning.

use std::collections::HashMap;

use chrono::NaiveDate;

use crate::apply::{ApplyOptions, ApplyReport, apply};
use crate::odoo::OdooClient;
use crate::pay::{Calc, PayConfig, Period, Statement};
use crate::plan::{IdemKey, Plan};
use crate::record::Value;
use crate::state::State;

use super::PayJobError;
use super::input::read_input;
use super::models::{KEY, LINE, STATEMENT};
use super::plan::{Existing, ExistingStatement, lines_plan, statements_plan};
use super::read::existing;
use super::rows::{StoredLine, engine_line};

/// How far back locked statements are read for adjustments.
const LOOK_BACK: usize = 12;

/// What a run computed (and, unless planning only, wrote).
#[derive(Debug)]
pub struct PayOutcome {
    pub statements: Vec<Statement>,
    /// Phase 1 as planned (statements).
    pub statement_plan: Plan,
    /// Phase 2 as planned against what Odoo held before the run (new statements' lines
    /// are planned once they exist, so a plan-only run counts them from `statements`).
    pub line_plan: Plan,
    pub reports: Vec<ApplyReport>,
}

/// A float field of a stored line: empty (`False`, read as `Null`) is 0, as Odoo reads it;
/// anything but a number is refused.
fn num(values: &[(String, Value)], f: &'static str) -> Result<f64, PayJobError> {
    match values.iter().find(|(k, _)| k == f).map(|(_, v)| v) {
        None | Some(Value::Null) => Ok(0.0),
        Some(v) => v.as_f64().ok_or_else(|| PayJobError::BadValue {
            model: LINE,
            field: f,
            value: format!("{v:?}"),
            expected: "a number",
        }),
    }
}

fn text(values: &[(String, Value)], f: &str) -> Option<String> {
    values
        .iter()
        .find(|(k, _)| k == f)
        .and_then(|(_, v)| v.as_str().map(str::to_owned))
}

/// An Odoo statement as the engine's stored statement.
fn stored(e: &ExistingStatement, decimals: u32) -> Result<Statement, PayJobError> {
    let bad = |field: &'static str, value: String| PayJobError::BadValue {
        model: STATEMENT,
        field,
        value,
        expected: "what scorekeeper wrote",
    };
    let period = text(&e.values, "x_period").ok_or_else(|| bad("x_period", "False".into()))?;
    let period = Period::parse(&period).map_err(|_| bad("x_period", period))?;
    let user = e
        .values
        .iter()
        .find(|(k, _)| k == "x_user_id")
        .and_then(|(_, v)| v.as_many2one());
    let user = user.ok_or_else(|| bad("x_user_id", "False".into()))?;
    let mut lines = Vec::with_capacity(e.lines.len());
    for l in e.lines.values() {
        let s = StoredLine {
            id: l.id,
            // An empty line key fails `engine_line` below, with the line named.
            line_key: text(&l.values, "x_line_key").unwrap_or_default(),
            // A line without a document (an incidental amount, a referral) shows none.
            document: text(&l.values, "x_document").unwrap_or_default(),
            origin_period: text(&l.values, "x_origin_period"),
            base: num(&l.values, "x_base")?,
            amount: num(&l.values, "x_amount")?,
            coefficient: num(&l.values, "x_coefficient")?,
        };
        lines.push(
            engine_line(&s, decimals).ok_or_else(|| PayJobError::BadValue {
                model: LINE,
                field: "x_line_key",
                value: s.line_key.clone(),
                expected: "a line key scorekeeper wrote (plan:component:subject)",
            })?,
        );
    }
    // A statement emptied of its name by hand is shown nameless.
    let name = text(&e.values, "x_name").unwrap_or_default();
    Ok(Statement::new(
        user,
        name,
        period,
        lines,
        e.locked,
        Vec::new(),
    ))
}

/// Reads and computes `period`'s statements; `Existing` is what Odoo held for it.
pub async fn compute(
    client: &OdooClient,
    cfg: &PayConfig,
    period: Period,
    today: NaiveDate,
) -> Result<(Vec<Statement>, Existing), PayJobError> {
    let mut periods = vec![period];
    for _ in 0..LOOK_BACK {
        let before = periods.last().copied().unwrap_or(period).previous();
        periods.push(before);
    }
    let held = existing(client, &periods).await?;
    let mut stored_list = Vec::new();
    for e in held.values() {
        stored_list.push(stored(e, cfg.currency_decimals)?);
    }
    let mut needed: Vec<Period> = vec![period];
    needed.extend(stored_list.iter().filter(|s| s.locked).map(|s| s.period));
    needed.sort();
    needed.dedup();
    let input = read_input(client, cfg, &needed).await?;
    let calc = Calc {
        config: cfg,
        input: &input,
        stored: &stored_list,
        today,
    };
    let statements = calc.statements(period)?;
    let current: Existing = held
        .into_iter()
        .filter(|(_, e)| {
            text(&e.values, "x_period").as_deref() == Some(period.to_string().as_str())
        })
        .collect();
    Ok((statements, current))
}

/// `plan pay` (`apply_opts` = `None`) or `run pay`.
pub async fn run(
    client: &OdooClient,
    state: Option<&mut State>,
    cfg: &PayConfig,
    period: Period,
    today: NaiveDate,
    apply_opts: &ApplyOptions,
) -> Result<PayOutcome, PayJobError> {
    let (statements, held) = compute(client, cfg, period, today).await?;
    let decimals = cfg.currency_decimals;
    let closed_on = today.to_string();
    let bad_key = |e: crate::plan::InvalidKey| PayJobError::BadValue {
        model: STATEMENT,
        field: KEY,
        value: e.to_string(),
        expected: "a valid key",
    };
    let statement_plan =
        statements_plan(&statements, &held, decimals, &closed_on).map_err(bad_key)?;
    let line_plan = lines_plan(&statements, &held, &HashMap::new(), decimals).map_err(bad_key)?;
    let mut outcome = PayOutcome {
        statements,
        statement_plan,
        line_plan,
        reports: Vec::new(),
    };
    let Some(state) = state else {
        return Ok(outcome);
    };
    let writer = crate::jobs::writer(client);
    let r1 = apply(&outcome.statement_plan, state, &writer, apply_opts).await?;
    let created: HashMap<IdemKey, i64> = r1
        .created
        .iter()
        .chain(r1.duplicates.iter())
        .cloned()
        .collect();
    let ok = r1.is_success();
    outcome.reports.push(r1);
    if ok {
        let p2 = lines_plan(&outcome.statements, &held, &created, decimals).map_err(bad_key)?;
        let r2 = apply(&p2, state, &writer, apply_opts).await?;
        outcome.line_plan = p2;
        outcome.reports.push(r2);
    }
    Ok(outcome)
}

/// The period a run without `--period` computes: the current month (or quarter when every
/// plan is quarterly).
pub fn current_period(cfg: &PayConfig, today: NaiveDate) -> Period {
    let quarterly = cfg
        .plans
        .iter()
        .all(|p| p.period == crate::pay::PeriodKind::Quarter);
    let kind = if quarterly {
        crate::pay::PeriodKind::Quarter
    } else {
        crate::pay::PeriodKind::Month
    };
    Period::containing(kind, today)
}

/// A run of the current period, after locking the period that just closed if it is not
/// locked yet (once: later runs find it locked), so late changes to it land in the current
/// period as adjustments. The first outcome is the closed period's, when it was run.
pub async fn run_current(
    client: &OdooClient,
    mut state: Option<&mut State>,
    cfg: &PayConfig,
    today: NaiveDate,
    apply_opts: &ApplyOptions,
) -> Result<(Option<PayOutcome>, PayOutcome), PayJobError> {
    let period = current_period(cfg, today);
    let previous = period.previous();
    let mut closed = None;
    if previous.closed(today, cfg.close_after_days) {
        match run(
            client,
            state.as_deref_mut(),
            cfg,
            previous,
            today,
            apply_opts,
        )
        .await
        {
            Ok(o) => closed = Some(o),
            Err(PayJobError::Engine(crate::pay::PayError::Locked { .. })) => {}
            Err(e) => return Err(e),
        }
    }
    let outcome = run(client, state, cfg, period, today, apply_opts).await?;
    Ok((closed, outcome))
}

/// `Arc::new(PayJob)` goes in the daemon's job list when `[pay]` is set.
#[derive(Clone, Copy, Debug, Default)]
pub struct PayJob;

impl crate::scheduler::Job for PayJob {
    fn name(&self) -> &str {
        "pay"
    }

    fn run<'a>(
        &'a self,
        ctx: &'a crate::scheduler::JobContext,
    ) -> crate::odoo::BoxFuture<'a, Result<crate::scheduler::JobOutcome, crate::scheduler::JobError>>
    {
        use crate::scheduler::{JobError, JobOutcome};
        Box::pin(async move {
            let Some(cfg) = ctx.config.pay.as_ref() else {
                return Err(JobError::Config(
                    "no [pay] section in the configuration".into(),
                ));
            };
            let calls_before = ctx.odoo.metrics().calls;
            let today = ctx
                .scheduled_for
                .unwrap_or_else(chrono::Utc::now)
                .date_naive();
            let mut state = State::open(&ctx.config.state.path)?;
            // Statement and line writes share no record, so they go out in waves of
            // `[odoo] max_concurrency`; lines wait for their statements (two passes).
            let opts = ApplyOptions {
                cancel: Some(ctx.cancel.clone()),
                progress: ctx.progress.clone(),
                ..crate::jobs::apply_options(&ctx.odoo)
            };
            let (closed, outcome) = run_current(&ctx.odoo, Some(&mut state), cfg, today, &opts)
                .await
                .map_err(|e| match e {
                    PayJobError::Odoo(o) => JobError::Odoo(o),
                    PayJobError::Apply(crate::apply::ApplyError::State(s)) => JobError::State(s),
                    PayJobError::Engine(e) => JobError::Config(e.to_string()),
                    other => JobError::Failed(other.to_string()),
                })?;
            let reports: Vec<&ApplyReport> = closed
                .iter()
                .chain([&outcome])
                .flat_map(|o| &o.reports)
                .collect();
            if let Some(bad) = reports.iter().find(|r| !r.is_success() && !r.interrupted) {
                return Err(JobError::Failed(bad.to_string()));
            }
            let written: usize = reports
                .iter()
                .map(|r| r.records_written + r.created.len())
                .sum();
            let mut summary = format!(
                "{} statement(s) of {} computed",
                outcome.statements.len(),
                outcome
                    .statements
                    .first()
                    .map(|s| s.period.to_string())
                    .unwrap_or_default()
            );
            if let Some(c) = &closed {
                summary.push_str(&format!(
                    "; {} statement(s) of the closed period locked",
                    c.statements.len()
                ));
            }
            // The runs it journaled, for `show` and `undo`.
            let runs: Vec<String> = reports.iter().map(|r| r.run_id.to_string()).collect();
            if !runs.is_empty() {
                summary.push_str(&format!("; run {}", runs.join(", run ")));
            }
            Ok(JobOutcome {
                changes_written: written as u64,
                rpc_calls: ctx.odoo.metrics().calls - calls_before,
                interrupted: ctx.cancel.is_cancelled(),
                summary,
            })
        })
    }
}
