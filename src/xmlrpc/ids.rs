//! An incremental decoder for the answer of a `search`: a `<methodResponse>` holding an array
//! of integers, fed in arbitrary chunks and kept as an [`IdSet`], so a million ids never sit in
//! memory as a body plus a `Vec<Value>`. Only an incomplete tail is held between chunks.
//!
//! The fast path takes exactly the layout Python's `xmlrpc.client` (Odoo) writes, whitespace
//! between elements included. At the first byte it does not expect — a fault, a string, a
//! comment, a truncated body — it stops, keeps the rest of the body, and hands it to the
//! generic [`decode_response`] at [`IdsDecoder::finish`], so faults, wrong shapes and decode
//! errors come out as the generic decoder reports them.

use super::decode::decode_response;
use super::error::{DecodeError, EXCERPT_RADIUS};
use super::message::MethodResponse;
use super::value::Value;
use crate::record::{IdSet, IdSetBuilder};

/// The longest head (`<?xml ...?>` to `<data>`) taken on the fast path; a longer one is read
/// by the generic decoder instead. Python's is 73 bytes.
const MAX_HEAD: usize = 1024;

const XML_DECLS: [&[u8]; 2] = [b"<?xml version='1.0'?>", b"<?xml version=\"1.0\"?>"];

/// The elements opened before the first id, in order.
const HEAD: [&[u8]; 6] = [
    b"<methodResponse>",
    b"<params>",
    b"<param>",
    b"<value>",
    b"<array>",
    b"<data>",
];

/// The elements closed after `</data>`, in order.
const TAIL: [&[u8]; 5] = [
    b"</array>",
    b"</value>",
    b"</param>",
    b"</params>",
    b"</methodResponse>",
];

/// What stands for the bytes consumed on the fast path when the rest of a body goes to the
/// generic decoder: an equivalent head that opens the array (then the closing tags already
/// passed). The ids already taken are kept in the builder, not replayed.
/// It ends on a tag, so the generic decoder sees the body's own whitespace after it, and
/// reports a stray text run from where it starts in the body.
const SYNTHETIC_HEAD: &[u8] =
    b"<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n<value><array><data>";

/// The path prefix of an array item in the generic decoder's errors.
const ITEM_PATH: &str = "methodResponse/params/param[0]/value/array/data/value[";

/// What a `search`-like answer turned out to be.
#[derive(Debug, PartialEq)]
pub enum IdsResponse {
    /// An array whose items were all integers.
    Ids(IdSet),
    /// Anything else, as the generic decoder read it: a fault, a value that is not an array,
    /// or an array holding something other than an integer. In that last case the array may
    /// start after the integers the fast path had already taken: its first non-integer item
    /// is the first one of the whole array.
    Other(MethodResponse),
}

/// A push decoder: [`feed`](Self::feed) chunks as they arrive, then [`finish`](Self::finish).
#[derive(Debug)]
pub struct IdsDecoder {
    state: State,
    /// Bytes not yet consumed, after up to `EXCERPT_RADIUS` consumed ones kept for error
    /// excerpts; on the fallback paths, everything the generic decoder will read.
    pending: Vec<u8>,
    /// Index in `pending` of the first unconsumed byte.
    start: usize,
    /// Offset in the body of `pending[0]`.
    offset: usize,
    builder: IdSetBuilder,
    /// Array items taken so far.
    items: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    /// Before `<data>`: `pending` holds the body from its first byte.
    Head,
    Items,
    /// `TAIL[..step]` has been read.
    Tail {
        step: usize,
    },
    /// Not on the fast path from the start: `pending` is the whole body.
    Whole,
    /// Left the fast path `resumed_at` bytes into the body: `pending` is a synthetic head of
    /// `synthetic` bytes standing for what was consumed, then the rest of the body.
    Rest(Fallback),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Fallback {
    synthetic: usize,
    resumed_at: usize,
    /// Up to `EXCERPT_RADIUS` body bytes before `resumed_at`, for error excerpts.
    context: Vec<u8>,
}

/// The result of matching one token at the start of a buffer.
enum Step {
    /// The buffer ends inside the token.
    Need,
    /// Not what the fast path takes.
    Diverge,
    /// An id, and the length of its `<value>` element.
    Id(i64, usize),
    /// The expected tag (`</data>` among items), its length.
    End(usize),
}

impl Default for IdsDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl IdsDecoder {
    pub fn new() -> Self {
        Self {
            state: State::Head,
            pending: Vec::new(),
            start: 0,
            offset: 0,
            builder: IdSetBuilder::new(),
            items: 0,
        }
    }

