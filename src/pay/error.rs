//! Why the engine refuses to compute a period.

use super::period::Period;
use super::plan::ComponentKind;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PayError {
    /// A person is in two plans paying the same component, and not both plans stack.
    #[error(
        "user {user} is in plans {first:?} and {second:?}, which both pay {}; \
         set `stack = true` in both plans to pay both, or take the person out of one",
        component.code()
    )]
    Overlap {
        user: i64,
        component: ComponentKind,
        first: String,
        second: String,
    },
    /// Computing this period would rewrite locked statements.
    #[error(
        "period {period} is locked ({locked} statement(s) closed): a locked statement never \
         changes; later corrections become adjustment lines of {next}"
    )]
    Locked {
        period: Period,
        locked: usize,
        next: Period,
    },
}
