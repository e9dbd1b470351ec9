//! The leaderboard of a challenge: one row per participant with each line's current/target
//! and the overall completeness, ranked; printed as a terminal table or CSV.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::fmt::Write as _;

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
pub fn build(
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
    rows.sort_by(|a, b| b.score.partial_cmp(&a.score).unwrap_or(Ordering::Equal));
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
                    .map(|row| row.get(i).map_or(0, |s| s.chars().count()))
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let mut out = format!("{} ({})\n", self.challenge, self.period);
        for row in std::iter::once(&header).chain(body.iter()) {
            let cells: Vec<String> = row
                .iter()
                .zip(&widths)
                .map(|(s, w)| format!("{s}{}", " ".repeat(w.saturating_sub(s.chars().count()))))
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
        let csv = lb.to_csv();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(
            lines[0],
            "rank,user_id,user,New Leads current,New Leads target,\"Time to Qualify, days current\",\"Time to Qualify, days target\",completeness %"
        );
        assert_eq!(lines[2], "2,6,Marc Demo,8,7,16,15,50.00");
    }
}
