//! Leaderboards and ranking reports of one challenge, read from Odoo and ranked by the pure
//! `gamification::leaderboard`: what `scorekeeper leaderboard` and `report` print.

use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDate;

use crate::gamification::leaderboard::{self, Column, Leaderboard};
use crate::gamification::model::{Challenge, Definition, Line};
use crate::gamification::period::{Bounds, challenge_bounds};
use crate::gamification::ranking::Order;
use crate::odoo::OdooClient;
use crate::xmlrpc;

use super::GamificationError;
use super::read;

/// A leaderboard's columns: the challenge's lines in Odoo's order (`sequence, id`), named after
/// their goal definitions.
fn columns_of(mut lines: Vec<Line>, defs: &HashMap<i64, Definition>) -> Vec<Column> {
    lines.sort_by_key(|l| (l.sequence, l.id));
    lines
        .iter()
        .map(|l| Column {
            line_id: l.id,
            name: defs
                .get(&l.definition_id)
                .map_or_else(|| format!("line {}", l.id), |d| d.name.clone()),
            condition: defs
                .get(&l.definition_id)
                .map_or(crate::gamification::Condition::Higher, |d| d.condition),
        })
        .collect()
}

/// One challenge by id or exact name, read as of `today` (a draft is read as if started, so
/// its leaderboard can be shown before the first run starts it).
async fn find_challenge(
    client: &OdooClient,
    challenge: &str,
    today: NaiveDate,
) -> Result<(i64, Challenge), GamificationError> {
    let leaf = match challenge.parse::<i64>() {
        Ok(id) => crate::odoo::leaf("id", "=", xmlrpc::Value::Int(id)),
        Err(_) => crate::odoo::leaf("name", "=", challenge),
    };
    let ids = client
        .search("gamification.challenge", vec![leaf], &Default::default())
        .await?;
    let Some(&id) = ids.first() else {
        return Err(GamificationError::NoChallenge(challenge.to_string()));
    };
    let challenges = read::challenges(client, today, &[id], Some(&[id]))
        .await?
        .challenges;
    match challenges.into_iter().next() {
        Some(c) => Ok((id, c)),
        None => Err(GamificationError::NoChallenge(challenge.to_string())),
    }
}

/// The leaderboard of one challenge (by id or exact name) for the current period of `today`.
pub async fn leaderboard(
    client: &OdooClient,
    challenge: &str,
    today: NaiveDate,
    order: Order,
) -> Result<Leaderboard, GamificationError> {
    let (id, c) = find_challenge(client, challenge, today).await?;
    let (lines, defs) = read::lines_and_definitions(client, &[id]).await?;
    let goals = read::goals(client, std::slice::from_ref(&c), today).await?;
    let bounds: Bounds = challenge_bounds(&c, today);
    let current: Vec<_> = goals
        .into_iter()
        .filter(|g| g.start_date == bounds.start && g.end_date == bounds.end)
        .collect();
    let users: BTreeSet<i64> = current.iter().map(|g| g.user_id).collect();
    let (_, people) = read::participants(client, &[], &users, HashMap::new()).await?;
    let columns = columns_of(lines, &defs);
    let participants: Vec<_> = people.into_values().map(|(p, _)| p).collect();
    Ok(leaderboard::build(
        &c.name,
        &bounds.label(),
        columns,
        &current,
        &participants,
        order,
    ))
}

/// The ranking report of one challenge over `from..=to` (a month, a quarter): every goal
/// whose period lies inside, summed per user and line, ranked. Write it with
/// [`Leaderboard::to_csv`] or [`Leaderboard::to_html`].
pub async fn ranking_report(
    client: &OdooClient,
    challenge: &str,
    from: NaiveDate,
    to: NaiveDate,
    order: Order,
) -> Result<Leaderboard, GamificationError> {
    let today = to;
    let (id, c) = find_challenge(client, challenge, today).await?;
    let (lines, defs) = read::lines_and_definitions(client, &[id]).await?;
    let goals = read::goals_between(client, id, from, to).await?;
    let merged = leaderboard::merge_periods(&goals);
    let users: BTreeSet<i64> = merged.iter().map(|g| g.user_id).collect();
    let (_, people) = read::participants(client, &[], &users, HashMap::new()).await?;
    let columns = columns_of(lines, &defs);
    let participants: Vec<_> = people.into_values().map(|(p, _)| p).collect();
    Ok(leaderboard::build(
        &c.name,
        &format!("{from}..{to}"),
        columns,
        &merged,
        &participants,
        order,
    ))
}
