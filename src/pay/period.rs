//! Pay periods: calendar months (`2026-11`) and quarters (`2026-Q4`), their dates, the next
//! period, and when a period closes (its statements lock).
//!
//! Documents belong to the period of their accounting date (`invoice_date` of a posted
//! invoice, `date_order` of a confirmed sale order, `start` of a meeting), in the company's
//! calendar; the caller converts datetimes to dates before they get here.

use std::fmt;

use chrono::{Datelike, Days, NaiveDate};

/// How long a pay period is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PeriodKind {
    Month,
    Quarter,
}

impl PeriodKind {
    pub(crate) fn parse(text: &str) -> Option<PeriodKind> {
        match text {
            "month" => Some(PeriodKind::Month),
            "quarter" => Some(PeriodKind::Quarter),
            _ => None,
        }
    }
}

/// One period: a month (`index` 1–12) or a quarter (`index` 1–4) of `year`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Period {
    pub year: i32,
    pub kind: PeriodKind,
    pub index: u32,
}

impl Period {
    /// The period of `kind` holding `date`.
    pub(crate) fn containing(kind: PeriodKind, date: NaiveDate) -> Period {
        let index = match kind {
            PeriodKind::Month => date.month(),
            PeriodKind::Quarter => (date.month() - 1) / 3 + 1,
        };
        Period {
            year: date.year(),
            kind,
            index,
        }
    }

    /// Parses `2026-11` (a month) or `2026-Q4` (a quarter).
    pub fn parse(text: &str) -> Result<Period, String> {
        let bad = || format!("{text:?} is not a period like 2026-11 or 2026-Q4");
        let (y, rest) = text.trim().split_once('-').ok_or_else(bad)?;
        let year: i32 = y.parse().map_err(|_| bad())?;
        if !(1900..=9999).contains(&year) {
            return Err(bad());
        }
        let (kind, index) = match rest.strip_prefix('Q').or_else(|| rest.strip_prefix('q')) {
            Some(q) => (PeriodKind::Quarter, q.parse::<u32>().map_err(|_| bad())?),
            None if rest.len() == 2 => (PeriodKind::Month, rest.parse::<u32>().map_err(|_| bad())?),
            None => return Err(bad()),
        };
        let max = if kind == PeriodKind::Month { 12 } else { 4 };
        if !(1..=max).contains(&index) {
            return Err(bad());
        }
        Ok(Period { year, kind, index })
    }

    /// First day.
    pub(crate) fn start(&self) -> NaiveDate {
        let month = match self.kind {
            PeriodKind::Month => self.index,
            PeriodKind::Quarter => (self.index - 1) * 3 + 1,
        };
        NaiveDate::from_ymd_opt(self.year, month, 1).unwrap_or(NaiveDate::MIN)
    }

    /// Last day (inclusive).
    pub(crate) fn end(&self) -> NaiveDate {
        self.next()
            .start()
            .checked_sub_days(Days::new(1))
            .unwrap_or(NaiveDate::MAX)
    }

    pub(crate) fn contains(&self, date: NaiveDate) -> bool {
        self.start() <= date && date <= self.end()
    }

    pub(crate) fn next(&self) -> Period {
        let max = if self.kind == PeriodKind::Month {
            12
        } else {
            4
        };
        if self.index == max {
            Period {
                year: self.year + 1,
                kind: self.kind,
                index: 1,
            }
        } else {
            Period {
                index: self.index + 1,
                ..*self
            }
        }
    }

    pub(crate) fn previous(&self) -> Period {
        let max = if self.kind == PeriodKind::Month {
            12
        } else {
            4
        };
        if self.index == 1 {
            Period {
                year: self.year - 1,
                kind: self.kind,
                index: max,
            }
        } else {
            Period {
                index: self.index - 1,
                ..*self
            }
        }
    }

    /// Whether the period is closed on `today`: `close_after_days` days after its last day
    /// (time for late invoices and for a manager to record incidentals), its statements lock.
    pub(crate) fn closed(&self, today: NaiveDate, close_after_days: u32) -> bool {
        self.end()
            .checked_add_days(Days::new(u64::from(close_after_days)))
            .is_some_and(|last_open| today > last_open)
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            PeriodKind::Month => write!(f, "{}-{:02}", self.year, self.index),
            PeriodKind::Quarter => write!(f, "{}-Q{}", self.year, self.index),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or(NaiveDate::MIN)
    }

    #[test]
    fn months_and_quarters_round_trip_and_bound() {
        let p = Period::parse("2026-11").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.to_string(), "2026-11");
        assert_eq!((p.start(), p.end()), (d("2026-11-01"), d("2026-11-30")));
        assert_eq!(p.next().to_string(), "2026-12");
        assert_eq!(p.next().next().to_string(), "2027-01");
        let q = Period::parse("2026-Q4").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((q.start(), q.end()), (d("2026-10-01"), d("2026-12-31")));
        assert_eq!(q.next().to_string(), "2027-Q1");
        assert_eq!(Period::parse("2027-Q1").map(|p| p.previous()), Ok(q));
        assert_eq!(Period::containing(PeriodKind::Quarter, d("2026-11-15")), q);
        let feb = Period::parse("2028-02").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(feb.end(), d("2028-02-29"));
        for bad in [
            "2026-13", "2026-Q5", "2026-1", "26-11", "2026/11", "2026-Q0",
        ] {
            assert!(Period::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_period_closes_after_its_grace_days() {
        let p = Period::parse("2026-11").unwrap_or_else(|e| panic!("{e}"));
        assert!(!p.closed(d("2026-11-30"), 0));
        assert!(p.closed(d("2026-12-01"), 0));
        assert!(!p.closed(d("2026-12-05"), 5));
        assert!(p.closed(d("2026-12-06"), 5));
    }
}
