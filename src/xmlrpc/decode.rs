//! The XML-RPC decoder: a single pass over quick-xml's pull events with an explicit stack of
//! open elements, so nesting depth costs heap, never native stack, and is capped at
//! [`MAX_DEPTH`]. Text, entity/character references and CDATA are joined per scalar, untrimmed.
//!
//! Leniency, in line with Python's `xmlrpc.client` (what Odoo runs): an untyped
//! `<value>text</value>` is a string, numbers may be surrounded by whitespace, attributes and
//! comments are ignored. Everything else that is not XML-RPC is an error: unknown elements,
//! text between structural elements, a second value where one is expected, DOCTYPEs.
//! Raw characters XML 1.0 forbids (control characters) are passed through, not rejected:
//! the decoder must read whatever a sender produced, and the encoder strips them on the way out.

use std::borrow::Cow;

use quick_xml::Reader;
use quick_xml::events::{BytesRef, Event};

use super::error::{DecodeError, DecodeErrorKind as Kind, clip};
use super::message::{Fault, FaultCode, MethodCall, MethodResponse};
use super::value::{Struct, Value};

/// The deepest nesting of `<value>` elements the decoder accepts. Odoo's answers nest a few
/// levels; the cap keeps hostile input from building trees whose recursive `Drop` or
/// `Debug` would overflow the stack.
pub const MAX_DEPTH: usize = 512;

/// Decodes a `<methodCall>` (what a server receives).
pub fn decode_call(body: &[u8]) -> Result<MethodCall, DecodeError> {
    match Parser::new(body, Root::Call).run()? {
        Output::Call(call) => Ok(call),
        _ => Err(state_error(body)),
    }
}

/// Decodes a `<methodResponse>` (what a client receives); a fault is `Ok(MethodResponse::Fault)`.
pub fn decode_response(body: &[u8]) -> Result<MethodResponse, DecodeError> {
    match Parser::new(body, Root::Response).run()? {
        Output::Response(response) => Ok(response),
        _ => Err(state_error(body)),
    }
}

/// Decodes a document whose root is a lone `<value>` element (for tests and tools).
pub fn decode_value(body: &[u8]) -> Result<Value, DecodeError> {
    match Parser::new(body, Root::Value).run()? {
        Output::Value(value) => Ok(value),
        _ => Err(state_error(body)),
    }
}

/// The parser returned another kind of document than asked for, which its root check rules
/// out; reported as an error rather than a panic all the same.
fn state_error(body: &[u8]) -> DecodeError {
    DecodeError::new(
        body,
        0,
        String::new(),
        Kind::Xml("decoder state error".into()),
    )
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Root {
    Call,
    Response,
    Value,
}

impl Root {
    fn tag(self) -> &'static str {
        match self {
            Root::Call => "methodCall",
            Root::Response => "methodResponse",
            Root::Value => "value",
        }
    }
}

enum Output {
    Call(MethodCall),
    Response(MethodResponse),
    Value(Value),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Scalar {
    Int,
    Boolean,
    String,
    Double,
    DateTime,
    Base64,
}

/// One open element and what has been collected inside it so far.
enum Frame {
    Document {
        out: Option<Output>,
    },
    MethodCall {
        name: Option<String>,
        params: Option<Vec<Value>>,
    },
    MethodName,
    MethodResponse {
        out: Option<MethodResponse>,
    },
    Params {
        items: Vec<Value>,
    },
    Param {
        value: Option<Value>,
    },
    Fault {
        value: Option<Value>,
    },
    Value {
        child: Option<Value>,
    },
    Scalar {
        kind: Scalar,
        tag: &'static str,
        start: usize,
    },
    Nil,
    Array {
        items: Option<Vec<Value>>,
    },
    /// Items so far are `Parser::items[start..]`.
    Data {
        start: usize,
    },
    /// Members so far are `Parser::members[start..]`.
    Struct {
        start: usize,
    },
    Member {
        name: Option<String>,
        value: Option<Value>,
    },
    Name,
}

impl Frame {
    fn tag(&self) -> &'static str {
        match self {
            Frame::Document { .. } => "",
            Frame::MethodCall { .. } => "methodCall",
            Frame::MethodName => "methodName",
            Frame::MethodResponse { .. } => "methodResponse",
            Frame::Params { .. } => "params",
            Frame::Param { .. } => "param",
            Frame::Fault { .. } => "fault",
            Frame::Value { .. } => "value",
            Frame::Scalar { tag, .. } => tag,
            Frame::Nil => "nil",
            Frame::Array { .. } => "array",
            Frame::Data { .. } => "data",
            Frame::Struct { .. } => "struct",
            Frame::Member { .. } => "member",
            Frame::Name => "name",
        }
    }

