//! Runs started by events rather than the clock: Odoo's webhooks name changed records, each
//! job that watches their model gets them in its [`Trigger`], and the job's loop runs it as
//! soon as it is free. Records pending for one job are a set (a record changed ten times
//! before the run is one record to look at), bounded so a flood cannot grow memory: past the
//! bound a record is refused and the scheduled run, which reads changes by cursor anyway,
//! picks it up.

use std::collections::HashSet;
use std::sync::Mutex;

use tokio::sync::Notify;

/// What [`Trigger::push`] did with a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pushed {
    /// Newly pending; the job's loop is woken.
    Queued,
    /// Already pending for the next run.
    AlreadyPending,
    /// The pending set is full.
    Full,
}

/// The pending records of one job and the bell its loop waits on.
#[derive(Debug)]
pub struct Trigger {
    pending: Mutex<HashSet<(String, i64)>>,
    capacity: usize,
    bell: Notify,
}

impl Trigger {
    pub fn new(capacity: usize) -> Self {
        Self {
            pending: Mutex::new(HashSet::new()),
            capacity: capacity.max(1),
            bell: Notify::new(),
        }
    }

    /// Adds `(model, id)` to the next run's records and rings the bell.
    pub fn push(&self, model: &str, id: i64) -> Pushed {
        let pushed = {
            let Ok(mut pending) = self.pending.lock() else {
                return Pushed::Full;
            };
            let key = (model.to_owned(), id);
            if pending.contains(&key) {
                Pushed::AlreadyPending
            } else if pending.len() >= self.capacity {
                Pushed::Full
            } else {
                pending.insert(key);
                Pushed::Queued
            }
        };
        if pushed == Pushed::Queued {
            // One stored permit: pushes while a run is in flight make exactly one more run.
            self.bell.notify_one();
        }
        pushed
    }

    /// How many records are pending.
    pub fn len(&self) -> usize {
        self.pending.lock().map_or(0, |p| p.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Takes the pending records, as a run starts (changes after this point make another run).
    pub(crate) fn take(&self) -> HashSet<(String, i64)> {
        self.pending
            .lock()
            .map(|mut p| std::mem::take(&mut *p))
            .unwrap_or_default()
    }

    /// Waits for the bell.
    pub(crate) async fn rung(&self) {
        self.bell.notified().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn pushes_are_sets_bounded_and_ring_once() {
        let t = Trigger::new(2);
        assert_eq!(t.push("crm.lead", 45), Pushed::Queued);
        assert_eq!(t.push("crm.lead", 45), Pushed::AlreadyPending);
        assert_eq!(t.push("crm.lead", 1), Pushed::Queued);
        assert_eq!(t.push("crm.lead", 2), Pushed::Full);
        // Rung (a stored permit), so waiting returns at once.
        t.rung().await;
        assert_eq!(t.take().len(), 2);
        assert!(t.is_empty());
        assert_eq!(t.push("crm.lead", 2), Pushed::Queued);
    }
}
