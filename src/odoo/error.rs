//! Typed errors for everything that can go wrong talking to Odoo: its faults (by code, with
//! the last line of its message kept), HTTP and transport failures, and answers of the wrong
//! shape. Also the one place that decides which failures are transient.

use std::time::Duration;

use crate::jsonrpc::{ErrorData, RpcError};
use crate::xmlrpc::{DecodeError, Fault, FaultCode};

/// An RPC that failed. `call` names what was attempted, e.g. `crm.lead.write` or
/// `common.authenticate`; no variant ever holds a password or a whole response body.
#[derive(Debug, thiserror::Error)]
pub enum OdooError {
    /// Fault 3: bad credentials, inactive user or login cooldown on an object call.
    #[error("{call}: access denied by Odoo (fault 3): {}", flat(.message))]
    AccessDenied { call: String, message: String },
    /// Fault 4: access rights, record rules, field groups, private methods.
    #[error("{call}: access error (fault 4): {}", flat(.message))]
    AccessError { call: String, message: String },
    /// Fault 2: `UserError`, `ValidationError`, `MissingError` (a deleted record), unknown model.
    #[error("{call}: rejected by Odoo (fault 2): {}", flat(.message))]
    UserError { call: String, message: String },
    /// Fault 1: any other server exception; `exception` and `message` come from the last
    /// traceback line (`ValueError: Invalid field ...`).
    #[error("{call}: server error (fault 1): {}", .last_line)]
    ServerError {
        call: String,
        exception: String,
        message: String,
        last_line: String,
    },
    /// A fault code Odoo does not use on `/xmlrpc/2`.
    #[error("{call}: fault {code}: {last_line}")]
    OtherFault {
        call: String,
        code: String,
        last_line: String,
    },
    /// `authenticate` answered `False`.
    #[error(
        "authentication failed: Odoo refused login {login:?} on database {database:?} \
         (wrong login, password or API key; inactive user; or too many failed attempts)"
    )]
    AuthenticationFailed { login: String, database: String },
    /// JSON-2 (Odoo 19+) refused the secret with 401: it takes API keys only, so a password
    /// that XML-RPC accepts is refused here. Kind `authentication_failed`.
    #[error(
        "authentication failed: Odoo refused the secret of login {login:?} on database \
         {database:?} over JSON-2 ({message}){hint}. JSON-2 takes API keys only, not \
         passwords: in Odoo open Preferences → Account Security → New API Key, then put the key \
         where password_env or password_file points (or set [odoo] protocol = \"xmlrpc\" to \
         keep logging in with the password while Odoo still serves XML-RPC)"
    )]
    ApiKeyRefused {
        login: String,
        database: String,
        /// Odoo's message ("Invalid apikey").
        message: String,
        /// Why the secret looks like a password, or empty (never the secret itself).
        hint: &'static str,
    },
    /// A call the chosen protocol cannot express (JSON-2 has no `common` service and needs
    /// every argument named); nothing was sent.
    #[error("{call}: cannot be sent over {protocol}: {reason}")]
    Unsupported {
        call: String,
        protocol: &'static str,
        reason: String,
    },
    /// A non-200 HTTP status (Odoo sends faults with 200, so this comes from a proxy, a wrong
    /// URL or a dying worker; JSON-2's own errors become the fault kinds, see
    /// [`OdooError::from_json2`]).
    #[error("{call}: HTTP {status} from {url}: {excerpt}")]
    Http {
        call: String,
        url: String,
        status: u16,
        excerpt: String,
    },
    /// HTTP 200 whose body is not the protocol's answer (a login page, a proxy's error
    /// page); `protocol` is "XML-RPC", "JSON-RPC" or "JSON-2" (the kind stays `not_xmlrpc`).
    #[error("{call}: {url} answered {content_type}, not {protocol}: {excerpt}")]
    NotXmlRpc {
        call: String,
        url: String,
        protocol: &'static str,
        content_type: String,
        excerpt: String,
    },
    #[error("{call}: cannot decode Odoo's answer: {source}")]
    Decode {
        call: String,
        /// Boxed: decode errors carry a path and an excerpt, and every `Result` in the client
        /// would otherwise pay for their size.
        #[source]
        source: Box<DecodeError>,
    },
    /// A JSON-RPC answer that is not well-formed (kind `decode`, like its XML-RPC twin).
    #[error("{call}: cannot decode Odoo's answer: {source}")]
    JsonDecode {
        call: String,
        #[source]
        source: crate::jsonrpc::DecodeError,
    },
    #[error("{call}: no answer from {url} within {}", secs(.after))]
    Timeout {
        call: String,
        url: String,
        after: Duration,
    },
    /// The TCP/TLS connection could not be made: the request was never sent.
    #[error("{call}: cannot connect to {url}: {detail}")]
    Connect {
        call: String,
        url: String,
        detail: String,
    },
    /// The connection broke during the exchange (reset, closed early, truncated body).
    #[error("{call}: connection to {url} broke during the exchange: {detail}")]
    Connection {
        call: String,
        url: String,
        detail: String,
    },
    /// A well-formed answer of the wrong shape.
    #[error("{call}: unexpected answer: expected {expected}, got {got}")]
    UnexpectedReply {
        call: String,
        expected: &'static str,
        got: String,
    },
    #[error("cannot set up the HTTP client: {0}")]
    Setup(String),
}

