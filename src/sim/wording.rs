//! How each Odoo version words the faults the simulator raises. The simulator builds Odoo 17's
//! messages; for a newer snapshot they are reworded here, each rule from the recordings of
//! `fixtures/odoo19/transcripts` (and `../shared/odoo18/transcripts` for what changed in 18),
//! by transcript number.

use super::fault::SimFault;

/// Rewords `fault`, raised by `method` (an `execute_kw` method, or "" outside one), as Odoo
/// `major` words it.
pub(crate) fn reword(fault: SimFault, major: i64, method: &str) -> SimFault {
    if major < 18 {
        return fault;
    }
    let Some(start) = fault.string.rfind(fault.last_line()) else {
        return fault;
    };
    let (head, last) = fault.string.split_at(start);
    let line = reword_line(last.trim_end(), major, method);
    let tail = &last[last.trim_end().len()..];
    SimFault {
        code: fault.code,
        string: format!("{head}{line}{tail}"),
        exception: fault.exception,
    }
}

fn reword_line(line: &str, major: i64, method: &str) -> String {
    // 18+ (009): "The method 'crm.lead.no_such_method' does not exist".
    if let Some(rest) = line.strip_prefix("AttributeError: The method '")
        && let Some((name, model)) = rest.split_once("' does not exist on the model '")
    {
        let model = model.trim_end_matches('\'');
        return format!("AttributeError: The method '{model}.{name}' does not exist");
    }
    if major < 19 {
        return line.to_owned();
    }
    // 19 (039, 040): "condition" where 17 and 18 said "leaf".
    if let Some(rest) = line.strip_prefix("ValueError: Invalid leaf ") {
        return format!("ValueError: Invalid operator in condition {rest}");
    }
    if line.starts_with("ValueError: Invalid field ") && line.contains(" in leaf (") {
        return line.replacen(" in leaf (", " in condition (", 1);
    }
    // 19 (041): "Domain() malformed domain [...]".
    if let Some(rest) = line.strip_prefix("ValueError: Domain ")
        && let Some(domain) = rest.strip_suffix(" is syntactically not correct.")
    {
        return format!("ValueError: Domain() malformed domain {domain}");
    }
    // 19: "in 'crm.lead'" for values written (047), "on 'crm.stage'" for fields read (063,
    // 064), where 17 and 18 said "on model".
    if line.starts_with("ValueError: Invalid field '") && line.contains("' on model '") {
        let word = if matches!(method, "write" | "create") {
            "' in '"
        } else {
            "' on '"
        };
        return line.replacen("' on model '", word, 1);
    }
    line.to_owned()
}

/// 18+ (010): the private method named with its model.
pub(crate) fn private_method(major: i64, model: &str, name: &str) -> String {
    if major >= 18 {
        format!("Private methods (such as '{model}.{name}') cannot be called remotely.")
    } else {
        format!("Private methods (such as {name}) cannot be called remotely.")
    }
}

/// The Python class of `model` in TypeErrors (053): 17 and 18 name crm.lead's class `Lead`;
/// 19 names every class after its model (`CrmLead`).
pub(crate) fn class_name(major: i64, model: &str) -> String {
    if model == "crm.lead" && major < 19 {
        return "Lead".to_owned();
    }
    model
        .split(['.', '_'])
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect::<String>())
                .unwrap_or_default()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn last(f: SimFault) -> String {
        f.last_line().to_owned()
    }

    #[test]
    fn nineteen_words_domain_and_field_faults_its_way() {
        let bad_op = SimFault::value_error("Invalid leaf ('name', '~~', 'x')");
        assert_eq!(
            last(reword(bad_op.clone(), 19, "search")),
            "ValueError: Invalid operator in condition ('name', '~~', 'x')"
        );
        assert_eq!(last(reword(bad_op.clone(), 18, "search")), last(bad_op));
        let write = SimFault::value_error("Invalid field 'x' on model 'crm.lead'");
        assert_eq!(
            last(reword(write.clone(), 19, "write")),
            "ValueError: Invalid field 'x' in 'crm.lead'"
        );
        assert_eq!(
            last(reword(write, 19, "search_read")),
            "ValueError: Invalid field 'x' on 'crm.lead'"
        );
        let method = SimFault::python(
            "AttributeError",
            "The method 'nope' does not exist on the model 'crm.lead'",
            "api.py",
        );
        assert_eq!(
            last(reword(method, 18, "nope")),
            "AttributeError: The method 'crm.lead.nope' does not exist"
        );
        assert_eq!(class_name(19, "crm.lead"), "CrmLead");
        assert_eq!(class_name(17, "crm.lead"), "Lead");
    }
}
