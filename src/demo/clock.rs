//! Time arithmetic for the dataset: instants are plain UTC epoch seconds (cheap to draw at
//! random) and are only turned into Odoo's `"YYYY-MM-DD HH:MM:SS"` strings when a record
//! needs them.

use chrono::{DateTime, Datelike, NaiveDate, Timelike};

pub const MINUTE: i64 = 60;
pub const HOUR: i64 = 3_600;
pub const DAY: i64 = 86_400;

/// Epoch seconds of 00:00:00 UTC on `date`.
pub fn midnight(date: NaiveDate) -> i64 {
    date.and_hms_opt(0, 0, 0)
        .map(|dt| dt.and_utc().timestamp())
        .unwrap_or(0)
}

/// Odoo's datetime wire form, UTC.
pub fn datetime(secs: i64) -> String {
    match DateTime::from_timestamp(secs, 0) {
        Some(dt) => format!(
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
            dt.year(),
            dt.month(),
            dt.day(),
            dt.hour(),
            dt.minute(),
            dt.second()
        ),
        None => String::from("1970-01-01 00:00:00"),
    }
}

/// Odoo's date wire form.
pub fn date(d: NaiveDate) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day())
}

/// The UTC calendar date of an instant.
pub fn date_of(secs: i64) -> NaiveDate {
    DateTime::from_timestamp(secs, 0)
        .map(|dt| dt.date_naive())
        .unwrap_or_default()
}

/// `abs((later - earlier).days)` as Odoo computes `day_open` / `day_close`: Python's
/// `timedelta.days` floors toward minus infinity *before* the absolute value is taken.
pub fn odoo_days_between(earlier: i64, later: i64) -> f64 {
    (later - earlier).div_euclid(DAY).abs() as f64
}

/// First day of the month of `d`.
pub fn month_start(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap_or(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_odoo() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
        let t = midnight(d) + 13 * HOUR + 10 * MINUTE + 24;
        assert_eq!(datetime(t), "2026-11-22 13:10:24");
        assert_eq!(date(d), "2026-11-22");
        assert_eq!(date_of(t), d);
        assert_eq!(date(month_start(d)), "2026-11-01");
    }

    #[test]
    fn day_counts_floor_before_abs() {
        // Snapshot lead 1: created 2026-11-14 13:11:07, opened 2026-09-22 13:11:00 → 54.
        let create = midnight(NaiveDate::from_ymd_opt(2026, 11, 14).unwrap()) + 13 * HOUR + 667;
        let open = midnight(NaiveDate::from_ymd_opt(2026, 9, 22).unwrap()) + 13 * HOUR + 660;
        assert_eq!(odoo_days_between(create, open), 54.0);
        assert_eq!(odoo_days_between(0, DAY - 1), 0.0);
        assert_eq!(odoo_days_between(0, 3 * DAY + 5), 3.0);
    }
}
