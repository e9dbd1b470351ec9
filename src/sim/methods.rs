//! `execute_kw` on a model: Odoo's ORM methods as the external API exposes them (search,
//! read, search_read, search_count, read_group, fields_get, name_search, write, create,
//! unlink), with Python's argument rules and the ORM's faults.

use super::auth;
use super::create::create_record;
use super::custom_fields;
use super::fault::SimFault;
use super::order;
use super::query::Query;
use super::read_group;
use super::store::Store;
use super::wire::{self, from_wire, to_wire};
use crate::domain::Lit;
use crate::record::{FieldType, Value};
use crate::xmlrpc::{Struct, Value as X};

/// One `execute_kw` call, credentials already checked.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Call<'a> {
    pub uid: i64,
    pub model: &'a str,
    pub method: &'a str,
    pub args: &'a [X],
    pub kwargs: &'a Struct,
    /// The Odoo major version the simulator speaks.
    pub major: i64,
}

impl<'a> Call<'a> {
    /// Argument `i`, or the keyword `name` (Python's binding of a call).
    pub(crate) fn arg(&self, i: usize, name: &str) -> Option<&'a X> {
        self.args.get(i).or_else(|| self.kwargs.get(name))
    }

    fn active_test(&self) -> bool {
        self.kwargs
            .get("context")
            .and_then(X::as_struct)
            .and_then(|c| c.get("active_test"))
            .is_none_or(|v| !v.is_false())
    }

    /// The Python class name Odoo's TypeErrors mention (`Lead.write()`; 19: `CrmLead`).
    fn class_name(&self) -> String {
        super::wording::class_name(self.major, self.model)
    }

    fn missing_arg(&self, name: &str) -> SimFault {
        SimFault::type_error(format!(
            "{}.{}() missing 1 required positional argument: '{name}'",
            self.class_name(),
            self.method
        ))
    }
}

/// Methods that only read (run under the store's read lock).
pub(crate) fn is_read_only(method: &str) -> bool {
    matches!(
        method,
        "search"
            | "search_read"
            | "read"
            | "search_count"
            | "read_group"
            | "formatted_read_group"
            | "web_search_read"
            | "fields_get"
            | "name_search"
            | "check_access_rights"
            | "context_get"
            | "default_get"
            | "check_object_reference"
    )
}

/// Odoo's own gamification engine, which the simulator deliberately does not run.
fn gamification_engine(model: &str, method: &str) -> bool {
    model.starts_with("gamification.")
        && matches!(
            method,
            "action_check"
                | "action_report_progress"
                | "action_reach"
                | "action_fail"
                | "action_cancel"
                | "action_refresh"
                | "action_update_current"
        )
}

fn unknown_method(c: &Call) -> SimFault {
    if gamification_engine(c.model, c.method) {
        return SimFault::python(
            "NotImplementedError",
            &format!(
                "scorekeeper's Odoo simulator does not run Odoo's own gamification engine ({}); \
                 scorekeeper computes goals itself",
                c.method
            ),
            "addons/gamification/models",
        );
    }
    SimFault::python(
        "AttributeError",
        &format!(
            "The method '{}' does not exist on the model '{}'",
            c.method, c.model
        ),
        "api.py",
    )
}

