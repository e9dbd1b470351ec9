//! Statements as Odoo records and back: the values of a statement and of a line, and the
//! statements read from Odoo turned into engine statements (locked ones are what the engine
//! must never change and computes adjustments against).

use crate::pay::coefficient::factor_text;
use crate::pay::{
    Base, ComponentKind, Line, LineKey, Money, Origin, Period, Rate, Ratio, Statement,
};
use crate::plan::{IdemKey, InvalidKey};
use crate::record::Value;

/// The idempotency key of a statement: `pay:<user>:<period>`.
pub(crate) fn statement_key(s: &Statement) -> Result<IdemKey, InvalidKey> {
    IdemKey::new(s.key())
}

/// The key of a line: the statement's and a 64-bit digest of the line's own key (plan keys
/// and subjects may hold characters a key cannot, `x_sk_incidental/7`, and may be long).
pub(crate) fn line_key(s: &Statement, l: &Line) -> Result<IdemKey, InvalidKey> {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in l.key.text().bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    IdemKey::new(format!("{}:l={hash:016x}", s.key()))
}

/// `5%`, `20.00 per unit`, `150.00` — how the line's amount follows from its base.
pub(crate) fn rate_text(rate: Rate, decimals: u32) -> String {
    match rate {
        Rate::Percent(r) => r.to_string(),
        Rate::PerUnit(m) => format!("{} per unit", m.display(decimals)),
        Rate::Fixed(m) => m.display(decimals),
    }
}

fn base_number(base: Base, decimals: u32) -> f64 {
    match base {
        Base::Amount(m) => m.to_odoo(decimals),
        Base::Units(q) => q.to_string().parse().unwrap_or(0.0),
        #[allow(clippy::cast_precision_loss)]
        Base::Meetings(n) => n as f64,
        Base::None => 0.0,
    }
}

/// The fields of a statement (without its key and lines).
pub(crate) fn statement_values(
    s: &Statement,
    decimals: u32,
    closed_on: Option<&str>,
) -> Vec<(String, Value)> {
    let mut v = vec![
        (
            "x_name".to_owned(),
            Value::Str(format!("{} {}", s.period, s.name)),
        ),
        ("x_user_id".to_owned(), Value::Many2one(s.user)),
        ("x_period".to_owned(), Value::Str(s.period.to_string())),
        (
            "x_total".to_owned(),
            Value::Float(s.total.to_odoo(decimals)),
        ),
        ("x_locked".to_owned(), Value::Bool(s.locked)),
    ];
    if let (true, Some(d)) = (s.locked, closed_on) {
        v.push(("x_closed_on".to_owned(), Value::Str(d.to_owned())));
    }
    v
}

/// The fields of a line (without its key and statement).
pub(crate) fn line_values(l: &Line, decimals: u32) -> Vec<(String, Value)> {
    vec![
        ("x_name".to_owned(), Value::Str(l.explain(decimals))),
        ("x_line_key".to_owned(), Value::Str(l.key.text())),
        (
            "x_kind".to_owned(),
            Value::Str(l.key.component.code().to_owned()),
        ),
        ("x_document".to_owned(), Value::Str(l.label.clone())),
        (
            "x_origin_period".to_owned(),
            l.origin
                .as_ref()
                .map_or(Value::Null, |o| Value::Str(o.period.to_string())),
        ),
        (
            "x_base".to_owned(),
            Value::Float(base_number(l.base, decimals)),
        ),
        ("x_rate".to_owned(), Value::Str(rate_text(l.rate, decimals))),
        (
            "x_coefficient".to_owned(),
            Value::Float(factor_text(l.coefficient).parse().unwrap_or(1.0)),
        ),
        (
            "x_amount".to_owned(),
            Value::Float(l.amount.to_odoo(decimals)),
        ),
    ]
}

/// A line read back from Odoo: its stored key text, document label, origin and amounts.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct StoredLine {
    pub id: i64,
    pub line_key: String,
    pub document: String,
    pub origin_period: Option<String>,
    pub base: f64,
    pub amount: f64,
    pub coefficient: f64,
}

/// Rebuilds an engine line from what Odoo holds; `None` when the key or origin cannot be
/// read (a line edited by hand: reported, never guessed).
pub(crate) fn engine_line(l: &StoredLine, decimals: u32) -> Option<Line> {
    let mut parts = l.line_key.splitn(3, ':');
    let plan = parts.next()?.to_owned();
    let component = ComponentKind::parse(parts.next()?)?;
    let subject = parts.next()?.to_owned();
    let origin = match &l.origin_period {
        Some(p) => Some(Origin {
            period: Period::parse(p).ok()?,
            label: l.document.trim_start_matches("Adjustment: ").to_owned(),
        }),
        None => None,
    };
    let coefficient = Ratio::parse(&format!("{}", l.coefficient)).ok()?;
    Some(Line {
        key: LineKey {
            plan,
            component,
            subject,
        },
        label: l.document.clone(),
        base: Base::Amount(Money::from_odoo(l.base, decimals)?),
        rate: Rate::Percent(Ratio::ZERO),
        coefficient,
        amount: Money::from_odoo(l.amount, decimals)?,
        origin,
    })
}
