//! Why a body could not be decoded: the byte offset, the element path, what was wrong and a
//! short excerpt around the offset. Bodies can be megabytes long and may hold credentials, so
//! an error never carries more than [`EXCERPT_RADIUS`] bytes either side of the offset.

use std::fmt;

/// How many bytes of the body an error shows on each side of its offset.
pub const EXCERPT_RADIUS: usize = 20;

/// A body that is not a well-formed XML-RPC document of the expected kind.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error(
    "XML-RPC decode error at byte {offset}{}: {kind} (near {excerpt:?})",
    if path.is_empty() { String::new() } else { format!(" in {path}") }
)]
pub struct DecodeError {
    /// Byte offset into the body where the problem was found.
    pub offset: usize,
    /// Element path from the root, e.g. `methodResponse/params/param[0]/value/array/data/value[2]`;
    /// `value[i]` and `param[i]` count from 0, `member[name]` names the struct member, and
    /// deep paths elide their middle with `…`. Empty at the document level.
    pub path: String,
    pub kind: DecodeErrorKind,
    /// At most `2 * EXCERPT_RADIUS` bytes of the body around `offset` (lossy UTF-8).
    pub excerpt: String,
}

/// What went wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecodeErrorKind {
    /// The XML itself is malformed (message from the XML parser).
    Xml(String),
    /// Text that is not valid UTF-8.
    InvalidUtf8,
    /// The `<?xml?>` declaration names an encoding other than UTF-8.
    UnsupportedEncoding(String),
    /// A `<!DOCTYPE>` (its text, clipped): XML-RPC has none, HTML pages do, and refusing it
    /// rules out entity tricks.
    DocType(String),
    /// No root element at all (empty or comment-only body).
    Empty,
    /// The root element is not the expected one (e.g. an HTML error page).
    WrongRoot {
        expected: &'static str,
        found: String,
    },
    /// The body ends while `open` is still open.
    Truncated { open: String },
    /// An element that is not allowed where it appears.
    UnexpectedElement { found: String, within: String },
    /// A closing tag that does not close the innermost open element.
    MismatchedEnd { expected: String, found: String },
    /// Non-whitespace text where only elements may appear.
    UnexpectedText,
    /// Anything after the root element other than whitespace, comments or processing instructions.
    TrailingContent,
    /// An element appears twice where only one is allowed.
    Duplicate(&'static str),
    /// A required child element is missing.
    Missing(&'static str),
    /// An entity other than the five XML predefines, or a malformed character reference.
    BadReference(String),
    /// `<int>`/`<i4>`/`<i8>`/`<biginteger>` text that is not an integer.
    InvalidInt(String),
    /// An integer that does not fit in an i64.
    IntOutOfRange(String),
    /// `<boolean>` text other than `0` or `1`.
    InvalidBoolean(String),
    /// `<double>` text that is not a number, `inf` or `nan`.
    InvalidDouble(String),
    /// A fault whose value is not a struct with an int/string `faultCode` and a string `faultString`.
    BadFault(&'static str),
    /// Values nested deeper than the decoder's cap.
    TooDeep { limit: usize },
}

impl fmt::Display for DecodeErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Xml(msg) => write!(f, "malformed XML: {msg}"),
            Self::InvalidUtf8 => f.write_str("invalid UTF-8"),
            Self::UnsupportedEncoding(enc) => write!(f, "unsupported encoding {enc:?}"),
            Self::DocType(doctype) => {
                write!(
                    f,
                    "unexpected <!DOCTYPE {doctype}>: not an XML-RPC document"
                )
            }
            Self::Empty => f.write_str("no root element"),
            Self::WrongRoot { expected, found } => {
                write!(f, "expected <{expected}> as root element, found <{found}>")
            }
            Self::Truncated { open } => write!(f, "body ends inside <{open}>"),
            Self::UnexpectedElement { found, within } => {
                write!(f, "unexpected element <{found}> inside <{within}>")
            }
            Self::MismatchedEnd { expected, found } => {
                write!(f, "expected </{expected}>, found </{found}>")
            }
            Self::UnexpectedText => f.write_str("unexpected text between elements"),
            Self::TrailingContent => f.write_str("content after the root element"),
            Self::Duplicate(what) => write!(f, "more than one {what}"),
            Self::Missing(what) => write!(f, "missing {what}"),
            Self::BadReference(r) => write!(f, "unknown or invalid reference &{r};"),
            Self::InvalidInt(t) => write!(f, "invalid integer {t:?}"),
            Self::IntOutOfRange(t) => write!(f, "integer {t:?} does not fit in 64 bits"),
            Self::InvalidBoolean(t) => write!(f, "invalid boolean {t:?} (expected 0 or 1)"),
            Self::InvalidDouble(t) => write!(f, "invalid double {t:?}"),
            Self::BadFault(why) => write!(f, "malformed fault: {why}"),
            Self::TooDeep { limit } => write!(f, "values nested deeper than {limit} levels"),
        }
    }
}

impl DecodeError {
    /// Builds an error, cutting the excerpt out of `body` around `offset`.
    pub(crate) fn new(body: &[u8], offset: usize, path: String, kind: DecodeErrorKind) -> Self {
        let offset = offset.min(body.len());
        let from = offset.saturating_sub(EXCERPT_RADIUS);
        let to = offset.saturating_add(EXCERPT_RADIUS).min(body.len());
        let excerpt = String::from_utf8_lossy(&body[from..to]).into_owned();
        Self {
            offset,
            path,
            kind,
            excerpt,
        }
    }
}

/// Shortens text quoted inside an error kind, so a huge bad scalar cannot bloat the error.
pub(crate) fn clip(text: &str) -> String {
    const MAX: usize = 2 * EXCERPT_RADIUS;
    if text.len() <= MAX {
        return text.to_owned();
    }
    let mut end = MAX;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpt_is_bounded_and_centred() {
        let body = vec![b'x'; 10_000];
        let e = DecodeError::new(
            &body,
            5_000,
            "value".into(),
            DecodeErrorKind::UnexpectedText,
        );
        assert_eq!(e.excerpt.len(), 2 * EXCERPT_RADIUS);
        let e = DecodeError::new(b"<abc>", 99, String::new(), DecodeErrorKind::Empty);
        assert_eq!((e.offset, e.excerpt.as_str()), (5, "<abc>"));
    }

    #[test]
    fn display_names_offset_path_kind_and_excerpt() {
        let e = DecodeError::new(
            b"<value><int>x</int></value>",
            12,
            "value/int".into(),
            DecodeErrorKind::InvalidInt("x".into()),
        );
        let shown = e.to_string();
        assert!(shown.contains("byte 12"), "{shown}");
        assert!(shown.contains("value/int"), "{shown}");
        assert!(shown.contains("invalid integer \"x\""), "{shown}");
        assert!(shown.contains("<value><int>x</int>"), "{shown}");
    }

    #[test]
    fn clip_respects_char_boundaries() {
        let long = "é".repeat(100);
        let c = clip(&long);
        assert!(c.ends_with('…'));
        assert!(c.len() <= 2 * EXCERPT_RADIUS + '…'.len_utf8());
        assert_eq!(clip("short"), "short");
    }
}
