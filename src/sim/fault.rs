//! Odoo's faults as the simulator raises them: the codes of `/xmlrpc/2` (1 application
//! error with a Python traceback, 2 user error, 3 access denied, 4 access error) and the
//! exact messages the recorded transcripts show.

use std::fmt;

/// A fault answer: Odoo's integer code and its fault string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimFault {
    pub code: i64,
    pub string: String,
    /// Odoo's exception class when XML-RPC's code does not tell it: code 2 covers
    /// `UserError`, `ValidationError` and `MissingError`, which JSON-RPC names apart.
    pub exception: Option<&'static str>,
}

impl fmt::Display for SimFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "fault {}: {}", self.code, self.last_line())
    }
}

impl std::error::Error for SimFault {}

impl SimFault {
    /// Code 1: an exception that is not a user-facing Odoo error. Odoo sends the whole
    /// traceback; ours keeps Python's shape with one synthetic frame (`where`), and the last
    /// line `Type: message` is the real one.
    pub(crate) fn python(exception: &str, message: &str, where_: &str) -> SimFault {
        SimFault {
            code: 1,
            exception: None,
            string: format!(
                "Traceback (most recent call last):\n  File \"/opt/odoo/odoo/{where_}\", in \
                 scorekeeper_sim\n    (simulated frame)\n{exception}: {message}\n"
            ),
        }
    }

    /// Code 2: `UserError`, `ValidationError`, `MissingError`.
    pub(crate) fn user(message: impl Into<String>) -> SimFault {
        SimFault {
            code: 2,
            exception: None,
            string: message.into(),
        }
    }

    /// Code 2 raised as `ValidationError` (constraints, SQL constraints).
    pub(crate) fn validation(message: impl Into<String>) -> SimFault {
        SimFault {
            exception: Some("odoo.exceptions.ValidationError"),
            ..SimFault::user(message)
        }
    }

    /// Code 3: bad credentials.
    pub(crate) fn access_denied() -> SimFault {
        SimFault {
            code: 3,
            exception: None,
            string: "Access Denied".to_owned(),
        }
    }

    /// Code 4: ACL, record rules, private methods.
    pub(crate) fn access(message: impl Into<String>) -> SimFault {
        SimFault {
            code: 4,
            exception: None,
            string: message.into(),
        }
    }

    /// `ValueError` raised by the ORM (unknown field, wrong selection value, bad domain).
    pub(crate) fn value_error(message: impl Into<String>) -> SimFault {
        SimFault::python("ValueError", &message.into(), "models.py")
    }

    pub(crate) fn type_error(message: impl Into<String>) -> SimFault {
        SimFault::python("TypeError", &message.into(), "api.py")
    }

    /// The line a user should be shown: the last non-empty line of the fault string.
    pub fn last_line(&self) -> &str {
        last_line(&self.string)
    }

    /// A missing record touched by write/unlink (code 2).
    pub(crate) fn missing(model: &str, ids: &[i64], uid: i64) -> SimFault {
        let list = ids
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        SimFault {
            exception: Some("odoo.exceptions.MissingError"),
            ..SimFault::user(format!(
                "Record does not exist or has been deleted.\n(Record: {model}({list},), User: \
                 {uid})"
            ))
        }
    }

    /// The ACL refusal: `operation` is "read", "write", "create" or "unlink".
    pub(crate) fn acl(
        operation: &str,
        description: &str,
        model: &str,
        groups: &[String],
    ) -> SimFault {
        let verb = match operation {
            "read" => "access",
            "write" => "modify",
            "unlink" => "delete",
            other => other,
        };
        let allowed = if groups.is_empty() {
            "No group currently allows this operation.".to_owned()
        } else {
            let list: Vec<String> = groups.iter().map(|g| format!("\t- {g}")).collect();
            format!(
                "This operation is allowed for the following groups:\n{}",
                list.join("\n")
            )
        };
        SimFault::access(format!(
            "You are not allowed to {verb} '{description}' ({model}) records.\n\n{allowed}\n\n\
             Contact your administrator to request access if necessary."
        ))
    }
}

