//! What stops a scoring run: Odoo, the journal, the state database, a domain that does not
//! bind, a row Odoo sent that does not have the shape its field promises, or something the
//! config relies on missing in Odoo.

use thiserror::Error;

use crate::apply::ApplyError;
use crate::domain::DomainError;
use crate::odoo::{OdooError, RowError};
use crate::state::StateError;

#[derive(Debug, Error)]
pub enum ScoringError {
    #[error(transparent)]
    Odoo(#[from] OdooError),
    #[error(transparent)]
    Apply(#[from] ApplyError),
    #[error(transparent)]
    State(#[from] StateError),
    /// A lead, team or membership row held a value of the wrong type (a lead without an id,
    /// a score that is not an integer): the run stops rather than plan from a guess.
    #[error(transparent)]
    Row(#[from] RowError),
    #[error("{what}: {source}")]
    Domain {
        what: String,
        #[source]
        source: DomainError,
    },
    /// Something the config relies on is missing or wrong in Odoo (a tag, a team, the score
    /// field's type); `setup` or the admin must fix it.
    #[error("{0}")]
    Setup(String),
    /// Odoo stopped answering in the middle of the run: exit 3. `written` records were
    /// written before it did; the journal keeps the rest for the next run.
    #[error(
        "Odoo became unreachable during the run, after {written} records were written (the \
         journal keeps the unconfirmed changes; the next run reconciles them): {source}"
    )]
    Unreachable {
        written: usize,
        #[source]
        source: OdooError,
    },
}

/// Wraps a domain error with what was being bound or parsed (`scoring.rules[2].domain`).
pub fn domain_err(what: impl Into<String>) -> impl FnOnce(DomainError) -> ScoringError {
    let what = what.into();
    move |source| ScoringError::Domain { what, source }
}
