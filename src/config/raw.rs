//! The config file exactly as written: serde structs with spans and no unknown keys.
//! Nothing outside `config` sees these; `load` turns them into validated types.

use serde::Deserialize;
use toml::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    pub odoo: Spanned<RawOdoo>,
    pub state: Option<Spanned<RawState>>,
    pub gamification: Option<Spanned<RawGamification>>,
    pub daemon: Option<Spanned<super::daemon::RawDaemon>>,
    pub http: Option<Spanned<super::daemon::RawHttp>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOdoo {
    pub url: Spanned<String>,
    pub database: Spanned<String>,
    pub login: Spanned<String>,
    pub password_env: Option<Spanned<String>>,
    pub password_file: Option<Spanned<String>>,
    pub timeout_secs: Option<Spanned<u64>>,
    pub batch_size: Option<Spanned<u64>>,
    pub retries: Option<Spanned<RawRetries>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRetries {
    pub max_attempts: Option<Spanned<u32>>,
    pub base_delay_ms: Option<Spanned<u64>>,
    pub max_delay_ms: Option<Spanned<u64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawState {
    pub path: Spanned<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawGamification {
    pub schedule: Option<Spanned<String>>,
    pub odoo_challenges: Option<Spanned<bool>>,
    pub batch_missing_as_zero: Option<Spanned<bool>>,
    #[serde(default)]
    pub challenges: Vec<Spanned<RawChallenge>>,
    #[serde(default)]
    pub point_rules: Vec<Spanned<RawPointRule>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawChallenge {
    pub name: Spanned<String>,
    pub period: Option<Spanned<String>>,
    pub users: Option<Vec<Spanned<String>>>,
    pub user_domain: Option<Spanned<String>>,
    pub team: Option<Spanned<String>>,
    #[serde(default)]
    pub lines: Vec<Spanned<RawChallengeLine>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawChallengeLine {
    pub name: Spanned<String>,
    pub model: Spanned<String>,
    pub count: Option<Spanned<bool>>,
    pub sum: Option<Spanned<String>>,
    pub domain: Option<Spanned<String>>,
    pub date_field: Option<Spanned<String>>,
    pub user_field: Spanned<String>,
    pub target: Spanned<f64>,
    pub condition: Option<Spanned<String>>,
    pub suffix: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPointRule {
    pub key: Spanned<String>,
    pub name: Spanned<String>,
    pub model: Spanned<String>,
    pub domain: Option<Spanned<String>>,
    pub user_field: Spanned<String>,
    pub points: Spanned<i64>,
    pub amount_field: Option<Spanned<String>>,
    pub per_amount: Option<Spanned<f64>>,
    pub date_field: Option<Spanned<String>>,
}
