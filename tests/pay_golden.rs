//! Golden tests of the pay engine on the hand-computed fixture in `support::pay`
//! (currency with 2 decimals; amounts below in cents). Every expected amount is worked out
//! in the comment above it; none comes from running the engine.

use std::collections::BTreeMap;

use scorekeeper::pay::tiers::{TierBand, TierMode, Tiers};
use scorekeeper::pay::{Base, Calc, ComponentKind, Line, PayError, Period, Rate, Ratio, Statement};

use crate::support::pay::{ALICE, BOB, CARL, DORA, MONA, TINA, config, d, input, m};

const TODAY: &str = "2026-11-22";

fn nov() -> Period {
    Period::parse("2026-11").unwrap()
}

fn run(stored: &[Statement], today: &str) -> BTreeMap<i64, Statement> {
    let cfg = config();
    let input = input();
    let calc = Calc {
        config: &cfg,
        input: &input,
        stored,
        today: d(today),
    };
    calc.statements(nov())
        .unwrap()
        .into_iter()
        .map(|s| (s.user, s))
        .collect()
}

/// `(component, subject) → amount` of one plan's lines.
fn amounts(s: &Statement) -> Vec<(ComponentKind, String, i64)> {
    s.lines
        .iter()
        .map(|l| (l.key.component, l.key.subject.clone(), l.amount.0))
        .collect()
}

fn line<'a>(s: &'a Statement, kind: ComponentKind, subject: &str) -> &'a Line {
    s.lines
        .iter()
        .find(|l| l.key.component == kind && l.key.subject == subject)
        .unwrap_or_else(|| panic!("no {kind:?} {subject} in {:#?}", s.lines))
}

/// The October statement of Alice as it was locked: INV/2026/0089 (1,000.00 → 5 % = 50.00)
/// and INV/2026/0090 (400.00 → 20.00), coefficient × 1. Since then, 0090 was cancelled and
/// a credit note of 100.00 dated in October (RINV/2026/0091) reverses part of 0089.
fn locked_october() -> Statement {
    let oct = Period::parse("2026-10").unwrap();
    let cfg = config();
    let mut input = input();
    input.documents.push(crate::support::pay::inv(
        90,
        "INV/2026/0090",
        "2026-10-20",
        ALICE,
        601,
        40_000,
        None,
        None,
        vec![],
    ));
    input.documents.retain(|d| d.id != 91);
    let calc = Calc {
        config: &cfg,
        input: &input,
        stored: &[],
        today: d("2026-11-06"),
    };
    let s = calc
        .statements(oct)
        .unwrap()
        .into_iter()
        .find(|s| s.user == ALICE)
        .unwrap();
    assert!(
        s.locked,
        "October closes on 2026-11-06 (5 days after its end)"
    );
    assert_eq!(s.total, m(7_000), "50.00 + 20.00");
    s
}

#[test]
fn basic_with_kpi_coefficient() {
    // Alice: calls 24 of 20 = 120 % → × 1.25 on basic. 5 % × 1,000.00 × 1.25 = 62.50;
    // 5 % × 300.00 × 1.25 = 18.75; 5 % × 2,000.00 × 1.25 = 125.00;
    // credit note 5 % × -200.00 × 1.25 = -12.50.
    let s = &run(&[], TODAY)[&ALICE];
    let basic = |subject| line(s, ComponentKind::Basic, subject).amount.0;
    assert_eq!(basic("account.move/101"), 6_250);
    assert_eq!(basic("account.move/102"), 1_875);
    assert_eq!(basic("account.move/103"), 12_500);
    assert_eq!(basic("account.move/104"), -1_250);
    let l = line(s, ComponentKind::Basic, "account.move/101");
    assert_eq!(l.base, Base::Amount(m(100_000)));
    assert_eq!(l.rate, Rate::Percent(Ratio(50_000)));
    assert_eq!(l.coefficient, Ratio(1_250_000));
    assert_eq!(
        l.explain(2),
        "Basic 5% of 1000.00 × 1.25 = 62.50 — INV/2026/0101"
    );
    let refund = line(s, ComponentKind::Basic, "account.move/104");
    assert_eq!(refund.label, "RINV/2026/0104 (refund of INV/2026/0101)");
}

