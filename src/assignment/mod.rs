//! Lead routing as a pure computation: a team for each candidate lead (first configured team,
//! in order, whose minimum score and domain it meets), then a salesperson by capacity, with
//! Odoo's quota maths for the server's version ([`Rules`]: 17's monthly quota, deterministic
//! instead of random, or 18/19's daily quota, creation window and preferred domains) or
//! plain round robin. Domain
//! matches are decided by the caller (Odoo or the in-memory evaluator) and passed in.

mod engine;
mod model;
mod outcome;
mod quota;
mod salespeople;
#[cfg(test)]
mod tests;

pub use engine::assign;
pub use model::{Candidate, Explain, Input, Member, Quota, Rules, Strategy, Team, lead_limit};
pub use outcome::{
    Assignment, ChosenTeam, MemberSkip, Outcome, Passed, Routing, Salesperson, TeamSkip, Usage,
};
pub use quota::odoo_quota;
