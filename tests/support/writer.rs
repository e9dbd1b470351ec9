//! A writer that hands every call to a real one and lets a test act around `write` and
//! `create`: a person editing right after the bot's write, a process dying before one, an
//! answer lost after the create ran.

use scorekeeper::apply::{OdooWriter, ReadRows, WriteError};
use scorekeeper::odoo::BoxFuture;
use scorekeeper::plan::IdemKey;
use scorekeeper::record::Value;

/// What a test does around the calls; every default does nothing.
pub trait Around: Sync {
    /// Just before `inner` writes (a test may panic here: the process "dies").
    fn before_write(&self, _model: &str, _ids: &[i64]) {}

    /// Right after `inner` wrote, before apply hears back.
    fn after_write<'a>(&'a self, _model: &'a str, _ids: &'a [i64]) -> BoxFuture<'a, ()> {
        Box::pin(async {})
    }

    /// What apply hears of a create `inner` answered with `result`.
    fn created(
        &self,
        _model: &str,
        result: Result<Vec<i64>, WriteError>,
    ) -> Result<Vec<i64>, WriteError> {
        result
    }
}

/// `inner`, with `around` acting around its writes and creates.
pub struct Spy<W, A> {
    pub inner: W,
    pub around: A,
}

impl<W: OdooWriter, A: Around> OdooWriter for Spy<W, A> {
    async fn write(
        &self,
        model: &str,
        ids: &[i64],
        values: &[(String, Value)],
    ) -> Result<(), WriteError> {
        self.around.before_write(model, ids);
        self.inner.write(model, ids, values).await?;
        self.around.after_write(model, ids).await;
        Ok(())
    }

    async fn create(
        &self,
        model: &str,
        values: &[Vec<(String, Value)>],
    ) -> Result<Vec<i64>, WriteError> {
        let result = self.inner.create(model, values).await;
        self.around.created(model, result)
    }

    async fn unlink(&self, model: &str, ids: &[i64]) -> Result<(), WriteError> {
        self.inner.unlink(model, ids).await
    }

    async fn read(
        &self,
        model: &str,
        ids: &[i64],
        fields: &[String],
    ) -> Result<ReadRows, WriteError> {
        self.inner.read(model, ids, fields).await
    }

    async fn find_by_keys(
        &self,
        model: &str,
        keys: &[IdemKey],
    ) -> Result<Vec<Option<i64>>, WriteError> {
        self.inner.find_by_keys(model, keys).await
    }

    fn retries_so_far(&self) -> u64 {
        self.inner.retries_so_far()
    }
}
