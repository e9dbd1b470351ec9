//! The XML-RPC encoder. It lays documents out exactly as Python's `xmlrpc.client` does (what
//! Odoo runs on both ends), so re-encoding a recorded Odoo body reproduces it byte for byte.
//!
//! Deliberate differences from Python, all about data Python would corrupt or refuse:
//! - characters XML 1.0 forbids (C0 controls other than tab, LF and CR; U+FFFE; U+FFFF) are
//!   **stripped**: Odoo rejects the whole request otherwise (transcript 024), and Odoo itself
//!   strips control characters from the strings it sends;
//! - a carriage return is written as `&#13;`, because a raw one would arrive as `\n` after
//!   the receiver's line-end normalisation;
//! - integers outside the i32 range are sent as `<i8>` (Python refuses them; Odoo accepts `<i8>`).
//!
//! Encoding cannot fail.

use std::borrow::Cow;
use std::io::Write as _;

use super::float_repr::write_python_float;
use super::message::{Fault, FaultCode, MethodResponse};
use super::value::{Struct, Value};

const XML_HEADER: &[u8] = b"<?xml version='1.0'?>\n";

/// Encodes a `<methodCall>`.
pub fn encode_call(name: &str, params: &[Value]) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    out.extend_from_slice(XML_HEADER);
    out.extend_from_slice(b"<methodCall>\n<methodName>");
    write_escaped(&mut out, name);
    out.extend_from_slice(b"</methodName>\n<params>\n");
    for param in params {
        out.extend_from_slice(b"<param>\n");
        write_value(&mut out, param);
        out.extend_from_slice(b"</param>\n");
    }
    out.extend_from_slice(b"</params>\n</methodCall>\n");
    out
}

/// Encodes a `<methodResponse>`: one value, or a fault.
pub fn encode_response(response: &MethodResponse) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    out.extend_from_slice(XML_HEADER);
    out.extend_from_slice(b"<methodResponse>\n");
    match response {
        MethodResponse::Success(value) => {
            out.extend_from_slice(b"<params>\n<param>\n");
            write_value(&mut out, value);
            out.extend_from_slice(b"</param>\n</params>\n");
        }
        MethodResponse::Fault(fault) => write_fault(&mut out, fault),
    }
    out.extend_from_slice(b"</methodResponse>\n");
    out
}

/// Encodes a lone `<value>` element (the counterpart of `decode_value`).
pub fn encode_value(value: &Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    write_value(&mut out, value);
    out
}

fn write_fault(out: &mut Vec<u8>, fault: &Fault) {
    out.extend_from_slice(b"<fault>\n<value><struct>\n<member>\n<name>faultCode</name>\n");
    match &fault.code {
        FaultCode::Int(code) => write_int(out, *code),
        FaultCode::Str(code) => write_string(out, code),
    }
    out.extend_from_slice(b"</member>\n<member>\n<name>faultString</name>\n");
    write_string(out, &fault.string);
    out.extend_from_slice(b"</member>\n</struct></value>\n</fault>\n");
}

/// Appends one `<value>` element, followed by a newline as Python writes it (except after
/// `<nil/>`, where Python writes none).
pub(crate) fn write_value(out: &mut Vec<u8>, value: &Value) {
    match value {
        Value::Int(i) => write_int(out, *i),
        Value::Bool(b) => out.extend_from_slice(if *b {
            b"<value><boolean>1</boolean></value>\n"
        } else {
            b"<value><boolean>0</boolean></value>\n"
        }),
        Value::String(s) => write_string(out, s),
        Value::Double(d) => {
            out.extend_from_slice(b"<value><double>");
            write_python_float(out, *d);
            out.extend_from_slice(b"</double></value>\n");
        }
        Value::DateTime(s) => {
            out.extend_from_slice(b"<value><dateTime.iso8601>");
            write_escaped(out, s);
            out.extend_from_slice(b"</dateTime.iso8601></value>\n");
        }
        Value::Base64(s) => {
            // The text is kept verbatim on decoding (Python's own line breaks included).
            out.extend_from_slice(b"<value><base64>");
            write_escaped(out, s);
            out.extend_from_slice(b"</base64></value>\n");
        }
        Value::Array(items) => {
            out.extend_from_slice(b"<value><array><data>\n");
            for item in items {
                write_value(out, item);
            }
            out.extend_from_slice(b"</data></array></value>\n");
        }
        Value::Struct(members) => write_struct(out, members),
        Value::Nil => out.extend_from_slice(b"<value><nil/></value>"),
    }
}

