//! The `[odoo]` section: where Odoo is, who we log in as, where the secret comes from, and
//! how patient the client is (timeout, batch size, retries).

use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::time::Duration;

use reqwest::Url;
use toml::Spanned;

use super::context::Ctx;
use super::fields::Location;
use super::raw::{RawOdoo, RawRetries};
use crate::odoo::{
    ClientSettings, Credentials, DEFAULT_BATCH_SIZE, DEFAULT_MAX_CONCURRENCY, Protocol,
    RetryPolicy, Secret,
};

pub(super) const DEFAULT_TIMEOUT_SECS: u64 = 60;

/// Validated connection settings.
#[derive(Clone, Debug)]
pub struct OdooConfig {
    /// Base URL of the Odoo server (no `/xmlrpc/...` suffix, no credentials, no query).
    pub url: Url,
    pub database: String,
    pub login: String,
    /// Where `login` is written (access-right diagnostics point at it).
    pub login_at: Location,
    /// A password or an API key: Odoo takes either in the same place.
    pub password: Secret,
    pub password_source: PasswordSource,
    /// Per-request timeout.
    pub timeout: Duration,
    /// Records per `search_read` page, ids per `write`, dicts per `create`.
    pub batch_size: NonZeroUsize,
    /// Independent write calls apply sends at once (`[odoo] max_concurrency`).
    pub max_concurrency: NonZeroUsize,
    /// How long after it was sent a request whose answer was lost may still run in Odoo (see
    /// `apply`): a create in doubt is not sent again before this has passed.
    pub request_deadline: Duration,
    pub retry: RetryPolicy,
    /// The wire protocol (`auto` by default: JSON-RPC on Odoo 14–18, JSON-2 from 19, XML-RPC
    /// before 14).
    pub protocol: Protocol,
}

impl OdooConfig {
    /// Database, login and secret.
    pub(crate) fn credentials(&self) -> Credentials {
        Credentials {
            database: self.database.clone(),
            login: self.login.clone(),
            secret: self.password.clone(),
        }
    }

    /// What the client needs to connect as this section says.
    pub fn client_settings(&self) -> ClientSettings {
        ClientSettings {
            url: self.url.clone(),
            credentials: self.credentials(),
            timeout: self.timeout,
            protocol: self.protocol,
            retry: self.retry,
            batch_size: self.batch_size,
            max_concurrency: self.max_concurrency,
            request_deadline: self.request_deadline,
        }
    }
}

/// Where the secret was read from, for messages (never the secret itself).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PasswordSource {
    Env(String),
    File(PathBuf),
}

pub(super) fn validate(raw: Spanned<RawOdoo>, ctx: &mut Ctx<'_>) -> Option<OdooConfig> {
    let table_span = raw.span();
    let raw = raw.into_inner();
    let url = validate_url(&raw.url, ctx);
    let database = non_empty(&raw.database, "odoo.database", ctx);
    let login = non_empty(&raw.login, "odoo.login", ctx);
    let login_at = ctx.locate(raw.login.span());
    let password = match (&raw.password_env, &raw.password_file) {
        (Some(var), None) => from_env(var, ctx),
        (None, Some(file)) => from_file(file, ctx),
        (Some(_), Some(file)) => {
            ctx.error(
                file.span(),
                "odoo.password_file",
                "both password_env and password_file are set",
                Some("keep exactly one of them".into()),
            );
            None
        }
        (None, None) => {
            ctx.error(
                table_span,
                "odoo",
                "no password source",
                Some(
                    "add password_env = \"SCOREKEEPER_ODOO_PASSWORD\" (a password or an API key \
                     in that environment variable) or password_file = \"/path/to/secret\""
                        .into(),
                ),
            );
            None
        }
    };
    let timeout = bounded(
        raw.timeout_secs.as_ref(),
        DEFAULT_TIMEOUT_SECS,
        1..=3600,
        "odoo.timeout_secs",
        ctx,
    )
    .map(Duration::from_secs);
    let batch_size = bounded(
        raw.batch_size.as_ref(),
        DEFAULT_BATCH_SIZE as u64,
        1..=100_000,
        "odoo.batch_size",
        ctx,
    )
    .and_then(|n| usize::try_from(n).ok())
    .and_then(NonZeroUsize::new);
    let max_concurrency = bounded(
        raw.max_concurrency.as_ref(),
        DEFAULT_MAX_CONCURRENCY as u64,
        1..=16,
        "odoo.max_concurrency",
        ctx,
    )
    .and_then(|n| usize::try_from(n).ok())
    .and_then(NonZeroUsize::new);
    let request_deadline = bounded(
        raw.request_deadline_secs.as_ref(),
        crate::apply::DEFAULT_REQUEST_DEADLINE.as_secs(),
        1..=86_400,
        "odoo.request_deadline_secs",
        ctx,
    )
    .map(Duration::from_secs);
    let retry = validate_retries(raw.retries, ctx);
    let protocol = validate_protocol(raw.protocol.as_ref(), ctx);
    let (password, password_source) = password?;
    Some(OdooConfig {
        url: url?,
        database: database?,
        login: login?,
        login_at,
        password,
        password_source,
        timeout: timeout?,
        batch_size: batch_size?,
        max_concurrency: max_concurrency?,
        request_deadline: request_deadline?,
        retry: retry?,
        protocol: protocol?,
    })
}

