//! `MemoryOdoo`: an in-memory stand-in for Odoo behind [`OdooWriter`], with call counting and
//! failure injection (errors, lost responses, crashes before or after the effect). It is what
//! the apply, reconcile and undo tests run against, and small enough to trust by reading.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

use super::writer::ReadRows;
use super::writer::{OdooWriter, WriteError};
use crate::plan::{IdemKey, Values};
use crate::record::Value;

/// Which calls a fault counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Write,
    Create,
    Read,
    /// `find_by_key` and `find_by_keys` (one call each).
    Find,
    /// Every call.
    Any,
}

/// What happens to the faulted call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Returns a transient error; nothing happens.
    Transient,
    /// Returns a permanent error; nothing happens.
    Permanent,
    /// The effect happens, then a transient error is returned (a timeout after Odoo committed).
    LostResponse,
    /// Panics before any effect: the process died after journaling, before the call.
    CrashBefore,
    /// Panics after the effect: the process died after Odoo committed, before apply could
    /// mark the entry applied.
    CrashAfter,
    /// The request is sent, its answer lost (an error of unknown outcome), and it has not run
    /// yet: a `create` waits until [`MemoryOdoo::run_delayed`] (a request queued behind a
    /// slow proxy or worker); any other call never runs.
    Delayed,
}

/// Calls made so far, per method (a `find_by_keys` counts once).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Calls {
    pub write: u64,
    pub create: u64,
    pub read: u64,
    pub find: u64,
}

impl Calls {
    pub fn total(&self) -> u64 {
        self.write + self.create + self.read + self.find
    }

    fn of(&self, method: Method) -> u64 {
        match method {
            Method::Write => self.write,
            Method::Create => self.create,
            Method::Read => self.read,
            Method::Find => self.find,
            Method::Any => self.total(),
        }
    }

    fn bump(&mut self, method: Method) {
        match method {
            Method::Write => self.write += 1,
            Method::Create => self.create += 1,
            Method::Read => self.read += 1,
            Method::Find => self.find += 1,
            Method::Any => {}
        }
    }
}

type Record = BTreeMap<String, Value>;

/// A successful write: (model, ids, values).
pub type LoggedWrite = (String, Vec<i64>, Values);

#[derive(Default)]
struct Inner {
    models: BTreeMap<String, BTreeMap<i64, Record>>,
    next_id: i64,
    calls: Calls,
    /// (method, the call number of that method that fails, fault)
    faults: Vec<(Method, u64, Fault)>,
    /// Every successful write, for "written exactly once" assertions.
    write_log: Vec<LoggedWrite>,
    records_created: u64,
    /// Creates sent with [`Fault::Delayed`] that have not run yet: (model, records).
    delayed: Vec<(String, Vec<Record>)>,
}

/// An in-memory Odoo. Cheap to share behind an `Arc`.
pub struct MemoryOdoo {
    inner: Mutex<Inner>,
}

impl Default for MemoryOdoo {
    fn default() -> Self {
        MemoryOdoo::new()
    }
}

enum Step {
    Proceed,
    FailBefore(WriteError),
    FailAfter(WriteError),
    CrashBefore,
    CrashAfter,
    Defer(WriteError),
}

