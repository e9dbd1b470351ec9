//! The write journal: one row per (record, field) a run writes and per record it creates,
//! written before anything reaches Odoo and updated as calls succeed or fail, so that a run can
//! be explained, reconciled after a crash, and undone.

use std::borrow::Borrow;
use std::fmt;
use std::str::FromStr;

use rusqlite::{Row, Transaction, params};
use serde_json::{Map, Value as Json};

use super::keys::insert_key_in;
use super::run::RunId;
use super::{State, StateError};
use crate::plan::{IdemKey, decode_value, encode_value, value_from_json, value_to_json};
use crate::record::Value;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryKind {
    Write,
    Create,
    Unlink,
}

/// An entry's fate. `planned` is the only state that may be followed by another.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryStatus {
    /// Journaled, outcome not known yet (not attempted, or interrupted).
    Planned,
    /// Odoo holds the new value (or the created record, whose id is stored).
    Applied,
    /// The Odoo call failed; `detail` says why. Odoo does not hold the new value.
    Failed,
    /// Deliberately not done; `detail` says why (duplicate key, conflicting change, …).
    Skipped,
    /// Not done, and not a failure of its own: the run stopped earlier, or a crash happened
    /// before the call (found by reconciliation). A later plan redoes it if still wanted.
    NotApplied,
}

impl EntryStatus {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            EntryStatus::Planned => "planned",
            EntryStatus::Applied => "applied",
            EntryStatus::Failed => "failed",
            EntryStatus::Skipped => "skipped",
            EntryStatus::NotApplied => "not_applied",
        }
    }
}

impl fmt::Display for EntryStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for EntryStatus {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "planned" => EntryStatus::Planned,
            "applied" => EntryStatus::Applied,
            "failed" => EntryStatus::Failed,
            "skipped" => EntryStatus::Skipped,
            "not_applied" => EntryStatus::NotApplied,
            other => return Err(format!("unknown entry status {other:?}")),
        })
    }
}

/// What an entry does.
#[derive(Clone, Debug, PartialEq)]
pub enum EntryChange {
    Write {
        field: String,
        old: Value,
        new: Value,
    },
    Create {
        values: Vec<(String, Value)>,
        key: IdemKey,
    },
    /// Delete the entry's record (a duplicate). `values` are what it held, so undo can
    /// create it again.
    Unlink { values: Vec<(String, Value)> },
}

impl EntryChange {}

/// An entry to journal.
#[derive(Clone, Debug, PartialEq)]
pub struct NewEntry {
    pub model: String,
    /// The written record; `None` for a create until its id is known.
    pub record_id: Option<i64>,
    pub change: EntryChange,
    pub reason: String,
    /// The Odoo call (write group or create batch) the entry belongs to, numbered in the run.
    pub group: Option<i64>,
    /// Usually `Planned`; undo journals what it skips as `Skipped` straight away.
    pub status: EntryStatus,
    pub detail: Option<String>,
}

/// A journaled entry.
#[derive(Clone, Debug, PartialEq)]
pub struct JournalEntry {
    pub run_id: RunId,
    pub seq: i64,
    pub model: String,
    pub record_id: Option<i64>,
    pub change: EntryChange,
    pub reason: String,
    pub group: Option<i64>,
    pub status: EntryStatus,
    pub detail: Option<String>,
    pub updated_at: String,
}

/// A new status for one entry (and, for a create, the id it got).
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    pub run_id: RunId,
    pub seq: i64,
    pub status: EntryStatus,
    pub detail: Option<String>,
    pub record_id: Option<i64>,
}

const ENTRY_COLUMNS: &str = "run_id, seq, kind, model, record_id, field, old_json, new_json, \
                             reason, idem_key, grp, status, detail, updated_at";

fn encode_values(values: &[(String, Value)]) -> String {
    let mut map = Map::with_capacity(values.len());
    for (field, value) in values {
        map.insert(field.clone(), value_to_json(value));
    }
    Json::Object(map).to_string()
}

fn decode_values(text: &str) -> Result<Vec<(String, Value)>, String> {
    let json: Json = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let Json::Object(map) = json else {
        return Err("create values are not a JSON object".into());
    };
    map.iter()
        .map(|(field, value)| {
            Ok((
                field.clone(),
                value_from_json(value).map_err(|e| e.to_string())?,
            ))
        })
        .collect()
}

