//! Exact amounts: money in integer minor units of the company currency, rates and multipliers
//! in parts per million, quantities in thousandths.
//!
//! Why integers and not a decimal crate: Odoo itself rounds every monetary value to the
//! currency's `decimal_places` (`res.currency.round`), so minor units are exactly what a
//! statement can hold; each line is rounded once (half-even, like Python's `round`), and the
//! total is the integer sum of the lines, so "lines sum to the total" holds by construction.
//! Intermediate products are taken in `i128`, which holds `amount × rate × coefficient`
//! without overflow for any amount an `i64` of minor units can carry. No `f64` ever enters a
//! sum: floats from Odoo are converted once, at the edge, by [`Money::from_odoo`].

use std::fmt;

/// One million: the scale of [`Ratio`].
pub(crate) const PPM: i64 = 1_000_000;

/// Money in minor units (cents for 2-decimal currencies, đồng for VND).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(pub i64);

/// A rate, percentage or multiplier, in parts per million (5 % = 50_000, × 1.2 = 1_200_000).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ratio(pub i64);

/// A quantity of product units, in thousandths (Odoo's default UoM precision is 2 decimals;
/// 3 leaves room).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Qty(pub i64);

impl Ratio {
    pub const ONE: Ratio = Ratio(PPM);
    pub(crate) const ZERO: Ratio = Ratio(0);

    /// Parses `"5%"`, `"2.5 %"`, `"0.05"` or `"1.2"` exactly (at most 6 decimal places of the
    /// plain number, 4 of a percentage).
    pub(crate) fn parse(text: &str) -> Result<Ratio, String> {
        let t = text.trim();
        let (num, percent) = match t.strip_suffix('%') {
            Some(n) => (n.trim(), true),
            None => (t, false),
        };
        let scale = if percent { 4 } else { 6 };
        let v = parse_fixed(num, scale)
            .ok_or_else(|| format!("{text:?} is not a number like \"5%\" or \"0.05\""))?;
        Ok(Ratio(v))
    }

    /// Multiplies two ratios, rounding half-even to the nearest ppm.
    pub(crate) fn times(self, other: Ratio) -> Ratio {
        Ratio(clamp(div_round(
            i128::from(self.0) * i128::from(other.0),
            i128::from(PPM),
        )))
    }
}

impl Money {
    /// Parses a config amount (`"150"`, `"99.95"`) into minor units of a currency with
    /// `decimals` decimal places; more decimals than the currency has are refused.
    pub(crate) fn parse(text: &str, decimals: u32) -> Result<Money, String> {
        parse_fixed(text.trim(), decimals)
            .map(Money)
            .ok_or_else(|| {
                format!("{text:?} is not an amount with at most {decimals} decimal places")
            })
    }

    /// Converts an amount Odoo sent as a float (already rounded by Odoo to the currency)
    /// into minor units. Refuses what cannot be an amount (NaN, infinities, beyond i64).
    pub(crate) fn from_odoo(value: f64, decimals: u32) -> Option<Money> {
        let scaled = value * 10f64.powi(i32::try_from(decimals).ok()?);
        if !scaled.is_finite() || scaled.abs() > 9.0e15 {
            return None;
        }
        // Odoo stores `round(x, decimals)`; the float is within 1e-6 of an integer here.
        #[allow(clippy::cast_possible_truncation)]
        Some(Money(scaled.round() as i64))
    }

    /// An amount Odoo holds in a document's own currency, converted to the company currency
    /// by the document's `currency_rate` (units of the document currency per unit of the
    /// company currency, as `sale.order` stores it), rounded once, half-even, to a minor unit
    /// of the company currency with `decimals` places.
    ///
    /// Both floats are taken at their shortest decimal text (what Odoo stored: the amount
    /// rounded to its currency, the rate as the `numeric` of `res.currency.rate`), so the
    /// division is exact in integers. A rate that is not a positive number, or an amount or
    /// rate beyond what the integers hold, is refused (`None`), never read as 1 or 0.
    pub(crate) fn from_foreign(amount: f64, rate: f64, decimals: u32) -> Option<Money> {
        if rate.is_nan() || rate <= 0.0 || !rate.is_finite() || !amount.is_finite() {
            return None;
        }
        let (a, a_scale) = exact_decimal(amount)?;
        let (r, r_scale) = exact_decimal(rate)?;
        // amount / rate in minor units = a·10^(decimals + r_scale) / (r·10^a_scale).
        let num = a.checked_mul(pow10(decimals.checked_add(r_scale)?)?)?;
        let den = r.checked_mul(pow10(a_scale)?)?;
        if den <= 0 {
            return None;
        }
        i64::try_from(div_round(num, den)).ok().map(Money)
    }