    /// Whether character data inside this element is content (as opposed to layout).
    fn takes_text(&self) -> bool {
        matches!(
            self,
            Frame::Scalar { .. } | Frame::Name | Frame::MethodName | Frame::Value { child: None }
        )
    }
}

/// The text of the scalar being read. The common case, one plain fragment, stays a borrowed
/// slice of the body until the final `String` is made; only entities, CDATA next to text or
/// carriage returns spill into the reused buffer.
struct TextBuf<'a> {
    first: &'a str,
    buf: String,
    spilled: bool,
}

impl<'a> TextBuf<'a> {
    fn clear(&mut self) {
        self.first = "";
        self.buf.clear();
        self.spilled = false;
    }

    fn spill(&mut self) {
        if !self.spilled {
            self.buf.push_str(self.first);
            self.first = "";
            self.spilled = true;
        }
    }

    fn push_borrowed(&mut self, s: &'a str) {
        if !self.spilled && self.first.is_empty() {
            self.first = s;
        } else {
            self.spill();
            self.buf.push_str(s);
        }
    }

    fn push_char(&mut self, c: char) {
        self.spill();
        self.buf.push(c);
    }

    /// Appends text with XML 1.0 line-end normalisation (`\r\n` and lone `\r` become `\n`).
    fn push_normalised(&mut self, s: &str) {
        self.spill();
        let mut rest = s;
        while let Some(i) = rest.find('\r') {
            self.buf.push_str(&rest[..i]);
            self.buf.push('\n');
            rest = &rest[i + 1..];
            if let Some(stripped) = rest.strip_prefix('\n') {
                rest = stripped;
            }
        }
        self.buf.push_str(rest);
    }

    fn as_str(&self) -> &str {
        if self.spilled { &self.buf } else { self.first }
    }

    fn take(&mut self) -> String {
        let s = self.as_str().to_owned();
        self.clear();
        s
    }
}

struct Parser<'a> {
    body: &'a [u8],
    reader: Reader<&'a [u8]>,
    root: Root,
    stack: Vec<Frame>,
    /// The items of all open arrays, innermost last; containers are built from these once
    /// complete, so each gets one exact-size allocation instead of repeated growth.
    items: Vec<Value>,
    /// Likewise for the members of all open structs.
    members: Vec<(String, Value)>,
    text: TextBuf<'a>,
    /// How many `<value>` elements are open.
    depth: usize,
    /// Whether anything but whitespace came before: an XML declaration is only allowed first.
    seen_decl_or_element: bool,
}

fn is_xml_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

fn is_blank(bytes: &[u8]) -> bool {
    bytes.iter().all(|&b| is_xml_space(b))
}

fn trim_xml_space(s: &str) -> &str {
    s.trim_matches([' ', '\t', '\n', '\r'])
}

fn name_str(name: &[u8]) -> String {
    clip(&String::from_utf8_lossy(name))
}

impl<'a> Parser<'a> {
    fn new(body: &'a [u8], root: Root) -> Self {
        let mut reader = Reader::from_reader(body);
        let config = reader.config_mut();
        // The stack below checks every end tag itself; quick-xml's check would keep a second
        // copy of every open name.
        config.check_end_names = false;
        config.trim_text(false);
        Self {
            body,
            reader,
            root,
            stack: Vec::with_capacity(16),
            items: Vec::new(),
            members: Vec::new(),
            text: TextBuf {
                first: "",
                buf: String::new(),
                spilled: false,
            },
            depth: 0,
            seen_decl_or_element: false,
        }
    }

