//! `product.product`, which the recorded snapshots do not carry as a model but name on every
//! `account.invoice.report` row (`product_id: [34, "[FURN_6741] Large Meeting Table"]`).
//! Pay's add-ons search products by a domain (`[('default_code', '=', 'FURN_9999')]`), so
//! the simulator holds those recorded products as records.
//!
//! Taught from two sources: the records from the recording (each product id and display name
//! a snapshot row shows), and the fields and naming from Odoo's source
//! (`addons/product/models/product_product.py`: `default_code` "Internal Reference",
//! `name` related to the template, `active`; `_compute_display_name` shows
//! `[default_code] name` when there is a code; `_order = 'priority desc, default_code, name,
//! id'`, of which the simulator keeps `default_code, name, id`, no product having a priority).
//! The recorded display name is split back into its code and name by that rule.

use super::registry::{ModelInfo, Registry};
use super::store::Store;
use crate::record::{FieldDef, FieldType, ModelDef, Value};

pub(crate) const PRODUCT: &str = "product.product";

/// Adds the model unless the snapshot carries it (then its own records stand, and `seed`
/// is not called): the fields pay and `check` read. True when added.
pub(crate) fn install(reg: &mut Registry) -> bool {
    if reg.schema.model(PRODUCT).is_some() {
        return false;
    }
    let mut def = ModelDef::new(PRODUCT);
    let mut attrs = std::collections::BTreeMap::new();
    for (name, ty, label) in [
        ("id", FieldType::Integer, "ID"),
        ("name", FieldType::Char, "Name"),
        ("default_code", FieldType::Char, "Internal Reference"),
        ("display_name", FieldType::Char, "Display Name"),
        ("active", FieldType::Boolean, "Active"),
    ] {
        let mut f = FieldDef::new(name, ty);
        f.string = label.to_owned();
        // The display name is computed (below, `computed::display_name`), never stored.
        f.store = name != "display_name";
        // `fields_get` as a snapshot records it.
        let a = serde_json::json!({
            "type": f.ty.as_str(), "string": label, "store": f.store,
            "readonly": !f.store, "required": false, "company_dependent": false,
        });
        if let serde_json::Value::Object(o) = a {
            attrs.insert(name.to_owned(), o);
        }
        def.add(f);
    }
    reg.attrs.insert(PRODUCT.to_owned(), attrs);
    reg.schema.add_model(def);
    reg.info
        .entry(PRODUCT.to_owned())
        .or_insert_with(|| ModelInfo {
            description: "Product Variant".to_owned(),
            order: "default_code, name, id".to_owned(),
            ir_model_id: None,
        });
    true
}

/// `[FURN_6741] Large Meeting Table` → (`Some("FURN_6741")`, `Large Meeting Table`): the
/// inverse of `_compute_display_name`.
pub(crate) fn split_display_name(label: &str) -> (Option<&str>, &str) {
    if let Some(rest) = label.strip_prefix('[')
        && let Some((code, name)) = rest.split_once("] ")
    {
        return (Some(code), name);
    }
    (None, label)
}

/// `[code] name`, as Odoo names a product variant.
pub(crate) fn display_name(code: Option<&str>, name: &str) -> String {
    match code {
        Some(c) if !c.is_empty() => format!("[{c}] {name}"),
        _ => name.to_owned(),
    }
}

/// Creates a record for every product the loaded snapshot's rows name (the display-name
/// hints gathered while loading), unless the store already holds it.
pub(crate) fn seed(store: &mut Store) {
    let Some(named) = store.hints.get(PRODUCT).cloned() else {
        return;
    };
    let mut named: Vec<(i64, String)> = named.into_iter().collect();
    named.sort();
    for (id, label) in named {
        if store.exists(PRODUCT, id) {
            continue;
        }
        let (code, name) = split_display_name(&label);
        let mut values = vec![
            ("name".to_owned(), Value::Str(name.to_owned())),
            ("active".to_owned(), Value::Bool(true)),
        ];
        if let Some(c) = code {
            values.push(("default_code".to_owned(), Value::Str(c.to_owned())));
        }
        store.put(PRODUCT, id, values);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recorded_display_name_splits_into_code_and_name_and_back() {
        for label in [
            "[FURN_6741] Large Meeting Table",
            "Service",
            "[E-COM11] Cabinet",
        ] {
            let (code, name) = split_display_name(label);
            assert_eq!(display_name(code, name), label);
        }
        assert_eq!(
            split_display_name("[FURN_9999] Office Design Software"),
            (Some("FURN_9999"), "Office Design Software")
        );
    }
}
