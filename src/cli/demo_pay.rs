//! The pay steps of `scorekeeper demo`: before `check`, `setup` provisions the statement and
//! incidental models and a manager records the affiliate's one-off bonus in Odoo (as people
//! do, in `x_sk_incidental`); after the other jobs, `run pay` computes and writes this
//! month's statements and the demo prints each of them (basic, add-on, repeat, referral and
//! incidental on the affiliate's; tiers on the field rep's; setter pay on the telemarketer's;
//! the coefficients on the last two), then runs again to show that nothing changes.
//! The people and documents are `demo::pay`'s.

use std::io::Write;
use std::path::Path;

use chrono::NaiveDate;

use super::Failure;
use crate::demo::pay::PayDemo;
use crate::jobs::pay::models::INCIDENTAL;
use crate::odoo::OdooClient;
use crate::state::State;
use crate::xmlrpc::{Struct, Value as X};

/// The `[pay]` section the demo appends to its configuration (`config/demo-pay.toml`): it
/// pays the people only the demo adds, so it is not part of `config/demo.toml`.
pub(super) const CONFIG: &str = include_str!("../../config/demo-pay.toml");

fn failed(e: &dyn std::fmt::Display) -> Failure {
    Failure::Failed(anyhow::anyhow!("{e}"))
}

/// The `[pay]` section of the demo config and a logged-in client, if the config has one.
async fn pay_client(config: &Path) -> Result<Option<(crate::config::Config, OdooClient)>, Failure> {
    let cfg = crate::config::load(config)?;
    if cfg.pay.is_none() {
        return Ok(None);
    }
    let client = OdooClient::from_settings(&cfg.odoo.client_settings()).map_err(|e| failed(&e))?;
    client.authenticate().await.map_err(|e| failed(&e))?;
    Ok(Some((cfg, client)))
}

/// `setup` for pay, then the affiliate's incidental bonus recorded in Odoo.
pub(super) async fn setup(
    config: &Path,
    demo: &PayDemo,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    let Some((cfg, client)) = pay_client(config).await? else {
        return Ok(());
    };
    let Some(pay) = cfg.pay.as_ref() else {
        return Ok(());
    };
    let report = crate::jobs::pay::setup(&client, pay)
        .await
        .map_err(|e| failed(&e))?;
    let Some((_, affiliate)) = demo.people.first() else {
        return Ok(());
    };
    let mut bonus = Struct::new();
    bonus.push(
        "x_name",
        X::from("Thưởng hội chợ thương mại (trade fair bonus)"),
    );
    bonus.push("x_user_id", X::Int(*affiliate));
    bonus.push("x_amount", X::Double(150.0));
    bonus.push("x_date", X::from(demo.incidental_date.to_string()));
    client
        .create(INCIDENTAL, vec![bonus])
        .await
        .map_err(|e| failed(&e))?;
    super::demo_cmd::say(
        out,
        &format!(
            "pay models: {} created; incidental bonus of 150.00 recorded for the affiliate on {}\n",
            report.created.join(", "),
            demo.incidental_date
        ),
    )
}

/// `run pay` for the month of `today`, each statement printed, then a second run.
pub(super) async fn statements(
    config: &Path,
    today: NaiveDate,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    let Some((cfg, client)) = pay_client(config).await? else {
        return Ok(());
    };
    let Some(pay) = cfg.pay.as_ref() else {
        return Ok(());
    };
    let mut state = State::open(&cfg.state.path).map_err(|e| failed(&e))?;
    let opts = crate::jobs::apply_options(&client);
    let period = crate::jobs::pay::current_period(pay, today);
    let d = pay.currency_decimals;
    for round in ["first run", "second run"] {
        let before = client.metrics().calls;
        let outcome = crate::jobs::pay::run(&client, Some(&mut state), pay, period, today, &opts)
            .await
            .map_err(|e| failed(&e))?;
        if let Some(r) = outcome.reports.iter().find(|r| !r.is_success()) {
            return Err(failed(r));
        }
        let written: usize = outcome
            .reports
            .iter()
            .map(|r| r.records_written + r.created.len())
            .sum();
        let mut text = format!(
            "\n== pay {period}, {round}: {} statements, {written} records written, {} RPC calls\n",
            outcome.statements.len(),
            client.metrics().calls - before,
        );
        if round == "first run" {
            for s in &outcome.statements {
                text.push('\n');
                text.push_str(&crate::jobs::pay::render::to_table(s, d, 124));
            }
        }
        super::demo_cmd::say(out, &text)?;
    }
    Ok(())
}
