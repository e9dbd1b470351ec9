//! The `[daemon]` and `[http]` sections: the time zone schedules are read in, how long a
//! shutdown waits for the run in flight, and the admin listener (address, bearer token).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use chrono_tz::Tz;
use serde::Deserialize;
use toml::Spanned;

use super::context::Ctx;
use crate::cron::parse_time_zone;
use crate::odoo::Secret;

const DEFAULT_LISTEN: &str = "127.0.0.1:9187";
const DEFAULT_SHUTDOWN_GRACE_SECS: u64 = 60;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDaemon {
    pub time_zone: Option<Spanned<String>>,
    pub shutdown_grace_secs: Option<Spanned<u64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawHttp {
    pub enabled: Option<Spanned<bool>>,
    pub listen: Option<Spanned<String>>,
    pub token_env: Option<Spanned<String>>,
    pub token_file: Option<Spanned<String>>,
}

/// Validated `[daemon]` settings.
#[derive(Clone, Debug, PartialEq)]
pub struct DaemonConfig {
    /// The IANA zone every job schedule is evaluated in (default `UTC`).
    pub time_zone: Tz,
    /// How long SIGTERM waits for the run in flight to finish its batch.
    pub shutdown_grace: Duration,
}

impl Default for DaemonConfig {
    fn default() -> Self {
        Self {
            time_zone: Tz::UTC,
            shutdown_grace: Duration::from_secs(DEFAULT_SHUTDOWN_GRACE_SECS),
        }
    }
}

/// Validated `[http]` settings (the admin listener).
#[derive(Clone, Debug, PartialEq)]
pub struct HttpConfig {
    pub enabled: bool,
    pub listen: SocketAddr,
    /// When set, `/readyz` and `/metrics` need `Authorization: Bearer <token>`.
    pub token: Option<Secret>,
    /// Where the token came from (for messages; never the token).
    pub token_source: Option<String>,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            listen: SocketAddr::from(([127, 0, 0, 1], 9187)),
            token: None,
            token_source: None,
        }
    }
}

pub(super) fn validate_daemon(
    raw: Option<Spanned<RawDaemon>>,
    ctx: &mut Ctx<'_>,
) -> Option<DaemonConfig> {
    let Some(raw) = raw else {
        return Some(DaemonConfig::default());
    };
    let raw = raw.into_inner();
    let mut out = DaemonConfig::default();
    let mut ok = true;
    if let Some(tz) = raw.time_zone {
        match parse_time_zone(tz.get_ref()) {
            Ok(z) => out.time_zone = z,
            Err(e) => {
                ctx.error(tz.span(), "daemon.time_zone", e.to_string(), None);
                ok = false;
            }
        }
    }
    if let Some(g) = raw.shutdown_grace_secs {
        if (1..=3600).contains(g.get_ref()) {
            out.shutdown_grace = Duration::from_secs(*g.get_ref());
        } else {
            ctx.error(
                g.span(),
                "daemon.shutdown_grace_secs",
                format!("{} is out of range", g.get_ref()),
                Some("give 1..3600 seconds".into()),
            );
            ok = false;
        }
    }
    ok.then_some(out)
}

