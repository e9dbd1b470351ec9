//! What every model setup provisions gets the same way: access rights (salespeople read,
//! sales managers read and write; 018–021), record rules OR-ed per group (salespeople their
//! own records, managers all; 022/023), and Odoo's own screens — views, a window action and
//! a menu under CRM (024–030).

use crate::odoo::OdooError;
use crate::xmlrpc::Value as X;

use super::provision::{Provision, s};

/// What setup looked up before writing anything.
#[derive(Clone, Copy, Debug)]
pub(super) struct Anchors {
    /// `sales_team.group_sale_salesman`.
    pub(super) salesman: i64,
    /// `sales_team.group_sale_manager`.
    pub(super) manager: i64,
    /// `crm.crm_menu_root`.
    pub(super) crm_menu: i64,
    /// The server's major version (the list view's tag).
    pub(super) major: u32,
}

/// The list view tag: `tree` up to Odoo 17, `list` from 18 (each refuses the other;
/// custom-models/024–025 of odoo17 and odoo19).
pub(crate) fn list_tag(major: u32) -> &'static str {
    if major >= 18 { "list" } else { "tree" }
}

/// Access rights and record rules of one model: salespeople read the records `own` selects,
/// managers read and write everything. `label` names the rows (`sk statement read`), `plural`
/// the rules (`sk own statements`).
pub(super) async fn rights(
    p: &mut Provision<'_>,
    at: Anchors,
    model_id: i64,
    label: &str,
    plural: &str,
    own: &str,
) -> Result<(), OdooError> {
    for (group, name, all) in [(at.salesman, "read", false), (at.manager, "manager", true)] {
        p.create(
            "ir.model.access",
            s(&[
                ("name", X::from(format!("sk {label} {name}"))),
                ("model_id", X::Int(model_id)),
                ("group_id", X::Int(group)),
                ("perm_read", X::Bool(true)),
                ("perm_write", X::Bool(all)),
                ("perm_create", X::Bool(all)),
                ("perm_unlink", X::Bool(all)),
            ]),
        )
        .await?;
    }
    for (group, who, domain) in [
        (at.salesman, "own", own),
        (at.manager, "all", "[(1, '=', 1)]"),
    ] {
        p.create(
            "ir.rule",
            s(&[
                ("name", X::from(format!("sk {who} {plural}"))),
                ("model_id", X::Int(model_id)),
                (
                    "groups",
                    X::Array(vec![X::Array(vec![X::Int(4), X::Int(group)])]),
                ),
                ("domain_force", X::from(domain)),
            ]),
        )
        .await?;
    }
    Ok(())
}

/// One view: its model, type (`tree`/`list` or `form`) and arch.
pub(super) struct View {
    pub(super) model: &'static str,
    pub(super) kind: &'static str,
    pub(super) arch: String,
}

/// The views, a window action on `model` named `title` and a menu of that name under CRM.
pub(super) async fn screens(
    p: &mut Provision<'_>,
    at: Anchors,
    model: &str,
    title: &str,
    views: Vec<View>,
    sequence: i64,
) -> Result<(), OdooError> {
    for v in views {
        p.create(
            "ir.ui.view",
            s(&[
                ("name", X::from(format!("sk {} {}", v.model, v.kind))),
                ("model", X::from(v.model)),
                ("type", X::from(v.kind)),
                ("arch", X::from(v.arch)),
            ]),
        )
        .await?;
    }
    let tag = list_tag(at.major);
    let action = p
        .create(
            "ir.actions.act_window",
            s(&[
                ("name", X::from(title)),
                ("res_model", X::from(model)),
                ("view_mode", X::from(format!("{tag},form"))),
            ]),
        )
        .await?;
    p.create(
        "ir.ui.menu",
        s(&[
            ("name", X::from(title)),
            ("parent_id", X::Int(at.crm_menu)),
            ("action", X::from(format!("ir.actions.act_window,{action}"))),
            ("sequence", X::Int(sequence)),
        ]),
    )
    .await?;
    Ok(())
}
