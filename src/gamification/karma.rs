//! Points on business events (semantics §1.13): each (rule, record) that matches a point rule
//! becomes one `gamification.karma.tracking` entry with old and new karma and a reason naming
//! the rule and the record; an event that no longer matches (invoice cancelled, opportunity
//! reopened) gets a compensating entry. Entry keys make replays and retries add nothing.
//! Levels are Odoo's karma ranks, which Odoo recomputes itself from the karma.

use std::collections::{HashMap, HashSet};

use crate::plan::{IdemKey, InvalidKey};

/// A rule's verdict on one record, as the job layer evaluated it.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// The rule's stable identifier (config key, `[A-Za-z0-9-]`).
    pub rule: String,
    /// The rule's display name, for reasons.
    pub rule_name: String,
    pub model: String,
    pub record_id: i64,
    /// Display name of the record, for reasons.
    pub record_name: String,
    /// Who gets the points.
    pub user_id: i64,
    /// Points the record is worth now; 0 when it no longer matches the rule.
    pub points: i64,
}

/// A karma entry already in Odoo that scorekeeper made (parsed from its reason marker).
#[derive(Clone, Debug, PartialEq)]
pub struct Booked {
    pub rule: String,
    pub model: String,
    pub record_id: i64,
    pub user_id: i64,
    /// Sequence number of the entry for this (rule, record): 1, 2, …
    pub seq: u32,
    /// Gain of the entry (`new_value - old_value`).
    pub gain: i64,
    /// Another entry carries the same key (a duplicate, however it arose): the net gain
    /// counts both, so the next entry corrects it, and says so.
    pub duplicate: bool,
}

/// A tracking to create.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub user_id: i64,
    pub old_value: i64,
    pub new_value: i64,
    pub key: IdemKey,
    /// The tracking's `reason`, as people read it (the key travels apart, see the job's
    /// `keys` module).
    pub reason: String,
}

/// The key of the `seq`-th entry of `rule` for a record.
pub(crate) fn entry_key(
    rule: &str,
    model: &str,
    record_id: i64,
    seq: u32,
) -> Result<IdemKey, InvalidKey> {
    IdemKey::new(format!("karma:rule={rule}:rec={model}/{record_id}:n={seq}"))
}

/// Reads back a key made by [`entry_key`]: (rule, model, record, seq). An undo's reversing
/// entry (`<key>:undo=<run>`) and a repaired duplicate (`<key>:dup=<id>`) read as the entry
/// they reverse or duplicate: their gains count against the same event.
pub(crate) fn parse_key(key: &str) -> Option<(String, String, i64, u32)> {
    let key = key.split_once(":undo=").map_or(key, |(k, _)| k);
    let key = key.split_once(":dup=").map_or(key, |(k, _)| k);
    let rest = key.strip_prefix("karma:rule=")?;
    let (rule, rest) = rest.split_once(":rec=")?;
    let (rec, seq) = rest.split_once(":n=")?;
    let (model, id) = rec.rsplit_once('/')?;
    Some((
        rule.to_string(),
        model.to_string(),
        id.parse().ok()?,
        seq.parse().ok()?,
    ))
}

/// Finds the `[sk:karma:…]` marker in a tracking's reason.
pub(crate) fn key_in_reason(reason: &str) -> Option<&str> {
    let start = reason.find("[sk:karma:")? + 4;
    let len = reason[start..].find(']')?;
    Some(&reason[start..start + len])
}

/// (rule, model, record) of an event or booked entry.
type RecordKey<'a> = (&'a str, &'a str, i64);
/// Net gain booked, highest entry number, user of the first entry.
type Net = (i64, u32, i64);