/// Runs a read-only method.
pub(crate) fn call_read(store: &Store, c: &Call) -> Result<X, SimFault> {
    match c.method {
        "search" => {
            let ids = search_ids(store, c, c.arg(0, "domain"), 1)?;
            Ok(ids_array(ids))
        }
        "search_count" => {
            let mut ids = search_ids(store, c, c.arg(0, "domain"), usize::MAX)?;
            if let Some(limit) = c.arg(1, "limit").and_then(X::as_i64).filter(|&l| l > 0) {
                ids.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
            }
            Ok(X::Int(ids.len() as i64))
        }
        "search_read" => {
            let ids = search_ids(store, c, c.arg(0, "domain"), 2)?;
            read_records(store, c, &ids, c.arg(1, "fields"))
        }
        "read" => {
            let ids = ids_arg(c.arg(0, "ids"));
            let visible = visible(store, c, ids)?;
            read_records(store, c, &visible, c.arg(1, "fields"))
        }
        "read_group" => read_group::read_group(store, c),
        // New in Odoo 19 (`read_group` is deprecated there).
        "formatted_read_group" if c.major >= 19 => read_group::formatted_read_group(store, c),
        // New in Odoo 17 (the web client's "unity read").
        "web_search_read" if c.major >= 17 => super::web_read::web_search_read(store, c),
        "fields_get" => fields_get(store, c),
        "name_search" => name_search(store, c),
        "context_get" if c.model == "res.users" => Ok(user_context(store, c.uid)),
        // odoorpc asks it to browse an empty many2one. The snapshot holds no field defaults
        // (`fields_get` does not give them), so none is returned: a simplification.
        "default_get" => Ok(X::Struct(Struct::new())),
        "check_object_reference" if c.model == "ir.model.data" => {
            let text = |i, n| c.arg(i, n).and_then(X::as_str).unwrap_or_default();
            super::custom_models::check_object_reference(
                store,
                text(0, "module"),
                text(1, "xml_id"),
            )
        }
        "check_access_rights" => {
            let op = c.arg(0, "operation").and_then(X::as_str).unwrap_or("read");
            let raise = c.arg(1, "raise_exception").is_none_or(|v| !v.is_false());
            match auth::check_access(store, c.uid, c.model, op) {
                Ok(()) => Ok(X::Bool(true)),
                Err(e) if raise => Err(e),
                Err(_) => Ok(X::Bool(false)),
            }
        }
        _ => Err(unknown_method(c)),
    }
}

/// Runs any method (writes under the store's write lock).
pub(crate) fn call_write(store: &mut Store, c: &Call) -> Result<X, SimFault> {
    match c.method {
        "write" => write(store, c),
        "create" => create(store, c),
        "unlink" => unlink(store, c),
        "action_start" if c.model == "gamification.challenge" => {
            // Odoo 17: `action_start` is `write({'state': 'inprogress'})`.
            let ids = ids_arg(c.arg(0, "ids"));
            let mut vals = Struct::new();
            vals.push("state", X::String("inprogress".into()));
            let args = [
                X::Array(ids.into_iter().map(X::Int).collect()),
                X::Struct(vals),
            ];
            let kwargs = Struct::new();
            write(
                store,
                &Call {
                    method: "write",
                    args: &args,
                    kwargs: &kwargs,
                    ..*c
                },
            )
        }
        "update_goal" if c.model == "gamification.goal" => {
            auth::check_access(store, c.uid, c.model, "write")?;
            let ids: Vec<i64> = ids_arg(c.arg(0, "ids"))
                .into_iter()
                .filter(|&id| store.exists(c.model, id))
                .collect();
            super::gamification::update_goals(store, &ids)?;
            Ok(X::Bool(true))
        }
        m if is_read_only(m) => call_read(store, c),
        _ => Err(unknown_method(c)),
    }
}

/// `res.users.context_get()`: the user's `lang` and `tz` (related to its partner) and its
/// uid, as Odoo 17's `res_users.py` builds it (`en_US` when the partner has no language); the
/// same keys Odoo 19 answers in `../shared/odoo19/json2/002-context-get.json`.
pub(crate) fn user_context(store: &Store, uid: i64) -> X {
    let partner = match store.value("res.users", uid, "partner_id") {
        Some(Value::Many2one(id)) => Some(id),
        _ => None,
    };
    let text = |field: &str| {
        partner
            .and_then(|p| store.value("res.partner", p, field))
            .and_then(|v| match v {
                Value::Str(s) => Some(s),
                _ => None,
            })
    };
    X::Struct(Struct(vec![
        (
            "lang".into(),
            X::String(text("lang").unwrap_or_else(|| "en_US".to_owned())),
        ),
        ("tz".into(), text("tz").map_or(X::Bool(false), X::String)),
        ("uid".into(), X::Int(uid)),
    ]))
}

fn ids_array(ids: Vec<i64>) -> X {
    X::Array(ids.into_iter().map(X::Int).collect())
}

