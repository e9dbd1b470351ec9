//! Credentials and access rights: passwords and API keys per user, Odoo's ACL refusals for
//! users outside the manager groups, and the salesperson's "personal leads" record rule.

use super::fault::SimFault;
use super::store::Store;
use crate::domain::Lit;
use crate::record::Value;

/// OdooBot, the superuser: bypasses every check.
pub const SUPERUSER: i64 = 1;

/// Checks `execute_kw` credentials: an active user whose password or API key matches.
pub fn check(store: &Store, uid: i64, secret: &str) -> Result<(), SimFault> {
    let active = store.value("res.users", uid, "active") == Some(Value::Bool(true));
    let known = store
        .secrets
        .get(&uid)
        .is_some_and(|s| !secret.is_empty() && s.iter().any(|k| k == secret));
    if active && known {
        Ok(())
    } else {
        Err(SimFault::access_denied())
    }
}

/// `authenticate`: the uid of the active user with this login and secret.
pub(crate) fn authenticate(store: &Store, login: &str, secret: &str) -> Option<i64> {
    let uid = store.all_ids("res.users").into_iter().find(|&u| {
        store.value("res.users", u, "login") == Some(Value::Str(login.to_owned()))
            && store.value("res.users", u, "active") == Some(Value::Bool(true))
    })?;
    check(store, uid, secret).ok().map(|()| uid)
}

/// Whether the user is an administrator (`Administration / Settings`), as `session_info`'s
/// `is_admin` says.
pub(crate) fn is_admin(store: &Store, uid: i64) -> bool {
    uid == SUPERUSER || in_group(store, uid, Some("Administration"), "Settings")
}

/// Whether the user belongs to the group named `name` (in its category `category`).
fn in_group(store: &Store, uid: i64, category: Option<&str>, name: &str) -> bool {
    // Odoo 17 stores every group, implied ones included, in `groups_id`; 19 keeps the direct
    // ones in `group_ids` and computes the rest.
    let groups = if store.registry().field("res.users", "groups_id").is_some() {
        store
            .value("res.users", uid, "groups_id")
            .map(|v| v.as_ids().to_vec())
            .unwrap_or_default()
    } else {
        super::computed::all_groups(store, uid)
    };
    groups.into_iter().any(|g| {
        store.value("res.groups", g, "name") == Some(Value::Str(name.to_owned()))
            && category.is_none_or(|c| match store.value("res.groups", g, "category_id") {
                Some(Value::Many2one(cat)) => store.display_name("ir.module.category", cat) == c,
                // Odoo 19 has no group categories (Access Rights and Settings have no
                // privilege either): the name decides.
                _ => store
                    .registry()
                    .field("res.groups", "category_id")
                    .is_none(),
            })
    })
}

/// The group a model's writes require, as Odoo's ACL message names it; `None` = no rule.
fn manager_group(model: &str, operation: &str) -> Option<(&'static str, &'static str)> {
    const ACCESS_RIGHTS: (&str, &str) = ("Administration", "Access Rights");
    const SETTINGS: (&str, &str) = ("Administration", "Settings");
    match model {
        "ir.model" | "ir.model.fields" | "res.groups" if operation != "read" => Some(ACCESS_RIGHTS),
        "gamification.challenge"
        | "gamification.challenge.line"
        | "gamification.goal.definition"
        | "gamification.badge"
        | "gamification.karma.rank"
            if operation != "read" =>
        {
            Some(ACCESS_RIGHTS)
        }
        "gamification.karma.tracking" if operation != "unlink" => Some(SETTINGS),
        _ => None,
    }
}

/// Checks the ACL of `operation` ("read", "write", "create", "unlink") on `model`.
pub(crate) fn check_access(
    store: &Store,
    uid: i64,
    model: &str,
    operation: &str,
) -> Result<(), SimFault> {
    if uid == SUPERUSER {
        return Ok(());
    }
    if model.starts_with("x_") {
        return super::custom_models::check_access(store, uid, model, operation);
    }
    let Some((category, name)) = manager_group(model, operation) else {
        return Ok(());
    };
    // Odoo 19 has no group categories: its ACL message lists the bare group name (recorded
    // in 092/093: "- Access Rights"), and base.group_system is "Role / Administrator" (the
    // 19 snapshot's res.groups 4, which implies Access Rights).
    let categories = store
        .registry()
        .field("res.groups", "category_id")
        .is_some();
    let name = match name {
        "Settings" if !categories => "Role / Administrator",
        n => n,
    };
    if in_group(store, uid, Some(category), name) {
        return Ok(());
    }
    let label = if categories {
        format!("{category}/{name}")
    } else {
        name.to_owned()
    };
    Err(SimFault::acl(
        operation,
        store.registry().description(model),
        model,
        &[label],
    ))
}

/// The record rule restricting what `uid` sees of `model` (salespeople see their own and
/// unassigned leads only).
pub(crate) fn record_rule(store: &Store, uid: i64, model: &str) -> Option<Lit> {
    if uid != SUPERUSER && model.starts_with("x_") {
        return super::custom_models::record_rule(store, uid, model);
    }
    if uid == SUPERUSER || model != "crm.lead" {
        return None;
    }
    let own_only = in_group(store, uid, None, "User: Own Documents Only")
        && !in_group(store, uid, None, "User: All Documents")
        && !in_group(store, uid, None, "Administrator");
    own_only.then(|| {
        let leaf = |v: Lit| Lit::List(vec![Lit::Str("user_id".into()), Lit::Str("=".into()), v]);
        Lit::List(vec![
            Lit::Str("|".into()),
            leaf(Lit::Int(uid)),
            leaf(Lit::Bool(false)),
        ])
    })
}
