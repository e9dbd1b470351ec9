//! Achievement badges (issue 16 item 3): a badge rule is a condition over records per person
//! — the records of a model matching a domain, credited by a user field, aggregated (count,
//! sum or max of a field) over a period — and a threshold. Reaching it grants the badge once
//! (`period = "once"`: ever) or once per period (calendar day, ISO week Monday–Sunday,
//! calendar month or year of the record's date). With `team = true` the badge goes to every
//! member of a sales team whose members *all* reached the threshold in the period. Badges
//! people give each other in Odoo (`gamification.badge.user`) are records like any other: a
//! rule over that model counts them.
//!
//! Every grant's key names the rule, the person and the period
//! (`achv:rule=<key>:user=<id>:period=<label>`), so a rule is rewarded once per period
//! whatever retries or reruns happen. Pure: the job reads the records, this decides.

use std::collections::{BTreeMap, HashSet};

use chrono::{Datelike, NaiveDate};

use crate::plan::{IdemKey, InvalidKey};

/// How a rule aggregates a person's records in a period.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Aggregate {
    Count,
    Sum,
    Max,
}

impl Aggregate {
    pub fn as_str(self) -> &'static str {
        match self {
            Aggregate::Count => "count",
            Aggregate::Sum => "sum",
            Aggregate::Max => "max",
        }
    }
}

/// The window a rule's threshold is reached in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Window {
    /// All records ever: the badge is granted once.
    Once,
    Daily,
    Weekly,
    Monthly,
    Yearly,
}

impl Window {
    /// The label of the period holding `date` (`None` = undated record: only `Once` counts
    /// it).
    pub fn label(self, date: Option<NaiveDate>) -> Option<String> {
        match (self, date) {
            (Window::Once, _) => Some("ever".into()),
            (_, None) => None,
            (Window::Daily, Some(d)) => Some(d.to_string()),
            (Window::Weekly, Some(d)) => {
                let w = d.iso_week();
                Some(format!("{}-W{:02}", w.year(), w.week()))
            }
            (Window::Monthly, Some(d)) => Some(format!("{}-{:02}", d.year(), d.month())),
            (Window::Yearly, Some(d)) => Some(d.year().to_string()),
        }
    }
}

/// A badge rule as the engine needs it.
#[derive(Clone, Debug, PartialEq)]
pub struct BadgeRule {
    pub key: String,
    pub name: String,
    pub badge_id: i64,
    pub aggregate: Aggregate,
    /// The field aggregated (sum, max), for the comment.
    pub field: Option<String>,
    pub threshold: f64,
    pub window: Window,
    /// Sales teams (name, members) when the rule rewards whole teams.
    pub teams: Option<Vec<(String, Vec<i64>)>>,
}

/// One record matching the rule: who it is credited to, its date, its value (1 for count).
#[derive(Clone, Debug, PartialEq)]
pub struct Fact {
    pub user_id: i64,
    pub date: Option<NaiveDate>,
    pub value: f64,
}

/// A badge to grant for an achievement.
#[derive(Clone, Debug, PartialEq)]
pub struct AchievementGrant {
    pub user_id: i64,
    pub badge_id: i64,
    pub key: IdemKey,
    /// The grant's `comment`.
    pub comment: String,
}

pub fn grant_key(rule: &str, user: i64, period: &str) -> Result<IdemKey, InvalidKey> {
    IdemKey::new(format!("achv:rule={rule}:user={user}:period={period}"))
}

fn show(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v:.2}")
    }
}

