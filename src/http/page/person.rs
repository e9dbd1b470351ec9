//! A person's own page: where they stand in each running challenge (their goals, their rank),
//! their karma and the entries behind it, each with its reason. It shows nobody else's
//! figures: their rank is a number, other people's rows are not on it.

use std::fmt::Write as _;

use chrono_tz::Tz;

use super::{esc, key_query, num, pct, period, shell, when};
use crate::http::boards::Snapshot;
use crate::jobs::gamification::Points;

/// The page of `points.user_id`; `key` is their link token (for the links to the boards).
pub fn page(points: &Points, snapshot: &Snapshot, tz: Tz, key: &str, pay: Option<&str>) -> String {
    let q = key_query(Some(key), true);
    let mut body = format!(
        "<header>\n<p class=\"crumbs\"><a href=\"/board{q}\">Leaderboards</a> · <a href=\"/rules{q}\">How points are earned</a></p>\n\
         <h1>{}</h1>\n<p class=\"meta\">Karma <b id=\"karma\">{}</b>{}</p>\n</header>\n<main>\n<h2>Your goals</h2>\n",
        esc(&points.name),
        num(points.karma as f64),
        points
            .level
            .as_deref()
            .map_or(String::new(), |l| format!(" · level <b>{}</b>", esc(l)))
    );
    let mut any = false;
    for c in &snapshot.challenges {
        let Some(row) = c.ranked.rows.iter().find(|r| r.user_id == points.user_id) else {
            continue;
        };
        any = true;
        let fair_rank = c
            .fair
            .rows
            .iter()
            .find(|r| r.user_id == points.user_id)
            .map(|r| (r.rank, r.score));
        let _ = write!(
            body,
            "<section class=\"goals\" data-challenge=\"{}\"><h3>{}</h3>\n<p class=\"meta\">Period <b>{}</b> · rank <b>{}</b> of {} · done <b>{}</b>{}</p>\n\
             <table>\n<colgroup><col class=\"name\"><col class=\"score\"><col class=\"score\"><col class=\"score\"></colgroup>\n\
             <thead><tr><th>Goal</th><th class=\"num\">Now</th><th class=\"num\">Target</th><th class=\"num\">Of target</th></tr></thead>\n<tbody>\n",
            c.id,
            esc(&c.name),
            esc(&period(&c.period)),
            row.rank,
            c.ranked.rows.len(),
            pct(row.score),
            fair_rank.map_or(String::new(), |(rank, score)| format!(
                " · fair rank <b>{rank}</b> ({})",
                pct(score)
            )),
        );
        for (col, cell) in c.ranked.columns.iter().zip(&row.cells) {
            match cell {
                Some((current, target)) => {
                    let share =
                        crate::gamification::ranking::of_target(col.condition, *target, *current);
                    let _ = writeln!(
                        body,
                        "<tr><td class=\"why\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                        esc(&col.name),
                        num(*current),
                        num(*target),
                        pct(share)
                    );
                }
                None => {
                    let _ = writeln!(
                        body,
                        "<tr><td class=\"why\">{}</td><td class=\"num\">–</td><td class=\"num\">–</td><td class=\"num\">–</td></tr>",
                        esc(&col.name)
                    );
                }
            }
        }
        body.push_str("</tbody>\n</table>\n</section>\n");
    }
    if !any {
        body.push_str("<p class=\"empty\">You have no goals in a running challenge.</p>\n");
    }
    body.push_str("<h2>Your points</h2>\n");
    if points.history.is_empty() {
        body.push_str("<p class=\"empty\">No karma entries yet.</p>\n");
    } else {
        body.push_str(
            "<table class=\"karma\">\n<colgroup><col class=\"date\"><col class=\"pts\"><col class=\"total\"><col class=\"name\"></colgroup>\n\
             <thead><tr><th>Date</th><th class=\"num\">Points</th><th class=\"num\">Total</th><th>Why</th></tr></thead>\n<tbody>\n",
        );
        for e in &points.history {
            let gain = if e.gain > 0 {
                format!("<span class=\"gain\">+{}</span>", num(e.gain as f64))
            } else {
                num(e.gain as f64)
            };
            let _ = writeln!(
                body,
                "<tr><td class=\"date\">{}</td><td class=\"num\">{gain}</td><td class=\"num\">{}</td><td class=\"why\">{}</td></tr>",
                e.date
                    .map_or(String::new(), |d| d.format("%Y-%m-%d").to_string()),
                num(e.total as f64),
                esc(&e.reason)
            );
        }
        body.push_str("</tbody>\n</table>\n");
    }
    if let Some(pay) = pay {
        body.push_str("<h2>Your pay statement</h2>\n");
        body.push_str(pay);
    }
    let _ = write!(
        body,
        "</main>\n<footer>Figures as of {}. This page is yours: its link shows nobody else's goals or points.</footer>\n",
        esc(&when(snapshot.at, tz))
    );
    shell(&points.name, &body, None)
}

/// A person's statement as Odoo holds it, as the page's pay section: a row per line
/// (component, document, base, rate, coefficient, amount), the total, and whether the period
/// is locked. Amounts with `decimals` places, as the statement is written.
pub fn pay_section(s: &crate::jobs::pay::read::StoredStatement, decimals: u32) -> String {
    let money = |v: f64| format!("{v:.*}", decimals as usize);
    let state = if s.locked {
        "locked"
    } else {
        "open: recomputed each run"
    };
    let mut out = format!(
        "<p class=\"meta\">Period <b>{}</b> · {state}</p>\n<table class=\"pay\">\n\
         <thead><tr><th>Component</th><th>Document</th><th class=\"num\">Base</th><th class=\"num\">Rate</th><th class=\"num\">Coef.</th><th class=\"num\">Amount</th></tr></thead>\n<tbody>\n",
        esc(&s.period)
    );
    for l in &s.lines {
        let _ = writeln!(
            out,
            "<tr><td class=\"why\">{}</td><td class=\"why\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            esc(&l.component),
            esc(&l.document),
            money(l.base),
            esc(&l.rate),
            num(l.coefficient),
            money(l.amount)
        );
    }
    let _ = write!(
        out,
        "</tbody>\n<tfoot><tr><td colspan=\"5\">Total</td><td class=\"num\" id=\"pay-total\"><b>{}</b></td></tr></tfoot>\n</table>\n",
        money(s.total)
    );
    out
}
