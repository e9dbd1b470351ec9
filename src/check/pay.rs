//! What `run pay` would refuse about a `[pay]` section that only the server can tell, checked
//! the way the run meets it: the models it writes to and reads from exist (`setup` creates
//! them), and no person is in two plans paying the same component unless both stack — the
//! members resolved as the run resolves them (logins, team members, group members, a user
//! domain) and judged by the engine's own rule.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use crate::config::{Config, Diagnostic, Location};
use crate::jobs::pay::PayJobError;
use crate::jobs::pay::input::members;
use crate::jobs::pay::models::{INCIDENTAL, LINE, STATEMENT};
use crate::odoo::{OdooClient, OdooError, leaf};
use crate::pay::{Calc, Input, PayConfig, PayError};
use crate::xmlrpc::Value;

pub(super) async fn verify_pay(
    client: &OdooClient,
    cfg: &Config,
    pay: &PayConfig,
) -> Result<Vec<Diagnostic>, OdooError> {
    let at = |key: &str| {
        cfg.located.get(key).cloned().unwrap_or_else(|| Location {
            file: cfg.path.clone(),
            line: 1,
            column: 1,
        })
    };
    let mut diags = Vec::new();
    if let Some(missing) = missing_models(client, pay).await? {
        diags.push(at("pay").diagnostic(
            "pay",
            format!("{missing} not in Odoo yet"),
            Some(format!(
                "run `scorekeeper setup -c {}` first: it creates them",
                cfg.path.display()
            )),
        ));
    }
    let mut input = Input::default();
    for (i, plan) in pay.plans.iter().enumerate() {
        match members(client, &plan.members).await {
            Ok(m) => {
                input.members.insert(plan.key.clone(), m);
            }
            Err(PayJobError::Odoo(e)) => return Err(e),
            Err(other) => {
                let key = format!("pay.plans[{i}]");
                diags.push(at(&key).diagnostic(
                    key,
                    format!("cannot list its members: {other}"),
                    None,
                ));
                return Ok(diags);
            }
        }
    }
    let calc = Calc {
        config: pay,
        input: &input,
        stored: &[],
        // Overlaps do not depend on the day.
        today: NaiveDate::MIN,
    };
    if let Err(PayError::Overlap {
        user,
        component,
        first,
        second,
    }) = calc.check_overlaps()
    {
        let i = pay.plans.iter().position(|p| p.key == second).unwrap_or(0);
        let key = format!("pay.plans[{i}]");
        let who = login(client, user).await?;
        diags.push(at(&key).diagnostic(
            key,
            format!(
                "{who} is also in plan {first:?} (as Odoo lists the members), and both pay {}",
                component.code()
            ),
            Some("set `stack = true` in both plans to pay both, or take them out of one".into()),
        ));
    }
    Ok(diags)
}

/// The models setup provisions that the plans need and Odoo lacks, as one phrase.
async fn missing_models(client: &OdooClient, pay: &PayConfig) -> Result<Option<String>, OdooError> {
    let mut wanted = vec![STATEMENT, LINE];
    if pay.plans.iter().any(|p| {
        p.components
            .incidental
            .as_ref()
            .is_some_and(|i| i.model == INCIDENTAL)
    }) {
        wanted.push(INCIDENTAL);
    }
    let names = Value::Array(wanted.iter().map(|m| Value::from(*m)).collect());
    let rows = client
        .search_read_all("ir.model", vec![leaf("model", "in", names)], &["model"])
        .await?;
    let missing: Vec<&str> = wanted
        .into_iter()
        .filter(|m| {
            !rows
                .iter()
                .any(|r| r.get("model").and_then(Value::as_str) == Some(*m))
        })
        .collect();
    Ok(match missing.as_slice() {
        [] => None,
        [one] => Some(format!("model {one} is")),
        many => Some(format!("models {} are", many.join(", "))),
    })
}

/// `login (id N)` of a user, for a message an admin can act on.
async fn login(client: &OdooClient, user: i64) -> Result<String, OdooError> {
    let rows = client.read("res.users", &[user], &["login"]).await?;
    let by_id: BTreeMap<i64, String> = rows
        .iter()
        .filter_map(|r| {
            Some((
                r.get("id").and_then(Value::as_i64)?,
                r.get("login").and_then(Value::as_str)?.to_owned(),
            ))
        })
        .collect();
    Ok(by_id.get(&user).map_or_else(
        || format!("user id {user}"),
        |l| format!("user {l:?} (id {user})"),
    ))
}
