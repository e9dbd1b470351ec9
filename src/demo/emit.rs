//! How generated records reach the store: a small field-list builder and a writer that counts
//! what it created per model (the summary's figures come from here, not from estimates).

use std::collections::BTreeMap;

use crate::record::{RecordStore, Value};

/// The field values of one record being built, in emission order.
#[derive(Default)]
pub(crate) struct Rec(Vec<(String, Value)>);

impl Rec {
    pub(crate) fn with_capacity(n: usize) -> Self {
        Rec(Vec::with_capacity(n))
    }

    pub(crate) fn set(&mut self, field: &str, value: impl Into<Value>) -> &mut Self {
        self.0.push((field.to_owned(), value.into()));
        self
    }

    pub(crate) fn m2o(&mut self, field: &str, id: i64) -> &mut Self {
        self.0.push((field.to_owned(), Value::Many2one(id)));
        self
    }

    /// Sets the many2one only when there is a target (absent fields stay NULL in the store).
    pub(crate) fn m2o_opt(&mut self, field: &str, id: Option<i64>) -> &mut Self {
        if let Some(id) = id {
            self.m2o(field, id);
        }
        self
    }

    pub(crate) fn ids(&mut self, field: &str, ids: Vec<i64>) -> &mut Self {
        self.0.push((field.to_owned(), Value::Ids(ids)));
        self
    }

    pub(crate) fn opt(&mut self, field: &str, value: Option<impl Into<Value>>) -> &mut Self {
        if let Some(v) = value {
            self.set(field, v);
        }
        self
    }

    pub(crate) fn into_values(self) -> Vec<(String, Value)> {
        self.0
    }
}

/// The store plus a per-model tally of the records created through it.
pub(crate) struct Out<'a> {
    store: &'a mut dyn RecordStore,
    counts: BTreeMap<&'static str, usize>,
}

impl<'a> Out<'a> {
    pub(crate) fn new(store: &'a mut dyn RecordStore) -> Self {
        Out {
            store,
            counts: BTreeMap::new(),
        }
    }

    pub(crate) fn create(&mut self, model: &'static str, rec: Rec) -> i64 {
        *self.counts.entry(model).or_insert(0) += 1;
        self.store.create(model, rec.into_values())
    }

    pub(crate) fn search_eq(&self, model: &str, field: &str, value: &Value) -> Vec<i64> {
        self.store.search_eq(model, field, value)
    }

    pub(crate) fn set_password(&mut self, uid: i64, password: &str) {
        self.store.set_password(uid, password);
    }

    pub(crate) fn into_counts(self) -> BTreeMap<String, usize> {
        self.counts
            .into_iter()
            .map(|(model, n)| (model.to_owned(), n))
            .collect()
    }
}
