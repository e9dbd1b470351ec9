//! The Odoo 17 snapshot with the models pay reads that the recording lacks (the recorded
//! database had neither Sales' products nor the Rating app's data), taught from Odoo 17's
//! source: `product.product` (odoo/addons/product/models/product_product.py and
//! product_template.py: `name` related to the template, `default_code` "Internal Reference",
//! `active`) with a few products.

use serde_json::{Value, json};

use scorekeeper::sim::Sim;

use super::fake_odoo::snapshot;
use super::{anchored_clock, sim_epoch};

/// `fields_get` attributes as the snapshot stores them.
fn field(ty: &str, string: &str, relation: Option<&str>) -> Value {
    let mut f = json!({
        "type": ty, "string": string, "store": true, "readonly": false,
        "required": false, "company_dependent": false,
    });
    if let Some(r) = relation {
        f["relation"] = json!(r);
    }
    f
}

/// Products: two warranties, an installation, an archived warranty.
fn products() -> Value {
    json!({
        "fields": {
            "id": field("integer", "ID", None),
            "display_name": field("char", "Display Name", None),
            "name": field("char", "Name", None),
            "default_code": field("char", "Internal Reference", None),
            "active": field("boolean", "Active", None),
        },
        "records": [
            {"id": 1, "name": "Warranty 1 year", "default_code": "WAR-1Y", "active": true},
            {"id": 2, "name": "Warranty 3 years", "default_code": "WAR-3Y", "active": true},
            {"id": 3, "name": "Installation", "default_code": "INST", "active": true},
            {"id": 4, "name": "Warranty (old)", "default_code": "WAR-OLD", "active": false},
        ],
    })
}

/// The snapshot plus `product.product`, its clock at [`sim_epoch`].
pub fn pay_sim() -> Sim {
    let mut doc = snapshot().clone();
    doc["models"]["product.product"] = products();
    let sim = Sim::from_snapshot_json(&doc).unwrap();
    sim.write().set_clock(anchored_clock(sim_epoch()));
    sim
}
