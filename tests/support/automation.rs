//! The Odoo 17 snapshot plus the two models of Odoo's *Automation Rules* module the recorded
//! database lacks, taught from Odoo 17's source (`addons/base_automation/models/
//! base_automation.py` and `ir_actions_server.py`, `odoo/addons/base/models/ir_actions.py`):
//! `base.automation` (`name`, `model_id`, `trigger` with `on_create_or_write`, `active`) and
//! `ir.actions.server` (`name`, `model_id`, `usage` with `base_automation`,
//! `base_automation_id`, `state` with `webhook`, `webhook_url`, `webhook_field_ids`).

use serde_json::{Value, json};

use scorekeeper::sim::Sim;

use super::fake_odoo::snapshot;
use super::{anchored_clock, sim_epoch};

/// `fields_get` attributes as the snapshots store them (for models taught from source).
pub fn field(ty: &str, string: &str, relation: Option<&str>) -> Value {
    let mut f = json!({
        "type": ty, "string": string, "store": true, "readonly": false,
        "required": false, "company_dependent": false,
    });
    if let Some(r) = relation {
        f["relation"] = json!(r);
    }
    f
}

/// A selection field, its keys as their own labels.
pub fn selection(string: &str, keys: &[&str]) -> Value {
    let mut f = field("selection", string, None);
    f["selection"] = json!(keys.iter().map(|k| [k, k]).collect::<Vec<_>>());
    f
}

/// The snapshot with `base.automation` and `ir.actions.server` (no records), its clock at
/// [`sim_epoch`].
pub fn automation_sim() -> Sim {
    let mut doc = snapshot().clone();
    doc["models"]["base.automation"] = json!({
        "fields": {
            "id": field("integer", "ID", None),
            "display_name": field("char", "Display Name", None),
            "name": field("char", "Automation Rule Name", None),
            "model_id": field("many2one", "Model", Some("ir.model")),
            "trigger": selection("Trigger", &["on_create_or_write", "on_create", "on_write", "on_unlink", "on_time", "on_webhook"]),
            "active": field("boolean", "Active", None),
        },
        "records": [],
    });
    doc["models"]["ir.actions.server"] = json!({
        "fields": {
            "id": field("integer", "ID", None),
            "display_name": field("char", "Display Name", None),
            "name": field("char", "Action Name", None),
            "model_id": field("many2one", "Model", Some("ir.model")),
            "usage": selection("Usage", &["ir_actions_server", "ir_cron", "base_automation"]),
            "base_automation_id": field("many2one", "Automation Rule", Some("base.automation")),
            "state": selection("Type", &["code", "object_create", "object_write", "multi", "webhook"]),
            "webhook_url": field("char", "Webhook URL", None),
            "webhook_field_ids": field("many2many", "Webhook Fields", Some("ir.model.fields")),
        },
        "records": [],
    });
    let sim = Sim::from_snapshot_json(&doc).unwrap();
    sim.write().set_clock(anchored_clock(sim_epoch()));
    sim
}