fn validate_url(raw: &Spanned<String>, ctx: &mut Ctx<'_>) -> Option<Url> {
    const HINT: &str = "give the server's base URL, e.g. \"https://odoo.example.com\" or \"http://127.0.0.1:8069\"";
    let key = "odoo.url";
    let url = match Url::parse(raw.get_ref()) {
        Ok(u) => u,
        Err(e) => {
            ctx.error(
                raw.span(),
                key,
                format!("invalid URL {:?}: {e}", raw.get_ref()),
                Some(HINT.into()),
            );
            return None;
        }
    };
    let problem = if !matches!(url.scheme(), "http" | "https") {
        Some(format!("unsupported scheme {:?}", url.scheme()))
    } else if url.host_str().is_none_or(str::is_empty) {
        Some("the URL has no host".to_owned())
    } else if !url.username().is_empty() || url.password().is_some() {
        // Credentials in a URL end up in logs and error messages.
        Some("the URL contains credentials; use login and password_env instead".to_owned())
    } else if url.query().is_some() || url.fragment().is_some() {
        Some("the URL has a query or fragment".to_owned())
    } else if url.path().contains("/xmlrpc") || url.path().contains("/jsonrpc") {
        Some("the URL includes the RPC endpoint path".to_owned())
    } else {
        None
    };
    match problem {
        Some(p) => {
            ctx.error(raw.span(), key, p, Some(HINT.into()));
            None
        }
        None => Some(url),
    }
}

fn validate_protocol(raw: Option<&Spanned<String>>, ctx: &mut Ctx<'_>) -> Option<Protocol> {
    let Some(raw) = raw else {
        return Some(Protocol::default());
    };
    let found = Protocol::parse(raw.get_ref().trim());
    if found.is_none() {
        ctx.error(
            raw.span(),
            "odoo.protocol",
            format!("unknown protocol {:?}", raw.get_ref()),
            Some(format!(
                "use one of {}: \"auto\" speaks JSON-RPC to Odoo 14–18, JSON-2 (API keys only) \
                 from 19 and XML-RPC before 14",
                Protocol::NAMES.map(|n| format!("{n:?}")).join(", ")
            )),
        );
    }
    found
}

fn non_empty(raw: &Spanned<String>, key: &str, ctx: &mut Ctx<'_>) -> Option<String> {
    let text = raw.get_ref().trim();
    if text.is_empty() {
        ctx.error(raw.span(), key, "must not be empty", None);
        None
    } else {
        Some(text.to_owned())
    }
}

