//! Odoo's text forms of dates and datetimes (`2026-11-22`, `2026-11-22 13:14:01`, UTC, no
//! offset), written and read in one place so no module spells the format string again.

use chrono::{NaiveDate, NaiveDateTime, Timelike};

/// The format Odoo reads and writes datetimes in (`fields.Datetime.to_string`).
pub(crate) const DATETIME_FORMAT: &str = "%Y-%m-%d %H:%M:%S";
/// The format Odoo reads and writes dates in (`fields.Date.to_string`).
pub(crate) const DATE_FORMAT: &str = "%Y-%m-%d";

/// A datetime as Odoo writes it.
pub(crate) fn format_datetime(t: NaiveDateTime) -> String {
    t.format(DATETIME_FORMAT).to_string()
}

/// A date as Odoo writes it.
pub(crate) fn format_date(d: NaiveDate) -> String {
    d.format(DATE_FORMAT).to_string()
}

/// A datetime Odoo sent: `YYYY-MM-DD HH:MM:SS`, optionally with fractional seconds (which
/// are dropped, as Odoo's ORM drops them on read).
pub(crate) fn parse_datetime(s: &str) -> Option<NaiveDateTime> {
    let s = s.trim();
    NaiveDateTime::parse_from_str(s, DATETIME_FORMAT)
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f"))
        .ok()
        .and_then(|t| t.with_nanosecond(0))
}

/// A datetime, or a date read as midnight (Odoo compares a date with a datetime that way).
pub(crate) fn parse_datetime_or_date(s: &str) -> Option<NaiveDateTime> {
    parse_datetime(s).or_else(|| parse_date_exact(s)?.and_hms_opt(0, 0, 0))
}

/// A date Odoo sent, or the date part of a datetime it sent.
pub(crate) fn parse_date(s: &str) -> Option<NaiveDate> {
    parse_date_exact(s.trim().get(..10)?)
}

/// Exactly `YYYY-MM-DD`, nothing after it.
pub(crate) fn parse_date_exact(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), DATE_FORMAT).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_accepts_what_odoo_sends() {
        let t = parse_datetime("2026-11-22 13:14:01").unwrap();
        assert_eq!(format_datetime(t), "2026-11-22 13:14:01");
        assert_eq!(parse_datetime("2026-11-22 13:14:01.123456"), Some(t));
        assert_eq!(parse_datetime("2026-11-22"), None);
        assert_eq!(
            parse_datetime_or_date("2026-11-22")
                .map(format_datetime)
                .as_deref(),
            Some("2026-11-22 00:00:00")
        );
        let d = parse_date("2026-11-22 13:14:01").unwrap();
        assert_eq!(format_date(d), "2026-11-22");
        assert_eq!(parse_date_exact("2026-11-22 13:14:01"), None);
        assert_eq!(parse_date("22/11/2026"), None);
        assert_eq!(parse_date("2026"), None);
    }
}