/// The variant of an [`OdooError`], for counters and matching without fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ErrorKind {
    AccessDenied,
    AccessError,
    UserError,
    ServerError,
    OtherFault,
    AuthenticationFailed,
    Http,
    NotXmlRpc,
    Decode,
    Timeout,
    Connect,
    Connection,
    UnexpectedReply,
    Setup,
    Unsupported,
}

impl ErrorKind {
    pub(crate) const ALL: [ErrorKind; 15] = [
        ErrorKind::AccessDenied,
        ErrorKind::AccessError,
        ErrorKind::UserError,
        ErrorKind::ServerError,
        ErrorKind::OtherFault,
        ErrorKind::AuthenticationFailed,
        ErrorKind::Http,
        ErrorKind::NotXmlRpc,
        ErrorKind::Decode,
        ErrorKind::Timeout,
        ErrorKind::Connect,
        ErrorKind::Connection,
        ErrorKind::UnexpectedReply,
        ErrorKind::Setup,
        ErrorKind::Unsupported,
    ];

    pub(crate) fn index(self) -> usize {
        self as usize
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            ErrorKind::AccessDenied => "access_denied",
            ErrorKind::AccessError => "access_error",
            ErrorKind::UserError => "user_error",
            ErrorKind::ServerError => "server_error",
            ErrorKind::OtherFault => "other_fault",
            ErrorKind::AuthenticationFailed => "authentication_failed",
            ErrorKind::Http => "http",
            ErrorKind::NotXmlRpc => "not_xmlrpc",
            ErrorKind::Decode => "decode",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Connect => "connect",
            ErrorKind::Connection => "connection",
            ErrorKind::UnexpectedReply => "unexpected_reply",
            ErrorKind::Setup => "setup",
            ErrorKind::Unsupported => "unsupported",
        }
    }
}

/// Markers of PostgreSQL concurrency failures in a fault's last line: Odoo already retried
/// these itself and rolled the transaction back, so trying again later is safe.
const CONCURRENCY_MARKERS: [&str; 5] = [
    "SerializationFailure",
    "could not serialize access",
    "deadlock detected",
    "DeadlockDetected",
    "LockNotAvailable",
];

