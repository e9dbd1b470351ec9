//! Recognition in Odoo (mission G4): a message when someone reaches a goal or is granted a
//! badge, posted once to a Discuss channel and/or the person's own chatter. Pure: the job
//! hands in what the run settled (goals after it, grants it plans) and the keys of the
//! messages Odoo already holds; out come the `mail.message` creates, each keyed by what it
//! recognises and where it goes, so a goal reached is announced once per period and place
//! however many runs see it reached (and again never, if it drops and is reached again).
//!
//! Goals are recognised from their state, not from the run that changed it: a message whose
//! post failed is planned again by the next run until Odoo holds it. Badges are recognised
//! by the run that grants them (a grant is made once).

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;

use super::model::{Goal, GoalState};
use crate::plan::{IdemKey, InvalidKey, Plan};
use crate::record::Value;

/// The model messages are created in.
pub const MESSAGE: &str = "mail.message";
/// Odoo 17+'s Discuss channels (`mail.channel` before 17).
pub const CHANNEL: &str = "discuss.channel";
/// The model of a person's own chatter: their contact.
pub const PARTNER: &str = "res.partner";

/// Something worth a message: who, what (as HTML and as plain text), and a stable key.
#[derive(Clone, Debug, PartialEq)]
pub struct Achievement {
    /// What is recognised, stable across runs (`goal:line=3:user=6:period=…`, a grant's key).
    pub key: String,
    pub user_id: i64,
    /// The message body (HTML: names escaped).
    pub html: String,
    /// The same in plain words, for the plan's reason.
    pub text: String,
}

/// What a goal reached is called in a message.
pub struct GoalNames<'a> {
    pub person: &'a str,
    pub goal: &'a str,
    pub challenge: &'a str,
}

/// Names are people's text: `&`, `<`, quotes are escaped (html-escape's quoted-attribute
/// set, safe in text and attributes alike).
fn escape(s: &str) -> String {
    html_escape::encode_quoted_attribute(s).into_owned()
}

/// A number as a person reads it: `12`, `12.5`.
fn amount(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x:.2}")
    }
}

/// A goal reached in the period that holds `today`, or `None` (not reached, closed, another
/// period). `key` is the goal's own key (line, user, period).
pub fn goal_reached(
    goal: &Goal,
    key: &IdemKey,
    names: &GoalNames<'_>,
    today: NaiveDate,
) -> Option<Achievement> {
    if goal.state != GoalState::Reached || goal.closed {
        return None;
    }
    let current =
        goal.start_date.is_none_or(|s| s <= today) && goal.end_date.is_none_or(|e| today <= e);
    if !current {
        return None;
    }
    let period = match (goal.start_date, goal.end_date) {
        (Some(s), Some(e)) => format!(" ({s}..{e})"),
        _ => String::new(),
    };
    let score = format!("{} / {}", amount(goal.current), amount(goal.target));
    Some(Achievement {
        key: key.as_str().to_owned(),
        user_id: goal.user_id,
        html: format!(
            "<p>🎯 <b>{}</b> reached <b>{}</b> in {}{period}: {score}.</p>",
            escape(names.person),
            escape(names.goal),
            escape(names.challenge),
        ),
        text: format!(
            "{} reached {} in {}{period}: {score}",
            names.person, names.goal, names.challenge
        ),
    })
}

/// A badge granted: `key` is the grant's key.
pub fn badge_granted(
    key: &IdemKey,
    user_id: i64,
    person: &str,
    badge: &str,
    challenge: &str,
) -> Achievement {
    Achievement {
        key: key.as_str().to_owned(),
        user_id,
        html: format!(
            "<p>🏅 <b>{}</b> earned the badge <b>{}</b> ({}).</p>",
            escape(person),
            escape(badge),
            escape(challenge)
        ),
        text: format!("{person} earned the badge {badge} ({challenge})"),
    }
}

/// Where messages go.
#[derive(Clone, Debug, Default)]
pub struct Places<'a> {
    /// The Discuss channel's id.
    pub channel: Option<i64>,
    /// Each person's contact (`res.users.partner_id`), when their chatter is posted to.
    pub chatter: Option<&'a HashMap<i64, i64>>,
}

/// The key of the message recognising `what` at `place` (`channel=4`, `chatter`).
pub fn message_key(what: &str, place: &str) -> Result<IdemKey, InvalidKey> {
    IdemKey::new(format!("recognition:{place}:{what}"))
}

