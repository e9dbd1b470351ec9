//! The three ways a pass reads leads (see the module doc of `jobs::scoring`): the full pass
//! (rule domains pushed down as id sets, the leads in scope read in pages), the incremental
//! pass (the leads changed since the cursor, rules evaluated in memory by `local`) and the
//! `explain` pass (the leads asked for, the same way). Each lead read goes to the
//! evaluator ([`Acc`]) with the indices of the rules it matched.

use std::collections::{BTreeMap, BTreeSet};

use futures_util::stream::{self, StreamExt};

use super::cursor::{Keys, OwnWrites, stamp_range};
use super::evaluate::Acc;
use super::wire::{and_items, domain_items, needs_pushdown};
use super::{PassKind, ScoringError, ScoringJob, dedup, domain_err, head, local, read};
use crate::config::LEAD_MODEL;
use crate::domain::{Domain, EvalOptions};
use crate::odoo::{Row, SearchOptions, leaf};
use crate::record::IdSet;
use crate::xmlrpc::{Struct, Value as Wire};

/// The incremental pass reads and evaluates changed leads this many read batches at a time.
const LOCAL_CHUNK_BATCHES: usize = 2;

/// `write_uid != bot OR write_date in none of the own stamps' seconds` (each stamp a range:
/// Odoo keeps microseconds, see `cursor::stamp_range`; a stamp that is not a datetime
/// leaves out nothing, so its leads are read, which is correct, only slower).
fn not_at_own_stamps(own: &OwnWrites) -> Vec<Wire> {
    let ranges = merged_ranges(own.at.keys().filter_map(|d| stamp_range(d)));
    let mut items = vec![Wire::from("|"), leaf("write_uid", "!=", Wire::Int(own.uid))];
    if ranges.is_empty() {
        items.push(leaf("id", "!=", Wire::Int(0)));
        return items;
    }
    for _ in 1..ranges.len() {
        items.push(Wire::from("&"));
    }
    for (from, to) in ranges {
        items.extend([
            Wire::from("|"),
            leaf("write_date", "<", Wire::from(from)),
            leaf("write_date", ">=", Wire::from(to)),
        ]);
    }
    items
}

/// One of the full pass's first calls.
enum Task {
    /// Rule `i`'s search (scope ∧ rule).
    Rule(usize, Vec<Wire>),
    /// The scores of the scope read grouped (`read_group` on the score field).
    Scores(Vec<Wire>, String),
}

/// One answer of the full pass's first calls.
enum Answer {
    /// Rule `i`'s matching ids.
    Rule(usize, Result<IdSet, crate::odoo::OdooError>),
    /// The scores read grouped.
    Scores(Result<Vec<Struct>, crate::odoo::OdooError>),
}

/// Ranges in ascending order with each run of touching ones (`[a, b)`, `[b, c)`) made one
/// (`[a, c)`): a run that wrote for eight seconds in a row is one range, not eight.
fn merged_ranges(ranges: impl Iterator<Item = (String, String)>) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for (from, to) in ranges {
        match out.last_mut() {
            Some(last) if last.1 == from => last.1 = to,
            _ => out.push((from, to)),
        }
    }
    out
}

/// `id in ids` as a wire leaf.
fn ids_leaf(ids: &[i64]) -> Wire {
    leaf(
        "id",
        "in",
        Wire::Array(ids.iter().map(|i| Wire::Int(*i)).collect()),
    )
}