pub(super) fn validate_http(
    raw: Option<Spanned<RawHttp>>,
    ctx: &mut Ctx<'_>,
) -> Option<HttpConfig> {
    let Some(raw) = raw else {
        return Some(HttpConfig::default());
    };
    let raw = raw.into_inner();
    let mut out = HttpConfig::default();
    let mut ok = true;
    if let Some(e) = raw.enabled {
        out.enabled = *e.get_ref();
    }
    let listen_span = raw.listen.as_ref().map(Spanned::span);
    if let Some(listen) = raw.listen {
        match listen.get_ref().trim().parse::<SocketAddr>() {
            Ok(a) => out.listen = a,
            Err(_) => {
                ctx.error(
                    listen.span(),
                    "http.listen",
                    format!("{:?} is not an address:port", listen.get_ref()),
                    Some(format!(
                        "e.g. \"{DEFAULT_LISTEN}\" (loopback only) or \"[::1]:9187\""
                    )),
                );
                ok = false;
            }
        }
    }
    if let Some((token, source)) = secret(raw.token_env, raw.token_file, "http.token", ctx, &mut ok)
    {
        out.token = Some(token);
        out.token_source = Some(source);
    }
    // Anyone who can reach a non-loopback listener could read the metrics: require a token.
    if ok
        && out.enabled
        && !out.listen.ip().is_loopback()
        && out.token.is_none()
        && let Some(span) = listen_span
    {
        ctx.error(
            span,
            "http.listen",
            format!(
                "{} is not a loopback address and no token is set",
                out.listen
            ),
            Some("set token_env or token_file, or listen on 127.0.0.1".into()),
        );
        ok = false;
    }
    ok.then_some(out)
}

/// For a section served on the admin listener (`[webhooks]`, `[board]`): false, with an
/// error, when `[http]` is disabled.
pub(super) fn on_listener(
    section: &str,
    what: &str,
    http_enabled: bool,
    span: std::ops::Range<usize>,
    ctx: &mut Ctx<'_>,
) -> bool {
    if !http_enabled {
        ctx.error(
            span,
            section,
            format!("{what} on the admin listener, and [http] enabled = false"),
            Some(format!("enable [http], or set [{section}] enabled = false")),
        );
    }
    http_enabled
}

/// `{section}.public_url`: where people or Odoo reach the listener, an http(s) URL (`Some(None)`
/// when unset; `None` after an error).
pub(super) fn public_url(
    raw: Option<Spanned<String>>,
    section: &str,
    hint: &str,
    ctx: &mut Ctx<'_>,
) -> Option<Option<reqwest::Url>> {
    let Some(u) = raw else {
        return Some(None);
    };
    match reqwest::Url::parse(u.get_ref().trim()) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => Some(Some(url)),
        _ => {
            ctx.error(
                u.span(),
                format!("{section}.public_url"),
                format!("{:?} is not an http(s) URL", u.get_ref()),
                Some(format!("{hint}, e.g. \"https://sk.example.com\"")),
            );
            None
        }
    }
}