    fn run(mut self) -> Result<Output, DecodeError> {
        self.stack.push(Frame::Document { out: None });
        loop {
            let pos = self.position();
            let event = match self.reader.read_event() {
                Ok(event) => event,
                Err(e) => {
                    let at = usize::try_from(self.reader.error_position()).unwrap_or(usize::MAX);
                    return Err(self.error(at, Kind::Xml(clip(&e.to_string()))));
                }
            };
            // Whitespace may precede the XML declaration (some servers emit a newline first).
            let layout = matches!(&event, Event::Text(t) if is_blank(t));
            match event {
                Event::Start(e) => {
                    let content = self.position();
                    self.start(e.name().as_ref(), pos, content)?;
                }
                Event::Empty(e) => {
                    let name = e.name();
                    let content = self.position();
                    self.start(name.as_ref(), pos, content)?;
                    self.end(name.as_ref(), pos)?;
                }
                Event::End(e) => self.end(e.name().as_ref(), pos)?,
                Event::Text(t) => self.text(t.into_inner(), pos, false)?,
                Event::CData(c) => self.text(c.into_inner(), pos, true)?,
                Event::GeneralRef(r) => self.reference(&r, pos)?,
                Event::Decl(d) => {
                    if self.seen_decl_or_element {
                        return Err(self.error(pos, Kind::Xml("misplaced XML declaration".into())));
                    }
                    if let Some(enc) = d.encoding() {
                        let enc =
                            enc.map_err(|e| self.error(pos, Kind::Xml(clip(&e.to_string()))))?;
                        let ok = [&b"utf-8"[..], b"utf8", b"us-ascii", b"ascii"]
                            .iter()
                            .any(|name| enc.eq_ignore_ascii_case(name));
                        if !ok {
                            return Err(self.error(pos, Kind::UnsupportedEncoding(name_str(&enc))));
                        }
                    }
                }
                Event::DocType(d) => {
                    let doctype = name_str(trim_xml_space(&String::from_utf8_lossy(&d)).as_bytes());
                    return Err(self.error(pos, Kind::DocType(doctype)));
                }
                Event::Comment(_) | Event::PI(_) => {}
                Event::Eof => return self.finish(),
            }
            self.seen_decl_or_element |= !layout;
        }
    }

    fn position(&self) -> usize {
        usize::try_from(self.reader.buffer_position()).unwrap_or(usize::MAX)
    }

    fn finish(&mut self) -> Result<Output, DecodeError> {
        let end = self.body.len();
        if self.stack.len() > 1 {
            let open = self.stack.last().map(Frame::tag).unwrap_or_default();
            return Err(self.error(
                end,
                Kind::Truncated {
                    open: open.to_owned(),
                },
            ));
        }
        match self.stack.pop() {
            Some(Frame::Document { out: Some(out) }) => Ok(out),
            _ => Err(self.error(end, Kind::Empty)),
        }
    }

