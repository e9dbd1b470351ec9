//! Safeguards on point rules (issue 16 item 4, mission S9): caps per rule per person per day
//! and per period, so chasing points has a ceiling. A rule's events of one person are taken
//! in date order (then record id, so the cut is the same on every run); each books what is
//! left under the day's and the period's caps, the rest of its points are cut. Penalties
//! (negative points) are never capped. Pure.

use std::collections::HashMap;

use chrono::NaiveDate;

use super::achievements::Window;
use super::karma::Event;

/// A rule's caps.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Caps {
    pub per_day: Option<i64>,
    /// At most this many points per period (calendar week, month or year of the date).
    pub per_period: Option<(i64, Window)>,
}

impl Caps {
    pub fn is_none(&self) -> bool {
        self.per_day.is_none() && self.per_period.is_none()
    }
}

/// Cuts `events` (one rule's, each with its record's date) to the caps, in place. Undated
/// events cannot be placed in a day: they are left as they are (config requires a
/// `date_field` with caps, so only records with an empty date are).
pub fn apply(caps: Caps, events: &mut [(Event, Option<NaiveDate>)]) {
    if caps.is_none() {
        return;
    }
    events.sort_by(|(a, da), (b, db)| {
        (a.user_id, da, a.record_id).cmp(&(b.user_id, db, b.record_id))
    });
    let mut day_used: HashMap<(i64, NaiveDate), i64> = HashMap::new();
    let mut period_used: HashMap<(i64, String), i64> = HashMap::new();
    for (e, date) in events.iter_mut() {
        let Some(date) = *date else {
            continue;
        };
        if e.points <= 0 {
            continue;
        }
        let mut allowed = e.points;
        if let Some(cap) = caps.per_day {
            let used = day_used.entry((e.user_id, date)).or_insert(0);
            allowed = allowed.min((cap - *used).max(0));
        }
        let period = caps
            .per_period
            .and_then(|(cap, w)| Some((cap, w.label(Some(date))?)));
        if let Some((cap, label)) = &period {
            let used = period_used.entry((e.user_id, label.clone())).or_insert(0);
            allowed = allowed.min((cap - *used).max(0));
        }
        if caps.per_day.is_some() {
            *day_used.entry((e.user_id, date)).or_insert(0) += allowed;
        }
        if let Some((_, label)) = period {
            *period_used.entry((e.user_id, label)).or_insert(0) += allowed;
        }
        e.points = allowed;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(record_id: i64, user_id: i64, points: i64) -> Event {
        Event {
            rule: "call".into(),
            rule_name: "Call logged".into(),
            model: "crm.lead".into(),
            record_id,
            record_name: String::new(),
            user_id,
            points,
        }
    }

    fn day(d: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(2026, 11, d)
    }

    #[test]
    fn a_daily_cap_cuts_the_later_events_of_the_day() {
        // 30 points a day at most: 20 + 20 on the 2nd → 20 + 10; the 3rd starts afresh.
        let mut events = vec![
            (ev(2, 7, 20), day(2)),
            (ev(1, 7, 20), day(2)),
            (ev(3, 7, 20), day(3)),
            (ev(4, 8, 50), day(2)),
        ];
        apply(
            Caps {
                per_day: Some(30),
                per_period: None,
            },
            &mut events,
        );
        let got: Vec<(i64, i64)> = events
            .iter()
            .map(|(e, _)| (e.record_id, e.points))
            .collect();
        assert_eq!(got, [(1, 20), (2, 10), (3, 20), (4, 30)]);
    }

    #[test]
    fn a_period_cap_holds_across_days_and_penalties_pass() {
        // 50 a month: 20 on the 2nd, 20 on the 3rd, 20 on the 4th → 10; -5 untouched;
        // December starts afresh.
        let mut events = vec![
            (ev(1, 7, 20), day(2)),
            (ev(2, 7, 20), day(3)),
            (ev(3, 7, 20), day(4)),
            (ev(4, 7, -5), day(5)),
            (ev(5, 7, 20), NaiveDate::from_ymd_opt(2026, 12, 1)),
        ];
        apply(
            Caps {
                per_day: Some(100),
                per_period: Some((50, Window::Monthly)),
            },
            &mut events,
        );
        let got: Vec<i64> = events.iter().map(|(e, _)| e.points).collect();
        assert_eq!(got, [20, 20, 10, -5, 20]);
    }
}
