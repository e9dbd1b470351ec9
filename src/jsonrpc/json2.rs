//! JSON-2, Odoo 19's external API (`POST /json/2/<model>/<method>`): the body is the method's
//! arguments **by name**, plus `ids` (the records a record method runs on) and `context`; an
//! answer is the bare result as JSON, an error an HTTP 4xx/5xx whose body is Odoo's serialized
//! exception (`{"name", "message", "arguments", "context", "debug"}`, recorded in
//! `fixtures/odoo19/json2/`).
//!
//! The client speaks `execute_kw`'s positional arguments whatever the protocol, so this file
//! holds the one table of parameter names (Odoo 19's signatures in `odoo/orm/models.py` and
//! `ir_model.py`), used both ways: the client names positional arguments with it, the
//! simulator puts named ones back in order.

use serde::Deserialize;

use super::envelope::{DecodeError, ErrorData};
use super::value::{FromJson, Json};
use crate::xmlrpc::{Struct, Value};

/// One method's parameters in Odoo 19's order, `ids` first for a method that runs on
/// records (XML-RPC passes those ids as the first positional argument), and how many of
/// them (after `ids`) have no default.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Signature {
    pub names: &'static [&'static str],
    pub required: usize,
}

impl Signature {
    /// Whether the method runs on records (`ids` comes first).
    pub fn on_records(&self) -> bool {
        self.names.first() == Some(&"ids")
    }

    /// The names after `ids`.
    pub fn params(&self) -> &'static [&'static str] {
        if self.on_records() {
            &self.names[1..]
        } else {
            self.names
        }
    }
}

const fn sig(names: &'static [&'static str], required: usize) -> Signature {
    Signature { names, required }
}

/// Every method scorekeeper calls, with Odoo 19's parameter names.
const SIGNATURES: &[(&str, Signature)] = &[
    ("search", sig(&["domain", "offset", "limit", "order"], 1)),
    ("search_count", sig(&["domain", "limit"], 1)),
    (
        "search_read",
        sig(&["domain", "fields", "offset", "limit", "order"], 0),
    ),
    ("read", sig(&["ids", "fields", "load"], 0)),
    ("write", sig(&["ids", "vals"], 1)),
    ("create", sig(&["vals_list"], 1)),
    ("unlink", sig(&["ids"], 0)),
    ("fields_get", sig(&["allfields", "attributes"], 0)),
    (
        "read_group",
        sig(
            &[
                "domain", "fields", "groupby", "offset", "limit", "orderby", "lazy",
            ],
            3,
        ),
    ),
    (
        "formatted_read_group",
        sig(
            &[
                "domain",
                "groupby",
                "aggregates",
                "having",
                "offset",
                "limit",
                "order",
            ],
            0,
        ),
    ),
    (
        "web_search_read",
        sig(
            &[
                "domain",
                "specification",
                "offset",
                "limit",
                "order",
                "count_limit",
            ],
            2,
        ),
    ),
    (
        "name_search",
        sig(&["name", "domain", "operator", "limit"], 0),
    ),
    (
        "check_object_reference",
        sig(&["module", "xml_id", "raise_on_access_error"], 2),
    ),
    (
        "check_access_rights",
        sig(&["operation", "raise_exception"], 1),
    ),
    ("has_access", sig(&["ids", "operation"], 1)),
    ("default_get", sig(&["fields"], 1)),
    // `res.users.context_get()`: JSON-2's way to learn the uid (there is no `authenticate`).
    ("context_get", sig(&[], 0)),
];

/// The signature of `method`, if it is one scorekeeper knows by name. Any other public
/// method (`action_start`, `update_goal`, …) is taken to run on records with no further
/// argument, which is how Odoo's buttons are called.
pub fn signature(method: &str) -> Option<Signature> {
    SIGNATURES
        .iter()
        .find(|(name, _)| *name == method)
        .map(|(_, s)| *s)
}