impl ScoringJob<'_> {
    /// Reads the leads of pass `kind` into `acc` (and the router's domain sets, when it
    /// routes), every `(id, write_date)` listed into `keys`.
    pub(crate) async fn read_pass(
        &self,
        kind: &PassKind,
        scope: &Domain,
        rules: &[Domain],
        acc: &mut Acc<'_>,
        keys: &mut Keys,
    ) -> Result<(), ScoringError> {
        match kind {
            PassKind::Full => self.full_pass(scope, rules, acc, keys).await,
            PassKind::Incremental { since, seen, own } => {
                let mut domain = domain_items(scope);
                domain.push(leaf("write_date", ">=", Wire::from(since.as_str())));
                let fresh = self.changed(domain, seen, own, keys).await?;
                if let Some(router) = acc.router.as_mut() {
                    // The leads to read by id when few (the window also holds other leads,
                    // e.g. the previous run's routing writes), else by the same window.
                    let listed = if fresh.len() <= self.client.batch_size() {
                        ids_leaf(&fresh)
                    } else {
                        leaf("write_date", ">=", Wire::from(since.as_str()))
                    };
                    router.match_domains(self, scope, Some(listed)).await?;
                }
                self.local_pass(&fresh, rules, acc).await
            }
            PassKind::Leads(ids) => {
                let mut domain = domain_items(scope);
                domain.push(ids_leaf(ids));
                let found = self
                    .client
                    .search(LEAD_MODEL, domain, &SearchOptions::default())
                    .await?;
                if let Some(router) = acc.router.as_mut() {
                    router
                        .match_domains(self, scope, Some(ids_leaf(&found)))
                        .await?;
                }
                self.local_pass(&found, rules, acc).await
            }
        }
    }

    /// The ids of the leads an incremental pass must read, among those `domain` lists: ids
    /// and write dates first, so what was already evaluated at its current write_date (read
    /// again only because of the overlap) and what still holds exactly the job's own last
    /// write is not read in full. Few own writes (at most `batch_size`): listed with
    /// `write_uid` and told apart here, in the same pages. Many (after a mass rescoring): the
    /// server leaves out the bot's leads in the own stamps' seconds, so hundreds of thousands
    /// of own writes cost nothing to list; the run that wrote them checked its seconds
    /// (`ScoringJob::verify_own_stamps`) and what it found there is added, and only a stamp
    /// no run checked gets one ids-only `search` here (at most `max_concurrency` in flight).
    async fn changed(
        &self,
        domain: Vec<Wire>,
        seen: &BTreeSet<(i64, String)>,
        own: &OwnWrites,
        keys: &mut Keys,
    ) -> Result<Vec<i64>, ScoringError> {
        let inline = own.len() <= self.client.batch_size();
        let mut listed = domain.clone();
        let mut fields = vec!["id", "write_date"];
        if !own.is_empty() {
            if inline {
                fields.push("write_uid");
            } else {
                listed.extend(not_at_own_stamps(own));
            }
        }
        let mut fresh = Vec::new();
        let mut pages = std::pin::pin!(self.client.search_read_pages(LEAD_MODEL, listed, &fields));
        while let Some(page) = pages.next().await {
            for raw in page? {
                let (id, date) = read::lead_key(&raw)?;
                let ours = if inline && !own.is_empty() {
                    let by = read::write_uid(&raw)?;
                    date.as_deref().is_some_and(|d| own.is_own(id, d, by))
                } else {
                    false
                };
                // A lead without a write_date (Odoo always stamps one) is never in `seen`.
                let evaluated = date
                    .as_ref()
                    .is_some_and(|d| seen.contains(&(id, d.clone())));
                if !ours && !evaluated {
                    fresh.push(id);
                }
                keys.add(id, date.as_deref());
            }
        }
        if inline || own.is_empty() {
            return Ok(fresh);
        }
        // What the runs' own checks found in their seconds (rarely anything; they searched
        // without the scope): those still in this pass's window and scope.
        if !own.pending.is_empty() {
            let mut d = domain.clone();
            d.push(ids_leaf(&own.pending));
            fresh.extend(
                self.client
                    .search_ids(LEAD_MODEL, d, &SearchOptions::default())
                    .await?
                    .iter(),
            );
        }
        let mut fresh = self
            .changed_at_own_stamps(domain, seen, own, keys, fresh)
            .await?;
        fresh.sort_unstable();
        fresh.dedup();
        Ok(fresh)
    }

    /// The many-own-writes half of [`changed`](Self::changed): per own stamp, one ids-only
    /// `search` of the bot's leads at it; those not holding exactly the own write are added
    /// to `fresh`.
    async fn changed_at_own_stamps(
        &self,
        domain: Vec<Wire>,
        seen: &BTreeSet<(i64, String)>,
        own: &OwnWrites,
        keys: &mut Keys,
        mut fresh: Vec<i64>,
    ) -> Result<Vec<i64>, ScoringError> {
        // Owned domains: the futures must not borrow through the closure's argument.
        // Only the stamps no run checked right after writing (`verify_own_stamps`).
        let per_stamp: Vec<(String, Vec<Wire>)> = own
            .unverified()
            .filter_map(|date| {
                let (from, to) = stamp_range(date)?;
                let mut d = domain.clone();
                d.push(leaf("write_uid", "=", Wire::Int(own.uid)));
                d.push(leaf("write_date", ">=", Wire::from(from)));
                d.push(leaf("write_date", "<", Wire::from(to)));
                Some((date.clone(), d))
            })
            .collect();
        let client = self.client;
        let searches = per_stamp.into_iter().map(|(date, d)| async move {
            let ids = client
                .search_ids(LEAD_MODEL, d, &SearchOptions::default())
                .await;
            (date, ids)
        });
        let mut pending =
            stream::iter(searches).buffer_unordered(self.scoring.max_concurrency.max(1));
        while let Some((date, found)) = pending.next().await {
            for id in found?.iter() {
                if own.is_own(id, &date, Some(own.uid)) {
                    continue;
                }
                let key = (id, date.clone());
                if !seen.contains(&key) {
                    fresh.push(id);
                }
                keys.add(id, Some(&date));
            }
        }
        Ok(fresh)
    }

    /// Every rule domain pushed down as one `search(scope ∧ rule)` (ids only, at most
    /// `max_concurrency` in flight), then the leads in scope read in id-ordered pages with
    /// only the fields the plan needs, each page scored and dropped before the next.
    async fn full_pass(
        &self,
        scope: &Domain,
        rules: &[Domain],
        acc: &mut Acc<'_>,
        keys: &mut Keys,
    ) -> Result<(), ScoringError> {
        // Owned domains: the futures must not borrow through the closure's argument (so the
        // whole run stays `Send` for the scheduler).
        let domains: Vec<(usize, Vec<Wire>)> = rules
            .iter()
            .enumerate()
            .map(|(i, rule)| (i, and_items(scope, rule)))
            .collect();
        let client = self.client;
        // The scores read grouped (see `grouped_scores`) go out with the rule searches, first
        // (the longest call), within the same `max_concurrency`.
        let grouped = acc.router.is_none() && acc.shape.score_only() && keys.has_start();
        let mut tasks = Vec::with_capacity(rules.len() + 1);
        if grouped {
            tasks.push(Task::Scores(
                domain_items(scope),
                self.scoring.score_field.clone(),
            ));
        }
        tasks.extend(domains.into_iter().map(|(i, d)| Task::Rule(i, d)));
        let run = move |task: Task| async move {
            match task {
                Task::Rule(i, domain) => Answer::Rule(
                    i,
                    client
                        .search_ids(LEAD_MODEL, domain, &SearchOptions::default())
                        .await,
                ),
                Task::Scores(domain, field) => Answer::Scores(
                    client
                        .read_group(LEAD_MODEL, domain, &["id:array_agg"], &[&field], false)
                        .await,
                ),
            }
        };
        // Compact id sets (a bitmap when dense: 125 kB for a million leads), decoded while
        // the answers stream in, so neither the XML nor a list of values is ever held.
        let mut sets: Vec<IdSet> = vec![IdSet::default(); rules.len()];
        let mut groups = None;
        let mut pending = stream::iter(tasks)
            .map(run)
            .buffer_unordered(self.scoring.max_concurrency.max(1));
        let searched = self
            .progress
            .phase("scoring: rule searches", Some(rules.len() as u64));
        while let Some(answer) = pending.next().await {
            match answer {
                Answer::Rule(i, ids) => {
                    sets[i] = ids?;
                    searched.advance(1);
                }
                Answer::Scores(g) => groups = Some(g?),
            }
        }
        drop(searched);
        if let Some(groups) = groups {
            return self.grouped_scores(&groups, &sets, acc);
        }
        acc.planner.set_tag_ids(self.band_tags(true).await?);
        if let Some(router) = acc.router.as_mut() {
            router.match_domains(self, scope, None).await?;
        }
        let base = acc.shape.base_fields();
        let names: Vec<&str> = base.iter().map(String::as_str).collect();
        let mut pages = std::pin::pin!(self.client.search_read_pages(
            LEAD_MODEL,
            domain_items(scope),
            &names
        ));
        // The scope's size is not asked for (a `search_count` would cost a call): a count.
        let read = self.progress.phase("scoring: leads read", None);
        while let Some(page) = pages.next().await {
            let page = page?;
            read.advance(page.len() as u64);
            for raw in page {
                let lead = acc.shape.read(&raw)?;
                let hits = (0..sets.len())
                    .filter(|&i| sets[i].contains(lead.id))
                    .collect();
                keys.add(lead.id, lead.write_date.as_deref());
                acc.add(lead, hits);
            }
        }
        Ok(())
    }

    /// The full pass's read when the plan needs nothing of a lead but its score (no decay
    /// date, no band priority or tag, no routing) and the cursor comes from the server's
    /// clock: one `read_group(scope, ['id:array_agg'], [score field])` gives every lead in
    /// scope grouped by its current score, instead of a page of rows per `batch_size` leads.
    /// With 100,000 leads that is one call (0.72 s on `sim --costs odoo17`) where the pages
    /// were 50. The pass then knows no lead's `write_date`: nothing goes into `seen`,
    /// so leads written in the overlap before the pass are listed again by the next one
    /// (correct, only slower).
    fn grouped_scores(
        &self,
        groups: &[Struct],
        sets: &[IdSet],
        acc: &mut Acc<'_>,
    ) -> Result<(), ScoringError> {
        let field = self.scoring.score_field.as_str();
        let read = self.progress.phase("scoring: leads read", None);
        for group in groups {
            let row = Row::new(LEAD_MODEL, group);
            // The never-scored leads come as the group `False`: read as 0, as Odoo reads them.
            let score = row.int(field)?;
            let ids = row.ids("id")?;
            read.advance(ids.len() as u64);
            for id in ids {
                let hits = (0..sets.len()).filter(|&i| sets[i].contains(id)).collect();
                acc.add(read::LeadRead::scored(id, score), hits);
            }
        }
        Ok(())
    }

    /// Reads `ids` (in chunks, so memory stays bounded however many leads changed) with the
    /// fields the rules read, loads the related records they reach, and evaluates the rules
    /// in memory; rules with `child_of`/`parent_of` are pushed down restricted to the chunk.
    async fn local_pass(
        &self,
        ids: &[i64],
        rules: &[Domain],
        acc: &mut Acc<'_>,
    ) -> Result<(), ScoringError> {
        acc.planner
            .set_tag_ids(self.band_tags(!ids.is_empty()).await?);
        if ids.is_empty() {
            return Ok(());
        }
        let mut top = acc.shape.base_fields();
        let mut paths = Vec::new();
        for d in rules {
            for p in d.fields() {
                top.push(head(&p).to_owned());
                paths.push(p);
            }
        }
        top.push("active".into());
        let top = dedup(top);
        let names: Vec<&str> = top.iter().map(String::as_str).collect();
        let batch = self.client.batch_size().max(1);
        let mut loader = local::Loader::new(self.client);
        let read = self
            .progress
            .phase("scoring: leads read", Some(ids.len() as u64));
        for chunk in ids.chunks(batch * LOCAL_CHUNK_BATCHES) {
            let mut rows = Vec::with_capacity(chunk.len());
            for part in chunk.chunks(batch) {
                rows.extend(self.client.read(LEAD_MODEL, part, &names).await?);
            }
            let leads = rows
                .iter()
                .map(|r| acc.shape.read(r))
                .collect::<Result<Vec<_>, _>>()?;
            // matched rule indices per lead id
            let mut matched: BTreeMap<i64, Vec<usize>> = BTreeMap::new();
            if !rows.is_empty() && !rules.is_empty() {
                loader.reset();
                loader.load(LEAD_MODEL, &rows, &top, &paths).await?;
                let ids: Vec<i64> = leads.iter().map(|l| l.id).collect();
                for (i, rule) in rules.iter().enumerate() {
                    let hits = if needs_pushdown(rule) {
                        local::search_among(self.client, LEAD_MODEL, &ids, domain_items(rule))
                            .await?
                            .to_vec()
                    } else {
                        rule.filter(&loader.src, LEAD_MODEL, &ids, &EvalOptions::default())
                            .map_err(domain_err(format!("scoring.rules[{i}].domain")))?
                    };
                    for id in hits {
                        matched.entry(id).or_default().push(i);
                    }
                }
            }
            for lead in leads {
                // No entry: the lead matched no rule.
                let hits = matched.remove(&lead.id).unwrap_or_default();
                acc.add(lead, hits);
            }
            read.advance(chunk.len() as u64);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(from: &str, to: &str) -> (String, String) {
        (from.to_owned(), to.to_owned())
    }

    #[test]
    fn touching_seconds_make_one_range() {
        let seconds = ["10:00:01", "10:00:02", "10:00:03", "10:00:07", "10:00:08"]
            .map(|t| stamp_range(&format!("2026-11-20 {t}")).unwrap());
        assert_eq!(
            merged_ranges(seconds.into_iter()),
            vec![
                r("2026-11-20 10:00:01", "2026-11-20 10:00:04"),
                r("2026-11-20 10:00:07", "2026-11-20 10:00:09"),
            ]
        );
        assert!(merged_ranges(std::iter::empty()).is_empty());
    }

    #[test]
    fn the_listing_leaves_out_the_bots_leads_in_its_seconds_by_range() {
        let mut written = BTreeMap::new();
        for t in ["2026-11-20 10:00:01", "2026-11-20 10:00:02"] {
            let mut ids = crate::record::IdSetBuilder::new();
            ids.push(7);
            written.insert(t.to_owned(), ids);
        }
        let own = OwnWrites::new(2, written, Vec::<i64>::new());
        let items = not_at_own_stamps(&own);
        let text = format!("{items:?}");
        // write_uid != 2 OR (write_date < 10:00:01 OR write_date >= 10:00:03): never `=`.
        assert_eq!(items.len(), 5, "{text}");
        assert!(
            text.contains("10:00:01") && text.contains("10:00:03"),
            "{text}"
        );
        assert!(
            !text.contains("\"=\"") && !text.contains("not in"),
            "{text}"
        );
    }
}