/// The `ids` argument: one id or a list of ids.
pub(crate) fn ids_arg(x: Option<&X>) -> Vec<i64> {
    match x {
        Some(X::Int(i)) => vec![*i],
        Some(X::Array(items)) => items.iter().filter_map(X::as_i64).collect(),
        _ => Vec::new(),
    }
}

fn int_opt(x: Option<&X>) -> Option<i64> {
    match x {
        Some(X::Int(i)) => Some(*i),
        Some(X::Double(d)) => Some(*d as i64),
        _ => None,
    }
}

/// The caller's domain as a literal (empty when absent or `False`).
fn domain_lit(domain: Option<&X>) -> Lit {
    match domain {
        Some(x) if !x.is_false() && !matches!(x, X::Nil) => wire::to_lit(x),
        _ => Lit::List(Vec::new()),
    }
}

/// The domain of a call plus the implicit filters (record rules, `active`), and the
/// caller's own domain (read_group echoes it in `__domain`).
pub(crate) fn effective_domain(
    store: &Store,
    c: &Call,
    domain: Option<&X>,
) -> Result<(Query, Lit), SimFault> {
    let lit = domain_lit(domain);
    let rule = auth::record_rule(store, c.uid, c.model);
    let query = Query::new(store, c.model, &lit, rule.as_ref(), c.active_test())?;
    Ok((query, lit))
}

/// Ids matching `query`, ascending.
pub(crate) fn matching_ids(
    store: &Store,
    model: &str,
    query: &Query,
) -> Result<Vec<i64>, SimFault> {
    query.ids(store, model, None)
}

/// `search`: filter, order, offset and limit. `opt_base` is the position of `offset` among
/// the positional arguments (1 for search, 2 for search_read), or `usize::MAX` for none.
pub(super) fn search_ids(
    store: &Store,
    c: &Call,
    domain: Option<&X>,
    opt_base: usize,
) -> Result<Vec<i64>, SimFault> {
    let (query, _) = effective_domain(store, c, domain)?;
    let at = |k: usize, name: &str| {
        if opt_base == usize::MAX {
            c.kwargs.get(name)
        } else {
            c.arg(opt_base + k, name)
        }
    };
    let offset = int_opt(at(0, "offset")).unwrap_or(0).max(0) as usize;
    let limit = int_opt(at(1, "limit"))
        .filter(|&l| l > 0)
        .map(|l| l as usize);
    let spec = match at(2, "order") {
        Some(X::String(s)) if !s.trim().is_empty() => s.clone(),
        _ => store.registry().order(c.model).to_owned(),
    };
    let terms = order::parse(store, c.model, &spec)?;
    let ascending_ids = matches!(terms.as_slice(), [t] if t.field == "id" && !t.desc);
    let mut ids = match (ascending_ids, limit) {
        // Rows come in id order already: stop at the end of the page (id-range paging).
        (true, Some(l)) => query.ids(store, c.model, Some(offset.saturating_add(l)))?,
        _ => query.ids(store, c.model, None)?,
    };
    order::sort(store, c.model, &mut ids, &terms);
    let end = limit.map_or(ids.len(), |l| offset.saturating_add(l).min(ids.len()));
    Ok(ids.get(offset.min(ids.len())..end).unwrap_or(&[]).to_vec())
}

/// The ids of `ids` that exist and that the user's record rules let them see.
fn visible(store: &Store, c: &Call, ids: Vec<i64>) -> Result<Vec<i64>, SimFault> {
    let ids: Vec<i64> = ids
        .into_iter()
        .filter(|&id| store.exists(c.model, id))
        .collect();
    match auth::record_rule(store, c.uid, c.model) {
        Some(rule) => Query::new(store, c.model, &rule, None, false)?.retain(store, c.model, ids),
        None => Ok(ids),
    }
}

