//! Point rules → karma entries: reads what each rule matches (one `search_read` per rule),
//! the entries scorekeeper already booked (found by their key markers) and the users' karma,
//! and plans the `gamification.karma.tracking` creates the karma engine decides.

use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDate;

use crate::config::{PointRule, TeamPointsSpec};
use crate::domain::Domain;
use crate::gamification::karma::{self, Booked, Event};
use crate::gamification::team_points;
use crate::odoo::OdooClient;
use crate::odoo::WireLit as _;
use crate::plan::{FieldChange, Plan};
use crate::record::Value;
use crate::xmlrpc;

use super::GamificationError;
use super::keys::{KEY_FIELD, KeyFields, key_fields};
use crate::odoo::Row;

fn rule_domain(rule: &PointRule) -> Result<Vec<xmlrpc::Value>, GamificationError> {
    let lit = Domain::parse(&rule.domain)
        .and_then(|d| d.try_to_lit())
        .map_err(|e| GamificationError::Domain {
            what: format!("point rule {:?} domain", rule.key),
            error: e.to_string(),
        })?;
    Ok(lit.to_wire_items())
}

fn points_of(rule: &PointRule, row: &Row<'_>) -> Result<i64, GamificationError> {
    match (&rule.amount_field, rule.per_amount) {
        (Some(field), per) => {
            let amount = row.float(field)?;
            let units = (amount / per.unwrap_or(1.0)).trunc();
            Ok(rule.points.saturating_mul(units as i64))
        }
        (None, _) => Ok(rule.points),
    }
}

/// The events of every rule: records matching it now (dated from `since` on, when given, plus
/// every record booked before so reversals are seen).
async fn events(
    client: &OdooClient,
    rules: &[PointRule],
    booked: &[Booked],
    since: Option<NaiveDate>,
) -> Result<Vec<Event>, GamificationError> {
    let mut out = Vec::new();
    for rule in rules {
        let mut domain = rule_domain(rule)?;
        if let (Some(since), Some(date_field)) = (since, &rule.date_field) {
            let ids: Vec<xmlrpc::Value> = booked
                .iter()
                .filter(|b| b.rule == rule.key && b.model == rule.model)
                .map(|b| xmlrpc::Value::Int(b.record_id))
                .collect();
            domain.push("|".into());
            domain.push(xmlrpc::Value::Array(vec![
                date_field.as_str().into(),
                ">=".into(),
                since.to_string().into(),
            ]));
            domain.push(xmlrpc::Value::Array(vec![
                "id".into(),
                "in".into(),
                xmlrpc::Value::Array(ids),
            ]));
        }
        let mut fields = vec!["display_name", rule.user_field.as_str()];
        if let Some(f) = &rule.amount_field {
            fields.push(f.as_str());
        }
        if !rule.caps.is_none()
            && let Some(f) = &rule.date_field
        {
            fields.push(f.as_str());
        }
        let rows = client.search_read_all(&rule.model, domain, &fields).await?;
        // Per-role rules: a record credited to someone outside the scope earns nothing here
        // (what it earned before is compensated by the engine, as for a record that no
        // longer qualifies).
        let allowed = super::scope::scope_users(client, rule).await?;
        let seen: std::collections::HashSet<i64> = rows
            .iter()
            .filter_map(|r| r.get("id").and_then(xmlrpc::Value::as_i64))
            .collect();
        // Booked records that no longer match: reversed events, worth 0 now (read by id so
        // the compensation names the record; deleted ones are compensated by the engine).
        let gone: BTreeSet<i64> = booked
            .iter()
            .filter(|b| b.rule == rule.key && b.model == rule.model && !seen.contains(&b.record_id))
            .map(|b| b.record_id)
            .collect();
        if !gone.is_empty() {
            let ids: Vec<i64> = gone.into_iter().collect();
            for r in client
                .read(
                    &rule.model,
                    &ids,
                    &["display_name", rule.user_field.as_str()],
                )
                .await?
            {
                let row = Row::new(&rule.model, &r);
                out.push(Event {
                    rule: rule.key.clone(),
                    rule_name: rule.name.clone(),
                    model: rule.model.clone(),
                    record_id: row.id()?,
                    // A record without a display name is named by model and id alone.
                    record_name: row.text("display_name")?.unwrap_or_default(),
                    // A record whose user was emptied books to nobody (0): with no points,
                    // only the reversal from its first holder is booked.
                    user_id: row.m2o_id(&rule.user_field)?.unwrap_or(0),
                    points: 0,
                });
            }
        }
        let mut dated = Vec::new();
        for r in &rows {
            let row = Row::new(&rule.model, r);
            let Some(user) = row.m2o_id(&rule.user_field)? else {
                continue;
            };
            if allowed.as_ref().is_some_and(|a| !a.contains(&user)) {
                continue;
            }
            let date = record_date(rule, &row)?;
            dated.push((
                Event {
                    rule: rule.key.clone(),
                    rule_name: rule.name.clone(),
                    model: rule.model.clone(),
                    record_id: row.id()?,
                    // A record without a display name is named by model and id alone.
                    record_name: row.text("display_name")?.unwrap_or_default(),
                    user_id: user,
                    points: points_of(rule, &row)?,
                },
                date,
            ));
        }
        // Safeguards: a refunded invoice earns nothing; what is over the caps is not booked
        // (and booked points above them are adjusted down).
        if let Some(days) = rule.refund_window_days {
            revoke_refunded(client, rule, days, &mut dated).await?;
        }
        crate::gamification::caps::apply(rule.caps, &mut dated);
        out.extend(dated.into_iter().map(|(e, _)| e));
    }
    Ok(out)
}

