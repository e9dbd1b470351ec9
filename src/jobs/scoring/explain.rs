//! `explain lead N`: the score breakdown and the routing decision a run would make now, from
//! an evaluation of that one lead (nothing written).

use chrono::NaiveDateTime;

use super::{PassKind, ScoringError, ScoringJob};
use crate::odoo::Row;

impl ScoringJob<'_> {
    /// `explain lead N`: the score breakdown and the routing decision a run would make now.
    pub(crate) async fn explain(
        &self,
        lead: i64,
        now: NaiveDateTime,
    ) -> Result<String, ScoringError> {
        let eval = self.evaluate(PassKind::Leads(vec![lead]), now).await?;
        let Some(row) = eval.rows.iter().find(|r| r.id == lead) else {
            return Ok(format!(
                "lead {lead}: not found, archived, or outside scoring.scope\n"
            ));
        };
        let mut out = format!("lead {lead}\n");
        out.push_str(&self.scoring.model.explain(&row.scored).to_string());
        if row.old_score != row.scored.score {
            out.push_str(&format!(
                "  Odoo holds {} in {}: the next run writes {}\n",
                row.old_score, self.scoring.score_field, row.scored.score
            ));
        }
        if self.assignment.is_none() {
            return Ok(out);
        }
        match eval.routing.as_ref().and_then(|o| o.routings.get(&lead)) {
            Some(r) => out.push_str(&format!("routing\n{r}")),
            None => match row.user_id {
                Some(uid) => {
                    let who = self.salesperson(uid).await?;
                    out.push_str(&format!(
                        "routing\nalready assigned to {who}: only unassigned (or stale) leads are routed\n"
                    ));
                }
                None => out.push_str(&format!(
                    "routing\nscore {} is below every team's minimum\n",
                    row.scored.score
                )),
            },
        }
        Ok(out)
    }

    /// People know a salesperson by name; the id stays for the admin.
    async fn salesperson(&self, uid: i64) -> Result<String, ScoringError> {
        let rows = self
            .client
            .read("res.users", &[uid], &["display_name"])
            .await?;
        let name = match rows.first() {
            Some(r) => Row::new("res.users", r).text("display_name")?,
            None => None,
        };
        Ok(match name {
            Some(name) => format!("{name} (user {uid})"),
            None => format!("user {uid}"),
        })
    }
}
