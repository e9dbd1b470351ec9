//! The scoring plan, as a pure function of what was read and what the engine decided: per
//! scored lead, the score field, and the priority and band tag of its band, written only
//! where Odoo holds something else. No client, no I/O: what a pass writes is decided here
//! and tested here without Odoo.

use super::report::LeadRow;
use crate::config::LEAD_MODEL;
use crate::plan::{FieldChange, Plan};
use crate::record::Value;
use crate::scoring::Scoring;

/// Builds the scoring plan lead by lead (a full pass over a million leads never holds them
/// all), counting the leads per band on the way.
pub(crate) struct ScoringPlanner<'a> {
    score_field: &'a str,
    model: &'a Scoring,
    /// The crm.tag id of each band's tag, by band index.
    tag_ids: Vec<Option<i64>>,
    /// Every band's tag id (what a band change removes), from `tag_ids`.
    all_band_tags: Vec<i64>,
    plan: Plan,
    /// Leads per band, by band index; the last entry counts the leads in no band.
    band_counts: Vec<usize>,
}

impl<'a> ScoringPlanner<'a> {
    /// A planner writing scores to `score_field`, bands from `model`, no band tags yet
    /// ([`ScoringPlanner::set_tag_ids`]: they are looked up only when leads are read).
    pub(crate) fn new(score_field: &'a str, model: &'a Scoring, job: &str) -> Self {
        ScoringPlanner {
            score_field,
            model,
            tag_ids: vec![None; model.bands.len()],
            all_band_tags: Vec::new(),
            plan: Plan::new(job),
            band_counts: vec![0; model.bands.len() + 1],
        }
    }

    /// The crm.tag id of each band's tag (by band index; `None`: the band sets no tag).
    pub(crate) fn set_tag_ids(&mut self, tag_ids: Vec<Option<i64>>) {
        self.all_band_tags = tag_ids.iter().flatten().copied().collect();
        self.tag_ids = tag_ids;
    }

    /// Plans the write of one scored lead (nothing when Odoo already holds every value).
    pub(crate) fn add(&mut self, row: &LeadRow) {
        // The last slot counts the leads in no band.
        self.band_counts[row.scored.band.unwrap_or(self.model.bands.len())] += 1;
        let (changes, reason) = self.lead_write(row);
        self.plan.push_write(LEAD_MODEL, row.id, changes, reason);
    }

    /// The field changes of one lead (the plan drops those that change nothing) and their
    /// reason.
    fn lead_write(&self, row: &LeadRow) -> (Vec<FieldChange>, String) {
        let mut changes = vec![FieldChange::new(
            self.score_field,
            Value::Int(row.old_score),
            Value::Int(row.scored.score),
        )];
        let band = row.scored.band.and_then(|b| self.model.bands.get(b));
        if let Some(p) = band.and_then(|b| b.priority.as_ref()) {
            changes.push(FieldChange::new(
                "priority",
                row.old_priority.clone().map_or(Value::Null, Value::Str),
                Value::Str(p.clone()),
            ));
        }
        if !self.all_band_tags.is_empty() {
            // The lead's other tags stay; every band tag goes but its own band's.
            let mut tags: Vec<i64> = row
                .old_tags
                .iter()
                .copied()
                .filter(|t| !self.all_band_tags.contains(t))
                .collect();
            if let Some(t) = row
                .scored
                .band
                .and_then(|b| self.tag_ids.get(b).copied().flatten())
            {
                tags.push(t);
            }
            changes.push(FieldChange::new(
                "tag_ids",
                Value::Ids(row.old_tags.clone()),
                Value::Ids(tags),
            ));
        }
        let matched = row.scored.contributions.len();
        let reason = match band {
            Some(b) => format!(
                "score {} ({matched} rules matched), band {}",
                row.scored.score, b.name
            ),
            None => format!("score {} ({matched} rules matched)", row.scored.score),
        };
        (changes, reason)
    }

