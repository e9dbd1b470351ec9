//! The `[pay]` section as written: what serde reads from the TOML, with spans for messages.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

/// A number as written: a TOML integer, float or string (all read as exact decimals).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum RawNum {
    Int(i64),
    Float(f64),
    Text(String),
}

impl RawNum {
    pub(super) fn text(&self) -> String {
        match self {
            RawNum::Int(i) => i.to_string(),
            // Rust prints the shortest text that reads back as the same float: 0.05 → "0.05".
            RawNum::Float(f) => format!("{f}"),
            RawNum::Text(s) => s.clone(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPay {
    pub schedule: Option<Spanned<String>>,
    pub currency_decimals: Option<Spanned<u32>>,
    pub close_after_days: Option<Spanned<u32>>,
    #[serde(default)]
    pub plans: Vec<Spanned<RawPlan>>,
    #[serde(default)]
    pub kpis: Vec<Spanned<RawKpi>>,
    #[serde(default)]
    pub coefficients: Vec<Spanned<RawCoefficient>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPlan {
    pub key: Spanned<String>,
    pub name: Spanned<String>,
    pub users: Option<Vec<Spanned<String>>>,
    pub team: Option<Spanned<String>>,
    pub group: Option<Spanned<String>>,
    pub user_domain: Option<Spanned<String>>,
    pub period: Option<Spanned<String>>,
    pub documents: Option<Spanned<String>>,
    pub user_field: Option<Spanned<String>>,
    pub stack: Option<Spanned<bool>>,
    pub basic: Option<Spanned<RawNum>>,
    pub tiers: Option<Spanned<RawTiers>>,
    #[serde(default)]
    pub addons: Vec<Spanned<RawAddon>>,
    pub repeat: Option<Spanned<RawRepeat>>,
    pub incidental: Option<Spanned<RawIncidental>>,
    pub referral: Option<Spanned<RawReferral>>,
    pub setter: Option<Spanned<RawSetter>>,
    pub coefficients: Option<Spanned<BTreeMap<String, Vec<Spanned<String>>>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTiers {
    pub mode: Spanned<String>,
    pub target: Spanned<RawNum>,
    pub bands: Vec<Spanned<RawTierBand>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTierBand {
    pub from: Spanned<RawNum>,
    pub rate: Spanned<RawNum>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAddon {
    pub key: Spanned<String>,
    pub products: Spanned<String>,
    pub rate: Option<Spanned<RawNum>>,
    pub per_unit: Option<Spanned<RawNum>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRepeat {
    pub rate: Spanned<RawNum>,
    pub within_months: Spanned<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawIncidental {
    pub model: Option<Spanned<String>>,
    pub user_field: Option<Spanned<String>>,
    pub amount_field: Option<Spanned<String>>,
    pub date_field: Option<Spanned<String>>,
    pub domain: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawReferral {
    pub rate: Spanned<RawNum>,
    pub partner_field: Option<Spanned<String>>,
    pub utm: Option<Spanned<bool>>,
    pub code_field: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSetter {
    pub per_meeting: Spanned<RawNum>,
    pub domain: Spanned<String>,
    pub setter_field: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawKpi {
    pub key: Spanned<String>,
    pub model: Spanned<String>,
    pub count: Option<Spanned<bool>>,
    pub sum: Option<Spanned<String>>,
    pub avg: Option<Spanned<String>>,
    pub domain: Option<Spanned<String>>,
    pub user_field: Spanned<String>,
    pub date_field: Spanned<String>,
    pub target: Spanned<RawNum>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCoefficient {
    pub key: Spanned<String>,
    pub kpis: Option<Vec<Spanned<String>>>,
    pub satisfaction: Option<Spanned<RawSatisfaction>>,
    pub group: Option<Spanned<String>>,
    pub bands: Vec<Spanned<RawCoefBand>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSatisfaction {
    pub target: Spanned<RawNum>,
    pub model: Option<Spanned<String>>,
    pub field: Option<Spanned<String>>,
    pub user_field: Option<Spanned<String>>,
    pub date_field: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCoefBand {
    pub from: Spanned<RawNum>,
    pub factor: Spanned<RawNum>,
}
