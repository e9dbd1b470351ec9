//! Lead scoring as a pure computation: which rules a lead matched (decided elsewhere, by Odoo
//! or by the in-memory domain evaluator) becomes a score, a band and an explanation.
//! Nothing here reads Odoo; the job in `jobs::scoring` feeds it.

mod model;
mod score;

pub(crate) use model::{Band, Cap, Decay, Rule, Scoring};
#[cfg(test)]
pub(crate) use score::Contribution;
pub(crate) use score::Scored;