impl OdooError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            OdooError::AccessDenied { .. } => ErrorKind::AccessDenied,
            OdooError::AccessError { .. } => ErrorKind::AccessError,
            OdooError::UserError { .. } => ErrorKind::UserError,
            OdooError::ServerError { .. } => ErrorKind::ServerError,
            OdooError::OtherFault { .. } => ErrorKind::OtherFault,
            OdooError::AuthenticationFailed { .. } | OdooError::ApiKeyRefused { .. } => {
                ErrorKind::AuthenticationFailed
            }
            OdooError::Unsupported { .. } => ErrorKind::Unsupported,
            OdooError::Http { .. } => ErrorKind::Http,
            OdooError::NotXmlRpc { .. } => ErrorKind::NotXmlRpc,
            OdooError::Decode { .. } | OdooError::JsonDecode { .. } => ErrorKind::Decode,
            OdooError::Timeout { .. } => ErrorKind::Timeout,
            OdooError::Connect { .. } => ErrorKind::Connect,
            OdooError::Connection { .. } => ErrorKind::Connection,
            OdooError::UnexpectedReply { .. } => ErrorKind::UnexpectedReply,
            OdooError::Setup(_) => ErrorKind::Setup,
        }
    }

    /// Whether trying the same call again later may succeed: connection failures, gateway
    /// errors (502/503/504), timeouts and PostgreSQL concurrency faults. Application faults
    /// (codes 1-4 otherwise) are answers, not accidents, and are never transient.
    pub fn is_transient(&self) -> bool {
        match self {
            OdooError::Connect { .. }
            | OdooError::Connection { .. }
            | OdooError::Timeout { .. } => true,
            OdooError::Http { status, .. } => matches!(status, 502..=504),
            OdooError::ServerError { .. } => self.is_concurrency_fault(),
            _ => false,
        }
    }

    /// Whether Odoo certainly did not apply the call, so even a non-idempotent one (`create`)
    /// may be sent again: the connection was never made, or Odoo rolled back a concurrency
    /// failure. A timeout or reset after sending may have committed.
    pub(crate) fn certainly_not_applied(&self) -> bool {
        matches!(self, OdooError::Connect { .. }) || self.is_concurrency_fault()
    }

    fn is_concurrency_fault(&self) -> bool {
        match self {
            OdooError::ServerError { last_line, .. } => {
                CONCURRENCY_MARKERS.iter().any(|m| last_line.contains(m))
            }
            _ => false,
        }
    }

    /// Whether the server could not be reached or talked to at all, or refused our
    /// credentials: what `check` reports with exit code 3.
    pub(crate) fn is_unreachable_or_auth(&self) -> bool {
        matches!(
            self.kind(),
            ErrorKind::Connect
                | ErrorKind::Connection
                | ErrorKind::Timeout
                | ErrorKind::Http
                | ErrorKind::NotXmlRpc
                | ErrorKind::AuthenticationFailed
                | ErrorKind::AccessDenied
        )
    }

    /// The last line of Odoo's fault message, what a user should be shown; `None` for
    /// errors that are not faults.
    pub fn last_line(&self) -> Option<&str> {
        match self {
            OdooError::AccessDenied { message, .. }
            | OdooError::AccessError { message, .. }
            | OdooError::UserError { message, .. } => Some(last_line_of(message)),
            OdooError::ServerError { last_line, .. } | OdooError::OtherFault { last_line, .. } => {
                Some(last_line)
            }
            _ => None,
        }
    }

    /// Maps an XML-RPC fault to its typed error. `/xmlrpc/2` uses int codes 1-4; the legacy
    /// `/xmlrpc` endpoint uses strings (`AccessDenied`, `warning -- Kind\n\nmessage`, or the
    /// exception message with the traceback in the fault string).
    pub fn from_fault(call: impl Into<String>, fault: &Fault) -> Self {
        let call = call.into();
        match &fault.code {
            FaultCode::Int(code) => from_int_fault(call, *code, &fault.string),
            FaultCode::Str(code) => from_str_fault(call, code, &fault.string),
        }
    }
}

