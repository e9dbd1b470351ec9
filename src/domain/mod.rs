//! Odoo domains: parsed from the list form or from Python-literal strings, validated against
//! field metadata, evaluated in memory with Odoo's NULL rules, and serialised back so a job
//! can push a domain down to Odoo instead.

mod lit;
mod source;

pub use lit::Lit;
pub use source::RecordSource;
