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

/// What one challenge's leaderboard is built from, read once: ranked in any [`Order`] (and
/// by team) without asking Odoo again.
#[derive(Clone, Debug)]
pub struct BoardInputs {
    pub challenge_id: i64,
    pub name: String,
    /// The current period, `2026-12-01..2026-12-31`.
    pub period: String,
    columns: Vec<Column>,
    /// The goals of the current period.
    goals: Vec<crate::gamification::Goal>,
    participants: Vec<crate::gamification::Participant>,
}

impl BoardInputs {
    /// The ranked leaderboard.
    pub fn rank(&self, order: Order) -> Leaderboard {
        leaderboard::build(
            &self.name,
            &self.period,
            self.columns.clone(),
            &self.goals,
            &self.participants,
            order,
        )
    }

    /// Everyone on the board.
    pub fn user_ids(&self) -> BTreeSet<i64> {
        self.goals.iter().map(|g| g.user_id).collect()
    }
}

/// The inputs of `challenges`' leaderboards for the periods holding `today`, in one pass:
/// lines, definitions, goals and users are each read once for all of them.
async fn inputs_of(
    client: &OdooClient,
    challenges: Vec<Challenge>,
    today: NaiveDate,
) -> Result<Vec<BoardInputs>, GamificationError> {
    if challenges.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = challenges.iter().map(|c| c.id).collect();
    let (lines, defs) = read::lines_and_definitions(client, &ids).await?;
    let goals = read::goals(client, &challenges, today).await?;
    let mut current: HashMap<i64, Vec<_>> = HashMap::new();
    for c in &challenges {
        let bounds: Bounds = challenge_bounds(c, today);
        current.insert(
            c.id,
            goals
                .iter()
                .filter(|g| {
                    g.challenge_id == Some(c.id)
                        && g.start_date == bounds.start
                        && g.end_date == bounds.end
                })
                .cloned()
                .collect(),
        );
    }
    let users: BTreeSet<i64> = current.values().flatten().map(|g| g.user_id).collect();
    let (_, people) = read::participants(client, &[], &users, HashMap::new()).await?;
    let mut out = Vec::new();
    for c in challenges {
        let goals = current.remove(&c.id).unwrap_or_default();
        let mine: BTreeSet<i64> = goals.iter().map(|g| g.user_id).collect();
        let participants = people
            .iter()
            .filter(|(id, _)| mine.contains(id))
            .map(|(_, (p, _))| p.clone())
            .collect();
        let lines_of = lines
            .iter()
            .filter(|l| l.challenge_id == c.id)
            .cloned()
            .collect();
        out.push(BoardInputs {
            challenge_id: c.id,
            period: challenge_bounds(&c, today).label(),
            name: c.name,
            columns: columns_of(lines_of, &defs),
            goals,
            participants,
        });
    }
    Ok(out)
}

/// The leaderboard of one challenge (by id or exact name) for the current period of `today`.
pub async fn leaderboard(
    client: &OdooClient,
    challenge: &str,
    today: NaiveDate,
    order: Order,
) -> Result<Leaderboard, GamificationError> {
    let (_, c) = find_challenge(client, challenge, today).await?;
    let inputs = inputs_of(client, vec![c], today).await?;
    match inputs.first() {
        Some(i) => Ok(i.rank(order)),
        None => Err(GamificationError::NoChallenge(challenge.to_string())),
    }
}

/// The leaderboards of every challenge running on `today` (in progress, or a draft whose start
/// date has come), ordered by name: what the daemon's board pages show.
pub async fn boards(
    client: &OdooClient,
    today: NaiveDate,
) -> Result<Vec<BoardInputs>, GamificationError> {
    let mut challenges = read::challenges(client, today, &[], None).await?.challenges;
    challenges.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
    inputs_of(client, challenges, today).await
}

/// Each user's sales team (`crm.team.member`, their first active membership by id, as Odoo's
/// `res.users.sale_team_id`), by user id: the board's team view.
pub async fn teams_of(
    client: &OdooClient,
    users: &BTreeSet<i64>,
) -> Result<HashMap<i64, String>, GamificationError> {
    const MODEL: &str = "crm.team.member";
    if users.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = client
        .search_read_all(
            MODEL,
            vec![crate::odoo::leaf(
                "user_id",
                "in",
                xmlrpc::Value::Array(users.iter().map(|&u| xmlrpc::Value::Int(u)).collect()),
            )],
            &["user_id", "crm_team_id"],
        )
        .await?;
    let mut firsts: Vec<(i64, i64, String)> = Vec::new();
    for r in &rows {
        let row = crate::odoo::Row::new(MODEL, r);
        let (Some(user), Some((_, team))) = (row.m2o_id("user_id")?, row.many2one("crm_team_id")?)
        else {
            continue;
        };
        firsts.push((row.id()?, user, team));
    }
    firsts.sort_by_key(|(id, _, _)| *id);
    let mut out = HashMap::new();
    for (_, user, team) in firsts {
        out.entry(user).or_insert(team);
    }
    Ok(out)
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
