//! An incremental decoder for the answer of a `search` over JSON-RPC — `{"jsonrpc": "2.0",
//! "id": n, "result": [1, 2, ...]}` — or over JSON-2 (Odoo 19+), whose answer is the bare
//! array `[1, 2, ...]` ([`IdsDecoder::bare`]): fed in arbitrary chunks and kept as an
//! [`IdSet`], so a million ids never sit in memory as a body plus a `Vec<Value>`. Only an
//! incomplete number is held between chunks.
//!
//! The fast path takes any member order, whitespace and scalar members before `result` (Odoo
//! writes `jsonrpc`, `id`, `result`). At the first thing it does not expect — an `error`
//! member, an escaped key, a non-integer item — it keeps the rest of the body and hands it
//! to serde_json at [`IdsDecoder::finish`], so errors and wrong shapes come out as the whole
//! body decoder reports them.
//!
//! serde_json cannot be fed chunks (its `StreamDeserializer` reads a `Read`er, which would
//! block the async runtime or need the whole body first), hence this push scanner.

use super::envelope::{DecodeError, Response, decode_response};
use super::json2::decode_result;
use super::value::FromJson;
use crate::record::{IdSet, IdSetBuilder};
use crate::xmlrpc::Value;

/// The longest head (up to `"result": [`) taken on the fast path; Odoo's is 40 bytes.
const MAX_HEAD: usize = 1024;

/// The longest tail (after `]`) kept for checking; Odoo's is `}`.
const MAX_TAIL: usize = 4096;

/// What a `search`-like answer turned out to be.
#[derive(Debug, PartialEq)]
pub enum IdsResponse {
    /// An array whose items were all integers.
    Ids(IdSet),
    /// Anything else: an error answer, a result that is not an array, or an array holding
    /// something other than an integer. In that last case the array starts at its first
    /// item that is not an integer (the integers before it were already taken).
    Other(Response),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before `"result": [`: `pending` holds the body from its first byte.
    Head,
    /// Inside the array: `expect_item` after `[` and `,`.
    Items { expect_item: bool, first: bool },
    /// After `]`: `pending` holds what follows.
    Tail,
    /// Not on the fast path from the start: `pending` is the whole body.
    Whole,
    /// Left the fast path at an item: `pending` is `[` and the rest of the body from there.
    Rest,
    /// Something other than `,` or `]` after an item: not JSON.
    Broken,
}

/// How the array of ids is wrapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    /// JSON-RPC's envelope, the array under `result`.
    Envelope,
    /// JSON-2's bare answer: the array is the whole body.
    Bare,
}

/// A push decoder: [`feed`](Self::feed) chunks as they arrive, then [`finish`](Self::finish).
#[derive(Debug)]
pub struct IdsDecoder {
    framing: Framing,
    state: State,
    pending: Vec<u8>,
    builder: IdSetBuilder,
}

impl Default for IdsDecoder {
    fn default() -> Self {
        Self::new()
    }
}

enum Head {
    Need,
    Diverge,
    /// The array opens; items start at this offset.
    Items(usize),
}

impl IdsDecoder {
    /// A decoder of JSON-RPC's answer (`{"jsonrpc": "2.0", "id": n, "result": [...]}`).
    pub fn new() -> Self {
        Self::framed(Framing::Envelope)
    }

    /// A decoder of JSON-2's answer, the bare array (`[1, 2, ...]`). An answer that is not an
    /// array of integers comes out as `IdsResponse::Other(Response::Result(value))`.
    pub fn bare() -> Self {
        Self::framed(Framing::Bare)
    }

    fn framed(framing: Framing) -> Self {
        Self {
            framing,
            state: State::Head,
            pending: Vec::new(),
            builder: IdSetBuilder::new(),
        }
    }

    /// Feeds the next bytes of the body.
    pub fn feed(&mut self, chunk: &[u8]) {
        match self.state {
            State::Broken => {}
            State::Whole | State::Rest | State::Tail => self.pending.extend_from_slice(chunk),
            State::Head => {
                self.pending.extend_from_slice(chunk);
                let head = match self.framing {
                    Framing::Envelope => scan_head(&self.pending),
                    Framing::Bare => scan_bare_head(&self.pending),
                };
                match head {
                    Head::Need if self.pending.len() <= MAX_HEAD => return,
                    Head::Need | Head::Diverge => {
                        self.state = State::Whole;
                        return;
                    }
                    Head::Items(at) => {
                        self.pending.drain(..at);
                        self.state = State::Items {
                            expect_item: true,
                            first: true,
                        };
                    }
                }
                self.items();
            }
            State::Items { .. } => {
                if self.pending.is_empty() {
                    // The common case: parse the chunk in place, keep only its unfinished end.
                    let used = self.items_of(chunk);
                    self.keep(chunk, used);
                } else {
                    self.pending.extend_from_slice(chunk);
                    self.items();
                }
            }
        }
    }

