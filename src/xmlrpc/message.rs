//! The documents XML-RPC exchanges: a method call, and a response that is either one value or
//! a fault. Fault codes are ints on `/xmlrpc/2` and strings on Odoo's legacy `/xmlrpc`.

use std::fmt;

use super::Value;

/// A `<methodCall>`: the method name and its positional parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct MethodCall {
    pub name: String,
    pub params: Vec<Value>,
}

/// A `<methodResponse>`: one value, or a fault.
#[derive(Clone, Debug, PartialEq)]
pub enum MethodResponse {
    Success(Value),
    Fault(Fault),
}

/// An XML-RPC fault (`faultCode` + `faultString`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fault {
    pub code: FaultCode,
    pub string: String,
}

/// A fault code: an int on `/xmlrpc/2`, a string on the legacy `/xmlrpc` endpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FaultCode {
    Int(i64),
    Str(String),
}

impl MethodCall {
    #[cfg(test)]
    pub(crate) fn new(name: impl Into<String>, params: Vec<Value>) -> Self {
        Self {
            name: name.into(),
            params,
        }
    }
}

impl Fault {
    pub fn new(code: impl Into<FaultCode>, string: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            string: string.into(),
        }
    }

    /// The last non-empty line of `faultString`, trimmed: for Odoo's fault 1 that is the
    /// `ExcType: message` line at the bottom of the traceback, the part worth showing a user.
    pub fn last_line(&self) -> &str {
        self.string
            .lines()
            .map(str::trim)
            .rfind(|line| !line.is_empty())
            .unwrap_or("")
    }

    /// The code when it is an int (always the case on `/xmlrpc/2`).
    pub fn int_code(&self) -> Option<i64> {
        match self.code {
            FaultCode::Int(code) => Some(code),
            FaultCode::Str(_) => None,
        }
    }
}

impl From<i64> for FaultCode {
    fn from(code: i64) -> Self {
        FaultCode::Int(code)
    }
}

impl From<i32> for FaultCode {
    fn from(code: i32) -> Self {
        FaultCode::Int(code.into())
    }
}

impl From<&str> for FaultCode {
    fn from(code: &str) -> Self {
        FaultCode::Str(code.to_owned())
    }
}

impl From<String> for FaultCode {
    fn from(code: String) -> Self {
        FaultCode::Str(code)
    }
}

impl fmt::Display for FaultCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FaultCode::Int(code) => write!(f, "{code}"),
            FaultCode::Str(code) => f.write_str(code),
        }
    }
}

impl fmt::Display for Fault {
    /// The code and the last line only: tracebacks are long and belong in debug logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "fault {}: {}", self.code, self.last_line())
    }
}

impl std::error::Error for Fault {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_line_skips_trailing_blank_lines_and_trims() {
        let f = Fault::new(
            1,
            "Traceback (most recent call last):\n  File x\nValueError: bad  \n\n",
        );
        assert_eq!(f.last_line(), "ValueError: bad");
        assert_eq!(Fault::new(3, "Access Denied").last_line(), "Access Denied");
        assert_eq!(Fault::new(2, "").last_line(), "");
        assert_eq!(Fault::new(2, " \n \n").last_line(), "");
    }

    #[test]
    fn display_shows_code_and_last_line() {
        let f = Fault::new("warning -- UserError", "a\nb");
        assert_eq!(f.to_string(), "fault warning -- UserError: b");
        assert_eq!(f.int_code(), None);
        assert_eq!(Fault::new(4, "x").int_code(), Some(4));
    }
}
