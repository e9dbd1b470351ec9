//! `apply::OdooWriter` for the statement models: the generic client writer, keys found by
//! its exact `in` search on `x_sk_key` alone (`ClientWriter::find_keys`), which holds the plain key (a
//! technical field people do not read, so no `[sk:…]` marker inside text is needed, and an
//! exact search stays cheap at 100,000 lines where an `ilike` per key would not).

use crate::apply::{OdooWriter, ReadRows, WriteError};
use crate::odoo::{self, OdooClient};
use crate::plan::IdemKey;
use crate::record;

use super::models::KEY;

pub struct PayWriter<'a> {
    inner: odoo::ClientWriter<'a>,
}

impl<'a> PayWriter<'a> {
    pub fn new(client: &'a OdooClient) -> PayWriter<'a> {
        PayWriter {
            inner: odoo::ClientWriter::new(client),
        }
    }
}

impl OdooWriter for PayWriter<'_> {
    async fn write(
        &self,
        model: &str,
        ids: &[i64],
        values: &[(String, record::Value)],
    ) -> Result<(), WriteError> {
        self.inner.write(model, ids, values).await
    }

    async fn create(
        &self,
        model: &str,
        values: &[Vec<(String, record::Value)>],
    ) -> Result<Vec<i64>, WriteError> {
        self.inner.create(model, values).await
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
        self.inner.find_keys(model, keys, Some(KEY)).await
    }

    fn retries_so_far(&self) -> u64 {
        self.inner.retries_so_far()
    }
}
