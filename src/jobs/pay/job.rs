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
use super::writer::PayWriter;

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

fn num(values: &[(String, Value)], f: &str) -> f64 {
    values
        .iter()
        .find(|(k, _)| k == f)
        .and_then(|(_, v)| v.as_f64())
        .unwrap_or(0.0)
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
    let period = text(&e.values, "x_period").unwrap_or_default();
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
            line_key: text(&l.values, "x_line_key").unwrap_or_default(),
            document: text(&l.values, "x_document").unwrap_or_default(),
            origin_period: text(&l.values, "x_origin_period"),
            base: num(&l.values, "x_base"),
            amount: num(&l.values, "x_amount"),
            coefficient: num(&l.values, "x_coefficient"),
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
    let writer = PayWriter::new(client);
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
