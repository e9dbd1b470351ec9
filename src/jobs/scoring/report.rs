//! What a run decided ([`Evaluation`]: both plans, the routing outcome, the next cursors) and
//! what it did ([`RunReport`]: the applied runs), with the text `plan`, `run` and the demo
//! print.

use super::PassKind;
use crate::apply::ApplyReport;
use crate::plan::Plan;
use crate::scoring::Scored;

/// A lead as the pass saw it and scored it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct LeadRow {
    pub(crate) id: i64,
    pub(crate) old_score: i64,
    pub(crate) scored: Scored,
    pub(crate) old_priority: Option<String>,
    pub(crate) old_tags: Vec<i64>,
    pub(crate) user_id: Option<i64>,
    pub(crate) team_id: Option<i64>,
    pub(crate) probability: f64,
}

/// Everything a run decided, before applying.
#[derive(Debug)]
pub struct Evaluation {
    pub kind: PassKind,
    pub leads_read: usize,
    pub scoring_plan: Plan,
    pub assignment_plan: Plan,
    pub routing: Option<crate::assignment::Outcome>,
    /// Leads per band (by band order) among the leads read; last entry: no band.
    pub(crate) band_counts: Vec<(String, usize)>,
    /// Largest write_date read (the next cursor).
    pub cursor: Option<String>,
    /// `(id, write_date)` of the leads read within the overlap before `cursor`: the next
    /// incremental pass skips them.
    pub seen: Vec<(i64, String)>,
    /// Rows kept for explanations (`PassKind::Leads` only).
    pub(crate) rows: Vec<LeadRow>,
}

impl Evaluation {
    /// The leads per band, then the first `examples` planned changes of the scores and, when
    /// routing is configured, of the routing: what `plan`, `run` and the demo print. Records
    /// and values are named where `names` knows them.
    pub(crate) fn summary_text(&self, examples: usize, names: &crate::plan::Names) -> String {
        let mut out = String::new();
        if !self.band_counts.is_empty() {
            let bands: Vec<String> = self
                .band_counts
                .iter()
                .map(|(b, n)| format!("{b} {n}"))
                .collect();
            out.push_str(&format!("bands   {}\n", bands.join(", ")));
        }
        out.push_str(&format!(
            "scores\n{}",
            self.scoring_plan.summary_named(examples, names)
        ));
        if self.routing.is_some() {
            out.push_str(&format!(
                "routing\n{}",
                self.assignment_plan.summary_named(examples, names)
            ));
        }
        out
    }
}

/// What a run did.
#[derive(Debug)]
pub struct RunReport {
    pub evaluation: Evaluation,
    pub scoring: Option<ApplyReport>,
    pub assignment: Option<ApplyReport>,
    /// The routed leads scored again, when a rule reads what routing wrote: the run ends
    /// where a second run has nothing to do.
    pub rescored: Option<ApplyReport>,
}

impl RunReport {
    /// The applied runs, in the order they ran.
    pub(crate) fn applied(&self) -> impl Iterator<Item = &ApplyReport> {
        [&self.scoring, &self.assignment, &self.rescored]
            .into_iter()
            .flatten()
    }
}