/// `refund_window_days` on a rule: invoices (`account.move`) or deals (`crm.lead`, through
/// their sale orders' invoices) refunded within the window earn nothing.
async fn revoke_refunded(
    client: &OdooClient,
    rule: &PointRule,
    days: i64,
    events: &mut [(Event, Option<NaiveDate>)],
) -> Result<(), GamificationError> {
    if rule.model == "crm.lead" {
        super::deal_refunds::revoke(client, days, events).await
    } else {
        refunded(client, days, events).await
    }
}

/// Invoices among `events` reversed by a posted credit note dated within `days` of their
/// own invoice date: worth nothing now, named with the credit note (one `read` and one
/// `search_read`).
async fn refunded(
    client: &OdooClient,
    days: i64,
    events: &mut [(Event, Option<NaiveDate>)],
) -> Result<(), GamificationError> {
    const MOVE: &str = "account.move";
    if events.is_empty() {
        return Ok(());
    }
    let ids: Vec<xmlrpc::Value> = events
        .iter()
        .map(|(e, _)| xmlrpc::Value::Int(e.record_id))
        .collect();
    let domain = vec![
        xmlrpc::Value::Array(vec!["move_type".into(), "=".into(), "out_refund".into()]),
        xmlrpc::Value::Array(vec!["state".into(), "=".into(), "posted".into()]),
        xmlrpc::Value::Array(vec![
            "reversed_entry_id".into(),
            "in".into(),
            xmlrpc::Value::Array(ids),
        ]),
    ];
    let refunds = client
        .search_read_all(MOVE, domain, &["reversed_entry_id", "invoice_date", "name"])
        .await?;
    if refunds.is_empty() {
        return Ok(());
    }
    // invoice → (refund date, refund name), the earliest refund.
    let mut by_invoice: HashMap<i64, (Option<NaiveDate>, String)> = HashMap::new();
    for r in &refunds {
        let row = Row::new(MOVE, r);
        if let Some(invoice) = row.m2o_id("reversed_entry_id")? {
            let date = row.date("invoice_date")?;
            let name = row.text("name")?.unwrap_or_default();
            by_invoice
                .entry(invoice)
                .and_modify(|slot| {
                    if date < slot.0 {
                        *slot = (date, name.clone());
                    }
                })
                .or_insert((date, name));
        }
    }
    let invoiced: Vec<i64> = by_invoice.keys().copied().collect();
    let mut invoice_dates: HashMap<i64, Option<NaiveDate>> = HashMap::new();
    for r in client.read(MOVE, &invoiced, &["invoice_date"]).await? {
        let row = Row::new(MOVE, &r);
        invoice_dates.insert(row.id()?, row.date("invoice_date")?);
    }
    for (e, _) in events.iter_mut() {
        let Some((Some(refund_date), refund)) = by_invoice.get(&e.record_id) else {
            continue;
        };
        let Some(Some(invoiced_on)) = invoice_dates.get(&e.record_id) else {
            continue;
        };
        if (*refund_date - *invoiced_on).num_days() <= days {
            e.points = 0;
            e.record_name = format!("{}, refunded by {refund} within {days} days", e.record_name);
        }
    }
    Ok(())
}

