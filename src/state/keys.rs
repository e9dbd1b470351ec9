//! Idempotency keys already honoured: key → the record that carries it. Checked before every
//! create so that a retried or restarted run never creates the same badge or karma entry twice.

use std::collections::HashMap;

use rusqlite::{OptionalExtension, Row, Transaction, params};

use super::run::RunId;
use super::{State, StateError};
use crate::plan::IdemKey;

/// A key and the record it names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyRecord {
    pub key: IdemKey,
    pub model: String,
    pub record_id: i64,
    /// The run that created (or found) the record.
    pub run_id: RunId,
    pub created_at: String,
}

/// Stores a key unless it is already there: the first record found for a key wins.
pub(super) fn insert_key_in(
    tx: &Transaction<'_>,
    key: &IdemKey,
    model: &str,
    record_id: i64,
    run_id: &RunId,
    now: &str,
) -> Result<(), StateError> {
    tx.execute(
        "INSERT INTO idem_keys (key, model, record_id, run_id, created_at) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (key) DO NOTHING",
        params![key.as_str(), model, record_id, run_id.as_str(), now],
    )?;
    Ok(())
}

fn key_from_row(row: &Row<'_>) -> rusqlite::Result<(String, String, i64, String, String)> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
    ))
}

fn to_record(raw: (String, String, i64, String, String)) -> Result<KeyRecord, StateError> {
    let (key, model, record_id, run_id, created_at) = raw;
    let key = IdemKey::new(key.as_str()).map_err(|e| StateError::Corrupt {
        run_id: run_id.clone(),
        seq: 0,
        detail: format!("idempotency key: {e}"),
    })?;
    Ok(KeyRecord {
        key,
        model,
        record_id,
        run_id: RunId::from(run_id.as_str()),
        created_at,
    })
}

impl State {
    #[cfg(test)]
    pub(crate) fn idem_key(&self, key: &IdemKey) -> Result<Option<KeyRecord>, StateError> {
        let raw = self
            .conn
            .query_row(
                "SELECT key, model, record_id, run_id, created_at FROM idem_keys WHERE key = ?1",
                [key.as_str()],
                key_from_row,
            )
            .optional()?;
        raw.map(to_record).transpose()
    }

    /// The known keys among `keys`.
    pub(crate) fn known_keys(
        &self,
        keys: &[IdemKey],
    ) -> Result<HashMap<IdemKey, KeyRecord>, StateError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT key, model, record_id, run_id, created_at FROM idem_keys WHERE key = ?1",
        )?;
        let mut found = HashMap::new();
        for key in keys {
            if let Some(raw) = stmt.query_row([key.as_str()], key_from_row).optional()? {
                found.insert(key.clone(), to_record(raw)?);
            }
        }
        Ok(found)
    }
}
