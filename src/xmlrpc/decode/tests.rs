//! The decoder's cases: entity joining, layout whitespace, Python's number forms, faults,
//! depth caps, error positions, and what is refused as not XML-RPC.

use super::*;
use crate::xmlrpc::DecodeErrorKind;

fn value(xml: &str) -> Value {
    decode_value(xml.as_bytes()).unwrap_or_else(|e| panic!("{xml}: {e}"))
}

fn value_err(xml: &str) -> DecodeError {
    match decode_value(xml.as_bytes()) {
        Ok(v) => panic!("{xml} decoded to {v:?}"),
        Err(e) => e,
    }
}

fn s(text: &str) -> Value {
    Value::String(text.to_owned())
}

#[test]
fn entities_join_with_surrounding_text_untrimmed() {
    assert_eq!(
        value("<value><string>a &amp; b</string></value>"),
        s("a & b")
    );
    assert_eq!(
        value("<value><string> &lt;x&gt; </string></value>"),
        s(" <x> ")
    );
    assert_eq!(
        value("<value><string>&quot;&apos;</string></value>"),
        s("\"'")
    );
    assert_eq!(
        value("<value><string>smile &#x1F600;!</string></value>"),
        s("smile 😀!")
    );
    assert_eq!(
        value("<value><string>caf&#233; </string></value>"),
        s("café ")
    );
    assert_eq!(
        value("<value>untyped &amp; joined</value>"),
        s("untyped & joined")
    );
}

#[test]
fn cdata_joins_with_text() {
    assert_eq!(
        value("<value><string>a<![CDATA[<b> & ]]>c</string></value>"),
        s("a<b> & c")
    );
    assert_eq!(value("<value><![CDATA[x]]></value>"), s("x"));
}

#[test]
fn empty_and_untyped_values() {
    assert_eq!(value("<value/>"), s(""));
    assert_eq!(value("<value></value>"), s(""));
    assert_eq!(value("<value><string/></value>"), s(""));
    assert_eq!(value("<value><string></string></value>"), s(""));
    assert_eq!(value("<value>  spaced  </value>"), s("  spaced  "));
    assert_eq!(value("<value> \n </value>"), s(" \n "));
    assert_eq!(value("<value><nil/></value>"), Value::Nil);
    assert_eq!(
        value("<value><array><data/></array></value>"),
        Value::Array(vec![])
    );
    assert_eq!(value("<value><array/></value>"), Value::Array(vec![]));
    assert_eq!(
        value("<value><struct/></value>"),
        Value::Struct(Struct::new())
    );
}

#[test]
fn whitespace_between_elements_is_layout() {
    let v = value(
        "<value>\n  <array>\n <data>\n <value> <int> 5 </int> </value>\n</data> </array>\n</value>",
    );
    assert_eq!(v, Value::Array(vec![Value::Int(5)]));
    let v = value(
        "<value><struct>\n <member>\n <name>k</name>\n <value><boolean>1</boolean></value> </member>\n</struct></value>",
    );
    assert_eq!(
        v,
        Value::Struct(Struct(vec![("k".into(), Value::Bool(true))]))
    );
}

#[test]
fn line_ends_are_normalised_except_char_refs() {
    assert_eq!(
        value("<value><string>a\r\nb\rc</string></value>"),
        s("a\nb\nc")
    );
    assert_eq!(
        value("<value><string>a&#13;\nb</string></value>"),
        s("a\r\nb")
    );
}

#[test]
fn integers() {
    for (xml, want) in [
        ("<value><int>42</int></value>", 42),
        ("<value><i4>-7</i4></value>", -7),
        ("<value><i8>3000000000</i8></value>", 3_000_000_000),
        (
            "<value><biginteger>-9223372036854775808</biginteger></value>",
            i64::MIN,
        ),
        ("<value><int> +12 </int></value>", 12),
    ] {
        assert_eq!(value(xml), Value::Int(want), "{xml}");
    }
    let e = value_err("<value><i8>9223372036854775808</i8></value>");
    assert_eq!(
        e.kind,
        DecodeErrorKind::IntOutOfRange("9223372036854775808".into())
    );
    assert_eq!((e.offset, e.path.as_str()), (11, "value/i8"));
    assert!(matches!(
        value_err("<value><int>1.5</int></value>").kind,
        DecodeErrorKind::InvalidInt(_)
    ));
    assert!(matches!(
        value_err("<value><int/></value>").kind,
        DecodeErrorKind::InvalidInt(_)
    ));
}

