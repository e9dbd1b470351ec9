//! The rules page: what earns what, in plain words, generated from the validated config (and,
//! for the challenges made in Odoo's screens, from the running boards): lead scoring rules,
//! karma point rules, challenges and their goals, pay plans. Everyone can read how they are
//! measured (mission S2). Conditions are shown as written in the config, as a detail.

use std::fmt::Write as _;

use super::{esc, key_query, num, shell};
use crate::config::{Config, Measure, Participants};
use crate::gamification::Condition;
use crate::http::boards::Snapshot;

fn points(p: i64) -> String {
    let unit = if p.abs() == 1 { "point" } else { "points" };
    if p >= 0 {
        format!("+{} {unit}", num(p as f64))
    } else {
        format!("{} {unit}", num(p as f64))
    }
}

fn detail(out: &mut String, text: &str) {
    let _ = write!(out, "<br><span class=\"detail\">{}</span>", esc(text));
}

fn better(condition: Condition) -> &'static str {
    match condition {
        Condition::Higher => "more is better",
        Condition::Lower => "less is better",
    }
}

/// The page; `snapshot` adds the challenges running in Odoo that the config does not define.
pub fn page(config: &Config, snapshot: Option<&Snapshot>, key: Option<&str>) -> String {
    let q = key_query(key, true);
    let mut body = format!(
        "<header>\n<p class=\"crumbs\"><a href=\"/board{q}\">Leaderboards</a></p>\n<h1>How points are earned</h1>\n\
         <p class=\"meta\">The rules scorekeeper applies, as configured.</p>\n</header>\n<main class=\"rules\">\n"
    );
    if let Some(s) = &config.scoring {
        let _ = writeln!(
            body,
            "<h2>Lead score</h2>\n<p>Each lead gets the points of every rule it matches; the total is its score.</p>\n<ul>"
        );
        for (rule, domain) in s.model.rules.iter().zip(&s.rule_domains) {
            let _ = write!(
                body,
                "<li><b>{}</b>: {}",
                esc(&rule.name),
                points(rule.points)
            );
            if let Some(d) = &rule.decay {
                let _ = write!(
                    body,
                    ", halving every {} days after the lead's {}",
                    num(d.half_life_days),
                    esc(&d.field)
                );
            }
            if let Some(cap) = rule.cap.and_then(|c| s.model.caps.get(c)) {
                let _ = write!(body, " (in the “{}” group)", esc(&cap.name));
            }
            detail(&mut body, &domain.to_string());
            body.push_str("</li>\n");
        }
        body.push_str("</ul>\n");
        for cap in &s.model.caps {
            let mut bounds = Vec::new();
            if let Some(max) = cap.max {
                bounds.push(format!("at most {}", points(max)));
            }
            if let Some(min) = cap.min {
                bounds.push(format!("at least {}", points(min)));
            }
            let _ = writeln!(
                body,
                "<p>The “{}” group counts {} in all.</p>",
                esc(&cap.name),
                bounds.join(" and ")
            );
        }
        if !s.model.bands.is_empty() {
            body.push_str("<ul>\n");
            for b in &s.model.bands {
                let mut what = Vec::new();
                if let Some(p) = &b.priority {
                    what.push(format!("priority {}", esc(p)));
                }
                if let Some(t) = &b.tag {
                    what.push(format!("the tag “{}”", esc(t)));
                }
                let _ = writeln!(
                    body,
                    "<li><b>{}</b>: a score of {} or more{}</li>",
                    esc(&b.name),
                    num(b.min_score as f64),
                    if what.is_empty() {
                        String::new()
                    } else {
                        format!(" gives {}", what.join(" and "))
                    }
                );
            }
            body.push_str("</ul>\n");
        }
    }
    if let Some(g) = &config.gamification {
        if !g.point_rules.is_empty() {
            body.push_str("<h2>Karma points</h2>\n<p>Booked once per record, to the person it names; taken back if the record stops qualifying.</p>\n<ul>\n");
            for r in &g.point_rules {
                let _ = write!(
                    body,
                    "<li><b>{}</b>: {} each",
                    esc(&r.name),
                    points(r.points)
                );
                if let (Some(field), Some(per)) = (&r.amount_field, r.per_amount) {
                    let _ = write!(body, ", per {} of {}", num(per), esc(field));
                }
                detail(
                    &mut body,
                    &format!("{} {} (credited to {})", r.model, r.domain, r.user_field),
                );
                body.push_str("</li>\n");
            }
            body.push_str("</ul>\n");
        }
        let configured: Vec<&str> = g.challenges.iter().map(|c| c.name.as_str()).collect();
        let from_odoo: Vec<_> = snapshot
            .map(|s| {
                s.challenges
                    .iter()
                    .filter(|c| !configured.contains(&c.name.as_str()))
                    .collect()
            })
            .unwrap_or_default();
        if !g.challenges.is_empty() || !from_odoo.is_empty() {
            body.push_str("<h2>Challenges</h2>\n<p>Each goal is measured over the challenge's period; the ranking averages how complete your goals are (up to 100 % each), the fair view your share of your own targets.</p>\n");
        }
        for c in &g.challenges {
            let who = match &c.participants {
                Participants::Users(logins) => format!("{} people", logins.len()),
                Participants::Domain(_) => "the users the challenge selects".to_owned(),
                Participants::Team(team) => format!("the {} team", esc(team)),
            };
            let _ = writeln!(
                body,
                "<h3>{}</h3>\n<p>{:?} periods, for {who}.</p>\n<ul>",
                esc(&c.name),
                c.period
            );
            for l in &c.lines {
                let what = match &l.measure {
                    Measure::Count => format!("the number of {}", esc(&l.model)),
                    Measure::Sum(f) => format!("the total {} of {}", esc(f), esc(&l.model)),
                };
                let _ = write!(
                    body,
                    "<li><b>{}</b>: {what}, target {}{} ({})",
                    esc(&l.name),
                    num(l.target),
                    l.suffix
                        .as_deref()
                        .map_or(String::new(), |s| format!(" {}", esc(s))),
                    better(l.condition)
                );
                detail(
                    &mut body,
                    &format!("{} (credited to {})", l.domain, l.user_field),
                );
                body.push_str("</li>\n");
            }
            body.push_str("</ul>\n");
        }
        for c in from_odoo {
            let _ = writeln!(
                body,
                "<h3>{}</h3>\n<p>Set up in Odoo; period {}.</p>\n<ul>",
                esc(&c.name),
                esc(&super::period(&c.period))
            );
            for col in &c.ranked.columns {
                let _ = writeln!(
                    body,
                    "<li><b>{}</b> ({}; each person's target is on their own page)</li>",
                    esc(&col.name),
                    better(col.condition)
                );
            }
            body.push_str("</ul>\n");
        }
    }
    if let Some(pay) = &config.pay {
        body.push_str("<h2>Pay</h2>\n");
        let scale = 10f64.powi(pay.currency_decimals as i32);
        for p in &pay.plans {
            let docs = match p.documents {
                crate::pay::plan::DocumentSource::Invoices => {
                    "posted invoices (credit notes count negative)"
                }
                crate::pay::plan::DocumentSource::SaleOrders => "confirmed sale orders",
            };
            let _ = writeln!(
                body,
                "<h3>{}</h3>\n<p>Paid per {:?} on {docs}.</p>\n<ul>",
                esc(&p.name),
                p.period
            );
            if let Some(rate) = p.components.basic {
                let _ = writeln!(
                    body,
                    "<li><b>Basic</b>: {} % of every earning document</li>",
                    num(rate.0 as f64 / 10_000.0)
                );
            }
            if let Some(t) = &p.components.tiers {
                let _ = write!(
                    body,
                    "<li><b>Advanced (tiers)</b>: against a target of {}",
                    num(t.target.0 as f64 / scale)
                );
                for b in &t.bands {
                    let _ = write!(
                        body,
                        "; from {} % of target, {} %",
                        num(b.from.0 as f64 / 10_000.0),
                        num(b.rate.0 as f64 / 10_000.0)
                    );
                }
                body.push_str("</li>\n");
            }
            for kind in p.components.kinds() {
                use crate::pay::plan::ComponentKind;
                if !matches!(kind, ComponentKind::Basic | ComponentKind::Tiers) {
                    let _ = writeln!(body, "<li><b>{}</b></li>", kind.label());
                }
            }
            body.push_str("</ul>\n");
        }
    }
    body.push_str("</main>\n");
    shell("How points are earned", &body, None)
}
