//! Period bounds of a challenge for a given UTC "today" (semantics §1.2): the dates a goal
//! covers. Today is always injected, never read from the clock here.

use chrono::{Datelike, Duration, NaiveDate};

use super::model::{Challenge, Period};

/// Inclusive goal dates; `None` means open (only `once` challenges without dates).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Bounds {
    pub start: Option<NaiveDate>,
    pub end: Option<NaiveDate>,
}

impl Bounds {
    /// Whether the period is over on `today` (its end date is before today).
    pub(crate) fn ended(&self, today: NaiveDate) -> bool {
        self.end.is_some_and(|end| today > end)
    }

    /// `2026-11-01..2026-11-30`, `..` for open ends; for keys and messages.
    pub(crate) fn label(&self) -> String {
        let show = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
        format!("{}..{}", show(self.start), show(self.end))
    }
}

/// The bounds Odoo's `_get_challenger_period` gives for `today`.
///
/// Weekly periods run from the Monday on or before today to the *next* Monday, both
/// inclusive: 8 days, overlapping by one day (gotcha 2). We keep that so goals line up with
/// the ones Odoo generates and shows.
pub(crate) fn bounds(
    period: Period,
    today: NaiveDate,
    challenge_start: Option<NaiveDate>,
    challenge_end: Option<NaiveDate>,
) -> Bounds {
    let (start, end) = match period {
        Period::Daily => (today, today),
        Period::Weekly => {
            let monday = today - Duration::days(i64::from(today.weekday().num_days_from_monday()));
            (monday, monday + Duration::days(7))
        }
        Period::Monthly => {
            let first = today.with_day(1).unwrap_or(today);
            (first, last_day_of_month(first))
        }
        Period::Yearly => {
            let first = NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today);
            let last = NaiveDate::from_ymd_opt(today.year(), 12, 31).unwrap_or(today);
            (first, last)
        }
        Period::Once => {
            return Bounds {
                start: challenge_start,
                end: challenge_end,
            };
        }
    };
    Bounds {
        start: Some(start),
        end: Some(end),
    }
}

/// The bounds of `challenge`'s current period on `today`.
pub(crate) fn challenge_bounds(challenge: &Challenge, today: NaiveDate) -> Bounds {
    bounds(
        challenge.period,
        today,
        challenge.start_date,
        challenge.end_date,
    )
}

/// The period that ended just before the current one, for the close pass (`None` for `once`).
pub(crate) fn previous_bounds(period: Period, today: NaiveDate) -> Option<Bounds> {
    let current = bounds(period, today, None, None);
    let start = current.start?;
    let before = match period {
        // The 8-day weekly window starts a week earlier, not a day earlier.
        Period::Weekly => start - Duration::days(7),
        _ => start.pred_opt()?,
    };
    Some(bounds(period, before, None, None))
}

fn last_day_of_month(first: NaiveDate) -> NaiveDate {
    let (y, m) = (first.year(), first.month());
    let next = if m == 12 {
        NaiveDate::from_ymd_opt(y + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(y, m + 1, 1)
    };
    next.and_then(|d| d.pred_opt()).unwrap_or(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn b(s: &str, e: &str) -> Bounds {
        Bounds {
            start: Some(d(s)),
            end: Some(d(e)),
        }
    }

    #[test]
    fn daily_is_today_only() {
        assert_eq!(
            bounds(Period::Daily, d("2026-11-22"), None, None),
            b("2026-11-22", "2026-11-22")
        );
    }

    #[test]
    fn weekly_is_eight_days_from_monday_to_next_monday() {
        // 2026-11-22 is a Sunday: the week began on Monday 16th and "ends" Monday 23rd.
        assert_eq!(
            bounds(Period::Weekly, d("2026-11-22"), None, None),
            b("2026-11-16", "2026-11-23")
        );
        // A Monday starts its own week, and is also the last day of the previous one.
        assert_eq!(
            bounds(Period::Weekly, d("2026-11-23"), None, None),
            b("2026-11-23", "2026-11-30")
        );
        assert_eq!(
            previous_bounds(Period::Weekly, d("2026-11-23")),
            Some(b("2026-11-16", "2026-11-23"))
        );
    }

    #[test]
    fn monthly_covers_the_calendar_month_including_february_of_leap_years() {
        assert_eq!(
            bounds(Period::Monthly, d("2026-11-22"), None, None),
            b("2026-11-01", "2026-11-30")
        );
        assert_eq!(
            bounds(Period::Monthly, d("2028-02-10"), None, None),
            b("2028-02-01", "2028-02-29")
        );
        assert_eq!(
            bounds(Period::Monthly, d("2026-12-31"), None, None),
            b("2026-12-01", "2026-12-31")
        );
        assert_eq!(
            previous_bounds(Period::Monthly, d("2026-12-01")),
            Some(b("2026-11-01", "2026-11-30"))
        );
    }

    #[test]
    fn yearly_covers_the_calendar_year() {
        assert_eq!(
            bounds(Period::Yearly, d("2026-11-22"), None, None),
            b("2026-01-01", "2026-12-31")
        );
        assert_eq!(
            previous_bounds(Period::Yearly, d("2027-01-01")),
            Some(b("2026-01-01", "2026-12-31"))
        );
    }

    #[test]
    fn once_takes_the_challenge_dates_even_when_empty() {
        assert_eq!(
            bounds(
                Period::Once,
                d("2026-11-22"),
                Some(d("2026-10-01")),
                Some(d("2026-12-15"))
            ),
            b("2026-10-01", "2026-12-15")
        );
        let open = bounds(Period::Once, d("2026-11-22"), None, None);
        assert_eq!(
            open,
            Bounds {
                start: None,
                end: None
            }
        );
        assert!(!open.ended(d("2099-01-01")));
        assert_eq!(previous_bounds(Period::Once, d("2026-11-22")), None);
    }

    #[test]
    fn ended_is_strictly_after_the_end_date() {
        let nov = b("2026-11-01", "2026-11-30");
        assert!(!nov.ended(d("2026-11-30")));
        assert!(nov.ended(d("2026-12-01")));
        assert_eq!(nov.label(), "2026-11-01..2026-11-30");
    }
}
