//! Performance coefficients: a multiplier from how well a person did against targets.
//!
//! * A **KPI** is an aggregate (count, sum or average) of a domain over a model per user in
//!   the period, with a target. The job computes the values (`read_group`); here they arrive
//!   as numbers in millionths.
//! * A **KPI coefficient** averages the achievement (value ÷ target) of its KPIs, then maps
//!   it through bands to a multiplier. KPI sets per staff group are coefficients with a
//!   `group`: a coefficient applies only to the members of its group; for anyone else it is
//!   × 1 and says so.
//! * A **satisfaction coefficient** (P1, managers) maps the average customer rating of the
//!   manager's team (Odoo's `rating.rating`, or a configured numeric field) against a target.
//!
//! Missing data: a `count` or `sum` with no rows is a real 0; an average with no rows (or a
//! manager without any rating) has no value, and the coefficient is × 1, "no data", rather
//! than a penalty nobody could explain.

use std::collections::BTreeMap;

use super::money::{PPM, Ratio};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Aggregate {
    Count,
    Sum(String),
    Avg(String),
}

/// One `[[pay.kpis]]`.
#[derive(Clone, Debug, PartialEq)]
pub struct KpiSpec {
    pub key: String,
    pub model: String,
    pub aggregate: Aggregate,
    pub domain: String,
    /// The field naming the user the record counts for.
    pub user_field: String,
    /// The date field that places a record in a period.
    pub date_field: String,
    /// Target, in millionths (`50` → 50_000_000).
    pub target: i64,
}

