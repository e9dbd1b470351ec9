//! What the incremental pass remembers between runs: the cursor (largest `write_date` read),
//! the `(id, write_date)` pairs read within the overlap before it, and the job's own score
//! writes, so that they are not read back as "changed".
//!
//! **Own writes, exactly.** Odoo stamps every record one `write` call touches with the same
//! `write_date` (the transaction's time; RPC shows it to the second). After an applied run the
//! job reads back `write_uid, write_date` of the first and last lead of every write call (one
//! `read` for the whole run, [`stamp_groups`]) and keeps, per call, its journal group and
//! that stamp ([`OwnRun`]); the ids stay in the journal. The next pass loads, per stamp, the
//! ids written at it ([`OwnWrites`], compact id sets) and skips a candidate only if its
//! `write_uid` is the bot **and** its current `write_date` is exactly the stamp of the call
//! that wrote it. (How the pass lists candidates so that a mass rescoring's own writes do not
//! cost a row each: `ScoringJob::changed`.) Anyone's later edit, the same login's included, moves `write_date` and is
//! read. Why the read-back and not the HTTP `Date` around the call: `write_date` comes from
//! the database server's clock at the start of the transaction, `Date` from the Odoo worker's
//! clock when the answer leaves, which may be another machine and another second.
//!
//! A stamp is kept only when the read-back bears it out: every probe of the call shows
//! the bot and the same `write_date`, and no later call of the run shows an earlier one
//! (calls run one after the other, so stamps never go down; a probe edited after the run's
//! write shows a later time than the calls after it). A call whose stamp is not kept has its
//! leads read back once (correct, only slower). **Residual case:** an edit made by someone
//! logged in as the bot's own user within the same second as the bot's write to that lead
//! (or, for a lead written alone by a call, before the run's read-back and within the same
//! second as one of the run's later writes) cannot be told apart from the write: that lead
//! is skipped until the next full pass. After a mass rescoring the pass leaves the bot's
//! leads in the own seconds out on the server, and the run that wrote checked its seconds by
//! count (`ScoringJob::verify_own_stamps`), which adds two more such cases: within one second,
//! a lead of the run edited away while the bot's login writes another; and a transaction of
//! the bot's login begun in one of the seconds and committed after the check. Give
//! scorekeeper its own user to rule these out.
//!
//! Routing writes are deliberately read back: rules may read the team and salesperson, and
//! they are few. A lead routed by a run is taken out of every skip set kept (a routing write
//! can share its second with the score write before it).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use crate::record::datetime::{format_datetime, parse_datetime};
use crate::record::{IdSet, IdSetBuilder};

/// Most runs whose own writes are kept; older ones are dropped (their leads are then read
/// back once, which is correct, only slower).
const MAX_RUNS: usize = 8;

/// One write call of a run, as Odoo stamped it: every lead of journal group `group` was
/// written with this `write_date`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Stamp {
    pub(crate) group: i64,
    pub(crate) write_date: String,
}

/// The stamped score writes of one applied run (its journal holds the ids of each group),
/// and the routing runs applied since, whose leads are read back.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct OwnRun {
    pub(crate) uid: i64,
    pub(crate) run: String,
    pub(crate) stamps: Vec<Stamp>,
    #[serde(default)]
    pub(crate) routing: Vec<String>,
    /// The run checked, right after its read-back, which leads the bot's login holds at each
    /// of its stamps (`ScoringJob::verify_own_stamps`): the next pass needs no per-stamp
    /// search for them. Those found there that the run did not write are `pending`.
    #[serde(default)]
    pub(crate) verified: bool,
    #[serde(default)]
    pub(crate) pending: Vec<i64>,
    /// Leads the run wrote (0: not recorded, as before this field existed).
    #[serde(default)]
    pub(crate) written: usize,
}

impl OwnRun {
    fn newest(&self) -> Option<&str> {
        self.stamps.iter().map(|s| s.write_date.as_str()).max()
    }
}