    fn start(&mut self, name: &[u8], pos: usize, content: usize) -> Result<(), DecodeError> {
        let Some(top) = self.stack.last() else {
            return Err(self.internal_error());
        };
        let frame = match (top, name) {
            (Frame::Document { out }, _) => {
                if out.is_some() {
                    return Err(self.error(pos, Kind::TrailingContent));
                }
                if name != self.root.tag().as_bytes() {
                    let found = name_str(name);
                    return Err(self.error(
                        pos,
                        Kind::WrongRoot {
                            expected: self.root.tag(),
                            found,
                        },
                    ));
                }
                match self.root {
                    Root::Call => Frame::MethodCall {
                        name: None,
                        params: None,
                    },
                    Root::Response => Frame::MethodResponse { out: None },
                    Root::Value => self.open_value(pos)?,
                }
            }
            (
                Frame::MethodCall {
                    name: None,
                    params: None,
                },
                b"methodName",
            ) => {
                self.text.clear();
                Frame::MethodName
            }
            (Frame::MethodCall { name: Some(_), .. }, b"methodName") => {
                return Err(self.error(pos, Kind::Duplicate("<methodName>")));
            }
            (
                Frame::MethodCall {
                    name: None,
                    params: Some(_),
                },
                b"methodName",
            ) => {
                return Err(self.error(pos, Kind::Missing("<methodName> before <params>")));
            }
            (Frame::MethodCall { params: None, .. }, b"params") => {
                Frame::Params { items: Vec::new() }
            }
            (
                Frame::MethodCall {
                    params: Some(_), ..
                },
                b"params",
            ) => {
                return Err(self.error(pos, Kind::Duplicate("<params>")));
            }
            (Frame::MethodResponse { out: None }, b"params") => Frame::Params { items: Vec::new() },
            (Frame::MethodResponse { out: None }, b"fault") => Frame::Fault { value: None },
            (Frame::MethodResponse { out: Some(_) }, b"params" | b"fault") => {
                return Err(self.error(pos, Kind::Duplicate("<params> or <fault>")));
            }
            (Frame::Params { .. }, b"param") => Frame::Param { value: None },
            (Frame::Param { value: None } | Frame::Fault { value: None }, b"value") => {
                self.open_value(pos)?
            }
            (Frame::Param { value: Some(_) } | Frame::Fault { value: Some(_) }, b"value") => {
                return Err(self.error(pos, Kind::Duplicate("<value>")));
            }
            (Frame::Value { child: None }, _) => {
                if !is_blank(self.text.as_str().as_bytes()) {
                    return Err(self.error(pos, Kind::UnexpectedText));
                }
                self.text.clear();
                match name {
                    b"array" => Frame::Array { items: None },
                    b"struct" => Frame::Struct {
                        start: self.members.len(),
                    },
                    b"nil" => Frame::Nil,
                    _ => {
                        let (kind, tag) = match name {
                            b"string" => (Scalar::String, "string"),
                            b"int" => (Scalar::Int, "int"),
                            b"i4" => (Scalar::Int, "i4"),
                            b"i8" => (Scalar::Int, "i8"),
                            b"biginteger" => (Scalar::Int, "biginteger"),
                            b"boolean" => (Scalar::Boolean, "boolean"),
                            b"double" => (Scalar::Double, "double"),
                            b"dateTime.iso8601" => (Scalar::DateTime, "dateTime.iso8601"),
                            b"base64" => (Scalar::Base64, "base64"),
                            _ => return Err(self.unexpected(name, pos)),
                        };
                        Frame::Scalar {
                            kind,
                            tag,
                            start: content,
                        }
                    }
                }
            }
            (Frame::Value { child: Some(_) }, _) => {
                return Err(self.error(pos, Kind::Duplicate("element inside <value>")));
            }
            (Frame::Array { items: None }, b"data") => Frame::Data {
                start: self.items.len(),
            },
            (Frame::Array { items: Some(_) }, b"data") => {
                return Err(self.error(pos, Kind::Duplicate("<data>")));
            }
            (Frame::Data { .. }, b"value") => self.open_value(pos)?,
            (Frame::Struct { .. }, b"member") => Frame::Member {
                name: None,
                value: None,
            },
            (
                Frame::Member {
                    name: None,
                    value: None,
                },
                b"name",
            ) => {
                self.text.clear();
                Frame::Name
            }
            (Frame::Member { name: Some(_), .. }, b"name") => {
                return Err(self.error(pos, Kind::Duplicate("<name>")));
            }
            (Frame::Member { name: None, .. }, b"value") => {
                return Err(self.error(pos, Kind::Missing("<name> before <value>")));
            }
            (Frame::Member { value: None, .. }, b"value") => self.open_value(pos)?,
            (Frame::Member { value: Some(_), .. }, b"value") => {
                return Err(self.error(pos, Kind::Duplicate("<value>")));
            }
            _ => return Err(self.unexpected(name, pos)),
        };
        self.stack.push(frame);
        Ok(())
    }

    fn open_value(&mut self, pos: usize) -> Result<Frame, DecodeError> {
        if self.depth >= MAX_DEPTH {
            return Err(self.error(pos, Kind::TooDeep { limit: MAX_DEPTH }));
        }
        self.depth += 1;
        self.text.clear();
        Ok(Frame::Value { child: None })
    }