impl OdooError {
    /// Maps a JSON-RPC `error` to the error the same exception gives as an XML-RPC fault
    /// (Odoo's `xmlrpc_handle_exception_int`: `AccessDenied` 3, `AccessError` and its
    /// subclass `CacheMiss` 4, `UserError` and its subclasses 2, anything else 1 with the
    /// traceback, whose last line `debug` carries as the fault string does).
    pub(crate) fn from_json_error(call: impl Into<String>, error: &RpcError) -> Self {
        let call = call.into();
        let Some(data) = &error.data else {
            // Not Odoo's serialized exception (a foreign JSON-RPC server or proxy).
            return OdooError::OtherFault {
                call,
                code: error.code.to_string(),
                last_line: last_line_of(&error.message).to_owned(),
            };
        };
        let message = data.message.trim().to_owned();
        match data.name.as_str() {
            "odoo.exceptions.AccessDenied" => OdooError::AccessDenied {
                call,
                message: if message.is_empty() {
                    "Access Denied".to_owned()
                } else {
                    message
                },
            },
            "odoo.exceptions.AccessError" | "odoo.exceptions.CacheMiss" => {
                OdooError::AccessError { call, message }
            }
            "odoo.exceptions.UserError"
            | "odoo.exceptions.ValidationError"
            | "odoo.exceptions.MissingError"
            | "odoo.exceptions.RedirectWarning"
            | "odoo.exceptions.LockError"
            | "odoo.exceptions.except_orm"
            | "odoo.exceptions.Warning" => OdooError::UserError { call, message },
            _ if !data.debug.trim().is_empty() => server_error(call, &data.debug),
            name => {
                let short = name.strip_prefix("builtins.").unwrap_or(name);
                server_error(call, &format!("{short}: {message}"))
            }
        }
    }
}

impl OdooError {
    /// Maps a JSON-2 error answer — Odoo's serialized exception under an HTTP status (see
    /// `fixtures/odoo19/json2-mirror`: 401, 403, 404, 422, 500) — to the error the same call
    /// gives over XML-RPC, keeping Odoo's message. The exception's class decides, as for
    /// JSON-RPC ([`OdooError::from_json_error`]); werkzeug's HTTP exceptions, which JSON-2
    /// raises itself (`addons/rpc/controllers/json2.py`), map to what `/xmlrpc/2` answers for
    /// the same mistake:
    /// - 401 `Unauthorized` ("Invalid apikey") → `AccessDenied`, fault 3's kind;
    /// - 404 `NotFound` for an unknown model → `UserError` (fault 2, "Object x doesn't
    ///   exist"), for an unknown method → `ServerError` `AttributeError` (fault 1, same text);
    /// - 422 `UnprocessableEntity` (arguments that do not bind) → `ServerError` `TypeError`;
    /// - 400 `BadRequest` (a body Odoo cannot parse) and any other HTTP exception →
    ///   [`OdooError::Http`] with Odoo's message.
    pub(crate) fn from_json2(
        call: impl Into<String>,
        url: &str,
        status: u16,
        error: &ErrorData,
    ) -> Self {
        let call = call.into();
        let message = error.message.trim().to_owned();
        match error.name.as_str() {
            "werkzeug.exceptions.Unauthorized" => OdooError::AccessDenied { call, message },
            // json2.py: `NotFound(f"the model {model!r} does not exist")` or the
            // `AttributeError` of `get_public_method` ("The method '…' does not exist").
            "werkzeug.exceptions.NotFound" if message.starts_with("The method ") => {
                typed_server_error(call, "AttributeError", &message)
            }
            "werkzeug.exceptions.NotFound" if message.starts_with("the model ") => {
                OdooError::UserError { call, message }
            }
            "werkzeug.exceptions.UnprocessableEntity" => {
                typed_server_error(call, "TypeError", &message)
            }
            name if name.starts_with("werkzeug.exceptions.") => OdooError::Http {
                call,
                url: url.to_owned(),
                status,
                excerpt: flat(&message),
            },
            _ => OdooError::from_json_error(
                call,
                &RpcError {
                    code: i64::from(status),
                    message: message.clone(),
                    data: Some(error.clone()),
                },
            ),
        }
    }
}

/// Fault 1's error for an exception JSON-2 reports without its class in the last line.
fn typed_server_error(call: String, exception: &str, message: &str) -> OdooError {
    server_error(call, &format!("{exception}: {message}"))
}

