//! Which leads the routing domains match, asked of Odoo: one ids-only `search` per distinct
//! domain before (or, outside a full pass, while) the pass reads its leads, and at the end
//! the waiting leads Odoo's cron would list for each member (paged `search_read`) and the
//! leads written during a full pass, matched among themselves.

use std::collections::{BTreeMap, BTreeSet};

use super::read::{lead_fields, lead_of};
use super::{Lead, Router};
use crate::config::LEAD_MODEL;
use crate::domain::Domain;
use crate::jobs::scoring::local::search_among;
use crate::jobs::scoring::wire::{and_items, domain_items};
use crate::jobs::scoring::{ScoringError, ScoringJob};
use crate::odoo::{OdooClient, OdooError, SearchOptions, leaf};
use crate::record::datetime::format_datetime;
use crate::xmlrpc::{Struct, Value as Wire};

/// One waiting-lead list to ask for: the team's unassigned leads in scope above its minimum
/// (and, 18+, within the creation window), narrowed by one member domain.
struct WaitingList {
    domain: Vec<Wire>,
    /// Leads Odoo may hand the member (the team's `lead_limit`).
    want: usize,
    /// At most this many are listed: `want` plus the team's leads this pass read.
    most: usize,
}

impl Router {
    /// One `search` (ids only, nothing sent but the domain) per distinct domain: the
    /// unassigned leads in scope it matches, narrowed by `restrict` (outside a full pass: the
    /// leads this pass lists, which all exist by then), plus the stale ones (they have a
    /// salesperson but are routed again). Waiting leads are matched later, among themselves.
    pub(crate) async fn match_domains(
        &mut self,
        job: &ScoringJob<'_>,
        scope: &Domain,
        restrict: Option<Wire>,
    ) -> Result<(), ScoringError> {
        let client = job.client;
        if restrict.is_none() {
            // A lead created after these searches is in no set: the full pass matches the
            // leads written since (minus the overlap for open transactions) at the end.
            // Without a server time every lead counts as late (correct, only slower).
            let overlap = chrono::Duration::seconds(job.scoring.overlap_secs as i64);
            self.late_after = Some(
                client
                    .metrics_handle()
                    .server_time()
                    .map_or_else(String::new, |t| format_datetime(t - overlap)),
            );
        }
        let stale_ids: Vec<i64> = self.stale.keys().copied().collect();
        let mut sets = Vec::with_capacity(self.bound.len());
        for d in &self.bound {
            // scope ∧ domain ∧ ((user_id = False ∧ restriction) ∨ id ∈ stale)
            let mut items = and_items(scope, d);
            if !stale_ids.is_empty() {
                items.push(Wire::from("|"));
            }
            if let Some(r) = &restrict {
                items.push(Wire::from("&"));
                items.push(r.clone());
            }
            items.push(leaf("user_id", "=", Wire::Bool(false)));
            if !stale_ids.is_empty() {
                items.push(leaf(
                    "id",
                    "in",
                    Wire::Array(stale_ids.iter().map(|i| Wire::Int(*i)).collect()),
                ));
            }
            sets.push(
                client
                    .search_ids(LEAD_MODEL, items, &SearchOptions::default())
                    .await?,
            );
        }
        self.sets = sets;
        Ok(())
    }

    /// Routes what the sets could not decide: outside a full pass, per usable member, the
    /// waiting leads of its team (a team, no salesperson) this pass did not read, as Odoo's
    /// cron lists them for that member; in a full pass, the leads written during it. Which
    /// domains those few leads match takes one `search` among them per distinct domain.
    pub(super) async fn route_rest(
        &mut self,
        job: &ScoringJob<'_>,
        scope: &Domain,
    ) -> Result<(), ScoringError> {
        let client = job.client;
        let score_field = job.scoring.score_field.as_str();
        let mut waiting: BTreeMap<i64, Lead> = BTreeMap::new();
        for list in self.waiting_lists(scope, score_field) {
            self.list_waiting(client, score_field, &list, &mut waiting)
                .await?;
        }
        let late = std::mem::take(&mut self.late);
        if waiting.is_empty() && late.is_empty() {
            return Ok(());
        }
        let mut ids: Vec<i64> = waiting
            .keys()
            .chain(late.iter().map(|l| &l.id))
            .copied()
            .collect();
        ids.sort_unstable();
        ids.dedup();
        let mut sets = Vec::with_capacity(self.domains.len());
        for d in &self.domains {
            sets.push(search_among(client, LEAD_MODEL, &ids, d.clone()).await?);
        }
        self.waiting_sets = sets;
        for lead in late {
            self.route(lead, true);
        }
        for lead in waiting.into_values() {
            self.route(lead, false);
        }
        Ok(())
    }

