//! Parser for the Python-literal form admins paste from Odoo: lists, tuples, strings with
//! escapes, numbers, `True`/`False`/`None`, and placeholder expressions (`user.id`,
//! `context_today()`, ...) that are checked here and evaluated later by `bind`.

use super::bind;
use super::error::{DomainError, DomainErrorKind as K};
use super::operand::{Expr, ExprKind, Operand};

/// Longest domain text accepted.
pub const MAX_TEXT_LEN: usize = 64 * 1024;
/// Deepest nesting of brackets, parentheses and expressions accepted.
pub const MAX_DEPTH: usize = 64;

/// Parses a whole domain text into one value (the caller checks it is a list).
pub(crate) fn parse_python(text: &str) -> Result<Operand, DomainError> {
    if text.len() > MAX_TEXT_LEN {
        return Err(DomainError::new(
            K::TooLarge,
            format!(
                "domain text is {} bytes long; the limit is {MAX_TEXT_LEN}",
                text.len()
            ),
        ));
    }
    let mut p = Parser {
        src: text,
        bytes: text.as_bytes(),
        pos: 0,
        depth: 0,
    };
    p.skip_ws();
    if p.pos >= p.bytes.len() {
        return Err(p.err(K::Syntax, "empty domain text"));
    }
    let value = p.expr()?;
    p.skip_ws();
    if p.pos < p.bytes.len() {
        return Err(p.err(K::Syntax, "unexpected text after the domain"));
    }
    Ok(value)
}

struct Parser<'a> {
    src: &'a str,
    bytes: &'a [u8],
    pos: usize,
    depth: usize,
}

impl<'a> Parser<'a> {
    fn err(&self, kind: K, msg: impl Into<String>) -> DomainError {
        DomainError::new(kind, msg).at(self.src, self.pos)
    }

    fn err_at(&self, kind: K, msg: impl Into<String>, pos: usize) -> DomainError {
        DomainError::new(kind, msg).at(self.src, pos)
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn peek_at(&self, off: usize) -> Option<u8> {
        self.bytes.get(self.pos + off).copied()
    }

    fn skip_ws(&mut self) {
        while let Some(c) = self.peek() {
            match c {
                b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' => self.pos += 1,
                b'\\' if matches!(self.peek_at(1), Some(b'\n')) => self.pos += 2,
                b'#' => {
                    while let Some(c) = self.peek() {
                        if c == b'\n' {
                            break;
                        }
                        self.pos += 1;
                    }
                }
                _ => break,
            }
        }
    }

    fn enter(&mut self) -> Result<(), DomainError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.err(
                K::TooDeep,
                format!("domain nests deeper than {MAX_DEPTH} levels"),
            ));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    /// expr := unary (('+' | '-') unary)*
    fn expr(&mut self) -> Result<Operand, DomainError> {
        self.enter()?;
        let start = self.pos;
        let mut left = self.unary()?;
        loop {
            self.skip_ws();
            let op = match self.peek() {
                Some(b'+') => b'+',
                Some(b'-') => b'-',
                _ => break,
            };
            self.pos += 1;
            let right = self.unary()?;
            let (l, r) = (to_expr(left, start), to_expr(right, start));
            let kind = if op == b'+' {
                ExprKind::Add(Box::new(l), Box::new(r))
            } else {
                ExprKind::Sub(Box::new(l), Box::new(r))
            };
            left = Operand::Expr(Box::new(Expr { kind, pos: start }));
        }
        self.leave();
        Ok(left)
    }

    fn unary(&mut self) -> Result<Operand, DomainError> {
        self.skip_ws();
        let start = self.pos;
        match self.peek() {
            Some(b'-') => {
                self.pos += 1;
                self.skip_ws();
                if matches!(self.peek(), Some(b'0'..=b'9' | b'.')) {
                    let n = self.number(true)?;
                    return self.postfix(n, start);
                }
                self.enter()?;
                let inner = self.unary()?;
                self.leave();
                Ok(match inner {
                    Operand::Int(i) => Operand::Int(-i),
                    Operand::Float(f) => Operand::Float(-f),
                    other => Operand::Expr(Box::new(Expr {
                        kind: ExprKind::Neg(Box::new(to_expr(other, start))),
                        pos: start,
                    })),
                })
            }
            Some(b'+') => {
                self.pos += 1;
                self.enter()?;
                let inner = self.unary()?;
                self.leave();
                Ok(inner)
            }
            _ => {
                let prim = self.primary()?;
                self.postfix(prim, start)
            }
        }
    }

