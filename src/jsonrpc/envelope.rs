//! The JSON-RPC 2.0 envelope as Odoo uses it: requests `{"jsonrpc": "2.0", "method": "call",
//! "params": {...}, "id": n}`, answers `{"jsonrpc": "2.0", "id": n, "result": ...}` or, for
//! any exception, HTTP 200 with `{"error": {"code": 200, "message": "Odoo Server Error",
//! "data": {"name", "debug", "message", "arguments", "context"}}}` (recorded in
//! `fixtures/odoo17/jsonrpc/`).

use serde::{Deserialize, Deserializer, Serialize};

use super::value::{FromJson, Json, JsonSlice};
use crate::xmlrpc::{Struct, Value};

/// A body that is not a JSON-RPC answer (or request). serde_json's message names the line
/// and column; no part of the body is kept, since bodies can hold credentials.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("JSON-RPC decode error: {detail}")]
pub struct DecodeError {
    pub detail: String,
}

impl DecodeError {
    pub(crate) fn new(detail: impl Into<String>) -> Self {
        Self {
            detail: detail.into(),
        }
    }
}

impl From<serde_json::Error> for DecodeError {
    fn from(e: serde_json::Error) -> Self {
        Self::new(e.to_string())
    }
}

/// An answer: the method's result, or Odoo's error object.
#[derive(Clone, Debug, PartialEq)]
pub enum Response {
    Result(Value),
    Error(RpcError),
}

/// JSON-RPC's `error` member.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct RpcError {
    /// 200 for every server exception, 100 for an expired session (Odoo's own codes).
    pub code: i64,
    /// `Odoo Server Error`, `Odoo Session Expired`.
    pub message: String,
    /// Odoo's serialized exception, when the server is Odoo.
    pub data: Option<ErrorData>,
}

/// Odoo's `serialize_exception`: the exception's qualified class name, its message (its first
/// argument) and the traceback.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct ErrorData {
    /// `odoo.exceptions.AccessError`, `builtins.ValueError`, `psycopg2.errors.SerializationFailure`.
    pub name: String,
    pub message: String,
    /// Python's traceback; its last line is what an XML-RPC fault's last line says.
    pub debug: String,
}

#[derive(Serialize)]
struct RawCall<'a> {
    jsonrpc: &'static str,
    method: &'static str,
    params: CallParams<'a>,
    id: u64,
}

#[derive(Serialize)]
struct CallParams<'a> {
    service: &'a str,
    method: &'a str,
    args: JsonSlice<'a>,
}

/// The body of a call of `service.method(*args)` on `/jsonrpc`.
pub fn encode_call(service: &str, method: &str, args: &[Value], id: u64) -> Vec<u8> {
    let call = RawCall {
        jsonrpc: "2.0",
        method: "call",
        params: CallParams {
            service,
            method,
            args: JsonSlice(args),
        },
        id,
    };
    // Serializing into a Vec cannot fail: every map key is a string and every value has a
    // JSON form (see `Json`).
    serde_json::to_vec(&call).unwrap_or_default()
}

/// Deserializes a member that is present (even `null`) as `Some`; absent members stay `None`
/// through `#[serde(default)]`.
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<FromJson>, D::Error> {
    FromJson::deserialize(d).map(Some)
}

#[derive(Deserialize)]
struct RawResponse {
    #[serde(default, deserialize_with = "present")]
    result: Option<FromJson>,
    #[serde(default)]
    error: Option<RawError>,
}

#[derive(Deserialize)]
struct RawError {
    #[serde(default)]
    code: Option<i64>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    data: Option<RawData>,
}

#[derive(Deserialize)]
struct RawData {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    debug: Option<String>,
}

/// Reads an answer body.
pub fn decode_response(body: &[u8]) -> Result<Response, DecodeError> {
    let raw: RawResponse = serde_json::from_slice(body)?;
    match (raw.error, raw.result) {
        (Some(e), _) => Ok(Response::Error(RpcError {
            code: e.code.unwrap_or(0),
            message: e.message.unwrap_or_default(),
            data: e.data.map(|d| ErrorData {
                name: d.name.unwrap_or_default(),
                message: d.message.unwrap_or_default(),
                debug: d.debug.unwrap_or_default(),
            }),
        })),
        (None, Some(FromJson(v))) => Ok(Response::Result(v)),
        (None, None) => Err(DecodeError::new(
            "the answer has neither \"result\" nor \"error\"",
        )),
    }
}

/// A request as a server reads it: its `id` (echoed back) and `params`.
#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    pub id: Value,
    pub params: Value,
}

#[derive(Deserialize)]
struct RawRequest {
    #[serde(default, deserialize_with = "present")]
    id: Option<FromJson>,
    #[serde(default, deserialize_with = "present")]
    params: Option<FromJson>,
}

