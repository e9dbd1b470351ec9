//! Records the config names by XML id (pay's groups) must exist and be of the model the key
//! means: each is resolved with `ir.model.data.check_object_reference`, the call the jobs make
//! at run time (it answers any user, where reading `ir.model.data` needs rights), so `check`
//! refuses exactly the XML ids a run would fail on.

use crate::config::{Diagnostic, XmlIdRef};
use crate::odoo::{OdooClient, OdooError};
use crate::xmlrpc::{Struct, Value};

/// Odoo's `ValueError` for an unknown XML id (`ir.model.data._xmlid_lookup`).
const NOT_FOUND: &str = "External ID not found";

pub(super) async fn verify_xml_ids(
    client: &OdooClient,
    refs: &[XmlIdRef],
) -> Result<Vec<Diagnostic>, OdooError> {
    let mut diags = Vec::new();
    for r in refs {
        // A bare name (no module) is looked up as Odoo would, with an empty module.
        let (module, name) = r.xml_id.split_once('.').unwrap_or(("", &r.xml_id));
        let answer = client
            .execute_kw(
                "ir.model.data",
                "check_object_reference",
                vec![Value::from(module), Value::from(name)],
                Struct::new(),
            )
            .await;
        let model = match answer {
            Ok(v) => v
                .as_array()
                .and_then(|a| a.first())
                .and_then(Value::as_str)
                .map(str::to_owned),
            Err(OdooError::ServerError { message, .. }) if message.contains(NOT_FOUND) => {
                diags.push(r.at.diagnostic(
                    r.key.clone(),
                    format!("no XML id {} in Odoo", r.xml_id),
                    Some(format!(
                        "Settings → Technical → External Identifiers (developer mode) lists \
                         them; for {}, e.g. sales_team.group_sale_salesman",
                        r.model
                    )),
                ));
                continue;
            }
            Err(e) => return Err(e),
        };
        if model.as_deref() != Some(r.model.as_str()) {
            diags.push(r.at.diagnostic(
                r.key.clone(),
                format!(
                    "{} names a {}, not a {}",
                    r.xml_id,
                    model.as_deref().unwrap_or("record of no model"),
                    r.model
                ),
                None,
            ));
        }
    }
    Ok(diags)
}