#[test]
fn addon_rate_and_per_unit() {
    // Warranty 10 % of its line: 10 % × 200.00 = 20.00, refunded -20.00;
    // installation 25.00 per unit × 2 = 50.00. No coefficient on add-ons.
    let s = &run(&[], TODAY)[&ALICE];
    let addon = |subject| line(s, ComponentKind::Addon, subject).amount.0;
    assert_eq!(addon("account.move/101/addon:warranty"), 2_000);
    assert_eq!(addon("account.move/104/addon:warranty"), -2_000);
    let inst = line(s, ComponentKind::Addon, "account.move/102/addon:install");
    assert_eq!(inst.amount, m(5_000));
    assert_eq!(inst.base, Base::Units(scorekeeper::pay::Qty(2_000)));
    assert_eq!(inst.rate, Rate::PerUnit(m(2_500)));
}

#[test]
fn repeat_purchase_within_months() {
    // Customer 100 bought on 2026-03-10 (within 12 months of 2026-11-03): 2 % × 1,000.00 =
    // 20.00; its credit note takes back 2 % × 200.00 = 4.00. Customer 200 is new; customer
    // 300's previous purchase (2025-10-01) is more than 12 months before 2026-11-12.
    let s = &run(&[], TODAY)[&ALICE];
    let repeats: Vec<_> = amounts(s)
        .into_iter()
        .filter(|(k, _, _)| *k == ComponentKind::Repeat)
        .map(|(_, subj, a)| (subj, a))
        .collect();
    assert_eq!(
        repeats,
        vec![
            ("account.move/101".to_owned(), 2_000),
            ("account.move/104".to_owned(), -400)
        ]
    );
}

#[test]
fn referral_credits_the_referrer_not_the_salesperson() {
    // Bob referred customer 100: 3 % × 1,000.00 = 30.00, and -3 % × 200.00 = -6.00 on the
    // credit note. Alice referring her own customer (0103) earns no referral.
    let all = run(&[], TODAY);
    assert_eq!(
        amounts(&all[&BOB]),
        vec![
            (
                ComponentKind::Referral,
                "account.move/101".to_owned(),
                3_000
            ),
            (ComponentKind::Referral, "account.move/104".to_owned(), -600),
        ]
    );
    assert_eq!(all[&BOB].total, m(2_400));
    assert!(
        !all[&ALICE]
            .lines
            .iter()
            .any(|l| l.key.component == ComponentKind::Referral)
    );
}

#[test]
fn incidental_is_paid_as_recorded() {
    let s = &run(&[], TODAY)[&ALICE];
    let l = line(s, ComponentKind::Incidental, "x_sk_incidental/7");
    assert_eq!(
        (l.amount, l.label.as_str()),
        (m(15_000), "Trade fair bonus")
    );
}

#[test]
fn tiers_marginal_and_whole_on_the_fixture() {
    // Carl, marginal, target 10,000.00, net 15,500.00: 2 % × 10,000 = 200.00,
    // 4 % × 5,000 = 200.00, 6 % × 500 = 30.00 → 430.00.
    // Dora, whole amount, net 15,000.00 = 150 % exactly → 6 % × 15,000 = 900.00.
    let all = run(&[], TODAY);
    assert_eq!(
        amounts(&all[&CARL]),
        vec![
            (ComponentKind::Tiers, "band/0".to_owned(), 20_000),
            (ComponentKind::Tiers, "band/1".to_owned(), 20_000),
            (ComponentKind::Tiers, "band/2".to_owned(), 3_000),
        ]
    );
    assert_eq!(all[&CARL].total, m(43_000));
    assert_eq!(
        amounts(&all[&DORA]),
        vec![(ComponentKind::Tiers, "band/2".to_owned(), 90_000)]
    );
}

fn tier_pay(mode: TierMode, net: i64) -> i64 {
    let t = Tiers {
        mode,
        target: m(1_000_000),
        bands: vec![
            TierBand {
                from: Ratio(0),
                rate: Ratio(20_000),
            },
            TierBand {
                from: Ratio(1_000_000),
                rate: Ratio(40_000),
            },
            TierBand {
                from: Ratio(1_500_000),
                rate: Ratio(60_000),
            },
        ],
    };
    t.slices(m(net))
        .iter()
        .map(|s| s.base.apply(s.rate, Ratio::ONE).0)
        .sum()
}