/// Reads a request body; a missing `params` is an empty object and a missing `id` is `null`,
/// as Odoo's dispatcher takes them.
pub fn decode_request(body: &[u8]) -> Result<Request, DecodeError> {
    let raw: RawRequest = serde_json::from_slice(body)?;
    Ok(Request {
        id: raw.id.map_or(Value::Nil, |v| v.0),
        params: raw
            .params
            .map_or_else(|| Value::Struct(Struct::new()), |v| v.0),
    })
}

#[derive(Serialize)]
struct RawResult<'a> {
    jsonrpc: &'static str,
    id: Json<'a>,
    result: Json<'a>,
}

#[derive(Serialize)]
struct RawErrorOut<'a> {
    jsonrpc: &'static str,
    id: Json<'a>,
    error: ErrorOut<'a>,
}

#[derive(Serialize)]
struct ErrorOut<'a> {
    code: i64,
    message: &'a str,
    data: DataOut<'a>,
}

#[derive(Serialize)]
struct DataOut<'a> {
    name: &'a str,
    debug: &'a str,
    message: &'a str,
    arguments: [&'a str; 1],
    context: Empty,
}

#[derive(Serialize)]
struct Empty {}

/// A successful answer to the request `id`.
pub fn encode_result(id: &Value, result: &Value) -> Vec<u8> {
    serde_json::to_vec(&RawResult {
        jsonrpc: "2.0",
        id: Json(id),
        result: Json(result),
    })
    .unwrap_or_default()
}

/// Odoo's error answer to the request `id` (`code` 200, "Odoo Server Error"; `arguments`
/// holds the message, `context` is empty, as in every recorded error).
pub fn encode_error(id: &Value, error: &RpcError) -> Vec<u8> {
    let data = error.data.clone().unwrap_or_default();
    serde_json::to_vec(&RawErrorOut {
        jsonrpc: "2.0",
        id: Json(id),
        error: ErrorOut {
            code: error.code,
            message: &error.message,
            data: DataOut {
                name: &data.name,
                debug: &data.debug,
                message: &data.message,
                arguments: [&data.message],
                context: Empty {},
            },
        },
    })
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_use_odoos_envelope() {
        let body = encode_call(
            "object",
            "execute_kw",
            &[Value::from("db"), Value::Int(2), Value::Array(vec![])],
            7,
        );
        assert_eq!(
            String::from_utf8(body).unwrap(),
            r#"{"jsonrpc":"2.0","method":"call","params":{"service":"object","method":"execute_kw","args":["db",2,[]]},"id":7}"#
        );
    }

    #[test]
    fn results_errors_and_null() {
        assert_eq!(
            decode_response(br#"{"jsonrpc": "2.0", "id": 2, "result": 2}"#).unwrap(),
            Response::Result(Value::Int(2))
        );
        assert_eq!(
            decode_response(br#"{"jsonrpc": "2.0", "id": 2, "result": null}"#).unwrap(),
            Response::Result(Value::Nil)
        );
        let e = decode_response(
            br#"{"jsonrpc": "2.0", "id": 8, "error": {"code": 200, "message": "Odoo Server Error", "data": {"name": "odoo.exceptions.UserError", "debug": "Traceback\nodoo.exceptions.UserError: no", "message": "no", "arguments": ["no"], "context": {}}}}"#,
        )
        .unwrap();
        let Response::Error(e) = e else { panic!() };
        assert_eq!(e.code, 200);
        let d = e.data.unwrap();
        assert_eq!(
            (d.name.as_str(), d.message.as_str()),
            ("odoo.exceptions.UserError", "no")
        );
        assert!(decode_response(br#"{"jsonrpc": "2.0", "id": 2}"#).is_err());
        assert!(decode_response(b"{\"jsonrpc\": \"2.0\", \"id\": 2, \"result\": [1,").is_err());
        assert!(decode_response(b"<html>").is_err());
    }

    #[test]
    fn requests_and_answers_round_trip() {
        let r = decode_request(br#"{"jsonrpc":"2.0","method":"call","params":{"a":1},"id":"x"}"#)
            .unwrap();
        assert_eq!(r.id, Value::from("x"));
        let r = decode_request(br#"{"jsonrpc":"2.0","method":"call"}"#).unwrap();
        assert_eq!((r.id, r.params), (Value::Nil, Value::Struct(Struct::new())));
        let e = RpcError {
            code: 200,
            message: "Odoo Server Error".into(),
            data: Some(ErrorData {
                name: "builtins.KeyError".into(),
                message: "nope".into(),
                debug: "tb".into(),
            }),
        };
        let body = encode_error(&Value::Int(1), &e);
        assert_eq!(
            String::from_utf8(body.clone()).unwrap(),
            r#"{"jsonrpc":"2.0","id":1,"error":{"code":200,"message":"Odoo Server Error","data":{"name":"builtins.KeyError","debug":"tb","message":"nope","arguments":["nope"],"context":{}}}}"#
        );
        assert_eq!(decode_response(&body).unwrap(), Response::Error(e));
    }
}
