//! Odoo 17+'s `web_search_read(domain, specification, offset, limit, order, count_limit)`:
//! a search and a read whose many2one and x2many fields can name fields of the records they
//! point at, read in the same call (the web client's "unity read"). Taught from Odoo's own
//! `addons/web/models/models.py` (`web_search_read`, `web_read`,
//! `_format_web_search_read_results`): fields are read with `load=None` (a many2one is its
//! bare id); a many2one whose spec has `fields` becomes the dict of those fields (`id`
//! included), `False` staying `False`; an x2many whose spec has `fields` becomes the list of
//! those dicts in the field's order; without `fields` an x2many stays a list of ids. The
//! answer is `{length, records}`; without a `limit` the length is the number of records.
//! Not simulated: `context`, `order` and `limit` inside a field's spec, reference fields; a
//! many2one to a record the snapshot lacks reads as its bare id.

use super::auth;
use super::fault::SimFault;
use super::methods::{Call, search_ids};
use super::store::Store;
use super::wire::to_wire;
use crate::record::{FieldType, Value};
use crate::xmlrpc::{Struct, Value as X};

/// `web_search_read`: positional `(domain, specification, offset, limit, order, count_limit)`.
pub(crate) fn web_search_read(store: &Store, c: &Call) -> Result<X, SimFault> {
    let spec = match c.arg(1, "specification") {
        Some(X::Struct(s)) => s.clone(),
        _ => {
            return Err(SimFault::type_error(format!(
                "{}.web_search_read() missing 1 required positional argument: 'specification'",
                super::wording::class_name(c.major, c.model)
            )));
        }
    };
    let ids = search_ids(store, c, c.arg(0, "domain"), 2)?;
    let records = web_read(store, c.uid, c.model, &ids, &spec)?;
    let mut out = Struct::new();
    out.push("length", X::Int(records.len() as i64));
    out.push("records", X::Array(records));
    Ok(X::Struct(out))
}

/// `web_read(specification)` of `ids` on `model`: one dict per existing record.
fn web_read(
    store: &Store,
    uid: i64,
    model: &str,
    ids: &[i64],
    spec: &Struct,
) -> Result<Vec<X>, SimFault> {
    auth::check_access(store, uid, model, "read")?;
    let mut out = Vec::with_capacity(ids.len());
    for &id in ids {
        if !store.exists(model, id) {
            continue;
        }
        let mut rec = Struct::with_capacity(spec.len() + 1);
        rec.push("id", X::Int(id));
        for (name, field_spec) in spec.iter() {
            if name == "id" {
                continue;
            }
            let Some(def) = store.registry().field(model, name) else {
                return Err(SimFault::value_error(
                    format!("Invalid field {name:?} on model {model:?}").replace('"', "'"),
                ));
            };
            let value = store.value(model, id, name).unwrap_or_default();
            let nested = field_spec
                .as_struct()
                .and_then(|s| s.get("fields"))
                .and_then(X::as_struct);
            let x = match (&def.ty, value, nested, def.relation.as_deref()) {
                // A record the snapshot lacks (it holds only part of Odoo's rows; in Odoo
                // the record exists, or the read raises MissingError): its bare id.
                (FieldType::Many2one, Value::Many2one(r), Some(fields), Some(comodel)) => {
                    web_read(store, uid, comodel, &[r], fields)?
                        .into_iter()
                        .next()
                        .unwrap_or(X::Int(r))
                }
                (FieldType::Many2one, Value::Many2one(r), None, _) => X::Int(r),
                (
                    FieldType::One2many | FieldType::Many2many,
                    Value::Ids(rel),
                    Some(fields),
                    Some(comodel),
                ) => X::Array(web_read(store, uid, comodel, &rel, fields)?),
                (_, v, _, _) => to_wire(store, def, v),
            };
            rec.push(name, x);
        }
        out.push(X::Struct(rec));
    }
    Ok(out)
}