    /// The plan, and the leads per band name (`(no band)` last) for the bands that have any.
    pub(crate) fn finish(self) -> (Plan, Vec<(String, usize)>) {
        let mut counts: Vec<(String, usize)> = self
            .model
            .bands
            .iter()
            .map(|b| b.name.clone())
            .chain(std::iter::once("(no band)".to_owned()))
            .zip(self.band_counts)
            .collect();
        counts.retain(|(_, n)| *n > 0);
        (self.plan, counts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Values;
    use crate::scoring::{Band, Rule, Scored};

    fn model() -> Scoring {
        let rule = |name: &str, points| Rule {
            name: name.into(),
            points,
            cap: None,
            decay: None,
        };
        let band = |name: &str, min_score, priority: &str, tag: Option<&str>| Band {
            name: name.into(),
            min_score,
            priority: Some(priority.into()),
            tag: tag.map(str::to_owned),
        };
        Scoring {
            rules: vec![rule("email", 10), rule("vietnam", 30)],
            caps: Vec::new(),
            bands: vec![
                band("hot", 30, "3", Some("Hot")),
                band("warm", 10, "2", None),
                band("cold", 0, "0", Some("Cold")),
            ],
        }
    }

    /// A lead as read (`old_*`) and as scored: `score` in `band`, `rules` rules matched.
    fn lead(id: i64, old: i64, score: i64, band: Option<usize>, rules: usize) -> LeadRow {
        LeadRow {
            id,
            old_score: old,
            scored: Scored {
                score,
                contributions: (0..rules)
                    .map(|rule| crate::scoring::Contribution {
                        rule,
                        points: 10,
                        value: 10.0,
                        age_days: None,
                    })
                    .collect(),
                clamped: Vec::new(),
                band,
            },
            old_priority: None,
            old_tags: Vec::new(),
            user_id: None,
            team_id: None,
            probability: 0.0,
        }
    }

    fn writes(plan: &Plan) -> Vec<(i64, Values, String)> {
        plan.writes()
            .map(|(_, id, changes, reason)| {
                let values = changes
                    .iter()
                    .map(|c| (c.field.clone(), c.new.clone()))
                    .collect();
                (id, values, reason.to_owned())
            })
            .collect()
    }

    #[test]
    fn a_changed_score_is_written_once_with_its_bands_priority_and_tag() {
        let model = model();
        let mut p = ScoringPlanner::new("x_score", &model, "scoring");
        p.set_tag_ids(vec![Some(51), None, Some(53)]);
        let mut row = lead(7, 10, 40, Some(0), 2);
        // another tag stays, the old band's tag goes
        row.old_tags = vec![9, 53];
        row.old_priority = Some("2".into());
        p.add(&row);
        let (plan, bands) = p.finish();
        assert_eq!(
            writes(&plan),
            vec![(
                7,
                vec![
                    ("x_score".to_owned(), Value::Int(40)),
                    ("priority".to_owned(), Value::Str("3".into())),
                    ("tag_ids".to_owned(), Value::Ids(vec![9, 51])),
                ],
                "score 40 (2 rules matched), band hot".to_owned()
            )]
        );
        assert_eq!(bands, vec![("hot".to_owned(), 1)]);
    }

    #[test]
    fn a_lead_already_at_its_score_band_and_tags_writes_nothing() {
        let model = model();
        let mut p = ScoringPlanner::new("x_score", &model, "scoring");
        p.set_tag_ids(vec![Some(51), None, Some(53)]);
        let mut row = lead(7, 40, 40, Some(0), 2);
        row.old_tags = vec![51];
        row.old_priority = Some("3".into());
        p.add(&row);
        // A lead in no band, already at its score, with no band tag: nothing either.
        p.add(&lead(8, 0, 0, None, 0));
        let (plan, bands) = p.finish();
        assert!(plan.is_empty(), "{plan}");
        assert_eq!(
            bands,
            vec![("hot".to_owned(), 1), ("(no band)".to_owned(), 1)],
            "unchanged leads still count in their band"
        );
    }

    #[test]
    fn only_the_changed_fields_are_written_and_a_band_without_tag_removes_band_tags() {
        let model = model();
        let mut p = ScoringPlanner::new("x_score", &model, "scoring");
        p.set_tag_ids(vec![Some(51), None, Some(53)]);
        // Score unchanged but priority stale: only the priority is written.
        let mut row = lead(1, 20, 20, Some(1), 1);
        row.old_priority = Some("0".into());
        p.add(&row);
        // Down from hot to warm: the Hot tag goes, warm sets none.
        let mut row = lead(2, 35, 15, Some(1), 1);
        row.old_tags = vec![51, 4];
        row.old_priority = Some("3".into());
        p.add(&row);
        let (plan, _) = p.finish();
        assert_eq!(
            writes(&plan),
            vec![
                (
                    1,
                    vec![("priority".to_owned(), Value::Str("2".into()))],
                    "score 20 (1 rules matched), band warm".to_owned()
                ),
                (
                    2,
                    vec![
                        ("x_score".to_owned(), Value::Int(15)),
                        ("priority".to_owned(), Value::Str("2".into())),
                        ("tag_ids".to_owned(), Value::Ids(vec![4])),
                    ],
                    "score 15 (1 rules matched), band warm".to_owned()
                ),
            ]
        );
    }

    #[test]
    fn leads_sharing_their_new_values_group_into_one_write() {
        let model = Scoring {
            bands: Vec::new(),
            ..model()
        };
        let mut p = ScoringPlanner::new("x_score", &model, "scoring");
        for id in [3, 1, 2] {
            p.add(&lead(id, 0, 40, None, 2));
        }
        p.add(&lead(4, 0, 10, None, 1));
        let (plan, bands) = p.finish();
        let mut groups: Vec<(Vec<i64>, Values)> = plan
            .write_groups(100)
            .into_iter()
            .map(|g| (g.ids, g.values))
            .collect();
        groups.sort_by_key(|(ids, _)| ids[0]);
        assert_eq!(
            groups,
            vec![
                (vec![1, 2, 3], vec![("x_score".to_owned(), Value::Int(40))]),
                (vec![4], vec![("x_score".to_owned(), Value::Int(10))]),
            ]
        );
        assert_eq!(bands, vec![("(no band)".to_owned(), 4)]);
    }
}