    /// Parses `pending` as items.
    fn items(&mut self) {
        let pending = std::mem::take(&mut self.pending);
        let used = self.items_of(&pending);
        self.keep(&pending, used);
    }

    /// After parsing `buf` up to `used`: keep what is left (the unfinished end on the fast
    /// path; everything from the divergence otherwise).
    fn keep(&mut self, buf: &[u8], used: usize) {
        self.pending.clear();
        if self.state == State::Rest {
            self.pending.push(b'[');
        }
        self.pending.extend_from_slice(&buf[used..]);
        if self.state == State::Tail && self.pending.len() > MAX_TAIL {
            self.state = State::Whole;
        }
    }

    /// Takes the ids at the start of `buf`; returns how many bytes were consumed. Sets
    /// `state` to `Tail` after `]` and to `Rest` at an item the fast path does not take.
    fn items_of(&mut self, buf: &[u8]) -> usize {
        let State::Items {
            mut expect_item,
            mut first,
        } = self.state
        else {
            return 0;
        };
        let mut i = 0;
        loop {
            while i < buf.len() && buf[i].is_ascii_whitespace() {
                i += 1;
            }
            if i == buf.len() {
                self.state = State::Items { expect_item, first };
                return i;
            }
            let b = buf[i];
            if expect_item {
                if b == b']' && first {
                    self.state = State::Tail;
                    return i + 1;
                }
                match integer(&buf[i..]) {
                    Number::Need => {
                        self.state = State::Items { expect_item, first };
                        return i;
                    }
                    Number::Other => {
                        self.state = State::Rest;
                        return i;
                    }
                    Number::Int(id, len) => {
                        self.builder.push(id);
                        i += len;
                        expect_item = false;
                        first = false;
                    }
                }
            } else {
                match b {
                    b',' => {
                        expect_item = true;
                        i += 1;
                    }
                    b']' => {
                        self.state = State::Tail;
                        return i + 1;
                    }
                    _ => {
                        self.state = State::Broken;
                        return buf.len();
                    }
                }
            }
        }
    }

    /// The answer, once the whole body was fed.
    pub fn finish(self) -> Result<IdsResponse, DecodeError> {
        let framing = self.framing;
        let tail = |text: &[u8]| match framing {
            Framing::Envelope => check_tail(text),
            Framing::Bare => check_bare_tail(text),
        };
        match self.state {
            State::Head | State::Whole => match framing {
                Framing::Envelope => decode_response(&self.pending).map(other),
                Framing::Bare => decode_result(&self.pending).map(|v| other(Response::Result(v))),
            },
            State::Items { .. } => Err(DecodeError::new(
                "the body ends inside the \"result\" array",
            )),
            State::Broken => Err(DecodeError::new(
                "expected ',' or ']' after an item of the \"result\" array",
            )),
            State::Tail => {
                tail(&self.pending)?;
                Ok(IdsResponse::Ids(self.builder.build()))
            }
            State::Rest => {
                let mut values =
                    serde_json::Deserializer::from_slice(&self.pending).into_iter::<FromJson>();
                let FromJson(rest) = values.next().ok_or_else(|| {
                    DecodeError::new("the body ends inside the \"result\" array")
                })??;
                tail(&self.pending[values.byte_offset()..])?;
                let Value::Array(items) = &rest else {
                    return Ok(IdsResponse::Other(Response::Result(rest)));
                };
                if items.iter().all(|v| v.as_i64().is_some()) {
                    // Integers the fast path did not take (never written so by Odoo).
                    let mut builder = self.builder;
                    builder.extend(items.iter().filter_map(Value::as_i64));
                    return Ok(IdsResponse::Ids(builder.build()));
                }
                Ok(IdsResponse::Other(Response::Result(rest)))
            }
        }
    }
}

