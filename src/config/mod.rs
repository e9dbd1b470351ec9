//! The TOML configuration: read once, turned into validated types (parse, don't validate),
//! with every mistake reported as `file:line:column key.path: message (hint: ...)`.
//! Sections are raw serde structs (`raw`) converted by one `validate` function each.
//!
//! Adding a section (`[scoring]`, ...): a `RawX` with `deny_unknown_fields` and `Spanned`
//! leaves in `raw.rs`, an `Option<Spanned<RawX>>` member of `RawConfig`, and an `x.rs` with
//! `validate(raw, &mut Ctx) -> Option<X>` that reports through `ctx.error(span, key, ..)` and
//! records every Odoo field it names with `ctx.names_field(model, path, key, span)` into
//! `Config::field_refs` (which `check` verifies with `fields_get`), every domain with
//! `ctx.names_domain` (operators checked here, value types by `check`), every team or tag it
//! names with `ctx.names_record` and every model with `ctx.names_model`. Nothing here does
//! I/O: the server-side verification lives in the `check` module.

mod assignment;
mod board;
mod context;
mod daemon;
mod diagnostic;
mod fields;
mod gamification;
mod keypath;
mod odoo;
mod pay;
mod raw;
mod recognition;
mod scoring;
mod state;
mod webhooks;

use std::path::{Path, PathBuf};

pub use assignment::{AssignmentConfig, MemberOverride, RecordRef, TeamConfig};
pub use board::BoardConfig;
pub use context::EnvLookup;
pub use daemon::{DaemonConfig, HttpConfig};
pub use diagnostic::did_you_mean;
pub use diagnostic::{ConfigError, Diagnostic, SourceMap};
pub use fields::{DomainRef, FieldRef, Location, MatchRef, RecordRefAt, XmlIdRef};
pub use gamification::{
    BadgeRuleSpec, ChallengeSpec, GamificationConfig, LevelSpec, LineSpec, Measure, Participants,
    PointRule, RuleScope, TeamPointsSpec, TeamTarget,
};
pub(crate) use odoo::OdooConfig;
#[cfg(test)]
pub(crate) use odoo::PasswordSource;
pub use recognition::{Occasion, RecognitionConfig};
pub(crate) use scoring::LEAD_MODEL;
pub(crate) use scoring::ScoringConfig;
pub(crate) use state::StateConfig;
pub use webhooks::WebhooksConfig;

use context::Ctx;
use raw::RawConfig;

/// The documented example configuration, shipped inside the binary.
pub(crate) const EXAMPLE: &str = include_str!("../../config/example.toml");

/// A fully validated configuration. Later sections (`scoring`, `assignment`, `gamification`)
/// are added here as more validated structs.
#[derive(Clone, Debug)]
pub struct Config {
    /// The file it was loaded from (diagnostics found later, e.g. by `check`, point into it).
    pub path: PathBuf,
    pub odoo: OdooConfig,
    pub state: StateConfig,
    /// `[gamification]`, when present.
    pub gamification: Option<GamificationConfig>,
    /// `[daemon]`: schedule time zone, shutdown grace.
    pub daemon: DaemonConfig,
    /// `[http]`: the admin listener.
    pub http: HttpConfig,
    /// `[scoring]`, when the file has it.
    pub scoring: Option<ScoringConfig>,
    /// `[assignment]`, when the file has it.
    pub assignment: Option<AssignmentConfig>,
    /// `[pay]`: commission plans, KPIs and coefficients, when present.
    pub pay: Option<crate::pay::PayConfig>,
    /// `[webhooks]`: Odoo's automation webhooks on the admin listener, when enabled.
    pub webhooks: Option<WebhooksConfig>,
    /// `[recognition]`: posts in Odoo when someone reaches a goal or earns a badge.
    pub recognition: Option<RecognitionConfig>,
    /// `[board]`: the leaderboard, personal and rules pages on the admin listener.
    pub board: Option<BoardConfig>,
    /// Every Odoo field the sections name, for `check` to verify.
    pub field_refs: Vec<FieldRef>,
    /// Every domain the sections give, for `check` to verify against the field types.
    pub domain_refs: Vec<DomainRef>,
    /// Every record (team, band tag) the sections name, for `check` to look up.
    pub record_refs: Vec<RecordRefAt>,
    /// Every model the sections name by itself (`model = "crm.lead"`; `path` is empty).
    pub model_refs: Vec<FieldRef>,
    /// Every record the sections name by XML id (pay's groups), for `check` to resolve.
    pub xml_id_refs: Vec<XmlIdRef>,
    /// Every domain that must select something (pay's add-on products).
    pub match_refs: Vec<MatchRef>,
    /// Where keys were written (`pay`, `pay.plans[0]`), for mistakes `check` finds about a
    /// section as a whole.
    pub located: std::collections::BTreeMap<String, Location>,
}

/// Reads and validates `path`, taking secrets from the process environment.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    load_str(path, &text, &|name| std::env::var(name).ok())
}

