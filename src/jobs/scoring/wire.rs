//! Small conversions between the job's typed values and the client's wire values: domains
//! (as `domain::Lit`) to push down, and fields_get answers to field metadata.

use crate::domain::{Domain, Lit};
use crate::odoo::WireLit as _;
use crate::xmlrpc::Value;

/// A domain's items (operators and leaves) as the wire list Odoo expects.
pub fn domain_items(domain: &Domain) -> Vec<Value> {
    domain.to_lit().to_wire_items()
}

/// `A AND B` as wire items.
pub(crate) fn and_items(a: &Domain, b: &Domain) -> Vec<Value> {
    domain_items(&Domain::and(a.clone(), b.clone()))
}

/// Whether a domain uses an operator the in-memory pass cannot reproduce from the records it
/// loads (hierarchies need every ancestor or descendant): such rules are pushed down even in
/// the incremental pass, restricted to the changed ids.
pub(crate) fn needs_pushdown(domain: &Domain) -> bool {
    fn walk(lit: &Lit) -> bool {
        match lit {
            Lit::List(items) | Lit::Tuple(items) => {
                if items.len() == 3
                    && let Some(op) = items[1].as_str()
                    && matches!(op, "child_of" | "parent_of")
                {
                    return true;
                }
                items.iter().any(walk)
            }
            _ => false,
        }
    }
    walk(&domain.to_lit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_go_to_the_wire_and_hierarchies_are_detected() {
        let d =
            Domain::parse("[('country_id.code', '=', 'VN'), ('tag_ids', '!=', False)]").unwrap();
        let items = domain_items(&d);
        assert!(!items.is_empty());
        assert!(!needs_pushdown(&d));
        let h = Domain::parse("[('partner_id', 'child_of', 3)]").unwrap();
        assert!(needs_pushdown(&h));
    }
}
