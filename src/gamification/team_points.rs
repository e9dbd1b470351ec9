//! Team points (issue 16 item 4, mission S9: cooperation pays): when a sales team's records
//! of a period reach its target, every member of the team gets the same karma points, once
//! per team per period.
//!
//! "The team reached its target" is what Odoo's own sales team dashboard shows: the records
//! carrying the team (`team_id` of the invoice, the lead, the order: Odoo sets it from the
//! salesperson's team), counted or summed over the period, against a fixed target or the
//! team's own target field (`crm.team.invoiced_target`, Odoo's monthly "Invoicing Target").
//! So it is the team's result, not each member's: members who helped a colleague close share
//! the reward. Members are the team's `crm.team.member` rows; one who joined after the
//! period ended (membership created later) gets nothing for it.
//!
//! Each award is an ordinary karma [`Event`] whose rule names the team rule, the period and
//! the team (`<key>@<period>@<team id>`) and whose record is the member (`res.users/<id>`):
//! its entry key (`karma:rule=<key>@2026-11@1:rec=res.users/7:n=1`) makes a rerun, a retry
//! or a lost answer book nothing twice, like every karma entry. When the team's records no
//! longer reach the target (an invoice cancelled), the award is compensated by one
//! correcting entry; a member who left the team keeps what the team earned while they were
//! in it. Pure: the job reads, this decides.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{Datelike, NaiveDate};

use super::achievements::{Aggregate, Window};
use super::karma::Event;

/// A team rule as the engine needs it.
#[derive(Clone, Debug, PartialEq)]
pub struct TeamRule {
    pub key: String,
    pub name: String,
    pub points: i64,
    pub aggregate: Aggregate,
    pub window: Window,
    /// A fixed target; `None` = each team's own target (`Team::target`).
    pub target: Option<f64>,
}

/// A sales team in the rule's scope.
#[derive(Clone, Debug, PartialEq)]
pub struct Team {
    pub id: i64,
    pub name: String,
    /// The team's own target (read from the configured target field), when the rule uses it.
    pub target: Option<f64>,
    /// Members: user id, display name, the day their membership was created.
    pub members: Vec<(i64, String, NaiveDate)>,
}

/// One record of the rule's model: its team, its date, its value (1 for count).
#[derive(Clone, Debug, PartialEq)]
pub struct TeamFact {
    pub team_id: i64,
    pub date: NaiveDate,
    pub value: f64,
}

/// An award booked before, read back from its key: (period label, team id, user).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct BookedAward {
    pub period: String,
    pub team_id: i64,
    pub user_id: i64,
    /// The member's name, for a compensation's reason (may be empty).
    pub user_name: String,
}

/// The event rule of an award: `<key>@<period>@<team>` (rule keys hold no `@`).
pub fn event_rule(key: &str, period: &str, team_id: i64) -> String {
    format!("{key}@{period}@{team_id}")
}

/// (rule key, period, team) of an award's event rule; `None` for a point rule's key.
pub fn parse_event_rule(rule: &str) -> Option<(&str, &str, i64)> {
    let (key, rest) = rule.split_once('@')?;
    let (period, team) = rest.rsplit_once('@')?;
    Some((key, period, team.parse().ok()?))
}

/// The last day of the period holding `date`.
fn period_end(window: Window, date: NaiveDate) -> NaiveDate {
    let next_month = |y: i32, m: u32| {
        if m == 12 {
            NaiveDate::from_ymd_opt(y + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(y, m + 1, 1)
        }
    };
    let end = match window {
        Window::Once => None,
        Window::Daily => Some(date),
        Window::Weekly => date.checked_add_days(chrono::Days::new(
            6 - u64::from(date.weekday().num_days_from_monday()),
        )),
        Window::Monthly => next_month(date.year(), date.month()).and_then(|d| d.pred_opt()),
        Window::Yearly => NaiveDate::from_ymd_opt(date.year(), 12, 31),
    };
    end.unwrap_or(NaiveDate::MAX)
}

fn show(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v:.2}")
    }
}