/// A secret from `{key}_env` or `{key}_file` (not both; e.g. `http.token_env`), with where it
/// came from (for messages; never the secret itself).
pub(super) fn secret(
    env: Option<Spanned<String>>,
    file: Option<Spanned<String>>,
    key: &str,
    ctx: &mut Ctx<'_>,
    ok: &mut bool,
) -> Option<(Secret, String)> {
    let (env_key, file_key) = (format!("{key}_env"), format!("{key}_file"));
    let (env_name, file_name) = (
        env_key.rsplit('.').next().unwrap_or(&env_key).to_owned(),
        file_key.rsplit('.').next().unwrap_or(&file_key).to_owned(),
    );
    match (env, file) {
        (Some(_), Some(file)) => {
            ctx.error(
                file.span(),
                &file_key,
                format!("both {env_name} and {file_name} are set"),
                Some("keep exactly one of them".into()),
            );
            *ok = false;
        }
        (Some(var), None) => match ctx.env(var.get_ref()).filter(|v| !v.is_empty()) {
            Some(v) => {
                return Some((
                    Secret::new(v.trim()),
                    format!("environment variable {}", var.get_ref()),
                ));
            }
            None => {
                ctx.error(
                    var.span(),
                    &env_key,
                    format!("environment variable {} is not set or empty", var.get_ref()),
                    Some(format!(
                        "export {}=<secret>, or remove {env_name}",
                        var.get_ref()
                    )),
                );
                *ok = false;
            }
        },
        (None, Some(file)) => {
            let path: PathBuf = ctx.resolve_path(file.get_ref());
            match std::fs::read_to_string(&path) {
                Ok(t) if !t.trim().is_empty() => {
                    return Some((Secret::new(t.trim()), format!("file {}", path.display())));
                }
                Ok(_) => {
                    ctx.error(
                        file.span(),
                        &file_key,
                        format!("{} is empty", path.display()),
                        None,
                    );
                    *ok = false;
                }
                Err(e) => {
                    ctx.error(
                        file.span(),
                        &file_key,
                        format!("cannot read {}: {e}", path.display()),
                        Some("relative paths are resolved from the config file's directory".into()),
                    );
                    *ok = false;
                }
            }
        }
        (None, None) => {}
    }
    None
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::config::{ConfigError, load_str};

    const ODOO: &str = "[odoo]\nurl = \"http://127.0.0.1:8069\"\ndatabase = \"d\"\nlogin = \"bot\"\npassword_env = \"PW\"\n";

    fn env(name: &str) -> Option<String> {
        match name {
            "PW" => Some("secret".into()),
            "TOKEN" => Some("t0ken\n".into()),
            _ => None,
        }
    }

    fn load(extra: &str) -> Result<crate::config::Config, ConfigError> {
        load_str(
            Path::new("/etc/sk/prod.toml"),
            &format!("{ODOO}{extra}"),
            &env,
        )
    }

    #[test]
    fn defaults_when_absent() {
        let c = load("").unwrap();
        assert_eq!(c.daemon, DaemonConfig::default());
        assert_eq!(c.http.listen.to_string(), DEFAULT_LISTEN);
        assert!(c.http.enabled);
        assert!(c.http.token.is_none());
    }

    #[test]
    fn sections_read() {
        let c = load(
            "[daemon]\ntime_zone = \"Europe/Berlin\"\nshutdown_grace_secs = 5\n\
             [http]\nlisten = \"127.0.0.1:0\"\ntoken_env = \"TOKEN\"\n",
        )
        .unwrap();
        assert_eq!(c.daemon.time_zone, chrono_tz::Europe::Berlin);
        assert_eq!(c.daemon.shutdown_grace, Duration::from_secs(5));
        assert_eq!(c.http.listen.port(), 0);
        assert_eq!(c.http.token.as_ref().unwrap().expose(), "t0ken");
        assert_eq!(
            format!("{:?}", c.http),
            format!("{:?}", c.http).replace("t0ken", "***")
        );
    }

    #[test]
    fn mistakes_are_located() {
        let e = load("[daemon]\ntime_zone = \"Europe/Berlln\"\n[http]\nlisten = \"localhost\"\n")
            .unwrap_err();
        let text = e.to_string();
        assert!(
            text.contains(
                "/etc/sk/prod.toml:7:13 daemon.time_zone: unknown time zone \"Europe/Berlln\""
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "/etc/sk/prod.toml:9:10 http.listen: \"localhost\" is not an address:port"
            ),
            "{text}"
        );
        let e = load("[http]\nlisten = \"0.0.0.0:9187\"\n").unwrap_err();
        assert!(
            e.to_string().contains(
                "/etc/sk/prod.toml:7:10 http.listen: 0.0.0.0:9187 is not a loopback address and no token is set"
            ),
            "{e}"
        );
        let open = load("[http]\nlisten = \"0.0.0.0:9187\"\ntoken_env = \"TOKEN\"\n").unwrap();
        assert!(
            open.http.token.is_some(),
            "a token makes a public listener acceptable"
        );
        assert!(
            load("[http]\nlisten = \"[::1]:9187\"\n").is_ok(),
            "IPv6 loopback"
        );
        assert!(
            load("[http]\nenabled = false\nlisten = \"0.0.0.0:9187\"\n").is_ok(),
            "a disabled listener listens nowhere"
        );
        let e = load("[http]\ntoken_env = \"NOPE\"\n").unwrap_err();
        assert!(
            e.to_string()
                .contains("http.token_env: environment variable NOPE"),
            "{e}"
        );
    }
}
