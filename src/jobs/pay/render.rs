//! A statement for people: a terminal table (columns padded by display width, so Vietnamese,
//! Chinese and Russian names line up; text is cut at a character boundary, never a byte), a
//! CSV export per period (RFC 4180 quoting, amounts with the currency's decimals) and an HTML
//! export per period (one self-contained page, every text escaped).

use std::fmt::Write as _;

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use crate::pay::coefficient::factor_text;
use crate::pay::{Base, Statement};

use super::rows::rate_text;

/// `text` cut to at most `width` columns (with `…` when cut) and padded to exactly `width`.
pub(crate) fn fit(text: &str, width: usize) -> String {
    let mut out = String::new();
    let mut used = 0;
    if text.width() > width {
        for c in text.chars() {
            let w = c.width().unwrap_or(0);
            if used + w + 1 > width {
                break;
            }
            out.push(c);
            used += w;
        }
        out.push('…');
        used += 1;
    } else {
        out.push_str(text);
        used = text.width();
    }
    out.push_str(&" ".repeat(width.saturating_sub(used)));
    out
}

fn right(text: &str, width: usize) -> String {
    format!("{}{text}", " ".repeat(width.saturating_sub(text.width())))
}

fn base_text(base: Base, decimals: u32) -> String {
    match base {
        Base::Amount(m) => m.display(decimals),
        Base::Units(q) => format!("{q} u"),
        Base::Meetings(n) => format!("{n} mtg"),
        Base::None => String::new(),
    }
}

