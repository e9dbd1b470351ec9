//! The lead scoring and routing job: read → evaluate (the pure `scoring` and `assignment`
//! engines) → plan → apply through the journal.
//!
//! **Full pass** (first run, then at least every `full_pass_hours`): every rule domain is
//! pushed down as one `search(scope ∧ rule)` returning ids only (at most `max_concurrency` in
//! flight), the leads in scope are read once in id-ordered pages with only the fields the plan
//! needs (score, write_date, decay dates, priority/tags when bands set them, owner/team when
//! routing), and the id sets are combined in Rust. **Incremental pass**: only leads with
//! `write_date >= cursor − overlap_secs` are read (the page reader dedupes by id), with the
//! fields the rules read, and rules are evaluated in memory by the domain evaluator over those
//! leads and the related records they point at (`local`); rules with `child_of`/`parent_of`
//! are pushed down restricted to those ids. Both feed the same scoring function.
//!
//! **Why both passes give identical scores, NULL included.** Odoo reads an empty integer or
//! float as `0`, but its SQL keeps NULL apart (`('f','=',0)` and `('f','<',5)` do not match
//! NULL rows). The pushdown pass inherits SQL's answer for free. The in-memory pass restores
//! NULLs before evaluating: for each numeric field that read as `0` it asks Odoo which of
//! those records are really NULL (one `search` per such field, only when zeros occur), so the
//! evaluator sees `Null` exactly where SQL does. The score field itself is compared as read
//! (`0` for never-scored leads): a lead scoring 0 is not written, in either pass, and its
//! NULL stays (harmless: both passes treat it the same way). Known residual difference:
//! datetimes are read without microseconds, so a rule comparing a datetime with `>` against
//! the exact second a lead was written could differ; the next full pass settles it.
//!
//! **Cursor.** The next incremental pass starts at the server's time when this pass began
//! (from the HTTP `Date` of an answer received before the first read; the largest
//! `write_date` read when the server sends none) minus `overlap_secs`, which covers
//! transactions still open while we read; leads read within that overlap are remembered as
//! `(id, write_date)` and not read in full again. Our own score writes move `write_date`: after
//! an applied run the job reads back the stamp (`write_date`) of each of its write calls, and
//! the next pass skips a lead only if its last write is the bot's with exactly the stamp of
//! the call that wrote it (see `cursor`: an edit a second later, by anyone, is read), unless
//! a rule reads a field the job writes, or the lead was routed since (routing writes are read
//! back). No sleep separates score and routing writes.
//! **Fixed point.** When the scope or a rule reads a field routing writes (`team_id`,
//! `user_id`), the leads the run routed are read again and scored in the same run (one more
//! journaled apply, [`RunReport::rescored`]), so their scores never wait for the next run.
//! The cursor moves only when the run is applied. What does not touch a lead (time
//! decay, a renamed tag) waits for the next full pass.
//!
//! **Layout, one step per file.** `read` (lead fields asked for, rows typed through
//! `odoo::Row`), `pass` (the three ways of reading leads), `evaluate` (the `scoring` engine
//! per lead, feeding `plan` and `route`), `plan` (the scoring plan, pure), `route` (routing:
//! `route::read` and `route::search` ask Odoo, `route::plan` is pure), `apply` (the run:
//! applies both plans, the fixed point), `next_pass` and `cursor` (what the next pass reads),
//! `local` (the in-memory rule evaluation), `explain`, `report`, `error`, and `setup` and
//! `scheduled` around the job.

mod apply;
mod cursor;
mod error;
mod evaluate;
mod explain;
mod local;
mod next_pass;
mod pass;
mod plan;
mod read;
mod report;
mod route;
pub mod scheduled;
pub mod setup;
mod wire;

use std::collections::BTreeSet;

use chrono::NaiveDateTime;

pub use cursor::OwnWrites;
pub use error::ScoringError;
pub use error::domain_err;
pub use report::{Evaluation, RunReport};
pub use wire::domain_items;

use crate::config::{AssignmentConfig, ScoringConfig};
use crate::odoo::OdooClient;

/// Job name of the scoring writes (journal, cursors).
pub(crate) const SCORING_JOB: &str = "scoring";
/// Job name of the routing writes (applied with `verify_old`).
pub(crate) const ASSIGNMENT_JOB: &str = "assignment";
const CURSOR: &str = "write_date";
const LAST_FULL: &str = "last_full";
const SEEN: &str = "seen";
const OWN_WRITES: &str = "own_writes";

/// Which leads a pass reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PassKind {
    Full,
    /// Leads written at or after `since` (cursor minus overlap), except the `(id, write_date)`
    /// pairs the previous pass already evaluated (read again only because of the overlap)
    /// and the leads whose last write is exactly one of this job's own score writes (`own`).
    Incremental {
        since: String,
        seen: BTreeSet<(i64, String)>,
        own: OwnWrites,
    },
    /// Exactly these leads (`explain`).
    Leads(Vec<i64>),
}

/// How to run.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// The run's clock (UTC, naive like Odoo's): decay ages and domain placeholders.
    pub now: NaiveDateTime,
    /// Force a full pass.
    pub full: bool,
}

/// The job over one client and its config.
pub struct ScoringJob<'a> {
    pub(crate) client: &'a OdooClient,
    pub(crate) scoring: &'a ScoringConfig,
    pub(crate) assignment: Option<&'a AssignmentConfig>,
    /// A stop request for the applies (see [`ScoringJob::with_cancel`]).
    pub(crate) cancel: Option<tokio_util::sync::CancellationToken>,
    /// Where the run's phases are shown (see [`ScoringJob::with_progress`]).
    pub(crate) progress: crate::progress::Progress,
}

impl<'a> ScoringJob<'a> {
    pub fn new(
        client: &'a OdooClient,
        scoring: &'a ScoringConfig,
        assignment: Option<&'a AssignmentConfig>,
    ) -> Self {
        ScoringJob {
            client,
            scoring,
            assignment,
            cancel: None,
            progress: crate::progress::Progress::hidden(),
        }
    }

    /// Stops the run's applies at the next call boundary when `cancel` fires (SIGTERM/SIGINT).
    pub(crate) fn with_cancel(mut self, cancel: tokio_util::sync::CancellationToken) -> Self {
        self.cancel = Some(cancel);
        self
    }

    /// Shows the run's phases (rule searches, leads read, changes applied) on `progress`.
    pub(crate) fn with_progress(mut self, progress: crate::progress::Progress) -> Self {
        self.progress = progress;
        self
    }
}

/// The field of the current model a dotted path (`partner_id.country_id.code`) starts with.
fn head(path: &str) -> &str {
    path.split_once('.').map_or(path, |(first, _)| first)
}

/// `fields` without repeats, first occurrence kept.
fn dedup(fields: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(fields.len());
    for f in fields {
        if !out.contains(&f) {
            out.push(f);
        }
    }
    out
}
