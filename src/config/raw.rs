//! The config file exactly as written: serde structs with spans and no unknown keys.
//! Nothing outside `config` sees these; `load` turns them into validated types.

use serde::Deserialize;
use toml::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawConfig {
    pub odoo: Spanned<RawOdoo>,
    pub state: Option<Spanned<RawState>>,
    pub gamification: Option<Spanned<RawGamification>>,
    pub daemon: Option<Spanned<super::daemon::RawDaemon>>,
    pub http: Option<Spanned<super::daemon::RawHttp>>,
    pub scoring: Option<Spanned<RawScoring>>,
    pub assignment: Option<Spanned<RawAssignment>>,
    pub pay: Option<Spanned<super::pay::RawPay>>,
    pub webhooks: Option<Spanned<super::webhooks::RawWebhooks>>,
    pub recognition: Option<Spanned<super::recognition::RawRecognition>>,
    pub board: Option<Spanned<super::board::RawBoard>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawOdoo {
    pub url: Spanned<String>,
    pub database: Spanned<String>,
    pub login: Spanned<String>,
    pub password_env: Option<Spanned<String>>,
    pub password_file: Option<Spanned<String>>,
    pub timeout_secs: Option<Spanned<u64>>,
    pub batch_size: Option<Spanned<u64>>,
    pub max_concurrency: Option<Spanned<u64>>,
    pub request_deadline_secs: Option<Spanned<u64>>,
    pub retries: Option<Spanned<RawRetries>>,
    pub protocol: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRetries {
    pub max_attempts: Option<Spanned<u32>>,
    pub base_delay_ms: Option<Spanned<u64>>,
    pub max_delay_ms: Option<Spanned<u64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawState {
    pub path: Spanned<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawGamification {
    pub schedule: Option<Spanned<String>>,
    pub odoo_challenges: Option<Spanned<bool>>,
    pub batch_missing_as_zero: Option<Spanned<bool>>,
    #[serde(default)]
    pub challenges: Vec<Spanned<RawChallenge>>,
    #[serde(default)]
    pub point_rules: Vec<Spanned<RawPointRule>>,
    pub level_drop: Option<Spanned<String>>,
    #[serde(default)]
    pub levels: Vec<Spanned<RawLevel>>,
    #[serde(default)]
    pub badge_rules: Vec<Spanned<RawBadgeRule>>,
    #[serde(default)]
    pub team_points: Vec<Spanned<RawTeamPoints>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTeamPoints {
    pub key: Spanned<String>,
    pub name: Spanned<String>,
    pub teams: Option<Vec<Spanned<String>>>,
    pub model: Spanned<String>,
    pub domain: Option<Spanned<String>>,
    pub team_field: Option<Spanned<String>>,
    pub date_field: Spanned<String>,
    pub aggregate: Option<Spanned<String>>,
    pub field: Option<Spanned<String>>,
    pub target: Option<Spanned<f64>>,
    pub target_field: Option<Spanned<String>>,
    pub period: Option<Spanned<String>>,
    pub points: Spanned<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawBadgeRule {
    pub key: Spanned<String>,
    pub name: Spanned<String>,
    pub badge: Spanned<String>,
    pub model: Spanned<String>,
    pub domain: Option<Spanned<String>>,
    pub user_field: Spanned<String>,
    pub date_field: Option<Spanned<String>>,
    pub aggregate: Option<Spanned<String>>,
    pub field: Option<Spanned<String>>,
    pub threshold: Spanned<f64>,
    pub period: Option<Spanned<String>>,
    pub team: Option<Spanned<bool>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawLevel {
    pub key: Spanned<String>,
    pub name: Spanned<String>,
    pub karma_min: Spanned<i64>,
    pub badge: Spanned<String>,
    pub bonus: Option<Spanned<f64>>,
    pub bonus_each_time: Option<Spanned<bool>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawScoring {
    pub schedule: Option<Spanned<String>>,
    pub full_pass_hours: Option<Spanned<u64>>,
    pub score_field: Spanned<String>,
    pub create_score_field: Option<Spanned<bool>>,
    pub scope: Option<Spanned<String>>,
    pub max_concurrency: Option<Spanned<u64>>,
    pub overlap_secs: Option<Spanned<u64>>,
    #[serde(default)]
    pub rules: Vec<Spanned<RawRule>>,
    #[serde(default)]
    pub caps: Vec<Spanned<RawCap>>,
    #[serde(default)]
    pub bands: Vec<Spanned<RawBand>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawChallenge {
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
pub(crate) struct RawChallengeLine {
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
pub(crate) struct RawPointRule {
    pub key: Spanned<String>,
    pub name: Spanned<String>,
    pub model: Spanned<String>,
    pub domain: Option<Spanned<String>>,
    pub user_field: Spanned<String>,
    pub points: Spanned<i64>,
    pub amount_field: Option<Spanned<String>>,
    pub per_amount: Option<Spanned<f64>>,
    pub date_field: Option<Spanned<String>>,
    pub users: Option<Vec<Spanned<String>>>,
    pub teams: Option<Vec<Spanned<String>>>,
    pub groups: Option<Vec<Spanned<String>>>,
    pub user_domain: Option<Spanned<String>>,
    pub daily_cap: Option<Spanned<i64>>,
    pub period_cap: Option<Spanned<i64>>,
    pub cap_period: Option<Spanned<String>>,
    pub refund_window_days: Option<Spanned<i64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRule {
    pub name: Spanned<String>,
    pub domain: Spanned<String>,
    pub points: Spanned<i64>,
    pub cap: Option<Spanned<String>>,
    pub decay: Option<Spanned<RawDecay>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDecay {
    pub field: Spanned<String>,
    pub half_life_days: Spanned<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCap {
    pub name: Spanned<String>,
    pub min: Option<Spanned<i64>>,
    pub max: Option<Spanned<i64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawBand {
    pub name: Spanned<String>,
    pub min_score: Spanned<i64>,
    pub priority: Option<Spanned<String>>,
    pub tag: Option<Spanned<String>>,
}

/// A record named by id or by name.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum RawRef {
    Id(i64),
    Name(String),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAssignment {
    pub strategy: Option<Spanned<String>>,
    pub work_days: Option<Spanned<f64>>,
    pub reassign_stale_days: Option<Spanned<u64>>,
    #[serde(default)]
    pub teams: Vec<Spanned<RawTeam>>,
    #[serde(default)]
    pub members: Vec<Spanned<RawMember>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTeam {
    pub team: Spanned<RawRef>,
    pub min_score: Option<Spanned<i64>>,
    pub domain: Option<Spanned<String>>,
    pub order: Option<Spanned<i64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawMember {
    pub user: Spanned<RawRef>,
    pub team: Option<Spanned<RawRef>>,
    pub max: Option<Spanned<i64>>,
    pub domain: Option<Spanned<String>>,
    pub optout: Option<Spanned<bool>>,
}
