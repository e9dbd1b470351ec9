//! From matched rules to a score: decayed contributions summed in rule order, cap groups
//! clamped, the total rounded half away from zero, and the band that score falls in.

use std::fmt;

use chrono::NaiveDateTime;

use super::model::Scoring;

/// What one matched rule contributed.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Contribution {
    pub rule: usize,
    pub points: i64,
    /// After decay (equals `points` without decay).
    pub value: f64,
    /// Age in days used for decay, when the rule decays and the date was known.
    pub age_days: Option<f64>,
}

/// A cap group that clamped the sum of its rules' contributions.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Clamp {
    /// Index into `Scoring::caps`.
    pub cap: usize,
    pub before: f64,
    pub after: f64,
}

/// A lead's score with its explanation.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Scored {
    pub score: i64,
    pub contributions: Vec<Contribution>,
    /// The cap groups that clamped.
    pub clamped: Vec<Clamp>,
    /// Index into `Scoring::bands`.
    pub band: Option<usize>,
}

/// Rounds half away from zero (2.5 → 3, −2.5 → −3), saturating at the `i64` range.
pub(crate) fn round_half_away(x: f64) -> i64 {
    if x.is_nan() {
        return 0;
    }
    x.round() as i64
}

impl Scoring {
    /// Scores one lead. `matched` yields indices of the rules it matched, in any order;
    /// `date` gives the value of a decay field (`None` when empty); `now` is the run's clock.
    pub(crate) fn score(
        &self,
        matched: impl IntoIterator<Item = usize>,
        date: impl Fn(&str) -> Option<NaiveDateTime>,
        now: NaiveDateTime,
    ) -> Scored {
        let mut rules: Vec<usize> = matched
            .into_iter()
            .filter(|&r| r < self.rules.len())
            .collect();
        rules.sort_unstable();
        rules.dedup();
        let mut contributions = Vec::with_capacity(rules.len());
        for r in rules {
            let rule = &self.rules[r];
            let mut value = rule.points as f64;
            let mut age_days = None;
            if let Some(decay) = &rule.decay
                && let Some(at) = date(&decay.field)
            {
                let age = (now - at).num_seconds() as f64 / 86_400.0;
                if age > 0.0 && decay.half_life_days > 0.0 {
                    value *= 0.5f64.powf(age / decay.half_life_days);
                }
                age_days = Some(age.max(0.0));
            }
            contributions.push(Contribution {
                rule: r,
                points: rule.points,
                value,
                age_days,
            });
        }
        let mut total = 0.0;
        let mut groups = vec![0.0f64; self.caps.len()];
        for c in &contributions {
            match self.rules[c.rule].cap {
                Some(g) if g < groups.len() => groups[g] += c.value,
                _ => total += c.value,
            }
        }
        let mut clamped = Vec::new();
        for (g, (cap, sum)) in self.caps.iter().zip(groups).enumerate() {
            let mut kept = sum;
            if let Some(max) = cap.max {
                kept = kept.min(max as f64);
            }
            if let Some(min) = cap.min {
                kept = kept.max(min as f64);
            }
            if kept != sum {
                clamped.push(Clamp {
                    cap: g,
                    before: sum,
                    after: kept,
                });
            }
            total += kept;
        }
        let score = round_half_away(total);
        let band = self.bands.iter().position(|b| score >= b.min_score);
        Scored {
            score,
            contributions,
            clamped,
            band,
        }
    }

    /// The explanation of `scored` as text lines (for `explain`).
    pub(crate) fn explain<'a>(&'a self, scored: &'a Scored) -> Explained<'a> {
        Explained {
            scoring: self,
            scored,
        }
    }
}

/// Display adapter: a score breakdown, one line per matched rule.
pub(crate) struct Explained<'a> {
    scoring: &'a Scoring,
    scored: &'a Scored,
}

