//! Properties of the pay engine on random documents: lines sum to the total; a locked
//! statement never changes and what changed after the lock is exactly made up by the
//! adjustments of the next period; computing twice gives the same statements.

use std::collections::BTreeMap;

use proptest::prelude::*;
use scorekeeper::pay::{Calc, Input, Money, PayError, Period, Statement};

use crate::support::pay::{ALICE, BOB, CARL, DORA, MONA, config, d, input, inv, line};

const USERS: [i64; 5] = [ALICE, BOB, CARL, DORA, MONA];

/// (day of October or November, user, customer, cents, product, referrer)
type Doc = (u32, usize, i64, i64, i64, Option<usize>);

fn docs() -> impl Strategy<Value = Vec<Doc>> {
    prop::collection::vec(
        (
            1u32..=61,
            0usize..5,
            100i64..106,
            -50_000i64..2_000_000,
            prop::sample::select(vec![1i64, 500, 501]),
            prop::option::of(0usize..5),
        ),
        0..40,
    )
}

fn build(list: &[Doc]) -> Input {
    let mut input = input();
    input.documents.retain(|d| d.id < 10); // keep the history, drop the fixture's months
    for (i, &(day, u, customer, cents, product, referrer)) in list.iter().enumerate() {
        let date = if day <= 31 {
            format!("2026-10-{day:02}")
        } else {
            format!("2026-11-{:02}", day - 31)
        };
        let id = 1000 + i64::try_from(i).unwrap();
        input.documents.push(inv(
            id,
            &format!("INV/{id}"),
            &date,
            USERS[u],
            customer,
            cents,
            None,
            referrer.map(|r| USERS[r]),
            vec![line(product, if cents < 0 { -1 } else { 1 }, cents)],
        ));
    }
    input
}

fn compute(
    input: &Input,
    stored: &[Statement],
    period: &str,
    today: &str,
) -> Result<Vec<Statement>, PayError> {
    let cfg = config();
    Calc {
        config: &cfg,
        input,
        stored,
        today: d(today),
    }
    .statements(Period::parse(period).unwrap())
}

fn totals(list: &[Statement]) -> BTreeMap<i64, Money> {
    list.iter().map(|s| (s.user, s.total)).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn lines_sum_to_the_total_and_twice_is_the_same(list in docs()) {
        let input = build(&list);
        let a = compute(&input, &[], "2026-11", "2026-11-22").unwrap();
        for s in &a {
            prop_assert_eq!(s.lines.iter().map(|l| l.amount).sum::<Money>(), s.total);
        }
        let b = compute(&input, &[], "2026-11", "2026-11-22").unwrap();
        prop_assert_eq!(a, b);
    }

    #[test]
    fn a_locked_statement_never_changes_and_adjustments_make_up_the_difference(
        list in docs(),
        cancel in prop::collection::vec(any::<bool>(), 40),
        later in docs(),
    ) {
        // October closes (today 2026-11-06); its statements are stored locked.
        let before = build(&list);
        let oct = compute(&before, &[], "2026-10", "2026-11-06").unwrap();
        prop_assert!(oct.iter().all(|s| s.locked));
        // Afterwards: some October documents are cancelled, new ones (refunds too) appear,
        // some dated back in October.
        let mut after_list: Vec<Doc> = list.iter().zip(&cancel).filter(|(_, c)| !**c).map(|(d, _)| *d).collect();
        after_list.extend(later);
        let after = build(&after_list);
        // October is refused, unchanged.
        let refused = matches!(compute(&after, &oct, "2026-10", "2026-11-22"), Err(PayError::Locked { .. }));
        prop_assert!(refused || oct.is_empty());
        // November carries the difference as adjustments naming October.
        let nov = compute(&after, &oct, "2026-11", "2026-11-22").unwrap();
        let should = totals(&compute(&after, &[], "2026-10", "2026-11-22").unwrap());
        for s in &oct {
            let adjusted: Money = nov.iter().filter(|n| n.user == s.user).flat_map(|n| &n.lines)
                .filter(|l| l.origin.as_ref().is_some_and(|o| o.period.to_string() == "2026-10"))
                .map(|l| l.amount).sum();
            prop_assert_eq!(s.total + adjusted, should.get(&s.user).copied().unwrap_or_default());
        }
        // A second run with November stored (open) gives the same statements.
        let mut stored = oct.clone();
        stored.extend(nov.iter().cloned());
        let again = compute(&after, &stored, "2026-11", "2026-11-22").unwrap();
        prop_assert_eq!(&again, &nov);
        // And once November is locked too, December adds nothing for October again.
        let nov_locked = compute(&after, &oct, "2026-11", "2026-12-06").unwrap();
        let mut stored = oct.clone();
        stored.extend(nov_locked);
        let dec = compute(&after, &stored, "2026-12", "2026-12-10").unwrap();
        prop_assert!(dec.iter().all(|s| s.lines.iter().all(|l| l.origin.is_none())), "{:#?}", dec);
    }
}