#[test]
fn tier_edges_marginal() {
    // 9,999.99 × 2 % = 199.9998 → 200.00; 10,000.00 → 200.00 (the 4 % band starts above);
    // 10,000.01 → 200.00 + 0.01 × 4 % (0.0004 → 0.00) = 200.00; 10,000.13 → 200.00 + 0.0052
    // → 200.01; 15,000.00 → 200.00 + 200.00; 15,000.50 → 400.00 + 0.03; nothing below 0.
    assert_eq!(tier_pay(TierMode::Marginal, 999_999), 20_000);
    assert_eq!(tier_pay(TierMode::Marginal, 1_000_000), 20_000);
    assert_eq!(tier_pay(TierMode::Marginal, 1_000_001), 20_000);
    assert_eq!(tier_pay(TierMode::Marginal, 1_000_013), 20_001);
    assert_eq!(tier_pay(TierMode::Marginal, 1_500_000), 40_000);
    assert_eq!(tier_pay(TierMode::Marginal, 1_500_050), 40_003);
    assert_eq!(tier_pay(TierMode::Marginal, -50_000), 0);
}

#[test]
fn tier_edges_whole_amount() {
    // 9,999.99 × 2 % = 200.00 (199.9998); exactly 10,000.00 reaches 4 %: 400.00;
    // 14,999.99 × 4 % = 600.00 (599.9996); exactly 15,000.00 × 6 % = 900.00.
    assert_eq!(tier_pay(TierMode::Whole, 999_999), 20_000);
    assert_eq!(tier_pay(TierMode::Whole, 1_000_000), 40_000);
    assert_eq!(tier_pay(TierMode::Whole, 1_499_999), 60_000);
    assert_eq!(tier_pay(TierMode::Whole, 1_500_000), 90_000);
    assert_eq!(tier_pay(TierMode::Whole, 0), 0);
}

#[test]
fn setter_and_closer_on_the_same_deal() {
    // Tina booked meeting 900 that led to Carl's INV/2026/0105: Tina earns 20.00 per
    // qualified meeting (900, 901; 902 is in December) = 40.00 and nothing of the deal;
    // Carl earns the deal through his tiers and nothing of the meeting.
    let all = run(&[], TODAY);
    assert_eq!(
        amounts(&all[&TINA]),
        vec![
            (
                ComponentKind::Setter,
                "calendar.event/900".to_owned(),
                2_000
            ),
            (
                ComponentKind::Setter,
                "calendar.event/901".to_owned(),
                2_000
            ),
        ]
    );
    assert_eq!(all[&TINA].total, m(4_000));
    assert!(
        all[&CARL]
            .lines
            .iter()
            .all(|l| l.key.component == ComponentKind::Tiers)
    );
    assert!(
        all[&TINA]
            .lines
            .iter()
            .all(|l| !l.key.subject.starts_with("account.move"))
    );
}

#[test]
fn satisfaction_coefficient_for_a_manager() {
    // Mona: average rating 4.6 of target 4 = 115 % → × 1.1; 1 % × 5,000.00 × 1.1 = 55.00.
    let s = &run(&[], TODAY)[&MONA];
    assert_eq!(
        amounts(s),
        vec![(ComponentKind::Basic, "account.move/108".to_owned(), 5_500)]
    );
    let note = s.coefficients.iter().find(|n| n.key == "csat").unwrap();
    assert_eq!(
        (note.achievement, note.factor),
        (Some(Ratio(1_150_000)), Ratio(1_100_000))
    );
}

#[test]
fn kpi_coefficient_outside_its_group_is_neutral() {
    let s = &run(&[], TODAY)[&BOB];
    let note = s.coefficients.iter().find(|n| n.key == "care").unwrap();
    assert_eq!((note.factor, note.achievement), (Ratio::ONE, None));
}

#[test]
fn alice_total_without_adjustments() {
    // basic 62.50 + 18.75 + 125.00 - 12.50 = 193.75; add-ons 20.00 - 20.00 + 50.00 = 50.00;
    // repeat 20.00 - 4.00 = 16.00; incidental 150.00 → 409.75.
    let s = &run(&[], TODAY)[&ALICE];
    assert_eq!(s.total, m(40_975));
    assert!(!s.locked);
}

