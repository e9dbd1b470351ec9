//! Property and fuzz tests for the codec: random value trees round-trip through the encoder
//! and decoder; arbitrary bytes, XML-RPC-shaped garbage and truncated real bodies give an
//! error or a value but never a panic; absurd nesting is refused.
//!
//! Case counts are kept small for CI; `PROPTEST_CASES=N` raises them, and the `#[ignore]`d
//! tests truncate every transcript body at every position and run a long fuzz loop.
#![allow(clippy::unwrap_used)]

use std::sync::OnceLock;

use proptest::prelude::*;
use scorekeeper::xmlrpc::{
    DecodeErrorKind, EXCERPT_RADIUS, Fault, FaultCode, MAX_DEPTH, MethodResponse, Struct, Value,
    decode_call, decode_response, decode_value, encode_call, encode_response, encode_value,
    strip_forbidden_chars,
};

use crate::support::xmlrpc::stripped;

/// `default` cases, or `PROPTEST_CASES` when set (for long local runs).
fn cases(default: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(default);
    ProptestConfig {
        cases,
        ..ProptestConfig::default()
    }
}

/// Characters that exercise the encoder: markup, line ends, forbidden controls, non-BMP.
fn tricky_char() -> impl Strategy<Value = char> {
    prop_oneof![
        3 => any::<char>(),
        2 => prop::sample::select(vec![
            '&', '<', '>', '"', '\'', ';', '#', ']', '\r', '\n', '\t', ' ', '\u{0}', '\u{7}',
            '\u{1b}', '\u{1f}', '\u{7f}', '\u{85}', '\u{FEFF}', '\u{FFFD}', '\u{FFFE}',
            '\u{FFFF}', '😀', 'é', '中',
        ]),
        2 => proptest::char::range('a', 'z'),
    ]
}

fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(tricky_char(), 0..24).prop_map(String::from_iter)
}

fn double() -> impl Strategy<Value = f64> {
    prop_oneof![
        4 => any::<f64>(),
        1 => prop::sample::select(vec![
            0.0, -0.0, f64::INFINITY, f64::NEG_INFINITY, f64::NAN, 1e100, 1.5e-7, 1e16, 1e-5,
            f64::MAX, f64::MIN_POSITIVE, 5e-324,
        ]),
        2 => (-1_000_000i64..1_000_000).prop_map(|c| c as f64 / 100.0),
    ]
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::Int),
        (-5i64..5).prop_map(Value::Int),
        any::<bool>().prop_map(Value::Bool),
        text().prop_map(Value::String),
        double().prop_map(Value::Double),
        text().prop_map(Value::DateTime),
        text().prop_map(Value::Base64),
        Just(Value::Nil),
    ]
}

fn value_tree() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(6, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::vec((text(), inner), 0..8).prop_map(|m| Value::Struct(Struct(m))),
        ]
    })
}

/// Equality where NaN equals NaN and doubles compare bit for bit otherwise (so -0.0 ≠ 0.0).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Double(x), Value::Double(y)) => {
            (x.is_nan() && y.is_nan()) || x.to_bits() == y.to_bits()
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        (Value::Struct(x), Value::Struct(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y.iter())
                    .all(|((ka, va), (kb, vb))| ka == kb && same(va, vb))
        }
        _ => a == b,
    }
}

fn check_error_is_bounded(body: &[u8], e: &scorekeeper::xmlrpc::DecodeError) {
    assert!(e.offset <= body.len());
    assert!(e.excerpt.chars().count() <= 2 * EXCERPT_RADIUS, "{e:?}");
    assert!(e.to_string().len() < 1_000);
}

