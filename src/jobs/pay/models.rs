//! The custom models statements live in, as `setup` creates them (the field list follows the
//! recorded provisioning in `fixtures/odoo17/custom-models/`, 004–013, plus the technical
//! fields scorekeeper needs: `x_sk_key`, the line's key and origin).

use crate::pay::ComponentKind;

pub const STATEMENT: &str = "x_sk_statement";
pub const LINE: &str = "x_sk_statement_line";
/// Incidental amounts managers record, when a plan names no model of its own.
pub const INCIDENTAL: &str = crate::pay::DEFAULT_INCIDENTAL_MODEL;
/// The technical field holding the idempotency marker of a statement or a line.
pub(crate) const KEY: &str = "x_sk_key";

/// `(name, label, ttype, relation)` of a statement's own fields (the lines' one2many is
/// created once the line model exists).
pub(crate) const STATEMENT_FIELDS: [(&str, &str, &str, Option<&str>); 7] = [
    ("x_name", "Statement", "char", None),
    ("x_sk_key", "scorekeeper key", "char", None),
    ("x_user_id", "Salesperson", "many2one", Some("res.users")),
    ("x_period", "Period", "char", None),
    ("x_total", "Total", "float", None),
    ("x_locked", "Locked", "boolean", None),
    ("x_closed_on", "Closed on", "date", None),
];

/// The fields of a statement line, besides `x_kind` (a selection) and `x_statement_id`.
pub(crate) const LINE_FIELDS: [(&str, &str, &str); 9] = [
    ("x_name", "Explanation", "char"),
    ("x_sk_key", "scorekeeper key", "char"),
    ("x_line_key", "Line key", "char"),
    ("x_document", "Document", "char"),
    ("x_origin_period", "Adjusts period", "char"),
    ("x_base", "Base", "float"),
    ("x_rate", "Rate", "char"),
    ("x_coefficient", "Coefficient", "float"),
    ("x_amount", "Amount", "float"),
];

/// `(name, label, ttype)` of an incidental amount's own fields (its `x_user_id` many2one is
/// created once the model exists, as the statement's is). Amount, person and date are
/// required: the job reads nothing from a row without them.
pub(crate) const INCIDENTAL_FIELDS: [(&str, &str, &str, bool); 3] = [
    ("x_name", "Description", "char", false),
    ("x_amount", "Amount", "float", true),
    ("x_date", "Date", "date", true),
];

/// The `x_kind` selection: one value per component.
pub(crate) fn kinds() -> Vec<(&'static str, &'static str)> {
    ComponentKind::ALL
        .iter()
        .map(|k| (k.code(), k.label()))
        .collect()
}

/// Where statements and lines keep their keys, as the client writer takes it: the plain key
/// in [`KEY`] alone (a technical field people do not read, so no `[sk:…]` marker in text;
/// an exact `in` search stays cheap at 100,000 lines where an `ilike` per key would not).
pub(crate) fn key_lookups() -> Vec<(&'static str, crate::odoo::KeyLookup)> {
    [STATEMENT, LINE]
        .into_iter()
        .map(|model| {
            (
                model,
                crate::odoo::KeyLookup::Field {
                    field: KEY,
                    legacy_text: None,
                },
            )
        })
        .collect()
}