#[test]
fn booleans() {
    assert_eq!(
        value("<value><boolean>1</boolean></value>"),
        Value::Bool(true)
    );
    assert_eq!(
        value("<value><boolean>0</boolean></value>"),
        Value::Bool(false)
    );
    let e = value_err("<value><boolean>true</boolean></value>");
    assert_eq!(e.kind, DecodeErrorKind::InvalidBoolean("true".into()));
}

#[test]
fn doubles_in_python_repr_forms() {
    for (text, want) in [
        ("0.0", 0.0),
        ("90000.0", 90000.0),
        ("1e+100", 1e100),
        ("-1.5e-07", -1.5e-7),
        ("inf", f64::INFINITY),
        ("-inf", f64::NEG_INFINITY),
    ] {
        assert_eq!(
            value(&format!("<value><double>{text}</double></value>")),
            Value::Double(want)
        );
    }
    match value("<value><double>nan</double></value>") {
        Value::Double(d) => assert!(d.is_nan()),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        value_err("<value><double>1,5</double></value>").kind,
        DecodeErrorKind::InvalidDouble(_)
    ));
}

#[test]
fn datetime_and_base64_kept_as_text() {
    assert_eq!(
        value("<value><dateTime.iso8601>20261122T10:00:00</dateTime.iso8601></value>"),
        Value::DateTime("20261122T10:00:00".into())
    );
    let v = value("<value><base64>\nZm9vYmFy\n</base64></value>");
    assert_eq!(v, Value::Base64("\nZm9vYmFy\n".into()));
    assert_eq!(v.base64_decode().as_deref(), Some(&b"foobar"[..]));
}

#[test]
fn structs_keep_member_order_and_duplicates() {
    let v = value(
        "<value><struct><member><name>z</name><value>1</value></member>\
         <member><name>a</name><value><int>2</int></value></member>\
         <member><name>z</name><value><int>3</int></value></member></struct></value>",
    );
    let st = v.as_struct().unwrap();
    assert_eq!(st.keys().collect::<Vec<_>>(), ["z", "a", "z"]);
    assert_eq!(st.get("z"), Some(&s("1")));
}

#[test]
fn calls_and_responses() {
    let call = decode_call(
        b"<?xml version='1.0'?>\n<methodCall>\n<methodName>execute_kw</methodName>\n<params>\n\
          <param>\n<value><string>db</string></value>\n</param>\n<param><value><int>2</int></value></param>\n\
          </params>\n</methodCall>\n",
    )
    .unwrap();
    assert_eq!(
        call,
        MethodCall::new("execute_kw", vec![s("db"), Value::Int(2)])
    );
    let call = decode_call(b"<methodCall><methodName>version</methodName></methodCall>").unwrap();
    assert_eq!(call, MethodCall::new("version", vec![]));
    let ok = decode_response(b"<methodResponse><params><param><value><int>2</int></value></param></params></methodResponse>");
    assert_eq!(ok.unwrap(), MethodResponse::Success(Value::Int(2)));
}