/// The stamps that provably belong to their call. `groups` are the run's write calls in
/// order, each with the ids probed (first and last lead); `observed` is what the read-back
/// found for each probe: `(write_uid, write_date)` (`None`: Odoo sent no user, so not the bot).
pub(crate) fn stamp_groups(
    uid: i64,
    groups: &[(i64, Vec<i64>)],
    observed: &HashMap<i64, (Option<i64>, String)>,
    width: usize,
) -> Vec<Stamp> {
    let width = width.max(1) as i64;
    let mut kept = Vec::new();
    // The earliest write_date any call of a later wave shows: no call's stamp is after it.
    // Calls go out in waves of `width` (apply's `concurrency`): within a wave they overlap,
    // so only later waves bound a call's stamp.
    let mut bound: Option<&str> = None;
    let mut wave_bound: Option<&str> = None;
    let mut wave: Option<i64> = None;
    for (group, probes) in groups.iter().rev() {
        if wave != Some(group / width) {
            wave = Some(group / width);
            if let Some(w) = wave_bound.take()
                && bound.is_none_or(|b| w < b)
            {
                bound = Some(w);
            }
        }
        let seen: Vec<&(Option<i64>, String)> =
            probes.iter().filter_map(|id| observed.get(id)).collect();
        let first = seen.first().map(|(_, d)| d.as_str());
        let agreed = !probes.is_empty()
            && seen.len() == probes.len()
            && seen
                .iter()
                .all(|(u, d)| *u == Some(uid) && Some(d.as_str()) == first);
        if let Some(date) = first.filter(|_| agreed)
            && bound.is_none_or(|b| date <= b)
        {
            kept.push(Stamp {
                group: *group,
                write_date: date.to_owned(),
            });
        }
        for (_, d) in seen {
            if wave_bound.is_none_or(|b| d.as_str() < b) {
                wave_bound = Some(d.as_str());
            }
        }
    }
    kept.reverse();
    kept
}

/// The second a stamp names, as the range `[stamp, stamp + 1 s)` (`None`: not a datetime).
/// Odoo keeps `write_date` with microseconds and sends it to the second, so a domain must
/// never ask `write_date = stamp`: that matches no row of a real database.
pub(crate) fn stamp_range(stamp: &str) -> Option<(String, String)> {
    let at = parse_datetime(stamp)?;
    Some((
        format_datetime(at),
        format_datetime(at + chrono::Duration::seconds(1)),
    ))
}

/// The runs still relevant to a pass reading from `since`, newest last, at most
/// [`MAX_RUNS`].
pub(crate) fn keep_runs(mut runs: Vec<OwnRun>, since: &str) -> Vec<OwnRun> {
    runs.retain(|r| r.newest().is_some_and(|n| n >= since));
    let extra = runs.len().saturating_sub(MAX_RUNS);
    runs.drain(..extra);
    runs
}

/// What a pass skips: per stamp, the leads whose last own write carries it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OwnWrites {
    pub uid: i64,
    pub(crate) at: BTreeMap<String, IdSet>,
    /// Leads routed after their score write: read back whatever their stamp.
    pub(crate) routed: IdSet,
    /// Stamps whose leads were checked by the run that wrote them (see [`OwnRun::verified`]).
    pub(crate) verified: BTreeSet<String>,
    /// Leads that run found at its stamps without having written them: read by the next pass.
    pub(crate) pending: Vec<i64>,
    /// Own writes in all (each stamp's leads counted once per stamp).
    count: usize,
}

impl OwnWrites {
    /// From the ids written at each stamp and the routed ids.
    pub(crate) fn new(
        uid: i64,
        written: BTreeMap<String, IdSetBuilder>,
        routed: impl IntoIterator<Item = i64>,
    ) -> OwnWrites {
        let at: BTreeMap<String, IdSet> = written
            .into_iter()
            .map(|(date, ids)| (date, ids.build()))
            .collect();
        OwnWrites {
            uid,
            count: at.values().map(IdSet::len).sum(),
            at,
            routed: routed.into_iter().collect(),
            verified: BTreeSet::new(),
            pending: Vec::new(),
        }
    }

    /// Many own writes whose stamps were all checked by the runs that wrote them, and no
    /// routing since: the pass needs only the stamps (the listing leaves their seconds out)
    /// and how many leads they hold, so the ids are not loaded from the journal (75 ms for
    /// 90,000 of them). Each stamp holds an empty set.
    pub(crate) fn stamps_only(
        uid: i64,
        stamps: BTreeSet<String>,
        count: usize,
        pending: Vec<i64>,
    ) -> OwnWrites {
        OwnWrites {
            uid,
            at: stamps
                .iter()
                .map(|d| (d.clone(), IdSet::default()))
                .collect(),
            routed: IdSet::default(),
            verified: stamps,
            pending,
            count,
        }
    }

    /// With the stamps checked by the runs that wrote them and the leads those checks found.
    pub(crate) fn with_verified(mut self, verified: BTreeSet<String>, pending: Vec<i64>) -> Self {
        self.verified = verified;
        self.pending = pending;
        self
    }

    /// How many stamps no run has checked.
    pub fn unverified_count(&self) -> usize {
        self.unverified().count()
    }

    /// The stamps no run has checked, or all of them when leads were routed since (a routing
    /// write may share the second of a score write, and routed leads are read back): the
    /// pass searches each.
    pub(crate) fn unverified(&self) -> impl Iterator<Item = &String> {
        let all = !self.routed.is_empty();
        self.at
            .keys()
            .filter(move |d| all || !self.verified.contains(*d))
    }

