//! [`Value`] ↔ JSON through serde, without an intermediate `serde_json::Value`: a request is
//! serialized straight from the client's values and an answer deserialized straight into them.

use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

use crate::xmlrpc::{Struct, Value};

/// A [`Value`] to serialize as JSON.
#[derive(Clone, Copy, Debug)]
pub struct Json<'a>(pub &'a Value);

/// A JSON slice of values (`args`) to serialize as an array.
#[derive(Clone, Copy, Debug)]
pub(crate) struct JsonSlice<'a>(pub &'a [Value]);

impl Serialize for Json<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Int(i) => s.serialize_i64(*i),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::String(text) | Value::Base64(text) => s.serialize_str(text),
            Value::DateTime(text) => s.serialize_str(&odoo_datetime(text)),
            // JSON has no NaN or infinities; serde_json writes them as `null` too.
            Value::Double(d) if !d.is_finite() => s.serialize_unit(),
            Value::Double(d) => s.serialize_f64(*d),
            Value::Array(items) => JsonSlice(items).serialize(s),
            Value::Struct(members) => {
                let mut map = s.serialize_map(Some(members.len()))?;
                for (k, v) in members.iter() {
                    map.serialize_entry(k, &Json(v))?;
                }
                map.end()
            }
            Value::Nil => s.serialize_unit(),
        }
    }
}

impl Serialize for JsonSlice<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for v in self.0 {
            seq.serialize_element(&Json(v))?;
        }
        seq.end()
    }
}

/// An XML-RPC `dateTime.iso8601` text (`20261122T13:14:01`) in the form Odoo reads and
/// writes datetimes as JSON strings (`2026-11-22 13:14:01`); any other text unchanged.
fn odoo_datetime(text: &str) -> String {
    chrono::NaiveDateTime::parse_from_str(text.trim(), "%Y%m%dT%H:%M:%S")
        .map(|dt| {
            dt.format(crate::record::datetime::DATETIME_FORMAT)
                .to_string()
        })
        .unwrap_or_else(|_| text.to_owned())
}

/// A [`Value`] deserialized from JSON.
#[derive(Clone, Debug, PartialEq)]
pub struct FromJson(pub Value);

impl<'de> Deserialize<'de> for FromJson {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ValueVisitor).map(FromJson)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }

    fn visit_i64<E>(self, i: i64) -> Result<Value, E> {
        Ok(Value::Int(i))
    }

    /// Beyond i64 an integer can only be held as a double (Odoo's columns are 32 or 64 bits).
    fn visit_u64<E>(self, u: u64) -> Result<Value, E> {
        Ok(i64::try_from(u).map_or(Value::Double(u as f64), Value::Int))
    }

    fn visit_f64<E>(self, f: f64) -> Result<Value, E> {
        Ok(Value::Double(f))
    }

    fn visit_str<E>(self, s: &str) -> Result<Value, E> {
        Ok(Value::String(s.to_owned()))
    }

    fn visit_string<E>(self, s: String) -> Result<Value, E> {
        Ok(Value::String(s))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Nil)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Nil)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        FromJson::deserialize(d).map(|v| v.0)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(FromJson(v)) = seq.next_element()? {
            items.push(v);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut members = Struct::with_capacity(map.size_hint().unwrap_or(0).min(256));
        while let Some((k, FromJson(v))) = map.next_entry::<String, FromJson>()? {
            members.push(k, v);
        }
        Ok(Value::Struct(members))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round(json: &str) -> Value {
        serde_json::from_str::<FromJson>(json).unwrap().0
    }

    #[test]
    fn numbers_keep_int_and_float_apart() {
        assert_eq!(round("1"), Value::Int(1));
        assert_eq!(round("1.0"), Value::Double(1.0));
        assert_eq!(round("-3"), Value::Int(-3));
        assert_eq!(round("2.5e3"), Value::Double(2500.0));
        assert_eq!(
            round("18446744073709551615"),
            Value::Double(1.8446744073709552e19)
        );
        assert_eq!(
            serde_json::to_string(&Json(&Value::Double(0.0))).unwrap(),
            "0.0"
        );
        assert_eq!(serde_json::to_string(&Json(&Value::Int(0))).unwrap(), "0");
    }

    #[test]
    fn false_null_and_nesting() {
        let v = round(r#"{"a": false, "b": null, "c": [1, [2, {"d": "é"}]], "z": 0, "y": 1}"#);
        let Value::Struct(s) = &v else {
            panic!("{v:?}")
        };
        assert_eq!(s.keys().collect::<Vec<_>>(), ["a", "b", "c", "z", "y"]);
        assert_eq!(s.get("a"), Some(&Value::Bool(false)));
        assert_eq!(s.get("b"), Some(&Value::Nil));
        let back = serde_json::to_string(&Json(&v)).unwrap();
        assert_eq!(
            back,
            r#"{"a":false,"b":null,"c":[1,[2,{"d":"é"}]],"z":0,"y":1}"#
        );
        assert_eq!(round(&back), v);
    }

    #[test]
    fn datetimes_and_binaries_travel_as_strings() {
        let dt = Value::DateTime("20261122T13:14:01".into());
        assert_eq!(
            serde_json::to_string(&Json(&dt)).unwrap(),
            r#""2026-11-22 13:14:01""#
        );
        let odd = Value::DateTime("not a date".into());
        assert_eq!(
            serde_json::to_string(&Json(&odd)).unwrap(),
            r#""not a date""#
        );
        let b = Value::Base64("aGk=".into());
        assert_eq!(serde_json::to_string(&Json(&b)).unwrap(), r#""aGk=""#);
        // A string that looks like a datetime stays a string (Odoo's own form).
        assert_eq!(
            round(r#""2026-11-22 13:14:01""#),
            Value::String("2026-11-22 13:14:01".into())
        );
    }

    #[test]
    fn non_finite_doubles_become_null() {
        assert_eq!(
            serde_json::to_string(&Json(&Value::Double(f64::NAN))).unwrap(),
            "null"
        );
    }
}