#[test]
fn faults_with_int_and_string_codes() {
    let body = "<?xml version='1.0'?>\n<methodResponse>\n<fault>\n<value><struct>\n\
        <member>\n<name>faultCode</name>\n<value><int>3</int></value>\n</member>\n\
        <member>\n<name>faultString</name>\n<value><string>Access Denied</string></value>\n</member>\n\
        </struct></value>\n</fault>\n</methodResponse>\n";
    let MethodResponse::Fault(f) = decode_response(body.as_bytes()).unwrap() else {
        panic!()
    };
    assert_eq!(
        (f.code, f.string.as_str()),
        (FaultCode::Int(3), "Access Denied")
    );
    let legacy = "<methodResponse><fault><value><struct>\
        <member><name>faultCode</name><value><string>warning -- UserError\n\nNo</string></value></member>\
        <member><name>faultString</name><value><string></string></value></member>\
        </struct></value></fault></methodResponse>";
    let MethodResponse::Fault(f) = decode_response(legacy.as_bytes()).unwrap() else {
        panic!()
    };
    assert_eq!(f.code, FaultCode::Str("warning -- UserError\n\nNo".into()));
    let bad = "<methodResponse><fault><value><int>1</int></value></fault></methodResponse>";
    let e = decode_response(bad.as_bytes()).unwrap_err();
    assert_eq!(
        e.kind,
        DecodeErrorKind::BadFault("the value is not a struct")
    );
    assert_eq!(e.path, "methodResponse/fault");
}

#[test]
fn depth_cap_returns_an_error() {
    let deep = 10_000;
    let xml = "<value><array><data>".repeat(deep) + &"</data></array></value>".repeat(deep);
    let e = value_err(&xml);
    assert_eq!(e.kind, DecodeErrorKind::TooDeep { limit: MAX_DEPTH });
    assert!(
        e.path.starts_with("value/array/data/value[0]/…/"),
        "{}",
        e.path
    );
    assert!(e.path.len() < 200, "{}", e.path);
    // Exactly at the cap is fine.
    let xml = "<value><array><data>".repeat(MAX_DEPTH - 1)
        + "<value>x</value>"
        + &"</data></array></value>".repeat(MAX_DEPTH - 1);
    assert!(decode_value(xml.as_bytes()).is_ok());
}

#[test]
fn truncated_input_names_the_open_element() {
    let body = b"<methodResponse><params><param><value><array><data><value><string>abc";
    let e = decode_response(body).unwrap_err();
    assert_eq!(
        e.kind,
        DecodeErrorKind::Truncated {
            open: "string".into()
        }
    );
    assert_eq!(e.offset, body.len());
    assert_eq!(
        e.path,
        "methodResponse/params/param[0]/value/array/data/value[0]/string"
    );
    assert!(decode_response(b"<methodResponse><params><param><valu").is_err());
    assert_eq!(
        decode_response(b"").unwrap_err().kind,
        DecodeErrorKind::Empty
    );
    assert_eq!(
        decode_response(b"  \n").unwrap_err().kind,
        DecodeErrorKind::Empty
    );
}

#[test]
fn error_carries_offset_path_and_short_excerpt() {
    let mut body = String::from("<methodResponse><params><param><value><array><data>");
    for i in 0..1000 {
        body.push_str(&format!("<value><int>{i}</int></value>"));
    }
    body.push_str("<value><struct><member><name>partner_id</name><value><int>x</int></value></member></struct></value>");
    body.push_str("</data></array></value></param></params></methodResponse>");
    let e = decode_response(body.as_bytes()).unwrap_err();
    let at = body.find("<int>x").unwrap() + 5;
    assert_eq!(e.offset, at);
    assert_eq!(
        e.path,
        "methodResponse/params/param[0]/value/array/data/value[1000]/struct/member[partner_id]/value/int"
    );
    assert!(
        e.excerpt.len() <= 40 && e.excerpt.contains("<int>x"),
        "{:?}",
        e.excerpt
    );
    let shown = e.to_string();
    assert!(
        shown.contains(&format!("byte {at}")) && shown.contains("member[partner_id]"),
        "{shown}"
    );
    assert!(shown.len() < 400, "{shown}");
}

#[test]
fn html_pages_and_garbage_are_errors() {
    let html = b"<!doctype html>\n<html lang=en>\n<title>405 Method Not Allowed</title>\n";
    assert!(decode_response(html).is_err());
    let e = decode_response(b"<html><body>Bad Gateway</body></html>").unwrap_err();
    assert_eq!(
        e.kind,
        DecodeErrorKind::WrongRoot {
            expected: "methodResponse",
            found: "html".into()
        }
    );
    assert!(decode_response(b"\xff\xfe garbage \x00").is_err());
    assert!(decode_response(b"not xml at all").is_err());
    let e = decode_value(b"<value><string>\xff</string></value>").unwrap_err();
    assert_eq!((e.kind, e.offset), (DecodeErrorKind::InvalidUtf8, 15));
}

