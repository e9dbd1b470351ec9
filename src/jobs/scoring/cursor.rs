//! What the incremental pass remembers between runs: the cursor (largest `write_date` read),
//! the `(id, write_date)` pairs read within the overlap before it, and the windows in which
//! the job itself wrote scores, so that its own writes are not read back as "changed".

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use super::{fmt_dt, parse_dt};
use crate::odoo::leaf;
use crate::xmlrpc::Value as Wire;

/// Most own-write windows kept; older ones are dropped (their leads are then read back once,
/// which is correct, only slower).
const MAX_WINDOWS: usize = 8;

/// The leads the bot user itself wrote during one applied scoring run: every lead whose last
/// write is by `uid` with `start <= write_date < end` holds exactly what that run wrote.
/// Bounds are Odoo's own `write_date`s (read back after the run), never our clock, so clock
/// skew between this machine and Odoo cannot widen them. `end` is the second after the last
/// score write (write dates travel without their fraction); the run's routing writes wait for
/// that second to pass (see `ScoringJob::run_with`), so they are never inside a window.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnWrites {
    pub uid: i64,
    pub start: String,
    pub end: String,
}

impl OwnWrites {
    /// The window from the first to the last score write of a run, if both records still
    /// carry the run's writes (`write_uid = uid`, in order).
    pub fn from_read_back(uid: i64, first: (i64, &str), last: (i64, &str)) -> Option<OwnWrites> {
        if first.0 != uid || last.0 != uid || first.1 > last.1 {
            return None;
        }
        let start = parse_dt(first.1)?;
        let end = parse_dt(last.1)? + chrono::Duration::seconds(1);
        Some(OwnWrites {
            uid,
            start: fmt_dt(start),
            end: fmt_dt(end),
        })
    }

    /// `NOT (write_uid = uid AND start <= write_date < end)`, as Polish-notation items.
    pub fn exclusion(&self) -> Vec<Wire> {
        vec![
            Wire::from("|"),
            Wire::from("|"),
            leaf("write_uid", "!=", Wire::Int(self.uid)),
            leaf("write_date", "<", Wire::from(self.start.as_str())),
            leaf("write_date", ">=", Wire::from(self.end.as_str())),
        ]
    }
}

/// The windows still relevant to a pass reading from `since`, newest last, at most
/// [`MAX_WINDOWS`].
pub fn keep_windows(mut windows: Vec<OwnWrites>, since: &str) -> Vec<OwnWrites> {
    windows.retain(|w| w.end.as_str() > since);
    let extra = windows.len().saturating_sub(MAX_WINDOWS);
    windows.drain(..extra);
    windows
}

/// The next cursor and the keys within `overlap` before it, kept while pages stream by: a
/// million leads read do not become a million strings held to the end of the pass.
///
/// The cursor is the server's time when the pass began (the `Date` of an answer received
/// before the first read), when known: a lead invisible to this pass (its transaction not yet
/// committed) has a `write_date` after that time minus the overlap, so the next pass starts
/// there, and `seen` holds only leads written in the last `overlap` seconds of server time.
/// A mass import an hour ago leaves nothing to remember. Without a server time, the largest
/// `write_date` read stands in (it stops moving when nothing is written).
pub struct Keys {
    overlap: chrono::Duration,
    start: Option<NaiveDateTime>,
    /// `start − overlap`, formatted once: keys older than it are never kept.
    start_floor: Option<String>,
    max: Option<String>,
    recent: Vec<(i64, String)>,
    prune_at: usize,
}

impl Keys {
    pub fn new(overlap_secs: u64, server_start: Option<NaiveDateTime>) -> Keys {
        let overlap = chrono::Duration::seconds(overlap_secs as i64);
        Keys {
            overlap,
            start: server_start,
            start_floor: server_start.map(|s| fmt_dt(s - overlap)),
            max: None,
            recent: Vec::new(),
            prune_at: 4096,
        }
    }

    pub fn add(&mut self, key: (i64, String)) {
        if key.1.is_empty() {
            return;
        }
        if self.max.as_deref().is_none_or(|m| key.1.as_str() > m) {
            self.max = Some(key.1.clone());
        }
        if self
            .start_floor
            .as_ref()
            .is_some_and(|floor| key.1 < *floor)
        {
            return;
        }
        self.recent.push(key);
        if self.recent.len() >= self.prune_at {
            self.prune();
            self.prune_at = (self.recent.len() * 2).max(4096);
        }
    }

