//! The trial run of the point rules (`plan points --since DATE [--until DATE]`): what each
//! person would have earned had the rules been in force over that history, the level it
//! would give them, and how far that is from what Odoo holds now. Pure: the job reads the
//! history, the entries already booked, the karma and the levels (Odoo's karma ranks).

use std::collections::BTreeMap;
use std::fmt;

use unicode_width::UnicodeWidthStr as _;

use super::karma::{Rank, rank_for};

/// One person's line.
#[derive(Clone, Debug, PartialEq)]
pub struct TrialLine {
    pub user_id: i64,
    pub name: String,
    /// Points the rules give over the history.
    pub trial: i64,
    /// Points the same rules have booked in Odoo so far (their entries' net gain).
    pub booked: i64,
    /// Karma in Odoo now.
    pub karma: i64,
    /// The level (karma rank) held now, and the one the trial gives: the karma now with the
    /// rules' bookings replaced by the trial's.
    pub level_now: Option<String>,
    pub level_trial: Option<String>,
}

impl TrialLine {
    /// What the trial would change in Odoo: trial points minus what is booked.
    pub fn difference(&self) -> i64 {
        self.trial - self.booked
    }
}

/// The whole trial.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Trial {
    pub since: String,
    pub until: String,
    /// People with points in the trial or booked, by descending trial points, then name.
    pub lines: Vec<TrialLine>,
    /// Rules that cannot be replayed on history (no date field), with the reason: not
    /// counted.
    pub not_replayed: Vec<String>,
}

/// The inputs, per user id.
pub struct TrialInput<'a> {
    pub trial: &'a BTreeMap<i64, i64>,
    pub booked: &'a BTreeMap<i64, i64>,
    pub karma: &'a BTreeMap<i64, i64>,
    pub names: &'a BTreeMap<i64, String>,
    pub ranks: &'a [Rank],
}

/// Puts the trial together.
pub fn trial(input: &TrialInput<'_>, since: &str, until: &str, not_replayed: Vec<String>) -> Trial {
    let mut users: Vec<i64> = input
        .trial
        .keys()
        .chain(input.booked.keys())
        .copied()
        .collect();
    users.sort_unstable();
    users.dedup();
    let mut lines: Vec<TrialLine> = users
        .into_iter()
        .map(|user| {
            let trial = input.trial.get(&user).copied().unwrap_or(0);
            let booked = input.booked.get(&user).copied().unwrap_or(0);
            let karma = input.karma.get(&user).copied().unwrap_or(0);
            let level = |k: i64| rank_for(k, input.ranks).map(|r| r.name.clone());
            TrialLine {
                user_id: user,
                name: input
                    .names
                    .get(&user)
                    .cloned()
                    .unwrap_or_else(|| format!("user {user}")),
                trial,
                booked,
                karma,
                level_now: level(karma),
                level_trial: level(karma - booked + trial),
            }
        })
        .collect();
    lines.sort_by(|a, b| b.trial.cmp(&a.trial).then_with(|| a.name.cmp(&b.name)));
    Trial {
        since: since.to_owned(),
        until: until.to_owned(),
        lines,
        not_replayed,
    }
}

impl fmt::Display for Trial {
    /// A table padded by display width, then the rules left out.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "trial run of the point rules over {}..{} (nothing is written)",
            self.since, self.until
        )?;
        let mut rows = vec![
            [
                "user",
                "trial",
                "booked",
                "difference",
                "karma",
                "level now",
                "level (trial)",
            ]
            .iter()
            .map(|s| (*s).to_owned())
            .collect::<Vec<_>>(),
        ];
        for l in &self.lines {
            rows.push(vec![
                l.name.clone(),
                l.trial.to_string(),
                l.booked.to_string(),
                format!("{:+}", l.difference()),
                l.karma.to_string(),
                l.level_now.clone().unwrap_or_else(|| "-".into()),
                l.level_trial.clone().unwrap_or_else(|| "-".into()),
            ]);
        }
        let widths: Vec<usize> = (0..rows[0].len())
            .map(|i| rows.iter().map(|r| r[i].width()).max().unwrap_or(0))
            .collect();
        for row in &rows {
            let cells: Vec<String> = row
                .iter()
                .zip(&widths)
                .map(|(c, w)| format!("{c}{}", " ".repeat(w.saturating_sub(c.width()))))
                .collect();
            writeln!(f, "{}", cells.join("  ").trim_end())?;
        }
        for r in &self.not_replayed {
            writeln!(f, "not replayed: {r}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_levels_and_differences_per_person() {
        let ranks = [
            Rank {
                id: 1,
                name: "Newbie".into(),
                karma_min: 1,
            },
            Rank {
                id: 2,
                name: "Student".into(),
                karma_min: 100,
            },
        ];
        let trial_points: BTreeMap<i64, i64> = [(2, 120), (6, 40)].into();
        let booked: BTreeMap<i64, i64> = [(2, 20), (9, 5)].into();
        let karma: BTreeMap<i64, i64> = [(2, 30), (6, 0), (9, 5)].into();
        let names: BTreeMap<i64, String> =
            [(2, "Mitchell Admin".into()), (6, "王伟".into())].into();
        let t = trial(
            &TrialInput {
                trial: &trial_points,
                booked: &booked,
                karma: &karma,
                names: &names,
                ranks: &ranks,
            },
            "2026-10-01",
            "2026-11-30",
            vec!["'Kudos' has no date_field".into()],
        );
        type Seen<'a> = (i64, i64, i64, Option<&'a str>, Option<&'a str>);
        let got: Vec<Seen<'_>> = t
            .lines
            .iter()
            .map(|l| {
                (
                    l.user_id,
                    l.trial,
                    l.difference(),
                    l.level_now.as_deref(),
                    l.level_trial.as_deref(),
                )
            })
            .collect();
        // 2: karma 30 − booked 20 + trial 120 = 130 → Student; 6: 40 → Newbie; 9 only booked.
        assert_eq!(
            got,
            [
                (2, 120, 100, Some("Newbie"), Some("Student")),
                (6, 40, 40, None, Some("Newbie")),
                (9, 0, -5, Some("Newbie"), None),
            ]
        );
        let text = t.to_string();
        assert!(
            text.contains("not replayed: 'Kudos' has no date_field"),
            "{text}"
        );
        assert!(text.contains("王伟"), "{text}");
    }
}
