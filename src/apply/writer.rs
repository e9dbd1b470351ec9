//! The only door from `apply` to Odoo: the four calls apply, reconciliation and undo need. The
//! real implementation sits over the XML-RPC client; tests and the demo use `MemoryOdoo`.

use std::future::Future;

use thiserror::Error;

use crate::plan::{IdemKey, Values};
use crate::record::Value;

/// A failed Odoo call, classified by what it may have done. The transport layer below the
/// writer has already retried whatever it could retry safely (the client owns retries: one
/// policy, `max_attempts` HTTP attempts per call), so apply never sends a failed call again
/// within a run.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum WriteError {
    /// Odoo certainly did not run the call (the connection was never made, or Odoo rolled back
    /// a concurrency failure) and the same call may succeed later.
    #[error("{0} (transient, not applied)")]
    Transient(String),
    /// The request was sent and its answer lost (timeout, reset, 502/503/504 from a proxy, a
    /// truncated answer): Odoo may have run it, may be running it, or may still run it later.
    #[error("{0} (outcome unknown)")]
    Unknown(String),
    /// Access error, validation error, missing record, unknown field: retrying will not help,
    /// and Odoo rolled the call back (each call is its own transaction).
    #[error("{0}")]
    Permanent(String),
}

impl WriteError {
    /// Whether the same call may succeed later (whatever this one did).
    pub(crate) fn is_transient(&self) -> bool {
        matches!(self, WriteError::Transient(_) | WriteError::Unknown(_))
    }

    /// Whether the call may have taken effect, or may still take effect.
    pub(crate) fn outcome_unknown(&self) -> bool {
        matches!(self, WriteError::Unknown(_))
    }
}

/// What `read` answers: (id, values of the requested fields).
pub type ReadRows = Vec<(i64, Values)>;

/// What apply needs from Odoo.
///
/// Implementations own retries (the client's policy): they may retry `write`, `read` and the
/// searches, and `create` only when Odoo certainly did not run it. Apply sends each call once.
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

    /// `model.unlink(ids)` in one call (a repair deleting duplicates).
    fn unlink(
        &self,
        model: &str,
        ids: &[i64],
    ) -> impl Future<Output = Result<(), WriteError>> + Send;

    /// `model.read(ids, fields)`: the records that still exist (any order), each with the
    /// requested fields. A missing id is simply absent from the answer.
    fn read(
        &self,
        model: &str,
        ids: &[i64],
        fields: &[String],
    ) -> impl Future<Output = Result<ReadRows, WriteError>> + Send;

    /// For each key, the id of a record of `model` that carries it, if any; answers in the
    /// order of `keys`, in one search (apply checks a whole create batch at once). Where a
    /// model keeps its keys is the implementation's knowledge (the client writer takes it per
    /// model from the jobs: a technical field such as `x_sk_key`, an [`IdemKey::marker`] in a
    /// text field such as a karma tracking's `reason`, or a key recomputed from the record's
    /// fields). An implementation searching with `ilike` must confirm the exact marker on the
    /// records it gets back: `ilike` is case-insensitive and may be unaccented.
    fn find_by_keys(
        &self,
        model: &str,
        keys: &[IdemKey],
    ) -> impl Future<Output = Result<Vec<Option<i64>>, WriteError>> + Send;

    /// How many attempts the transport below has retried so far (all calls): apply reports
    /// the difference over a run, since it does not retry itself.
    fn retries_so_far(&self) -> u64 {
        0
    }

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