#[test]
fn refund_after_lock_becomes_an_adjustment_naming_the_original() {
    // October is locked with 0089 (50.00) and 0090 (20.00). Now: 0090 is cancelled → -20.00;
    // the October-dated credit note 0091 of -100.00 → 5 % × -100.00 × 1 = -5.00. Both go to
    // November as adjustment lines naming the original document; October is untouched.
    let oct = locked_october();
    let all = run(std::slice::from_ref(&oct), TODAY);
    let s = &all[&ALICE];
    let cancelled = line(s, ComponentKind::Basic, "adj:2026-10:account.move/90");
    assert_eq!(cancelled.amount, m(-2_000));
    assert_eq!(cancelled.base, Base::Amount(m(-40_000)));
    let origin = cancelled.origin.as_ref().unwrap();
    assert_eq!(
        (origin.period.to_string(), origin.label.as_str()),
        ("2026-10".to_owned(), "INV/2026/0090")
    );
    let refund = line(s, ComponentKind::Basic, "adj:2026-10:account.move/91");
    assert_eq!(refund.amount, m(-500));
    assert_eq!(
        refund.origin.as_ref().unwrap().label,
        "RINV/2026/0091 (refund of INV/2026/0089)"
    );
    // 409.75 - 20.00 - 5.00.
    assert_eq!(s.total, m(38_475));
    // Asking for October again is refused with the reason.
    let cfg = config();
    let input = input();
    let calc = Calc {
        config: &cfg,
        input: &input,
        stored: std::slice::from_ref(&oct),
        today: d(TODAY),
    };
    let err = calc
        .statements(Period::parse("2026-10").unwrap())
        .unwrap_err();
    assert!(matches!(err, PayError::Locked { locked: 1, .. }), "{err}");
    assert!(
        err.to_string().contains("adjustment lines of 2026-11"),
        "{err}"
    );
}

#[test]
fn adjustments_already_booked_in_a_locked_statement_are_not_paid_twice() {
    // November locked with the two adjustments; December must not repeat them.
    let oct = locked_october();
    let nov = run(std::slice::from_ref(&oct), "2026-12-06");
    let nov_alice = nov[&ALICE].clone();
    assert!(nov_alice.locked);
    let cfg = config();
    let input = input();
    let stored = vec![oct, nov_alice];
    let calc = Calc {
        config: &cfg,
        input: &input,
        stored: &stored,
        today: d("2026-12-10"),
    };
    let dec = calc.statements(Period::parse("2026-12").unwrap()).unwrap();
    let alice = dec.iter().find(|s| s.user == ALICE).unwrap();
    assert!(alice.lines.is_empty(), "{:#?}", alice.lines);
}

#[test]
fn overlapping_plans_are_refused_unless_they_stack() {
    let mut cfg = config();
    let mut input = input();
    input.members.get_mut("managers").unwrap().insert(ALICE);
    let calc = Calc {
        config: &cfg,
        input: &input,
        stored: &[],
        today: d(TODAY),
    };
    let err = calc.statements(nov()).unwrap_err();
    assert_eq!(
        err,
        PayError::Overlap {
            user: ALICE,
            component: ComponentKind::Basic,
            first: "affiliates".into(),
            second: "managers".into()
        }
    );
    for p in &mut cfg.plans {
        p.stack = true;
    }
    let calc = Calc {
        config: &cfg,
        input: &input,
        stored: &[],
        today: d(TODAY),
    };
    let alice = calc
        .statements(nov())
        .unwrap()
        .into_iter()
        .find(|s| s.user == ALICE)
        .unwrap();
    // Mona's 1 % plan now also pays Alice: 1 % of her 3,100.00 net, with csat (no ratings: × 1).
    let extra: i64 = alice
        .lines
        .iter()
        .filter(|l| l.key.plan == "managers")
        .map(|l| l.amount.0)
        .sum();
    assert_eq!(extra, 1_000 + 300 + 2_000 - 200);
}

#[test]
fn statements_lock_when_the_period_closes() {
    assert!(run(&[], "2026-12-06").values().all(|s| s.locked));
    assert!(run(&[], "2026-12-05").values().all(|s| !s.locked));
}