    fn postfix(&mut self, mut value: Operand, start: usize) -> Result<Operand, DomainError> {
        loop {
            self.skip_ws();
            match self.peek() {
                Some(b'.') if !matches!(self.peek_at(1), Some(b'0'..=b'9')) => {
                    self.pos += 1;
                    self.skip_ws();
                    let at = self.pos;
                    let name = self.ident().ok_or_else(|| {
                        self.err(K::Syntax, "expected an attribute name after `.`")
                    })?;
                    value = Operand::Expr(Box::new(Expr {
                        kind: ExprKind::Attr(Box::new(to_expr(value, start)), name.to_owned()),
                        pos: at,
                    }));
                }
                Some(b'(') => {
                    let at = self.pos;
                    self.pos += 1;
                    self.enter()?;
                    let (args, kwargs) = self.call_args()?;
                    self.leave();
                    value = Operand::Expr(Box::new(Expr {
                        kind: ExprKind::Call(Box::new(to_expr(value, start)), args, kwargs),
                        pos: at,
                    }));
                }
                Some(b'[') => {
                    return Err(self.err(K::Unsupported, "subscripts (`x[...]`) are not supported"));
                }
                _ => return Ok(value),
            }
        }
    }

    #[allow(clippy::type_complexity)]
    fn call_args(&mut self) -> Result<(Vec<Expr>, Vec<(String, Expr)>), DomainError> {
        let mut args = Vec::new();
        let mut kwargs = Vec::new();
        loop {
            self.skip_ws();
            if self.peek() == Some(b')') {
                self.pos += 1;
                return Ok((args, kwargs));
            }
            let at = self.pos;
            // keyword argument?
            let save = self.pos;
            if let Some(name) = self.ident() {
                self.skip_ws();
                if self.peek() == Some(b'=') && self.peek_at(1) != Some(b'=') {
                    self.pos += 1;
                    let v = self.expr()?;
                    kwargs.push((name.to_owned(), to_expr(v, at)));
                    self.after_item(b')')?;
                    continue;
                }
            }
            self.pos = save;
            if !kwargs.is_empty() {
                return Err(self.err(K::Syntax, "positional argument after keyword argument"));
            }
            let v = self.expr()?;
            args.push(to_expr(v, at));
            self.after_item(b')')?;
        }
    }

    /// After an item of a list, tuple or call: a comma, or the closing bracket (left unread).
    fn after_item(&mut self, close: u8) -> Result<(), DomainError> {
        self.skip_ws();
        match self.peek() {
            Some(b',') => {
                self.pos += 1;
                Ok(())
            }
            Some(c) if c == close => Ok(()),
            None => Err(self.err(K::Syntax, format!("missing `{}`", close as char))),
            Some(_) => Err(self.err(K::Syntax, format!("expected `,` or `{}`", close as char))),
        }
    }

    fn primary(&mut self) -> Result<Operand, DomainError> {
        self.skip_ws();
        let start = self.pos;
        let Some(c) = self.peek() else {
            return Err(self.err(K::Syntax, "unexpected end of the domain text"));
        };
        match c {
            b'[' => {
                self.pos += 1;
                self.enter()?;
                let mut items = Vec::new();
                loop {
                    self.skip_ws();
                    if self.peek() == Some(b']') {
                        self.pos += 1;
                        break;
                    }
                    if self.peek().is_none() {
                        return Err(self.err_at(K::Syntax, "unclosed `[`", start));
                    }
                    items.push(self.expr()?);
                    self.after_item(b']')?;
                }
                self.leave();
                Ok(Operand::List(items))
            }
            b'(' => {
                self.pos += 1;
                self.enter()?;
                self.skip_ws();
                if self.peek() == Some(b')') {
                    self.pos += 1;
                    self.leave();
                    return Ok(Operand::Tuple(Vec::new()));
                }
                let first = self.expr()?;
                self.skip_ws();
                let result = match self.peek() {
                    Some(b')') => {
                        self.pos += 1;
                        first
                    }
                    Some(b',') => {
                        self.pos += 1;
                        let mut items = vec![first];
                        loop {
                            self.skip_ws();
                            if self.peek() == Some(b')') {
                                self.pos += 1;
                                break;
                            }
                            if self.peek().is_none() {
                                return Err(self.err_at(K::Syntax, "unclosed `(`", start));
                            }
                            items.push(self.expr()?);
                            self.after_item(b')')?;
                        }
                        Operand::Tuple(items)
                    }
                    None => return Err(self.err_at(K::Syntax, "unclosed `(`", start)),
                    Some(_) => return Err(self.err(K::Syntax, "expected `,` or `)`")),
                };
                self.leave();
                Ok(result)
            }
            b'\'' | b'"' => self.string_seq(),
            b'0'..=b'9' => self.number(false),
            b'.' if matches!(self.peek_at(1), Some(b'0'..=b'9')) => self.number(false),
            b'u' | b'U' | b'r' | b'R' if matches!(self.peek_at(1), Some(b'\'' | b'"')) => {
                self.string_seq()
            }
            c if c == b'_' || c.is_ascii_alphabetic() => {
                let name = self.ident().unwrap_or_default();
                Ok(match name {
                    "True" => Operand::Bool(true),
                    "False" => Operand::Bool(false),
                    "None" => Operand::None,
                    _ => {
                        let expr = Expr {
                            kind: ExprKind::Name(name.to_owned()),
                            pos: start,
                        };
                        Operand::Expr(Box::new(expr))
                    }
                })
            }
            _ => {
                let ch = self.src[self.pos..].chars().next().unwrap_or('?');
                Err(self.err(K::Syntax, format!("unexpected character `{ch}`")))
            }
        }
    }