#[test]
fn rejects_what_is_not_xml_rpc() {
    let kind = |xml: &str| value_err(xml).kind;
    assert!(matches!(
        kind("<value><float>1</float></value>"),
        DecodeErrorKind::UnexpectedElement { .. }
    ));
    assert!(matches!(
        kind("<value><string>a<b/>c</string></value>"),
        DecodeErrorKind::UnexpectedElement { .. }
    ));
    assert_eq!(
        kind("<value>x<int>1</int></value>"),
        DecodeErrorKind::UnexpectedText
    );
    assert!(matches!(
        kind("<value><int>1</int><int>2</int></value>"),
        DecodeErrorKind::Duplicate(_)
    ));
    assert_eq!(
        kind("<value><int>1</int>x</value>"),
        DecodeErrorKind::UnexpectedText
    );
    assert_eq!(
        kind("<value><array>x<data/></array></value>"),
        DecodeErrorKind::UnexpectedText
    );
    assert!(matches!(
        kind("<value><string>a</int></value>"),
        DecodeErrorKind::MismatchedEnd { .. }
    ));
    assert_eq!(
        kind("<value><string>&nbsp;</string></value>"),
        DecodeErrorKind::BadReference("nbsp".into())
    );
    assert!(matches!(
        kind("<value><string>&#0;</string></value>"),
        DecodeErrorKind::BadReference(_)
    ));
    assert_eq!(
        kind("<!DOCTYPE x><value/>"),
        DecodeErrorKind::DocType("x".into())
    );
    assert_eq!(kind("<value/><value/>"), DecodeErrorKind::TrailingContent);
    assert_eq!(kind("<value/>\n<br>"), DecodeErrorKind::TrailingContent);
    assert_eq!(kind("<value/> junk"), DecodeErrorKind::TrailingContent);
    assert_eq!(kind("junk <value/>"), DecodeErrorKind::UnexpectedText);
    assert!(matches!(
        kind("<value><struct><member><value>1</value></member></struct></value>"),
        DecodeErrorKind::Missing(_)
    ));
    assert!(matches!(
        kind("<value><struct><member><name>a</name></member></struct></value>"),
        DecodeErrorKind::Missing(_)
    ));
    assert!(matches!(
        kind("<?xml version='1.0' encoding='iso-8859-1'?><value/>"),
        DecodeErrorKind::UnsupportedEncoding(_)
    ));
    let two = b"<methodResponse><params><param><value>1</value></param><param><value>2</value></param></params></methodResponse>";
    assert!(matches!(
        decode_response(two).unwrap_err().kind,
        DecodeErrorKind::Duplicate(_)
    ));
    let none = b"<methodResponse><params></params></methodResponse>";
    assert!(matches!(
        decode_response(none).unwrap_err().kind,
        DecodeErrorKind::Missing(_)
    ));
    let call = b"<methodResponse><params/></methodResponse>";
    assert!(decode_call(call).is_err());
}

#[test]
fn raw_control_characters_pass_through() {
    // Odoo would refuse this body (transcript 024); the decoder reads it, the encoder strips.
    assert_eq!(
        value("<value><string>bell\u{7}!</string></value>"),
        s("bell\u{7}!")
    );
}

#[test]
fn comments_and_declarations_are_ignored() {
    assert_eq!(
        value(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><!-- c --><value><string>a<!-- x -->b</string></value><!-- end -->"
        ),
        s("ab")
    );
    assert_eq!(value("\u{FEFF}<value>bom</value>"), s("bom"));
    assert_eq!(value("\n<?xml version='1.0'?>\n<value>x</value>\n"), s("x"));
    assert!(matches!(
        value_err("<value/><?xml version='1.0'?>").kind,
        DecodeErrorKind::Xml(_)
    ));
}