impl fmt::Display for Explained<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.scored;
        writeln!(f, "score {}", s.score)?;
        if s.contributions.is_empty() {
            writeln!(f, "  no rule matched")?;
        }
        for c in &s.contributions {
            let rule = &self.scoring.rules[c.rule];
            write!(f, "  {:+} {}", c.points, rule.name)?;
            if let (Some(decay), Some(age)) = (&rule.decay, c.age_days) {
                write!(
                    f,
                    " (decayed to {:.2}: {} is {:.1} days old, half-life {} days)",
                    c.value, decay.field, age, decay.half_life_days
                )?;
            }
            if let Some(cap) = rule.cap.and_then(|g| self.scoring.caps.get(g)) {
                write!(f, " [cap group {}]", cap.name)?;
            }
            writeln!(f)?;
        }
        for c in &s.clamped {
            if let Some(cap) = self.scoring.caps.get(c.cap) {
                writeln!(
                    f,
                    "  cap group {} clamped {:.2} to {:.2}",
                    cap.name, c.before, c.after
                )?;
            }
        }
        match s.band.and_then(|b| self.scoring.bands.get(b)) {
            Some(band) => writeln!(f, "  band {} (score >= {})", band.name, band.min_score),
            None => writeln!(f, "  no band"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::model::{Band, Cap, Decay, Rule};
    use super::*;
    use chrono::NaiveDate;

    fn at(y: i32, m: u32, d: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap()
    }

    fn rule(name: &str, points: i64) -> Rule {
        Rule {
            name: name.into(),
            points,
            cap: None,
            decay: None,
        }
    }

    fn model() -> Scoring {
        let mut decayed = rule("fresh", 40);
        decayed.decay = Some(Decay {
            field: "create_date".into(),
            half_life_days: 10.0,
        });
        let mut e1 = rule("email", 20);
        e1.cap = Some(0);
        let mut e2 = rule("phone", 20);
        e2.cap = Some(0);
        Scoring {
            rules: vec![rule("vn", 10), decayed, e1, e2, rule("spam", -15)],
            caps: vec![Cap {
                name: "contact".into(),
                min: None,
                max: Some(25),
            }],
            bands: vec![
                Band {
                    name: "Hot".into(),
                    min_score: 60,
                    priority: Some("3".into()),
                    tag: Some("Hot".into()),
                },
                Band {
                    name: "Warm".into(),
                    min_score: 30,
                    priority: Some("2".into()),
                    tag: None,
                },
            ],
        }
    }

    #[test]
    fn sums_decays_caps_and_bands() {
        let m = model();
        let now = at(2024, 1, 21);
        let created = at(2024, 1, 1); // 20 days: two half-lives → 40 / 4 = 10
        let s = m.score([0, 1, 2, 3], |_| Some(created), now);
        // 10 + 10 + min(40, 25)
        assert_eq!(s.score, 45);
        assert_eq!(
            s.clamped,
            vec![Clamp {
                cap: 0,
                before: 40.0,
                after: 25.0
            }]
        );
        assert_eq!(s.band, Some(1));
        assert_eq!(s.contributions[1].value, 10.0);
        let text = m.explain(&s).to_string();
        assert!(text.contains("+40 fresh (decayed to 10.00"), "{text}");
        assert!(
            text.contains("cap group contact clamped 40.00 to 25.00"),
            "{text}"
        );
        assert!(text.contains("band Warm"), "{text}");
    }

    #[test]
    fn missing_or_future_dates_do_not_decay_and_order_does_not_matter() {
        let m = model();
        let now = at(2024, 1, 21);
        let a = m.score([1, 0, 4], |_| None, now);
        let b = m.score([4, 0, 1, 1], |_| Some(at(2025, 1, 1)), now);
        assert_eq!(a.score, 10 + 40 - 15);
        assert_eq!(b.score, a.score);
        assert_eq!(a.band, Some(1));
        let none = m.score([], |_| None, now);
        assert_eq!((none.score, none.band), (0, None));
        let neg = m.score([4], |_| None, now);
        assert_eq!(neg.score, -15);
    }

    #[test]
    fn rounding_is_half_away_from_zero() {
        assert_eq!(round_half_away(2.5), 3);
        assert_eq!(round_half_away(-2.5), -3);
        assert_eq!(round_half_away(2.4999), 2);
        assert_eq!(round_half_away(f64::NAN), 0);
    }
}
