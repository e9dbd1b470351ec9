//! The text of one scalar as the decoder gathers it: borrowed from the input while it is one
//! piece, spilled to an owned buffer when entity references, CDATA or line-end normalisation
//! join pieces; and the XML whitespace rules of XML-RPC's layout.

use super::super::error::clip;

/// The text of the scalar being read. The common case, one plain fragment, stays a borrowed
/// slice of the body until the final `String` is made; only entities, CDATA next to text or
/// carriage returns spill into the reused buffer.
#[derive(Default)]
pub(super) struct TextBuf<'a> {
    first: &'a str,
    buf: String,
    spilled: bool,
}

impl<'a> TextBuf<'a> {
    pub(super) fn clear(&mut self) {
        self.first = "";
        self.buf.clear();
        self.spilled = false;
    }

    pub(super) fn spill(&mut self) {
        if !self.spilled {
            self.buf.push_str(self.first);
            self.first = "";
            self.spilled = true;
        }
    }

    pub(super) fn push_borrowed(&mut self, s: &'a str) {
        if !self.spilled && self.first.is_empty() {
            self.first = s;
        } else {
            self.spill();
            self.buf.push_str(s);
        }
    }

    pub(super) fn push_char(&mut self, c: char) {
        self.spill();
        self.buf.push(c);
    }

    /// Appends text with XML 1.0 line-end normalisation (`\r\n` and lone `\r` become `\n`).
    pub(super) fn push_normalised(&mut self, s: &str) {
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

    pub(super) fn as_str(&self) -> &str {
        if self.spilled { &self.buf } else { self.first }
    }

    pub(super) fn take(&mut self) -> String {
        let s = self.as_str().to_owned();
        self.clear();
        s
    }
}

pub(super) fn is_xml_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

pub(super) fn is_blank(bytes: &[u8]) -> bool {
    bytes.iter().all(|&b| is_xml_space(b))
}

pub(super) fn trim_xml_space(s: &str) -> &str {
    s.trim_matches([' ', '\t', '\n', '\r'])
}

pub(super) fn name_str(name: &[u8]) -> String {
    clip(&String::from_utf8_lossy(name))
}