fn from_env(var: &Spanned<String>, ctx: &mut Ctx<'_>) -> Option<(Secret, PasswordSource)> {
    let name = var.get_ref();
    let key = "odoo.password_env";
    if name.is_empty() || name.contains('=') || name.contains('\0') {
        ctx.error(
            var.span(),
            key,
            format!("{name:?} is not an environment variable name"),
            Some("password_env names the variable, e.g. \"SCOREKEEPER_ODOO_PASSWORD\"; the secret itself never goes in the file".into()),
        );
        return None;
    }
    match ctx.env(name) {
        None => {
            ctx.error(
                var.span(),
                key,
                format!("environment variable {name} is not set"),
                Some(format!(
                    "export {name}=<password or API key> before running, or use password_file"
                )),
            );
            None
        }
        Some(v) if v.is_empty() => {
            ctx.error(
                var.span(),
                key,
                format!("environment variable {name} is empty"),
                None,
            );
            None
        }
        Some(v) => Some((Secret::new(v), PasswordSource::Env(name.clone()))),
    }
}

fn from_file(file: &Spanned<String>, ctx: &mut Ctx<'_>) -> Option<(Secret, PasswordSource)> {
    let key = "odoo.password_file";
    let path = ctx.resolve_path(file.get_ref());
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            // Editors and `echo` add a final newline; nothing else is trimmed, since spaces
            // can be part of a password.
            let secret = text
                .strip_suffix('\n')
                .map(|t| t.strip_suffix('\r').unwrap_or(t))
                .unwrap_or(&text);
            if secret.is_empty() {
                ctx.error(
                    file.span(),
                    key,
                    format!("{} is empty", path.display()),
                    None,
                );
                None
            } else {
                Some((Secret::new(secret), PasswordSource::File(path)))
            }
        }
        Err(e) => {
            ctx.error(
                file.span(),
                key,
                format!("cannot read {}: {e}", path.display()),
                Some("relative paths are resolved from the config file's directory".into()),
            );
            None
        }
    }
}

/// An optional integer setting: `default` when absent, a diagnostic naming `key` and the
/// range when outside it.
pub(super) fn bounded(
    raw: Option<&Spanned<u64>>,
    default: u64,
    range: std::ops::RangeInclusive<u64>,
    key: &str,
    ctx: &mut Ctx<'_>,
) -> Option<u64> {
    let Some(raw) = raw else {
        return Some(default);
    };
    let v = *raw.get_ref();
    if range.contains(&v) {
        Some(v)
    } else {
        ctx.error(
            raw.span(),
            key,
            format!("{v} is out of range"),
            Some(format!(
                "use a value from {} to {} (default {default})",
                range.start(),
                range.end()
            )),
        );
        None
    }
}

fn validate_retries(raw: Option<Spanned<RawRetries>>, ctx: &mut Ctx<'_>) -> Option<RetryPolicy> {
    let d = RetryPolicy::default();
    let Some(raw) = raw else {
        return Some(d);
    };
    let raw = raw.into_inner();
    let attempts = bounded(
        raw.max_attempts
            .map(|s| {
                let span = s.span();
                Spanned::new(span, u64::from(*s.get_ref()))
            })
            .as_ref(),
        u64::from(d.max_attempts),
        1..=20,
        "odoo.retries.max_attempts",
        ctx,
    );
    let base = bounded(
        raw.base_delay_ms.as_ref(),
        d.base_delay.as_millis() as u64,
        0..=60_000,
        "odoo.retries.base_delay_ms",
        ctx,
    );
    let max = bounded(
        raw.max_delay_ms.as_ref(),
        d.max_delay.as_millis() as u64,
        0..=600_000,
        "odoo.retries.max_delay_ms",
        ctx,
    );
    let (attempts, base, max) = (attempts?, base?, max?);
    if max < base {
        let span = raw
            .max_delay_ms
            .as_ref()
            .or(raw.base_delay_ms.as_ref())
            .map(Spanned::span)
            .unwrap_or(0..0);
        ctx.error(
            span,
            "odoo.retries.max_delay_ms",
            format!("max_delay_ms ({max}) is below base_delay_ms ({base})"),
            None,
        );
        return None;
    }
    Some(RetryPolicy {
        max_attempts: u32::try_from(attempts).ok()?,
        base_delay: Duration::from_millis(base),
        max_delay: Duration::from_millis(max),
    })
}
