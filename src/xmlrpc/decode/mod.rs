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
use text::{TextBuf, is_blank, name_str, trim_xml_space};

mod text;

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
            text: TextBuf::default(),
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

    /// An opening tag. Long by design: one match over XML-RPC's element names (which parent
    /// each may open under) is the grammar, and reads best in one place.
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

    /// A closing tag. Long by design, as [`Parser::start`]: one match over the element names,
    /// each delivering what it closed to its parent.
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
mod tests;