    pub fn is_empty(&self) -> bool {
        self.at.is_empty()
    }

    /// Leads skipped when unchanged.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether a lead read as `(id, write_date, write_uid)` still holds exactly the job's own
    /// last score write.
    pub(crate) fn is_own(&self, id: i64, write_date: &str, write_uid: Option<i64>) -> bool {
        write_uid == Some(self.uid)
            && self.at.get(write_date).is_some_and(|ids| ids.contains(id))
            && !self.routed.contains(id)
    }
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
pub(crate) struct Keys {
    overlap: chrono::Duration,
    start: Option<NaiveDateTime>,
    /// `start − overlap`, formatted once: keys older than it are never kept.
    start_floor: Option<String>,
    max: Option<String>,
    recent: Vec<(i64, String)>,
    prune_at: usize,
}

impl Keys {
    pub(crate) fn new(overlap_secs: u64, server_start: Option<NaiveDateTime>) -> Keys {
        let overlap = chrono::Duration::seconds(overlap_secs as i64);
        Keys {
            overlap,
            start: server_start,
            start_floor: server_start.map(|s| format_datetime(s - overlap)),
            max: None,
            recent: Vec::new(),
            prune_at: 4096,
        }
    }

    /// Whether the cursor comes from the server's clock (not from the leads listed).
    pub(crate) fn has_start(&self) -> bool {
        self.start.is_some()
    }

    /// One lead listed: `id` and its `write_date` as Odoo sent it (`None` or empty: nothing
    /// to remember, the lead is read again).
    pub(crate) fn add(&mut self, id: i64, write_date: Option<&str>) {
        let Some(date) = write_date.filter(|d| !d.is_empty()) else {
            return;
        };
        if self.max.as_deref().is_none_or(|m| date > m) {
            self.max = Some(date.to_owned());
        }
        if self
            .start_floor
            .as_deref()
            .is_some_and(|floor| date < floor)
        {
            return;
        }
        self.recent.push((id, date.to_owned()));
        if self.recent.len() >= self.prune_at {
            self.prune();
            self.prune_at = (self.recent.len() * 2).max(4096);
        }
    }

    fn cursor(&self) -> Option<String> {
        self.start.map(format_datetime).or_else(|| self.max.clone())
    }

    fn prune(&mut self) {
        let floor = self
            .cursor()
            .as_deref()
            .and_then(parse_datetime)
            .map(|c| format_datetime(c - self.overlap));
        if let Some(floor) = floor {
            self.recent.retain(|k| k.1 >= floor);
        }
    }

    /// The cursor and the keys at or after `cursor − overlap`, sorted.
    pub(crate) fn finish(mut self) -> (Option<String>, Vec<(i64, String)>) {
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
            let t = parse_datetime("2026-11-20 10:00:00").unwrap() + chrono::Duration::seconds(i);
            keys.add(i, Some(&format_datetime(t)));
            assert!(keys.recent.len() <= 8192, "bounded while streaming");
        }
        keys.add(99_999, Some(""));
        keys.add(99_998, None);
        let (cursor, recent) = keys.finish();
        assert_eq!(cursor.as_deref(), Some("2026-11-20 12:46:39"));
        // 12:45:39 ..= 12:46:39
        assert_eq!(recent.len(), 61);
        assert_eq!(recent[0], (9_939, "2026-11-20 12:45:39".to_owned()));
    }

