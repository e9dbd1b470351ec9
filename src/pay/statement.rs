//! Statements: one per person per period, made of lines that each explain an amount
//! (document, component, base, rate, coefficient, amount), and the rules of a locked
//! statement: it never changes; what changed after the lock (a credit note dated in the
//! locked period, a cancelled invoice) becomes an **adjustment** line in the first open
//! period after it, naming the original document.

use std::collections::BTreeMap;

use super::coefficient::{CoefficientNote, factor_text};
use super::money::{Money, Qty, Ratio};
use super::period::Period;
use super::plan::ComponentKind;

/// What a line's rate applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Base {
    Amount(Money),
    Units(Qty),
    Meetings(i64),
    /// A fixed amount (incidental).
    None,
}

/// How the line's amount follows from its base.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rate {
    Percent(Ratio),
    PerUnit(Money),
    Fixed(Money),
}

/// Identifies a line within a person's statement across runs: `(plan, component, subject)`;
/// the subject names what earned (`account.move/42`, `band/1`, `calendar.event/7`,
/// `account.move/42/addon:warranty`, `adj:2026-11:account.move/42`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LineKey {
    pub plan: String,
    pub component: ComponentKind,
    pub subject: String,
}

impl LineKey {
    /// Text form, stored in Odoo (`x_sk_key` of the line, with the statement's key).
    pub(crate) fn text(&self) -> String {
        format!("{}:{}:{}", self.plan, self.component.code(), self.subject)
    }
}

/// For an adjustment line: the locked period and the document (or what) it corrects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    pub period: Period,
    pub label: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    pub key: LineKey,
    /// Human label: the document's name, the band, the meeting, the incidental's text.
    pub label: String,
    pub base: Base,
    pub rate: Rate,
    pub coefficient: Ratio,
    pub amount: Money,
    pub origin: Option<Origin>,
}

impl Line {
    /// One sentence: `Basic 5% of INV/2026/00042 (1000.00) × 1.2 = 60.00`.
    pub fn explain(&self, decimals: u32) -> String {
        let base = match self.base {
            Base::Amount(m) => format!(" of {}", m.display(decimals)),
            Base::Units(q) => format!(" × {q} units"),
            Base::Meetings(n) => format!(" × {n} meeting{}", if n == 1 { "" } else { "s" }),
            Base::None => String::new(),
        };
        let rate = match self.rate {
            Rate::Percent(r) => r.to_string(),
            Rate::PerUnit(m) | Rate::Fixed(m) => m.display(decimals),
        };
        let coef = if self.coefficient == Ratio::ONE {
            String::new()
        } else {
            format!(" × {}", factor_text(self.coefficient))
        };
        let origin = self
            .origin
            .as_ref()
            .map(|o| format!(" (adjusts {} of {})", o.label, o.period))
            .unwrap_or_default();
        format!(
            "{} {rate}{base}{coef} = {} — {}{origin}",
            self.key.component.label(),
            self.amount.display(decimals),
            self.label,
        )
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Statement {
    pub user: i64,
    pub name: String,
    pub period: Period,
    /// Sorted by key.
    pub lines: Vec<Line>,
    pub total: Money,
    pub locked: bool,
    /// How each coefficient was worked out (explanation; not summed).
    pub coefficients: Vec<CoefficientNote>,
}

impl Statement {
    /// Builds a statement whose total is the sum of its lines (always: the only way in).
    pub(crate) fn new(
        user: i64,
        name: String,
        period: Period,
        mut lines: Vec<Line>,
        locked: bool,
        coefficients: Vec<CoefficientNote>,
    ) -> Statement {
        lines.sort_by(|a, b| a.key.cmp(&b.key));
        let total = lines.iter().map(|l| l.amount).sum();
        Statement {
            user,
            name,
            period,
            lines,
            total,
            locked,
            coefficients,
        }
    }

    /// Text key of the statement (`x_sk_key`): `pay:<user>:<period>`.
    pub(crate) fn key(&self) -> String {
        statement_key(self.user, self.period)
    }
}

pub(crate) fn statement_key(user: i64, period: Period) -> String {
    format!("pay:{user}:{period}")
}

/// The adjustment lines a locked period `locked` needs so that what was paid for it
/// (its locked lines plus adjustments already booked for it in later locked statements,
/// `booked`) matches what it should have paid (`fresh`, recomputed from today's data).
pub(crate) fn adjustments(locked: &Statement, booked: &[&Line], fresh: &[Line]) -> Vec<Line> {
    let mut paid: BTreeMap<&LineKey, (Money, &Line)> = BTreeMap::new();
    for l in &locked.lines {
        if l.origin.is_none() {
            paid.insert(&l.key, (l.amount, l));
        }
    }
    // Adjustments booked later for this period carry the key of the line they adjust in
    // their subject; map them back.
    let mut later: BTreeMap<&LineKey, Money> = BTreeMap::new();
    for l in booked {
        let e = later.entry(&l.key).or_default();
        *e = *e + l.amount;
    }
    let should: BTreeMap<&LineKey, &Line> = fresh.iter().map(|l| (&l.key, l)).collect();
    let mut keys: Vec<&LineKey> = paid.keys().chain(should.keys()).copied().collect();
    keys.sort();
    keys.dedup();
    let mut out = Vec::new();
    for key in keys {
        let adj_key = LineKey {
            plan: key.plan.clone(),
            component: key.component,
            subject: adjustment_subject(locked.period, key),
        };
        let was = paid.get(key).map_or(Money(0), |(m, _)| *m)
            + later.get(&adj_key).copied().unwrap_or_default();
        let now = should.get(key).map_or(Money(0), |l| l.amount);
        let diff = now - was;
        if diff.0 == 0 {
            continue;
        }
        let model = should
            .get(key)
            .copied()
            .or_else(|| paid.get(key).map(|(_, l)| *l));
        let Some(model) = model else { continue };
        // The base moved by as much as the amount did: a cancelled invoice of 1,000 shows
        // "5 % of -1,000"; bases of other kinds (units, meetings) are shown as they are now.
        let base_of = |l: Option<&Line>| match l.map(|l| l.base) {
            Some(Base::Amount(m)) => Some(m),
            None => Some(Money(0)),
            Some(_) => None,
        };
        let base = match (
            base_of(should.get(key).copied()),
            base_of(paid.get(key).map(|(_, l)| *l)),
        ) {
            (Some(now), Some(was)) => Base::Amount(now - was),
            _ => model.base,
        };
        out.push(Line {
            key: adj_key,
            label: format!("Adjustment: {}", model.label),
            base,
            rate: model.rate,
            coefficient: model.coefficient,
            amount: diff,
            origin: Some(Origin {
                period: locked.period,
                label: model.label.clone(),
            }),
        });
    }
    out
}

/// `adj:<period>:<subject>` — unique per corrected line and locked period.
pub(crate) fn adjustment_subject(period: Period, key: &LineKey) -> String {
    format!("adj:{period}:{}", key.subject)
}