    /// The amount as a float for Odoo's `float`/`monetary` fields (the only way out).
    #[allow(clippy::cast_precision_loss)]
    pub(crate) fn to_odoo(self, decimals: u32) -> f64 {
        // Exact for |minor units| < 2^53; the string round-trip gives the shortest float.
        self.display(decimals).parse().unwrap_or(self.0 as f64)
    }

    /// `1234.50`-style text with exactly `decimals` places (no grouping; CSV-safe).
    pub(crate) fn display(self, decimals: u32) -> String {
        fixed(self.0, decimals)
    }

    /// `base × rate × coefficient`, rounded once, half-even, to a minor unit.
    pub fn apply(self, rate: Ratio, coefficient: Ratio) -> Money {
        let n = i128::from(self.0) * i128::from(rate.0) * i128::from(coefficient.0);
        Money(clamp(div_round(n, i128::from(PPM) * i128::from(PPM))))
    }

    /// `per_unit × qty × coefficient`, rounded once, half-even.
    pub(crate) fn per_units(self, qty: Qty, coefficient: Ratio) -> Money {
        let n = i128::from(self.0) * i128::from(qty.0) * i128::from(coefficient.0);
        Money(clamp(div_round(n, 1000 * i128::from(PPM))))
    }

    /// `self × n × coefficient` for a count of events.
    pub(crate) fn times_count(self, n: i64, coefficient: Ratio) -> Money {
        let v = i128::from(self.0) * i128::from(n) * i128::from(coefficient.0);
        Money(clamp(div_round(v, i128::from(PPM))))
    }
}

impl std::ops::Add for Money {
    type Output = Money;
    fn add(self, o: Money) -> Money {
        Money(self.0.saturating_add(o.0))
    }
}

impl std::ops::Sub for Money {
    type Output = Money;
    fn sub(self, o: Money) -> Money {
        Money(self.0.saturating_sub(o.0))
    }
}

impl std::ops::Neg for Money {
    type Output = Money;
    fn neg(self) -> Money {
        Money(self.0.saturating_neg())
    }
}

impl std::iter::Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        iter.fold(Money(0), |a, b| a + b)
    }
}

impl fmt::Display for Ratio {
    /// As a percentage with the decimals it needs: `5%`, `2.5%`, `120%`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // ppm → percent has 4 decimals.
        let s = fixed(self.0, 4);
        let s = s.trim_end_matches('0').trim_end_matches('.');
        write!(f, "{s}%")
    }
}

impl Qty {
    /// From Odoo's float quantity, rounded to a thousandth.
    pub(crate) fn from_odoo(value: f64) -> Option<Qty> {
        let scaled = value * 1000.0;
        if !scaled.is_finite() || scaled.abs() > 9.0e15 {
            return None;
        }
        #[allow(clippy::cast_possible_truncation)]
        Some(Qty(scaled.round() as i64))
    }
}

impl fmt::Display for Qty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = fixed(self.0, 3);
        let s = s.trim_end_matches('0').trim_end_matches('.');
        f.write_str(s)
    }
}

/// Divides rounding half to even (Python's `round`, which Odoo's `float_round` approaches).
fn div_round(n: i128, d: i128) -> i128 {
    let q = n.div_euclid(d);
    let r = n.rem_euclid(d);
    match (2 * r).cmp(&d) {
        std::cmp::Ordering::Less => q,
        std::cmp::Ordering::Greater => q + 1,
        std::cmp::Ordering::Equal => q + (q & 1),
    }
}

fn clamp(v: i128) -> i64 {
    i64::try_from(v).unwrap_or(if v < 0 { i64::MIN } else { i64::MAX })
}

/// 10^n as an `i128`, if it fits.
fn pow10(n: u32) -> Option<i128> {
    10i128.checked_pow(n)
}

/// A float as the exact decimal of its shortest text (`0.92` → (92, 2)): digits and scale.
fn exact_decimal(x: f64) -> Option<(i128, u32)> {
    // `Display` of an f64 is its shortest round-trip text, never in exponent form.
    let text = format!("{x}");
    let (neg, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.as_str()),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let scale = u32::try_from(frac.len()).ok()?;
    if int.len() + frac.len() > 36 {
        return None;
    }
    let v: i128 = format!("{int}{frac}").parse().ok()?;
    Some((if neg { -v } else { v }, scale))
}

