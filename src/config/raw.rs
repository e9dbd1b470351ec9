//! The config file exactly as written: serde structs with spans and no unknown keys.
//! Nothing outside `config` sees these; `load` turns them into validated types.

use serde::Deserialize;
use toml::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    pub odoo: Spanned<RawOdoo>,
    pub state: Option<Spanned<RawState>>,
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
