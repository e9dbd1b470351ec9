//! Where the in-memory domain evaluator reads records from. The simulator implements it over
//! its store; the engines over the records they read from Odoo; tests over `MemorySource`.

use std::borrow::Cow;

use crate::record::{FieldDef, Value};

/// Read access to records of several models, by id.
///
/// Contract (the evaluator relies on it):
/// - `field` answers with Odoo's metadata (type, relation, relation_field, store);
/// - `value` returns `None` when the record does not exist, `Some(Value::Null)` for an empty
///   field, and for one2many fields the ids of the comodel records whose inverse many2one
///   points at this record (computed or stored, the source's choice);
/// - `ids` lists every record of the model, archived ones included, in ascending id order.
pub trait RecordSource {
    fn field(&self, model: &str, field: &str) -> Option<&FieldDef>;
    fn value(&self, model: &str, id: i64, field: &str) -> Option<Cow<'_, Value>>;
    fn ids(&self, model: &str) -> Box<dyn Iterator<Item = i64> + '_>;
}