    /// Outside a full pass, the waiting-lead lists to ask for: per usable member of a team
    /// that takes leads, its domain's list and (19) its preferred leads' list. Members of one
    /// team with the same domain get the same list: asked once.
    fn waiting_lists(&self, scope: &Domain, score_field: &str) -> Vec<WaitingList> {
        let mut lists = Vec::new();
        if !self.waiting {
            return lists;
        }
        let mut asked: BTreeSet<(usize, Option<usize>)> = BTreeSet::new();
        for (m, member) in self.members.iter().enumerate() {
            let Some(t) = self.teams.iter().position(|t| t.id == member.team_id) else {
                continue;
            };
            let team = &self.teams[t];
            if !member.usable() || team.optout || self.limits[t] == 0 {
                continue;
            }
            let mut sets = vec![self.member_set[m]];
            if member.preferred && self.preferred_set[m].is_some() {
                sets.push(self.preferred_set[m]);
            }
            for set in sets {
                if !asked.insert((t, set)) {
                    continue;
                }
                let mut d = domain_items(scope);
                d.push(leaf("user_id", "=", Wire::Bool(false)));
                d.push(leaf("team_id", "=", Wire::Int(team.id)));
                d.push(leaf(score_field, ">=", Wire::Int(team.min_score)));
                if let Some(after) = self.created_after {
                    d.push(leaf(
                        "create_date",
                        ">=",
                        Wire::from(format_datetime(after)),
                    ));
                }
                if let Some(items) = set.and_then(|i| self.domains.get(i)) {
                    d.extend(items.iter().cloned());
                }
                let want = self.limits[t];
                // The pass's own count: no entry, none of the team's leads were read.
                let read = self.read_per_team.get(&team.id).copied().unwrap_or(0);
                lists.push(WaitingList {
                    domain: d,
                    want,
                    most: want + read,
                });
            }
        }
        lists
    }

    /// Lists one member's waiting leads as Odoo's cron would (`probability desc, id asc`),
    /// into `waiting`. Leads of this pass that Odoo lists ahead are skipped: pages are read
    /// (offset paging: the order is by probability) until `want` others were seen, or as
    /// many as this pass could have taken the place of, so memory stays one page however
    /// many of the team's waiting leads this pass read.
    async fn list_waiting(
        &self,
        client: &OdooClient,
        score_field: &str,
        list: &WaitingList,
        waiting: &mut BTreeMap<i64, Lead>,
    ) -> Result<(), ScoringError> {
        let fields = lead_fields(score_field);
        let page = client.batch_size().max(1);
        let (mut offset, mut others) = (0usize, 0usize);
        while offset < list.most && others < list.want {
            let mut kwargs = Struct::new();
            kwargs.push(
                "fields",
                Wire::Array(fields.iter().map(|f| Wire::from(*f)).collect()),
            );
            kwargs.push("order", Wire::from("probability desc, id asc"));
            kwargs.push("limit", Wire::Int(page.min(list.most - offset) as i64));
            if offset > 0 {
                kwargs.push("offset", Wire::Int(offset as i64));
            }
            let answer = client
                .execute_kw(
                    LEAD_MODEL,
                    "search_read",
                    vec![Wire::Array(list.domain.clone())],
                    kwargs,
                )
                .await?;
            let Wire::Array(rows) = answer else {
                return Err(OdooError::UnexpectedReply {
                    call: format!("{LEAD_MODEL}.search_read"),
                    expected: "a list of records",
                    got: answer.to_string().chars().take(120).collect(),
                }
                .into());
            };
            let n = rows.len();
            for r in rows {
                let Some(row) = r.as_struct() else {
                    return Err(OdooError::UnexpectedReply {
                        call: format!("{LEAD_MODEL}.search_read"),
                        expected: "a list of records",
                        got: r.to_string().chars().take(120).collect(),
                    }
                    .into());
                };
                let lead = lead_of(row, score_field)?;
                if !self.read.contains(&lead.id) && lead.user_id.is_none() {
                    others += 1;
                    waiting.insert(lead.id, lead);
                }
            }
            if n < page.min(list.most - offset) {
                break;
            }
            offset += n;
        }
        Ok(())
    }
}