/// `-12.5` with `scale` 2 → -1250; refuses more than `scale` decimals, exponents, junk.
fn parse_fixed(text: &str, scale: u32) -> Option<i64> {
    let (neg, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    let all_digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if !all_digits(int) || !all_digits(frac) || frac.len() > scale as usize || int.len() > 15 {
        return None;
    }
    let mut v: i64 = if int.is_empty() { 0 } else { int.parse().ok()? };
    for i in 0..scale as usize {
        let d = frac.as_bytes().get(i).map_or(0, |b| i64::from(b - b'0'));
        v = v.checked_mul(10)?.checked_add(d)?;
    }
    Some(if neg { -v } else { v })
}

/// `v` scaled by 10^scale as text with exactly `scale` decimals.
fn fixed(v: i64, scale: u32) -> String {
    let sign = if v < 0 { "-" } else { "" };
    let abs = v.unsigned_abs();
    if scale == 0 {
        return format!("{sign}{abs}");
    }
    let p = 10u64.pow(scale);
    format!(
        "{sign}{}.{:0width$}",
        abs / p,
        abs % p,
        width = scale as usize
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_parse_exactly() {
        assert_eq!(Ratio::parse("5%"), Ok(Ratio(50_000)));
        assert_eq!(Ratio::parse("2.5 %"), Ok(Ratio(25_000)));
        assert_eq!(Ratio::parse("0.05"), Ok(Ratio(50_000)));
        assert_eq!(Ratio::parse("1.2"), Ok(Ratio(1_200_000)));
        assert!(Ratio::parse("1e-2").is_err());
        assert!(Ratio::parse("0.00001%").is_err());
        assert_eq!(Ratio(25_000).to_string(), "2.5%");
        assert_eq!(Ratio(1_200_000).to_string(), "120%");
    }

    #[test]
    fn money_parses_and_displays_by_currency_decimals() {
        assert_eq!(Money::parse("99.95", 2), Ok(Money(9995)));
        assert_eq!(Money::parse("150", 0), Ok(Money(150)));
        assert!(Money::parse("1.5", 0).is_err());
        assert_eq!(Money(-1250).display(2), "-12.50");
        assert_eq!(Money(5).display(2), "0.05");
        assert_eq!(Money(1_500_000).display(0), "1500000");
        assert_eq!(Money::from_odoo(1234.56, 2), Some(Money(123_456)));
        assert_eq!(Money::from_odoo(0.1 + 0.2, 2), Some(Money(30)));
        assert_eq!(Money::from_odoo(f64::NAN, 2), None);
        assert!((Money(123_456).to_odoo(2) - 1234.56).abs() < f64::EPSILON);
    }

    #[test]
    fn a_foreign_amount_is_divided_by_the_rate_and_rounded_once() {
        // 1000.00 EUR at 0.92 EUR per USD = 1086.9565… USD → 1086.96.
        assert_eq!(Money::from_foreign(1000.0, 0.92, 2), Some(Money(108_696)));
        // 2,540,000 VND at 25,400 VND per USD = 100.00 USD exactly.
        assert_eq!(
            Money::from_foreign(2_540_000.0, 25_400.0, 2),
            Some(Money(10_000))
        );
        // 100 USD into a VND company (0.0000393700787 USD per VND): 2,540,000.0008 → 2540000.
        assert_eq!(
            Money::from_foreign(100.0, 0.000_039_370_078_7, 0),
            Some(Money(2_540_000))
        );
        // Half-even once: 0.125 at rate 1 → 0.12; a credit is negative.
        assert_eq!(Money::from_foreign(0.125, 1.0, 2), Some(Money(12)));
        assert_eq!(Money::from_foreign(-50.0, 0.5, 2), Some(Money(-10_000)));
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert_eq!(Money::from_foreign(100.0, bad, 2), None, "{bad}");
        }
    }

    #[test]
    fn one_rounding_half_even() {
        // 0.125 → 0.12, 0.135 → 0.14 (cents): half to even.
        assert_eq!(Money(250).apply(Ratio(50_000), Ratio::ONE), Money(12));
        assert_eq!(Money(270).apply(Ratio(50_000), Ratio::ONE), Money(14));
        assert_eq!(Money(-250).apply(Ratio(50_000), Ratio::ONE), Money(-12));
        // 1000.00 × 5 % × 1.2 = 60.00, rounded once.
        assert_eq!(
            Money(100_000).apply(Ratio(50_000), Ratio(1_200_000)),
            Money(6000)
        );
        assert_eq!(Money(5000).per_units(Qty(2500), Ratio::ONE), Money(12_500));
        assert_eq!(Money(2000).times_count(3, Ratio(1_100_000)), Money(6600));
    }
}