    /// Feeds the next bytes of the body.
    pub fn feed(&mut self, chunk: &[u8]) {
        self.pending.extend_from_slice(chunk);
        match &self.state {
            State::Whole | State::Rest(_) => {}
            State::Head => self.head(),
            State::Items | State::Tail { .. } => self.advance(),
        }
    }

    /// Bytes held between chunks (for tests: bounded on the fast path).
    #[cfg(test)]
    pub(crate) fn held_bytes(&self) -> usize {
        self.pending.len()
    }

    /// Whether the decoder has left the fast path and is keeping the rest of the body.
    #[cfg(test)]
    pub(crate) fn is_buffering(&self) -> bool {
        matches!(self.state, State::Whole | State::Rest(_))
    }

    /// Ends the body. A body that stops before `</methodResponse>` is an error, exactly as
    /// the generic decoder reports it; a partial set is never returned.
    pub fn finish(mut self) -> Result<IdsResponse, DecodeError> {
        match &self.state {
            State::Head => self.state = State::Whole,
            State::Items | State::Tail { .. } => {
                if self.state == (State::Tail { step: TAIL.len() }) {
                    return Ok(IdsResponse::Ids(self.builder.build()));
                }
                self.diverge(self.start);
            }
            State::Whole | State::Rest(_) => {}
        }
        match std::mem::replace(&mut self.state, State::Whole) {
            State::Rest(fallback) => self.finish_rest(fallback),
            _ => match decode_response(&self.pending)? {
                MethodResponse::Success(Value::Array(items)) => self.merge(items),
                other => Ok(IdsResponse::Other(other)),
            },
        }
    }

    fn finish_rest(self, fallback: Fallback) -> Result<IdsResponse, DecodeError> {
        match decode_response(&self.pending) {
            Ok(MethodResponse::Success(Value::Array(items))) => self.merge(items),
            Ok(other) => Ok(IdsResponse::Other(other)),
            Err(mut e) => {
                // Point at the body, not at the synthetic head standing in for its start.
                if e.offset >= fallback.synthetic {
                    let in_rest = e.offset - fallback.synthetic;
                    e.offset = fallback.resumed_at + in_rest;
                    let rest = &self.pending[fallback.synthetic..];
                    let before = EXCERPT_RADIUS.saturating_sub(in_rest);
                    let mut shown =
                        fallback.context[fallback.context.len().saturating_sub(before)..].to_vec();
                    let from = in_rest.saturating_sub(EXCERPT_RADIUS);
                    let to = in_rest.saturating_add(EXCERPT_RADIUS).min(rest.len());
                    shown.extend_from_slice(&rest[from..to]);
                    e.excerpt = String::from_utf8_lossy(&shown).into_owned();
                }
                if let Some(index) = e.path.strip_prefix(ITEM_PATH) {
                    let (n, after) = index.split_at(index.find(']').unwrap_or(index.len()));
                    if let Ok(n) = n.parse::<usize>() {
                        e.path = format!("{ITEM_PATH}{}{after}", n + self.items);
                    }
                }
                Err(e)
            }
        }
    }

    /// Adds the items the generic decoder read; any non-integer makes the whole answer `Other`.
    fn merge(mut self, items: Vec<Value>) -> Result<IdsResponse, DecodeError> {
        if items.iter().all(|v| matches!(v, Value::Int(_))) {
            self.builder.extend(items.iter().filter_map(|v| v.as_i64()));
            Ok(IdsResponse::Ids(self.builder.build()))
        } else {
            Ok(IdsResponse::Other(MethodResponse::Success(Value::Array(
                items,
            ))))
        }
    }

