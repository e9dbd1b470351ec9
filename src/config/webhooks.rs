//! The `[webhooks]` section: Odoo's automation webhooks ("Send Webhook Notification") received
//! on the admin listener at `/webhooks/odoo/<secret>`. Odoo signs nothing (recorded in
//! `shared/odoo17/webhooks/`: no signature header), so the secret in the URL is what
//! authenticates a sender; it must be long enough not to be guessed.

use serde::Deserialize;
use toml::Spanned;

use super::context::Ctx;
use super::daemon::{on_listener, public_url, secret};
use super::odoo::bounded;
use crate::odoo::Secret;

/// The shortest URL secret accepted: 128 bits of hex or 96 of base64.
const MIN_SECRET_CHARS: usize = 16;
/// Odoo's webhook body is the record's chosen fields (≈ 250 bytes for a lead, recorded).
const DEFAULT_MAX_BODY_BYTES: u64 = 64 * 1024;
/// Distinct records waiting for their job's next run before new ones are refused.
const DEFAULT_QUEUE: u64 = 10_000;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawWebhooks {
    pub enabled: Option<Spanned<bool>>,
    pub secret_env: Option<Spanned<String>>,
    pub secret_file: Option<Spanned<String>>,
    pub max_body_bytes: Option<Spanned<u64>>,
    pub queue: Option<Spanned<u64>>,
    /// The URL Odoo posts to, as Odoo reaches scorekeeper (for `setup` to provision the rule).
    pub public_url: Option<Spanned<String>>,
    /// `setup` creates Odoo's automation rules (opt-in).
    pub provision: Option<Spanned<bool>>,
}

/// Validated `[webhooks]`.
#[derive(Clone, Debug, PartialEq)]
pub struct WebhooksConfig {
    pub secret: Secret,
    pub max_body_bytes: usize,
    /// Distinct (model, id) pending per job before the listener answers 503.
    pub queue: usize,
    /// Where Odoo reaches the listener (`https://sk.example.com`), without the path.
    pub public_url: Option<reqwest::Url>,
    /// `setup` creates the automation rules in Odoo (needs `public_url`).
    pub provision: bool,
}

impl WebhooksConfig {
    /// The path Odoo posts to (it holds the secret: never log it).
    pub fn path(&self) -> String {
        format!("/webhooks/odoo/{}", self.secret.expose())
    }
}

