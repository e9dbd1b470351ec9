//! The team view of a leaderboard: each sales team's mean score over its members, so teams of
//! different sizes compare fairly. Pure: the leaderboard and who is in which team go in.

use std::collections::{BTreeMap, HashMap};

use super::leaderboard::Leaderboard;

/// What people without a sales team are grouped under.
pub const NO_TEAM: &str = "No team";

/// One team's row.
#[derive(Clone, Debug, PartialEq)]
pub struct TeamRow {
    pub rank: usize,
    pub team: String,
    pub members: usize,
    /// The mean of the members' scores on the board, rounded to hundredths.
    pub score: f64,
}

/// The teams of `board`'s people (`team_of`: user id → team name), best mean score first,
/// ties by team name.
pub fn rank_teams(board: &Leaderboard, team_of: &HashMap<i64, String>) -> Vec<TeamRow> {
    let mut sums: BTreeMap<&str, (f64, usize)> = BTreeMap::new();
    for row in &board.rows {
        let team = team_of.get(&row.user_id).map_or(NO_TEAM, String::as_str);
        let entry = sums.entry(team).or_default();
        entry.0 += row.score;
        entry.1 += 1;
    }
    let mut out: Vec<TeamRow> = sums
        .into_iter()
        .map(|(team, (sum, n))| TeamRow {
            rank: 0,
            team: team.to_owned(),
            members: n,
            score: (sum / n as f64 * 100.0).round() / 100.0,
        })
        .collect();
    // Stable: equal scores keep the name order the map gave.
    out.sort_by(|a, b| b.score.total_cmp(&a.score));
    for (i, t) in out.iter_mut().enumerate() {
        t.rank = i + 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gamification::leaderboard::Row;
    use crate::gamification::ranking::Order;

    fn row(user_id: i64, score: f64) -> Row {
        Row {
            rank: 0,
            user_id,
            user: format!("u{user_id}"),
            cells: Vec::new(),
            score,
        }
    }

    #[test]
    fn teams_rank_by_their_members_mean_and_the_teamless_are_grouped() {
        let board = Leaderboard {
            challenge: "Sales".into(),
            period: "2026-12-01..2026-12-31".into(),
            columns: Vec::new(),
            rows: vec![row(1, 120.0), row(2, 40.0), row(3, 90.0), row(4, 50.0)],
            order: Order::Fair,
        };
        let team_of: HashMap<i64, String> = [
            (1, "Vietnam".to_owned()),
            (2, "Vietnam".to_owned()),
            (3, "Greater China".to_owned()),
        ]
        .into();
        let teams = rank_teams(&board, &team_of);
        let got: Vec<(usize, &str, usize, f64)> = teams
            .iter()
            .map(|t| (t.rank, t.team.as_str(), t.members, t.score))
            .collect();
        assert_eq!(
            got,
            [
                (1, "Greater China", 1, 90.0),
                (2, "Vietnam", 2, 80.0),
                (3, NO_TEAM, 1, 50.0)
            ]
        );
    }
}