/// The field names of a `fields` argument (all fields when absent or empty).
fn field_names(store: &Store, model: &str, fields: Option<&X>) -> Result<Vec<String>, SimFault> {
    let Some(def) = store.registry().model(model) else {
        return Ok(Vec::new());
    };
    let requested: Vec<String> = match fields {
        Some(X::Array(items)) => items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_owned))
            .collect(),
        Some(X::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    };
    if requested.is_empty() {
        return Ok(def.fields.keys().filter(|k| *k != "id").cloned().collect());
    }
    for f in &requested {
        if !def.fields.contains_key(f) {
            return Err(SimFault::value_error(
                format!("Invalid field {f:?} on model {model:?}").replace('"', "'"),
            ));
        }
    }
    Ok(requested.into_iter().filter(|f| f != "id").collect())
}

fn read_records(store: &Store, c: &Call, ids: &[i64], fields: Option<&X>) -> Result<X, SimFault> {
    auth::check_access(store, c.uid, c.model, "read")?;
    let names = field_names(store, c.model, fields)?;
    // Odoo's `read`: `use_display_name = (load == '_classic_read')`, so any other `load`
    // (`None`, `''`, odoorpc's `'_classic_write'`) gives many2one values as bare ids.
    let load_ids_only = c
        .kwargs
        .get("load")
        .is_some_and(|l| l.as_str() != Some("_classic_read"));
    let defs: Vec<_> = names
        .iter()
        .filter_map(|n| store.registry().field(c.model, n))
        .collect();
    let mut out = Vec::with_capacity(ids.len());
    for &id in ids {
        if !store.exists(c.model, id) {
            continue;
        }
        let mut rec = Struct::with_capacity(defs.len() + 1);
        rec.push("id", X::Int(id));
        for def in &defs {
            let v = store.value(c.model, id, &def.name).unwrap_or_default();
            let x = match (&def.ty, v) {
                (FieldType::Many2one, Value::Many2one(r)) if load_ids_only => X::Int(r),
                (_, v) => to_wire(store, def, v),
            };
            rec.push(def.name.clone(), x);
        }
        out.push(X::Struct(rec));
    }
    Ok(X::Array(out))
}

fn fields_get(store: &Store, c: &Call) -> Result<X, SimFault> {
    let Some(attrs) = store.registry().attrs.get(c.model) else {
        return Ok(X::Struct(Struct::new()));
    };
    let wanted_fields: Option<Vec<&str>> = c
        .arg(0, "allfields")
        .and_then(X::as_array)
        .filter(|a| !a.is_empty())
        .map(|a| a.iter().filter_map(X::as_str).collect());
    let wanted_attrs: Option<Vec<&str>> = c
        .arg(1, "attributes")
        .and_then(X::as_array)
        .map(|a| a.iter().filter_map(X::as_str).collect());
    let mut out = Struct::new();
    for (name, field_attrs) in attrs {
        if wanted_fields
            .as_ref()
            .is_some_and(|w| !w.contains(&name.as_str()))
        {
            continue;
        }
        let mut s = Struct::new();
        for (k, v) in field_attrs {
            if wanted_attrs
                .as_ref()
                .is_none_or(|w| w.contains(&k.as_str()))
            {
                s.push(k.clone(), wire::json_to_wire(v));
            }
        }
        out.push(name.clone(), X::Struct(s));
    }
    Ok(X::Struct(out))
}

fn name_search(store: &Store, c: &Call) -> Result<X, SimFault> {
    let name = c
        .arg(0, "name")
        .and_then(X::as_str)
        .unwrap_or("")
        .to_owned();
    let op = c.arg(2, "operator").and_then(X::as_str).unwrap_or("ilike");
    let limit = int_opt(c.arg(3, "limit")).unwrap_or(100).max(0) as usize;
    let (query, _) = effective_domain(store, c, c.arg(1, "args"))?;
    let mut ids = query.ids(store, c.model, None)?;
    let terms = order::parse(store, c.model, store.registry().order(c.model))?;
    order::sort(store, c.model, &mut ids, &terms);
    let needle = name.to_lowercase();
    let mut out = Vec::new();
    for id in ids {
        if out.len() >= limit {
            break;
        }
        let label = store.display_name(c.model, id);
        let hit = name.is_empty()
            || match op {
                "=" => label == name,
                "!=" => label != name,
                "like" => label.contains(&name),
                "not like" => !label.contains(&name),
                "not ilike" => !label.to_lowercase().contains(&needle),
                _ => label.to_lowercase().contains(&needle),
            };
        if hit {
            out.push(X::Array(vec![X::Int(id), X::String(label)]));
        }
    }
    Ok(X::Array(out))
}

