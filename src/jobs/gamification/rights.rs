//! Badge rights, checked before apply: Odoo checks a grant against the creating user
//! (gotcha 13), so a restricted badge planned for a user the job may not grant fails the
//! run here, with what to change, instead of as a fault halfway through apply.

use crate::odoo::OdooClient;
use crate::xmlrpc;

use super::GamificationError;
use super::grants::Grants;

/// Only the superuser or an *Access Rights* member may grant restricted badges; say so
/// before apply hits the fault.
pub(crate) async fn check_grant_rights(
    client: &OdooClient,
    uid: i64,
    badge: i64,
    grants: &Grants,
) -> Result<(), GamificationError> {
    if uid == 1 {
        return Ok(());
    }
    // The group by its XML id (names are translated), then the user among its members
    // through the version's all-groups field: `groups_id` up to 18; on 19 `group_ids` holds
    // direct groups only and `all_group_ids.name` is refused, `[('all_group_ids', 'in',
    // [gid])]` is what works (../shared/odoo19/README.md).
    let groups_field = client.profile().await?.user_groups_field;
    let gid = access_rights_group(client).await?;
    let domain = vec![
        xmlrpc::Value::Array(vec!["id".into(), "=".into(), xmlrpc::Value::Int(uid)]),
        xmlrpc::Value::Array(vec![
            groups_field.into(),
            "in".into(),
            xmlrpc::Value::Array(gid.into_iter().map(xmlrpc::Value::Int).collect()),
        ]),
    ];
    if client.search_count("res.users", domain).await? > 0 {
        return Ok(());
    }
    Err(GamificationError::GrantRights {
        login: client.credentials().login.clone(),
        uid,
        badge,
        // The badge was read with the grants (`restricted_badge` found it there).
        name: grants
            .badges
            .get(&badge)
            .map_or_else(String::new, |b| b.name.clone()),
        rule_auth: grants
            .rule_auth
            .get(&badge)
            .map_or_else(String::new, Clone::clone),
    })
}

/// The ids of Odoo's *Access Rights* group (`base.group_erp_manager`, named alike on 17 and
/// 19; `ir.model.data` is not readable by every bot, the name is).
async fn access_rights_group(client: &OdooClient) -> Result<Vec<i64>, GamificationError> {
    let domain = vec![xmlrpc::Value::Array(vec![
        "name".into(),
        "=".into(),
        "Access Rights".into(),
    ])];
    let ids = client
        .search_ids("res.groups", domain, &crate::odoo::SearchOptions::default())
        .await?;
    Ok(ids.iter().collect())
}
