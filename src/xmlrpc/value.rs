//! The XML-RPC value model: what travels in `<value>` elements, independent of Odoo.
//! Integers are widened to `i64`; `dateTime.iso8601` and `base64` stay as their text so
//! nothing is lost on the way through; structs keep their member order.

use std::fmt;

/// One XML-RPC value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// `<int>`, `<i4>`, `<i8>` or `<biginteger>` (within i64).
    Int(i64),
    /// `<boolean>`: Odoo's `False` also stands for "empty".
    Bool(bool),
    /// `<string>` or an untyped `<value>text</value>`.
    String(String),
    /// `<double>`, including `inf`, `-inf` and `nan` as Python's `repr` writes them.
    Double(f64),
    /// `<dateTime.iso8601>`, kept as its text (Odoo itself sends dates as strings).
    DateTime(String),
    /// `<base64>`, kept as its text; see [`Value::base64_decode`].
    Base64(String),
    /// `<array>`.
    Array(Vec<Value>),
    /// `<struct>`, members in document order.
    Struct(Struct),
    /// `<nil/>` (Odoo accepts it inbound but never sends it).
    Nil,
}

/// An XML-RPC struct: members in the order they were received or inserted.
///
/// Lookups are linear: Odoo structs are small (a record's fields, a few kwargs), and
/// keeping order matters more than asymptotics here.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Struct(pub Vec<(String, Value)>);

impl Struct {
    pub fn new() -> Self {
        Self(Vec::new())
    }

    pub fn with_capacity(n: usize) -> Self {
        Self(Vec::with_capacity(n))
    }

    /// The value of member `name` (the first one, if a sender repeated it).
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }

    /// Sets `name`, replacing an existing member in place or appending a new one.
    pub(crate) fn insert(&mut self, name: impl Into<String>, value: Value) {
        let name = name.into();
        match self.0.iter_mut().find(|(k, _)| *k == name) {
            Some(slot) => slot.1 = value,
            None => self.0.push((name, value)),
        }
    }

    /// Appends a member without checking for duplicates (the decoder's fast path).
    pub fn push(&mut self, name: impl Into<String>, value: Value) {
        self.0.push((name.into(), value));
    }

    pub(crate) fn remove(&mut self, name: &str) -> Option<Value> {
        let pos = self.0.iter().position(|(k, _)| k == name)?;
        Some(self.0.remove(pos).1)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(k, _)| k.as_str())
    }
}

impl<K: Into<String>> FromIterator<(K, Value)> for Struct {
    fn from_iter<I: IntoIterator<Item = (K, Value)>>(iter: I) -> Self {
        Self(iter.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }
}

impl IntoIterator for Struct {
    type Item = (String, Value);
    type IntoIter = std::vec::IntoIter<(String, Value)>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl Value {
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// A double, or an int widened to one (Odoo sends integer fields above 2^31-1 as doubles).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Double(d) => Some(*d),
            Value::Int(i) => Some(*i as f64),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }

    pub fn as_struct(&self) -> Option<&Struct> {
        match self {
            Value::Struct(s) => Some(s),
            _ => None,
        }
    }

    /// Odoo's `False`, which it sends for every empty non-numeric value.
    pub fn is_false(&self) -> bool {
        matches!(self, Value::Bool(false))
    }

    /// A many2one as Odoo sends it: `[id, "display name"]`; `None` for `False` or anything else.
    pub fn as_many2one(&self) -> Option<(i64, &str)> {
        match self.as_array()? {
            [Value::Int(id), Value::String(name)] => Some((*id, name.as_str())),
            _ => None,
        }
    }

    /// Decodes a `<base64>` payload (standard alphabet, padding optional, whitespace ignored).
    #[cfg(test)]
    pub(crate) fn base64_decode(&self) -> Option<Vec<u8>> {
        match self {
            Value::Base64(text) => base64_decode(text),
            _ => None,
        }
    }

    /// The name of the XML-RPC type, for error messages.
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Value::Int(_) => "int",
            Value::Bool(_) => "boolean",
            Value::String(_) => "string",
            Value::Double(_) => "double",
            Value::DateTime(_) => "dateTime.iso8601",
            Value::Base64(_) => "base64",
            Value::Array(_) => "array",
            Value::Struct(_) => "struct",
            Value::Nil => "nil",
        }
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}
impl From<i32> for Value {
    fn from(v: i32) -> Self {
        Value::Int(v.into())
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}
impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Double(v)
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::String(v.to_owned())
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::String(v)
    }
}
impl<T: Into<Value>> From<Vec<T>> for Value {
    fn from(v: Vec<T>) -> Self {
        Value::Array(v.into_iter().map(Into::into).collect())
    }
}
impl From<Struct> for Value {
    fn from(v: Struct) -> Self {
        Value::Struct(v)
    }
}

/// Encodes bytes as standard base64 with padding, for `<base64>` values.
pub fn base64_encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let mut acc: u32 = 0;
    let mut bits = 0u32;
    for c in text.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' | b' ' | b'\n' | b'\r' | b'\t' => continue,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

impl fmt::Display for Value {
    /// A compact, Python-like rendering for logs and error messages.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Int(i) => write!(f, "{i}"),
            Value::Bool(true) => f.write_str("True"),
            Value::Bool(false) => f.write_str("False"),
            Value::String(s) | Value::DateTime(s) => write!(f, "{s:?}"),
            Value::Base64(s) => write!(f, "<base64 {} chars>", s.len()),
            Value::Double(d) => write!(f, "{d}"),
            Value::Nil => f.write_str("None"),
            Value::Array(items) => {
                f.write_str("[")?;
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{v}")?;
                }
                f.write_str("]")
            }
            Value::Struct(s) => {
                f.write_str("{")?;
                for (i, (k, v)) in s.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{k:?}: {v}")?;
                }
                f.write_str("}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips() {
        for input in [
            &b""[..],
            b"f",
            b"fo",
            b"foo",
            b"foob",
            b"fooba",
            b"foobar",
            &[0, 255, 7],
        ] {
            let enc = base64_encode(input);
            assert_eq!(Value::Base64(enc).base64_decode().as_deref(), Some(input));
        }
        assert_eq!(base64_encode(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64_encode(b"fo"), "Zm8=");
    }

    #[test]
    fn struct_keeps_order_and_replaces_in_place() {
        let mut s = Struct::new();
        s.insert("b", 1.into());
        s.insert("a", 2.into());
        s.insert("b", 3.into());
        assert_eq!(s.keys().collect::<Vec<_>>(), ["b", "a"]);
        assert_eq!(s.get("b"), Some(&Value::Int(3)));
    }

    #[test]
    fn many2one_pairs() {
        let v = Value::Array(vec![6.into(), "Marc Demo".into()]);
        assert_eq!(v.as_many2one(), Some((6, "Marc Demo")));
        assert_eq!(Value::Bool(false).as_many2one(), None);
    }
}