fn from_int_fault(call: String, code: i64, string: &str) -> OdooError {
    let message = string.trim().to_owned();
    match code {
        1 => server_error(call, string),
        2 => OdooError::UserError { call, message },
        3 => OdooError::AccessDenied { call, message },
        4 => OdooError::AccessError { call, message },
        other => OdooError::OtherFault {
            call,
            code: other.to_string(),
            last_line: last_line_of(string).to_owned(),
        },
    }
}

fn from_str_fault(call: String, code: &str, string: &str) -> OdooError {
    if code == "AccessDenied" {
        let message = if string.trim().is_empty() {
            "Access Denied"
        } else {
            string.trim()
        };
        return OdooError::AccessDenied {
            call,
            message: message.to_owned(),
        };
    }
    if let Some(rest) = code.strip_prefix("warning -- ") {
        let (kind, message) = rest.split_once("\n\n").unwrap_or((rest, ""));
        let message = message.trim().to_owned();
        return match kind.trim() {
            "AccessError" => OdooError::AccessError { call, message },
            _ => OdooError::UserError { call, message },
        };
    }
    if let Ok(n) = code.trim().parse::<i64>() {
        return from_int_fault(call, n, string);
    }
    // Legacy "other" faults: the code is the exception message, the string the traceback.
    let (exception, _) = split_exception(last_line_of(string));
    OdooError::ServerError {
        call,
        exception: exception.to_owned(),
        message: code.trim().to_owned(),
        last_line: last_line_of(string).to_owned(),
    }
}

fn server_error(call: String, traceback: &str) -> OdooError {
    let last = last_line_of(traceback);
    let (exception, message) = split_exception(last);
    OdooError::ServerError {
        call,
        exception: exception.to_owned(),
        message: message.to_owned(),
        last_line: last.to_owned(),
    }
}

/// The last non-blank line, trimmed.
pub(crate) fn last_line_of(text: &str) -> &str {
    text.lines()
        .rev()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("")
}

/// `ValueError: Invalid field ...` → (`ValueError`, `Invalid field ...`); a line that does not
/// start with a dotted identifier and a colon has no exception type.
fn split_exception(line: &str) -> (&str, &str) {
    if let Some((head, rest)) = line.split_once(": ") {
        let is_type = !head.is_empty()
            && head
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
        if is_type {
            return (head, rest.trim());
        }
    }
    ("", line)
}

