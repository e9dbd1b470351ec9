//! The HTML the board serves: one page shell with its styles inline (the screens on a sales
//! floor may have no internet: no external fonts, scripts or images), and the pieces every
//! page uses — escaping, numbers, dates. Pure functions from data to text; the handlers in
//! `http::pages` decide who sees what.
//!
//! Made to be read from three metres on a wall screen and on a 390 px phone: large type that
//! grows with the screen, high contrast, numbers right-aligned in tabular figures, names cut
//! with an ellipsis by CSS (never by slicing bytes or characters here), and font fallbacks
//! that cover Vietnamese, Chinese and Russian names.

pub mod board;
pub mod person;
pub mod rules;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

/// Text for HTML content and attribute values.
pub fn esc(s: &str) -> String {
    crate::jobs::pay::render::html_escape(s)
}

/// A figure as people read it: whole numbers grouped by thousands (`12,345`), others with
/// up to two decimals; big values lose their cents.
pub fn num(v: f64) -> String {
    if !v.is_finite() {
        return "–".to_owned();
    }
    let rounded = if v.abs() >= 1000.0 || v.fract() == 0.0 {
        v.round()
    } else {
        (v * 100.0).round() / 100.0
    };
    let sign = if rounded < 0.0 { "−" } else { "" };
    let abs = rounded.abs();
    let whole = abs.trunc() as u64;
    let digits = whole.to_string();
    let mut grouped = String::new();
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(d);
    }
    let frac = abs - abs.trunc();
    if frac > 0.0 {
        let cents = format!("{:.2}", frac);
        let cents = cents.trim_start_matches('0').trim_end_matches('0');
        format!("{sign}{grouped}{cents}")
    } else {
        format!("{sign}{grouped}")
    }
}

/// A percentage, whole.
pub fn pct(v: f64) -> String {
    format!("{} %", num(v.round()))
}

/// `2026-12-01..2026-12-31` as `2026-12-01 – 2026-12-31` (an open end stays open).
pub fn period(label: &str) -> String {
    match label.split_once("..") {
        Some((from, to)) if !from.is_empty() && !to.is_empty() => format!("{from} – {to}"),
        Some((from, "")) if !from.is_empty() => format!("from {from}"),
        Some(("", to)) if !to.is_empty() => format!("until {to}"),
        Some(("", "")) => "ongoing".to_owned(),
        _ => label.to_owned(),
    }
}

/// An instant in the daemon's time zone, to the minute.
pub fn when(at: DateTime<Utc>, tz: Tz) -> String {
    at.with_timezone(&tz)
        .format("%Y-%m-%d %H:%M %Z")
        .to_string()
}

/// The query string carrying a link token (`?k=…`), or nothing.
pub fn key_query(key: Option<&str>, first: bool) -> String {
    match key {
        Some(k) => format!("{}k={}", if first { '?' } else { '&' }, esc(k)),
        None => String::new(),
    }
}