    /// Matches the head against what has arrived; `pending` keeps the whole body meanwhile.
    fn head(&mut self) {
        let buf = &self.pending;
        let mut pos = 0;
        let step = |pos: &mut usize, token: &[u8]| -> Option<bool> {
            match literal(&buf[*pos..], token) {
                Step::End(n) => {
                    *pos += n;
                    Some(true)
                }
                Step::Need => None,
                _ => Some(false),
            }
        };
        let mut diverged = false;
        let mut complete = true;
        if buf.starts_with(b"<?") || XML_DECLS.iter().any(|d| d.starts_with(buf)) {
            match XML_DECLS
                .iter()
                .map(|d| step(&mut pos, d))
                .find(|r| r != &Some(false))
            {
                Some(Some(true)) => {}
                Some(None) => complete = false,
                _ => diverged = true,
            }
        }
        for token in HEAD {
            if diverged || !complete {
                break;
            }
            pos += xml_space(&buf[pos..]);
            match step(&mut pos, token) {
                Some(true) => {}
                Some(false) => diverged = true,
                None => complete = false,
            }
        }
        if diverged || (!complete && buf.len() > MAX_HEAD) {
            self.state = State::Whole;
        } else if complete {
            self.state = State::Items;
            self.start = pos;
            self.advance();
        }
    }

    /// The fast path past the head: ids, then the closing tags.
    fn advance(&mut self) {
        let mut pos = self.start;
        loop {
            // Whitespace is consumed with the token after it: an error in a text run is
            // reported where the run starts.
            let space = pos;
            pos += xml_space(&self.pending[pos..]);
            let buf = &self.pending[pos..];
            let step = match self.state {
                _ if buf.is_empty() => Step::Need,
                State::Items => item(buf),
                State::Tail { step } if step < TAIL.len() => literal(buf, TAIL[step]),
                _ => Step::Diverge,
            };
            match step {
                Step::Need if self.pending.len() - space > MAX_HEAD => {
                    // Pages of whitespace: not Python's layout, so not worth holding here.
                    self.diverge(space);
                    return;
                }
                Step::Need => {
                    pos = space;
                    break;
                }
                Step::Diverge => {
                    self.diverge(space);
                    return;
                }
                Step::Id(id, n) => {
                    self.builder.push(id);
                    self.items += 1;
                    pos += n;
                }
                Step::End(n) => {
                    self.state = match self.state {
                        State::Tail { step } => State::Tail { step: step + 1 },
                        _ => State::Tail { step: 0 },
                    };
                    pos += n;
                }
            }
        }
        // Keep a few consumed bytes for the excerpt of a later error.
        let drop = pos.saturating_sub(EXCERPT_RADIUS);
        self.pending.drain(..drop);
        self.offset += drop;
        self.start = pos - drop;
    }

