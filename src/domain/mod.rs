//! Odoo domains: parsed from the list form or from Python-literal strings, validated against
//! field metadata, evaluated in memory with Odoo's NULL rules, and serialised back so a job
//! can push a domain down to Odoo instead.
//!
//! Semantics follow Odoo 17's `odoo/osv/expression.py` (see the shared semantics doc, §5).
//! Known limits of the in-memory evaluator: string comparisons (`<`, `>`) use code-point
//! order, not the database collation; `ilike` is case-insensitive but not accent-insensitive
//! (Odoo's `unaccent` is off by default); name searches on relational fields match the
//! comodel's `name` (res.partner: `complete_name`, `email`, `ref`, `vat`,
//! `company_registry`; res.country: also a 2-letter `code`; res.users: `login` first, then the
//! partner's `name`), not
//! model-specific `_name_search` overrides beyond those; record rules, `auto_join` and
//! non-stored fields without values in the source are not modelled.

mod bind;
mod build;
mod coerce;
mod compile;
mod compiled;
mod error;
mod eval;
mod like;
mod lit;
mod memory;
mod operand;
mod pyparse;
mod source;
mod tree;
mod validate;

pub use bind::{Env, UserCtx};
pub use error::{DomainError, DomainErrorKind, Position};
pub use eval::{EvalOptions, Prepared};
pub use lit::Lit;
pub use memory::MemorySource;
pub use operand::{Expr, ExprKind, Operand};
pub use pyparse::{MAX_DEPTH, MAX_TEXT_LEN};
pub use source::{FieldHandle, RecordSource};
pub use tree::{Domain, MAX_PATH_LEN, MAX_TREE_DEPTH, Op};
