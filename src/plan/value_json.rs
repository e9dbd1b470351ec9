//! The JSON text form of a `record::Value`, used by the journal (old and new values) and by
//! `scorekeeper plan --json`. It is explicit so that every value round-trips exactly.
//!
//! Encoding (one JSON value per `Value`):
//!
//! | `Value`          | JSON                      |
//! |------------------|---------------------------|
//! | `Null`           | `null`                    |
//! | `Bool(b)`        | `true` / `false`          |
//! | `Int(i)`         | a bare integer: `42`      |
//! | `Float(x)`       | `{"float": "0.1"}`        |
//! | `Str(s)`         | a JSON string             |
//! | `Many2one(id)`   | `{"m2o": 5}`              |
//! | `Ids(ids)`       | `{"ids": [1, 2]}`         |
//!
//! Floats are tagged and carried as Rust's shortest round-trip decimal text (`"NaN"`, `"inf"`,
//! `"-inf"`, `"-0"` included) because JSON numbers cannot hold NaN or infinities and JSON
//! parsers are not all exact on the last bit.

use serde_json::{Map, Number, Value as Json};
use thiserror::Error;

use crate::record::Value;

/// A JSON value that is not in the encoding above.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("not an encoded field value: {excerpt}")]
pub struct DecodeValueError {
    /// The offending JSON, cut to a short excerpt.
    pub excerpt: String,
}

impl DecodeValueError {
    fn new(json: &Json) -> Self {
        let text = json.to_string();
        let excerpt = match text.char_indices().nth(80) {
            Some((cut, _)) => format!("{}…", &text[..cut]),
            None => text,
        };
        DecodeValueError { excerpt }
    }
}

/// Encodes a value as JSON (see the module table).
pub fn value_to_json(value: &Value) -> Json {
    match value {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(i) => Json::Number(Number::from(*i)),
        Value::Float(x) => tagged("float", Json::String(x.to_string())),
        Value::Str(s) => Json::String(s.clone()),
        Value::Many2one(id) => tagged("m2o", Json::Number(Number::from(*id))),
        Value::Ids(ids) => tagged(
            "ids",
            Json::Array(
                ids.iter()
                    .map(|id| Json::Number(Number::from(*id)))
                    .collect(),
            ),
        ),
    }
}

fn tagged(tag: &str, inner: Json) -> Json {
    let mut map = Map::with_capacity(1);
    map.insert(tag.to_owned(), inner);
    Json::Object(map)
}

/// Decodes what [`value_to_json`] produced.
pub fn value_from_json(json: &Json) -> Result<Value, DecodeValueError> {
    let bad = || DecodeValueError::new(json);
    match json {
        Json::Null => Ok(Value::Null),
        Json::Bool(b) => Ok(Value::Bool(*b)),
        Json::Number(n) => n.as_i64().map(Value::Int).ok_or_else(bad),
        Json::String(s) => Ok(Value::Str(s.clone())),
        Json::Object(map) if map.len() == 1 => {
            let (tag, inner) = map.iter().next().ok_or_else(bad)?;
            match (tag.as_str(), inner) {
                ("float", Json::String(text)) => {
                    text.parse::<f64>().map(Value::Float).map_err(|_| bad())
                }
                ("m2o", Json::Number(n)) => n.as_i64().map(Value::Many2one).ok_or_else(bad),
                ("ids", Json::Array(items)) => items
                    .iter()
                    .map(|item| item.as_i64().ok_or_else(bad))
                    .collect::<Result<Vec<_>, _>>()
                    .map(Value::Ids),
                _ => Err(bad()),
            }
        }
        _ => Err(bad()),
    }
}

/// The encoded value as compact JSON text (what the journal stores).
pub fn encode_value(value: &Value) -> String {
    value_to_json(value).to_string()
}

/// Parses journal text back into a value.
pub fn decode_value(text: &str) -> Result<Value, DecodeValueError> {
    let json: Json = serde_json::from_str(text).map_err(|_| DecodeValueError {
        excerpt: text.chars().take(80).collect(),
    })?;
    value_from_json(&json)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(value: Value) -> Value {
        let text = encode_value(&value);
        decode_value(&text).unwrap()
    }

    #[test]
    fn every_variant_round_trips() {
        let samples = [
            Value::Null,
            Value::Bool(true),
            Value::Bool(false),
            Value::Int(0),
            Value::Int(i64::MIN),
            Value::Int(i64::MAX),
            Value::Float(0.1),
            Value::Float(1e300),
            Value::Float(5e-324),
            Value::Float(-2.5),
            Value::Float(3.0),
            Value::Str(String::new()),
            Value::Str("Smith & Sons \"quoted\" Nguyễn Văn Anh 张伟 Иван 😀".into()),
            Value::Many2one(5),
            Value::Ids(vec![]),
            Value::Ids(vec![3, 1, 2]),
        ];
        for value in samples {
            assert_eq!(round_trip(value.clone()), value);
        }
    }

    #[test]
    fn special_floats_round_trip_bit_for_bit() {
        for x in [
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            -0.0,
            0.0,
            f64::MIN_POSITIVE,
        ] {
            let Value::Float(back) = round_trip(Value::Float(x)) else {
                panic!("not a float");
            };
            assert_eq!(back.to_bits(), x.to_bits(), "{x}");
        }
    }

    #[test]
    fn the_encoding_is_the_documented_one() {
        assert_eq!(encode_value(&Value::Null), "null");
        assert_eq!(encode_value(&Value::Int(42)), "42");
        assert_eq!(encode_value(&Value::Float(3.0)), r#"{"float":"3"}"#);
        assert_eq!(encode_value(&Value::Many2one(5)), r#"{"m2o":5}"#);
        assert_eq!(encode_value(&Value::Ids(vec![1, 2])), r#"{"ids":[1,2]}"#);
        assert_eq!(encode_value(&Value::Str("a".into())), r#""a""#);
    }

    #[test]
    fn foreign_json_is_rejected_with_an_excerpt() {
        for text in [
            "1.5",
            r#"{"m2o":"x"}"#,
            r#"{"a":1,"b":2}"#,
            "[1]",
            r#"{"float":"abc"}"#,
            "{",
        ] {
            let err = decode_value(text).unwrap_err();
            assert!(!err.excerpt.is_empty(), "{text}");
        }
    }
}