/// Multi-line Odoo messages on one log line.
fn flat(message: &str) -> String {
    message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn secs(d: &Duration) -> String {
    let ms = d.as_millis();
    if ms.is_multiple_of(1000) {
        format!("{}s", ms / 1000)
    } else {
        format!("{ms}ms")
    }
}

/// At most ~160 characters of a foreign body for an error message: an HTML page's `<title>`
/// if it has one, otherwise its text with tags and runs of whitespace collapsed.
pub(crate) fn excerpt(body: &[u8]) -> String {
    const MAX: usize = 160;
    let text = String::from_utf8_lossy(&body[..body.len().min(4096)]);
    let lower = text.to_ascii_lowercase();
    let inner = match (lower.find("<title>"), lower.find("</title>")) {
        (Some(a), Some(b)) if b > a + 7 => text[a + 7..b].to_string(),
        _ => strip_tags(&text),
    };
    let collapsed = inner.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.chars().count() > MAX {
        let cut: String = collapsed.chars().take(MAX).collect();
        format!("{cut}…")
    } else if collapsed.is_empty() {
        "(empty body)".to_owned()
    } else {
        collapsed
    }
}

fn strip_tags(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_tag = false;
    for c in text.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fault(code: FaultCode, s: &str) -> Fault {
        Fault {
            code,
            string: s.to_owned(),
        }
    }

    #[test]
    fn int_codes_map_to_kinds() {
        let e = OdooError::from_fault(
            "crm.lead.search_count",
            &fault(FaultCode::Int(3), "Access Denied"),
        );
        assert_eq!(e.kind(), ErrorKind::AccessDenied);
        assert_eq!(e.last_line(), Some("Access Denied"));
        let e = OdooError::from_fault(
            "x.write",
            &fault(
                FaultCode::Int(4),
                "You are not allowed\n\nContact your administrator.",
            ),
        );
        assert_eq!(e.kind(), ErrorKind::AccessError);
        assert_eq!(e.last_line(), Some("Contact your administrator."));
        assert_eq!(
            e.to_string(),
            "x.write: access error (fault 4): You are not allowed Contact your administrator."
        );
        let e = OdooError::from_fault("x.y", &fault(FaultCode::Int(7), "odd\n"));
        assert_eq!(e.kind(), ErrorKind::OtherFault);
        assert_eq!(e.to_string(), "x.y: fault 7: odd");
    }

    #[test]
    fn server_error_splits_the_last_traceback_line() {
        let tb = "Traceback (most recent call last):\n  File \"x.py\", line 1\nValueError: Invalid field crm.lead.foo in leaf ('foo', '=', 1)\n";
        let e = OdooError::from_fault("crm.lead.search", &fault(FaultCode::Int(1), tb));
        let OdooError::ServerError {
            exception,
            message,
            last_line,
            ..
        } = &e
        else {
            panic!("{e:?}")
        };
        assert_eq!(exception, "ValueError");
        assert_eq!(
            message,
            "Invalid field crm.lead.foo in leaf ('foo', '=', 1)"
        );
        assert_eq!(
            last_line,
            "ValueError: Invalid field crm.lead.foo in leaf ('foo', '=', 1)"
        );
        assert!(!e.is_transient());
    }

    #[test]
    fn concurrency_faults_are_transient_and_safe() {
        for line in [
            "psycopg2.errors.SerializationFailure: could not serialize access due to concurrent update",
            "psycopg2.errors.DeadlockDetected: deadlock detected",
            "psycopg2.errors.LockNotAvailable: could not obtain lock on row in relation \"crm_lead\"",
        ] {
            let e = OdooError::from_fault(
                "crm.lead.write",
                &fault(FaultCode::Int(1), &format!("Traceback...\n{line}\n")),
            );
            assert!(e.is_transient(), "{line}");
            assert!(e.certainly_not_applied(), "{line}");
        }
        for code in [2, 3, 4] {
            let e = OdooError::from_fault(
                "m",
                &fault(FaultCode::Int(code), "could not serialize access"),
            );
            assert!(!e.is_transient(), "code {code}");
        }
    }

    #[test]
    fn json_errors_map_like_the_faults_xmlrpc_sends() {
        use crate::jsonrpc::ErrorData;
        let err = |name: &str, message: &str, debug: &str| RpcError {
            code: 200,
            message: "Odoo Server Error".into(),
            data: Some(ErrorData {
                name: name.into(),
                message: message.into(),
                debug: debug.into(),
            }),
        };
        let e = OdooError::from_json_error(
            "c",
            &err("odoo.exceptions.MissingError", "Gone\n(Record: x)", ""),
        );
        assert_eq!(
            (e.kind(), e.last_line()),
            (ErrorKind::UserError, Some("(Record: x)"))
        );
        let e = OdooError::from_json_error("c", &err("odoo.exceptions.AccessDenied", "", ""));
        assert_eq!(
            (e.kind(), e.last_line()),
            (ErrorKind::AccessDenied, Some("Access Denied"))
        );
        let e = OdooError::from_json_error("c", &err("odoo.exceptions.CacheMiss", "m", ""));
        assert_eq!(e.kind(), ErrorKind::AccessError);
        // The traceback's last line, as XML-RPC's fault 1 gives it.
        let tb = "Traceback (most recent call last):\n  File \"x\"\npsycopg2.errors.SerializationFailure: could not serialize access\n";
        let e = OdooError::from_json_error(
            "c",
            &err(
                "psycopg2.errors.SerializationFailure",
                "could not serialize access",
                tb,
            ),
        );
        let x = OdooError::from_fault("c", &fault(FaultCode::Int(1), tb));
        assert_eq!(e.to_string(), x.to_string());
        assert!(e.is_transient() && e.certainly_not_applied());
        // Without a traceback the line is rebuilt from the class and message.
        let e = OdooError::from_json_error("c", &err("builtins.ValueError", "Invalid leaf", ""));
        assert_eq!(e.last_line(), Some("ValueError: Invalid leaf"));
        // Not Odoo's serialized exception.
        let e = OdooError::from_json_error(
            "c",
            &RpcError {
                code: -32601,
                message: "Method not found".into(),
                data: None,
            },
        );
        assert_eq!(e.to_string(), "c: fault -32601: Method not found");
    }

    /// Every error answer of `fixtures/odoo19/json2-mirror` against the XML-RPC fault of the
    /// transcript it mirrors (`from`): the same kind, and the same last line where Odoo
    /// wrote the same text on both.
    #[test]
    fn json2_errors_have_the_kinds_of_the_xmlrpc_faults_they_mirror() {
        use crate::xmlrpc::{MethodResponse, decode_response};
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/odoo19");
        let mut paths: Vec<_> = std::fs::read_dir(format!("{dir}/json2-mirror"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        paths.sort();
        let mut compared = 0;
        for path in paths {
            let doc: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            let status = doc["status"].as_u64().unwrap() as u16;
            if status == 200 {
                continue;
            }
            let body = doc["response"].as_str().unwrap();
            let data = crate::jsonrpc::json2::decode_error(body.as_bytes()).unwrap();
            let json2 = OdooError::from_json2("c", "u", status, &data);
            let from = doc["from"].as_str().unwrap();
            let t: serde_json::Value = serde_json::from_str(
                &std::fs::read_to_string(format!("{dir}/transcripts/{from}")).unwrap(),
            )
            .unwrap();
            let Ok(MethodResponse::Fault(fault)) =
                decode_response(t["response"].as_str().unwrap().as_bytes())
            else {
                panic!("{from} is not a fault");
            };
            let xmlrpc = OdooError::from_fault("c", &fault);
            let name = path.display();
            assert_eq!(json2.kind(), xmlrpc.kind(), "{name}: {json2} / {xmlrpc}");
            if matches!(xmlrpc.kind(), ErrorKind::ServerError) && !from.contains("arity") {
                assert_eq!(json2.last_line(), xmlrpc.last_line(), "{name}");
            }
            compared += 1;
        }
        assert_eq!(compared, 16);
    }

    #[test]
    fn json2_http_exceptions() {
        let data = |name: &str, message: &str| ErrorData {
            name: name.into(),
            message: message.into(),
            debug: "Traceback\nwerkzeug.exceptions.X: 4xx".into(),
        };
        // fixtures/odoo19/json2/009-malformed-json.json
        let e = OdooError::from_json2(
            "crm.lead.search_read",
            "http://h/json/2/crm.lead/search_read",
            400,
            &data(
                "werkzeug.exceptions.BadRequest",
                "could not parse the body as json: Expecting property name",
            ),
        );
        assert_eq!(
            e.to_string(),
            "crm.lead.search_read: HTTP 400 from http://h/json/2/crm.lead/search_read: could \
             not parse the body as json: Expecting property name"
        );
        assert!(!e.is_transient());
        // 027-get-not-allowed.json: a 404 that names neither a model nor a method.
        let e = OdooError::from_json2(
            "c",
            "u",
            404,
            &data(
                "werkzeug.exceptions.NotFound",
                "Did you mean POST /json/2/<model>/<method>?",
            ),
        );
        assert_eq!(e.kind(), ErrorKind::Http);
        // A concurrency failure stays retryable.
        let e = OdooError::from_json2(
            "c",
            "u",
            500,
            &ErrorData {
                name: "psycopg2.errors.SerializationFailure".into(),
                message: "could not serialize access".into(),
                debug:
                    "Traceback\npsycopg2.errors.SerializationFailure: could not serialize access\n"
                        .into(),
            },
        );
        assert!(e.is_transient() && e.certainly_not_applied());
        // Odoo's refusals are final: not transient, and apply takes them as permanent (Odoo
        // rolled back), while a proxy's 502 leaves a write's outcome unknown.
        use crate::apply::WriteError;
        for (status, name) in [
            (401, "werkzeug.exceptions.Unauthorized"),
            (403, "odoo.exceptions.AccessError"),
            (404, "odoo.exceptions.MissingError"),
            (422, "odoo.exceptions.ValidationError"),
            (422, "werkzeug.exceptions.UnprocessableEntity"),
            (500, "builtins.ValueError"),
        ] {
            let e = OdooError::from_json2("c", "u", status, &data(name, "no"));
            assert!(!e.is_transient(), "{status}");
            assert!(
                matches!(crate::odoo::classify(e), WriteError::Permanent(_)),
                "{status} {name}"
            );
        }
        let gateway = OdooError::Http {
            call: "c".into(),
            url: "u".into(),
            status: 502,
            excerpt: String::new(),
        };
        assert!(matches!(
            crate::odoo::classify(gateway),
            WriteError::Unknown(_)
        ));
    }

    #[test]
    fn legacy_string_codes() {
        let e = OdooError::from_fault(
            "c.m",
            &fault(FaultCode::Str("AccessDenied".into()), "Access Denied"),
        );
        assert_eq!(e.kind(), ErrorKind::AccessDenied);
        let e = OdooError::from_fault(
            "c.m",
            &fault(
                FaultCode::Str("warning -- AccessError\n\nNot allowed".into()),
                "",
            ),
        );
        assert_eq!(e.kind(), ErrorKind::AccessError);
        assert_eq!(e.last_line(), Some("Not allowed"));
        let e = OdooError::from_fault(
            "c.m",
            &fault(
                FaultCode::Str("warning -- MissingError\n\nRecord does not exist".into()),
                "",
            ),
        );
        assert_eq!(e.kind(), ErrorKind::UserError);
        let e = OdooError::from_fault(
            "c.m",
            &fault(
                FaultCode::Str("Invalid field foo".into()),
                "Traceback\nValueError: Invalid field foo",
            ),
        );
        let OdooError::ServerError {
            exception, message, ..
        } = &e
        else {
            panic!()
        };
        assert_eq!(
            (exception.as_str(), message.as_str()),
            ("ValueError", "Invalid field foo")
        );
    }

    #[test]
    fn transient_classification() {
        let http = |status| OdooError::Http {
            call: "c".into(),
            url: "u".into(),
            status,
            excerpt: String::new(),
        };
        assert!(http(502).is_transient() && http(503).is_transient() && http(504).is_transient());
        assert!(
            !http(500).is_transient() && !http(405).is_transient() && !http(404).is_transient()
        );
        let t = OdooError::Timeout {
            call: "c".into(),
            url: "u".into(),
            after: Duration::from_millis(1500),
        };
        assert!(t.is_transient() && !t.certainly_not_applied());
        assert_eq!(t.to_string(), "c: no answer from u within 1500ms");
        let c = OdooError::Connect {
            call: "c".into(),
            url: "u".into(),
            detail: "refused".into(),
        };
        assert!(c.is_transient() && c.certainly_not_applied());
    }

    #[test]
    fn excerpts_stay_short() {
        let page = b"<!doctype html>\n<html lang=en>\n<title>405 Method Not Allowed</title>\n<h1>Method Not Allowed</h1>";
        assert_eq!(excerpt(page), "405 Method Not Allowed");
        assert_eq!(
            excerpt(b"<html><body><h1>Bad   gateway</h1></body></html>"),
            "Bad gateway"
        );
        let long = "é".repeat(10_000);
        let e = excerpt(long.as_bytes());
        assert!(e.chars().count() <= 161, "{}", e.len());
        assert_eq!(excerpt(b""), "(empty body)");
    }

    #[test]
    fn kinds_are_indexed_densely() {
        for (i, k) in ErrorKind::ALL.iter().enumerate() {
            assert_eq!(k.index(), i);
        }
    }
}
