//! The scoring model as validated from `[scoring]`: rules with points, optional cap groups and
//! time decay, and bands that turn a score into a priority and a tag.

/// Points halve every `half_life_days` days after the date in `field` (continuous decay:
/// `points × 0.5^(age / half_life)`). A lead without that date, or dated in the future, gets
/// the full points.
#[derive(Clone, Debug, PartialEq)]
pub struct Decay {
    pub field: String,
    pub half_life_days: f64,
}

/// One rule: a lead matching its domain gets `points` (negative points penalise).
#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    pub name: String,
    pub points: i64,
    /// Index into [`Scoring::caps`].
    pub cap: Option<usize>,
    pub decay: Option<Decay>,
}

/// A cap group: the sum of its rules' contributions is clamped to `[min, max]`, so e.g. many
/// small engagement signals cannot outweigh fit.
#[derive(Clone, Debug, PartialEq)]
pub struct Cap {
    pub name: String,
    pub min: Option<i64>,
    pub max: Option<i64>,
}

/// A score band: leads with `score >= min_score` (the highest such band wins) get its
/// priority and tag.
#[derive(Clone, Debug, PartialEq)]
pub struct Band {
    pub name: String,
    pub min_score: i64,
    /// A `crm.lead.priority` key (`"0"`..`"3"`).
    pub priority: Option<String>,
    /// A `crm.tag` name; resolved to an id by the job.
    pub tag: Option<String>,
}

/// Rules, caps and bands, in config order (rule order is the order of explanations and of
/// the floating-point sum, so results do not depend on anything else).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Scoring {
    pub rules: Vec<Rule>,
    pub caps: Vec<Cap>,
    /// Sorted by `min_score` descending (the validator does it).
    pub bands: Vec<Band>,
}