/// Inserts entries numbered from `first_seq`; returns how many.
pub(super) fn insert_entries<I>(
    tx: &Transaction<'_>,
    run_id: &RunId,
    entries: I,
    now: &str,
    first_seq: i64,
) -> Result<i64, StateError>
where
    I: IntoIterator,
    I::Item: Borrow<NewEntry>,
{
    let mut stmt = tx.prepare(
        "INSERT INTO journal (run_id, seq, kind, model, record_id, field, old_json, new_json,
                              reason, idem_key, grp, status, detail, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    )?;
    let mut count = 0;
    for entry in entries {
        let entry = entry.borrow();
        let (kind, field, old, new, key) = match &entry.change {
            EntryChange::Write { field, old, new } => (
                "write",
                Some(field.as_str()),
                Some(encode_value(old)),
                encode_value(new),
                None,
            ),
            EntryChange::Create { values, key } => (
                "create",
                None,
                None,
                encode_values(values),
                Some(key.as_str()),
            ),
            EntryChange::Unlink { values } => ("unlink", None, None, encode_values(values), None),
        };
        stmt.execute(params![
            run_id.as_str(),
            first_seq + count,
            kind,
            entry.model,
            entry.record_id,
            field,
            old,
            new,
            entry.reason,
            key,
            entry.group,
            entry.status.as_str(),
            entry.detail,
            now,
        ])?;
        count += 1;
    }
    Ok(count)
}

/// A row as read, before decoding the JSON (so a bad row can be named in the error).
struct RawEntry {
    run_id: String,
    seq: i64,
    kind: String,
    model: String,
    record_id: Option<i64>,
    field: Option<String>,
    old_json: Option<String>,
    new_json: String,
    reason: String,
    idem_key: Option<String>,
    group: Option<i64>,
    status: String,
    detail: Option<String>,
    updated_at: String,
}

fn raw_from_row(row: &Row<'_>) -> rusqlite::Result<RawEntry> {
    Ok(RawEntry {
        run_id: row.get(0)?,
        seq: row.get(1)?,
        kind: row.get(2)?,
        model: row.get(3)?,
        record_id: row.get(4)?,
        field: row.get(5)?,
        old_json: row.get(6)?,
        new_json: row.get(7)?,
        reason: row.get(8)?,
        idem_key: row.get(9)?,
        group: row.get(10)?,
        status: row.get(11)?,
        detail: row.get(12)?,
        updated_at: row.get(13)?,
    })
}

impl RawEntry {
    fn decode(self) -> Result<JournalEntry, StateError> {
        let corrupt = |detail: String| StateError::Corrupt {
            run_id: self.run_id.clone(),
            seq: self.seq,
            detail,
        };
        let status = self.status.parse::<EntryStatus>().map_err(corrupt)?;
        let change = match (
            self.kind.as_str(),
            &self.field,
            &self.old_json,
            &self.idem_key,
        ) {
            ("write", Some(field), Some(old), _) => EntryChange::Write {
                field: field.clone(),
                old: decode_value(old).map_err(|e| corrupt(e.to_string()))?,
                new: decode_value(&self.new_json).map_err(|e| corrupt(e.to_string()))?,
            },
            ("create", _, _, Some(key)) => EntryChange::Create {
                values: decode_values(&self.new_json).map_err(corrupt)?,
                key: IdemKey::new(key.as_str()).map_err(|e| corrupt(e.to_string()))?,
            },
            ("unlink", None, None, None) if self.record_id.is_some() => EntryChange::Unlink {
                values: decode_values(&self.new_json).map_err(corrupt)?,
            },
            (kind, ..) => return Err(corrupt(format!("inconsistent {kind} entry"))),
        };
        Ok(JournalEntry {
            run_id: RunId::from(self.run_id.as_str()),
            seq: self.seq,
            model: self.model,
            record_id: self.record_id,
            change,
            reason: self.reason,
            group: self.group,
            status,
            detail: self.detail,
            updated_at: self.updated_at,
        })
    }
}

