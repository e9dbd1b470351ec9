//! Customer satisfaction from Odoo's own ratings (`rating.rating`, the Rating app's model
//! that helpdesk, project and live chat fill), for satisfaction coefficients that name no
//! field of their own.
//!
//! Whose ratings: a rating's `rated_partner_id` is the rated operator's partner (Odoo sets it
//! from the rated record's responsible user), so a person's ratings are those rating their
//! partner; a sales-team leader (`crm.team.user_id`) is judged on their team: their own
//! ratings and those of the team's members (`crm.team.member`), as the mission's managers are
//! (P1). Which ratings: submitted ones (`consumed`) with a value (`rating >= 1`: Odoo's own
//! statistics ignore 0, "not rated"), placed in a period by `create_date`, the date Odoo's
//! screens call "Submitted on" (UTC day boundaries). The value is the average over all of
//! them (a sum and a count per rated partner, one `read_group`), so a team's average weighs
//! every rating once, not every member.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Days, NaiveDate};

use crate::odoo::{OdooClient, Row, leaf};
use crate::pay::Period;
use crate::pay::coefficient::KpiValues;
use crate::record::datetime;
use crate::xmlrpc::Value as X;

use super::PayJobError;

const RATING: &str = "rating.rating";

fn ids(list: impl IntoIterator<Item = i64>) -> X {
    X::Array(list.into_iter().map(X::Int).collect())
}

fn date(x: NaiveDate) -> X {
    X::from(datetime::format_date(x))
}

/// Each person's rated users: themselves, and the members of the sales teams they lead.
async fn rated_users(
    client: &OdooClient,
    persons: &BTreeSet<i64>,
) -> Result<BTreeMap<i64, BTreeSet<i64>>, PayJobError> {
    let mut out: BTreeMap<i64, BTreeSet<i64>> =
        persons.iter().map(|&p| (p, BTreeSet::from([p]))).collect();
    let teams = client
        .search_read_all(
            "crm.team",
            vec![leaf("user_id", "in", ids(persons.iter().copied()))],
            &["user_id"],
        )
        .await?;
    let mut leader_of: BTreeMap<i64, i64> = BTreeMap::new();
    for t in &teams {
        let row = Row::new("crm.team", t);
        if let Some(leader) = row.m2o_id("user_id")? {
            leader_of.insert(row.id()?, leader);
        }
    }
    if leader_of.is_empty() {
        return Ok(out);
    }
    let members = client
        .search_read_all(
            "crm.team.member",
            vec![leaf("crm_team_id", "in", ids(leader_of.keys().copied()))],
            &["crm_team_id", "user_id"],
        )
        .await?;
    for m in &members {
        let row = Row::new("crm.team.member", m);
        let (Some(team), Some(user)) = (row.m2o_id("crm_team_id")?, row.m2o_id("user_id")?) else {
            continue;
        };
        if let Some(set) = leader_of.get(&team).and_then(|l| out.get_mut(l)) {
            set.insert(user);
        }
    }
    Ok(out)
}

/// The average submitted rating of each of `persons` (millionths) in `period`, under every
/// key of `keys` (the coefficients reading Odoo's ratings). A person with no rating gets no
/// value, which the engine reads as "no ratings: × 1".
pub(super) async fn ratings(
    client: &OdooClient,
    keys: &[String],
    persons: &BTreeSet<i64>,
    period: Period,
) -> Result<KpiValues, PayJobError> {
    let mut out = KpiValues::new();
    if keys.is_empty() || persons.is_empty() {
        return Ok(out);
    }
    let rated = rated_users(client, persons).await?;
    let everyone: BTreeSet<i64> = rated.values().flatten().copied().collect();
    let users = client
        .read(
            "res.users",
            &everyone.iter().copied().collect::<Vec<_>>(),
            &["partner_id"],
        )
        .await?;
    let mut partner_of: BTreeMap<i64, i64> = BTreeMap::new();
    for u in &users {
        let row = Row::new("res.users", u);
        if let Some(p) = row.m2o_id("partner_id")? {
            partner_of.insert(row.id()?, p);
        }
    }
    let groups = client
        .read_group(
            RATING,
            vec![
                leaf("consumed", "=", true),
                leaf("rating", ">=", 1),
                leaf("rated_partner_id", "in", ids(partner_of.values().copied())),
                leaf("create_date", ">=", date(period.start())),
                leaf("create_date", "<", date(period.end() + Days::new(1))),
            ],
            &["rating:sum"],
            &["rated_partner_id"],
            false,
        )
        .await?;
    // Rated partner → (sum of ratings, how many).
    let mut by_partner: BTreeMap<i64, (f64, i64)> = BTreeMap::new();
    for g in &groups {
        let row = Row::new(RATING, g);
        let Some(partner) = row.m2o_id("rated_partner_id")? else {
            continue;
        };
        let count = row.int("__count")?;
        by_partner.insert(partner, (row.float("rating")?, count));
    }
    for (person, users) in &rated {
        let (sum, count) = users
            .iter()
            .filter_map(|u| partner_of.get(u))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .filter_map(|p| by_partner.get(p))
            .fold((0.0, 0), |(s, n), (gs, gn)| (s + gs, n + gn));
        if count == 0 {
            continue;
        }
        #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation)]
        let millionths = (sum * 1_000_000.0 / count as f64).round() as i64;
        for key in keys {
            out.insert((key.clone(), *person), millionths);
        }
    }
    Ok(out)
}
