//! Where the next pass starts and what it may skip, kept in the state database between runs:
//! the cursor and the `(id, write_date)` pairs of the overlap (`cursor::Keys`), the time of
//! the last full pass, and the job's own score writes read back after an applied run
//! (`cursor::OwnRun`, see `cursor` for why a stamp is trusted).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::cursor::{self, OwnRun, OwnWrites};
use super::{
    CURSOR, LAST_FULL, OWN_WRITES, PassKind, RunOptions, SCORING_JOB, SEEN, ScoringError,
    ScoringJob, head, read,
};
use crate::config::LEAD_MODEL;
use crate::odoo::{Row, SearchOptions, leaf};
use crate::record::IdSetBuilder;
use crate::record::datetime::{format_datetime, parse_datetime_or_date};
use crate::state::{RunId, State};
use crate::xmlrpc::Value as Wire;
use futures_util::stream::{self, StreamExt};

impl ScoringJob<'_> {
    /// The pass the next run makes, from the cursors in `state`.
    pub fn next_pass(&self, state: &State, opts: &RunOptions) -> Result<PassKind, ScoringError> {
        if opts.full || self.scoring.full_pass_hours == 0 {
            return Ok(PassKind::Full);
        }
        let cursor = state.cursor(SCORING_JOB, CURSOR)?;
        let last_full = state
            .cursor(SCORING_JOB, LAST_FULL)?
            .and_then(|s| parse_datetime_or_date(&s));
        let (Some(cursor), Some(last_full)) =
            (cursor.and_then(|c| parse_datetime_or_date(&c)), last_full)
        else {
            return Ok(PassKind::Full);
        };
        let hours = (opts.now - last_full).num_minutes() as f64 / 60.0;
        if hours >= self.scoring.full_pass_hours as f64 {
            return Ok(PassKind::Full);
        }
        let since = cursor - chrono::Duration::seconds(self.scoring.overlap_secs as i64);
        // Our own state, not Odoo's data: an unreadable `seen` list only means the overlap's
        // leads are read again (correct, only slower).
        let seen: BTreeSet<(i64, String)> = state
            .cursor(SCORING_JOB, SEEN)?
            .and_then(|s| serde_json::from_str::<Vec<(i64, String)>>(&s).ok())
            .into_iter()
            .flatten()
            .collect();
        let since = format_datetime(since);
        let own = if self.rules_read_own_writes() {
            OwnWrites::default()
        } else {
            self.own_writes(state, &since, true)?
        };
        Ok(PassKind::Incremental { since, seen, own })
    }

    pub(crate) fn own_runs(&self, state: &State) -> Result<Vec<OwnRun>, ScoringError> {
        // Our own state: an unreadable list only means the own writes are read back once.
        Ok(state
            .cursor(SCORING_JOB, OWN_WRITES)?
            .and_then(|s| serde_json::from_str::<Vec<OwnRun>>(&s).ok())
            .into_iter()
            .flatten()
            .collect())
    }

    pub(crate) fn save_own_runs(
        &self,
        state: &mut State,
        runs: &[OwnRun],
    ) -> Result<(), ScoringError> {
        let text = serde_json::to_string(runs).unwrap_or_else(|_| "[]".into());
        state.set_cursor(SCORING_JOB, OWN_WRITES, &text)?;
        Ok(())
    }

    /// The own writes a pass reading from `since` may meet: per stamp at or after `since`, the
    /// leads the stamped call wrote (from the journal), minus the leads routed since.
    /// `lazy`: the ids are not loaded when the pass needs only the stamps
    /// ([`OwnWrites::stamps_only`]).
    fn own_writes(
        &self,
        state: &State,
        since: &str,
        lazy: bool,
    ) -> Result<OwnWrites, ScoringError> {
        let runs = cursor::keep_runs(self.own_runs(state)?, since);
        let Some(uid) = runs.last().map(|r| r.uid) else {
            return Ok(OwnWrites::default());
        };
        let mine: Vec<&OwnRun> = runs.iter().filter(|r| r.uid == uid).collect();
        let count: usize = mine.iter().map(|r| r.written).sum();
        if lazy
            && count > self.client.batch_size()
            && mine
                .iter()
                .all(|r| r.verified && r.written > 0 && r.routing.is_empty())
        {
            let stamps = mine
                .iter()
                .flat_map(|r| r.stamps.iter())
                .filter(|s| s.write_date.as_str() >= since)
                .map(|s| s.write_date.clone())
                .collect();
            let pending = mine
                .iter()
                .flat_map(|r| r.pending.iter().copied())
                .collect();
            return Ok(OwnWrites::stamps_only(uid, stamps, count, pending));
        }
        // Per stamp, the ids written at it, built into compact sets as the journal streams by.
        let mut written: BTreeMap<String, IdSetBuilder> = BTreeMap::new();
        let mut routed = Vec::new();
        // A stamp counts as checked only when every run that wrote at it checked it.
        let mut checked: BTreeMap<&str, bool> = BTreeMap::new();
        let mut pending = Vec::new();
        for run in runs.iter().filter(|r| r.uid == uid) {
            for s in run.stamps.iter().filter(|s| s.write_date.as_str() >= since) {
                let all = checked.entry(s.write_date.as_str()).or_insert(true);
                *all &= run.verified;
            }
            pending.extend(run.pending.iter().copied());
            let stamps: BTreeMap<i64, &str> = run
                .stamps
                .iter()
                .filter(|s| s.write_date.as_str() >= since)
                .map(|s| (s.group, s.write_date.as_str()))
                .collect();
            if !stamps.is_empty() {
                let run_id = RunId::from(run.run.as_str());
                state.each_applied_write(&run_id, LEAD_MODEL, |group, id| {
                    if let Some(&date) = stamps.get(&group) {
                        match written.get_mut(date) {
                            Some(ids) => ids.push(id),
                            None => {
                                let mut ids = IdSetBuilder::new();
                                ids.push(id);
                                written.insert(date.to_owned(), ids);
                            }
                        }
                    }
                })?;
            }
            for routing in &run.routing {
                let run_id = RunId::from(routing.as_str());
                state.each_applied_write(&run_id, LEAD_MODEL, |_, id| routed.push(id))?;
            }
        }
        let verified = checked
            .into_iter()
            .filter(|&(_, all)| all)
            .map(|(d, _)| d.to_owned())
            .collect();
        Ok(OwnWrites::new(uid, written, routed).with_verified(verified, pending))
    }

    /// The fields the scoring apply writes.
    fn written_fields(&self) -> Vec<&str> {
        let bands = &self.scoring.model.bands;
        let mut f = vec![self.scoring.score_field.as_str()];
        if bands.iter().any(|b| b.priority.is_some()) {
            f.push("priority");
        }
        if bands.iter().any(|b| b.tag.is_some()) {
            f.push("tag_ids");
        }
        f
    }

    /// Whether the scope or a rule reads a field the job writes (or the write stamps): then
    /// a lead the job wrote may score differently afterwards, and its own writes must be read
    /// back like anyone else's.
    /// A test of `tag_ids` only counts when it could see the band tags (a rule on the tags
    /// "VIP" or "Government" does not care whether "Hot" is linked too).
    pub(crate) fn rules_read_own_writes(&self) -> bool {
        let mut written = self.written_fields();
        written.extend(["write_date", "write_uid", "__last_update"]);
        let band_tags: Vec<&str> = self
            .scoring
            .model
            .bands
            .iter()
            .filter_map(|b| b.tag.as_deref())
            .collect();
        std::iter::once(&self.scoring.scope)
            .chain(&self.scoring.rule_domains)
            .any(|d| {
                d.fields().iter().any(|p| {
                    let head = head(p);
                    written.contains(&head)
                        && (head != "tag_ids" || d.depends_on_linked_names(head, &band_tags))
                })
            })
    }

    /// After an applied scoring run: reads back `write_uid, write_date` of the first and the
    /// last lead of every write call of run `run` (one `read` per `batch_size` probes) and
    /// remembers each call's stamp, so the next incremental pass does not read the run's own
    /// writes back (see `cursor`). Best effort: a call without a stamp has its leads read by
    /// the next pass, which is correct, only slower.
    pub(crate) async fn remember_own_writes(
        &self,
        state: &mut State,
        run: &RunId,
        since_floor: Option<&str>,
    ) -> Result<(), ScoringError> {
        let Some(uid) = self.client.uid() else {
            return Ok(());
        };
        let mut groups: Vec<(i64, Vec<i64>)> = Vec::new();
        let mut written = 0usize;
        state.each_applied_write(run, LEAD_MODEL, |group, id| {
            written += 1;
            match groups.last_mut() {
                Some((g, probes)) if *g == group => match probes.as_mut_slice() {
                    [_] => probes.push(id),
                    [_, last] => *last = id,
                    _ => {}
                },
                _ => groups.push((group, vec![id])),
            }
        })?;
        let probes: Vec<i64> = groups.iter().flat_map(|(_, p)| p.iter().copied()).collect();
        let mut observed = HashMap::with_capacity(probes.len());
        for chunk in probes.chunks(self.client.batch_size().max(1)) {
            let rows = self
                .client
                .read(LEAD_MODEL, chunk, &["write_uid", "write_date"])
                .await?;
            for r in rows {
                let id = Row::new(LEAD_MODEL, &r).id()?;
                let (Some(date), by) = (
                    Row::new(LEAD_MODEL, &r).text("write_date")?,
                    read::write_uid(&r)?,
                ) else {
                    // No stamp to trust: the call's leads are read back by the next pass.
                    continue;
                };
                observed.insert(id, (by, date));
            }
        }
        // Apply sent the writes in waves of `max_concurrency` calls.
        let stamps = cursor::stamp_groups(uid, &groups, &observed, self.client.max_concurrency());
        let mut runs = self.own_runs(state)?;
        // More than a batch: the next pass leaves them out by their stamps (`ScoringJob::changed`).
        let many = written > self.client.batch_size();
        runs.push(OwnRun {
            uid,
            run: run.to_string(),
            stamps,
            routing: Vec::new(),
            verified: false,
            pending: Vec::new(),
            written,
        });
        // No cursor (nothing read): every run with a stamp is kept.
        let floor = since_floor.unwrap_or_default();
        let mut runs = cursor::keep_runs(runs, floor);
        self.save_own_runs(state, &runs)?;
        if !many {
            // Few own writes: the next pass lists them with their writer and tells them apart
            // itself; no stamp goes into a domain.
            return Ok(());
        }
        let own = self.own_writes(state, floor, false)?;
        // Only this run's seconds: earlier runs checked theirs (or are searched by the pass).
        let mine: BTreeSet<String> = runs
            .last()
            .map(|r| r.stamps.iter().map(|s| s.write_date.clone()).collect())
            .unwrap_or_default();
        match self.verify_own_stamps(&own, &mine).await {
            Ok(pending) => {
                if let Some(last) = runs.last_mut() {
                    last.verified = true;
                    last.pending = pending;
                }
                self.save_own_runs(state, &runs)
            }
            Err(error) => {
                tracing::warn!(%error, "cannot check the run's own stamps; the next pass searches them");
                Ok(())
            }
        }
    }

    /// Right after a run's read-back: per stamp of the run (`mine`), one `search_count` of the leads the
    /// bot's login holds in that second (at most `max_concurrency` in flight), against the
    /// leads whose last own write carries it. Where the two differ, one ids-only `search` of
    /// that second finds the leads the own writes do not account for (someone logged in as
    /// the bot wrote them then, or moved one of them to another own second); they are
    /// returned for the next pass to read. Done now rather than by every later pass: the
    /// next pass then lists only what changed since, in one call. Residuals: a transaction
    /// by the bot's login that began in one of the seconds and committed after this check;
    /// and, within one second, a lead of the own writes edited away while the bot's login
    /// wrote another lead in that very second (the count cannot tell that pair from nothing).
    async fn verify_own_stamps(
        &self,
        own: &OwnWrites,
        mine: &BTreeSet<String>,
    ) -> Result<Vec<i64>, ScoringError> {
        // The leads each stamp should hold: those whose latest own write carries it.
        let mut expected: BTreeMap<&str, usize> = BTreeMap::new();
        let mut seen = std::collections::HashSet::new();
        for (date, ids) in own.at.iter().rev() {
            let n = ids.iter().filter(|&id| seen.insert(id)).count();
            expected.insert(date.as_str(), n);
        }
        // Owned domains: the futures must not borrow through the closure's argument (so the
        // whole run stays `Send` for the scheduler).
        let domains: Vec<(String, Vec<Wire>)> = own
            .at
            .keys()
            .filter(|date| mine.contains(*date))
            .filter_map(|date| {
                let (from, to) = cursor::stamp_range(date)?;
                let domain = vec![
                    leaf("write_uid", "=", Wire::Int(own.uid)),
                    leaf("write_date", ">=", Wire::from(from)),
                    leaf("write_date", "<", Wire::from(to)),
                ];
                Some((date.clone(), domain))
            })
            .collect();
        let client = self.client;
        let width = self.scoring.max_concurrency.max(1);
        let counts = domains
            .clone()
            .into_iter()
            .map(|(date, domain)| async move {
                let n = client.search_count(LEAD_MODEL, domain).await;
                (date, n)
            });
        let mut differ = BTreeSet::new();
        {
            let mut answers = stream::iter(counts).buffer_unordered(width);
            while let Some((date, n)) = answers.next().await {
                let want = expected.get(date.as_str()).copied().unwrap_or(0);
                if usize::try_from(n?).ok() != Some(want) {
                    differ.insert(date);
                }
            }
        }
        let checks = domains
            .into_iter()
            .filter(|(date, _)| differ.contains(date))
            .map(|(date, domain)| async move {
                let ids = client
                    .search_ids(LEAD_MODEL, domain, &SearchOptions::default())
                    .await;
                (date, ids)
            });
        let mut pending = Vec::new();
        let mut answers = stream::iter(checks).buffer_unordered(width);
        while let Some((date, found)) = answers.next().await {
            let written = own.at.get(&date);
            pending.extend(
                found?
                    .iter()
                    .filter(|&id| !written.is_some_and(|w| w.contains(id))),
            );
        }
        pending.sort_unstable();
        pending.dedup();
        Ok(pending)
    }

    /// After an applied routing run: its leads are read back by the next pass, whatever their
    /// stamp. Noted on the newest run kept (the skip sets of all kept runs leave them out).
    pub(crate) fn remember_routing(
        &self,
        state: &mut State,
        routing: &RunId,
    ) -> Result<(), ScoringError> {
        let mut runs = self.own_runs(state)?;
        let Some(run) = runs.last_mut() else {
            return Ok(());
        };
        run.routing.push(routing.to_string());
        self.save_own_runs(state, &runs)
    }
}