    fn unexpected(&self, name: &[u8], pos: usize) -> DecodeError {
        let within = self
            .stack
            .last()
            .map(Frame::tag)
            .unwrap_or_default()
            .to_owned();
        self.error(
            pos,
            Kind::UnexpectedElement {
                found: name_str(name),
                within,
            },
        )
    }

    fn end(&mut self, name: &[u8], pos: usize) -> Result<(), DecodeError> {
        let expected = self.stack.last().map(Frame::tag).unwrap_or_default();
        if name != expected.as_bytes() || self.stack.len() < 2 {
            let found = name_str(name);
            return Err(self.error(
                pos,
                Kind::MismatchedEnd {
                    expected: expected.to_owned(),
                    found,
                },
            ));
        }
        // A scalar is converted while its frame is still open, so errors name its path.
        if let Some(&Frame::Scalar { kind, start, .. }) = self.stack.last() {
            let value = self.scalar(kind, start)?;
            self.stack.pop();
            return self.deliver_value(value, pos);
        }
        let Some(frame) = self.stack.pop() else {
            return Err(self.internal_error());
        };
        match frame {
            Frame::Value { child } => {
                self.depth -= 1;
                let value = match child {
                    Some(v) => v,
                    None => Value::String(self.text.take()),
                };
                self.deliver(Done::Value(value), pos)
            }
            Frame::Nil => self.deliver_value(Value::Nil, pos),
            Frame::Array { items } => {
                self.deliver_value(Value::Array(items.unwrap_or_default()), pos)
            }
            // Collecting from a drain allocates exactly the final length, once.
            Frame::Data { start } => {
                let items = self.items.drain(start..).collect();
                self.deliver(Done::Data(items), pos)
            }
            Frame::Struct { start } => {
                let members = Struct(self.members.drain(start..).collect());
                self.deliver_value(Value::Struct(members), pos)
            }
            Frame::Member { name, value } => match (name, value) {
                (Some(name), Some(value)) => self.deliver(Done::Member(name, value), pos),
                (name, value) => {
                    let what = if name.is_none() {
                        "<name> in <member>"
                    } else {
                        "<value> in <member>"
                    };
                    self.stack.push(Frame::Member { name, value });
                    Err(self.error(pos, Kind::Missing(what)))
                }
            },
            Frame::Name | Frame::MethodName => {
                let text = self.text.take();
                self.deliver(Done::Text(text), pos)
            }
            Frame::Param { value: Some(value) } => self.deliver(Done::Param(value), pos),
            Frame::Fault { value: Some(value) } => match fault(&value) {
                Ok(fault) => self.deliver(Done::Response(MethodResponse::Fault(fault)), pos),
                Err(why) => {
                    self.stack.push(Frame::Fault { value: Some(value) });
                    Err(self.error(pos, Kind::BadFault(why)))
                }
            },
            Frame::Param { value: None } | Frame::Fault { value: None } => {
                self.stack.push(frame);
                Err(self.error(pos, Kind::Missing("<value>")))
            }
            Frame::Params { mut items } => {
                if !matches!(self.stack.last(), Some(Frame::MethodResponse { .. })) {
                    return self.deliver(Done::Params(items), pos);
                }
                // A response carries exactly one value.
                match (items.pop(), items.is_empty()) {
                    (Some(value), true) => {
                        self.deliver(Done::Response(MethodResponse::Success(value)), pos)
                    }
                    (last, _) => {
                        let kind = if last.is_none() {
                            Kind::Missing("<param> in the response")
                        } else {
                            Kind::Duplicate("<param> in the response")
                        };
                        self.stack.push(Frame::Params { items });
                        Err(self.error(pos, kind))
                    }
                }
            }
            Frame::MethodCall {
                name: Some(name),
                params,
            } => {
                let call = MethodCall {
                    name,
                    params: params.unwrap_or_default(),
                };
                self.deliver(Done::Output(Output::Call(call)), pos)
            }
            Frame::MethodCall { name: None, params } => {
                self.stack.push(Frame::MethodCall { name: None, params });
                Err(self.error(pos, Kind::Missing("<methodName>")))
            }
            Frame::MethodResponse { out: Some(out) } => {
                self.deliver(Done::Output(Output::Response(out)), pos)
            }
            Frame::MethodResponse { out: None } => {
                self.stack.push(Frame::MethodResponse { out: None });
                Err(self.error(pos, Kind::Missing("<params> or <fault>")))
            }
            Frame::Scalar { .. } | Frame::Document { .. } => Err(self.internal_error()),
        }
    }