/// The record's date under a capped rule (read only then); `None` otherwise.
fn record_date(rule: &PointRule, row: &Row<'_>) -> Result<Option<NaiveDate>, GamificationError> {
    match (&rule.date_field, rule.caps.is_none()) {
        (Some(f), false) => Ok(row.datetime(f)?.map(|d| d.date())),
        _ => Ok(None),
    }
}

/// A karma entry carrying a key an earlier entry carries.
struct DuplicateEntry {
    id: i64,
    key: String,
    reason: String,
    /// The key is in [`KEY_FIELD`] (else a marker in the reason).
    in_field: bool,
}

async fn booked(
    client: &OdooClient,
    keys: &KeyFields,
) -> Result<(Vec<Booked>, Vec<DuplicateEntry>), GamificationError> {
    const MODEL: &str = "gamification.karma.tracking";
    let legacy = xmlrpc::Value::Array(vec!["reason".into(), "ilike".into(), "[sk:karma:".into()]);
    let (domain, fields) = if keys.has(MODEL) {
        (
            vec![
                "|".into(),
                xmlrpc::Value::Array(vec![KEY_FIELD.into(), "!=".into(), false.into()]),
                legacy,
            ],
            vec!["user_id", "old_value", "new_value", "reason", KEY_FIELD],
        )
    } else {
        (
            vec![legacy],
            vec!["user_id", "old_value", "new_value", "reason"],
        )
    };
    // Odoo's order (newest first) matters below: the first entry of an event names its
    // current holder.
    let rows = client.search_read_all(MODEL, domain, &fields).await?;
    let key_of = |row: &Row<'_>| -> Result<(Option<String>, Option<String>), GamificationError> {
        let field_key = if keys.has(MODEL) {
            row.text(KEY_FIELD)?
        } else {
            None
        };
        let reason = row.text("reason")?;
        let key = field_key.clone().or_else(|| {
            reason
                .as_deref()
                .and_then(karma::key_in_reason)
                .map(str::to_owned)
        });
        Ok((key, field_key))
    };
    // Of entries sharing a key, the oldest (lowest id) is the one booked; the others are
    // duplicates.
    let mut oldest: HashMap<String, i64> = HashMap::new();
    for r in &rows {
        let row = Row::new(MODEL, r);
        if let (Some(key), _) = key_of(&row)? {
            let id = row.id()?;
            oldest
                .entry(key)
                .and_modify(|o| *o = (*o).min(id))
                .or_insert(id);
        }
    }
    let mut out = Vec::new();
    let mut duplicates = Vec::new();
    for r in &rows {
        let row = Row::new(MODEL, r);
        let (key, field_key) = key_of(&row)?;
        let reason = row.text("reason")?;
        let key = key.as_deref();
        let Some((rule, model, record_id, seq)) = key.and_then(karma::parse_key) else {
            continue;
        };
        let id = row.id()?;
        let duplicate = key.is_some_and(|k| oldest.get(k).is_some_and(|&o| o != id));
        if duplicate && let Some(k) = key {
            duplicates.push(DuplicateEntry {
                id,
                key: k.to_owned(),
                // An entry keyed in `x_sk_key` may carry no reason: journaled as empty.
                reason: reason.clone().unwrap_or_default(),
                in_field: field_key.is_some(),
            });
        }
        let Some(user_id) = row.m2o_id("user_id")? else {
            continue;
        };
        out.push(Booked {
            rule,
            model,
            record_id,
            user_id,
            seq,
            gain: row.int("new_value")? - row.int("old_value")?,
            duplicate,
        });
    }
    Ok((out, duplicates))
}

/// Repairs duplicate entries: each gets its own key (`<key>:dup=<id>`, still counted against
/// the same event), so it is no longer a duplicate; the karma engine has already planned the
/// entry that corrects the total. Both are journaled: undo gives the key back and reverses
/// the correction.
fn plan_repairs(plan: &mut Plan, duplicates: &[DuplicateEntry]) {
    const MODEL: &str = "gamification.karma.tracking";
    for d in duplicates {
        let renamed = format!("{}:dup={}", d.key, d.id);
        let (field, old, new) = if d.in_field {
            (KEY_FIELD.to_owned(), d.key.clone(), renamed)
        } else {
            let new = d
                .reason
                .replace(&format!("[sk:{}]", d.key), &format!("[sk:{renamed}]"));
            ("reason".to_owned(), d.reason.clone(), new)
        };
        plan.push_write(
            MODEL,
            d.id,
            vec![FieldChange::new(field, Value::Str(old), Value::Str(new))],
            format!(
                "duplicate karma entry (key {}): keyed apart, its gain corrected",
                d.key
            ),
        );
    }
}