/// The grants `facts` earn under `rule`, leaving out keys in `held`, in (period, user) order.
pub fn decide(
    rule: &BadgeRule,
    facts: &[Fact],
    held: &HashSet<IdemKey>,
) -> Result<Vec<AchievementGrant>, InvalidKey> {
    // (period, user) → aggregate
    let mut agg: BTreeMap<(String, i64), f64> = BTreeMap::new();
    for f in facts {
        let Some(period) = rule.window.label(f.date) else {
            continue;
        };
        let slot = agg
            .entry((period, f.user_id))
            .or_insert(match rule.aggregate {
                Aggregate::Max => f64::NEG_INFINITY,
                _ => 0.0,
            });
        *slot = match rule.aggregate {
            Aggregate::Count => *slot + 1.0,
            Aggregate::Sum => *slot + f.value,
            Aggregate::Max => slot.max(f.value),
        };
    }
    let what = match (&rule.field, rule.aggregate) {
        (_, Aggregate::Count) => "count".to_owned(),
        (Some(f), a) => format!("{} of {f}", a.as_str()),
        (None, a) => a.as_str().to_owned(),
    };
    let when = |period: &str| {
        if period == "ever" {
            String::new()
        } else {
            format!(" in {period}")
        }
    };
    let mut out = Vec::new();
    let mut push = |user: i64, period: &str, comment: String| -> Result<(), InvalidKey> {
        let key = grant_key(&rule.key, user, period)?;
        if !held.contains(&key) {
            out.push(AchievementGrant {
                user_id: user,
                badge_id: rule.badge_id,
                key,
                comment,
            });
        }
        Ok(())
    };
    match &rule.teams {
        None => {
            for ((period, user), value) in &agg {
                if *value >= rule.threshold {
                    push(
                        *user,
                        period,
                        format!(
                            "{}: {what} {} reached {}{}",
                            rule.name,
                            show(*value),
                            show(rule.threshold),
                            when(period)
                        ),
                    )?;
                }
            }
        }
        Some(teams) => {
            let periods: std::collections::BTreeSet<&String> = agg.keys().map(|(p, _)| p).collect();
            for period in periods {
                for (team, members) in teams {
                    let reached = !members.is_empty()
                        && members.iter().all(|m| {
                            agg.get(&(period.clone(), *m))
                                .is_some_and(|v| *v >= rule.threshold)
                        });
                    if !reached {
                        continue;
                    }
                    for m in members {
                        push(
                            *m,
                            period,
                            format!(
                                "{}: every member of {team} reached {} ({what}){}",
                                rule.name,
                                show(rule.threshold),
                                when(period)
                            ),
                        )?;
                    }
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(m: u32, d: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(2026, m, d)
    }

    fn fact(user_id: i64, date: Option<NaiveDate>, value: f64) -> Fact {
        Fact {
            user_id,
            date,
            value,
        }
    }

    fn rule(aggregate: Aggregate, threshold: f64, window: Window) -> BadgeRule {
        BadgeRule {
            key: "r".into(),
            name: "Rule".into(),
            badge_id: 9,
            aggregate,
            field: Some("expected_revenue".into()),
            threshold,
            window,
            teams: None,
        }
    }

    #[test]
    fn first_deal_over_ten_thousand_is_granted_once() {
        let r = BadgeRule {
            name: "First deal over 10,000".into(),
            ..rule(Aggregate::Max, 10_000.0, Window::Once)
        };
        let facts = [
            fact(7, day(3, 1), 9_999.0),
            fact(7, day(5, 1), 12_500.0),
            fact(7, day(6, 1), 30_000.0),
            fact(8, day(6, 1), 8_000.0),
        ];
        let got = decide(&r, &facts, &HashSet::new()).unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].key.as_str(), "achv:rule=r:user=7:period=ever");
        assert_eq!(
            got[0].comment,
            "First deal over 10,000: max of expected_revenue 30000 reached 10000"
        );
        let held: HashSet<IdemKey> = got.into_iter().map(|g| g.key).collect();
        assert!(decide(&r, &facts, &held).unwrap().is_empty());
    }

    #[test]
    fn ten_appointments_in_a_week_counts_iso_weeks() {
        let r = rule(Aggregate::Count, 10.0, Window::Weekly);
        // 2026-11-16 is a Monday (ISO week 47): ten that week, nine the next (W48).
        let mut facts: Vec<Fact> = (16..=20)
            .flat_map(|d| [fact(7, day(11, d), 1.0), fact(7, day(11, d), 1.0)])
            .collect();
        facts.extend((23..=27).map(|d| fact(7, day(11, d), 1.0)));
        facts.extend((23..=26).map(|d| fact(7, day(11, d), 1.0)));
        facts.push(fact(7, None, 1.0));
        let got = decide(&r, &facts, &HashSet::new()).unwrap();
        assert_eq!(
            got.iter().map(|g| g.key.as_str()).collect::<Vec<_>>(),
            ["achv:rule=r:user=7:period=2026-W47"]
        );
        assert_eq!(got[0].comment, "Rule: count 10 reached 10 in 2026-W47");
    }

    #[test]
    fn a_team_badge_needs_every_member() {
        let r = BadgeRule {
            teams: Some(vec![
                ("Sales".into(), vec![2, 3]),
                ("Pre-Sales".into(), vec![6, 7]),
            ]),
            ..rule(Aggregate::Sum, 100.0, Window::Monthly)
        };
        let facts = [
            fact(2, day(11, 2), 60.0),
            fact(2, day(11, 3), 50.0),
            fact(3, day(11, 4), 100.0),
            fact(6, day(11, 5), 500.0),
            fact(7, day(11, 5), 99.0),
        ];
        let got = decide(&r, &facts, &HashSet::new()).unwrap();
        assert_eq!(
            got.iter()
                .map(|g| (g.user_id, g.key.as_str()))
                .collect::<Vec<_>>(),
            [
                (2, "achv:rule=r:user=2:period=2026-11"),
                (3, "achv:rule=r:user=3:period=2026-11")
            ]
        );
        assert_eq!(
            got[0].comment,
            "Rule: every member of Sales reached 100 (sum of expected_revenue) in 2026-11"
        );
    }
}