/// The events of `rule`: for every (team, period) whose facts reach the target, one per
/// member who was in the team by the period's end, worth `rule.points`; for every award in
/// `booked` whose team no longer reaches it, one worth 0 (compensated by the karma engine);
/// awards still earned are reported again as they are (so nothing more is booked, even for
/// a member who has left the team since).
pub fn events(
    rule: &TeamRule,
    teams: &[Team],
    facts: &[TeamFact],
    booked: &[BookedAward],
) -> Vec<Event> {
    // (team, period) → (aggregate, the period's last day)
    let mut agg: BTreeMap<(i64, String), (f64, NaiveDate)> = BTreeMap::new();
    for f in facts {
        let Some(label) = rule.window.label(Some(f.date)) else {
            continue;
        };
        let slot = agg
            .entry((f.team_id, label))
            .or_insert((0.0, period_end(rule.window, f.date)));
        slot.0 += match rule.aggregate {
            Aggregate::Count => 1.0,
            Aggregate::Sum | Aggregate::Max => f.value,
        };
    }
    let by_id: HashMap<i64, &Team> = teams.iter().map(|t| (t.id, t)).collect();
    let what = match rule.aggregate {
        Aggregate::Count => "count",
        _ => "total",
    };
    let mut out = Vec::new();
    let mut emitted: BTreeSet<(String, i64, i64)> = BTreeSet::new();
    let mut reached: BTreeMap<(i64, String), String> = BTreeMap::new();
    for ((team_id, period), (value, end)) in &agg {
        let Some(team) = by_id.get(team_id) else {
            continue;
        };
        let Some(target) = rule.target.or(team.target).filter(|t| *t > 0.0) else {
            continue;
        };
        if *value < target {
            continue;
        }
        let rule_name = format!(
            "{}: {} reached {} in {period} ({what} {})",
            rule.name,
            team.name,
            show(target),
            show(*value)
        );
        reached.insert((*team_id, period.clone()), rule_name.clone());
        for (user, name, since) in &team.members {
            if since > end {
                continue;
            }
            emitted.insert((period.clone(), *team_id, *user));
            out.push(Event {
                rule: event_rule(&rule.key, period, *team_id),
                rule_name: rule_name.clone(),
                model: "res.users".into(),
                record_id: *user,
                record_name: name.clone(),
                user_id: *user,
                points: rule.points,
            });
        }
    }
    for b in booked {
        if emitted.contains(&(b.period.clone(), b.team_id, b.user_id)) {
            continue;
        }
        let still = reached.get(&(b.team_id, b.period.clone()));
        let team = by_id
            .get(&b.team_id)
            .map_or_else(|| format!("team {}", b.team_id), |t| t.name.clone());
        out.push(Event {
            rule: event_rule(&rule.key, &b.period, b.team_id),
            rule_name: still.cloned().unwrap_or_else(|| {
                format!(
                    "{}: {team} no longer reaches its target in {}",
                    rule.name, b.period
                )
            }),
            model: "res.users".into(),
            record_id: b.user_id,
            record_name: b.user_name.clone(),
            user_id: b.user_id,
            points: if still.is_some() { rule.points } else { 0 },
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn rule(target: Option<f64>) -> TeamRule {
        TeamRule {
            key: "team-target".into(),
            name: "Team target".into(),
            points: 25,
            aggregate: Aggregate::Sum,
            window: Window::Monthly,
            target,
        }
    }

    fn teams() -> Vec<Team> {
        vec![
            Team {
                id: 1,
                name: "Sales".into(),
                target: Some(250_000.0),
                members: vec![
                    (2, "Mitchell".into(), d(2026, 10, 1)),
                    (7, "Joel".into(), d(2026, 12, 1)),
                ],
            },
            Team {
                id: 5,
                name: "Pre-Sales".into(),
                target: Some(40_000.0),
                members: vec![(6, "Marc".into(), d(2026, 10, 1))],
            },
        ]
    }

    fn facts() -> Vec<TeamFact> {
        vec![
            TeamFact {
                team_id: 1,
                date: d(2026, 11, 3),
                value: 30_000.0,
            },
            TeamFact {
                team_id: 1,
                date: d(2026, 11, 30),
                value: 25_000.0,
            },
            TeamFact {
                team_id: 5,
                date: d(2026, 11, 10),
                value: 20_000.0,
            },
            TeamFact {
                team_id: 1,
                date: d(2026, 12, 1),
                value: 60_000.0,
            },
        ]
    }

    fn got(events: &[Event]) -> Vec<(String, i64, i64)> {
        events
            .iter()
            .map(|e| (e.rule.clone(), e.user_id, e.points))
            .collect()
    }

    #[test]
    fn a_team_reaching_a_fixed_target_pays_each_member_who_was_in_it() {
        // Sales: November 30,000 + 25,000 = 55,000 ≥ 50,000 → Mitchell 25 (Joel joined on
        // 1 December: not for November); December 60,000 → Mitchell and Joel. Pre-Sales:
        // 20,000 < 50,000 → nothing.
        let e = events(&rule(Some(50_000.0)), &teams(), &facts(), &[]);
        assert_eq!(
            got(&e),
            [
                ("team-target@2026-11@1".to_owned(), 2, 25),
                ("team-target@2026-12@1".to_owned(), 2, 25),
                ("team-target@2026-12@1".to_owned(), 7, 25),
            ]
        );
        assert_eq!(
            e[0].rule_name,
            "Team target: Sales reached 50000 in 2026-11 (total 55000)"
        );
        assert_eq!(
            parse_event_rule(&e[0].rule),
            Some(("team-target", "2026-11", 1))
        );
        assert_eq!(parse_event_rule("won-deal"), None);
    }

    #[test]
    fn each_team_can_use_its_own_target_and_lost_awards_are_compensated() {
        // Own targets: Sales 250,000 (never reached), Pre-Sales 40,000 (20,000: no).
        assert!(events(&rule(None), &teams(), &facts(), &[]).is_empty());
        // Booked for Sales in November, still reached (kept, even for a member who left),
        // and for Pre-Sales in November, no longer reached (worth 0 now).
        let booked = [
            BookedAward {
                period: "2026-11".into(),
                team_id: 1,
                user_id: 9,
                user_name: "Left".into(),
            },
            BookedAward {
                period: "2026-11".into(),
                team_id: 5,
                user_id: 6,
                user_name: "Marc".into(),
            },
        ];
        let e = events(&rule(Some(50_000.0)), &teams(), &facts(), &booked);
        let tail = got(&e[3..]);
        assert_eq!(
            tail,
            [
                ("team-target@2026-11@1".to_owned(), 9, 25),
                ("team-target@2026-11@5".to_owned(), 6, 0),
            ]
        );
        assert_eq!(
            e[4].rule_name,
            "Team target: Pre-Sales no longer reaches its target in 2026-11"
        );
    }

    #[test]
    fn periods_end_on_their_last_day() {
        assert_eq!(period_end(Window::Monthly, d(2026, 12, 5)), d(2026, 12, 31));
        assert_eq!(period_end(Window::Monthly, d(2026, 2, 5)), d(2026, 2, 28));
        // 2026-11-25 is a Wednesday: its ISO week ends on Sunday the 29th.
        assert_eq!(period_end(Window::Weekly, d(2026, 11, 25)), d(2026, 11, 29));
        assert_eq!(period_end(Window::Yearly, d(2026, 3, 1)), d(2026, 12, 31));
    }
}
