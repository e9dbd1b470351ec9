//! Odoo's member quotas (`crm.team.member._get_assignment_quota`): 17's monthly one, with
//! Python's `round` (halves to the even neighbour), and 18/19's daily one, with Odoo's
//! `float_round(…, rounding_method='HALF-UP')` (halves away from zero).

/// Python 3's `round(x)`: nearest integer, halves to even.
pub(crate) fn round_half_even(x: f64) -> i64 {
    if x.is_nan() {
        return 0;
    }
    let floor = x.floor();
    let diff = x - floor;
    let up = diff > 0.5 || (diff == 0.5 && (floor / 2.0).fract() != 0.0);
    let r = if up { floor + 1.0 } else { floor };
    r as i64
}

/// How many leads a member gets in one assignment run of `work_days` days:
/// `base = max × work_days / 30`, `compensation = max(0, max − (month_count + base)) × 0.2`,
/// `round(base + compensation)`.
pub fn odoo_quota(assignment_max: i64, lead_month_count: i64, work_days: f64) -> i64 {
    let max = assignment_max as f64;
    let base = max * work_days / 30.0;
    let compensation = (max - (lead_month_count as f64 + base)).max(0.0) * 0.2;
    round_half_even(base + compensation)
}

/// Odoo 18/19: `float_round(assignment_max / 30, 0, 'HALF-UP') − lead_day_count`, in exact
/// integer arithmetic (`max / 30` is a half exactly when `max` is 15 mod 30).
pub(crate) fn daily_quota(assignment_max: i64, lead_day_count: i64) -> i64 {
    let per_day = if assignment_max >= 0 {
        (2 * assignment_max + 30).div_euclid(60)
    } else {
        -((-2 * assignment_max + 30).div_euclid(60))
    };
    per_day - lead_day_count
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_example() {
        // max 30, month count 15, 2 days → base 2, comp 2.6 → round(4.6) = 5
        assert_eq!(odoo_quota(30, 15, 2.0), 5);
    }

    #[test]
    fn halves_round_to_even() {
        assert_eq!(round_half_even(0.5), 0);
        assert_eq!(round_half_even(1.5), 2);
        assert_eq!(round_half_even(2.5), 2);
        assert_eq!(round_half_even(3.5), 4);
        assert_eq!(round_half_even(-0.5), 0);
        assert_eq!(round_half_even(-1.5), -2);
        assert_eq!(round_half_even(2.6), 3);
        // max 15, 1 day, 30 this month: base 0.5, no compensation → round(0.5) = 0
        assert_eq!(odoo_quota(15, 30, 1.0), 0);
        // max 45, 1 day, 45 this month: base 1.5 → 2
        assert_eq!(odoo_quota(45, 45, 1.0), 2);
        // max 75, 1 day, 75 this month: base 2.5 → 2
        assert_eq!(odoo_quota(75, 75, 1.0), 2);
        // a member with nothing this month is compensated: 30, 0, 1 → 1 + 5.8 = 6.8 → 7
        assert_eq!(odoo_quota(30, 0, 1.0), 7);
        assert_eq!(odoo_quota(0, 0, 1.0), 0);
    }

    #[test]
    fn daily_quota_rounds_halves_up() {
        // Odoo 19's `round_half_up(max / 30)`: 15 → 0.5 → 1, 44 → 1.47 → 1, 45 → 1.5 → 2.
        assert_eq!(daily_quota(15, 0), 1);
        assert_eq!(daily_quota(14, 0), 0);
        assert_eq!(daily_quota(30, 0), 1);
        assert_eq!(daily_quota(44, 0), 1);
        assert_eq!(daily_quota(45, 0), 2);
        assert_eq!(
            daily_quota(75, 0),
            3,
            "2.5 rounds up, where Python's round gives 2"
        );
        assert_eq!(daily_quota(90, 1), 2);
        assert_eq!(daily_quota(30, 3), -2, "the caller clamps at 0");
        assert_eq!(daily_quota(0, 0), 0);
    }
}