fn plan_entries(entries: Vec<karma::Entry>, keys: &KeyFields) -> Plan {
    const MODEL: &str = "gamification.karma.tracking";
    let mut plan = Plan::new("gamification");
    for e in entries {
        let mut values = vec![
            ("user_id".to_string(), Value::Many2one(e.user_id)),
            ("old_value".to_string(), Value::Int(e.old_value)),
            ("new_value".to_string(), Value::Int(e.new_value)),
            ("reason".to_string(), Value::Str(e.reason.clone())),
        ];
        keys.put(MODEL, &mut values, &e.key);
        plan.push_create(MODEL, values, e.key, e.reason);
    }
    plan
}

/// The karma entries that bring Odoo in line with the point rules: new events are awarded,
/// reversed ones compensated, nothing is booked twice. Team awards already booked are left
/// as they are (see [`karma_plan_with`]).
pub async fn karma_plan(
    client: &OdooClient,
    rules: &[PointRule],
) -> Result<Plan, GamificationError> {
    karma_plan_with(client, rules, &[]).await
}

/// [`karma_plan`] with team points (`[[gamification.team_points]]`) booked in the same pass
/// and keyed the same way. Awards of team rules not given here (removed from the config) are
/// left as they are: what a team earned stays earned.
pub async fn karma_plan_with(
    client: &OdooClient,
    rules: &[PointRule],
    team_rules: &[TeamPointsSpec],
) -> Result<Plan, GamificationError> {
    if rules.is_empty() && team_rules.is_empty() {
        return Ok(Plan::new("gamification"));
    }
    let keys = key_fields(client).await?;
    let (booked, duplicates) = booked(client, &keys).await?;
    let configured = |rule: &str| match team_points::parse_event_rule(rule) {
        Some((key, _, _)) => team_rules.iter().any(|t| t.key == key),
        None => true,
    };
    let booked: Vec<Booked> = booked.into_iter().filter(|b| configured(&b.rule)).collect();
    let duplicates: Vec<DuplicateEntry> = duplicates
        .into_iter()
        .filter(|d| karma::parse_key(&d.key).is_some_and(|(rule, ..)| configured(&rule)))
        .collect();
    let mut events = events(client, rules, &booked, None).await?;
    events.extend(super::team_points::events(client, team_rules, &booked, None).await?);
    let users: BTreeSet<i64> = events
        .iter()
        .map(|e| e.user_id)
        .chain(booked.iter().map(|b| b.user_id))
        .collect();
    let mut karma_now = HashMap::new();
    if !users.is_empty() {
        let ids: Vec<i64> = users.into_iter().collect();
        for r in client.read("res.users", &ids, &["karma"]).await? {
            let row = Row::new("res.users", &r);
            karma_now.insert(row.id()?, row.int("karma")?);
        }
    }
    let mut plan = plan_entries(karma::entries(&events, &booked, &karma_now)?, &keys);
    plan_repairs(&mut plan, &duplicates);
    Ok(plan)
}

/// Trial run: what the point rules would have booked over the records dated from `since`
/// on, as if nothing had been booked and everyone started at 0. Writes nothing.
pub async fn trial(
    client: &OdooClient,
    rules: &[PointRule],
    since: NaiveDate,
) -> Result<Plan, GamificationError> {
    let events = events(client, rules, &[], Some(since)).await?;
    // Nothing is written: the reasons are shown as people would read them.
    Ok(plan_entries(
        karma::entries(&events, &[], &HashMap::new())?,
        &KeyFields::all(),
    ))
}

/// `plan points --since DATE --until DATE`: replays the point rules over records dated in
/// that window (rules without a `date_field` cannot be dated, so they are listed instead of
/// counted), and compares each person's total with what the same rules booked in Odoo, their
/// karma and their level (Odoo's karma ranks). Writes nothing.
pub async fn trial_report(
    client: &OdooClient,
    rules: &[PointRule],
    since: NaiveDate,
    until: NaiveDate,
) -> Result<crate::gamification::trial::Trial, GamificationError> {
    trial_report_with(client, rules, &[], since, until).await
}