/// Fragments of XML-RPC documents, glued at random to reach the decoder's deeper states.
fn xmlish() -> impl Strategy<Value = Vec<u8>> {
    let pieces = vec![
        "<?xml version='1.0'?>",
        "<methodResponse>",
        "</methodResponse>",
        "<methodCall>",
        "</methodCall>",
        "<methodName>",
        "</methodName>",
        "<params>",
        "</params>",
        "<param>",
        "</param>",
        "<fault>",
        "</fault>",
        "<value>",
        "</value>",
        "<value/>",
        "<array>",
        "</array>",
        "<data>",
        "</data>",
        "<data/>",
        "<struct>",
        "</struct>",
        "<member>",
        "</member>",
        "<name>",
        "</name>",
        "<name>faultCode</name>",
        "<name>faultString</name>",
        "<int>",
        "</int>",
        "<i8>",
        "</i8>",
        "<boolean>",
        "</boolean>",
        "<double>",
        "</double>",
        "<string>",
        "</string>",
        "<string/>",
        "<nil/>",
        "<base64>",
        "</base64>",
        "1",
        "0",
        "-1.5e-07",
        "nan",
        "x",
        " ",
        "\n",
        "&amp;",
        "&#x1F600;",
        "&#0;",
        "&bogus;",
        "&",
        "<![CDATA[a]]>",
        "<!-- c -->",
        "<",
        ">",
        "\"",
        "\r\n",
        "\u{7}",
        "é",
    ];
    prop::collection::vec(prop::sample::select(pieces), 0..40).prop_map(|p| p.concat().into_bytes())
}

proptest! {
    #![proptest_config(cases(256))]

    #[test]
    fn values_round_trip(v in value_tree()) {
        let back = decode_value(&encode_value(&v)).unwrap();
        let want = stripped(&v);
        prop_assert!(same(&back, &want), "{want:?}\n!=\n{back:?}");
    }

    #[test]
    fn calls_and_responses_round_trip(
        name in text(),
        params in prop::collection::vec(value_tree(), 0..4),
        code in prop_oneof![any::<i64>().prop_map(FaultCode::Int), text().prop_map(FaultCode::Str)],
        fault_string in text(),
    ) {
        let call = decode_call(&encode_call(&name, &params)).unwrap();
        prop_assert_eq!(call.name, strip_forbidden_chars(&name).into_owned());
        prop_assert_eq!(call.params.len(), params.len());
        for (got, sent) in call.params.iter().zip(&params) {
            prop_assert!(same(got, &stripped(sent)));
        }
        let fault = Fault { code: code.clone(), string: fault_string.clone() };
        let back = decode_response(&encode_response(&MethodResponse::Fault(fault))).unwrap();
        let want_code = match code {
            FaultCode::Str(s) => FaultCode::Str(strip_forbidden_chars(&s).into_owned()),
            c => c,
        };
        prop_assert_eq!(
            back,
            MethodResponse::Fault(Fault {
                code: want_code,
                string: strip_forbidden_chars(&fault_string).into_owned(),
            })
        );
    }

    #[test]
    fn arbitrary_bytes_never_panic(body in prop::collection::vec(any::<u8>(), 0..256)) {
        for result in [
            decode_response(&body).map(|_| ()),
            decode_call(&body).map(|_| ()),
            decode_value(&body).map(|_| ()),
        ] {
            if let Err(e) = result {
                check_error_is_bounded(&body, &e);
            }
        }
    }

    #[test]
    fn xml_shaped_garbage_never_panics(body in xmlish()) {
        for result in [
            decode_response(&body).map(|_| ()),
            decode_call(&body).map(|_| ()),
            decode_value(&body).map(|_| ()),
        ] {
            if let Err(e) = result {
                check_error_is_bounded(&body, &e);
            }
        }
    }

}

proptest! {
    #![proptest_config(cases(48))]

    #[test]
    fn truncated_097_is_an_error(cut in 0usize..543_664) {
        let body = &transcript_bodies().iter().find(|(n, _)| n == "097 response").unwrap().1;
        check_prefix(body, cut.min(body.len()));
    }
}

/// Every `(label, body)` of the transcripts that decodes as the kind it is (read once).
fn transcript_bodies() -> &'static [(String, Vec<u8>)] {
    static BODIES: OnceLock<Vec<(String, Vec<u8>)>> = OnceLock::new();
    BODIES.get_or_init(load_bodies)
}

fn load_bodies() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for t in crate::support::replay::transcripts("odoo17/transcripts") {
        let number = &t.name[..3];
        for kind in ["request", "response"] {
            if let Some(body) = t.doc[kind].as_str() {
                let ok = if kind == "request" {
                    decode_call(body.as_bytes()).is_ok()
                } else {
                    decode_response(body.as_bytes()).is_ok()
                };
                if ok {
                    out.push((format!("{number} {kind}"), body.as_bytes().to_vec()));
                }
            }
        }
    }
    out
}

