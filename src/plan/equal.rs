//! When a planned value counts as "already there": the equality rule that decides which
//! changes are no-ops, and what reconciliation and undo accept as "still the value we wrote".

use crate::record::Value;

/// Whether writing `new` over `current` would change what Odoo reads back.
///
/// The rule, and why:
/// - `Null`, `Bool(false)` and `Ids([])` are one value: Odoo reads an empty char, date,
///   selection, many2one or boolean as `False` and an empty x2many as `[]`, and writing any of
///   them empties the field.
/// - `Int(i)` and `Float(x)` are equal when `x == i as f64` exactly; an engine may compute an
///   integer score as a float. Floats are otherwise compared exactly (no epsilon: a change of
///   the last bit is a change), except that NaN equals NaN, so a NaN result is not rewritten
///   on every run.
/// - `Many2one(id)` equals `Int(id)`: on the wire a many2one is written as its id.
/// - `Ids` compare as sets: Odoo returns x2many ids in the comodel's order, not ours.
/// - Strings compare exactly (`""` is not `False`: Odoo keeps an empty string as written).
pub fn same_value(a: &Value, b: &Value) -> bool {
    use Value::*;
    match (a, b) {
        (Null | Bool(false), Null | Bool(false)) => true,
        (Null | Bool(false), Ids(ids)) | (Ids(ids), Null | Bool(false)) => ids.is_empty(),
        (Bool(x), Bool(y)) => x == y,
        (Int(x) | Many2one(x), Int(y) | Many2one(y)) => x == y,
        (Int(i), Float(x)) | (Float(x), Int(i)) => float_equals_int(*x, *i),
        (Float(x), Float(y)) => x == y || (x.is_nan() && y.is_nan()),
        (Str(x), Str(y)) => x == y,
        (Ids(x), Ids(y)) => same_set(x, y),
        _ => false,
    }
}

fn float_equals_int(x: f64, i: i64) -> bool {
    // Convert the float to the integer, not the other way: `i as f64` rounds beyond 2^53,
    // and `as i64` saturates, hence the explicit range (2^63 itself is out of range).
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    (-TWO_63..TWO_63).contains(&x) && x.fract() == 0.0 && (x as i64) == i
}

fn same_set(x: &[i64], y: &[i64]) -> bool {
    let mut x = x.to_vec();
    let mut y = y.to_vec();
    x.sort_unstable();
    x.dedup();
    y.sort_unstable();
    y.dedup();
    x == y
}

#[cfg(test)]
mod tests {
    use super::*;
    use Value::*;

    #[test]
    fn empty_values_are_false() {
        assert!(same_value(&Null, &Bool(false)));
        assert!(same_value(&Bool(false), &Null));
        assert!(same_value(&Null, &Ids(vec![])));
        assert!(!same_value(&Null, &Ids(vec![1])));
        assert!(!same_value(&Null, &Str(String::new())));
        assert!(!same_value(&Null, &Int(0)));
        assert!(!same_value(&Bool(true), &Bool(false)));
    }

    #[test]
    fn numbers() {
        assert!(same_value(&Int(3), &Float(3.0)));
        assert!(!same_value(&Int(3), &Float(3.000_000_000_000_001)));
        assert!(!same_value(&Float(0.1 + 0.2), &Float(0.3)));
        assert!(same_value(&Float(f64::NAN), &Float(f64::NAN)));
        assert!(same_value(&Many2one(5), &Int(5)));
        assert!(!same_value(&Many2one(5), &Many2one(6)));
        assert!(!same_value(&Int(i64::MAX), &Float(i64::MAX as f64)));
        assert!(!same_value(&Int(1), &Str("1".into())));
    }

    #[test]
    fn ids_are_sets() {
        assert!(same_value(&Ids(vec![3, 1, 2]), &Ids(vec![1, 2, 3])));
        assert!(!same_value(&Ids(vec![1, 2]), &Ids(vec![1, 2, 3])));
    }
}
