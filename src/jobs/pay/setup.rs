//! `scorekeeper setup` for pay: the statement and statement-line models, readable by their
//! salesperson (sales users, a record rule on `x_user_id`) and by sales managers (all,
//! the rules of both groups OR-ed), list and form views, an action and a menu under CRM.
//! Each step is what `fixtures/odoo17/custom-models/` recorded a real Odoo accepting
//! (004–030); running setup twice creates nothing (the models are looked up first).

use crate::odoo::{OdooClient, OdooError, leaf};
use crate::xmlrpc::{Struct, Value as X};

use super::models::{LINE, LINE_FIELDS, STATEMENT, STATEMENT_FIELDS, kinds};

/// What setup did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SetupReport {
    pub created: Vec<String>,
    pub already_there: Vec<String>,
}

fn s(pairs: &[(&str, X)]) -> Struct {
    let mut out = Struct::new();
    for (k, v) in pairs {
        out.push(*k, v.clone());
    }
    out
}

fn cmd_create(vals: Struct) -> X {
    X::Array(vec![X::Int(0), X::Int(0), X::Struct(vals)])
}

async fn create_one(client: &OdooClient, model: &str, vals: Struct) -> Result<i64, OdooError> {
    let ids = client.create(model, vec![vals]).await?;
    ids.first()
        .copied()
        .ok_or_else(|| OdooError::UnexpectedReply {
            call: format!("{model}.create"),
            expected: "the new record's id",
            got: "no id".into(),
        })
}

async fn xml_id(client: &OdooClient, module: &str, name: &str) -> Result<i64, OdooError> {
    let v = client
        .execute_kw(
            "ir.model.data",
            "check_object_reference",
            vec![X::from(module), X::from(name)],
            Struct::new(),
        )
        .await?;
    // `check_object_reference` answers `[model, id]`.
    v.as_array()
        .and_then(|a| a.get(1))
        .and_then(X::as_i64)
        .ok_or_else(|| OdooError::UnexpectedReply {
            call: "ir.model.data.check_object_reference".into(),
            expected: "[model, id]",
            got: v.to_string().chars().take(120).collect(),
        })
}

/// The list view tag: `tree` up to Odoo 17, `list` from 18 (each refuses the other;
/// custom-models/024–025 of odoo17 and odoo19).
pub(crate) fn list_tag(major: u32) -> &'static str {
    if major >= 18 { "list" } else { "tree" }
}

/// Provisions the models, rights, rules, views and menu.
pub async fn setup(client: &OdooClient) -> Result<SetupReport, OdooError> {
    let mut report = SetupReport::default();
    let existing = client
        .search(
            "ir.model",
            vec![leaf(
                "model",
                "in",
                X::Array(vec![X::from(STATEMENT), X::from(LINE)]),
            )],
            &Default::default(),
        )
        .await?;
    if existing.len() == 2 {
        report.already_there.push(format!("{STATEMENT}, {LINE}"));
        return Ok(report);
    }
    // A server that does not say its major version is taken as 17 (the `tree` list tag).
    let major = client
        .version()
        .await?
        .major()
        .and_then(|m| u32::try_from(m).ok())
        .unwrap_or(17);
    let (statement_id, line_id) = create_models(client).await?;
    report.created.push(format!("models {STATEMENT}, {LINE}"));
    create_rights(client, statement_id, line_id).await?;
    report.created.push("access rights and record rules".into());
    create_ui(client, major).await?;
    report.created.push("views, action and the CRM menu".into());
    Ok(report)
}