    /// Leaves the fast path at `pending[pos]`: from here on the generic decoder reads an
    /// equivalent head and the rest of the body.
    fn diverge(&mut self, pos: usize) {
        let mut synthetic = SYNTHETIC_HEAD.to_vec();
        if let State::Tail { step } = self.state {
            synthetic.extend_from_slice(b"</data>");
            for token in &TAIL[..step] {
                synthetic.extend_from_slice(token);
            }
        }
        let context_from = pos.saturating_sub(EXCERPT_RADIUS);
        let fallback = Fallback {
            synthetic: synthetic.len(),
            resumed_at: self.offset + pos,
            context: self.pending[context_from..pos].to_vec(),
        };
        synthetic.extend_from_slice(&self.pending[pos..]);
        self.pending = synthetic;
        self.start = 0;
        self.state = State::Rest(fallback);
    }
}

/// Decodes a whole body with the fast path (for tests and tools; the point of the type is
/// [`IdsDecoder::feed`]).
pub fn decode_ids(body: &[u8]) -> Result<IdsResponse, DecodeError> {
    let mut decoder = IdsDecoder::new();
    decoder.feed(body);
    decoder.finish()
}

fn xml_space(buf: &[u8]) -> usize {
    buf.iter()
        .position(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        .unwrap_or(buf.len())
}

/// `token` at the start of `buf`: `End(len)` when there, `Need` when `buf` is a proper prefix.
fn literal(buf: &[u8], token: &[u8]) -> Step {
    if buf.starts_with(token) {
        Step::End(token.len())
    } else if token.starts_with(buf) {
        Step::Need
    } else {
        Step::Diverge
    }
}

/// One array item as Python writes it, `<value><int>42</int></value>` (`i4`, `i8` too), or
/// `</data>`.
fn item(buf: &[u8]) -> Step {
    const OPEN: &[u8] = b"<value><";
    if buf.get(1) == Some(&b'/') {
        return literal(buf, b"</data>");
    }
    let mut pos = match literal(buf, OPEN) {
        Step::End(n) => n,
        other => return other,
    };
    let kinds: [&[u8]; 3] = [b"int>", b"i4>", b"i8>"];
    let Some(kind) = kinds.iter().find(|k| buf[pos..].starts_with(k)) else {
        let partial = kinds.iter().any(|k| k.starts_with(&buf[pos..]));
        return if partial { Step::Need } else { Step::Diverge };
    };
    pos += kind.len();
    let negative = buf.get(pos) == Some(&b'-');
    if negative {
        pos += 1;
    }
    let digits = buf[pos..]
        .iter()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(buf.len() - pos);
    // 19 digits hold any i64; longer runs (leading zeros) are left to the generic decoder.
    if digits == 0 || digits > 19 {
        return if pos + digits == buf.len() && digits <= 19 {
            Step::Need
        } else {
            Step::Diverge
        };
    }
    let mut magnitude: i64 = 0;
    for &d in &buf[pos..pos + digits] {
        let digit = i64::from(d - b'0');
        // Accumulate downwards so i64::MIN fits.
        magnitude = match magnitude.checked_mul(10).and_then(|m| m.checked_sub(digit)) {
            Some(m) => m,
            None => return Step::Diverge,
        };
    }
    let id = if negative {
        magnitude
    } else {
        match magnitude.checked_neg() {
            Some(id) => id,
            None => return Step::Diverge,
        }
    };
    pos += digits;
    for token in [b"</".as_slice(), &kind[..kind.len() - 1], b"></value>"] {
        match literal(&buf[pos..], token) {
            Step::End(n) => pos += n,
            other => return other,
        }
    }
    Step::Id(id, pos)
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    use super::*;
    use crate::xmlrpc::{Fault, encode_response};

    /// Every recorded response body, by transcript file name.
    fn transcript_responses() -> Vec<(String, Vec<u8>)> {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/odoo17/transcripts");
        let mut paths: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        paths.sort();
        paths
            .iter()
            .filter_map(|p| {
                let json: serde_json::Value =
                    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap();
                let body = json["response"].as_str()?.as_bytes().to_vec();
                Some((p.file_name()?.to_str()?.to_owned(), body))
            })
            .collect()
    }

    /// The ids of a body the generic decoder reads as an array of integers.
    fn generic_ids(body: &[u8]) -> Option<Vec<i64>> {
        match decode_response(body) {
            Ok(MethodResponse::Success(Value::Array(items))) => items
                .iter()
                .map(|v| match v {
                    Value::Int(i) => Some(*i),
                    _ => None,
                })
                .collect(),
            _ => None,
        }
    }

    fn feed_in(body: &[u8], cuts: &[usize]) -> Result<IdsResponse, DecodeError> {
        let mut decoder = IdsDecoder::new();
        let mut from = 0;
        for &cut in cuts {
            decoder.feed(&body[from..cut]);
            from = cut;
        }
        decoder.feed(&body[from..]);
        decoder.finish()
    }

    fn first_non_int(items: &[Value]) -> Option<String> {
        items
            .iter()
            .find(|v| !matches!(v, Value::Int(_)))
            .map(|v| format!("{v:?}"))
    }

    /// The fast decoder tells the same story as the generic one.
    fn assert_agrees(body: &[u8], ours: Result<IdsResponse, DecodeError>) {
        let generic = decode_response(body);
        let shown = || String::from_utf8_lossy(body).into_owned();
        match (generic, ours) {
            (Ok(MethodResponse::Success(Value::Array(items))), Ok(IdsResponse::Ids(set)))
                if first_non_int(&items).is_none() =>
            {
                let want: IdSet = items.iter().filter_map(Value::as_i64).collect();
                assert_eq!(set, want, "{}", shown());
            }
            (
                Ok(MethodResponse::Success(Value::Array(items))),
                Ok(IdsResponse::Other(MethodResponse::Success(Value::Array(rest)))),
            ) => {
                assert!(first_non_int(&items).is_some(), "{}", shown());
                assert_eq!(first_non_int(&items), first_non_int(&rest), "{}", shown());
                assert!(rest.len() <= items.len());
                let suffix = &items[items.len() - rest.len()..];
                assert_eq!(format!("{suffix:?}"), format!("{rest:?}"), "{}", shown());
            }
            (Ok(want), Ok(IdsResponse::Other(got))) => {
                assert!(
                    !matches!(want, MethodResponse::Success(Value::Array(_))),
                    "{}",
                    shown()
                );
                assert_eq!(format!("{want:?}"), format!("{got:?}"), "{}", shown());
            }
            (Err(want), Err(got)) => assert_eq!(want, got, "{}", shown()),
            (want, got) => panic!("generic {want:?}\nfast {got:?}\nbody {}", shown()),
        }
    }

    fn int_array_body(ids: &[i64]) -> Vec<u8> {
        encode_response(&MethodResponse::Success(Value::Array(
            ids.iter().map(|&i| Value::Int(i)).collect(),
        )))
    }

    #[test]
    fn transcript_int_arrays_split_anywhere() {
        let mut arrays = 0;
        for (name, body) in transcript_responses() {
            let Some(want) = generic_ids(&body) else {
                continue;
            };
            arrays += 1;
            let want: IdSet = want.into_iter().collect();
            for cut in 0..=body.len() {
                match feed_in(&body, &[cut]) {
                    Ok(IdsResponse::Ids(set)) => assert_eq!(set, want, "{name} cut at {cut}"),
                    other => panic!("{name} cut at {cut}: {other:?}"),
                }
            }
            let bytes: Vec<usize> = (1..body.len()).collect();
            let Ok(IdsResponse::Ids(set)) = feed_in(&body, &bytes) else {
                panic!("{name} in 1-byte chunks");
            };
            assert_eq!(set, want, "{name}");
            // Python's layout never leaves the fast path.
            let mut decoder = IdsDecoder::new();
            decoder.feed(&body);
            assert!(!decoder.is_buffering(), "{name}");
        }
        // The searches, creates and empty results of the recordings.
        assert!(arrays >= 20, "{arrays}");
    }

    #[test]
    fn every_transcript_response_agrees_with_the_generic_decoder() {
        let mut rng = StdRng::seed_from_u64(17);
        for (_, body) in transcript_responses() {
            assert_agrees(&body, decode_ids(&body));
            let bytes: Vec<usize> = (1..body.len()).collect();
            assert_agrees(&body, feed_in(&body, &bytes));
            let mut cuts: Vec<usize> = (0..4).map(|_| rng.random_range(0..=body.len())).collect();
            cuts.sort_unstable();
            assert_agrees(&body, feed_in(&body, &cuts));
        }
    }

    #[test]
    fn faults_fall_back_with_their_exact_message() {
        for (name, body) in transcript_responses() {
            let Ok(MethodResponse::Fault(want)) = decode_response(&body) else {
                continue;
            };
            let bytes: Vec<usize> = (1..body.len()).collect();
            match feed_in(&body, &bytes) {
                Ok(IdsResponse::Other(MethodResponse::Fault(got))) => assert_eq!(got, want),
                other => panic!("{name}: {other:?}"),
            }
        }
        let fault = Fault::new(2, "Invalid field 'x' on model 'crm.lead'");
        let body = encode_response(&MethodResponse::Fault(fault.clone()));
        assert_eq!(
            decode_ids(&body).unwrap(),
            IdsResponse::Other(MethodResponse::Fault(fault))
        );
    }

    #[test]
    fn truncated_bodies_are_errors_never_partial_sets() {
        let body = int_array_body(&(1..=300).collect::<Vec<_>>());
        for len in 0..body.len() {
            let prefix = &body[..len];
            let only_space_cut = body[len..].iter().all(u8::is_ascii_whitespace);
            let got = feed_in(prefix, &[len / 2]);
            if only_space_cut {
                assert!(matches!(got, Ok(IdsResponse::Ids(ref s)) if s.len() == 300));
            } else {
                let e = got.expect_err("a truncated body");
                assert_eq!(e, decode_response(prefix).unwrap_err(), "cut at {len}");
            }
        }
    }

    #[test]
    fn non_int_items_report_the_first_one() {
        let mut items: Vec<Value> = (1..=50).map(Value::Int).collect();
        items.insert(40, Value::String("41".into()));
        items.push(Value::Bool(false));
        let body = encode_response(&MethodResponse::Success(Value::Array(items)));
        let Ok(IdsResponse::Other(MethodResponse::Success(Value::Array(rest)))) = decode_ids(&body)
        else {
            panic!("not a fallback");
        };
        assert_eq!(rest.first(), Some(&Value::String("41".into())));
        assert_eq!(rest.len(), 12);
        assert_agrees(&body, decode_ids(&body));
        // A bare `<value>7</value>` is a string to Python, so not an id.
        let bare = b"<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n<value><array><data>\n<value>7</value>\n</data></array></value>\n</param>\n</params>\n</methodResponse>\n";
        let Ok(IdsResponse::Other(MethodResponse::Success(Value::Array(rest)))) = decode_ids(bare)
        else {
            panic!("not a fallback");
        };
        assert_eq!(rest, vec![Value::String("7".into())]);
    }

    #[test]
    fn other_values_fall_back() {
        for value in [
            Value::Bool(true),
            Value::Int(3),
            Value::Struct(Default::default()),
        ] {
            let body = encode_response(&MethodResponse::Success(value.clone()));
            assert_eq!(
                decode_ids(&body).unwrap(),
                IdsResponse::Other(MethodResponse::Success(value))
            );
        }
    }

    #[test]
    fn other_int_layouts_still_give_ids() {
        let bodies: [&[u8]; 4] = [
            b"<methodResponse><params><param><value><array><data><value><i8>5</i8></value><value><i4>-3</i4></value><value><int> 7 </int></value></data></array></value></param></params></methodResponse>",
            b"<?xml version=\"1.0\"?><methodResponse><params><param><value><array><data/></array></value></param></params></methodResponse>",
            b"<methodResponse>\r\n\t<params><param><value><array><data><!-- c --><value><int>1</int></value></data></array></value></param></params></methodResponse><!-- end -->",
            b"<methodResponse><params><param><value><array><data><value><int>9223372036854775807</int></value><value><int>-9223372036854775808</int></value><value><int>0004</int></value></data></array></value></param></params></methodResponse>",
        ];
        let want: [&[i64]; 4] = [&[-3, 5, 7], &[], &[1], &[i64::MIN, 4, i64::MAX]];
        for (body, want) in bodies.iter().zip(want) {
            let Ok(IdsResponse::Ids(set)) = decode_ids(body) else {
                panic!("{}", String::from_utf8_lossy(body));
            };
            assert_eq!(set.to_vec(), want.to_vec());
            assert_agrees(body, decode_ids(body));
        }
    }

    #[test]
    fn whitespace_anywhere_agrees_with_the_generic_decoder() {
        let body = int_array_body(&[3, 1, 2]);
        let mut fast = 0;
        for at in 0..=body.len() {
            for space in [" ", "\t", "\r\n", "\n\n  "] {
                let mut spaced = body.clone();
                spaced.splice(at..at, space.bytes());
                let got = decode_ids(&spaced);
                fast += usize::from(matches!(got, Ok(IdsResponse::Ids(_))));
                assert_agrees(&spaced, got);
            }
        }
        assert!(fast > body.len(), "{fast}");
    }

    #[test]
    fn the_held_tail_stays_small() {
        let ids: Vec<i64> = (0..200_000).map(|i| i * 3 + 1).collect();
        let body = int_array_body(&ids);
        let mut decoder = IdsDecoder::new();
        let mut held = 0;
        for chunk in body.chunks(997) {
            decoder.feed(chunk);
            held = held.max(decoder.held_bytes());
            assert!(!decoder.is_buffering());
        }
        // A chunk plus one incomplete item and a little context.
        assert!(held <= 997 + 64 + EXCERPT_RADIUS, "{held}");
        let Ok(IdsResponse::Ids(set)) = decoder.finish() else {
            panic!("not ids");
        };
        assert_eq!(set.to_vec(), ids);
    }

    #[test]
    fn errors_after_many_ids_point_into_the_body() {
        let ids: Vec<i64> = (1..=1_000).collect();
        let mut body = int_array_body(&ids);
        let at = body.len() / 2;
        body.insert(at, b'&');
        let e = decode_ids(&body).unwrap_err();
        assert_eq!(e, decode_response(&body).unwrap_err());
        assert!(e.path.starts_with(ITEM_PATH), "{}", e.path);
    }

    const PIECES: [&str; 24] = [
        "<value>",
        "</value>",
        "<int>",
        "</int>",
        "<i4>",
        "</i4>",
        "<i8>",
        "</i8>",
        "<data>",
        "</data>",
        "<data/>",
        "<string>x</string>",
        "<value><int>12</int></value>",
        "<fault>",
        "-",
        "9",
        "99999999999999999999",
        " ",
        "\n",
        "<!-- c -->",
        "&amp;",
        "&#49;",
        "<",
        ">",
    ];

    /// A real-looking body with a few random edits: bytes changed, removed, duplicated or
    /// fragments of XML-RPC inserted.
    fn mutated(rng: &mut StdRng, base: &[u8]) -> Vec<u8> {
        let mut body = base.to_vec();
        for _ in 0..rng.random_range(0..4) {
            let at = rng.random_range(0..=body.len());
            match rng.random_range(0..5) {
                0 if at < body.len() => body[at] = rng.random(),
                1 if at < body.len() => {
                    body.remove(at);
                }
                2 => {
                    let piece = PIECES[rng.random_range(0..PIECES.len())];
                    body.splice(at..at, piece.bytes());
                }
                3 => body.truncate(at),
                _ => {
                    let len = rng.random_range(0..16).min(body.len() - at.min(body.len()));
                    let copy = body[at..at + len].to_vec();
                    body.splice(at..at, copy);
                }
            }
        }
        body
    }

    fn fuzz(iterations: u64, seed: u64) {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut bases: Vec<Vec<u8>> = transcript_responses()
            .into_iter()
            .filter(|(_, b)| b.len() < 4_000)
            .map(|(_, b)| b)
            .collect();
        bases.push(int_array_body(&[i64::MAX, i64::MIN, -1, 0, 1 << 40]));
        bases.push(int_array_body(&(0..40).collect::<Vec<_>>()));
        for i in 0..iterations {
            let body = if i % 8 == 7 {
                (0..rng.random_range(0..200))
                    .map(|_| rng.random())
                    .collect()
            } else {
                let base = &bases[rng.random_range(0..bases.len())];
                mutated(&mut rng, base)
            };
            let mut cuts: Vec<usize> = (0..rng.random_range(0..6))
                .map(|_| rng.random_range(0..=body.len()))
                .collect();
            cuts.sort_unstable();
            assert_agrees(&body, feed_in(&body, &cuts));
        }
    }

    #[test]
    fn mutated_bodies_agree_with_the_generic_decoder() {
        fuzz(20_000, 1);
    }

    /// `IDS_FUZZ_ITERATIONS=300000 cargo test --release --lib xmlrpc::ids -- --ignored`.
    #[test]
    #[ignore = "long fuzz loop; set IDS_FUZZ_ITERATIONS"]
    fn fuzz_loop() {
        let iterations = std::env::var("IDS_FUZZ_ITERATIONS")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(300_000);
        fuzz(iterations, 2);
    }
}