fn other(r: Response) -> IdsResponse {
    match r {
        Response::Result(Value::Array(items)) if items.iter().all(|v| v.as_i64().is_some()) => {
            IdsResponse::Ids(items.iter().filter_map(Value::as_i64).collect())
        }
        r => IdsResponse::Other(r),
    }
}

/// What follows the array: the end of the envelope, possibly after more members.
fn check_tail(tail: &[u8]) -> Result<(), DecodeError> {
    let text = tail.trim_ascii();
    if text == b"}" {
        return Ok(());
    }
    if let Some(members) = text.strip_prefix(b",") {
        let mut object = Vec::with_capacity(members.len() + 1);
        object.push(b'{');
        object.extend_from_slice(members);
        let rest: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(&object)?;
        if rest.contains_key("error") {
            return Err(DecodeError::new(
                "the answer has both \"result\" and \"error\"",
            ));
        }
        return Ok(());
    }
    Err(DecodeError::new(format!(
        "unexpected text after the \"result\" array: {:?}",
        String::from_utf8_lossy(&text[..text.len().min(20)])
    )))
}

/// What follows JSON-2's bare array: nothing but whitespace.
fn check_bare_tail(tail: &[u8]) -> Result<(), DecodeError> {
    let text = tail.trim_ascii();
    if text.is_empty() {
        return Ok(());
    }
    Err(DecodeError::new(format!(
        "unexpected text after the array: {:?}",
        String::from_utf8_lossy(&text[..text.len().min(20)])
    )))
}

/// JSON-2's head: whitespace, then the array opens.
fn scan_bare_head(buf: &[u8]) -> Head {
    match buf.iter().position(|b| !b.is_ascii_whitespace()) {
        None => Head::Need,
        Some(i) if buf[i] == b'[' => Head::Items(i + 1),
        Some(_) => Head::Diverge,
    }
}

enum Number {
    Need,
    Other,
    /// The id and its length in bytes.
    Int(i64, usize),
}

/// An integer at the start of `buf` (JSON syntax: `-?(0|[1-9][0-9]*)`), complete only once
/// the byte after it is seen.
fn integer(buf: &[u8]) -> Number {
    let neg = buf.first() == Some(&b'-');
    let start = usize::from(neg);
    let digits = buf[start..]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count();
    let end = start + digits;
    if end == buf.len() {
        // Maybe more digits in the next chunk (or a '.', 'e').
        return if digits > 20 {
            Number::Other
        } else {
            Number::Need
        };
    }
    if digits == 0 || matches!(buf[end], b'.' | b'e' | b'E') || (digits > 1 && buf[start] == b'0') {
        return Number::Other;
    }
    let text = std::str::from_utf8(&buf[..end]).unwrap_or("x");
    match text.parse::<i64>() {
        Ok(id) => Number::Int(id, end),
        Err(_) => Number::Other,
    }
}

/// The head of the envelope up to the array of `result`: members with scalar values before
/// it are skipped.
/// Stays long: a byte-level state machine whose `Need`/`Diverge` exits read in order in one loop.
fn scan_head(buf: &[u8]) -> Head {
    let mut i = 0;
    let ws = |i: &mut usize| {
        while *i < buf.len() && buf[*i].is_ascii_whitespace() {
            *i += 1;
        }
    };
    ws(&mut i);
    match buf.get(i) {
        None => return Head::Need,
        Some(b'{') => i += 1,
        Some(_) => return Head::Diverge,
    }
    loop {
        ws(&mut i);
        let Some(&b) = buf.get(i) else {
            return Head::Need;
        };
        if b != b'"' {
            return Head::Diverge;
        }
        let Some(key) = plain_string(&buf[i..]) else {
            return if buf[i..].contains(&b'\\') {
                Head::Diverge
            } else {
                Head::Need
            };
        };
        let name = &buf[i + 1..i + key - 1];
        i += key;
        ws(&mut i);
        match buf.get(i) {
            None => return Head::Need,
            Some(b':') => i += 1,
            Some(_) => return Head::Diverge,
        }
        ws(&mut i);
        let Some(&b) = buf.get(i) else {
            return Head::Need;
        };
        if name == b"result" {
            return if b == b'[' {
                Head::Items(i + 1)
            } else {
                Head::Diverge
            };
        }
        if name == b"error" {
            return Head::Diverge;
        }
        // A scalar member (`"jsonrpc": "2.0"`, `"id": 3`).
        let len = if b == b'"' {
            match plain_string(&buf[i..]) {
                Some(n) => n,
                None if buf[i..].contains(&b'\\') => return Head::Diverge,
                None => return Head::Need,
            }
        } else {
            let n = buf[i..]
                .iter()
                .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'+' | b'.'))
                .count();
            if i + n == buf.len() {
                return Head::Need;
            }
            if n == 0 {
                return Head::Diverge;
            }
            n
        };
        i += len;
        ws(&mut i);
        match buf.get(i) {
            None => return Head::Need,
            Some(b',') => i += 1,
            Some(_) => return Head::Diverge,
        }
    }
}