/// Why a call cannot be sent over JSON-2.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NamingError {
    #[error(
        "{method} takes {expected} positional argument(s) over JSON-2, got {got}; name the rest"
    )]
    TooManyArguments {
        method: String,
        expected: usize,
        got: usize,
    },
    #[error("{method}: argument {name:?} given both by position and by name")]
    Twice { method: String, name: &'static str },
}

/// The JSON-2 body of `method(*args, **kwargs)` as `execute_kw` would have sent it: each
/// positional argument under its parameter name (see [`signature`]), then `kwargs` as they
/// are (`context` included).
pub fn encode_call(method: &str, args: &[Value], kwargs: &Struct) -> Result<Vec<u8>, NamingError> {
    let names: &[&str] = match signature(method) {
        Some(s) => s.names,
        None => &["ids"],
    };
    if args.len() > names.len() {
        return Err(NamingError::TooManyArguments {
            method: method.to_owned(),
            expected: names.len(),
            got: args.len(),
        });
    }
    let mut body = Struct::with_capacity(args.len() + kwargs.len());
    for (name, value) in names.iter().zip(args) {
        if kwargs.get(name).is_some() {
            return Err(NamingError::Twice {
                method: method.to_owned(),
                name,
            });
        }
        body.push(*name, value.clone());
    }
    for (k, v) in kwargs.iter() {
        body.push(k, v.clone());
    }
    // A map of strings to values always has a JSON form (see `Json`).
    Ok(serde_json::to_vec(&Json(&Value::Struct(body))).unwrap_or_default())
}

/// A JSON-2 body read back into `execute_kw`'s shape: `ids` (for a method on records) and then
/// the named arguments, positionally as long as they come without a gap in the signature's
/// order; every other member (a later argument after a gap, `context`, a name the table does
/// not know) stays a keyword argument. A body that is not a JSON object is refused.
pub fn decode_call(method: &str, body: &[u8]) -> Result<(Vec<Value>, Struct), DecodeError> {
    let FromJson(value) = serde_json::from_slice(body)?;
    let Value::Struct(mut named) = value else {
        return Err(DecodeError::new("the body is not a JSON object"));
    };
    let mut args = Vec::new();
    let names: &[&str] = match signature(method) {
        Some(s) => s.names,
        None => &["ids"],
    };
    for name in names {
        match named.remove(name) {
            Some(v) => args.push(v),
            None => break,
        }
    }
    Ok((args, named))
}

/// Odoo's serialized exception, the body of every JSON-2 error answer.
#[derive(Deserialize)]
struct RawError {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    debug: Option<String>,
}

/// The error of a JSON-2 answer's body, when it is Odoo's serialized exception (not an HTML
/// page or a proxy's text).
pub fn decode_error(body: &[u8]) -> Option<ErrorData> {
    let raw: RawError = serde_json::from_slice(body).ok()?;
    let name = raw.name?;
    Some(ErrorData {
        name,
        message: raw.message.unwrap_or_default(),
        debug: raw.debug.unwrap_or_default(),
    })
}

/// A JSON-2 answer body (the result itself, no envelope).
pub fn decode_result(body: &[u8]) -> Result<Value, DecodeError> {
    let FromJson(v) = serde_json::from_slice(body)?;
    Ok(v)
}

/// The body of a JSON-2 error answer, as Odoo writes it.
pub fn encode_error(name: &str, message: &str, arguments: &[Value], debug: &str) -> Vec<u8> {
    let mut body = Struct::with_capacity(5);
    body.push("name", Value::from(name));
    body.push("message", Value::from(message));
    body.push("arguments", Value::Array(arguments.to_vec()));
    body.push("context", Value::Struct(Struct::new()));
    body.push("debug", Value::from(debug));
    serde_json::to_vec(&Json(&Value::Struct(body))).unwrap_or_default()
}

