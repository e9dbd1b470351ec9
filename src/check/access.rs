//! The access rights a config needs, per model and operation, asked of Odoo as the configured
//! bot user with `check_access_rights(operation, raise_exception=False)` (Odoo's ACLs; record
//! rules are not access rights and are not checked here). A missing right is a config
//! mistake reported at `odoo.login`, with the Odoo group that grants it (README.md,
//! "Least-privilege Odoo bot user").

use std::collections::BTreeSet;

use crate::config::{Config, Diagnostic};
use crate::odoo::{OdooClient, OdooError};
use crate::xmlrpc::{Struct, Value};

/// One right a configured job needs.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct AccessNeed {
    pub model: String,
    /// `read`, `write` or `create`.
    pub operation: &'static str,
    /// The config section that needs it, e.g. `[scoring]`.
    pub needed_by: &'static str,
}

/// Every right the configured jobs use when they run (not `setup`'s).
pub fn access_needs(cfg: &Config) -> Vec<AccessNeed> {
    let mut needs = BTreeSet::new();
    let mut need = |model: &str, ops: &[&'static str], by: &'static str| {
        for op in ops {
            needs.insert(AccessNeed {
                model: model.to_owned(),
                operation: op,
                needed_by: by,
            });
        }
    };
    if let Some(s) = &cfg.scoring {
        need("crm.lead", &["read", "write"], "[scoring]");
        if s.model.bands.iter().any(|b| b.tag.is_some()) {
            need("crm.tag", &["read"], "[scoring]");
        }
    }
    if cfg.assignment.is_some() {
        need("crm.team", &["read"], "[assignment]");
        need("crm.team.member", &["read"], "[assignment]");
        need("res.users", &["read"], "[assignment]");
    }
    if let Some(g) = &cfg.gamification {
        if g.odoo_challenges || !g.challenges.is_empty() {
            let by = "[gamification]";
            need("gamification.challenge", &["read", "write"], by);
            need("gamification.challenge.line", &["read"], by);
            need("gamification.goal.definition", &["read"], by);
            need("gamification.goal", &["read", "write", "create"], by);
            need("gamification.badge.user", &["read", "create"], by);
            need("res.users", &["read"], by);
            for line in g.challenges.iter().flat_map(|c| &c.lines) {
                need(&line.model, &["read"], by);
            }
        }
        if !g.point_rules.is_empty() {
            let by = "[[gamification.point_rules]]";
            need("gamification.karma.tracking", &["read", "create"], by);
            for rule in &g.point_rules {
                need(&rule.model, &["read"], by);
            }
        }
    }
    if let Some(r) = &cfg.recognition {
        let by = "[recognition]";
        need("mail.message", &["read", "create"], by);
        if r.channel.is_some() {
            need("discuss.channel", &["read"], by);
        }
    }
    needs.into_iter().collect()
}

/// The group that grants `operation` on `model` to the bot user, as Odoo 17 names it.
fn group_for(model: &str, operation: &str) -> String {
    match model {
        "gamification.karma.tracking" => "Administration: Settings (base.group_system)".to_owned(),
        m if m.starts_with("gamification.") || m.starts_with("ir.model") => {
            "Administration: Access Rights (base.group_erp_manager)".to_owned()
        }
        m if m.starts_with("crm.") || m == "res.users" => {
            "Sales: Administrator (sales_team.group_sale_manager)".to_owned()
        }
        m => format!("a group with {operation} access to {m}"),
    }
}

pub(super) async fn verify_access(
    client: &OdooClient,
    cfg: &Config,
    needs: &[AccessNeed],
) -> Result<Vec<Diagnostic>, OdooError> {
    let mut diags = Vec::new();
    for n in needs {
        let kwargs = Struct(vec![("raise_exception".to_owned(), Value::Bool(false))]);
        let granted = match client
            .execute_kw(
                &n.model,
                "check_access_rights",
                vec![Value::from(n.operation)],
                kwargs,
            )
            .await
        {
            Ok(v) => v.as_bool().unwrap_or(false),
            // A model the server lacks is reported by the field checks already.
            Err(OdooError::UserError { message, .. }) if message.contains("doesn't exist") => {
                continue;
            }
            Err(e) => return Err(e),
        };
        if !granted {
            diags.push(cfg.odoo.login_at.diagnostic(
                "odoo.login",
                format!(
                    "user '{}' may not {} {} records, which {} needs",
                    cfg.odoo.login, n.operation, n.model, n.needed_by
                ),
                Some(format!(
                    "in Odoo, add the user to the group {}",
                    group_for(&n.model, n.operation)
                )),
            ));
        }
    }
    Ok(diags)
}
