//! The `[board]` section: the sales-floor leaderboard, each person's own page and the rules
//! page, served on the admin listener. Who may read what: the leaderboards and the rules are
//! open only with `public = true`; otherwise they need the admin token or a signed link.
//! Each person's page needs their own signed link, whatever `public` says. Links are signed
//! with the section's secret (HMAC-SHA256), so it must be long enough not to be guessed.

use serde::Deserialize;
use toml::Spanned;

use super::context::Ctx;
use super::daemon::{on_listener, public_url, secret};
use super::odoo::bounded;
use crate::odoo::Secret;

/// The shortest signing key accepted: 256 bits of hex.
const MIN_SECRET_CHARS: usize = 32;
/// How long a cached leaderboard is served before it is read again (a gamification run
/// refreshes it at once anyway).
const DEFAULT_MAX_AGE_SECS: u64 = 300;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawBoard {
    pub enabled: Option<Spanned<bool>>,
    pub public: Option<Spanned<bool>>,
    pub secret_env: Option<Spanned<String>>,
    pub secret_file: Option<Spanned<String>>,
    pub public_url: Option<Spanned<String>>,
    pub link_days: Option<Spanned<u64>>,
    pub max_age_secs: Option<Spanned<u64>>,
}

/// Validated `[board]`.
#[derive(Clone, Debug, PartialEq)]
pub struct BoardConfig {
    /// The leaderboards and the rules are readable by anyone who reaches the listener.
    pub public: bool,
    /// Signs the personal (and sales-floor) links.
    pub secret: Secret,
    /// Where people reach the listener (`https://sk.example.com`), for printed links;
    /// `http://<http.listen>` when unset.
    pub public_url: Option<reqwest::Url>,
    /// Links expire this many days after they are made (`None`: never).
    pub link_days: Option<u64>,
    /// A cached leaderboard older than this is read from Odoo again on the next request.
    pub max_age: std::time::Duration,
}

/// `None` when the section is absent or `enabled = false`; a mistake is a diagnostic.
pub(super) fn validate(
    raw: Option<Spanned<RawBoard>>,
    http_enabled: bool,
    ctx: &mut Ctx<'_>,
) -> Option<BoardConfig> {
    let raw = raw?;
    let span = raw.span();
    let raw = raw.into_inner();
    if raw.enabled.as_ref().is_some_and(|e| !*e.get_ref()) {
        return None;
    }
    let mut ok = on_listener(
        "board",
        "the board is served",
        http_enabled,
        span.clone(),
        ctx,
    );
    let secret = match secret(
        raw.secret_env,
        raw.secret_file,
        "board.secret",
        ctx,
        &mut ok,
    ) {
        Some((s, _)) if s.expose().chars().count() < MIN_SECRET_CHARS => {
            ctx.error(
                span.clone(),
                "board.secret_env",
                format!("the signing key is shorter than {MIN_SECRET_CHARS} characters"),
                Some("generate one, e.g. `openssl rand -hex 32`".into()),
            );
            None
        }
        Some((s, _)) => Some(s),
        None if ok => {
            ctx.error(
                span.clone(),
                "board",
                "no secret: it signs each person's link to their own page",
                Some("set secret_env or secret_file (e.g. `openssl rand -hex 32`)".into()),
            );
            None
        }
        None => None,
    };
    let public_url = public_url(
        raw.public_url,
        "board",
        "the address people open the board at",
        ctx,
    );
    let link_days = bounded(raw.link_days.as_ref(), 0, 0..=3650, "board.link_days", ctx)
        .map(|d| (d > 0).then_some(d));
    let max_age = bounded(
        raw.max_age_secs.as_ref(),
        DEFAULT_MAX_AGE_SECS,
        1..=86_400,
        "board.max_age_secs",
        ctx,
    )
    .map(std::time::Duration::from_secs);
    if !ok {
        return None;
    }
    Some(BoardConfig {
        public: raw.public.as_ref().is_some_and(|p| *p.get_ref()),
        secret: secret?,
        public_url: public_url?,
        link_days: link_days?,
        max_age: max_age?,
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::config::{ConfigError, load_str};

    const ODOO: &str = "[odoo]\nurl = \"http://127.0.0.1:8069\"\ndatabase = \"d\"\nlogin = \"bot\"\npassword_env = \"PW\"\n";
    const KEY: &str = "0123456789abcdef0123456789abcdef";

    fn load(extra: &str, secret: &str) -> Result<crate::config::Config, ConfigError> {
        let text = format!("{ODOO}{extra}");
        let secret = secret.to_owned();
        load_str(Path::new("/tmp/sk.toml"), &text, &move |name| match name {
            "PW" => Some("pw".into()),
            "KEY" => Some(secret.clone()),
            _ => None,
        })
    }

    #[test]
    fn a_board_is_private_by_default_and_its_links_never_expire_unless_told() {
        let b = load("[board]\nsecret_env = \"KEY\"\n", KEY)
            .unwrap()
            .board
            .unwrap();
        assert!(!b.public);
        assert_eq!(b.link_days, None);
        assert_eq!(b.max_age.as_secs(), 300);
        let b = load(
            "[board]\nsecret_env = \"KEY\"\npublic = true\nlink_days = 30\n",
            KEY,
        )
        .unwrap()
        .board
        .unwrap();
        assert!(b.public);
        assert_eq!(b.link_days, Some(30));
        assert!(load("", KEY).unwrap().board.is_none());
    }

    #[test]
    fn a_short_or_missing_key_is_refused_with_its_key_path() {
        let e = load("[board]\nsecret_env = \"KEY\"\n", "short")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("board.secret_env") && e.contains("shorter than 32"),
            "{e}"
        );
        let e = load("[board]\npublic = true\n", KEY)
            .unwrap_err()
            .to_string();
        assert!(e.contains("no secret"), "{e}");
        let e = load(
            "[board]\nsecret_env = \"KEY\"\npublic_url = \"ftp://x\"\n",
            KEY,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("board.public_url"), "{e}");
        let e = load(
            "[http]\nenabled = false\n[board]\nsecret_env = \"KEY\"\n",
            KEY,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("[http] enabled = false"), "{e}");
    }
}