/// A JSON-2 success body.
pub fn encode_result(result: &Value) -> Vec<u8> {
    serde_json::to_vec(&Json(result)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(body: Vec<u8>) -> String {
        String::from_utf8(body).unwrap()
    }

    fn domain() -> Value {
        Value::Array(vec![Value::Array(vec![
            Value::from("share"),
            Value::from("="),
            Value::Bool(false),
        ])])
    }

    #[test]
    fn positional_arguments_get_odoo_19s_names() {
        let mut kw = Struct::new();
        kw.push("limit", Value::Int(5));
        assert_eq!(
            text(
                encode_call(
                    "search_read",
                    &[domain(), Value::Array(vec![Value::from("name")])],
                    &kw
                )
                .unwrap()
            ),
            r#"{"domain":[["share","=",false]],"fields":["name"],"limit":5}"#
        );
        let vals = {
            let mut s = Struct::new();
            s.push("x_lead_score", Value::Int(1));
            Value::Struct(s)
        };
        assert_eq!(
            text(
                encode_call(
                    "write",
                    &[Value::Array(vec![Value::Int(45)]), vals.clone()],
                    &Struct::new()
                )
                .unwrap()
            ),
            r#"{"ids":[45],"vals":{"x_lead_score":1}}"#
        );
        assert_eq!(
            text(encode_call("create", &[Value::Array(vec![vals])], &Struct::new()).unwrap()),
            r#"{"vals_list":[{"x_lead_score":1}]}"#
        );
        // A button runs on records and takes nothing else.
        assert_eq!(
            text(
                encode_call(
                    "action_start",
                    &[Value::Array(vec![Value::Int(1)])],
                    &Struct::new()
                )
                .unwrap()
            ),
            r#"{"ids":[1]}"#
        );
    }

    #[test]
    fn unnamed_or_doubled_arguments_are_refused() {
        let e = encode_call(
            "action_start",
            &[Value::Int(1), Value::Int(2)],
            &Struct::new(),
        );
        assert!(matches!(
            e,
            Err(NamingError::TooManyArguments {
                expected: 1,
                got: 2,
                ..
            })
        ));
        let mut kw = Struct::new();
        kw.push("domain", domain());
        let e = encode_call("search", &[domain()], &kw);
        assert!(matches!(e, Err(NamingError::Twice { name: "domain", .. })));
    }

    #[test]
    fn named_arguments_go_back_in_order_until_a_gap() {
        // From fixtures/odoo19/json2-mirror: `search_read` with `domain`, `fields`, `limit`.
        let (args, kw) = decode_call(
            "search_read",
            br#"{"domain": [], "fields": ["name"], "limit": 3, "context": {"lang": "vi_VN"}}"#,
        )
        .unwrap();
        assert_eq!(args.len(), 2);
        assert_eq!(kw.keys().collect::<Vec<_>>(), ["limit", "context"]);
        let (args, kw) =
            decode_call("write", br#"{"ids": [45], "vals": {"priority": "1"}}"#).unwrap();
        assert_eq!(args[0], Value::Array(vec![Value::Int(45)]));
        assert!(kw.is_empty());
        assert!(decode_call("search", b"[1]").is_err());
        assert!(decode_call("search", b"{not json").is_err());
    }

    #[test]
    fn every_call_round_trips() {
        for (method, _) in SIGNATURES {
            let s = signature(method).unwrap();
            let args: Vec<Value> = (0..s.names.len() as i64).map(Value::Int).collect();
            let body = encode_call(method, &args, &Struct::new()).unwrap();
            let (back, kw) = decode_call(method, &body).unwrap();
            assert_eq!(back, args, "{method}");
            assert!(kw.is_empty());
        }
    }

    #[test]
    fn odoo_errors_are_read_from_the_body() {
        // fixtures/odoo19/json2/004-bad-key.json (traceback shortened).
        let body = br#"{"name": "werkzeug.exceptions.Unauthorized", "message": "Invalid apikey", "arguments": ["Invalid apikey", 401], "context": {}, "debug": "Traceback\n"}"#;
        let e = decode_error(body).unwrap();
        assert_eq!(e.name, "werkzeug.exceptions.Unauthorized");
        assert_eq!(e.message, "Invalid apikey");
        assert!(decode_error(b"<!doctype html>").is_none());
        let again = encode_error(&e.name, &e.message, &[], &e.debug);
        assert_eq!(decode_error(&again).unwrap(), e);
    }
}
