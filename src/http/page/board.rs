//! The leaderboard pages: the list of running challenges, and one page per challenge in three
//! views — Odoo's ranking (completeness), the fair one (each person's share of their own
//! target) and teams. The rows are a fragment of their own: the page's script fetches it again
//! when the event stream announces a new copy of the boards, without reloading the page.

use std::fmt::Write as _;

use chrono_tz::Tz;

use super::{esc, key_query, num, pct, period, shell, when};
use crate::gamification::leaderboard::Leaderboard;
use crate::gamification::ranking::Order;
use crate::http::boards::{ChallengeBoard, Snapshot};

/// Which view of a challenge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    Ranking,
    Fair,
    Teams,
}

impl View {
    pub fn parse(s: Option<&str>) -> View {
        match s {
            Some("fair") => View::Fair,
            Some("teams") => View::Teams,
            _ => View::Ranking,
        }
    }

    fn slug(self) -> &'static str {
        match self {
            View::Ranking => "ranking",
            View::Fair => "fair",
            View::Teams => "teams",
        }
    }

    fn title(self) -> &'static str {
        match self {
            View::Ranking => "Ranking",
            View::Fair => "Fair: % of own target",
            View::Teams => "Teams",
        }
    }
}

/// The page listing every running challenge with its top three.
pub fn list_page(snapshot: &Snapshot, tz: Tz, key: Option<&str>) -> String {
    let q = key_query(key, true);
    let mut body = format!(
        "<header>\n<p class=\"crumbs\"><a href=\"/rules{q}\">How points are earned</a></p>\n\
         <h1>Leaderboards</h1>\n<p class=\"meta\">Updated <b>{}</b></p>\n</header>\n<main>\n",
        esc(&when(snapshot.at, tz))
    );
    if snapshot.challenges.is_empty() {
        body.push_str("<p class=\"empty\">No challenge is running.</p>\n");
    } else {
        body.push_str("<ul class=\"cards\">\n");
        for c in &snapshot.challenges {
            let _ = write!(
                body,
                "<li><a href=\"/board/{}{q}\">{}</a>\n<div class=\"meta\">{}</div>\n<ol>",
                c.id,
                esc(&c.name),
                esc(&period(&c.period))
            );
            for r in c.ranked.rows.iter().take(3) {
                let _ = write!(
                    body,
                    "<li>{} <span class=\"num\">{}</span></li>",
                    esc(&r.user),
                    pct(r.score)
                );
            }
            body.push_str("</ol></li>\n");
        }
        body.push_str("</ul>\n");
    }
    body.push_str("</main>\n");
    shell("Leaderboards", &body, None)
}

/// One challenge's page in `view`; `key` is the visitor's link token, carried into every
/// link and request the page makes.
pub fn challenge_page(
    board: &ChallengeBoard,
    snapshot: &Snapshot,
    view: View,
    tz: Tz,
    key: Option<&str>,
) -> String {
    let q = key_query(key, true);
    let amp = key_query(key, false);
    let mut body = format!(
        "<header>\n<p class=\"crumbs\"><a href=\"/board{q}\">All challenges</a> · <a href=\"/rules{q}\">How points are earned</a></p>\n\
         <h1>{}</h1>\n<nav class=\"views\">",
        esc(&board.name)
    );
    for v in [View::Ranking, View::Fair, View::Teams] {
        let current = if v == view {
            " aria-current=\"page\""
        } else {
            ""
        };
        let _ = write!(
            body,
            "<a href=\"/board/{}?view={}{amp}\"{current}>{}</a>",
            board.id,
            v.slug(),
            v.title()
        );
    }
    let _ = write!(
        body,
        "</nav>\n</header>\n<main id=\"board\" data-version=\"{}\" data-rows=\"/board/{}/rows?view={}{amp}\" data-events=\"/board/events{q}\">\n{}</main>\n",
        snapshot.version,
        board.id,
        view.slug(),
        rows(board, snapshot, view, tz)
    );
    shell(&board.name, &body, Some(SCRIPT))
}

