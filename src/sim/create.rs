//! Record creation with Odoo's defaults: log columns, `active`, required selections, the
//! creating user's company, and the defaults of the models the daemon writes (lead
//! owner/team/stage, goal start date, karma tracking values).

use std::collections::BTreeMap;

use super::computed;
use super::order;
use super::store::Store;
use crate::record::{FieldType, ModelDef, Value};

/// Which defaults a create applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Defaults {
    /// What Odoo's ORM fills in for an RPC `create` by `uid`.
    Odoo,
    /// Only the log columns: the caller (a dataset generator) decides every other value,
    /// and leaves out what must stay empty.
    LogOnly,
}

/// Creates one record from already-validated values and returns its id.
pub(crate) fn create_record(
    store: &mut Store,
    model: &str,
    values: Vec<(String, Value)>,
    uid: i64,
) -> i64 {
    create_with(store, model, values, uid, Defaults::Odoo)
}

/// Creates one record with the given kind of defaults.
pub(crate) fn create_with(
    store: &mut Store,
    model: &str,
    values: Vec<(String, Value)>,
    uid: i64,
    defaults: Defaults,
) -> i64 {
    let Some(def) = store.registry().model(model) else {
        return 0;
    };
    let id = store.table(model).map_or(1, |t| t.next_id());
    let mut vals: BTreeMap<String, Value> = values.into_iter().collect();
    let now = store.now();
    set_default(&mut vals, def, "create_date", Value::Str(now.clone()));
    set_default(&mut vals, def, "write_date", Value::Str(now.clone()));
    set_default(&mut vals, def, "create_uid", Value::Many2one(uid));
    set_default(&mut vals, def, "write_uid", Value::Many2one(uid));
    if defaults == Defaults::LogOnly {
        return insert(store, model, id, vals);
    }
    set_default(&mut vals, def, "active", Value::Bool(true));
    if let Some(Value::Many2one(company)) = store.value("res.users", uid, "company_id")
        && def
            .field("company_id")
            .is_some_and(|f| f.store && f.relation.as_deref() == Some("res.company"))
    {
        set_default(&mut vals, def, "company_id", Value::Many2one(company));
    }
    for f in def.fields.values() {
        if f.ty == FieldType::Selection
            && f.required
            && f.store
            && let Some((first, _)) = f.selection.first()
        {
            set_default(&mut vals, def, &f.name, Value::Str(first.clone()));
        }
    }
    match model {
        "crm.lead" => {
            set_default(&mut vals, def, "user_id", Value::Many2one(uid));
            if let Some(team) = user_team(store, uid) {
                set_default(&mut vals, def, "team_id", Value::Many2one(team));
            }
            if let Some(stage) = first_record(store, "crm.stage") {
                set_default(&mut vals, def, "stage_id", Value::Many2one(stage));
            }
            set_default(&mut vals, def, "priority", Value::Str("0".to_owned()));
            set_default(
                &mut vals,
                def,
                "date_last_stage_update",
                Value::Str(now.clone()),
            );
            if vals.get("user_id").is_some_and(|v| !v.is_null()) {
                set_default(&mut vals, def, "date_open", Value::Str(now.clone()));
            }
        }
        "gamification.goal" => set_default(&mut vals, def, "start_date", Value::Str(store.today())),
        "gamification.karma.tracking" => {
            set_default(&mut vals, def, "tracking_date", Value::Str(now.clone()));
            let user = vals.get("user_id").and_then(Value::as_many2one);
            let karma = user
                .and_then(|u| store.value("res.users", u, "karma"))
                .and_then(|v| v.as_i64())
                .unwrap_or(0);
            set_default(&mut vals, def, "old_value", Value::Int(karma));
            let old = vals
                .get("old_value")
                .and_then(Value::as_i64)
                .unwrap_or(karma);
            if let Some(gain) = vals.remove("gain").and_then(|g| g.as_i64()) {
                vals.insert("new_value".to_owned(), Value::Int(old + gain));
            }
        }
        _ => {}
    }
    insert(store, model, id, vals)
}

/// Stores the record and refreshes the stored computations that depend on it.
fn insert(store: &mut Store, model: &str, id: i64, vals: BTreeMap<String, Value>) -> i64 {
    let fields: Vec<String> = vals.keys().cloned().collect();
    store.put(model, id, vals.into_iter().collect());
    if let Some(t) = store.table_mut(model) {
        t.bump_sequence(id + 1);
    }
    computed::after_change(store, model, &[id], &fields);
    id
}

/// The sales team a user is a member of (first membership).
fn user_team(store: &Store, uid: i64) -> Option<i64> {
    store
        .all_ids("crm.team.member")
        .into_iter()
        .find(|&m| store.value("crm.team.member", m, "user_id") == Some(Value::Many2one(uid)))
        .and_then(|m| {
            store
                .value("crm.team.member", m, "crm_team_id")?
                .as_many2one()
        })
}

/// The first record of a model in its default order.
fn first_record(store: &Store, model: &str) -> Option<i64> {
    let mut ids = store.all_ids(model);
    let terms = order::parse(store, model, store.registry().order(model)).ok()?;
    order::sort(store, model, &mut ids, &terms);
    ids.first().copied()
}

/// Sets `k` to `v` unless the caller gave a value, even an empty one (an explicit `False`
/// wins over a default in Odoo too), or the model lacks the field.
fn set_default(vals: &mut BTreeMap<String, Value>, def: &ModelDef, k: &str, v: Value) {
    if def.fields.contains_key(k) && !vals.contains_key(k) {
        vals.insert(k.to_owned(), v);
    }
}