impl MemoryOdoo {
    pub fn new() -> MemoryOdoo {
        MemoryOdoo {
            inner: Mutex::new(Inner {
                next_id: 1000,
                ..Inner::default()
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A crash injected by a test panics outside the lock, but be robust anyway.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Puts a record in place (test set-up); fields not given read as `Null`.
    pub fn insert(&self, model: &str, id: i64, fields: Vec<(&str, Value)>) {
        let mut inner = self.lock();
        let record = inner
            .models
            .entry(model.to_owned())
            .or_default()
            .entry(id)
            .or_default();
        for (field, value) in fields {
            record.insert(field.to_owned(), value);
        }
        inner.next_id = inner.next_id.max(id + 1);
    }

    /// Changes a field without going through the writer (a person editing in Odoo).
    pub fn set(&self, model: &str, id: i64, field: &str, value: Value) {
        self.insert(model, id, vec![(field, value)]);
    }

    /// Deletes a record without going through the writer (a person deleting it in Odoo).
    pub fn remove(&self, model: &str, id: i64) {
        if let Some(records) = self.lock().models.get_mut(model) {
            records.remove(&id);
        }
    }

    pub fn get(&self, model: &str, id: i64, field: &str) -> Option<Value> {
        let inner = self.lock();
        let record = inner.models.get(model)?.get(&id)?;
        Some(record.get(field).cloned().unwrap_or(Value::Null))
    }

    /// Every record of a model, by id.
    pub fn records(&self, model: &str) -> BTreeMap<i64, BTreeMap<String, Value>> {
        self.lock().models.get(model).cloned().unwrap_or_default()
    }

    pub fn calls(&self) -> Calls {
        self.lock().calls
    }

    /// Records created through `create` since the start.
    pub fn records_created(&self) -> u64 {
        self.lock().records_created
    }

    /// Successful writes, in order: (model, ids, values).
    pub fn write_log(&self) -> Vec<LoggedWrite> {
        self.lock().write_log.clone()
    }

    /// How many successful writes set `field` on record `id`.
    pub fn times_written(&self, model: &str, id: i64, field: &str) -> usize {
        self.lock()
            .write_log
            .iter()
            .filter(|(m, ids, values)| {
                m == model && ids.contains(&id) && values.iter().any(|(f, _)| f == field)
            })
            .count()
    }

    /// Makes the `nth` call of `method` from now on (1 = the next one) fail with `fault`.
    pub fn inject(&self, method: Method, nth: u64, fault: Fault) {
        let mut inner = self.lock();
        let at = inner.calls.of(method) + nth;
        inner.faults.push((method, at, fault));
    }

    /// Runs the creates that [`Fault::Delayed`] held back (they reach Odoo late, after the
    /// client gave up on them); returns how many records they created.
    pub fn run_delayed(&self) -> usize {
        let mut inner = self.lock();
        let delayed = std::mem::take(&mut inner.delayed);
        let mut created = 0;
        for (model, records) in delayed {
            for fields in records {
                let id = inner.next_id;
                inner.next_id += 1;
                let record: Record = fields.into_iter().collect();
                inner
                    .models
                    .entry(model.clone())
                    .or_default()
                    .insert(id, record);
                inner.records_created += 1;
                created += 1;
            }
        }
        created
    }

    /// Drops the creates that [`Fault::Delayed`] held back: they never run.
    pub fn drop_delayed(&self) {
        self.lock().delayed.clear();
    }

    /// Counts the call and decides its fate.
    fn begin(&self, method: Method, what: &str) -> Step {
        let mut inner = self.lock();
        inner.calls.bump(method);
        let calls = inner.calls;
        let hit = inner
            .faults
            .iter()
            .position(|(m, at, _)| (*m == method || *m == Method::Any) && calls.of(*m) == *at);
        let Some(index) = hit else {
            return Step::Proceed;
        };
        let (_, _, fault) = inner.faults.remove(index);
        match fault {
            Fault::Transient => {
                Step::FailBefore(WriteError::Transient(format!("{what}: injected timeout")))
            }
            Fault::Permanent => Step::FailBefore(WriteError::Permanent(format!(
                "{what}: injected access error"
            ))),
            Fault::LostResponse => Step::FailAfter(WriteError::Unknown(format!(
                "{what}: injected lost response"
            ))),
            Fault::CrashBefore => Step::CrashBefore,
            Fault::CrashAfter => Step::CrashAfter,
            Fault::Delayed => Step::Defer(WriteError::Unknown(format!(
                "{what}: injected timeout, the request still queued"
            ))),
        }
    }

    /// Runs `effect` unless the fault says otherwise; panics (outside the lock) for crashes.
    fn run<T>(
        &self,
        method: Method,
        what: &str,
        effect: impl FnOnce(&mut Inner) -> Result<T, WriteError>,
    ) -> Result<T, WriteError> {
        let step = self.begin(method, what);
        Self::finish(&self.inner, step, what, effect)
    }

    /// Plays `step` out around `effect`.
    fn finish<T>(
        inner: &Mutex<Inner>,
        step: Step,
        what: &str,
        effect: impl FnOnce(&mut Inner) -> Result<T, WriteError>,
    ) -> Result<T, WriteError> {
        match step {
            Step::FailBefore(err) | Step::Defer(err) => return Err(err),
            Step::CrashBefore => panic!("injected crash before {what}"),
            Step::Proceed | Step::FailAfter(_) | Step::CrashAfter => {}
        }
        let result = effect(
            &mut inner
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        match step {
            Step::FailAfter(err) => {
                result?;
                Err(err)
            }
            Step::CrashAfter => panic!("injected crash after {what}"),
            _ => result,
        }
    }

    /// A record carries a key in `x_sk_key` or, keyed the old way, as a marker in a text.
    fn holds_key(record: &Record, key: &IdemKey, marker: &str) -> bool {
        record.iter().any(|(field, v)| match v {
            Value::Str(s) if field == "x_sk_key" => s == key.as_str(),
            Value::Str(s) => s.contains(marker),
            _ => false,
        })
    }
}

impl OdooWriter for MemoryOdoo {
    async fn unlink(&self, model: &str, ids: &[i64]) -> Result<(), WriteError> {
        self.run(Method::Write, &format!("{model}.unlink"), |inner| {
            let records = inner.models.get_mut(model);
            match records {
                // Odoo raises MissingError when a record is already gone.
                Some(r) if ids.iter().all(|id| r.contains_key(id)) => {
                    for id in ids {
                        r.remove(id);
                    }
                    Ok(())
                }
                _ => Err(WriteError::Permanent(format!(
                    "{model}.unlink: record does not exist"
                ))),
            }
        })
    }

    async fn write(
        &self,
        model: &str,
        ids: &[i64],
        values: &[(String, Value)],
    ) -> Result<(), WriteError> {
        self.run(Method::Write, &format!("{model}.write"), |inner| {
            let records = inner.models.get_mut(model);
            let records = match records {
                Some(r) if ids.iter().all(|id| r.contains_key(id)) => r,
                _ => {
                    return Err(WriteError::Permanent(format!(
                        "{model}.write: record does not exist"
                    )));
                }
            };
            for id in ids {
                if let Some(record) = records.get_mut(id) {
                    for (field, value) in values {
                        record.insert(field.clone(), value.clone());
                    }
                }
            }
            inner
                .write_log
                .push((model.to_owned(), ids.to_vec(), values.to_vec()));
            Ok(())
        })
    }

    async fn create(
        &self,
        model: &str,
        values: &[Vec<(String, Value)>],
    ) -> Result<Vec<i64>, WriteError> {
        let what = format!("{model}.create");
        let step = self.begin(Method::Create, &what);
        if let Step::Defer(_) = &step {
            let records = values.iter().map(|r| r.iter().cloned().collect()).collect();
            self.lock().delayed.push((model.to_owned(), records));
        }
        Self::finish(&self.inner, step, &what, |inner| {
            let mut ids = Vec::with_capacity(values.len());
            for fields in values {
                let id = inner.next_id;
                inner.next_id += 1;
                let record: Record = fields.iter().cloned().collect();
                inner
                    .models
                    .entry(model.to_owned())
                    .or_default()
                    .insert(id, record);
                inner.records_created += 1;
                ids.push(id);
            }
            Ok(ids)
        })
    }

    async fn read(
        &self,
        model: &str,
        ids: &[i64],
        fields: &[String],
    ) -> Result<ReadRows, WriteError> {
        self.run(Method::Read, &format!("{model}.read"), |inner| {
            let Some(records) = inner.models.get(model) else {
                return Ok(Vec::new());
            };
            Ok(ids
                .iter()
                .filter_map(|id| {
                    let record = records.get(id)?;
                    let values = fields
                        .iter()
                        .map(|f| (f.clone(), record.get(f).cloned().unwrap_or(Value::Null)))
                        .collect();
                    Some((*id, values))
                })
                .collect())
        })
    }

    async fn find_by_keys(
        &self,
        model: &str,
        keys: &[IdemKey],
    ) -> Result<Vec<Option<i64>>, WriteError> {
        self.run(Method::Find, &format!("{model}.search"), |inner| {
            let records = inner.models.get(model);
            Ok(keys
                .iter()
                .map(|key| {
                    let marker = key.marker();
                    records.and_then(|records| {
                        records
                            .iter()
                            .find(|(_, r)| Self::holds_key(r, key, &marker))
                            .map(|(id, _)| *id)
                    })
                })
                .collect())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn faults_fire_once_on_the_chosen_call() {
        let odoo = MemoryOdoo::new();
        odoo.insert("crm.lead", 1, vec![("x_score", Value::Int(0))]);
        let values = vec![("x_score".to_owned(), Value::Int(5))];
        odoo.inject(Method::Write, 2, Fault::LostResponse);
        assert!(odoo.write("crm.lead", &[1], &values).await.is_ok());
        let lost = odoo
            .write("crm.lead", &[1], &[("x_score".to_owned(), Value::Int(7))])
            .await;
        assert!(matches!(lost, Err(WriteError::Unknown(_))));
        assert_eq!(
            odoo.get("crm.lead", 1, "x_score"),
            Some(Value::Int(7)),
            "the effect happened"
        );
        assert!(odoo.write("crm.lead", &[1], &values).await.is_ok());
        assert_eq!(odoo.calls().write, 3);
        assert_eq!(odoo.times_written("crm.lead", 1, "x_score"), 3);
        assert!(matches!(
            odoo.write("crm.lead", &[2], &values).await,
            Err(WriteError::Permanent(_))
        ));
    }

    #[tokio::test]
    async fn keys_are_found_by_exact_marker() {
        let odoo = MemoryOdoo::new();
        let k4 = IdemKey::new("karma:record=4").unwrap();
        let k42 = IdemKey::new("karma:record=42").unwrap();
        let ids = odoo
            .create(
                "gamification.karma.tracking",
                &[vec![(
                    "reason".to_owned(),
                    Value::Str(format!("won {}", k42.marker())),
                )]],
            )
            .await
            .unwrap();
        assert_eq!(
            odoo.find_by_key("gamification.karma.tracking", &k42)
                .await
                .unwrap(),
            Some(ids[0])
        );
        assert_eq!(
            odoo.find_by_key("gamification.karma.tracking", &k4)
                .await
                .unwrap(),
            None
        );
        assert_eq!(
            odoo.find_by_keys("gamification.karma.tracking", &[k4, k42])
                .await
                .unwrap(),
            vec![None, Some(ids[0])]
        );
        assert_eq!(odoo.calls().find, 3);
    }
}
