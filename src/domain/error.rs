//! Errors of the domain module: what went wrong (a kind), a message naming the construct, the
//! position for text parse errors, and, where Odoo raises its own error for the same domain,
//! Odoo's last-line message so the simulator can answer exactly as Odoo does.

use thiserror::Error;

/// What kind of mistake a domain holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DomainErrorKind {
    /// The Python-literal text does not parse (bad token, unterminated string, ...).
    Syntax,
    /// A well-formed but unsupported construct (unknown name, call, operator ...).
    Unsupported,
    /// The domain text exceeds the size cap.
    TooLarge,
    /// The domain nests deeper than the depth cap.
    TooDeep,
    /// Not a list of operators and leaves at all.
    NotADomain,
    /// Operators and leaves do not add up (transcript 041).
    Arity,
    /// A leaf of the wrong shape (not 3 items, field name not a string, ...).
    MalformedLeaf,
    /// A leaf whose operator Odoo does not know (transcript 039).
    InvalidLeaf,
    /// A field the model does not have (transcript 040).
    InvalidField,
    /// A dotted path through a field that is not relational, or similar.
    InvalidPath,
    /// A right-hand value Odoo cannot convert for the field.
    InvalidValue,
    /// A model the schema or record source does not know.
    UnknownModel,
    /// Evaluation or serialisation of a domain that still holds placeholders.
    Unbound,
    /// A placeholder could not be evaluated (no user, date overflow, ...).
    Bind,
}

/// Where in the domain text a parse error is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Position {
    /// Byte offset into the text.
    pub offset: usize,
    /// A few characters of the text from that offset (never cut inside a character).
    pub excerpt: String,
}

impl Position {
    pub(crate) fn in_text(text: &str, offset: usize) -> Position {
        let mut start = offset.min(text.len());
        while !text.is_char_boundary(start) {
            start -= 1;
        }
        let excerpt: String = text[start..].chars().take(24).collect();
        Position {
            offset: start,
            excerpt,
        }
    }
}

fn pos_suffix(pos: &Option<Position>) -> String {
    match pos {
        Some(p) => format!(" (at byte {}, near `{}`)", p.offset, p.excerpt),
        None => String::new(),
    }
}

/// A domain that cannot be parsed, validated, bound or evaluated.
#[derive(Clone, Debug, Error, PartialEq)]
#[error("{message}{}", pos_suffix(.position))]
pub struct DomainError {
    pub kind: DomainErrorKind,
    pub message: String,
    pub position: Option<Position>,
    odoo: Option<String>,
}

impl DomainError {
    pub(crate) fn new(kind: DomainErrorKind, message: impl Into<String>) -> Self {
        DomainError {
            kind,
            message: message.into(),
            position: None,
            odoo: None,
        }
    }

    /// An error Odoo raises with the same text (a `ValueError` and the like).
    pub(crate) fn odoo(kind: DomainErrorKind, message: impl Into<String>) -> Self {
        let message = message.into();
        DomainError {
            kind,
            odoo: Some(message.clone()),
            message,
            position: None,
        }
    }

    pub(crate) fn with_odoo(mut self, text: impl Into<String>) -> Self {
        self.odoo = Some(text.into());
        self
    }

    pub(crate) fn at(mut self, text: &str, offset: usize) -> Self {
        self.position = Some(Position::in_text(text, offset));
        self
    }

    pub fn kind(&self) -> DomainErrorKind {
        self.kind
    }

    /// Odoo's own message for this mistake (the last line of its traceback, without the
    /// exception type), where Odoo has one; e.g. `Invalid leaf ('name', '~~', 'x')`.
    pub fn odoo_message(&self) -> Option<String> {
        self.odoo.clone()
    }
}
