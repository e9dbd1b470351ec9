//! Creates in doubt: a `create` whose request was sent and whose answer never came back
//! (timeout, reset, gateway error, truncated answer). Odoo may have run it, may be running it,
//! or may still run it later (the request can wait in a proxy or a worker's queue), so its
//! keys must not be created again until either a record carrying the key is found or the
//! request can no longer execute. Each doubtful key is stored with the time the request was
//! sent; `apply` holds the key until `sent_at + request deadline` has passed (see the `apply`
//! module for why that bound is safe).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rusqlite::params;

use super::run::RunId;
use super::{State, StateError};
use crate::plan::IdemKey;

/// A key whose create is in doubt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Doubt {
    pub model: String,
    /// The run that sent the create.
    pub run_id: RunId,
    /// When the request was sent (the state database's clock).
    pub sent_at: DateTime<Utc>,
}

impl State {
    /// Records `keys` of `model` as in doubt since `sent_at`, by `run_id`.
    pub(crate) fn add_doubts(
        &mut self,
        model: &str,
        keys: &[IdemKey],
        run_id: &RunId,
        sent_at: DateTime<Utc>,
    ) -> Result<(), StateError> {
        let tx = self.conn.transaction()?;
        {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO doubtful_creates (key, model, run_id, sent_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (key) DO UPDATE SET run_id = excluded.run_id, sent_at = excluded.sent_at",
            )?;
            let sent = sent_at.to_rfc3339();
            for key in keys {
                stmt.execute(params![key.as_str(), model, run_id.as_str(), sent])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// The keys among `keys` that are in doubt.
    pub(crate) fn doubts(&self, keys: &[IdemKey]) -> Result<HashMap<IdemKey, Doubt>, StateError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT model, run_id, sent_at FROM doubtful_creates WHERE key = ?1")?;
        let mut found = HashMap::new();
        for key in keys {
            let mut rows = stmt.query([key.as_str()])?;
            if let Some(row) = rows.next()? {
                let sent: String = row.get(2)?;
                let run: String = row.get(1)?;
                let sent_at = DateTime::parse_from_rfc3339(&sent)
                    .map_err(|e| StateError::Corrupt {
                        run_id: run.clone(),
                        seq: 0,
                        detail: format!("doubtful create {key}: sent_at {sent:?}: {e}"),
                    })?
                    .with_timezone(&Utc);
                found.insert(
                    key.clone(),
                    Doubt {
                        model: row.get(0)?,
                        run_id: RunId::from(run.as_str()),
                        sent_at,
                    },
                );
            }
        }
        Ok(found)
    }

    /// Settles `keys`: found in Odoo, or past their deadline.
    pub(crate) fn clear_doubts(&mut self, keys: &[IdemKey]) -> Result<(), StateError> {
        let tx = self.conn.transaction()?;
        {
            let mut stmt = tx.prepare_cached("DELETE FROM doubtful_creates WHERE key = ?1")?;
            for key in keys {
                stmt.execute([key.as_str()])?;
            }
        }
        tx.commit()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{EntryChange, EntryStatus, NewEntry};

    #[test]
    fn doubts_are_stored_found_and_cleared() {
        let mut state = State::open_in_memory().unwrap();
        let entry = NewEntry {
            model: "gamification.goal".into(),
            record_id: None,
            change: EntryChange::Create {
                values: Vec::new(),
                key: IdemKey::new("goal:a").unwrap(),
            },
            reason: "r".into(),
            group: Some(0),
            status: EntryStatus::Planned,
            detail: None,
        };
        let run = state.begin_run("gamification", None, [entry]).unwrap();
        let a = IdemKey::new("goal:a").unwrap();
        let b = IdemKey::new("goal:b").unwrap();
        let at = DateTime::parse_from_rfc3339("2026-11-23T08:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        state
            .add_doubts("gamification.goal", std::slice::from_ref(&a), &run, at)
            .unwrap();
        let found = state.doubts(&[a.clone(), b.clone()]).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[&a].sent_at, at);
        assert_eq!(found[&a].run_id, run);
        state.clear_doubts(std::slice::from_ref(&a)).unwrap();
        assert!(state.doubts(&[a]).unwrap().is_empty());
    }
}