impl SimFault {
    /// The fault as JSON-RPC's `error.data` carries it (Odoo's `serialize_exception`): the
    /// qualified class name, the exception's message (its first argument) and a traceback
    /// ending on the line an XML-RPC fault ends on. Taught from the recorded errors of
    /// `fixtures/odoo17/jsonrpc/` (008, 010, 015, 038, 048, 099, ...).
    pub(crate) fn json_error(&self) -> crate::jsonrpc::ErrorData {
        let (name, message) = match self.code {
            1 => python_exception(&self.string),
            code => {
                let name = self.exception.unwrap_or(match code {
                    3 => "odoo.exceptions.AccessDenied",
                    4 => "odoo.exceptions.AccessError",
                    _ => "odoo.exceptions.UserError",
                });
                (name.to_owned(), self.string.clone())
            }
        };
        let debug = if self.code == 1 {
            self.string.clone()
        } else {
            format!(
                "Traceback (most recent call last):\n  File \"/opt/odoo/odoo/http.py\", in \
                 scorekeeper_sim\n    (simulated frame)\n{name}: {message}\n"
            )
        };
        crate::jsonrpc::ErrorData {
            name,
            message,
            debug,
        }
    }
}

/// The class (module-qualified, `builtins.` for Python's own) and message of the exception
/// a traceback ends with: the lines after the last indented frame line.
fn python_exception(traceback: &str) -> (String, String) {
    let lines: Vec<&str> = traceback.split('\n').collect();
    let start = lines
        .iter()
        .rposition(|l| l.starts_with(' '))
        .map_or(0, |i| i + 1);
    let block = lines[start..].join("\n");
    let block = block.strip_suffix('\n').unwrap_or(&block);
    let (class, message) = block.split_once(": ").unwrap_or((block, ""));
    let name = if class.contains('.') {
        class.to_owned()
    } else {
        format!("builtins.{class}")
    };
    // Python's `str(KeyError(k))` is `repr(k)`; the message Odoo sends is `k` itself.
    let message = match (
        class,
        message
            .strip_prefix('\'')
            .and_then(|m| m.strip_suffix('\'')),
    ) {
        ("KeyError", Some(key)) => key,
        _ => message,
    };
    (name, message.to_owned())
}

/// The last non-empty line of a fault string (what Odoo's last traceback line says).
pub fn last_line(s: &str) -> &str {
    s.trim_end().rsplit('\n').next().unwrap_or("").trim_end()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_faults_end_with_the_exception_line() {
        let f = SimFault::value_error("Invalid field 'x' on model 'crm.lead'");
        assert_eq!(f.code, 1);
        assert!(f.string.starts_with("Traceback (most recent call last):\n"));
        assert_eq!(
            f.last_line(),
            "ValueError: Invalid field 'x' on model 'crm.lead'"
        );
    }

    #[test]
    fn json_errors_name_odoos_classes() {
        let d = SimFault::python("KeyError", "'nope'", "http.py").json_error();
        assert_eq!(
            (d.name.as_str(), d.message.as_str()),
            ("builtins.KeyError", "nope")
        );
        assert!(d.debug.ends_with("KeyError: 'nope'\n"), "{}", d.debug);
        let d = SimFault::python(
            "psycopg2.OperationalError",
            "connection failed: FATAL:  database \"x\" does not exist\n",
            "sql_db.py",
        )
        .json_error();
        assert_eq!(d.name, "psycopg2.OperationalError");
        assert_eq!(
            d.message,
            "connection failed: FATAL:  database \"x\" does not exist\n"
        );
        let d = SimFault::missing("crm.lead", &[9], 2).json_error();
        assert_eq!(d.name, "odoo.exceptions.MissingError");
        assert_eq!(
            d.message,
            "Record does not exist or has been deleted.\n(Record: crm.lead(9,), User: 2)"
        );
        assert_eq!(
            SimFault::access_denied().json_error().name,
            "odoo.exceptions.AccessDenied"
        );
        assert_eq!(
            SimFault::access("x").json_error().name,
            "odoo.exceptions.AccessError"
        );
        assert_eq!(
            SimFault::validation("x").json_error().name,
            "odoo.exceptions.ValidationError"
        );
        assert_eq!(
            SimFault::user("x").json_error().name,
            "odoo.exceptions.UserError"
        );
    }

    #[test]
    fn acl_message_matches_odoo() {
        let f = SimFault::acl(
            "write",
            "Gamification Challenge",
            "gamification.challenge",
            &["Administration/Access Rights".to_owned()],
        );
        assert_eq!(f.code, 4);
        assert_eq!(
            f.string,
            "You are not allowed to modify 'Gamification Challenge' (gamification.challenge) \
             records.\n\nThis operation is allowed for the following groups:\n\t- \
             Administration/Access Rights\n\nContact your administrator to request access if \
             necessary."
        );
        assert_eq!(
            SimFault::missing("crm.lead", &[999999], 2).string,
            "Record does not exist or has been deleted.\n(Record: crm.lead(999999,), User: 2)"
        );
    }
}
