//! A job's schedule: a standard crontab line (5 fields, or 6 with leading seconds) read by
//! croner, evaluated in an IANA time zone so that "02:30 every day" means local time, and
//! stays correct on the days the clocks change.
//!
//! Daylight-saving behaviour (croner's, pinned by tests in `tests/scheduler_dst.rs`):
//! - repeated hour (autumn): a fixed-time line (`30 2 * * *`) fires once, at the first of the
//!   two instants; interval lines (`0 * * * *`, `*/15 * * * *`) fire in both halves, since
//!   each is a distinct real hour;
//! - missing hour (spring): a fixed-time line whose time does not exist that day fires once,
//!   at the first real instant after the gap (02:30 → 03:00 in Europe/Berlin); interval
//!   firings inside the gap do not exist and are not made up.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use croner::Cron;
use croner::parser::{CronParser, Seconds, Year};

/// Why a schedule line or time zone was refused. The message names the input and the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    #[error(
        "schedule {expr:?} has {found} fields; expected 5 (minute hour day-of-month month \
         day-of-week) or 6 (second first)"
    )]
    FieldCount { expr: String, found: usize },
    #[error("schedule {expr:?} is not a valid crontab line: {detail}")]
    Invalid { expr: String, detail: String },
    #[error(
        "unknown time zone {tz:?}: give an IANA name such as \"Europe/Berlin\", \
         \"Asia/Ho_Chi_Minh\" or \"UTC\""
    )]
    TimeZone { tz: String },
}

/// A parsed crontab line in a time zone.
#[derive(Clone, Debug)]
pub struct Schedule {
    expr: String,
    cron: Cron,
    tz: Tz,
}

impl Schedule {
    /// Parses `expr` (5 fields, or 6 with seconds first; weekdays 0-7 with 0 and 7 = Sunday,
    /// or `MON`..`SUN`; `@hourly`-style nicknames) to be evaluated in the IANA zone `tz`.
    pub fn parse(expr: &str, tz: &str) -> Result<Schedule, ScheduleError> {
        let tz = parse_time_zone(tz)?;
        let trimmed = expr.trim();
        let fields = trimmed.split_whitespace().count();
        if !trimmed.starts_with('@') && !(5..=6).contains(&fields) {
            return Err(ScheduleError::FieldCount {
                expr: expr.to_owned(),
                found: fields,
            });
        }
        let parser = CronParser::builder()
            .seconds(Seconds::Optional)
            .year(Year::Disallowed)
            .build();
        let cron = parser.parse(trimmed).map_err(|e| ScheduleError::Invalid {
            expr: expr.to_owned(),
            detail: e.to_string(),
        })?;
        Ok(Schedule {
            expr: trimmed.to_owned(),
            cron,
            tz,
        })
    }

    /// The same line read in another zone. Config sections parse their line at load time
    /// (so a mistake is reported with its location) and the registry moves it into
    /// `[daemon] time_zone`.
    pub(crate) fn in_time_zone(&self, tz: Tz) -> Schedule {
        Schedule {
            expr: self.expr.clone(),
            cron: self.cron.clone(),
            tz,
        }
    }

    /// The line as written (trimmed).
    #[cfg(test)]
    pub(crate) fn expr(&self) -> &str {
        &self.expr
    }

    /// The first firing strictly after `t`, or `None` if the line never fires again (e.g.
    /// `0 0 30 2 *`).
    pub(crate) fn next_after(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let local = t.with_timezone(&self.tz);
        self.cron
            .find_next_occurrence(&local, false)
            .ok()
            .map(|next| next.with_timezone(&Utc))
    }

    /// The latest firing at or before `t`.
    pub(crate) fn last_at_or_before(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let local = t.with_timezone(&self.tz);
        self.cron
            .find_previous_occurrence(&local, true)
            .ok()
            .map(|prev| prev.with_timezone(&Utc))
    }

    /// The mean time between firings, in days, over the 364 days after `from` (52 whole
    /// weeks, so weekday-only lines average out); `None` if the line does not fire in that
    /// span. Counting stops at `cap` firings (then the span divided by `cap` is an upper
    /// bound, which is all a caller clamping from below needs).
    pub(crate) fn mean_interval_days(&self, from: DateTime<Utc>, cap: usize) -> Option<f64> {
        const SPAN_DAYS: i64 = 364;
        let to = from + chrono::Duration::days(SPAN_DAYS);
        let mut count = 0usize;
        let mut cursor = from;
        while count < cap {
            match self.next_after(cursor) {
                Some(next) if next <= to => {
                    count += 1;
                    cursor = next;
                }
                _ => break,
            }
        }
        (count > 0).then(|| SPAN_DAYS as f64 / count as f64)
    }
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.expr, self.tz.name())
    }
}