/// Converts and checks a `vals` struct for `model` (unknown fields, selection keys, ranges).
fn convert_vals(
    store: &Store,
    model: &str,
    id: Option<i64>,
    vals: &Struct,
) -> Result<Vec<(String, Value)>, SimFault> {
    let mut out = Vec::with_capacity(vals.len());
    for name in vals.keys() {
        if store.registry().field(model, name).is_none() {
            return Err(SimFault::value_error(format!(
                "Invalid field '{name}' on model '{model}'"
            )));
        }
    }
    for (name, x) in vals.iter() {
        let Some(def) = store.registry().field(model, name) else {
            continue;
        };
        // Log columns are the ORM's business: silently ignored when a client sends them.
        if matches!(
            name,
            "id" | "create_date" | "write_date" | "create_uid" | "write_uid"
        ) {
            continue;
        }
        let current = id
            .and_then(|id| store.value(model, id, name))
            .unwrap_or_default();
        let v = from_wire(store, model, def, x, &current)?;
        // Non-stored fields (computed, or one2many read from their inverse) are not written.
        if store.registry().is_column(def) {
            out.push((name.to_owned(), v));
        }
    }
    Ok(out)
}

fn write(store: &mut Store, c: &Call) -> Result<X, SimFault> {
    let ids = ids_arg(c.arg(0, "ids"));
    let Some(vals) = c.arg(1, "vals") else {
        return Err(c.missing_arg("vals"));
    };
    let Some(vals) = vals.as_struct() else {
        return Err(SimFault::python(
            "AttributeError",
            &format!("'{}' object has no attribute 'items'", vals.type_name()),
            "models.py",
        ));
    };
    auth::check_access(store, c.uid, c.model, "write")?;
    for (name, _) in vals.iter() {
        if store.registry().field(c.model, name).is_none() {
            return Err(SimFault::value_error(format!(
                "Invalid field '{name}' on model '{}'",
                c.model
            )));
        }
    }
    let missing: Vec<i64> = ids
        .iter()
        .copied()
        .filter(|&id| !store.exists(c.model, id))
        .collect();
    if !missing.is_empty() {
        return Err(SimFault::missing(c.model, &missing, c.uid));
    }
    let now = store.now();
    // Odoo tracks writes on `mail.thread` models (those with `message_ids`) unless the context
    // says `tracking_disable`; the simulator counts what would have been tracked.
    let quiet = c
        .kwargs
        .get("context")
        .and_then(X::as_struct)
        .and_then(|ctx| ctx.get("tracking_disable"))
        .is_some_and(|v| !v.is_false());
    if !quiet && store.registry().field(c.model, "message_ids").is_some() {
        for (name, _) in vals.iter() {
            *store
                .tracked
                .entry((c.model.to_owned(), name.to_owned()))
                .or_insert(0) += ids.len() as u64;
        }
    }
    let mut per_record = Vec::with_capacity(ids.len());
    for &id in &ids {
        let mut values = convert_vals(store, c.model, Some(id), vals)?;
        super::computed::write_side_effects(c.model, &mut values, &now);
        per_record.push((id, values));
    }
    if c.model == "res.users"
        && let Some(karma) = per_record
            .first()
            .and_then(|(_, v)| v.iter().find(|(k, _)| k == "karma"))
            .and_then(|(_, v)| v.as_i64())
    {
        // Odoo turns a karma write into a tracking per user whose karma changes.
        for &uid in &ids {
            super::computed::track_karma(store, uid, karma, c.uid);
        }
    }
    let today = store.today();
    let mut fields: Vec<String> = per_record
        .first()
        .map(|(_, v)| v.iter().map(|(k, _)| k.clone()).collect())
        .unwrap_or_default();
    for (id, values) in per_record {
        let Some(t) = store.table_mut(c.model) else {
            break;
        };
        for (name, v) in values {
            t.set(id, &name, v);
        }
        t.set(id, "write_date", Value::Str(now.clone()));
        t.set(id, "write_uid", Value::Many2one(c.uid));
        if c.model == "gamification.goal" {
            t.set(id, "last_update", Value::Str(today.clone()));
        }
    }
    fields.push("write_date".to_owned());
    super::computed::after_change(store, c.model, &ids, &fields);
    if c.model == "gamification.challenge" {
        let state = vals.get("state").and_then(X::as_str);
        super::gamification::after_challenge_write(store, c.uid, &ids, state)?;
    }
    Ok(X::Bool(true))
}

