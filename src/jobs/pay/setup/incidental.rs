//! The default incidental model `x_sk_incidental`: one-off amounts a sales manager records in
//! Odoo for a person (a bonus for a trade fair, a correction), so they are audited where people
//! work (Odoo logs who created and changed each one). Provisioned like the statements, step by
//! step as the recordings show (its own fields in the create, 006; the many2one after, 007):
//! salespeople read their own amounts, managers record and change them; a list and a form
//! view and a menu under CRM.

use crate::odoo::OdooError;
use crate::xmlrpc::Value as X;

use super::super::models::{INCIDENTAL, INCIDENTAL_FIELDS};
use super::provision::{Provision, cmd_create, s};
use super::screens::{Anchors, View, list_tag, rights, screens};

/// Provisions the model, its rights and screens.
pub(super) async fn provision(p: &mut Provision<'_>, at: Anchors) -> Result<(), OdooError> {
    let fields: Vec<X> = INCIDENTAL_FIELDS
        .iter()
        .map(|(name, label, ttype, required)| {
            cmd_create(s(&[
                ("name", X::from(*name)),
                ("field_description", X::from(*label)),
                ("ttype", X::from(*ttype)),
                ("required", X::Bool(*required)),
            ]))
        })
        .collect();
    let model_id = p
        .create(
            "ir.model",
            s(&[
                ("name", X::from("Incidental Amount")),
                ("model", X::from(INCIDENTAL)),
                ("order", X::from("x_date desc, id desc")),
                ("field_id", X::Array(fields)),
            ]),
        )
        .await?;
    p.create(
        "ir.model.fields",
        s(&[
            ("model_id", X::Int(model_id)),
            ("name", X::from("x_user_id")),
            ("field_description", X::from("Salesperson")),
            ("ttype", X::from("many2one")),
            ("relation", X::from("res.users")),
            ("required", X::Bool(true)),
            ("state", X::from("manual")),
        ]),
    )
    .await?;
    rights(
        p,
        at,
        model_id,
        "incidental",
        "incidental amounts",
        "[('x_user_id', '=', user.id)]",
    )
    .await?;
    let tag = list_tag(at.major);
    let views = vec![
        View {
            model: INCIDENTAL,
            kind: tag,
            arch: format!("<{tag}><field name='x_date'/><field name='x_user_id'/><field name='x_name'/><field name='x_amount'/><field name='create_uid'/></{tag}>"),
        },
        View {
            model: INCIDENTAL,
            kind: "form",
            arch: "<form><group><field name='x_user_id'/><field name='x_date'/><field name='x_amount'/><field name='x_name'/></group></form>".to_owned(),
        },
    ];
    screens(p, at, INCIDENTAL, "Incidental Amounts", views, 91).await
}
