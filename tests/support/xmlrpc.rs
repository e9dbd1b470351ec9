//! What the XML-RPC codec tests share (`xmlrpc_conformance`, `xmlrpc_props`).

use scorekeeper::xmlrpc::{Value, strip_forbidden_chars};

/// What a value becomes after encoding and decoding: the characters XML 1.0 forbids are
/// stripped from every text the encoder writes (strings, struct keys, and the text of
/// `dateTime.iso8601` and `base64` values alike: they all go through one escaping routine).
pub fn stripped(v: &Value) -> Value {
    let s = |t: &str| strip_forbidden_chars(t).into_owned();
    match v {
        Value::String(t) => Value::String(s(t)),
        Value::DateTime(t) => Value::DateTime(s(t)),
        Value::Base64(t) => Value::Base64(s(t)),
        Value::Array(items) => Value::Array(items.iter().map(stripped).collect()),
        Value::Struct(m) => Value::Struct(m.iter().map(|(k, v)| (s(k), stripped(v))).collect()),
        other => other.clone(),
    }
}