/// The length of a string without escapes at the start of `buf` (quotes included), `None`
/// when it does not end in `buf` or holds a backslash.
fn plain_string(buf: &[u8]) -> Option<usize> {
    let end = buf[1..].iter().position(|&b| b == b'"' || b == b'\\')?;
    (buf[1 + end] == b'"').then_some(end + 2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jsonrpc::RpcError;

    fn chunked(body: &[u8], size: usize) -> Result<IdsResponse, DecodeError> {
        let mut d = IdsDecoder::new();
        for c in body.chunks(size) {
            d.feed(c);
        }
        d.finish()
    }

    fn ids(r: Result<IdsResponse, DecodeError>) -> Vec<i64> {
        match r {
            Ok(IdsResponse::Ids(s)) => s.to_vec(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn odoos_answer_in_any_chunking() {
        let body = br#"{"jsonrpc": "2.0", "id": 12, "result": [5, 3, 1000000, -2, 0, 77]}"#;
        for size in 1..=body.len() {
            assert_eq!(
                ids(chunked(body, size)),
                [-2, 0, 3, 5, 77, 1000000],
                "{size}"
            );
        }
        assert_eq!(
            ids(chunked(br#"{"jsonrpc":"2.0","id":null,"result":[]}"#, 3)),
            Vec::<i64>::new()
        );
        assert_eq!(
            ids(chunked(b"{\"result\" :\n[ 1 ,2 ] , \"id\": \"a\"}", 2)),
            [1, 2]
        );
    }

    #[test]
    fn errors_and_other_shapes_go_to_the_whole_decoder() {
        let err = br#"{"jsonrpc": "2.0", "id": 1, "error": {"code": 200, "message": "Odoo Server Error", "data": {"name": "builtins.ValueError", "message": "bad", "debug": "x"}}}"#;
        for size in [1, 7, err.len()] {
            let Ok(IdsResponse::Other(Response::Error(RpcError { data: Some(d), .. }))) =
                chunked(err, size)
            else {
                panic!()
            };
            assert_eq!(d.name, "builtins.ValueError");
        }
        let other = chunked(br#"{"jsonrpc": "2.0", "id": 1, "result": false}"#, 5).unwrap();
        assert_eq!(
            other,
            IdsResponse::Other(Response::Result(Value::Bool(false)))
        );
        // The first item that is not an integer starts the array handed on.
        let mixed = chunked(br#"{"id": 1, "result": [1, 2, 3.5, 4]}"#, 4).unwrap();
        assert_eq!(
            mixed,
            IdsResponse::Other(Response::Result(Value::Array(vec![
                Value::Double(3.5),
                Value::Int(4)
            ])))
        );
        let s = chunked(br#"{"id": 1, "result": [1, "x"]}"#, 100).unwrap();
        assert!(matches!(s, IdsResponse::Other(_)), "{s:?}");
    }

    #[test]
    fn broken_bodies_are_decode_errors() {
        assert!(chunked(br#"{"id": 1, "result": [1, 2"#, 3).is_err());
        assert!(chunked(br#"{"id": 1, "result": [1, 2] garbage"#, 3).is_err());
        assert!(chunked(br#"{"id": 1, "result": [1 2]}"#, 3).is_err());
        assert!(chunked(b"", 3).is_err());
        assert!(chunked(b"<!doctype html>", 3).is_err());
        assert!(chunked(br#"{"id": 1, "result": [1], "error": {}}"#, 3).is_err());
    }

    #[test]
    fn memory_stays_bounded() {
        let mut d = IdsDecoder::new();
        d.feed(br#"{"jsonrpc": "2.0", "id": 1, "result": ["#);
        let mut max_pending = 0;
        for i in 1..=200_000 {
            d.feed(format!("{i}, ").as_bytes());
            max_pending = max_pending.max(d.pending.len());
        }
        d.feed(b"0]}");
        assert!(max_pending < 16, "{max_pending}");
        let Ok(IdsResponse::Ids(s)) = d.finish() else {
            panic!()
        };
        assert_eq!(s.len(), 200_001);
    }

    fn bare(body: &[u8], size: usize) -> Result<IdsResponse, DecodeError> {
        let mut d = IdsDecoder::bare();
        for c in body.chunks(size) {
            d.feed(c);
        }
        d.finish()
    }

    #[test]
    fn json2_bare_arrays_in_any_chunking() {
        // fixtures/odoo19/json2/012-search-or.json (shortened).
        let body = b"[1, 2, 3, 4, 5, 6, 8, 10, 29, 30]";
        for size in 1..=body.len() {
            assert_eq!(
                ids(bare(body, size)),
                [1, 2, 3, 4, 5, 6, 8, 10, 29, 30],
                "{size}"
            );
        }
        assert_eq!(ids(bare(b" \n[]\n", 1)), Vec::<i64>::new());
        // Not a list of ids: the value as the whole-body decoder reads it.
        assert_eq!(
            bare(b"18", 1).unwrap(),
            IdsResponse::Other(Response::Result(Value::Int(18)))
        );
        let Ok(IdsResponse::Other(Response::Result(Value::Struct(s)))) = bare(
            br#"{"name": "odoo.exceptions.AccessError", "message": "no"}"#,
            5,
        ) else {
            panic!()
        };
        assert_eq!(
            s.get("name").and_then(Value::as_str),
            Some("odoo.exceptions.AccessError")
        );
        assert!(matches!(
            bare(b"[1, 1.5]", 3),
            Ok(IdsResponse::Other(Response::Result(Value::Array(_))))
        ));
        // Broken bodies, and JSON-RPC's envelope is not JSON-2's answer.
        assert!(bare(b"[1, 2", 2).is_err());
        assert!(bare(b"[1, 2] x", 2).is_err());
        assert!(bare(b"[1 2]", 2).is_err());
        assert!(bare(b"", 2).is_err());
        assert!(matches!(
            bare(br#"{"jsonrpc": "2.0", "id": 1, "result": [1]}"#, 4),
            Ok(IdsResponse::Other(_))
        ));
    }

    use proptest::prelude::*;

    proptest! {
        /// In any chunking, the streamed answer is what decoding the whole body gives: the
        /// same ids, or the same decision that it is not a list of ids.
        #[test]
        fn streaming_agrees_with_the_whole_body(
            items in proptest::collection::vec(proptest::prop_oneof![
                9 => (-5i64..2_000_000).prop_map(|i| i.to_string()),
                1 => proptest::prop_oneof![
                    proptest::strategy::Just("1.5".to_owned()),
                    proptest::strategy::Just("\"x\"".to_owned()),
                    proptest::strategy::Just("null".to_owned()),
                    proptest::strategy::Just("99999999999999999999".to_owned()),
                ],
            ], 0..60),
            spaces in proptest::collection::vec(0usize..3, 0..60),
            chunk in 1usize..40,
            cut in proptest::option::of(0usize..400),
            json2 in proptest::bool::ANY,
        ) {
            let mut body = String::from(if json2 {
                "["
            } else {
                "{\"jsonrpc\": \"2.0\", \"id\": 4, \"result\": ["
            });
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    body.push(',');
                }
                body.push_str(&" ".repeat(spaces.get(i).copied().unwrap_or(1)));
                body.push_str(item);
            }
            body.push_str(if json2 { "]" } else { "]}" });
            let mut bytes = body.into_bytes();
            if let Some(cut) = cut {
                bytes.truncate(cut.min(bytes.len()));
            }
            let (whole, streamed) = if json2 {
                (
                    decode_result(&bytes).map(|v| other(Response::Result(v))),
                    bare(&bytes, chunk),
                )
            } else {
                (decode_response(&bytes).map(other), chunked(&bytes, chunk))
            };
            match (whole, streamed) {
                (Ok(IdsResponse::Ids(a)), Ok(IdsResponse::Ids(b))) => prop_assert_eq!(a, b),
                (Ok(IdsResponse::Other(_)), Ok(IdsResponse::Other(_))) | (Err(_), Err(_)) => {}
                (a, b) => prop_assert!(false, "whole {:?} streamed {:?}", a, b),
            }
        }
    }
}