fn create(store: &mut Store, c: &Call) -> Result<X, SimFault> {
    let Some(arg) = c.arg(0, "vals_list") else {
        return Err(c.missing_arg("vals_list"));
    };
    if c.model == "ir.model.fields" {
        auth::check_access(store, c.uid, c.model, "create")?;
        return custom_fields::create(store, c.uid, arg);
    }
    if c.model == "ir.model" {
        auth::check_access(store, c.uid, c.model, "create")?;
        return super::custom_models::create(store, c.uid, arg);
    }
    auth::check_access(store, c.uid, c.model, "create")?;
    let (list, single) = match arg {
        X::Struct(s) => (vec![s], true),
        X::Array(items) => (items.iter().filter_map(X::as_struct).collect(), false),
        other => {
            return Err(SimFault::python(
                "AttributeError",
                &format!("'{}' object has no attribute 'items'", other.type_name()),
                "models.py",
            ));
        }
    };
    let mut converted = Vec::with_capacity(list.len());
    let mut children = Vec::with_capacity(list.len());
    for vals in list {
        if c.model == "ir.ui.view" {
            super::custom_models::check_view(store, vals)?;
        }
        let (own, kids) = super::custom_models::take_one2many(store, c.model, vals);
        converted.push(convert_vals(store, c.model, None, &own)?);
        let mut kids_converted = Vec::new();
        for (comodel, inverse, list) in kids {
            for kid in list {
                kids_converted.push((
                    comodel.clone(),
                    inverse.clone(),
                    convert_vals(store, &comodel, None, &kid)?,
                ));
            }
        }
        children.push(kids_converted);
    }
    if c.model == "gamification.challenge" {
        for values in &converted {
            challenge_user_domain(store, values)?;
        }
    }
    let mut ids = Vec::with_capacity(converted.len());
    for (values, kids) in converted.into_iter().zip(children) {
        let id = create_record(store, c.model, values, c.uid);
        for (comodel, inverse, mut values) in kids {
            values.push((inverse, Value::Many2one(id)));
            create_record(store, &comodel, values, c.uid);
        }
        ids.push(id);
    }
    Ok(if single {
        X::Int(ids.first().copied().unwrap_or(0))
    } else {
        ids_array(ids)
    })
}

/// Odoo's `gamification.challenge.create` searches the users of a `user_domain` at once
/// (`_get_challenger_users`, gamification_challenge.py), so a domain naming a field res.users
/// lacks faults the create, as the search would.
fn challenge_user_domain(store: &Store, values: &[(String, Value)]) -> Result<(), SimFault> {
    let Some((_, Value::Str(text))) = values.iter().find(|(k, _)| k == "user_domain") else {
        return Ok(());
    };
    let domain = crate::domain::Domain::parse(text).map_err(|e| super::query::fault(&e))?;
    domain
        .validate(&store.registry().schema, "res.users")
        .map_err(|e| super::query::fault(&e))
}

fn unlink(store: &mut Store, c: &Call) -> Result<X, SimFault> {
    let ids = ids_arg(c.arg(0, "ids"));
    auth::check_access(store, c.uid, c.model, "unlink")?;
    super::custom_models::unlink_meta(store, c.model, &ids)?;
    super::custom_models::cascade(store, c.model, &ids);
    if let Some(t) = store.table_mut(c.model) {
        for id in ids {
            t.remove(id);
        }
    }
    Ok(X::Bool(true))
}