/// The part of a challenge page that changes with the data: period, last update, the table.
pub fn rows(board: &ChallengeBoard, snapshot: &Snapshot, view: View, tz: Tz) -> String {
    let mut out = format!(
        "<p class=\"meta\">Period <b>{}</b> · updated <b id=\"updated\">{}</b></p>\n",
        esc(&period(&board.period)),
        esc(&when(snapshot.at, tz))
    );
    match view {
        View::Ranking => people(&mut out, &board.ranked),
        View::Fair => people(&mut out, &board.fair),
        View::Teams => teams(&mut out, board),
    }
    out
}

fn people(out: &mut String, lb: &Leaderboard) {
    if lb.rows.is_empty() {
        out.push_str("<p class=\"empty\">Nobody has goals in this period yet.</p>\n");
        return;
    }
    let score_title = match lb.order {
        Order::Odoo => "Done",
        Order::Fair => "Of target",
    };
    out.push_str("<table class=\"board\">\n<colgroup><col class=\"rank\"><col class=\"name\">");
    for _ in &lb.columns {
        out.push_str("<col class=\"line\">");
    }
    out.push_str(
        "<col class=\"score\"></colgroup>\n<thead><tr><th class=\"num\">#</th><th>Name</th>",
    );
    for c in &lb.columns {
        let _ = write!(
            out,
            "<th class=\"num line\" title=\"{0}\">{0}</th>",
            esc(&c.name)
        );
    }
    let _ = writeln!(
        out,
        "<th class=\"num\">{score_title}</th></tr></thead>\n<tbody>"
    );
    for r in &lb.rows {
        let _ = write!(
            out,
            "<tr data-user=\"{}\"><td class=\"num rank\">{}</td><td class=\"name\" title=\"{2}\">{2}</td>",
            r.user_id,
            r.rank,
            esc(&r.user)
        );
        for cell in &r.cells {
            match cell {
                Some((current, target)) => {
                    let _ = write!(
                        out,
                        "<td class=\"num line\">{} / {}</td>",
                        num(*current),
                        num(*target)
                    );
                }
                None => out.push_str("<td class=\"num line\">–</td>"),
            }
        }
        let _ = writeln!(out, "<td class=\"num score\">{}</td></tr>", pct(r.score));
    }
    out.push_str("</tbody>\n</table>\n");
}

fn teams(out: &mut String, board: &ChallengeBoard) {
    if board.teams.is_empty() {
        out.push_str("<p class=\"empty\">Nobody has goals in this period yet.</p>\n");
        return;
    }
    out.push_str(
        "<table class=\"board\">\n<colgroup><col class=\"rank\"><col class=\"name\"><col class=\"members\"><col class=\"score\"></colgroup>\n\
         <thead><tr><th class=\"num\">#</th><th>Team</th><th class=\"num\">People</th><th class=\"num\">Of target</th></tr></thead>\n<tbody>\n",
    );
    for t in &board.teams {
        let _ = writeln!(
            out,
            "<tr><td class=\"num rank\">{}</td><td class=\"name\" title=\"{1}\">{1}</td><td class=\"num line-always\">{2}</td><td class=\"num score\">{3}</td></tr>",
            t.rank,
            esc(&t.team),
            t.members,
            pct(t.score)
        );
    }
    out.push_str("</tbody>\n</table>\n");
}

/// Listens for new copies of the boards and swaps the rows in place. The stream first says
/// which copy is current, so an update between the page load and the connection is not lost.
const SCRIPT: &str = r#"(function(){
var b=document.getElementById('board');
if(!b||!window.EventSource||!window.fetch)return;
var busy=false,want=0;
function pull(){
 if(busy||want<=+b.dataset.version)return;
 busy=true;var v=want;
 fetch(b.dataset.rows,{cache:'no-store'}).then(function(r){if(!r.ok)throw new Error(r.status);return r.text();})
 .then(function(t){b.innerHTML=t;b.dataset.version=v;})
 .catch(function(){})
 .then(function(){busy=false;pull();});
}
var es=new EventSource(b.dataset.events);
es.addEventListener('update',function(e){want=Math.max(want,+e.data);pull();});
})();"#;
