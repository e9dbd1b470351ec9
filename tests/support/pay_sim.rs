//! The Odoo 17 snapshot with the models pay reads that the recording lacks (the recorded
//! database had neither Sales' products nor the Rating app's data), taught from Odoo 17's
//! source: `product.product` (odoo/addons/product/models/product_product.py and
//! product_template.py: `name` related to the template, `default_code` "Internal Reference",
//! `active`) with a few products; and `rating.rating` (odoo/addons/rating/models/rating.py:
//! `rated_partner_id` "Rated Operator", `partner_id` "Customer", `rating` a float 0–5,
//! `consumed` "Filled Rating", `create_date` "Submitted on", `res_model`/`res_id` the rated
//! document) with customers' ratings of Marc Demo (partner 7) and Mitchell Admin (partner 3).

use serde_json::{Value, json};

use scorekeeper::sim::Sim;

use super::automation::field;
use super::fake_odoo::snapshot;
use super::{anchored_clock, sim_epoch};

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

/// Ratings of November 2026 and around it, for the satisfaction golden test (`pay_ratings`).
fn ratings() -> Value {
    let rating = |id: i64, rated: i64, value: f64, consumed: bool, at: &str| {
        let operator = if rated == 7 {
            "YourCompany, Marc Demo"
        } else {
            "YourCompany, Mitchell Admin"
        };
        json!({
            "id": id, "rated_partner_id": [rated, operator], "partner_id": false, "rating": value,
            "consumed": consumed, "create_date": at, "write_date": at,
            "res_model": "crm.lead", "res_id": 1,
        })
    };
    json!({
        "fields": {
            "id": field("integer", "ID", None),
            "display_name": field("char", "Display Name", None),
            "create_date": field("datetime", "Submitted on", None),
            "write_date": field("datetime", "Last Updated on", None),
            "rated_partner_id": field("many2one", "Rated Operator", Some("res.partner")),
            "partner_id": field("many2one", "Customer", Some("res.partner")),
            "rating": field("float", "Rating Value", None),
            "consumed": field("boolean", "Filled Rating", None),
            "res_model": field("char", "Document Model", None),
            "res_id": field("many2one_reference", "Document", None),
            "feedback": field("text", "Comment", None),
        },
        "records": [
            rating(1, 7, 5.0, true, "2026-11-03 10:00:00"),
            rating(2, 7, 4.0, true, "2026-11-10 09:00:00"),
            rating(3, 7, 2.0, true, "2026-11-30 23:30:00"),
            // Asked, never answered: not a rating.
            rating(4, 7, 5.0, false, "2026-11-12 08:00:00"),
            // October's and December's.
            rating(5, 7, 1.0, true, "2026-10-31 23:59:59"),
            rating(6, 7, 1.0, true, "2026-12-01 00:00:00"),
            rating(7, 3, 3.0, true, "2026-11-15 14:00:00"),
        ],
    })
}

/// The snapshot plus `product.product` and `rating.rating`, its clock at [`sim_epoch`].
pub fn pay_sim() -> Sim {
    let mut doc = snapshot().clone();
    doc["models"]["product.product"] = products();
    doc["models"]["rating.rating"] = ratings();
    let sim = Sim::from_snapshot_json(&doc).unwrap();
    sim.write().set_clock(anchored_clock(sim_epoch()));
    sim
}