/// An IANA zone name (`Europe/Berlin`, `UTC`).
pub(crate) fn parse_time_zone(tz: &str) -> Result<Tz, ScheduleError> {
    Tz::from_str(tz.trim()).map_err(|_| ScheduleError::TimeZone { tz: tz.to_owned() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
    }

    #[test]
    fn five_and_six_fields() {
        let s = Schedule::parse("*/10 * * * *", "UTC").unwrap();
        assert_eq!(
            s.next_after(utc(2026, 1, 1, 0, 3)),
            Some(utc(2026, 1, 1, 0, 10))
        );
        let s = Schedule::parse("30 0 12 * * *", "UTC").unwrap();
        assert_eq!(
            s.next_after(utc(2026, 1, 1, 0, 0)),
            Some(Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 30).unwrap())
        );
    }

    #[test]
    fn mean_interval() {
        let from = utc(2026, 1, 1, 0, 0);
        let days = |line: &str| {
            Schedule::parse(line, "Europe/Berlin")
                .unwrap()
                .mean_interval_days(from, 2000)
        };
        assert_eq!(days("0 6 * * *"), Some(1.0));
        assert_eq!(days("0 6 * * 1"), Some(7.0));
        assert_eq!(days("0 6 * * 1-5"), Some(1.4));
        assert_eq!(days("0 */6 * * *"), Some(0.25));
        // capped: every 10 minutes fires more than 2,000 times in 364 days
        assert_eq!(days("*/10 * * * *"), Some(364.0 / 2000.0));
        // midnight on the 1st in Berlin is 23:00 UTC the day before: 11 firings after New Year
        assert_eq!(days("0 0 1 * *"), Some(364.0 / 11.0));
        assert_eq!(days("0 0 30 2 *"), None);
    }

    #[test]
    fn weekdays_are_crontab_numbered() {
        // 2026-11-22 is a Sunday; 1 is Monday in crontab (Quartz would say Sunday).
        let s = Schedule::parse("0 9 * * 1", "UTC").unwrap();
        assert_eq!(
            s.next_after(utc(2026, 11, 22, 0, 0)),
            Some(utc(2026, 11, 23, 9, 0))
        );
        for sunday in ["0 9 * * 0", "0 9 * * 7", "0 9 * * SUN"] {
            let s = Schedule::parse(sunday, "UTC").unwrap();
            assert_eq!(
                s.next_after(utc(2026, 11, 21, 0, 0)),
                Some(utc(2026, 11, 22, 9, 0)),
                "{sunday}"
            );
        }
    }

    #[test]
    fn local_time_in_the_zone() {
        let s = Schedule::parse("0 8 * * *", "Asia/Ho_Chi_Minh").unwrap();
        // 08:00 in Ho Chi Minh City (UTC+7) is 01:00 UTC.
        assert_eq!(
            s.next_after(utc(2026, 6, 1, 2, 0)),
            Some(utc(2026, 6, 2, 1, 0))
        );
        assert_eq!(s.to_string(), "0 8 * * * (Asia/Ho_Chi_Minh)");
        let utc_line = Schedule::parse("0 8 * * *", "UTC").unwrap();
        let moved = utc_line.in_time_zone(chrono_tz::Asia::Ho_Chi_Minh);
        assert_eq!(
            moved.next_after(utc(2026, 6, 1, 2, 0)),
            Some(utc(2026, 6, 2, 1, 0))
        );
        assert_eq!(
            utc_line.next_after(utc(2026, 6, 1, 2, 0)),
            Some(utc(2026, 6, 1, 8, 0))
        );
    }

    #[test]
    fn precise_errors() {
        let e = Schedule::parse("* * * *", "UTC").unwrap_err();
        assert_eq!(
            e.to_string(),
            "schedule \"* * * *\" has 4 fields; expected 5 (minute hour day-of-month month \
             day-of-week) or 6 (second first)"
        );
        assert!(matches!(
            Schedule::parse("0 0 0 * * * 2026", "UTC"),
            Err(ScheduleError::FieldCount { found: 7, .. })
        ));
        let e = Schedule::parse("61 * * * *", "UTC").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("schedule \"61 * * * *\" is not a valid crontab line: "),
            "{e}"
        );
        let e = Schedule::parse("* * * * *", "Europe/Berlln").unwrap_err();
        assert_eq!(
            e,
            ScheduleError::TimeZone {
                tz: "Europe/Berlln".into()
            }
        );
        assert!(e.to_string().contains("\"Europe/Berlln\""));
    }

    #[test]
    fn never_firing_line() {
        let s = Schedule::parse("0 0 30 2 *", "UTC").unwrap();
        assert_eq!(s.next_after(utc(2026, 1, 1, 0, 0)), None);
    }
}