fn write_struct(out: &mut Vec<u8>, members: &Struct) {
    out.extend_from_slice(b"<value><struct>\n");
    for (name, value) in members.iter() {
        out.extend_from_slice(b"<member>\n<name>");
        write_escaped(out, name);
        out.extend_from_slice(b"</name>\n");
        write_value(out, value);
        out.extend_from_slice(b"</member>\n");
    }
    out.extend_from_slice(b"</struct></value>\n");
}

fn write_int(out: &mut Vec<u8>, i: i64) {
    // Writing into a Vec cannot fail.
    if i32::try_from(i).is_ok() {
        let _ = writeln!(out, "<value><int>{i}</int></value>");
    } else {
        let _ = writeln!(out, "<value><i8>{i}</i8></value>");
    }
}

fn write_string(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(b"<value><string>");
    write_escaped(out, s);
    out.extend_from_slice(b"</string></value>\n");
}

/// Bytes that need a look: markup characters, CR, C0 controls XML forbids, and 0xEF, the first
/// byte of U+FFFE/U+FFFF.
const SPECIAL: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = !matches!(b, 0x09 | 0x0A);
        b += 1;
    }
    table[b'&' as usize] = true;
    table[b'<' as usize] = true;
    table[b'>' as usize] = true;
    table[0xEF] = true;
    table
};

/// Appends `s` as XML character data: `&`, `<`, `>` escaped as Python escapes them, CR as a
/// character reference, forbidden characters dropped.
pub(crate) fn write_escaped(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    let mut done = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if !SPECIAL[usize::from(b)] {
            i += 1;
            continue;
        }
        let (replacement, width): (&[u8], usize) = match b {
            b'&' => (b"&amp;", 1),
            b'<' => (b"&lt;", 1),
            b'>' => (b"&gt;", 1),
            b'\r' => (b"&#13;", 1),
            0xEF => {
                if bytes.get(i + 1) == Some(&0xBF) && matches!(bytes.get(i + 2), Some(0xBE | 0xBF))
                {
                    (b"", 3)
                } else {
                    i += 1;
                    continue;
                }
            }
            _ => (b"", 1),
        };
        out.extend_from_slice(&bytes[done..i]);
        out.extend_from_slice(replacement);
        i += width;
        done = i;
    }
    out.extend_from_slice(&bytes[done..]);
}