    fn deliver_value(&mut self, value: Value, pos: usize) -> Result<(), DecodeError> {
        // Typed children go into their enclosing <value>.
        match self.stack.last_mut() {
            Some(Frame::Value { child }) => {
                *child = Some(value);
                Ok(())
            }
            _ => Err(self.error(pos, Kind::Xml("typed element outside <value>".into()))),
        }
    }

    fn deliver(&mut self, done: Done, pos: usize) -> Result<(), DecodeError> {
        let Some(parent) = self.stack.last_mut() else {
            return Err(self.internal_error());
        };
        match (parent, done) {
            (Frame::Data { .. }, Done::Value(v)) => self.items.push(v),
            (Frame::Member { value, .. }, Done::Value(v)) => *value = Some(v),
            (Frame::Param { value }, Done::Value(v)) => *value = Some(v),
            (Frame::Fault { value }, Done::Value(v)) => *value = Some(v),
            (Frame::Document { out }, Done::Value(v)) => *out = Some(Output::Value(v)),
            (Frame::Array { items }, Done::Data(d)) => *items = Some(d),
            (Frame::Struct { .. }, Done::Member(k, v)) => self.members.push((k, v)),
            (Frame::Member { name, .. }, Done::Text(t)) => *name = Some(t),
            (Frame::MethodCall { name, .. }, Done::Text(t)) => *name = Some(t),
            (Frame::Params { items }, Done::Param(v)) => items.push(v),
            (Frame::MethodCall { params, .. }, Done::Params(p)) => *params = Some(p),
            (Frame::MethodResponse { out }, Done::Response(r)) => *out = Some(r),
            (Frame::Document { out }, Done::Output(o)) => *out = Some(o),
            _ => return Err(self.error(pos, Kind::Xml("misplaced element".into()))),
        }
        Ok(())
    }

    fn text(&mut self, raw: Cow<'a, [u8]>, pos: usize, cdata: bool) -> Result<(), DecodeError> {
        let takes_text = self.stack.last().is_some_and(Frame::takes_text);
        if !takes_text {
            if is_blank(&raw) {
                return Ok(());
            }
            let after_root = matches!(self.stack.last(), Some(Frame::Document { out: Some(_) }));
            let kind = if after_root {
                Kind::TrailingContent
            } else {
                Kind::UnexpectedText
            };
            return Err(self.error(pos, kind));
        }
        // CDATA content starts after `<![CDATA[`, for error offsets inside it.
        let content = if cdata { pos + 9 } else { pos };
        match raw {
            Cow::Borrowed(bytes) => {
                let s = std::str::from_utf8(bytes)
                    .map_err(|e| self.error(content + e.valid_up_to(), Kind::InvalidUtf8))?;
                if bytes.contains(&b'\r') {
                    self.text.push_normalised(s);
                } else {
                    self.text.push_borrowed(s);
                }
            }
            Cow::Owned(bytes) => {
                let s = std::str::from_utf8(&bytes)
                    .map_err(|e| self.error(content + e.valid_up_to(), Kind::InvalidUtf8))?;
                self.text.push_normalised(s);
            }
        }
        Ok(())
    }

    fn reference(&mut self, r: &BytesRef<'_>, pos: usize) -> Result<(), DecodeError> {
        if !self.stack.last().is_some_and(Frame::takes_text) {
            return Err(self.error(pos, Kind::UnexpectedText));
        }
        let name: &[u8] = r;
        let c = match name {
            b"amp" => '&',
            b"lt" => '<',
            b"gt" => '>',
            b"quot" => '"',
            b"apos" => '\'',
            _ => match r.resolve_char_ref() {
                Ok(Some(c)) => c,
                Ok(None) | Err(_) => {
                    return Err(self.error(pos, Kind::BadReference(name_str(name))));
                }
            },
        };
        // A character reference is also how a CR survives line-end normalisation.
        self.text.push_char(c);
        Ok(())
    }