    fn cursor(&self) -> Option<String> {
        self.start.map(fmt_dt).or_else(|| self.max.clone())
    }

    fn prune(&mut self) {
        let floor = self
            .cursor()
            .as_deref()
            .and_then(parse_dt)
            .map(|c| fmt_dt(c - self.overlap));
        if let Some(floor) = floor {
            self.recent.retain(|k| k.1 >= floor);
        }
    }

    /// The cursor and the keys at or after `cursor − overlap`, sorted.
    pub fn finish(mut self) -> (Option<String>, Vec<(i64, String)>) {
        self.prune();
        self.recent.sort_unstable();
        self.recent.dedup();
        (self.cursor(), self.recent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_keep_only_the_overlap_before_the_cursor() {
        let mut keys = Keys::new(60, None);
        for i in 0..10_000i64 {
            // one lead per second from 10:00:00
            let t = NaiveDateTime::parse_from_str("2026-11-20 10:00:00", "%Y-%m-%d %H:%M:%S")
                .unwrap()
                + chrono::Duration::seconds(i);
            keys.add((i, fmt_dt(t)));
            assert!(keys.recent.len() <= 8192, "bounded while streaming");
        }
        keys.add((99_999, String::new()));
        let (cursor, recent) = keys.finish();
        assert_eq!(cursor.as_deref(), Some("2026-11-20 12:46:39"));
        // 12:45:39 ..= 12:46:39
        assert_eq!(recent.len(), 61);
        assert_eq!(recent[0], (9_939, "2026-11-20 12:45:39".to_owned()));
    }

    #[test]
    fn with_the_server_time_the_cursor_is_the_start_of_the_pass() {
        let t = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap();
        let mut keys = Keys::new(300, Some(t("2026-11-22 16:00:00")));
        // a mass import an hour ago, and one lead written two minutes ago
        for i in 0..50_000 {
            keys.add((i, "2026-11-22 15:00:00".to_owned()));
        }
        keys.add((77, "2026-11-22 15:58:00".to_owned()));
        assert_eq!(
            keys.recent.len(),
            1,
            "nothing older than the overlap is kept"
        );
        let (cursor, seen) = keys.finish();
        assert_eq!(cursor.as_deref(), Some("2026-11-22 16:00:00"));
        assert_eq!(seen, vec![(77, "2026-11-22 15:58:00".to_owned())]);
        // Nothing read at all: the cursor still moves with the server's clock.
        let (cursor, seen) = Keys::new(300, Some(t("2026-11-22 17:00:00"))).finish();
        assert_eq!(cursor.as_deref(), Some("2026-11-22 17:00:00"));
        assert!(seen.is_empty());
    }

    #[test]
    fn windows_need_our_uid_on_both_ends_in_order() {
        let w =
            OwnWrites::from_read_back(2, (2, "2026-11-20 10:00:00"), (2, "2026-11-20 10:00:30"))
                .unwrap();
        assert_eq!(w.start, "2026-11-20 10:00:00");
        assert_eq!(w.end, "2026-11-20 10:00:31", "the last second is inside");
        assert!(
            OwnWrites::from_read_back(2, (7, "2026-11-20 10:00:00"), (2, "2026-11-20 10:00:30"))
                .is_none(),
            "someone else wrote the first lead since"
        );
        assert!(
            OwnWrites::from_read_back(2, (2, "2026-11-20 10:00:31"), (2, "2026-11-20 10:00:30"))
                .is_none(),
            "out of order: the first lead was written again since"
        );
        let one =
            OwnWrites::from_read_back(2, (2, "2026-11-20 10:00:30"), (2, "2026-11-20 10:00:30"))
                .unwrap();
        assert_eq!(one.end, "2026-11-20 10:00:31");
        assert_eq!(w.exclusion().len(), 5);
    }

    #[test]
    fn old_windows_are_dropped() {
        let w = |end: &str| OwnWrites {
            uid: 2,
            start: "2026-11-20 00:00:00".into(),
            end: end.into(),
        };
        let mut all: Vec<OwnWrites> = (10..30)
            .map(|m| w(&format!("2026-11-20 12:{m}:00")))
            .collect();
        all.push(w("2026-11-19 23:00:00"));
        let kept = keep_windows(all, "2026-11-20 12:15:00");
        assert_eq!(kept.len(), MAX_WINDOWS);
        assert!(kept.iter().all(|k| k.end.as_str() > "2026-11-20 12:15:00"));
        assert_eq!(kept.last().unwrap().end, "2026-11-20 12:29:00");
    }
}
