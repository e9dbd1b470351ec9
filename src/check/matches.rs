//! Domains that must select at least one record (pay's add-on products): one `search_count`
//! each. An add-on whose products match nothing would pay nothing, silently; it is nearly
//! always a mistyped code or name, so `check` (and `run`) refuse it with the key.

use std::collections::HashSet;

use crate::config::{Diagnostic, MatchRef};
use crate::odoo::WireLit as _;
use crate::odoo::{OdooClient, OdooError};

/// `skip`: keys already reported (a domain the server refuses is not counted).
pub(super) async fn verify_matches(
    client: &OdooClient,
    refs: &[MatchRef],
    skip: &HashSet<String>,
) -> Result<Vec<Diagnostic>, OdooError> {
    let mut diags = Vec::new();
    for r in refs.iter().filter(|r| !skip.contains(&r.key)) {
        // Domains `check` cannot put on the wire were reported when the config was loaded.
        let Ok(lit) = r.domain.try_to_lit() else {
            continue;
        };
        if client.search_count(&r.model, lit.to_wire_items()).await? == 0 {
            diags.push(
                r.at.diagnostic(
                    r.key.clone(),
                    format!("no {} matches {}", r.model, r.domain),
                    Some(
                        "compare the codes or names with Odoo's (archived records do not match); \
                     remove the add-on if it has no products yet"
                            .into(),
                    ),
                ),
            );
        }
    }
    Ok(diags)
}