    fn ident(&mut self) -> Option<&'a str> {
        let start = self.pos;
        match self.peek() {
            Some(c) if c == b'_' || c.is_ascii_alphabetic() => {}
            _ => return None,
        }
        while let Some(c) = self.peek() {
            if c == b'_' || c.is_ascii_alphanumeric() {
                self.pos += 1;
            } else {
                break;
            }
        }
        Some(&self.src[start..self.pos])
    }

    fn number(&mut self, negative: bool) -> Result<Operand, DomainError> {
        let start = self.pos;
        if self.peek() == Some(b'0') && matches!(self.peek_at(1), Some(b'x' | b'X')) {
            self.pos += 2;
            let digits_start = self.pos;
            while matches!(self.peek(), Some(c) if c.is_ascii_hexdigit() || c == b'_') {
                self.pos += 1;
            }
            let digits: String = self.src[digits_start..self.pos]
                .chars()
                .filter(|c| *c != '_')
                .collect();
            let v = i128::from_str_radix(&digits, 16)
                .map_err(|_| self.err_at(K::Syntax, "invalid hexadecimal number", start))?;
            return self.int_result(if negative { -v } else { v }, start);
        }
        let mut is_float = false;
        while let Some(c) = self.peek() {
            match c {
                b'0'..=b'9' | b'_' => self.pos += 1,
                b'.' if !is_float => {
                    // `1.strftime` is not a thing, but `1..x` neither: a dot followed by a
                    // letter ends the number.
                    if matches!(self.peek_at(1), Some(c) if c.is_ascii_alphabetic() && c != b'e' && c != b'E')
                    {
                        break;
                    }
                    is_float = true;
                    self.pos += 1;
                }
                b'e' | b'E' => {
                    let sign = matches!(self.peek_at(1), Some(b'+' | b'-'));
                    let digit_at = if sign { 2 } else { 1 };
                    if !matches!(self.peek_at(digit_at), Some(b'0'..=b'9')) {
                        break;
                    }
                    is_float = true;
                    self.pos += digit_at;
                    while matches!(self.peek(), Some(b'0'..=b'9')) {
                        self.pos += 1;
                    }
                    break;
                }
                _ => break,
            }
        }
        if matches!(self.peek(), Some(c) if c == b'_' || c.is_ascii_alphabetic()) {
            return Err(self.err(K::Syntax, "invalid number"));
        }
        let text: String = self.src[start..self.pos]
            .chars()
            .filter(|c| *c != '_')
            .collect();
        if is_float {
            let v: f64 = text
                .parse()
                .map_err(|_| self.err_at(K::Syntax, "invalid number", start))?;
            Ok(Operand::Float(if negative { -v } else { v }))
        } else {
            if text.len() > 1 && text.starts_with('0') && text.bytes().any(|b| b != b'0') {
                return Err(self.err_at(
                    K::Syntax,
                    "leading zeros in decimal integer literals are not permitted",
                    start,
                ));
            }
            let v: i128 = text
                .parse()
                .map_err(|_| self.err_at(K::Syntax, "integer too large", start))?;
            self.int_result(if negative { -v } else { v }, start)
        }
    }

    fn int_result(&self, v: i128, start: usize) -> Result<Operand, DomainError> {
        i64::try_from(v)
            .map(Operand::Int)
            .map_err(|_| self.err_at(K::Syntax, "integer does not fit in 64 bits", start))
    }

    /// One or more adjacent string literals (Python concatenates them).
    fn string_seq(&mut self) -> Result<Operand, DomainError> {
        let mut out = String::new();
        loop {
            self.string(&mut out)?;
            self.skip_ws();
            let more = match self.peek() {
                Some(b'\'' | b'"') => true,
                Some(b'u' | b'U' | b'r' | b'R') => matches!(self.peek_at(1), Some(b'\'' | b'"')),
                _ => false,
            };
            if !more {
                return Ok(Operand::Str(out));
            }
        }
    }

    fn string(&mut self, out: &mut String) -> Result<(), DomainError> {
        let start = self.pos;
        let mut raw = false;
        if let Some(c @ (b'u' | b'U' | b'r' | b'R')) = self.peek() {
            raw = matches!(c, b'r' | b'R');
            self.pos += 1;
        }
        let Some(quote) = self.peek() else {
            return Err(self.err(K::Syntax, "expected a string"));
        };
        if self.peek_at(1) == Some(quote) && self.peek_at(2) == Some(quote) {
            return Err(self.err(K::Unsupported, "triple-quoted strings are not supported"));
        }
        self.pos += 1;
        loop {
            let Some(c) = self.peek() else {
                return Err(self.err_at(K::Syntax, "unterminated string", start));
            };
            if c == quote {
                self.pos += 1;
                return Ok(());
            }
            if c == b'\n' {
                return Err(self.err_at(K::Syntax, "unterminated string", start));
            }
            if c == b'\\' {
                if raw {
                    // raw strings keep the backslash, but it still protects a quote
                    out.push('\\');
                    self.pos += 1;
                    if let Some(n) = self.peek()
                        && (n == quote || n == b'\\')
                    {
                        out.push(n as char);
                        self.pos += 1;
                    }
                    continue;
                }
                self.escape(out)?;
                continue;
            }
            // copy one whole character (never split a UTF-8 sequence)
            let ch = self.src[self.pos..].chars().next().unwrap_or('\u{fffd}');
            out.push(ch);
            self.pos += ch.len_utf8();
        }
    }

    fn escape(&mut self, out: &mut String) -> Result<(), DomainError> {
        let at = self.pos;
        self.pos += 1; // the backslash
        let Some(c) = self.peek() else {
            return Err(self.err_at(K::Syntax, "unterminated string", at));
        };
        self.pos += 1;
        match c {
            b'\n' => {}
            b'\\' => out.push('\\'),
            b'\'' => out.push('\''),
            b'"' => out.push('"'),
            b'n' => out.push('\n'),
            b't' => out.push('\t'),
            b'r' => out.push('\r'),
            b'a' => out.push('\x07'),
            b'b' => out.push('\x08'),
            b'f' => out.push('\x0c'),
            b'v' => out.push('\x0b'),
            b'0'..=b'7' => {
                let mut v = u32::from(c - b'0');
                for _ in 0..2 {
                    match self.peek() {
                        Some(d @ b'0'..=b'7') => {
                            v = v * 8 + u32::from(d - b'0');
                            self.pos += 1;
                        }
                        _ => break,
                    }
                }
                out.push(self.codepoint(v, at)?);
            }
            b'x' => out.push(self.hex_escape(2, at)?),
            b'u' => out.push(self.hex_escape(4, at)?),
            b'U' => out.push(self.hex_escape(8, at)?),
            b'N' => {
                return Err(self.err_at(
                    K::Unsupported,
                    "`\\N{...}` escapes are not supported",
                    at,
                ));
            }
            _ => {
                // Python keeps unknown escapes as they are
                self.pos -= 1;
                out.push('\\');
            }
        }
        Ok(())
    }

    fn hex_escape(&mut self, n: usize, at: usize) -> Result<char, DomainError> {
        let end = self.pos + n;
        let digits = self
            .src
            .get(self.pos..end)
            .filter(|d| d.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or_else(|| self.err_at(K::Syntax, "truncated \\x, \\u or \\U escape", at))?;
        let v = u32::from_str_radix(digits, 16)
            .map_err(|_| self.err_at(K::Syntax, "invalid escape", at))?;
        self.pos = end;
        self.codepoint(v, at)
    }

    fn codepoint(&self, v: u32, at: usize) -> Result<char, DomainError> {
        char::from_u32(v).ok_or_else(|| {
            self.err_at(
                K::Syntax,
                format!("escape gives U+{v:X}, which is not a valid character"),
                at,
            )
        })
    }
}

fn to_expr(v: Operand, pos: usize) -> Expr {
    match v {
        Operand::Expr(e) => *e,
        other => Expr {
            kind: ExprKind::Lit(other),
            pos,
        },
    }
}

/// Checks every placeholder of a parsed value: it must evaluate (against a sample
/// environment) to a plain value. Errors carry the placeholder's position.
pub(crate) fn check_placeholders(text: &str, v: &Operand) -> Result<(), DomainError> {
    match v {
        Operand::Expr(e) => {
            bind::check(e).map_err(|(pos, msg)| DomainError::new(K::Unsupported, msg).at(text, pos))
        }
        Operand::List(items) | Operand::Tuple(items) => items
            .iter()
            .try_for_each(|item| check_placeholders(text, item)),
        _ => Ok(()),
    }
}