/// Validates `text` as if read from `path` (relative paths inside resolve against its
/// directory), looking environment variables up through `env`.
pub fn load_str(path: &Path, text: &str, env: EnvLookup<'_>) -> Result<Config, ConfigError> {
    let mut ctx = Ctx::new(path, text, env);
    let raw: RawConfig = match toml::from_str(text) {
        Ok(raw) => raw,
        Err(e) => return Err(ConfigError::Invalid(vec![serde_diagnostic(ctx.map(), &e)])),
    };
    let odoo = odoo::validate(raw.odoo, &mut ctx);
    let state = state::validate(raw.state, &mut ctx);
    let gamification = gamification::validate(raw.gamification, &mut ctx);
    // These two fall back to defaults on a mistake; the mistake itself fails the load.
    let daemon = daemon::validate_daemon(raw.daemon, &mut ctx).unwrap_or_default();
    let http = daemon::validate_http(raw.http, &mut ctx).unwrap_or_default();
    let scoring = scoring::validate(raw.scoring, &mut ctx);
    let schedule = scoring.as_ref().and_then(|s| s.schedule.as_deref());
    let assignment = assignment::validate(raw.assignment, schedule, &mut ctx);
    // A mistake in [pay] is in the diagnostics (so the load fails below).
    let pay = pay::validate(raw.pay, &mut ctx).flatten();
    // A level bonus is an incidental amount in the default model: a pay plan must read it.
    let reads_bonuses = pay.as_ref().is_some_and(|p| {
        p.plans.iter().any(|plan| {
            plan.components
                .incidental
                .as_ref()
                .is_some_and(|i| i.model == crate::pay::DEFAULT_INCIDENTAL_MODEL)
        })
    });
    if !reads_bonuses {
        ctx.error_at_located(
            |k| k.starts_with("gamification.levels[") && k.ends_with("].bonus"),
            "a level bonus reaches a pay statement only through a pay plan that records incidental amounts in x_sk_incidental",
            Some("add incidental = {} to the [[pay.plans]] of the people who reach levels"),
        );
    }
    let webhooks = webhooks::validate(raw.webhooks, http.enabled, &mut ctx);
    let recognition = recognition::validate(
        raw.recognition,
        matches!(gamification, Some(Some(_))),
        &mut ctx,
    );
    let board = board::validate(raw.board, http.enabled, &mut ctx);
    let field_refs = ctx.take_field_refs();
    let domain_refs = ctx.take_domain_refs();
    let record_refs = ctx.take_record_refs();
    let model_refs = ctx.take_model_refs();
    let xml_id_refs = ctx.take_xml_id_refs();
    let match_refs = ctx.take_match_refs();
    let located = ctx.take_located();
    match (odoo, state, gamification) {
        (Some(odoo), Some(state), Some(gamification)) if !ctx.has_errors() => Ok(Config {
            path: path.to_path_buf(),
            odoo,
            state,
            gamification,
            daemon,
            http,
            scoring,
            assignment,
            pay,
            webhooks,
            recognition,
            board,
            field_refs,
            domain_refs,
            record_refs,
            model_refs,
            xml_id_refs,
            match_refs,
            located,
        }),
        _ => Err(ConfigError::Invalid(ctx.into_diagnostics())),
    }
}

/// Turns toml/serde's error into a located diagnostic with a key path and a hint.
fn serde_diagnostic(map: &SourceMap<'_>, e: &toml::de::Error) -> Diagnostic {
    let span = e.span().unwrap_or(0..0);
    let mut key = keypath::key_path_at(map.text(), span.start);
    let msg = e.message().trim();
    if let Some((field, expected)) = parse_unknown_field(msg) {
        let hint = match did_you_mean(field, expected.iter().copied()) {
            Some(best) => Some(format!("did you mean `{best}`?")),
            None if expected.is_empty() => Some("this table takes no keys".into()),
            None => Some(format!("known keys: {}", expected.join(", "))),
        };
        return map.diagnostic(span, key, format!("unknown key `{field}`"), hint);
    }
    if let Some(field) = between(msg, "missing field `", "`") {
        let table = if key.is_empty() {
            "the top level".to_owned()
        } else {
            format!("[{key}]")
        };
        let hint = Some(format!("add `{field} = ...` to {table}"));
        if !key.is_empty() {
            key.push('.');
        }
        key.push_str(field);
        return map.diagnostic(span, key, format!("missing key `{field}`"), hint);
    }
    let hint = type_hint(msg);
    map.diagnostic(span, key, msg.to_owned(), hint)
}

/// `unknown field `x`, expected one of `a`, `b`` → ("x", ["a", "b"]).
fn parse_unknown_field(msg: &str) -> Option<(&str, Vec<&str>)> {
    let field = between(msg, "unknown field `", "`")?;
    let rest = msg.split_once(", expected").map_or("", |(_, r)| r);
    let expected = rest.split('`').skip(1).step_by(2).collect();
    Some((field, expected))
}

fn between<'m>(msg: &'m str, open: &str, close: &str) -> Option<&'m str> {
    let start = msg.find(open)? + open.len();
    let len = msg[start..].find(close)?;
    Some(&msg[start..start + len])
}

fn type_hint(msg: &str) -> Option<String> {
    let expected = msg.rsplit_once("expected ")?.1;
    let plain = match expected {
        e if e.starts_with('u') || e.starts_with('i') => "a whole number, without quotes",
        "a string" => "a quoted string",
        e if e.starts_with("struct") => "a table",
        _ => return None,
    };
    Some(format!("expected {plain}"))
}

#[cfg(test)]
mod tests;