/// [`trial_report`] with team points replayed too: the teams' records dated in the window
/// (as if nothing had been booked), awards to today's members who were in the team by each
/// period's end.
pub async fn trial_report_with(
    client: &OdooClient,
    rules: &[PointRule],
    team_rules: &[TeamPointsSpec],
    since: NaiveDate,
    until: NaiveDate,
) -> Result<crate::gamification::trial::Trial, GamificationError> {
    use std::collections::BTreeMap;
    let mut trial: BTreeMap<i64, i64> = BTreeMap::new();
    let mut not_replayed = Vec::new();
    let mut replayed = Vec::new();
    let end = until.succ_opt().unwrap_or(until);
    for rule in rules {
        let Some(date_field) = &rule.date_field else {
            not_replayed.push(format!(
                "'{}' ({}) has no date_field: its records cannot be dated, so it is not counted",
                rule.name, rule.key
            ));
            continue;
        };
        replayed.push(rule.key.clone());
        let mut domain = rule_domain(rule)?;
        domain.push(xmlrpc::Value::Array(vec![
            date_field.as_str().into(),
            ">=".into(),
            since.to_string().into(),
        ]));
        domain.push(xmlrpc::Value::Array(vec![
            date_field.as_str().into(),
            "<".into(),
            end.to_string().into(),
        ]));
        let mut fields = vec![rule.user_field.as_str(), date_field.as_str()];
        if let Some(f) = &rule.amount_field {
            fields.push(f.as_str());
        }
        let allowed = super::scope::scope_users(client, rule).await?;
        let mut dated = Vec::new();
        for r in client.search_read_all(&rule.model, domain, &fields).await? {
            let row = Row::new(&rule.model, &r);
            if let Some(user) = row.m2o_id(&rule.user_field)?
                && allowed.as_ref().is_none_or(|a| a.contains(&user))
            {
                let event = Event {
                    rule: rule.key.clone(),
                    rule_name: String::new(),
                    model: String::new(),
                    record_id: row.id()?,
                    record_name: String::new(),
                    user_id: user,
                    points: points_of(rule, &row)?,
                };
                dated.push((event, record_date(rule, &row)?));
            }
        }
        if let Some(days) = rule.refund_window_days {
            revoke_refunded(client, rule, days, &mut dated).await?;
        }
        crate::gamification::caps::apply(rule.caps, &mut dated);
        for (e, _) in dated {
            *trial.entry(e.user_id).or_insert(0) += e.points;
        }
    }
    for e in super::team_points::events(client, team_rules, &[], Some((since, end))).await? {
        *trial.entry(e.user_id).or_insert(0) += e.points;
    }
    let keys = key_fields(client).await?;
    let (booked_entries, _) = booked(client, &keys).await?;
    let mut booked_by_user: BTreeMap<i64, i64> = BTreeMap::new();
    let replayed_rule = |rule: &str| {
        replayed.iter().any(|r| r == rule)
            || team_points::parse_event_rule(rule)
                .is_some_and(|(key, _, _)| team_rules.iter().any(|t| t.key == key))
    };
    for b in booked_entries.iter().filter(|b| replayed_rule(&b.rule)) {
        *booked_by_user.entry(b.user_id).or_insert(0) += b.gain;
    }
    let users: Vec<i64> = trial
        .keys()
        .chain(booked_by_user.keys())
        .copied()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut karma = BTreeMap::new();
    let mut names = BTreeMap::new();
    if !users.is_empty() {
        for r in client
            .read("res.users", &users, &["karma", "display_name"])
            .await?
        {
            let row = Row::new("res.users", &r);
            let id = row.id()?;
            karma.insert(id, row.int("karma")?);
            if let Some(name) = row.text("display_name")? {
                names.insert(id, name);
            }
        }
    }
    let mut ranks = Vec::new();
    for r in client
        .search_read_all("gamification.karma.rank", vec![], &["name", "karma_min"])
        .await?
    {
        let row = Row::new("gamification.karma.rank", &r);
        ranks.push(karma::Rank {
            id: row.id()?,
            name: super::read::required_text(&row, "name")?,
            karma_min: row.int("karma_min")?,
        });
    }
    Ok(crate::gamification::trial::trial(
        &crate::gamification::trial::TrialInput {
            trial: &trial,
            booked: &booked_by_user,
            karma: &karma,
            names: &names,
            ranks: &ranks,
        },
        &since.to_string(),
        &until.to_string(),
        not_replayed,
    ))
}
