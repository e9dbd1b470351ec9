//! The state database's tables and their forward-only migrations. A database written by a
//! newer scorekeeper is refused rather than guessed at.

use rusqlite::{Connection, OptionalExtension};

use super::StateError;

/// Migration `i` (0-based) brings the schema from version `i` to `i + 1`. Never edit a
/// released entry: append a new one.
const MIGRATIONS: &[&str] = &[
    // v1
    "CREATE TABLE runs (
        run_id      TEXT PRIMARY KEY,
        job         TEXT NOT NULL,
        started_at  TEXT NOT NULL,
        finished_at TEXT,
        status      TEXT NOT NULL
                    CHECK (status IN ('planned', 'applying', 'applied', 'failed', 'undone')),
        undo_of     TEXT REFERENCES runs(run_id),
        n_entries     INTEGER NOT NULL DEFAULT 0,
        n_applied     INTEGER NOT NULL DEFAULT 0,
        n_failed      INTEGER NOT NULL DEFAULT 0,
        n_skipped     INTEGER NOT NULL DEFAULT 0,
        n_not_applied INTEGER NOT NULL DEFAULT 0,
        error       TEXT
    );
    CREATE INDEX runs_job ON runs(job, started_at);

    -- One row per (record, field) written, or per record created.
    -- Writes: field, old_json and new_json hold one encoded value (plan::value_json).
    -- Creates: field and old_json are NULL, new_json is a JSON object field → encoded value,
    -- idem_key is set and record_id is NULL until the created id is known.
    CREATE TABLE journal (
        run_id     TEXT NOT NULL REFERENCES runs(run_id),
        seq        INTEGER NOT NULL,
        kind       TEXT NOT NULL CHECK (kind IN ('write', 'create')),
        model      TEXT NOT NULL,
        record_id  INTEGER,
        field      TEXT,
        old_json   TEXT,
        new_json   TEXT NOT NULL,
        reason     TEXT NOT NULL,
        idem_key   TEXT,
        grp        INTEGER,
        status     TEXT NOT NULL
                   CHECK (status IN ('planned', 'applied', 'failed', 'skipped', 'not_applied')),
        detail     TEXT,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (run_id, seq),
        CHECK ((kind = 'write') = (field IS NOT NULL AND old_json IS NOT NULL AND record_id IS NOT NULL)),
        CHECK ((kind = 'create') = (idem_key IS NOT NULL))
    );
    CREATE INDEX journal_planned ON journal(status) WHERE status = 'planned';
    CREATE INDEX journal_record ON journal(model, record_id);

    CREATE TABLE cursors (
        job        TEXT NOT NULL,
        name       TEXT NOT NULL,
        value      TEXT NOT NULL,
        run_id     TEXT REFERENCES runs(run_id),
        updated_at TEXT NOT NULL,
        PRIMARY KEY (job, name)
    );

    CREATE TABLE idem_keys (
        key        TEXT PRIMARY KEY,
        model      TEXT NOT NULL,
        record_id  INTEGER NOT NULL,
        run_id     TEXT NOT NULL REFERENCES runs(run_id),
        created_at TEXT NOT NULL
    );",
    // v2: creates whose request was sent but whose answer was lost (see `state::doubts`).
    "CREATE TABLE doubtful_creates (
        key      TEXT PRIMARY KEY,
        model    TEXT NOT NULL,
        run_id   TEXT NOT NULL REFERENCES runs(run_id),
        sent_at  TEXT NOT NULL
    );",
    // v3: `unlink` entries (a duplicate removed by a repair): record_id is the deleted record,
    // new_json the values it held (what undo re-creates), no field, no key. SQLite cannot
    // change a CHECK constraint in place, so the table is rebuilt.
    "CREATE TABLE journal_v3 (
        run_id     TEXT NOT NULL REFERENCES runs(run_id),
        seq        INTEGER NOT NULL,
        kind       TEXT NOT NULL CHECK (kind IN ('write', 'create', 'unlink')),
        model      TEXT NOT NULL,
        record_id  INTEGER,
        field      TEXT,
        old_json   TEXT,
        new_json   TEXT NOT NULL,
        reason     TEXT NOT NULL,
        idem_key   TEXT,
        grp        INTEGER,
        status     TEXT NOT NULL
                   CHECK (status IN ('planned', 'applied', 'failed', 'skipped', 'not_applied')),
        detail     TEXT,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (run_id, seq),
        CHECK ((kind = 'write') = (field IS NOT NULL AND old_json IS NOT NULL AND record_id IS NOT NULL)),
        CHECK ((kind = 'create') = (idem_key IS NOT NULL)),
        CHECK (kind != 'unlink' OR (record_id IS NOT NULL AND field IS NULL))
    );
    INSERT INTO journal_v3 SELECT run_id, seq, kind, model, record_id, field, old_json, new_json,
        reason, idem_key, grp, status, detail, updated_at FROM journal;
    DROP TABLE journal;
    ALTER TABLE journal_v3 RENAME TO journal;
    CREATE INDEX journal_planned ON journal(status) WHERE status = 'planned';
    CREATE INDEX journal_record ON journal(model, record_id);",
];

/// The schema version this build writes.
pub(crate) const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Brings the database to [`SCHEMA_VERSION`], one transaction per migration.
pub(super) fn migrate(conn: &mut Connection) -> Result<(), StateError> {
    conn.execute_batch("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")?;
    let found: i64 = conn
        .query_row("SELECT version FROM schema_version", [], |row| row.get(0))
        .optional()?
        .unwrap_or(0);
    if found > SCHEMA_VERSION {
        return Err(StateError::TooNew {
            found,
            known: SCHEMA_VERSION,
        });
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.execute("DELETE FROM schema_version", [])?;
        tx.execute(
            "INSERT INTO schema_version (version) VALUES (?1)",
            [index as i64 + 1],
        )?;
        tx.commit()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A database written by the version before unlink entries keeps its journal through
    /// the table rebuild, and then accepts unlink entries (with a record, without a field).
    #[test]
    fn v2_journals_survive_the_v3_rebuild() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE schema_version (version INTEGER NOT NULL);
             INSERT INTO schema_version (version) VALUES (2);",
        )
        .unwrap();
        conn.execute_batch(MIGRATIONS[0]).unwrap();
        conn.execute_batch(MIGRATIONS[1]).unwrap();
        conn.execute_batch(
            "INSERT INTO runs (run_id, job, started_at, status) VALUES ('r', 'scoring', 't', 'applied');
             INSERT INTO journal (run_id, seq, kind, model, record_id, field, old_json, new_json, reason, status, updated_at)
             VALUES ('r', 1, 'write', 'crm.lead', 7, 'x_score', '0', '10', 'why', 'applied', 't');",
        )
        .unwrap();
        migrate(&mut conn).unwrap();
        let version: i64 = conn
            .query_row("SELECT version FROM schema_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, SCHEMA_VERSION);
        let kept: (i64, String) = conn
            .query_row(
                "SELECT record_id, new_json FROM journal WHERE run_id = 'r' AND seq = 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!(kept, (7, "10".to_owned()));
        let unlink = |record: &str| {
            conn.execute(
                &format!(
                    "INSERT INTO journal (run_id, seq, kind, model, record_id, new_json, reason, status, updated_at)
                     VALUES ('r', 2, 'unlink', 'gamification.goal', {record}, '{{}}', 'dup', 'planned', 't')"
                ),
                [],
            )
        };
        assert!(unlink("NULL").is_err(), "an unlink names its record");
        assert!(unlink("12").is_ok());
    }
}
