//! The statement and statement-line models (004–013 of the recordings): the statement with
//! its own fields given, so Odoo adds no `x_name` of its own (006), its many2one fields one by
//! one (007), the line with its `x_kind` selection, the line's many2one to its statement
//! (deleted with it, 042/043) and the statement's one2many of lines (013); then their rights
//! and screens.

use crate::odoo::OdooError;
use crate::xmlrpc::Value as X;

use super::super::models::{KEY, LINE, LINE_FIELDS, STATEMENT, STATEMENT_FIELDS, kinds};
use super::provision::{Provision, cmd_create, s};
use super::screens::{Anchors, View, list_tag, rights, screens};

/// Provisions both models, their rights and screens.
pub(super) async fn provision(p: &mut Provision<'_>, at: Anchors) -> Result<(), OdooError> {
    let (statement_id, line_id) = models(p).await?;
    rights(
        p,
        at,
        statement_id,
        "statement",
        "statements",
        "[('x_user_id', '=', user.id)]",
    )
    .await?;
    rights(
        p,
        at,
        line_id,
        "line",
        "statements",
        "[('x_statement_id.x_user_id', '=', user.id)]",
    )
    .await?;
    let tag = list_tag(at.major);
    let views = vec![
        View {
            model: STATEMENT,
            kind: tag,
            arch: format!("<{tag}><field name='x_period'/><field name='x_user_id'/><field name='x_total'/><field name='x_locked'/></{tag}>"),
        },
        View {
            model: STATEMENT,
            kind: "form",
            arch: "<form><group><field name='x_name'/><field name='x_user_id'/><field name='x_period'/><field name='x_total'/><field name='x_locked'/><field name='x_closed_on'/></group><field name='x_line_ids'/></form>".to_owned(),
        },
        View {
            model: LINE,
            kind: tag,
            arch: format!("<{tag}><field name='x_kind'/><field name='x_document'/><field name='x_base'/><field name='x_rate'/><field name='x_coefficient'/><field name='x_amount'/><field name='x_name'/></{tag}>"),
        },
    ];
    screens(p, at, STATEMENT, "Commission Statements", views, 90).await
}

/// A field created with its model. The key field is indexed (`ir.model.fields.index`: Odoo
/// adds a database index), so each apply's search for 2,000 keys stays an index lookup as
/// the lines grow (100,000 a month at 1,000 people), not a scan of the table.
fn own_field(name: &str, label: &str, ttype: &str) -> X {
    let mut vals = s(&[
        ("name", X::from(name)),
        ("field_description", X::from(label)),
        ("ttype", X::from(ttype)),
    ]);
    if name == KEY {
        vals.push("index", X::Bool(true));
    }
    cmd_create(vals)
}

/// The two models with their fields, and the one2many between them; their `ir.model` ids.
async fn models(p: &mut Provision<'_>) -> Result<(i64, i64), OdooError> {
    let fields: Vec<X> = STATEMENT_FIELDS
        .iter()
        .filter(|(_, _, ttype, _)| *ttype != "many2one")
        .map(|(name, label, ttype, _)| own_field(name, label, ttype))
        .collect();
    let statement_id = p
        .create(
            "ir.model",
            s(&[
                ("name", X::from("Commission Statement")),
                ("model", X::from(STATEMENT)),
                ("order", X::from("x_period desc, id desc")),
                ("field_id", X::Array(fields)),
            ]),
        )
        .await?;
    for (name, label, _, relation) in STATEMENT_FIELDS.iter() {
        let Some(relation) = relation else { continue };
        p.create(
            "ir.model.fields",
            s(&[
                ("model_id", X::Int(statement_id)),
                ("name", X::from(*name)),
                ("field_description", X::from(*label)),
                ("ttype", X::from("many2one")),
                ("relation", X::from(*relation)),
                ("state", X::from("manual")),
            ]),
        )
        .await?;
    }
    let line_id = line_model(p).await?;
    p.create(
        "ir.model.fields",
        s(&[
            ("model_id", X::Int(line_id)),
            ("name", X::from("x_statement_id")),
            ("ttype", X::from("many2one")),
            ("relation", X::from(STATEMENT)),
            ("field_description", X::from("Statement")),
            ("on_delete", X::from("cascade")),
            ("state", X::from("manual")),
        ]),
    )
    .await?;
    p.create(
        "ir.model.fields",
        s(&[
            ("model_id", X::Int(statement_id)),
            ("name", X::from("x_line_ids")),
            ("ttype", X::from("one2many")),
            ("relation", X::from(LINE)),
            ("relation_field", X::from("x_statement_id")),
            ("field_description", X::from("Lines")),
            ("state", X::from("manual")),
        ]),
    )
    .await?;
    Ok((statement_id, line_id))
}

/// The statement-line model with its own fields (its `x_kind` selection included).
async fn line_model(p: &mut Provision<'_>) -> Result<i64, OdooError> {
    let selection: Vec<X> = kinds()
        .iter()
        .zip(0_i64..)
        .map(|((value, name), i)| {
            cmd_create(s(&[
                ("value", X::from(*value)),
                ("name", X::from(*name)),
                ("sequence", X::Int(i)),
            ]))
        })
        .collect();
    let mut line_fields: Vec<X> = LINE_FIELDS
        .iter()
        .map(|(name, label, ttype)| own_field(name, label, ttype))
        .collect();
    line_fields.push(cmd_create(s(&[
        ("name", X::from("x_kind")),
        ("field_description", X::from("Component")),
        ("ttype", X::from("selection")),
        ("selection_ids", X::Array(selection)),
    ])));
    p.create(
        "ir.model",
        s(&[
            ("name", X::from("Commission Statement Line")),
            ("model", X::from(LINE)),
            ("field_id", X::Array(line_fields)),
        ]),
    )
    .await
}
