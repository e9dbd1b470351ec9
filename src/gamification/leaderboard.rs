//! The leaderboard of a challenge: one row per participant with each line's current/target
//! and the overall completeness, ranked; printed as a terminal table or CSV.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::fmt::Write as _;

use unicode_width::UnicodeWidthStr as _;

use super::model::{Condition, Goal, Participant, user_order};
use super::ranking::{Order, of_target};

/// A column: one challenge line.
#[derive(Clone, Debug, PartialEq)]
pub struct Column {
    pub line_id: i64,
    pub name: String,
    pub condition: Condition,
}

/// One participant's row.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub rank: usize,
    pub user_id: i64,
    pub user: String,
    /// Per column: (current, target), `None` without a goal.
    pub cells: Vec<Option<(f64, f64)>>,
    /// Mean of the lines' completeness (Odoo's, capped) or of the share of target (fair).
    pub score: f64,
}

/// A ranked table.
#[derive(Clone, Debug, PartialEq)]
pub struct Leaderboard {
    pub challenge: String,
    pub period: String,
    pub columns: Vec<Column>,
    pub rows: Vec<Row>,
    pub order: Order,
}

/// Builds the leaderboard from the goals of one period. Rank 1 is the best; ties are broken
/// by `res.users` order (name, login) so the table is stable.
pub(crate) fn build(
    challenge: &str,
    period: &str,
    columns: Vec<Column>,
    goals: &[Goal],
    users: &[Participant],
    order: Order,
) -> Leaderboard {
    let mut people: Vec<&Participant> = users.iter().collect();
    people.sort_by(|a, b| user_order(a, b));
    let by_user_line: HashMap<(i64, i64), &Goal> = goals
        .iter()
        .filter_map(|g| g.line_id.map(|l| ((g.user_id, l), g)))
        .collect();
    let mut rows: Vec<Row> = people
        .into_iter()
        .map(|p| {
            let mut cells = Vec::new();
            let mut total = 0.0;
            for col in &columns {
                let goal = by_user_line.get(&(p.id, col.line_id));
                cells.push(goal.map(|g| (g.current, g.target)));
                if let Some(g) = goal {
                    total += match order {
                        Order::Odoo => {
                            super::goal::completeness(col.condition, g.target, g.current)
                        }
                        Order::Fair => of_target(col.condition, g.target, g.current),
                    };
                }
            }
            let score = if columns.is_empty() {
                0.0
            } else {
                total / columns.len() as f64
            };
            Row {
                rank: 0,
                user_id: p.id,
                user: p.name.clone(),
                cells,
                score: (score * 100.0).round() / 100.0,
            }
        })
        .collect();
    // Ties on the score are broken like Odoo's line ranking (§1.11): by the better value of
    // each line in turn (a missing goal last), then by `res.users` order (the sort is stable).
    rows.sort_by(|a, b| {
        b.score
            .partial_cmp(&a.score)
            .unwrap_or(Ordering::Equal)
            .then_with(|| {
                columns
                    .iter()
                    .enumerate()
                    .map(|(i, col)| better_value(col.condition, a.cells[i], b.cells[i]))
                    .find(|o| *o != Ordering::Equal)
                    .unwrap_or(Ordering::Equal)
            })
    });
    for (i, r) in rows.iter_mut().enumerate() {
        r.rank = i + 1;
    }
    Leaderboard {
        challenge: challenge.to_string(),
        period: period.to_string(),
        columns,
        rows,
        order,
    }
}

