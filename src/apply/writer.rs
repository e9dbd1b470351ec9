//! The only door from `apply` to Odoo: the four calls apply, reconciliation and undo need. The
//! real implementation sits over the XML-RPC client; tests and the demo use `MemoryOdoo`.

use std::future::Future;

use thiserror::Error;

use crate::plan::{IdemKey, Values};
use crate::record::Value;

/// A failed Odoo call, classified by what a retry can do about it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum WriteError {
    /// Network trouble, timeout, server busy or restarting, serialization conflict: the same
    /// call may succeed later. Whether the failed call took effect is unknown.
    #[error("{0} (transient)")]
    Transient(String),
    /// Access error, validation error, missing record, unknown field: retrying will not help,
    /// and Odoo rolled the call back (each call is its own transaction).
    #[error("{0}")]
    Permanent(String),
}

impl WriteError {
    pub fn is_transient(&self) -> bool {
        matches!(self, WriteError::Transient(_))
    }
}

/// What `read` answers: (id, values of the requested fields).
pub type ReadRows = Vec<(i64, Values)>;

/// What apply needs from Odoo.
///
/// Implementations should not retry `create` on their own: apply retries it only after
/// checking the idempotency keys, so a lost response never becomes a duplicate. Retrying
/// `write`, `read` and the searches inside an implementation is harmless.
///
/// The futures are `Send` so a job can run on a multi-threaded runtime; write the methods as
/// `async fn` in the impl.
pub trait OdooWriter: Sync {
    /// `model.write(ids, values)`: every record gets the same values.
    fn write(
        &self,
        model: &str,
        ids: &[i64],
        values: &[(String, Value)],
    ) -> impl Future<Output = Result<(), WriteError>> + Send;

    /// `model.create([values, …])` in one call; the new ids in the same order.
    fn create(
        &self,
        model: &str,
        values: &[Vec<(String, Value)>],
    ) -> impl Future<Output = Result<Vec<i64>, WriteError>> + Send;

    /// `model.read(ids, fields)`: the records that still exist (any order), each with the
    /// requested fields. A missing id is simply absent from the answer.
    fn read(
        &self,
        model: &str,
        ids: &[i64],
        fields: &[String],
    ) -> impl Future<Output = Result<ReadRows, WriteError>> + Send;

    /// For each key, the id of a record of `model` that carries it (engines embed
    /// [`IdemKey::marker`] in a text field such as a karma tracking's `reason` or a badge
    /// grant's `comment`), if any; answers in the order of `keys`, in one search (apply checks
    /// a whole create batch at once). An implementation searching with `ilike` must confirm the
    /// exact marker on the records it gets back: `ilike` is case-insensitive and may be
    /// unaccented.
    fn find_by_keys(
        &self,
        model: &str,
        keys: &[IdemKey],
    ) -> impl Future<Output = Result<Vec<Option<i64>>, WriteError>> + Send;

    /// [`find_by_keys`](Self::find_by_keys) for one key.
    fn find_by_key(
        &self,
        model: &str,
        key: &IdemKey,
    ) -> impl Future<Output = Result<Option<i64>, WriteError>> + Send {
        async move {
            Ok(self
                .find_by_keys(model, std::slice::from_ref(key))
                .await?
                .into_iter()
                .next()
                .flatten())
        }
    }
}
