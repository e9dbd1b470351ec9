//! Lead routing as a pure computation: a team for each candidate lead (first configured team,
//! in order, whose minimum score and domain it meets), then a salesperson by capacity, with
//! Odoo 17's quota maths (deterministic instead of random) or plain round robin. Domain
//! matches are decided by the caller (Odoo or the in-memory evaluator) and passed in.

mod engine;
mod model;
mod quota;
#[cfg(test)]
mod tests;

pub use engine::{Assignment, MemberSkip, Outcome, Routing, TeamSkip, assign};
pub use model::{Candidate, Explain, Input, Member, Strategy, Team, lead_limit};
pub use quota::{odoo_quota, round_half_even};
