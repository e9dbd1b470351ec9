//! Doubles written the way Python's `repr(float)` writes them (`0.0`, `90000.0`, `1e+100`,
//! `1.5e-07`, `inf`, `nan`), which is what `xmlrpc.client` puts inside `<double>`, so that
//! re-encoding an Odoo answer reproduces its bytes.

use std::io::Write as _;

/// Appends the Python `repr` of `x` to `out`.
///
/// Both Rust's `{:e}` and Python's `repr` produce the shortest digit string that reads back
/// to the same double; only the layout differs: Python switches to exponent notation when the
/// decimal exponent is below -4 or above 16, always shows `.0` on integral values in fixed
/// notation, and writes the exponent with a sign and at least two digits.
pub(crate) fn write_python_float(out: &mut Vec<u8>, x: f64) {
    if x.is_nan() {
        out.extend_from_slice(b"nan");
        return;
    }
    if x.is_infinite() {
        out.extend_from_slice(if x > 0.0 { b"inf" } else { b"-inf" });
        return;
    }
    if x == 0.0 {
        out.extend_from_slice(if x.is_sign_negative() {
            b"-0.0"
        } else {
            b"0.0"
        });
        return;
    }
    let mut sci = [0u8; 40];
    let mut cursor = std::io::Cursor::new(&mut sci[..]);
    // A finite f64 in `{:e}` form is at most 24 bytes; the buffer cannot overflow.
    if write!(cursor, "{:e}", x.abs()).is_err() {
        return;
    }
    let len = usize::try_from(cursor.position()).unwrap_or(0);
    let sci = &sci[..len];
    let Some(e_at) = sci.iter().position(|&b| b == b'e') else {
        return;
    };
    let (mantissa, exp_text) = (&sci[..e_at], &sci[e_at + 1..]);
    let exponent: i32 = std::str::from_utf8(exp_text)
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or(0);
    let mut digits = [0u8; 24];
    let mut n = 0;
    for &b in mantissa.iter().filter(|b| b.is_ascii_digit()) {
        if n < digits.len() {
            digits[n] = b;
            n += 1;
        }
    }
    let digits = &digits[..n];
    if x < 0.0 {
        out.push(b'-');
    }
    // Position of the decimal point relative to the start of `digits`.
    let point = exponent + 1;
    if (-3..=16).contains(&point) {
        if point <= 0 {
            out.extend_from_slice(b"0.");
            out.extend(std::iter::repeat_n(b'0', point.unsigned_abs() as usize));
            out.extend_from_slice(digits);
        } else {
            let point = point as usize;
            if point >= digits.len() {
                out.extend_from_slice(digits);
                out.extend(std::iter::repeat_n(b'0', point - digits.len()));
                out.extend_from_slice(b".0");
            } else {
                out.extend_from_slice(&digits[..point]);
                out.push(b'.');
                out.extend_from_slice(&digits[point..]);
            }
        }
    } else {
        out.push(digits[0]);
        if digits.len() > 1 {
            out.push(b'.');
            out.extend_from_slice(&digits[1..]);
        }
        let _ = write!(
            out,
            "e{}{:02}",
            if exponent < 0 { '-' } else { '+' },
            exponent.unsigned_abs()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repr(x: f64) -> String {
        let mut out = Vec::new();
        write_python_float(&mut out, x);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn matches_python_repr() {
        // Each pair checked against CPython 3.11's repr().
        let cases: &[(f64, &str)] = &[
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (1.0, "1.0"),
            (90000.0, "90000.0"),
            (1e100, "1e+100"),
            (1.5e-7, "1.5e-07"),
            (-1.5e-7, "-1.5e-07"),
            (0.1, "0.1"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1e16, "1e+16"),
            (1234567890123456.0, "1234567890123456.0"),
            (12345678901234567.0, "1.2345678901234568e+16"),
            (1e15, "1000000000000000.0"),
            (123.456, "123.456"),
            (f64::MAX, "1.7976931348623157e+308"),
            (f64::MIN_POSITIVE, "2.2250738585072014e-308"),
            (5e-324, "5e-324"),
            (2.5, "2.5"),
            (-33.33, "-33.33"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (f64::NAN, "nan"),
        ];
        for &(x, want) in cases {
            assert_eq!(repr(x), want, "repr({x:e})");
        }
    }

    #[test]
    fn reads_back_exactly() {
        for x in [0.1, 1.0 / 3.0, 6.02214076e23, -2.0e-300, 4503599627370497.0] {
            assert_eq!(repr(x).parse::<f64>().unwrap().to_bits(), x.to_bits());
        }
    }
}