impl State {
    fn entries_where(
        &self,
        condition: &str,
        args: impl rusqlite::Params,
    ) -> Result<Vec<JournalEntry>, StateError> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {ENTRY_COLUMNS} FROM journal WHERE {condition}"
        ))?;
        let raws = stmt
            .query_map(args, raw_from_row)?
            .collect::<Result<Vec<_>, _>>()?;
        raws.into_iter().map(RawEntry::decode).collect()
    }

    /// A run's journal in entry order.
    pub fn journal(&self, run_id: &RunId) -> Result<Vec<JournalEntry>, StateError> {
        self.entries_where("run_id = ?1 ORDER BY seq", [run_id.as_str()])
    }

    /// Entries of every run still `planned` (what reconciliation resolves), oldest first.
    pub fn planned_entries(&self) -> Result<Vec<JournalEntry>, StateError> {
        self.entries_where("status = 'planned' ORDER BY run_id, seq", [])
    }

    /// Every journaled change of one record, oldest first (for `explain`).
    pub fn history(&self, model: &str, record_id: i64) -> Result<Vec<JournalEntry>, StateError> {
        self.entries_where(
            "model = ?1 AND record_id = ?2 ORDER BY run_id, seq",
            params![model, record_id],
        )
    }

    /// `(group, record id)` of the writes of run `run_id` on `model` that Odoo applied, by
    /// group then id: the records each write call of the run touched (a record written in
    /// several fields by one call appears once), streamed to `each` so that a run of a
    /// million writes is never held as a list.
    pub(crate) fn each_applied_write(
        &self,
        run_id: &RunId,
        model: &str,
        mut each: impl FnMut(i64, i64),
    ) -> Result<(), StateError> {
        let mut stmt = self.conn.prepare(
            "SELECT DISTINCT grp, record_id FROM journal
             WHERE run_id = ?1 AND model = ?2 AND kind = 'write' AND status = 'applied'
               AND grp IS NOT NULL AND record_id IS NOT NULL
             ORDER BY grp, record_id",
        )?;
        let mut rows = stmt.query(params![run_id.as_str(), model])?;
        while let Some(row) = rows.next()? {
            each(row.get(0)?, row.get(1)?);
        }
        Ok(())
    }

    /// Deletes the journal of finished runs started before `before` (an RFC 3339 UTC time such
    /// as `2026-08-01T00:00:00Z`), keeping the runs themselves, idempotency keys and cursors.
    /// A pruned run can no longer be explained entry by entry nor undone. Returns the number of
    /// entries deleted.
    #[cfg(test)]
    pub(crate) fn prune_journal(&mut self, before: &str) -> Result<usize, StateError> {
        Ok(self.conn.execute(
            "DELETE FROM journal WHERE run_id IN (
                 SELECT run_id FROM runs
                 WHERE started_at < ?1 AND status IN ('applied', 'failed', 'undone')
                   AND NOT EXISTS (SELECT 1 FROM journal j
                                   WHERE j.run_id = runs.run_id AND j.status = 'planned'))",
            [before],
        )?)
    }

    /// Gives entries `seqs` of a run one outcome in one statement (a whole write group: its
    /// entries are contiguous). Entries no longer `planned` keep theirs.
    pub fn record_range(
        &mut self,
        run_id: &RunId,
        seqs: std::ops::Range<i64>,
        status: EntryStatus,
        detail: Option<&str>,
    ) -> Result<usize, StateError> {
        let now = self.now_text();
        Ok(self.conn.execute(
            "UPDATE journal SET status = ?4, detail = ?5, updated_at = ?6
             WHERE run_id = ?1 AND seq >= ?2 AND seq < ?3 AND status = 'planned'",
            params![
                run_id.as_str(),
                seqs.start,
                seqs.end,
                status.as_str(),
                detail,
                now
            ],
        )?)
    }

    /// Records outcomes and the idempotency keys of records created, in one transaction:
    /// a created record is never known to the journal without its key, nor the reverse.
    /// Keys already present are left as they are.
    pub(crate) fn record_outcomes(
        &mut self,
        outcomes: &[Outcome],
        keys: &[(IdemKey, String, i64, RunId)],
    ) -> Result<(), StateError> {
        let now = self.now_text();
        let tx = self.conn.transaction()?;
        {
            let mut stmt = tx.prepare(
                "UPDATE journal SET status = ?3, detail = ?4,
                        record_id = COALESCE(?5, record_id), updated_at = ?6
                 WHERE run_id = ?1 AND seq = ?2",
            )?;
            for o in outcomes {
                stmt.execute(params![
                    o.run_id.as_str(),
                    o.seq,
                    o.status.as_str(),
                    o.detail,
                    o.record_id,
                    now
                ])?;
            }
        }
        for (key, model, record_id, run_id) in keys {
            insert_key_in(&tx, key, model, *record_id, run_id, &now)?;
        }
        tx.commit()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(id: i64, field: &str, old: Value, new: Value) -> NewEntry {
        NewEntry {
            model: "crm.lead".into(),
            record_id: Some(id),
            change: EntryChange::Write {
                field: field.into(),
                old,
                new,
            },
            reason: "rules".into(),
            group: Some(0),
            status: EntryStatus::Planned,
            detail: None,
        }
    }

    #[test]
    fn entries_round_trip_and_outcomes_update_them() {
        let mut state = State::open_in_memory().unwrap();
        let key = IdemKey::new("karma:rule=1:record=7").unwrap();
        let entries = vec![
            write(7, "x_score", Value::Null, Value::Int(10)),
            write(7, "tag_ids", Value::Ids(vec![]), Value::Ids(vec![2, 1])),
            NewEntry {
                model: "gamification.karma.tracking".into(),
                record_id: None,
                change: EntryChange::Create {
                    values: vec![
                        ("user_id".into(), Value::Many2one(6)),
                        ("new_value".into(), Value::Float(0.5)),
                    ],
                    key: key.clone(),
                },
                reason: "won".into(),
                group: Some(1),
                status: EntryStatus::Planned,
                detail: None,
            },
        ];
        let run = state.begin_run("scoring", None, &entries).unwrap();
        let journal = state.journal(&run).unwrap();
        assert_eq!(journal.len(), 3);
        for (got, want) in journal.iter().zip(&entries) {
            assert_eq!(got.change, want.change);
            assert_eq!(got.record_id, want.record_id);
            assert_eq!(got.status, EntryStatus::Planned);
        }
        assert_eq!(
            journal.iter().map(|e| e.seq).collect::<Vec<_>>(),
            vec![1, 2, 3]
        );
        assert_eq!(state.planned_entries().unwrap().len(), 3);

        let done = |seq, status, record_id| Outcome {
            run_id: run.clone(),
            seq,
            status,
            detail: None,
            record_id,
        };
        state
            .record_outcomes(
                &[
                    done(1, EntryStatus::Applied, None),
                    done(3, EntryStatus::Applied, Some(500)),
                ],
                &[(
                    key.clone(),
                    "gamification.karma.tracking".into(),
                    500,
                    run.clone(),
                )],
            )
            .unwrap();
        let journal = state.journal(&run).unwrap();
        assert_eq!(journal[0].status, EntryStatus::Applied);
        assert_eq!(journal[0].record_id, Some(7));
        assert_eq!(journal[2].record_id, Some(500));
        assert_eq!(state.planned_entries().unwrap().len(), 1);
        assert_eq!(state.idem_key(&key).unwrap().unwrap().record_id, 500);
        assert_eq!(state.history("crm.lead", 7).unwrap().len(), 2);

        let info = state
            .finish_run(&run, crate::state::RunStatus::Failed, None, &[])
            .unwrap();
        assert_eq!((info.entries, info.applied), (3, 2));
    }

    #[test]
    fn pruning_keeps_recent_and_unsettled_runs() {
        let mut state = State::open_in_memory().unwrap();
        let at = |text: &'static str| -> crate::state::Clock {
            std::sync::Arc::new(move || {
                chrono::DateTime::parse_from_rfc3339(text).unwrap().to_utc()
            })
        };
        state.set_clock(at("2026-01-01T00:00:00Z"));
        let old = state
            .begin_run(
                "scoring",
                None,
                [write(1, "x_score", Value::Int(0), Value::Int(1))],
            )
            .unwrap();
        let applied = |run: &RunId| Outcome {
            run_id: run.clone(),
            seq: 1,
            status: EntryStatus::Applied,
            detail: None,
            record_id: None,
        };
        state.record_outcomes(&[applied(&old)], &[]).unwrap();
        state
            .finish_run(&old, crate::state::RunStatus::Applied, None, &[])
            .unwrap();
        let unsettled = state
            .begin_run(
                "scoring",
                None,
                [write(2, "x_score", Value::Int(0), Value::Int(1))],
            )
            .unwrap();
        state
            .finish_run(&unsettled, crate::state::RunStatus::Failed, None, &[])
            .unwrap();
        state.set_clock(at("2026-11-01T00:00:00Z"));
        let recent = state
            .begin_run(
                "scoring",
                None,
                [write(3, "x_score", Value::Int(0), Value::Int(1))],
            )
            .unwrap();
        state
            .finish_run(&recent, crate::state::RunStatus::Applied, None, &[])
            .unwrap();

        assert_eq!(state.prune_journal("2026-06-01T00:00:00Z").unwrap(), 1);
        assert!(state.journal(&old).unwrap().is_empty());
        assert_eq!(
            state.run(&old).unwrap().unwrap().entries,
            1,
            "the run row keeps its counts"
        );
        assert_eq!(
            state.journal(&unsettled).unwrap().len(),
            1,
            "planned entries are kept"
        );
        assert_eq!(state.journal(&recent).unwrap().len(), 1);
    }

    #[test]
    fn inconsistent_rows_are_refused_by_the_schema() {
        let state = State::open_in_memory().unwrap();
        state.conn.execute("INSERT INTO runs (run_id, job, started_at, status) VALUES ('r', 'j', 't', 'planned')", []).unwrap();
        let bad = state.conn.execute(
            "INSERT INTO journal (run_id, seq, kind, model, new_json, reason, status, updated_at)
             VALUES ('r', 1, 'write', 'crm.lead', '1', 'x', 'planned', 't')",
            [],
        );
        assert!(
            bad.is_err(),
            "a write without record, field and old value must be refused"
        );
        let orphan = state.conn.execute(
            "INSERT INTO journal (run_id, seq, kind, model, record_id, field, old_json, new_json, reason, status, updated_at)
             VALUES ('nope', 1, 'write', 'crm.lead', 1, 'f', 'null', '1', 'x', 'planned', 't')",
            [],
        );
        assert!(orphan.is_err(), "foreign keys are enforced");
    }
}
