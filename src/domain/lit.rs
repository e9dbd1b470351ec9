//! Literal values of a domain: what a Python-literal domain string or the wire list form
//! holds (strings, numbers, booleans, `None`, lists and tuples). Lists and tuples are kept
//! apart because Odoo's error messages print them differently (`['|', …]` vs `('a', '=', 1)`).
//! Their wire form is the transport's business (`odoo::WireLit`).

use std::fmt;

#[derive(Clone, Debug, PartialEq)]
pub enum Lit {
    None,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    List(Vec<Lit>),
    Tuple(Vec<Lit>),
}

impl Lit {
    pub(crate) fn as_str(&self) -> Option<&str> {
        match self {
            Lit::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The items of a list or tuple.
    pub(crate) fn as_seq(&self) -> Option<&[Lit]> {
        match self {
            Lit::List(items) | Lit::Tuple(items) => Some(items),
            _ => None,
        }
    }
}

impl fmt::Display for Lit {
    /// Python's `repr`, as Odoo's messages print domains and leaves.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Lit::None => f.write_str("None"),
            Lit::Bool(true) => f.write_str("True"),
            Lit::Bool(false) => f.write_str("False"),
            Lit::Int(i) => write!(f, "{i}"),
            Lit::Float(x) => write_py_float(f, *x),
            Lit::Str(s) => write_py_str(f, s),
            Lit::List(items) => {
                f.write_str("[")?;
                write_items(f, items)?;
                f.write_str("]")
            }
            Lit::Tuple(items) => {
                f.write_str("(")?;
                write_items(f, items)?;
                if items.len() == 1 {
                    f.write_str(",")?;
                }
                f.write_str(")")
            }
        }
    }
}

/// Python's `repr` of a float: the shortest digits that read back to the same value,
/// positional for exponents -4..16, scientific (`1e+16`, `1.5e-07`) otherwise.
fn write_py_float(f: &mut fmt::Formatter<'_>, x: f64) -> fmt::Result {
    if x.is_nan() {
        return f.write_str("nan");
    }
    if x.is_infinite() {
        return f.write_str(if x > 0.0 { "inf" } else { "-inf" });
    }
    if x == 0.0 {
        return f.write_str(if x.is_sign_negative() { "-0.0" } else { "0.0" });
    }
    // `{:e}` gives the shortest round-trip digits: "-1.2345e-7"
    let sci = format!("{x:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => ("-", m),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    if (-4..16).contains(&exp) {
        let point = exp + 1; // digits before the decimal point
        if point <= 0 {
            let zeros = "0".repeat(usize::try_from(-point).unwrap_or(0));
            write!(f, "{sign}0.{zeros}{digits}")
        } else {
            let point = usize::try_from(point).unwrap_or(0);
            if digits.len() <= point {
                let zeros = "0".repeat(point - digits.len());
                write!(f, "{sign}{digits}{zeros}.0")
            } else {
                write!(f, "{sign}{}.{}", &digits[..point], &digits[point..])
            }
        }
    } else {
        let (head, tail) = digits.split_at(1);
        let esign = if exp < 0 { '-' } else { '+' };
        if tail.is_empty() {
            write!(f, "{sign}{head}e{esign}{:02}", exp.abs())
        } else {
            write!(f, "{sign}{head}.{tail}e{esign}{:02}", exp.abs())
        }
    }
}

fn write_items(f: &mut fmt::Formatter<'_>, items: &[Lit]) -> fmt::Result {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{item}")?;
    }
    Ok(())
}

/// Python's `repr` of a `str`: single quotes unless the text holds a single quote and no
/// double quote.
fn write_py_str(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    use fmt::Write;
    f.write_char(quote)?;
    for c in s.chars() {
        match c {
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\r' => f.write_str("\\r")?,
            '\t' => f.write_str("\\t")?,
            c if c == quote => {
                f.write_char('\\')?;
                f.write_char(c)?;
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => write!(f, "\\x{:02x}", c as u32)?,
            c => f.write_char(c)?,
        }
    }
    f.write_char(quote)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_like_python_repr() {
        let leaf = Lit::Tuple(vec![
            Lit::Str("name".into()),
            Lit::Str("~~".into()),
            Lit::Str("x".into()),
        ]);
        assert_eq!(leaf.to_string(), "('name', '~~', 'x')");
        let dom = Lit::List(vec![
            Lit::Str("|".into()),
            Lit::List(vec![
                Lit::Str("name".into()),
                Lit::Str("=".into()),
                Lit::Str("x".into()),
            ]),
        ]);
        assert_eq!(dom.to_string(), "['|', ['name', '=', 'x']]");
        assert_eq!(Lit::Str("it's".into()).to_string(), "\"it's\"");
        assert_eq!(Lit::Float(1.0).to_string(), "1.0");
        assert_eq!(Lit::Tuple(vec![Lit::Int(1)]).to_string(), "(1,)");
        let floats = [
            (0.1, "0.1"),
            (100.5, "100.5"),
            (-2.0, "-2.0"),
            (1e16, "1e+16"),
            (1.5e-7, "1.5e-07"),
            (0.0001, "0.0001"),
            (123456789012345.6, "123456789012345.6"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
        ];
        for (x, py) in floats {
            assert_eq!(Lit::Float(x).to_string(), py);
        }
    }
}