    fn scalar(&mut self, kind: Scalar, start: usize) -> Result<Value, DecodeError> {
        let value = match kind {
            Scalar::String => Value::String(self.text.take()),
            Scalar::DateTime => Value::DateTime(self.text.take()),
            Scalar::Base64 => Value::Base64(self.text.take()),
            Scalar::Int => {
                let t = trim_xml_space(self.text.as_str());
                match t.parse::<i64>() {
                    Ok(i) => Value::Int(i),
                    Err(e) => {
                        use std::num::IntErrorKind::{NegOverflow, PosOverflow};
                        let kind = if matches!(e.kind(), PosOverflow | NegOverflow) {
                            Kind::IntOutOfRange(clip(t))
                        } else {
                            Kind::InvalidInt(clip(t))
                        };
                        return Err(self.error(start, kind));
                    }
                }
            }
            Scalar::Boolean => match trim_xml_space(self.text.as_str()) {
                "1" => Value::Bool(true),
                "0" => Value::Bool(false),
                t => return Err(self.error(start, Kind::InvalidBoolean(clip(t)))),
            },
            Scalar::Double => {
                let t = trim_xml_space(self.text.as_str());
                match t.parse::<f64>() {
                    Ok(d) => Value::Double(d),
                    Err(_) => return Err(self.error(start, Kind::InvalidDouble(clip(t)))),
                }
            }
        };
        self.text.clear();
        Ok(value)
    }

    /// The element path of the innermost open element, e.g. `methodResponse/params/param/value`.
    /// Deep paths keep their first and last elements with `…` between, so that an error
    /// about absurd nesting stays short.
    fn path(&self) -> String {
        const HEAD: usize = 4;
        const TAIL: usize = 12;
        let frames = &self.stack;
        // The Document frame at the bottom has no name.
        let named = frames.len().saturating_sub(1);
        let mut path = String::new();
        for i in 1..frames.len() {
            let (parent, frame) = (&frames[i - 1], &frames[i]);
            let position = i - 1;
            if named > HEAD + TAIL && position >= HEAD && position < named - TAIL {
                if position == HEAD {
                    path.push_str("/…");
                }
                continue;
            }
            if !path.is_empty() {
                path.push('/');
            }
            path.push_str(frame.tag());
            match (parent, frame) {
                (Frame::Data { start }, _) => {
                    path.push_str(&format!("[{}]", self.items.len() - start));
                }
                (Frame::Params { items }, _) => {
                    path.push_str(&format!("[{}]", items.len()));
                }
                (
                    _,
                    Frame::Member {
                        name: Some(name), ..
                    },
                ) => {
                    path.push_str(&format!("[{}]", clip(name)));
                }
                _ => {}
            }
        }
        path
    }

    fn error(&self, offset: usize, kind: Kind) -> DecodeError {
        DecodeError::new(self.body, offset, self.path(), kind)
    }

    /// A state the parser's own invariants rule out; reported rather than panicking.
    fn internal_error(&self) -> DecodeError {
        self.error(self.position(), Kind::Xml("decoder state error".into()))
    }
}

enum Done {
    Value(Value),
    Data(Vec<Value>),
    Member(String, Value),
    Text(String),
    Param(Value),
    Params(Vec<Value>),
    Response(MethodResponse),
    Output(Output),
}

/// Reads a fault's struct; the error says what is wrong with it.
fn fault(value: &Value) -> Result<Fault, &'static str> {
    let Value::Struct(members) = value else {
        return Err("the value is not a struct");
    };
    let code = match members.get("faultCode") {
        Some(Value::Int(i)) => FaultCode::Int(*i),
        Some(Value::String(s)) => FaultCode::Str(s.clone()),
        Some(_) => return Err("faultCode is neither int nor string"),
        None => return Err("no faultCode"),
    };
    let string = match members.get("faultString") {
        Some(Value::String(s)) => s.clone(),
        Some(_) => return Err("faultString is not a string"),
        None => return Err("no faultString"),
    };
    Ok(Fault { code, string })
}

#[cfg(test)]
mod tests {
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
        let call =
            decode_call(b"<methodCall><methodName>version</methodName></methodCall>").unwrap();
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
}
