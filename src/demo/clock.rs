//! Time arithmetic for the dataset: instants are plain UTC epoch seconds (cheap to draw at
//! random) and are only turned into Odoo's `"YYYY-MM-DD HH:MM:SS"` strings when a record
//! needs them.

use chrono::{DateTime, Datelike, NaiveDate};

pub(crate) const MINUTE: i64 = 60;
pub(crate) const HOUR: i64 = 3_600;
pub(crate) const DAY: i64 = 86_400;

/// Epoch seconds of 00:00:00 UTC on `date`.
pub(crate) fn midnight(date: NaiveDate) -> i64 {
    date.and_hms_opt(0, 0, 0)
        .map(|dt| dt.and_utc().timestamp())
        .unwrap_or(0)
}

/// Year, month, day of a day count since 1970-01-01 (H. Hinnant's `civil_from_days`): the
/// generator formats millions of timestamps, and this avoids chrono's formatting machinery.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// Appends `n` zero-padded to `width` digits (`n` fits: years 0–9999, other parts < 100).
fn push_padded(out: &mut String, n: i64, width: u32) {
    let mut div = 10_i64.pow(width.saturating_sub(1));
    let mut n = n.clamp(0, 10_i64.pow(width) - 1);
    while div > 0 {
        out.push(char::from(b'0' + (n / div) as u8));
        n %= div;
        div /= 10;
    }
}

fn push_date(out: &mut String, days: i64) {
    let (y, m, d) = civil_from_days(days);
    push_padded(out, y, 4);
    out.push('-');
    push_padded(out, i64::from(m), 2);
    out.push('-');
    push_padded(out, i64::from(d), 2);
}

/// Odoo's datetime wire form, UTC.
pub(crate) fn datetime(secs: i64) -> String {
    let mut out = String::with_capacity(19);
    push_date(&mut out, secs.div_euclid(DAY));
    let rem = secs.rem_euclid(DAY);
    out.push(' ');
    push_padded(&mut out, rem / HOUR, 2);
    out.push(':');
    push_padded(&mut out, rem % HOUR / MINUTE, 2);
    out.push(':');
    push_padded(&mut out, rem % MINUTE, 2);
    out
}

/// Odoo's date wire form.
pub(crate) fn date(d: NaiveDate) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day())
}

/// The UTC calendar date of an instant.
pub(crate) fn date_of(secs: i64) -> NaiveDate {
    DateTime::from_timestamp(secs, 0)
        .map(|dt| dt.date_naive())
        .unwrap_or_default()
}

/// `abs((later - earlier).days)` as Odoo computes `day_open` / `day_close`: Python's
/// `timedelta.days` floors toward minus infinity *before* the absolute value is taken.
pub(crate) fn odoo_days_between(earlier: i64, later: i64) -> f64 {
    (later - earlier).div_euclid(DAY).abs() as f64
}

/// First day of the month of `d`.
pub(crate) fn month_start(d: NaiveDate) -> NaiveDate {
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
    fn fast_formatter_agrees_with_chrono() {
        let mut t = -86_400 * 365 * 3 + 12_345;
        while t < 86_400 * 365 * 80 {
            let expected = DateTime::from_timestamp(t, 0)
                .unwrap()
                .format(crate::record::datetime::DATETIME_FORMAT)
                .to_string();
            assert_eq!(datetime(t), expected);
            t += 86_400 * 7 + 3_601 * 5 + 17;
        }
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