/// Where a satisfaction coefficient reads ratings.
#[derive(Clone, Debug, PartialEq)]
pub enum SatisfactionSource {
    /// Odoo's `rating.rating` (`rating`, 1–5) submitted for the person, and for a team
    /// leader for their team's members (see `jobs::pay::ratings`).
    Rating,
    /// A numeric field on a model, averaged per user.
    Field {
        model: String,
        field: String,
        user_field: String,
        date_field: String,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub enum CoefficientSource {
    /// Keys of `[[pay.kpis]]`; achievement is the average of value ÷ target.
    Kpis(Vec<String>),
    /// Average rating against `target` (millionths: 4.5 → 4_500_000).
    Satisfaction {
        source: SatisfactionSource,
        target: i64,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CoefBand {
    /// Achievement at which the band starts (0 % for the first).
    pub from: Ratio,
    pub factor: Ratio,
}

/// One `[[pay.coefficients]]`.
#[derive(Clone, Debug, PartialEq)]
pub struct CoefficientSpec {
    pub key: String,
    pub source: CoefficientSource,
    /// When set, the coefficient applies only to this group's members (XML id).
    pub group: Option<String>,
    pub bands: Vec<CoefBand>,
}

/// The values a person reached in a period: `(kpi or coefficient key, user) → millionths`;
/// an average without rows is absent.
pub type KpiValues = BTreeMap<(String, i64), i64>;

/// A coefficient worked out for one person, for the statement's explanation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CoefficientNote {
    pub key: String,
    /// Achievement, `None` when there was no data or the person is not in the group.
    pub achievement: Option<Ratio>,
    pub factor: Ratio,
    pub reason: String,
}

impl CoefficientSpec {
    /// The factor for `user`, given the KPI definitions, values and whether the user is in
    /// the coefficient's group.
    pub(crate) fn evaluate(
        &self,
        user: i64,
        in_group: bool,
        kpis: &[KpiSpec],
        values: &KpiValues,
    ) -> CoefficientNote {
        let neutral = |reason: String| CoefficientNote {
            key: self.key.clone(),
            achievement: None,
            factor: Ratio::ONE,
            reason,
        };
        if !in_group {
            let g = self.group.as_deref().unwrap_or_default();
            return neutral(format!("not in {g}: × 1"));
        }
        let achievement = match &self.source {
            CoefficientSource::Kpis(keys) => {
                let mut parts = Vec::new();
                for k in keys {
                    let Some(spec) = kpis.iter().find(|s| &s.key == k) else {
                        continue;
                    };
                    let value = match (values.get(&(k.clone(), user)), &spec.aggregate) {
                        (Some(v), _) => *v,
                        (None, Aggregate::Count | Aggregate::Sum(_)) => 0,
                        (None, Aggregate::Avg(_)) => {
                            return neutral(format!("no data for {k}: × 1"));
                        }
                    };
                    parts.push(ratio(value, spec.target));
                }
                if parts.is_empty() {
                    return neutral("no KPI: × 1".into());
                }
                let n = i64::try_from(parts.len()).unwrap_or(1);
                Ratio(parts.iter().map(|r| r.0).sum::<i64>() / n)
            }
            CoefficientSource::Satisfaction { target, .. } => {
                match values.get(&(self.key.clone(), user)) {
                    Some(v) => ratio(*v, *target),
                    None => return neutral("no ratings: × 1".into()),
                }
            }
        };
        let factor = self
            .bands
            .iter()
            .rev()
            .find(|b| achievement >= b.from)
            .or(self.bands.first())
            .map_or(Ratio::ONE, |b| b.factor);
        CoefficientNote {
            key: self.key.clone(),
            achievement: Some(achievement),
            factor,
            reason: format!("{achievement} of target: × {}", factor_text(factor)),
        }
    }
}

/// `1.2`-style text of a multiplier.
pub(crate) fn factor_text(f: Ratio) -> String {
    let s = format!("{}.{:06}", f.0 / PPM, (f.0 % PPM).abs());
    let s = s.trim_end_matches('0');
    s.strip_suffix('.')
        .map_or_else(|| s.to_owned(), |t| t.to_owned())
}

/// value ÷ target as a ratio (truncated to the ppm: a threshold is reached only when
/// really reached); a zero target is 100 % achieved.
fn ratio(value: i64, target: i64) -> Ratio {
    if target <= 0 {
        return Ratio::ONE;
    }
    let r = i128::from(value) * i128::from(PPM) / i128::from(target);
    Ratio(i64::try_from(r).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kpi(key: &str, aggregate: Aggregate, target: i64) -> KpiSpec {
        KpiSpec {
            key: key.into(),
            model: "crm.lead".into(),
            aggregate,
            domain: "[]".into(),
            user_field: "user_id".into(),
            date_field: "create_date".into(),
            target,
        }
    }

    fn coef(source: CoefficientSource) -> CoefficientSpec {
        CoefficientSpec {
            key: "c".into(),
            source,
            group: None,
            bands: vec![
                CoefBand {
                    from: Ratio(0),
                    factor: Ratio(800_000),
                },
                CoefBand {
                    from: Ratio(1_000_000),
                    factor: Ratio(1_000_000),
                },
                CoefBand {
                    from: Ratio(1_200_000),
                    factor: Ratio(1_200_000),
                },
            ],
        }
    }

    #[test]
    fn kpi_achievement_is_the_average_and_bands_start_at_from() {
        let kpis = [
            kpi("calls", Aggregate::Count, 50_000_000),
            kpi(
                "won",
                Aggregate::Sum("expected_revenue".into()),
                10_000_000_000,
            ),
        ];
        let c = coef(CoefficientSource::Kpis(vec!["calls".into(), "won".into()]));
        let mut v = KpiValues::new();
        v.insert(("calls".into(), 7), 60_000_000); // 120 %
        v.insert(("won".into(), 7), 8_000_000_000); // 80 %
        let n = c.evaluate(7, true, &kpis, &v);
        assert_eq!(n.achievement, Some(Ratio(1_000_000)));
        assert_eq!(n.factor, Ratio(1_000_000));
        // No rows for a count is 0 % → lowest band.
        assert_eq!(c.evaluate(8, true, &kpis, &v).factor, Ratio(800_000));
        // Not in the group: neutral.
        let n = c.evaluate(7, false, &kpis, &v);
        assert_eq!((n.factor, n.achievement), (Ratio::ONE, None));
    }

    #[test]
    fn satisfaction_without_ratings_is_neutral() {
        let c = coef(CoefficientSource::Satisfaction {
            source: SatisfactionSource::Rating,
            target: 4_000_000,
        });
        let mut v = KpiValues::new();
        v.insert(("c".into(), 3), 4_800_000); // 120 %
        assert_eq!(c.evaluate(3, true, &[], &v).factor, Ratio(1_200_000));
        let n = c.evaluate(4, true, &[], &v);
        assert_eq!(
            (n.factor, n.reason.as_str()),
            (Ratio::ONE, "no ratings: × 1")
        );
        assert_eq!(factor_text(Ratio(1_200_000)), "1.2");
        assert_eq!(factor_text(Ratio(1_000_000)), "1");
    }
}