/// Whether XML 1.0 allows `c` in a document (the encoder drops the others).
pub fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | ' '..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// `s` without the characters XML 1.0 forbids: what a string becomes after a round trip
/// through the encoder and a decoder.
pub fn strip_forbidden_chars(s: &str) -> Cow<'_, str> {
    if s.chars().all(is_xml_char) {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(s.chars().filter(|&c| is_xml_char(c)).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn esc(s: &str) -> String {
        let mut out = Vec::new();
        write_escaped(&mut out, s);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn escapes_what_python_escapes() {
        assert_eq!(
            esc("Smith & Sons <VIP> \"q\" 's'"),
            "Smith &amp; Sons &lt;VIP&gt; \"q\" 's'"
        );
        assert_eq!(esc("line1\nline2\ttab"), "line1\nline2\ttab");
        assert_eq!(esc("a\r\nb"), "a&#13;\nb");
        assert_eq!(esc("ünïcødé 😀 — 中文"), "ünïcødé 😀 — 中文");
    }

    #[test]
    fn strips_forbidden_characters() {
        assert_eq!(esc("bell\u{7} and\u{1b} esc\u{0}"), "bell and esc");
        assert_eq!(esc("x\u{FFFE}y\u{FFFF}z\u{FFFD}"), "xyz\u{FFFD}");
        // Other characters starting with 0xEF survive.
        assert_eq!(esc("\u{F000}\u{FEFF}"), "\u{F000}\u{FEFF}");
        assert_eq!(strip_forbidden_chars("a\u{1}b"), "ab");
        assert!(matches!(strip_forbidden_chars("ab"), Cow::Borrowed("ab")));
    }

    #[test]
    fn python_layout_for_scalars_and_containers() {
        let v = Value::Struct(Struct(vec![
            ("id".into(), Value::Int(7)),
            ("big".into(), Value::Int(3_000_000_000)),
            ("ok".into(), Value::Bool(false)),
            ("p".into(), Value::Double(90000.0)),
            ("tags".into(), Value::Array(vec![Value::Int(1), "a".into()])),
            ("none".into(), Value::Nil),
        ]));
        let text = String::from_utf8(encode_value(&v)).unwrap();
        assert_eq!(
            text,
            "<value><struct>\n\
             <member>\n<name>id</name>\n<value><int>7</int></value>\n</member>\n\
             <member>\n<name>big</name>\n<value><i8>3000000000</i8></value>\n</member>\n\
             <member>\n<name>ok</name>\n<value><boolean>0</boolean></value>\n</member>\n\
             <member>\n<name>p</name>\n<value><double>90000.0</double></value>\n</member>\n\
             <member>\n<name>tags</name>\n<value><array><data>\n\
             <value><int>1</int></value>\n<value><string>a</string></value>\n\
             </data></array></value>\n</member>\n\
             <member>\n<name>none</name>\n<value><nil/></value></member>\n\
             </struct></value>\n"
        );
    }

    #[test]
    fn int_boundaries() {
        assert_eq!(
            encode_value(&Value::Int(i64::from(i32::MAX))),
            b"<value><int>2147483647</int></value>\n"
        );
        assert_eq!(
            encode_value(&Value::Int(i64::from(i32::MIN))),
            b"<value><int>-2147483648</int></value>\n"
        );
        assert_eq!(
            encode_value(&Value::Int(2_147_483_648)),
            b"<value><i8>2147483648</i8></value>\n"
        );
        assert_eq!(
            encode_value(&Value::Int(i64::MIN)),
            b"<value><i8>-9223372036854775808</i8></value>\n"
        );
    }

    #[test]
    fn call_and_fault_layout() {
        let call = encode_call("version", &[]);
        assert_eq!(
            call,
            b"<?xml version='1.0'?>\n<methodCall>\n<methodName>version</methodName>\n<params>\n</params>\n</methodCall>\n"
        );
        let fault = encode_response(&MethodResponse::Fault(Fault::new(3, "Access Denied")));
        assert_eq!(
            String::from_utf8(fault).unwrap(),
            "<?xml version='1.0'?>\n<methodResponse>\n<fault>\n<value><struct>\n<member>\n\
             <name>faultCode</name>\n<value><int>3</int></value>\n</member>\n<member>\n\
             <name>faultString</name>\n<value><string>Access Denied</string></value>\n\
             </member>\n</struct></value>\n</fault>\n</methodResponse>\n"
        );
        let ok = encode_response(&MethodResponse::Success(Value::Int(2)));
        assert_eq!(
            ok,
            b"<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n<value><int>2</int></value>\n</param>\n</params>\n</methodResponse>\n"
        );
    }

    #[test]
    fn xml_char_classes() {
        for c in [
            '\t', '\n', '\r', ' ', 'é', '\u{D7FF}', '\u{E000}', '\u{FFFD}', '😀',
        ] {
            assert!(is_xml_char(c), "{c:?}");
        }
        for c in ['\u{0}', '\u{8}', '\u{B}', '\u{1F}', '\u{FFFE}', '\u{FFFF}'] {
            assert!(!is_xml_char(c), "{c:?}");
        }
    }
}
