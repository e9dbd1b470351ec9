//! A snapshot plus the two models of Odoo's `mail` module that recognition posts to and the
//! recorded databases did not dump, taught from Odoo 17's source (`addons/mail/models/
//! mail_message.py`: `body` html, `model` char, `res_id` many2one_reference, `message_type`
//! selection with `comment`, `subtype_id`, `author_id`; `addons/mail/models/discuss/
//! discuss_channel.py`: `name`, `channel_type` selection with `channel`), with their
//! `ir.model` rows so that `setup` can add `x_sk_key` to `mail.message` as it does in Odoo.
//! Both exist unchanged on 19 (`discuss.channel` replaced `mail.channel` in 17).

use serde_json::{Value, json};

use scorekeeper::sim::Sim;

use super::automation::{field, selection};
use super::{Odoo, Served, Wire, anchored_clock, serve_with_demo, sim_epoch};

/// The `ir.model` row of a model added here (no recorded fields: `x_` fields come on top).
fn ir_model(id: i64, model: &str, name: &str, order: &str) -> Value {
    json!({
        "id": id, "model": model, "name": name, "order": order, "state": "base",
        "transient": false, "field_id": [], "access_ids": [], "rule_ids": [],
        "create_date": false, "create_uid": false, "write_date": false, "write_uid": false,
    })
}

/// `odoo`'s snapshot with `mail.message` and `discuss.channel` (no records), its clock at
/// [`sim_epoch`].
pub fn mail_sim(odoo: Odoo) -> Sim {
    let path = format!(
        "{}/fixtures/odoo{}/snapshot.json",
        env!("CARGO_MANIFEST_DIR"),
        odoo.major()
    );
    let mut doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    doc["models"]["mail.message"] = json!({
        "fields": {
            "id": field("integer", "ID", None),
            "display_name": field("char", "Display Name", None),
            "subject": field("char", "Subject", None),
            "body": field("html", "Contents", None),
            "model": field("char", "Related Document Model", None),
            "res_id": field("many2one_reference", "Related Document ID", None),
            "message_type": selection("Type", &["email", "comment", "email_outgoing", "notification", "auto_comment", "user_notification"]),
            "subtype_id": field("many2one", "Subtype", Some("mail.message.subtype")),
            "author_id": field("many2one", "Author", Some("res.partner")),
            "date": field("datetime", "Date", None),
        },
        "records": [],
    });
    doc["models"]["discuss.channel"] = json!({
        "fields": {
            "id": field("integer", "ID", None),
            "display_name": field("char", "Display Name", None),
            "name": field("char", "Name", None),
            "channel_type": selection("Channel Type", &["chat", "channel", "group"]),
            "description": field("text", "Description", None),
        },
        "records": [],
    });
    let rows = doc["models"]["ir.model"]["records"].as_array_mut().unwrap();
    rows.push(ir_model(9001, "mail.message", "Message", "id desc"));
    rows.push(ir_model(
        9002,
        "discuss.channel",
        "Discussion Channel",
        "name, id",
    ));
    let sim = Sim::from_snapshot_json(&doc).unwrap();
    sim.write().set_clock(anchored_clock(sim_epoch()));
    sim
}

/// [`mail_sim`] with the demo dataset of `leads` leads, served over `wire`.
pub async fn served_demo_with_mail(leads: usize, wire: Wire) -> Served {
    serve_with_demo(mail_sim(wire.odoo()), leads, wire).await
}