/// `None` when the section is absent or `enabled = false`; a mistake is a diagnostic.
pub(super) fn validate(
    raw: Option<Spanned<RawWebhooks>>,
    http_enabled: bool,
    ctx: &mut Ctx<'_>,
) -> Option<WebhooksConfig> {
    let raw = raw?;
    let span = raw.span();
    let raw = raw.into_inner();
    if raw.enabled.as_ref().is_some_and(|e| !*e.get_ref()) {
        return None;
    }
    let mut ok = on_listener(
        "webhooks",
        "webhooks are received",
        http_enabled,
        span.clone(),
        ctx,
    );
    let secret = match secret(
        raw.secret_env,
        raw.secret_file,
        "webhooks.secret",
        ctx,
        &mut ok,
    ) {
        Some((s, _)) if s.expose().chars().count() < MIN_SECRET_CHARS => {
            ctx.error(
                span.clone(),
                "webhooks.secret_env",
                format!("the secret is shorter than {MIN_SECRET_CHARS} characters"),
                Some("generate one, e.g. `openssl rand -hex 16`".into()),
            );
            None
        }
        Some((s, _))
            if !s
                .expose()
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_".contains(c)) =>
        {
            ctx.error(
                span.clone(),
                "webhooks.secret_env",
                "the secret goes in a URL path: use letters, digits, '-' and '_' only",
                Some("generate one, e.g. `openssl rand -hex 16`".into()),
            );
            None
        }
        Some((s, _)) => Some(s),
        None if ok && http_enabled => {
            ctx.error(
                span.clone(),
                "webhooks",
                "no secret: Odoo's webhooks carry no signature, the URL secret is their only authentication",
                Some("set secret_env or secret_file (e.g. `openssl rand -hex 16`)".into()),
            );
            None
        }
        None => None,
    };
    let size = |v: u64| usize::try_from(v).ok();
    let max_body_bytes = bounded(
        raw.max_body_bytes.as_ref(),
        DEFAULT_MAX_BODY_BYTES,
        256..=16 << 20,
        "webhooks.max_body_bytes",
        ctx,
    )
    .and_then(size);
    let queue = bounded(
        raw.queue.as_ref(),
        DEFAULT_QUEUE,
        1..=10_000_000,
        "webhooks.queue",
        ctx,
    )
    .and_then(size);
    let public_url = public_url(
        raw.public_url,
        "webhooks",
        "the address Odoo reaches scorekeeper's listener at",
        ctx,
    );
    let provision = raw.provision.as_ref().is_some_and(|p| *p.get_ref());
    if provision && matches!(public_url, Some(None)) {
        if let Some(p) = &raw.provision {
            ctx.error(
                p.span(),
                "webhooks.provision",
                "setup cannot create Odoo's automation rules without the URL Odoo posts to",
                Some("set public_url, e.g. \"https://sk.example.com\"".into()),
            );
        }
        ok = false;
    }
    if !ok {
        return None;
    }
    Some(WebhooksConfig {
        provision,
        secret: secret?,
        max_body_bytes: max_body_bytes?,
        queue: queue?,
        public_url: public_url?,
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::config::{ConfigError, load_str};

    const ODOO: &str = "[odoo]\nurl = \"http://127.0.0.1:8069\"\ndatabase = \"d\"\nlogin = \"bot\"\npassword_env = \"PW\"\n";

    fn load(extra: &str, secret: &str) -> Result<crate::config::Config, ConfigError> {
        let text = format!("{ODOO}{extra}");
        let secret = secret.to_owned();
        load_str(Path::new("/tmp/sk.toml"), &text, &move |name| match name {
            "PW" => Some("pw".into()),
            "HOOK" => Some(secret.clone()),
            _ => None,
        })
    }

    fn error(extra: &str, secret: &str) -> String {
        match load(extra, secret) {
            Err(e) => e.to_string(),
            Ok(_) => panic!("accepted: {extra}"),
        }
    }

    #[test]
    fn a_section_with_a_long_secret_is_read() {
        let c = load(
            "[webhooks]\nsecret_env = \"HOOK\"\nqueue = 50\n",
            "0123456789abcdef",
        )
        .unwrap();
        let w = c.webhooks.unwrap();
        assert_eq!(w.queue, 50);
        assert_eq!(w.max_body_bytes, 64 * 1024);
        assert_eq!(w.path(), "/webhooks/odoo/0123456789abcdef");
        assert!(load("", "x").unwrap().webhooks.is_none());
        assert!(
            load("[webhooks]\nenabled = false\n", "x")
                .unwrap()
                .webhooks
                .is_none()
        );
    }

    #[test]
    fn weak_or_missing_secrets_and_bad_values_are_refused_with_their_key() {
        let e = error("[webhooks]\nsecret_env = \"HOOK\"\n", "short");
        assert!(
            e.contains("webhooks.secret_env") && e.contains("shorter than 16"),
            "{e}"
        );
        let e = error(
            "[webhooks]\nsecret_env = \"HOOK\"\n",
            "0123456789abcdef/../x",
        );
        assert!(e.contains("letters, digits"), "{e}");
        let e = error("[webhooks]\nqueue = 5\n", "0123456789abcdef");
        assert!(e.contains("no secret"), "{e}");
        let e = error(
            "[webhooks]\nsecret_env = \"HOOK\"\nqueue = 0\n",
            "0123456789abcdef",
        );
        assert!(
            e.contains("webhooks.queue") && e.contains("out of range"),
            "{e}"
        );
        let e = error(
            "[webhooks]\nsecret_env = \"HOOK\"\npublic_url = \"ftp://x\"\n",
            "0123456789abcdef",
        );
        assert!(e.contains("webhooks.public_url"), "{e}");
        let e = error(
            "[http]\nenabled = false\n[webhooks]\nsecret_env = \"HOOK\"\n",
            "0123456789abcdef",
        );
        assert!(e.contains("[http] enabled = false"), "{e}");
        let e = error(
            "[webhooks]\nsecret_env = \"HOOK\"\nprovision = true\n",
            "0123456789abcdef",
        );
        assert!(e.contains("webhooks.provision"), "{e}");
        let e = error("[webhooks]\nsecret_env = \"NOPE\"\n", "0123456789abcdef");
        assert!(
            e.contains("webhooks.secret_env: environment variable NOPE"),
            "{e}"
        );
    }
}