/// The two models with their fields, and the one2many between them; their `ir.model` ids.
async fn create_models(client: &OdooClient) -> Result<(i64, i64), OdooError> {
    // The statement with its own fields given, so Odoo adds no x_name of its own (006).
    let fields: Vec<X> = STATEMENT_FIELDS
        .iter()
        .filter(|(_, _, ttype, _)| *ttype != "many2one")
        .map(|(name, label, ttype, _)| {
            cmd_create(s(&[
                ("name", X::from(*name)),
                ("field_description", X::from(*label)),
                ("ttype", X::from(*ttype)),
            ]))
        })
        .collect();
    let statement_id = create_one(
        client,
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
        create_one(
            client,
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
    let line_id = create_line_model(client).await?;
    create_one(
        client,
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
    create_one(
        client,
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
async fn create_line_model(client: &OdooClient) -> Result<i64, OdooError> {
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
        .map(|(name, label, ttype)| {
            cmd_create(s(&[
                ("name", X::from(*name)),
                ("field_description", X::from(*label)),
                ("ttype", X::from(*ttype)),
            ]))
        })
        .collect();
    line_fields.push(cmd_create(s(&[
        ("name", X::from("x_kind")),
        ("field_description", X::from("Component")),
        ("ttype", X::from("selection")),
        ("selection_ids", X::Array(selection)),
    ])));
    create_one(
        client,
        "ir.model",
        s(&[
            ("name", X::from("Commission Statement Line")),
            ("model", X::from(LINE)),
            ("field_id", X::Array(line_fields)),
        ]),
    )
    .await
}

/// Salespeople read their own statements, managers everything.
async fn create_rights(
    client: &OdooClient,
    statement_id: i64,
    line_id: i64,
) -> Result<(), OdooError> {
    // Rights: salespeople read, managers everything (018–021); rules OR-ed per group (022/023).
    let salesman = xml_id(client, "sales_team", "group_sale_salesman").await?;
    let manager = xml_id(client, "sales_team", "group_sale_manager").await?;
    for (model_id, label) in [(statement_id, "statement"), (line_id, "line")] {
        for (group, name, all) in [(salesman, "read", false), (manager, "manager", true)] {
            create_one(
                client,
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
    }
    for (model_id, own) in [
        (statement_id, "[('x_user_id', '=', user.id)]"),
        (line_id, "[('x_statement_id.x_user_id', '=', user.id)]"),
    ] {
        create_one(
            client,
            "ir.rule",
            s(&[
                ("name", X::from("sk own statements")),
                ("model_id", X::Int(model_id)),
                (
                    "groups",
                    X::Array(vec![X::Array(vec![X::Int(4), X::Int(salesman)])]),
                ),
                ("domain_force", X::from(own)),
            ]),
        )
        .await?;
        create_one(
            client,
            "ir.rule",
            s(&[
                ("name", X::from("sk all statements")),
                ("model_id", X::Int(model_id)),
                (
                    "groups",
                    X::Array(vec![X::Array(vec![X::Int(4), X::Int(manager)])]),
                ),
                ("domain_force", X::from("[(1, '=', 1)]")),
            ]),
        )
        .await?;
    }
    Ok(())
}

/// List and form views, the action and the menu under CRM.
async fn create_ui(client: &OdooClient, major: u32) -> Result<(), OdooError> {
    let tag = list_tag(major);
    let views = [
        (STATEMENT, tag, format!("<{tag}><field name='x_period'/><field name='x_user_id'/><field name='x_total'/><field name='x_locked'/></{tag}>")),
        (STATEMENT, "form", "<form><group><field name='x_name'/><field name='x_user_id'/><field name='x_period'/><field name='x_total'/><field name='x_locked'/><field name='x_closed_on'/></group><field name='x_line_ids'/></form>".to_owned()),
        (LINE, tag, format!("<{tag}><field name='x_kind'/><field name='x_document'/><field name='x_base'/><field name='x_rate'/><field name='x_coefficient'/><field name='x_amount'/><field name='x_name'/></{tag}>")),
    ];
    for (model, kind, arch) in views {
        create_one(
            client,
            "ir.ui.view",
            s(&[
                ("name", X::from(format!("sk {model} {kind}"))),
                ("model", X::from(model)),
                ("type", X::from(kind)),
                ("arch", X::from(arch)),
            ]),
        )
        .await?;
    }
    let action = create_one(
        client,
        "ir.actions.act_window",
        s(&[
            ("name", X::from("Commission Statements")),
            ("res_model", X::from(STATEMENT)),
            ("view_mode", X::from(format!("{tag},form"))),
        ]),
    )
    .await?;
    let crm = xml_id(client, "crm", "crm_menu_root").await?;
    create_one(
        client,
        "ir.ui.menu",
        s(&[
            ("name", X::from("Commission Statements")),
            ("parent_id", X::Int(crm)),
            ("action", X::from(format!("ir.actions.act_window,{action}"))),
            ("sequence", X::Int(90)),
        ]),
    )
    .await?;
    Ok(())
}
