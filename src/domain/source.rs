//! Where the in-memory domain evaluator reads records from. The simulator implements it over
//! its store; the engines over the records they read from Odoo; tests over `MemorySource`.

use std::borrow::Cow;

use crate::record::{FieldDef, Value};

/// A (model, field) pair a source resolved once (see [`RecordSource::resolve`]), so that
/// reading it for many records skips the name lookups.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FieldHandle {
    pub model: u32,
    pub field: u32,
}

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

    /// Optional fast path: a handle for `(model, field)` that `value_at` accepts. Sources
    /// that return `Some` here must implement `value_at`; the default has no fast path.
    fn resolve(&self, model: &str, field: &str) -> Option<FieldHandle> {
        let _ = (model, field);
        None
    }

    /// `value` through a handle from `resolve` (same contract as `value`).
    fn value_at(&self, handle: FieldHandle, id: i64) -> Option<Cow<'_, Value>> {
        let _ = (handle, id);
        None
    }

    /// Optional fast path for text comparisons (dates, datetimes, selections): through a
    /// handle, `Some(Some(text))` for a stored text, borrowed, `Some(None)` for an empty
    /// value; `None` when the source has no such path or the value is not a text (the
    /// evaluator then reads `value_at`). A million datetime tests then copy no string.
    fn text_at(&self, handle: FieldHandle, id: i64) -> Option<Option<&str>> {
        let _ = (handle, id);
        None
    }
}