/// A prefix of a valid body decodes only if what was cut is trailing whitespace.
fn check_prefix(body: &[u8], len: usize) {
    let prefix = &body[..len];
    let is_call = body.starts_with(b"<?xml version='1.0'?>\n<methodCall>")
        || body.starts_with(b"<?xml version='1.0'?><methodCall>");
    let result = if is_call {
        decode_call(prefix).map(|_| ())
    } else {
        decode_response(prefix).map(|_| ())
    };
    let only_whitespace_cut = body[len..].iter().all(u8::is_ascii_whitespace);
    match result {
        Ok(()) => assert!(only_whitespace_cut, "prefix of {len} bytes decoded"),
        Err(e) => {
            assert!(!only_whitespace_cut, "prefix of {len} bytes failed: {e}");
            check_error_is_bounded(prefix, &e);
        }
    }
}

#[test]
fn truncations_of_small_bodies_at_every_position() {
    let bodies = transcript_bodies();
    let picked = [
        "001 response",
        "007 request",
        "007 response",
        "023 request",
        "043 response",
    ];
    let mut prefixes = 0;
    for (label, body) in bodies.iter().filter(|(l, _)| picked.contains(&l.as_str())) {
        for len in 0..=body.len() {
            check_prefix(body, len);
            prefixes += 1;
        }
        assert!(!label.is_empty());
    }
    assert!(prefixes > 3_000, "{prefixes}");
}

/// Run with `cargo test --release --test lib xmlrpc_props -- --ignored`.
#[test]
#[ignore = "exhaustive: every prefix of every transcript body (minutes)"]
fn truncations_of_every_body_at_every_position() {
    let mut prefixes = 0u64;
    for (label, body) in transcript_bodies() {
        let body = body.as_slice();
        let step = if label.starts_with("097") { 97 } else { 1 };
        for len in (0..=body.len()).step_by(step) {
            check_prefix(body, len);
            prefixes += 1;
        }
    }
    println!("checked {prefixes} prefixes");
}

#[test]
fn ten_thousand_deep_nesting_is_refused() {
    let deep = 10_000;
    let arrays = "<value><array><data>".repeat(deep) + &"</data></array></value>".repeat(deep);
    let structs = "<value><struct><member><name>k</name>".repeat(deep)
        + &"</member></struct></value>".repeat(deep);
    let unclosed = "<value><array><data>".repeat(deep);
    for xml in [arrays, structs, unclosed] {
        let e = decode_value(xml.as_bytes()).unwrap_err();
        assert_eq!(e.kind, DecodeErrorKind::TooDeep { limit: MAX_DEPTH });
        check_error_is_bounded(xml.as_bytes(), &e);
        let body =
            format!("<methodResponse><params><param>{xml}</param></params></methodResponse>");
        let e = decode_response(body.as_bytes()).unwrap_err();
        assert_eq!(e.kind, DecodeErrorKind::TooDeep { limit: MAX_DEPTH });
    }
}

/// Loops the arbitrary-bytes and garbage properties by hand for a long local run:
/// `XMLRPC_FUZZ_ITERATIONS=1000000 cargo test --release --test lib fuzz_loop -- --ignored`.
#[test]
#[ignore = "long fuzz loop; set XMLRPC_FUZZ_ITERATIONS"]
fn fuzz_loop() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let iterations: u64 = std::env::var("XMLRPC_FUZZ_ITERATIONS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000);
    let mut runner = TestRunner::deterministic();
    let bytes = prop::collection::vec(any::<u8>(), 0..512);
    let garbage = xmlish();
    let trees = value_tree();
    for i in 0..iterations {
        let body = if i % 2 == 0 {
            bytes.new_tree(&mut runner).unwrap().current()
        } else {
            garbage.new_tree(&mut runner).unwrap().current()
        };
        for result in [
            decode_response(&body).map(|_| ()),
            decode_call(&body).map(|_| ()),
            decode_value(&body).map(|_| ()),
        ] {
            if let Err(e) = result {
                check_error_is_bounded(&body, &e);
            }
        }
        if i % 10 == 0 {
            let v = trees.new_tree(&mut runner).unwrap().current();
            let back = decode_value(&encode_value(&v)).unwrap();
            assert!(same(&back, &stripped(&v)), "{v:?}");
        }
    }
    println!("fuzzed {iterations} bodies");
}