/// Adds to `plan` one `mail.message` per achievement and place that Odoo does not hold yet
/// (`posted`: the keys it holds). The key goes into the message's `x_sk_key`; `author_id` is
/// left to Odoo (the bot's own contact), as `message_post` would.
pub fn plan_posts(
    plan: &mut Plan,
    achievements: &[Achievement],
    places: &Places<'_>,
    posted: &HashSet<IdemKey>,
    key_field: &str,
) -> Result<(), InvalidKey> {
    for a in achievements {
        let mut targets: Vec<(String, &str, i64)> = Vec::new();
        if let Some(channel) = places.channel {
            targets.push((format!("channel={channel}"), CHANNEL, channel));
        }
        if let Some(partner) = places.chatter.and_then(|p| p.get(&a.user_id)) {
            targets.push(("chatter".to_owned(), PARTNER, *partner));
        }
        for (place, model, res_id) in targets {
            let key = message_key(&a.key, &place)?;
            if posted.contains(&key) {
                continue;
            }
            plan.push_create(
                MESSAGE,
                vec![
                    ("model".into(), Value::Str(model.to_owned())),
                    ("res_id".into(), Value::Int(res_id)),
                    ("message_type".into(), Value::Str("comment".into())),
                    ("body".into(), Value::Str(a.html.clone())),
                    (key_field.to_owned(), Value::Str(key.as_str().to_owned())),
                ],
                key,
                format!("recognition: {}", a.text),
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::ChangeRef;

    fn goal(state: GoalState, current: f64) -> Goal {
        Goal {
            id: 40,
            definition_id: 2,
            user_id: 6,
            line_id: Some(3),
            challenge_id: Some(1),
            start_date: NaiveDate::from_ymd_opt(2026, 11, 1),
            end_date: NaiveDate::from_ymd_opt(2026, 11, 30),
            target: 10.0,
            current,
            state,
            closed: false,
        }
    }

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, d).unwrap_or_default()
    }

    const NAMES: GoalNames<'static> = GoalNames {
        person: "Nguyễn <Thị> Hồng",
        goal: "Leads won",
        challenge: "Monthly Sales Targets",
    };

    #[test]
    fn only_a_goal_reached_in_its_current_period_is_recognised() {
        let key = IdemKey::new("goal:line=3:user=6:period=2026-11-01..2026-11-30").unwrap();
        let a = goal_reached(&goal(GoalState::Reached, 12.0), &key, &NAMES, day(20)).unwrap();
        assert_eq!(
            a.html,
            "<p>🎯 <b>Nguyễn &lt;Thị&gt; Hồng</b> reached <b>Leads won</b> in Monthly Sales \
             Targets (2026-11-01..2026-11-30): 12 / 10.</p>"
        );
        assert_eq!(a.user_id, 6);
        assert!(goal_reached(&goal(GoalState::InProgress, 9.0), &key, &NAMES, day(20)).is_none());
        let december = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap_or_default();
        assert!(goal_reached(&goal(GoalState::Reached, 12.0), &key, &NAMES, december).is_none());
        let mut closed = goal(GoalState::Reached, 12.0);
        closed.closed = true;
        assert!(goal_reached(&closed, &key, &NAMES, day(20)).is_none());
    }

    #[test]
    fn one_message_per_place_and_none_where_odoo_holds_it() {
        let key = IdemKey::new("badge:challenge=1:user=6:badge=5:period=2026-11").unwrap();
        let a = badge_granted(&key, 6, "王伟", "Top seller", "Monthly Sales Targets");
        let partners = HashMap::from([(6, 16)]);
        let places = Places {
            channel: Some(4),
            chatter: Some(&partners),
        };
        let mut plan = Plan::new("gamification");
        plan_posts(
            &mut plan,
            std::slice::from_ref(&a),
            &places,
            &HashSet::new(),
            "x_sk_key",
        )
        .unwrap();
        let creates: Vec<(String, Vec<(String, Value)>)> = plan
            .iter()
            .filter_map(|c| match c {
                ChangeRef::Create { key, values, .. } => {
                    Some((key.as_str().to_owned(), values.to_vec()))
                }
                _ => None,
            })
            .collect();
        assert_eq!(creates.len(), 2);
        assert_eq!(
            creates[0].0,
            "recognition:channel=4:badge:challenge=1:user=6:badge=5:period=2026-11"
        );
        assert_eq!(
            creates[0].1[..2],
            [
                ("model".to_owned(), Value::Str("discuss.channel".into())),
                ("res_id".to_owned(), Value::Int(4)),
            ]
        );
        assert_eq!(
            creates[1].1[..2],
            [
                ("model".to_owned(), Value::Str("res.partner".into())),
                ("res_id".to_owned(), Value::Int(16)),
            ]
        );
        // Odoo holds the channel's message already: only the chatter one is left.
        let posted = HashSet::from([IdemKey::new(creates[0].0.clone()).unwrap()]);
        let mut again = Plan::new("gamification");
        plan_posts(&mut again, &[a], &places, &posted, "x_sk_key").unwrap();
        assert_eq!(again.create_count(), 1);
    }
}