    #[test]
    fn with_the_server_time_the_cursor_is_the_start_of_the_pass() {
        let t = |s: &str| parse_datetime(s).unwrap();
        let mut keys = Keys::new(300, Some(t("2026-11-22 16:00:00")));
        // a mass import an hour ago, and one lead written two minutes ago
        for i in 0..50_000 {
            keys.add(i, Some("2026-11-22 15:00:00"));
        }
        keys.add(77, Some("2026-11-22 15:58:00"));
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

    fn obs(rows: &[(i64, i64, &str)]) -> HashMap<i64, (Option<i64>, String)> {
        rows.iter()
            .map(|&(id, uid, d)| (id, (Some(uid), d.to_owned())))
            .collect()
    }

    #[test]
    fn a_stamp_is_kept_only_when_it_is_provably_the_calls_own() {
        let groups = vec![
            (0, vec![1, 9]),
            (1, vec![20, 29]),
            (2, vec![30]),
            (3, vec![40, 41]),
            (4, vec![50]),
            (5, vec![60, 61]),
        ];
        let seen = obs(&[
            (1, 2, "2026-11-20 10:00:00"),
            (9, 2, "2026-11-20 10:00:00"),
            // someone else wrote lead 29 since
            (20, 2, "2026-11-20 10:00:01"),
            (29, 7, "2026-11-20 10:00:09"),
            // lead 30, alone in its call, was edited by the bot's login after the run's
            // later calls: later than the calls after it
            (30, 2, "2026-11-20 10:00:05"),
            (40, 2, "2026-11-20 10:00:02"),
            (41, 2, "2026-11-20 10:00:02"),
            (50, 2, "2026-11-20 10:00:03"),
            // two probes that disagree
            (60, 2, "2026-11-20 10:00:04"),
            (61, 2, "2026-11-20 10:00:05"),
        ]);
        let kept = stamp_groups(2, &groups, &seen, 1);
        let kept: Vec<(i64, &str)> = kept
            .iter()
            .map(|s| (s.group, s.write_date.as_str()))
            .collect();
        assert_eq!(
            kept,
            vec![
                (0, "2026-11-20 10:00:00"),
                (3, "2026-11-20 10:00:02"),
                (4, "2026-11-20 10:00:03"),
            ]
        );
        // A probe that was not found (deleted lead): the call is not stamped.
        let kept = stamp_groups(
            2,
            &[(0, vec![1, 2])],
            &obs(&[(1, 2, "2026-11-20 10:00:00")]),
            1,
        );
        assert!(kept.is_empty());
        // Calls sent two at a time: the second of a wave may be stamped before the first,
        // and both are kept; a later wave still bounds them.
        let waves = [(0, vec![1]), (1, vec![2]), (2, vec![3])];
        let seen = obs(&[
            (1, 2, "2026-11-20 10:00:01"),
            (2, 2, "2026-11-20 10:00:00"),
            (3, 2, "2026-11-20 10:00:02"),
        ]);
        assert_eq!(stamp_groups(2, &waves, &seen, 2).len(), 3);
        assert_eq!(
            stamp_groups(2, &waves, &seen, 1).len(),
            2,
            "one at a time, the first call cannot be stamped after the second"
        );
    }

    #[test]
    fn own_writes_match_the_exact_stamp_of_the_bot() {
        let mut written: BTreeMap<String, IdSetBuilder> = BTreeMap::new();
        for (date, id) in [
            ("2026-11-20 10:00:00", 1),
            ("2026-11-20 10:00:00", 2),
            ("2026-11-20 10:00:01", 3),
        ] {
            written.entry(date.to_owned()).or_default().push(id);
        }
        let own = OwnWrites::new(2, written, vec![2]);
        assert_eq!(own.len(), 3);
        assert!(own.is_own(1, "2026-11-20 10:00:00", Some(2)));
        assert!(
            !own.is_own(1, "2026-11-20 10:00:01", Some(2)),
            "edited a second later"
        );
        assert!(
            !own.is_own(1, "2026-11-20 10:00:00", Some(7)),
            "someone else"
        );
        assert!(
            !own.is_own(2, "2026-11-20 10:00:00", Some(2)),
            "routed since"
        );
        assert!(
            !own.is_own(3, "2026-11-20 10:00:00", Some(2)),
            "another call's stamp"
        );
        assert!(own.is_own(3, "2026-11-20 10:00:01", Some(2)));
    }

    #[test]
    fn a_stamp_is_a_second_as_a_range_never_an_equality() {
        // Odoo stores `2026-11-20 10:00:01.734211` and sends `2026-11-20 10:00:01`.
        assert_eq!(
            stamp_range("2026-11-20 10:00:01"),
            Some((
                "2026-11-20 10:00:01".to_owned(),
                "2026-11-20 10:00:02".to_owned()
            ))
        );
        assert_eq!(
            stamp_range("2026-12-31 23:59:59").map(|r| r.1),
            Some("2027-01-01 00:00:00".to_owned())
        );
        assert_eq!(stamp_range("yesterday"), None);
    }

    #[test]
    fn old_runs_are_dropped() {
        let run = |date: &str| OwnRun {
            uid: 2,
            run: date.to_owned(),
            stamps: vec![Stamp {
                group: 0,
                write_date: date.to_owned(),
            }],
            routing: Vec::new(),
            verified: false,
            pending: Vec::new(),
            written: 0,
        };
        let mut all: Vec<OwnRun> = (10..30)
            .map(|m| run(&format!("2026-11-20 12:{m}:00")))
            .collect();
        all.push(run("2026-11-19 23:00:00"));
        let kept = keep_runs(all, "2026-11-20 12:15:00");
        assert_eq!(kept.len(), MAX_RUNS);
        assert!(kept.iter().all(|k| k.run.as_str() >= "2026-11-20 12:15:00"));
        assert_eq!(kept.last().unwrap().run, "2026-11-20 12:29:00");
    }
}