/// `Less` when `a` ranks before `b` on one line's value.
fn better_value(
    condition: super::model::Condition,
    a: Option<(f64, f64)>,
    b: Option<(f64, f64)>,
) -> Ordering {
    use super::model::Condition;
    match (a, b) {
        (Some((x, _)), Some((y, _))) => match condition {
            Condition::Higher => y.partial_cmp(&x).unwrap_or(Ordering::Equal),
            Condition::Lower => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
        },
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

fn num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

impl Leaderboard {
    fn score_title(&self) -> &'static str {
        match self.order {
            Order::Odoo => "completeness %",
            Order::Fair => "% of target",
        }
    }

    /// An aligned text table for the terminal.
    pub fn to_table(&self) -> String {
        let mut header = vec!["rank".to_string(), "user".to_string()];
        header.extend(self.columns.iter().map(|c| c.name.clone()));
        header.push(self.score_title().to_string());
        let mut body: Vec<Vec<String>> = Vec::new();
        for r in &self.rows {
            let mut line = vec![r.rank.to_string(), r.user.clone()];
            for cell in &r.cells {
                line.push(cell.map_or_else(
                    || "-".to_string(),
                    |(c, t)| format!("{}/{}", num(c), num(t)),
                ));
            }
            line.push(format!("{:.2}", r.score));
            body.push(line);
        }
        let widths: Vec<usize> = (0..header.len())
            .map(|i| {
                std::iter::once(&header)
                    .chain(body.iter())
                    .map(|row| row.get(i).map_or(0, |s| s.width()))
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let mut out = format!("{} ({})\n", self.challenge, self.period);
        for row in std::iter::once(&header).chain(body.iter()) {
            let cells: Vec<String> = row
                .iter()
                .zip(&widths)
                // Padded by display width: a Chinese character takes two terminal columns.
                .map(|(s, w)| format!("{s}{}", " ".repeat(w.saturating_sub(s.width()))))
                .collect();
            let _ = writeln!(out, "{}", cells.join("  ").trim_end());
        }
        out
    }

    /// CSV with a header line; per line two columns (`<name> current`, `<name> target`).
    pub fn to_csv(&self) -> String {
        let mut header = vec![
            "rank".to_string(),
            "user_id".to_string(),
            "user".to_string(),
        ];
        for c in &self.columns {
            header.push(format!("{} current", c.name));
            header.push(format!("{} target", c.name));
        }
        header.push(self.score_title().to_string());
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{}",
            header
                .iter()
                .map(|h| csv_field(h))
                .collect::<Vec<_>>()
                .join(",")
        );
        for r in &self.rows {
            let mut f = vec![
                r.rank.to_string(),
                r.user_id.to_string(),
                csv_field(&r.user),
            ];
            for cell in &r.cells {
                match cell {
                    Some((c, t)) => {
                        f.push(num(*c));
                        f.push(num(*t));
                    }
                    None => {
                        f.push(String::new());
                        f.push(String::new());
                    }
                }
            }
            f.push(format!("{:.2}", r.score));
            let _ = writeln!(out, "{}", f.join(","));
        }
        out
    }
}

/// Merges the goals of several periods (a quarter of monthly goals) into one per user and
/// line: currents and targets are summed, so the share of target stays meaningful.
pub(crate) fn merge_periods(goals: &[Goal]) -> Vec<Goal> {
    let mut merged: Vec<Goal> = Vec::new();
    let mut at: HashMap<(i64, Option<i64>), usize> = HashMap::new();
    for g in goals {
        match at.get(&(g.user_id, g.line_id)) {
            Some(&i) => {
                let m = &mut merged[i];
                m.current += g.current;
                m.target += g.target;
                m.id = m.id.min(g.id);
                m.start_date = m.start_date.min(g.start_date);
                m.end_date = m.end_date.max(g.end_date);
            }
            None => {
                at.insert((g.user_id, g.line_id), merged.len());
                merged.push(g.clone());
            }
        }
    }
    merged
}

/// People's names in the report page: html-escape's quoted-attribute set.
fn html_escape(s: &str) -> String {
    html_escape::encode_quoted_attribute(s).into_owned()
}

impl Leaderboard {
    /// A standalone HTML page (the monthly/quarterly ranking report).
    pub fn to_html(&self) -> String {
        let mut out = String::new();
        let title = format!("{} — {}", self.challenge, self.period);
        let _ = writeln!(
            out,
            "<!doctype html>\n<html lang=\"en\">\n<meta charset=\"utf-8\">\n<title>{}</title>",
            html_escape(&title)
        );
        let _ = writeln!(
            out,
            "<h1>{}</h1>\n<table>\n<thead><tr><th>rank</th><th>user</th>",
            html_escape(&title)
        );
        for c in &self.columns {
            let _ = write!(out, "<th>{}</th>", html_escape(&c.name));
        }
        let _ = writeln!(out, "<th>{}</th></tr></thead>\n<tbody>", self.score_title());
        for r in &self.rows {
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td>",
                r.rank,
                html_escape(&r.user)
            );
            for cell in &r.cells {
                match cell {
                    Some((c, t)) => {
                        let _ = write!(out, "<td>{} / {}</td>", num(*c), num(*t));
                    }
                    None => out.push_str("<td>-</td>"),
                }
            }
            let _ = writeln!(out, "<td>{:.2}</td></tr>", r.score);
        }
        out.push_str("</tbody>\n</table>\n</html>\n");
        out
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gamification::model::GoalState;

    fn user(id: i64, name: &str) -> Participant {
        Participant {
            id,
            name: name.into(),
            login: name.to_lowercase(),
            partner_id: None,
            company_id: None,
        }
    }

    fn goal(id: i64, user: i64, line: i64, target: f64, current: f64) -> Goal {
        Goal {
            id,
            definition_id: line,
            user_id: user,
            line_id: Some(line),
            challenge_id: Some(4),
            start_date: None,
            end_date: None,
            target,
            current,
            state: GoalState::InProgress,
            closed: false,
        }
    }

    #[test]
    fn ties_at_full_completeness_go_to_the_better_value_as_in_odoo() {
        let cols = vec![Column {
            line_id: 5,
            name: "Total Invoiced".into(),
            condition: Condition::Higher,
        }];
        // All three reached the target (100 %); Odoo ranks them by current, descending.
        let goals = [
            goal(1, 1, 5, 20000.0, 30000.0),
            goal(2, 2, 5, 20000.0, 90000.0),
            goal(3, 3, 5, 20000.0, 60000.0),
        ];
        let users = [user(1, "Anna"), user(2, "Bao"), user(3, "Chen")];
        let board = build("Sales", "2026-11", cols, &goals, &users, Order::Odoo);
        let order: Vec<i64> = board.rows.iter().map(|r| r.user_id).collect();
        assert_eq!(order, [2, 3, 1]);
        assert_eq!(board.rows[0].rank, 1);
    }

    #[test]
    fn table_and_csv_show_each_line_and_the_ranking() {
        let cols = vec![
            Column {
                line_id: 6,
                name: "New Leads".into(),
                condition: Condition::Higher,
            },
            Column {
                line_id: 7,
                name: "Time to Qualify, days".into(),
                condition: Condition::Lower,
            },
        ];
        let goals = [
            goal(3, 2, 6, 7.0, 21.0),
            goal(4, 6, 6, 7.0, 8.0),
            goal(5, 2, 7, 15.0, 3.0),
            goal(6, 6, 7, 15.0, 16.0),
        ];
        let users = [user(6, "Marc Demo"), user(2, "Mitchell Admin")];
        let lb = build(
            "Lead Acquisition",
            "2026-11-01..2026-11-30",
            cols,
            &goals,
            &users,
            Order::Odoo,
        );
        assert_eq!(lb.rows[0].user, "Mitchell Admin");
        assert_eq!(lb.rows[0].score, 100.0);
        assert_eq!(lb.rows[1].score, 50.0);
        let table = lb.to_table();
        assert!(table.contains("1     Mitchell Admin  21/7"), "{table}");
        let html = lb.to_html();
        assert!(
            html.contains(
                "<tr><td>2</td><td>Marc Demo</td><td>8 / 7</td><td>16 / 15</td><td>50.00</td></tr>"
            ),
            "{html}"
        );
        assert!(html.contains("<th>Time to Qualify, days</th>"));
        let csv = lb.to_csv();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(
            lines[0],
            "rank,user_id,user,New Leads current,New Leads target,\"Time to Qualify, days current\",\"Time to Qualify, days target\",completeness %"
        );
        assert_eq!(lines[2], "2,6,Marc Demo,8,7,16,15,50.00");
    }

    /// Columns line up in a terminal whatever the script: a Chinese character takes two
    /// columns, a Vietnamese letter with two diacritics one.
    #[test]
    fn the_table_pads_names_by_display_width() {
        use unicode_width::UnicodeWidthStr;
        let cols = vec![Column {
            line_id: 6,
            name: "New Leads".into(),
            condition: Condition::Higher,
        }];
        let goals = [
            goal(1, 1, 6, 7.0, 9.0),
            goal(2, 2, 6, 7.0, 8.0),
            goal(3, 3, 6, 7.0, 7.0),
        ];
        let users = [
            user(1, "王伟"),
            user(2, "Nguyễn Thị Hồng"),
            user(3, "Дмитрий"),
        ];
        let table = build("Q", "2026-12", cols, &goals, &users, Order::Odoo).to_table();
        // Where each line's "New Leads" value starts, in terminal columns.
        let starts: Vec<usize> = ["9/7", "8/7", "7/7"]
            .iter()
            .map(|value| {
                let line = table.lines().find(|l| l.contains(value)).unwrap();
                line[..line.find(value).unwrap()].width()
            })
            .collect();
        assert!(
            starts.windows(2).all(|w| w[0] == w[1]),
            "{table}\n{starts:?}"
        );
    }
}

#[cfg(test)]
mod merge_tests {
    use super::*;
    use crate::gamification::model::GoalState;

    #[test]
    fn a_quarter_sums_the_months_per_user_and_line() {
        let g = |id, user, month: u32, current| Goal {
            id,
            definition_id: 1,
            user_id: user,
            line_id: Some(6),
            challenge_id: Some(4),
            start_date: chrono::NaiveDate::from_ymd_opt(2026, month, 1),
            end_date: chrono::NaiveDate::from_ymd_opt(2026, month, 28),
            target: 7.0,
            current,
            state: GoalState::Reached,
            closed: false,
        };
        let merged = merge_periods(&[
            g(5, 2, 10, 8.0),
            g(9, 2, 11, 21.0),
            g(3, 6, 11, 4.0),
            g(11, 2, 12, 1.0),
        ]);
        assert_eq!(merged.len(), 2);
        assert_eq!(
            (merged[0].id, merged[0].current, merged[0].target),
            (5, 30.0, 21.0)
        );
        assert_eq!(
            merged[0].start_date,
            chrono::NaiveDate::from_ymd_opt(2026, 10, 1)
        );
        assert_eq!(
            merged[0].end_date,
            chrono::NaiveDate::from_ymd_opt(2026, 12, 28)
        );
        assert_eq!((merged[1].current, merged[1].target), (4.0, 7.0));
    }
}