/// The entries that bring Odoo's karma in line with `events`.
///
/// Per (rule, record) the net points booked so far (sum of its entries' gains) are compared
/// with what the record is worth now: a difference becomes one new entry (an award, a
/// compensation when the event was reversed, or an adjustment when an invoice amount
/// changed). Replaying the same events therefore books nothing. `karma` is each user's
/// current karma; entries of one user chain their old/new values in order.
pub fn entries(
    events: &[Event],
    booked: &[Booked],
    karma: &HashMap<i64, i64>,
) -> Result<Vec<Entry>, InvalidKey> {
    // (rule, model, record) → (net gain booked, highest seq, user of the first entry)
    let mut net: HashMap<RecordKey<'_>, Net> = HashMap::with_capacity(booked.len());
    let duplicated: HashSet<RecordKey<'_>> = booked
        .iter()
        .filter(|b| b.duplicate)
        .map(|b| (b.rule.as_str(), b.model.as_str(), b.record_id))
        .collect();
    for b in booked {
        let slot = net
            .entry((b.rule.as_str(), b.model.as_str(), b.record_id))
            .or_insert((0, 0, b.user_id));
        slot.0 += b.gain;
        slot.1 = slot.1.max(b.seq);
    }
    let mut running: HashMap<i64, i64> = HashMap::new();
    let mut out = Vec::new();
    let mut seen: HashSet<RecordKey<'_>> = HashSet::with_capacity(events.len());
    let mut book = |out: &mut Vec<Entry>, user: i64, gain: i64, key: IdemKey, why: String| {
        let old = *running
            .entry(user)
            .or_insert_with(|| karma.get(&user).copied().unwrap_or(0));
        let new = old + gain;
        running.insert(user, new);
        out.push(Entry {
            user_id: user,
            old_value: old,
            new_value: new,
            reason: why,
            key,
        });
    };
    for e in events {
        let id = (e.rule.as_str(), e.model.as_str(), e.record_id);
        if !seen.insert(id) {
            continue;
        }
        let (had, seq, booked_user) = net.get(&id).copied().unwrap_or((0, 0, e.user_id));
        if had == e.points && booked_user == e.user_id {
            continue;
        }
        if booked_user != e.user_id && had != 0 {
            // The record changed hands: take the points back from the first holder, then
            // give them to the new one.
            let key = entry_key(&e.rule, &e.model, e.record_id, seq + 1)?;
            book(
                &mut out,
                booked_user,
                -had,
                key,
                format!(
                    "{}: reversed, {} #{} changed hands ({})",
                    e.rule_name, e.model, e.record_id, e.record_name
                ),
            );
            if e.points != 0 {
                let key = entry_key(&e.rule, &e.model, e.record_id, seq + 2)?;
                book(
                    &mut out,
                    e.user_id,
                    e.points,
                    key,
                    format!(
                        "{} ({} #{} {})",
                        e.rule_name, e.model, e.record_id, e.record_name
                    ),
                );
            }
            continue;
        }
        let gain = e.points - had;
        let key = entry_key(&e.rule, &e.model, e.record_id, seq + 1)?;
        let why = reason(e, had, duplicated.contains(&id));
        book(&mut out, e.user_id, gain, key, why);
    }
    // Booked records no longer reported at all (deleted or out of the rule's scope) are
    // compensated too, in a stable order.
    let mut gone: Vec<(RecordKey<'_>, Net)> = net
        .into_iter()
        .filter(|(id, (had, _, _))| *had != 0 && !seen.contains(id))
        .collect();
    gone.sort_unstable_by_key(|(id, _)| *id);
    for ((rule, model, record_id), (had, seq, user)) in gone {
        let key = entry_key(rule, model, record_id, seq + 1)?;
        book(
            &mut out,
            user,
            -had,
            key,
            format!("{rule}: reversed ({model} #{record_id} no longer qualifies)"),
        );
    }
    Ok(out)
}

/// The reason of the entry bringing `e`'s record from `had` to its points now.
fn reason(e: &Event, had: i64, duplicated: bool) -> String {
    if duplicated {
        format!(
            "{}: correction, an entry was booked twice ({} #{} {})",
            e.rule_name, e.model, e.record_id, e.record_name
        )
    } else if e.points == 0 {
        format!(
            "{}: reversed ({} #{} {})",
            e.rule_name, e.model, e.record_id, e.record_name
        )
    } else if had == 0 {
        format!(
            "{} ({} #{} {})",
            e.rule_name, e.model, e.record_id, e.record_name
        )
    } else {
        format!(
            "{}: adjusted from {had} ({} #{} {})",
            e.rule_name, e.model, e.record_id, e.record_name
        )
    }
}

/// A karma rank (level).
#[derive(Clone, Debug, PartialEq)]
pub struct Rank {
    pub id: i64,
    pub name: String,
    pub karma_min: i64,
}

/// The rank Odoo gives `karma`: the highest rank whose minimum it reaches; `None` below the
/// lowest (Odoo then leaves `rank_id` as it is).
pub(crate) fn rank_for(karma: i64, ranks: &[Rank]) -> Option<&Rank> {
    ranks
        .iter()
        .filter(|r| karma >= r.karma_min && karma > 0)
        .max_by_key(|r| r.karma_min)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn won(record: i64, user: i64, points: i64) -> Event {
        Event {
            rule: "won".into(),
            rule_name: "Won opportunity".into(),
            model: "crm.lead".into(),
            record_id: record,
            record_name: format!("Deal {record}"),
            user_id: user,
            points,
        }
    }

    fn booked_from(entries: &[Entry]) -> Vec<Booked> {
        entries
            .iter()
            .map(|e| {
                let (rule, model, record_id, seq) = parse_key(e.key.as_str()).unwrap();
                Booked {
                    rule,
                    model,
                    record_id,
                    user_id: e.user_id,
                    seq,
                    gain: e.new_value - e.old_value,
                    duplicate: false,
                }
            })
            .collect()
    }

    #[test]
    fn events_become_chained_entries_and_a_replay_adds_nothing() {
        let karma: HashMap<i64, i64> = [(2, 2500)].into_iter().collect();
        let events = [won(42, 2, 10), won(43, 2, 10), won(44, 6, 10)];
        let first = entries(&events, &[], &karma).unwrap();
        assert_eq!(first.len(), 3);
        assert_eq!((first[0].old_value, first[0].new_value), (2500, 2510));
        assert_eq!((first[1].old_value, first[1].new_value), (2510, 2520));
        assert_eq!((first[2].old_value, first[2].new_value), (0, 10));
        assert_eq!(first[0].key.as_str(), "karma:rule=won:rec=crm.lead/42:n=1");
        assert_eq!(first[0].reason, "Won opportunity (crm.lead #42 Deal 42)");
        assert_eq!(
            key_in_reason(&format!("{} {}", first[0].reason, first[0].key.marker())),
            Some("karma:rule=won:rec=crm.lead/42:n=1")
        );
        let booked = booked_from(&first);
        let karma: HashMap<i64, i64> = [(2, 2520), (6, 10)].into_iter().collect();
        assert!(entries(&events, &booked, &karma).unwrap().is_empty());
    }

    #[test]
    fn a_cancelled_invoice_gets_one_compensating_entry() {
        let invoice = |points| Event {
            rule: "posted-invoice".into(),
            rule_name: "Posted invoice".into(),
            model: "account.move".into(),
            record_id: 7,
            record_name: "INV/2026/00007".into(),
            user_id: 6,
            points,
        };
        let first = entries(&[invoice(63)], &[], &HashMap::new()).unwrap();
        let mut booked = booked_from(&first);
        let karma: HashMap<i64, i64> = [(6, 63)].into_iter().collect();
        let undo = entries(&[invoice(0)], &booked, &karma).unwrap();
        assert_eq!(undo.len(), 1);
        assert_eq!((undo[0].old_value, undo[0].new_value), (63, 0));
        assert_eq!(
            undo[0].key.as_str(),
            "karma:rule=posted-invoice:rec=account.move/7:n=2"
        );
        assert!(
            undo[0]
                .reason
                .starts_with("Posted invoice: reversed (account.move #7"),
            "{}",
            undo[0].reason
        );
        booked.extend(booked_from(&undo));
        let karma: HashMap<i64, i64> = [(6, 0)].into_iter().collect();
        assert!(entries(&[invoice(0)], &booked, &karma).unwrap().is_empty());
        // Posted again: a third entry, never a duplicate of the first.
        let again = entries(&[invoice(63)], &booked, &karma).unwrap();
        assert_eq!(
            again[0].key.as_str(),
            "karma:rule=posted-invoice:rec=account.move/7:n=3"
        );
        // A record that disappears from the rule's scope is compensated as well.
        let gone = entries(&[], &booked_from(&first), &karma).unwrap();
        assert_eq!(gone[0].new_value - gone[0].old_value, -63);
    }

    #[test]
    fn a_deal_changing_hands_moves_its_points() {
        let first = entries(&[won(42, 2, 10)], &[], &HashMap::new()).unwrap();
        let moved = entries(
            &[won(42, 6, 10)],
            &booked_from(&first),
            &[(2, 10)].into_iter().collect(),
        )
        .unwrap();
        assert_eq!(moved.len(), 2);
        assert_eq!((moved[0].user_id, moved[0].new_value), (2, 0));
        assert_eq!((moved[1].user_id, moved[1].new_value), (6, 10));
    }

    #[test]
    fn levels_are_the_highest_rank_reached() {
        let ranks = [
            Rank {
                id: 1,
                name: "Newbie".into(),
                karma_min: 1,
            },
            Rank {
                id: 2,
                name: "Student".into(),
                karma_min: 100,
            },
            Rank {
                id: 4,
                name: "Master".into(),
                karma_min: 2000,
            },
        ];
        assert_eq!(
            rank_for(2510, &ranks).map(|r| r.name.as_str()),
            Some("Master")
        );
        assert_eq!(rank_for(100, &ranks).map(|r| r.id), Some(2));
        assert_eq!(rank_for(0, &ranks), None);
    }
}