const STYLE: &str = r#"
:root{color-scheme:dark;--bg:#0b0f17;--panel:#151b26;--fg:#f7f9fc;--dim:#c3ccd8;--line:#2c3646;--accent:#ffd23f;--good:#63e68f}
*{box-sizing:border-box}
html{font-size:clamp(16px,1vw + 6px,34px);-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--fg);line-height:1.35;
font-family:"Noto Sans","Segoe UI",Roboto,"Helvetica Neue",Arial,"Noto Sans CJK SC","Noto Sans SC","Source Han Sans SC","PingFang SC","Hiragino Sans GB","Microsoft YaHei","WenQuanYi Micro Hei","DejaVu Sans",sans-serif}
header,main,footer{max-width:1700px;margin:0 auto;padding:0 .8rem}
h1{font-size:2.1rem;line-height:1.15;margin:.5em 0 .15em;overflow-wrap:anywhere}
h2{font-size:1.5rem;margin:1.2em 0 .4em}
h3{font-size:1.2rem;margin:1em 0 .3em}
a{color:var(--accent)}
.crumbs{margin:.6em 0 0;font-size:.95rem}
.meta{color:var(--dim);font-size:1.05rem;margin:.2em 0 .6em}
.meta b{color:var(--fg);font-weight:600}
nav.views{display:flex;flex-wrap:wrap;gap:.4rem;margin:.4em 0 .8em}
nav.views a{padding:.35em .8em;border:2px solid var(--line);border-radius:.5em;text-decoration:none;color:var(--fg);font-size:1rem}
nav.views a[aria-current=page]{background:var(--accent);border-color:var(--accent);color:#111;font-weight:700}
table{width:100%;border-collapse:collapse;table-layout:fixed}
th,td{padding:.4em .45em;border-bottom:1px solid var(--line);vertical-align:baseline}
th{color:var(--dim);font-weight:600;font-size:.9rem;text-align:left;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.num{text-align:right;font-variant-numeric:tabular-nums lining-nums;white-space:nowrap}
td.name{overflow:hidden;text-overflow:ellipsis;white-space:nowrap;font-size:1.6rem;font-weight:600}
td.rank{font-size:1.5rem;color:var(--dim)}
td.score{font-size:1.8rem;font-weight:800;color:var(--accent)}
td.line{font-size:1.1rem}
tbody tr:nth-child(-n+3) td.rank{color:var(--accent);font-weight:800}
col.rank{width:3.4em}col.score{width:7em}col.line{width:8.5em}col.members{width:7em}
col.date{width:6.6em}col.pts{width:4.2em}col.total{width:5em}
td.date{white-space:nowrap;overflow:hidden;color:var(--dim)}
td.why{overflow-wrap:anywhere}
.gain{color:var(--good)}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,22rem),1fr));gap:.8rem;padding:0;list-style:none}
.cards li{background:var(--panel);border-radius:.6em;padding:.6em .9em}
.cards a{font-size:1.4rem;font-weight:700}
.cards ol{margin:.4em 0 0;padding-left:1.4em}
.cards ol li{padding:0;background:none;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.empty{color:var(--dim);font-size:1.3rem}
.rules li{margin:.3em 0}
.rules .detail{color:var(--dim);font-size:.85rem;overflow-wrap:anywhere}
footer{color:var(--dim);font-size:.85rem;margin-top:2em;padding-bottom:1em}
@media (max-width:700px){html{font-size:16px}col.line,.line{display:none}col.rank{width:2.4em}col.score{width:5em}
td.name{font-size:1.15rem}td.score{font-size:1.25rem}td.rank{font-size:1.1rem}h1{font-size:1.6rem}col.members{width:4.5em}}
"#;

/// A whole page: `title`, `body`, and optionally an inline script.
pub fn shell(title: &str, body: &str, script: Option<&str>) -> String {
    let script = script.map_or(String::new(), |s| format!("<script>{s}</script>\n"));
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n<title>{}</title>\n<style>{STYLE}</style>\n\
         </head>\n<body>\n{body}\n{script}</body>\n</html>\n",
        esc(title)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_group_thousands_and_keep_small_decimals() {
        assert_eq!(num(12345.678), "12,346");
        assert_eq!(num(1_000_000.0), "1,000,000");
        assert_eq!(num(7.5), "7.5");
        assert_eq!(num(0.25), "0.25");
        assert_eq!(num(-1500.0), "−1,500");
        assert_eq!(num(21.0), "21");
        assert_eq!(pct(104.6), "105 %");
        assert_eq!(period("2026-12-01..2026-12-31"), "2026-12-01 – 2026-12-31");
        assert_eq!(period(".."), "ongoing");
        assert_eq!(
            esc("<a href=\"x\">Đ&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;Đ&amp;&#x27;&lt;/a&gt;"
        );
    }
}
