//! Odoo fields, domains and records named by the config (in domains, score fields, team and
//! tag names, ...), with where they were written, so `check` (and `run`, before its first
//! write) can verify them against the server and point at the exact key when one is wrong.

use std::path::PathBuf;

use super::assignment::RecordRef;
use super::diagnostic::{Diagnostic, did_you_mean};
use crate::domain::Domain;

/// A domain the config gives, with the model it filters, so the server's field types can
/// check its operators and values (`('expected_revenue', '>=', 'lots')`).
#[derive(Clone, Debug)]
pub struct DomainRef {
    pub model: String,
    pub domain: Domain,
    pub key: String,
    pub at: Location,
}

/// A record the config names by XML id (`sales_team.group_sale_salesman`): it must exist and
/// be a record of `model`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct XmlIdRef {
    pub xml_id: String,
    /// e.g. `res.groups`.
    pub model: String,
    pub key: String,
    pub at: Location,
}

/// A domain that must select at least one record of `model` (an add-on's products): one that
/// selects nothing is a mistake (a product code mistyped), not a rule that never pays.
#[derive(Clone, Debug)]
pub struct MatchRef {
    pub model: String,
    pub domain: Domain,
    pub key: String,
    pub at: Location,
}

/// A record the config names (a sales team, a band tag) that must exist on the server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordRefAt {
    /// e.g. `crm.team`.
    pub model: String,
    pub record: RecordRef,
    pub key: String,
    pub at: Location,
    /// What to do when it is missing (e.g. "run `scorekeeper setup`").
    pub hint: Option<String>,
}

impl Location {
    /// A diagnostic at this location.
    pub(crate) fn diagnostic(
        &self,
        key: impl Into<String>,
        message: impl Into<String>,
        hint: Option<String>,
    ) -> Diagnostic {
        Diagnostic {
            file: self.file.clone(),
            line: self.line,
            column: self.column,
            key: key.into(),
            message: message.into(),
            hint,
        }
    }
}

/// One field (or dotted path such as `country_id.code`) that a config key refers to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldRef {
    /// The model the path starts from, e.g. `crm.lead`.
    pub model: String,
    /// A field name or a dotted path through many2one/x2many relations.
    pub path: String,
    /// The config key that names it, e.g. `scoring.rules[2].domain`.
    pub key: String,
    pub at: Location,
}

/// A position in a config file (1-based).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
}

impl FieldRef {
    /// The diagnostic for segment `field` of this path missing on `model`, suggesting the
    /// closest existing name.
    pub(crate) fn unknown_field<'a>(
        &self,
        model: &str,
        field: &str,
        existing: impl IntoIterator<Item = &'a str>,
    ) -> Diagnostic {
        let hint = did_you_mean(field, existing);
        let suggestion = hint
            .map(|h| format!(" (did you mean '{h}'?)"))
            .unwrap_or_default();
        self.diagnostic(format!("unknown field '{field}' on {model}{suggestion}"))
    }

    /// The diagnostic for a path that continues past a non-relational field.
    pub(crate) fn not_relational(&self, model: &str, field: &str, ty: &str) -> Diagnostic {
        self.diagnostic(format!(
            "'{field}' on {model} is a {ty} field, so '{}' cannot go through it",
            self.path
        ))
    }

    /// The diagnostic for a model the server does not have (module not installed, typo).
    pub(crate) fn unknown_model(&self, model: &str) -> Diagnostic {
        self.diagnostic(format!("model {model} does not exist on this Odoo"))
    }

    // The hint is folded into the message: the "did you mean" reads best right after the name.
    fn diagnostic(&self, message: String) -> Diagnostic {
        Diagnostic {
            file: self.at.file.clone(),
            line: self.at.line,
            column: self.at.column,
            key: self.key.clone(),
            message,
            hint: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_field_reads_like_the_design() {
        let r = FieldRef {
            model: "crm.lead".into(),
            path: "contry_id.code".into(),
            key: "scoring.rules[2].domain".into(),
            at: Location {
                file: "config/prod.toml".into(),
                line: 14,
                column: 12,
            },
        };
        let d = r.unknown_field("crm.lead", "contry_id", ["name", "country_id", "city"]);
        assert_eq!(
            d.to_string(),
            "config/prod.toml:14:12 scoring.rules[2].domain: unknown field 'contry_id' on crm.lead (did you mean 'country_id'?)"
        );
    }
}