/// The statement as a table of at most `width` columns.
pub(crate) fn to_table(s: &Statement, decimals: u32, width: usize) -> String {
    let mut out = String::new();
    let state = if s.locked { "locked" } else { "open" };
    let _ = writeln!(out, "{} — {} ({state})", s.name, s.period);
    let numbers = [12usize, 10, 6, 12];
    // As wide as the statement's longest component name ("Qualified appointment"): people
    // read which component paid, so it is never cut.
    let comp_w = s
        .lines
        .iter()
        .map(|l| l.key.component.label().width())
        .chain(["component".len()])
        .max()
        .unwrap_or(9);
    let fixed: usize = comp_w + numbers.iter().sum::<usize>() + 2 * 5;
    let doc_w = width.saturating_sub(fixed).max(12);
    let header = [
        fit("component", comp_w),
        fit("document", doc_w),
        right("base", numbers[0]),
        right("rate", numbers[1]),
        right("coef", numbers[2]),
        right("amount", numbers[3]),
    ];
    let _ = writeln!(out, "{}", header.join("  ").trim_end());
    for l in &s.lines {
        let doc = match &l.origin {
            Some(o) => format!("{} [{}]", l.label, o.period),
            None => l.label.clone(),
        };
        let row = [
            fit(l.key.component.label(), comp_w),
            fit(&doc, doc_w),
            right(&base_text(l.base, decimals), numbers[0]),
            right(&rate_text(l.rate, decimals), numbers[1]),
            right(&factor_text(l.coefficient), numbers[2]),
            right(&l.amount.display(decimals), numbers[3]),
        ];
        let _ = writeln!(out, "{}", row.join("  ").trim_end());
    }
    for n in &s.coefficients {
        let _ = writeln!(out, "coefficient {}: {}", n.key, n.reason);
    }
    let _ = writeln!(
        out,
        "{}",
        right(
            &format!("total {}", s.total.display(decimals)),
            fixed + doc_w
        )
    );
    out
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

/// Every line of every statement of a period, one CSV row each, with a header.
pub(crate) fn to_csv(statements: &[Statement], decimals: u32) -> String {
    let mut out = String::from(
        "period,user_id,user,locked,plan,component,document,adjusts_period,base,rate,coefficient,amount\r\n",
    );
    for s in statements {
        for l in &s.lines {
            let cells = [
                s.period.to_string(),
                s.user.to_string(),
                s.name.clone(),
                s.locked.to_string(),
                l.key.plan.clone(),
                l.key.component.code().to_owned(),
                l.label.clone(),
                l.origin
                    .as_ref()
                    .map(|o| o.period.to_string())
                    .unwrap_or_default(),
                base_text(l.base, decimals),
                rate_text(l.rate, decimals),
                factor_text(l.coefficient),
                l.amount.display(decimals),
            ];
            let row: Vec<String> = cells.iter().map(|c| csv_field(c)).collect();
            out.push_str(&row.join(","));
            out.push_str("\r\n");
        }
    }
    out
}

/// Text for HTML content and attribute values (the board's pages use it too): html-escape's
/// quoted-attribute set (`& < > " '`), safe in text and attributes alike.
pub(crate) fn html_escape(text: &str) -> String {
    html_escape::encode_quoted_attribute(text).into_owned()
}

/// Every statement of a period as one HTML page: a section per person, a row per line.
pub(crate) fn to_html(statements: &[Statement], decimals: u32) -> String {
    let period = statements
        .first()
        .map(|s| s.period.to_string())
        .unwrap_or_default();
    let mut out = format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Commission statements {p}</title>\n\
         <style>body{{font-family:sans-serif}}td.n{{text-align:right}}table{{border-collapse:collapse}}\
         td,th{{border:1px solid #ccc;padding:2px 6px}}</style></head><body>\n<h1>Commission statements {p}</h1>\n",
        p = html_escape(&period)
    );
    for s in statements {
        let state = if s.locked { "locked" } else { "open" };
        let _ = writeln!(
            out,
            "<h2>{} — {} ({state})</h2>\n<table><tr><th>component</th><th>document</th><th>base</th><th>rate</th><th>coefficient</th><th>amount</th></tr>",
            html_escape(&s.name),
            s.period
        );
        for l in &s.lines {
            let doc = match &l.origin {
                Some(o) => format!("{} [{}]", l.label, o.period),
                None => l.label.clone(),
            };
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                l.key.component.label(),
                html_escape(&doc),
                html_escape(&base_text(l.base, decimals)),
                html_escape(&rate_text(l.rate, decimals)),
                factor_text(l.coefficient),
                l.amount.display(decimals)
            );
        }
        let _ = writeln!(
            out,
            "<tr><th colspan=\"5\">total</th><td class=\"n\"><b>{}</b></td></tr></table>",
            s.total.display(decimals)
        );
        for n in &s.coefficients {
            let _ = writeln!(
                out,
                "<p>coefficient {}: {}</p>",
                html_escape(&n.key),
                html_escape(&n.reason)
            );
        }
    }
    out.push_str("</body></html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pay::{ComponentKind, Line, LineKey, Money, Period, Rate, Ratio};

    fn statement() -> Statement {
        let l = Line {
            key: LineKey {
                plan: "aff".into(),
                component: ComponentKind::Basic,
                subject: "account.move/1".into(),
            },
            label: "INV/2026/0001 Công ty TNHH Hoa Sen 莲花贸易".into(),
            base: Base::Amount(Money(100_000)),
            rate: Rate::Percent(Ratio(50_000)),
            coefficient: Ratio(1_250_000),
            amount: Money(6_250),
            origin: None,
        };
        let p = Period::parse("2026-11").unwrap_or_else(|e| panic!("{e}"));
        Statement::new(6, "Nguyễn Văn Anh".into(), p, vec![l], false, Vec::new())
    }

    #[test]
    fn fit_counts_display_columns_not_bytes() {
        assert_eq!(fit("莲花贸易", 6), "莲花… ");
        assert_eq!(fit("莲花贸易", 6).width(), 6);
        assert_eq!(fit("Hoa Sen", 9), "Hoa Sen  ");
        assert_eq!(fit("Привет мир", 7), "Привет…");
    }

    #[test]
    fn every_table_line_fits_the_width() {
        let t = to_table(&statement(), 2, 80);
        for line in t.lines() {
            assert!(line.width() <= 80, "{line:?} is {} columns", line.width());
        }
        assert!(t.contains("1000.00"), "{t}");
        assert!(t.contains("62.50"), "{t}");
        assert!(t.contains("total 62.50"), "{t}");
    }

    #[test]
    fn html_escapes_names_and_documents() {
        let mut s = statement();
        s.name = "<script>alert(1)</script> Nguyễn".into();
        let html = to_html(&[s], 2);
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; Nguyễn"));
        assert!(html.contains("<td class=\"n\">62.50</td>"), "{html}");
        assert!(html.contains("<b>62.50</b>"));
    }

    #[test]
    fn csv_quotes_and_keeps_exact_amounts() {
        let mut s = statement();
        s.lines[0].label = "INV/1, \"rush\"".into();
        let csv = to_csv(&[s], 2);
        let row = csv.lines().nth(1).unwrap_or_default();
        assert_eq!(
            row,
            "2026-11,6,Nguyễn Văn Anh,false,aff,basic,\"INV/1, \"\"rush\"\"\",,1000.00,5%,1.25,62.50"
        );
    }
}
