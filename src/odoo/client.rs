//! `OdooClient`: one logged-in session (database, uid, secret) over a [`Transport`], with the
//! retry policy applied around every call and counters of what was sent. The model helpers
//! (`search_read`, grouped `write`, ...) live in `helpers.rs` on top of `execute_kw`.

use std::num::NonZeroUsize;
use std::sync::Arc;

use tokio::sync::OnceCell;

use super::error::OdooError;
use super::http_post::http_client;
use super::json2_transport::Json2Transport;
use super::jsonrpc_transport::JsonRpcTransport;
use super::metrics::{Metrics, MetricsSnapshot};
use super::profile::Profile;
use super::protocol::{AutoTransport, Choice, Protocol};
use super::retry::RetryPolicy;
use super::secret::Secret;
use super::transport::{BoxFuture, Service, Transport};
use super::version::ServerVersion;
use super::xmlrpc_transport::XmlRpcTransport;
use crate::record::IdSet;
use crate::xmlrpc::{Struct, Value};

/// Who we log in as.
#[derive(Clone, Debug)]
pub struct Credentials {
    pub database: String,
    pub login: String,
    /// A password or an API key.
    pub secret: Secret,
}

/// Records per `search_read` page, ids per `write`, dicts per `create`, unless told otherwise.
pub const DEFAULT_BATCH_SIZE: usize = 2000;

/// The default of `[odoo] max_concurrency`: two write calls in flight. Measured on a real
/// Odoo 17 with 3 workers on 2 cores (issue 17: 20,000 untracked writes, 1,000 ids per call,
/// 2.1–2.2 s on one connection, 1.7 s on two) and on `sim --costs odoo17` (BENCHMARKS.md).
pub const DEFAULT_MAX_CONCURRENCY: usize = 2;

/// Everything a client needs to reach a server: the `[odoo]` section gives one
/// (`OdooConfig::client_settings`), so the client never depends on the configuration.
#[derive(Clone, Debug)]
pub struct ClientSettings {
    /// Base URL of the Odoo server (no `/xmlrpc/...` suffix).
    pub url: reqwest::Url,
    pub credentials: Credentials,
    /// Per-request timeout.
    pub timeout: std::time::Duration,
    pub protocol: Protocol,
    pub retry: RetryPolicy,
    pub batch_size: NonZeroUsize,
    /// Independent write calls apply sends at once.
    pub max_concurrency: NonZeroUsize,
    /// How long a request whose answer was lost may still run in Odoo.
    pub request_deadline: std::time::Duration,
}

/// Methods whose repetition cannot change the outcome, so any transient failure may be
/// retried. Everything else (`create`, `action_*`, ...) is retried only when Odoo certainly
/// did not run it (see [`OdooError::certainly_not_applied`]).
const IDEMPOTENT_METHODS: &[&str] = &[
    "search",
    "search_read",
    "search_count",
    "read",
    "read_group",
    "fields_get",
    "name_search",
    "web_search_read",
    "web_read",
    "check_access_rights",
    "default_get",
    "write",
    "unlink",
];

pub struct OdooClient {
    transport: Arc<dyn Transport>,
    metrics: Arc<Metrics>,
    credentials: Credentials,
    uid: OnceCell<i64>,
    /// The server's version profile, from its first `common.version` answer.
    profile: OnceCell<Profile>,
    retry: RetryPolicy,
    batch_size: NonZeroUsize,
    max_concurrency: NonZeroUsize,
    request_deadline: std::time::Duration,
    context: Struct,
}

impl std::fmt::Debug for OdooClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OdooClient")
            .field("credentials", &self.credentials)
            .field("uid", &self.uid.get())
            .field("retry", &self.retry)
            .field("batch_size", &self.batch_size)
            .finish_non_exhaustive()
    }
}

impl OdooClient {
    /// A client over any transport; `metrics` should be the one the transport counts bytes in.
    pub fn new(
        transport: Arc<dyn Transport>,
        metrics: Arc<Metrics>,
        credentials: Credentials,
    ) -> Self {
        Self {
            transport,
            metrics,
            credentials,
            uid: OnceCell::new(),
            profile: OnceCell::new(),
            retry: RetryPolicy::default(),
            batch_size: NonZeroUsize::new(DEFAULT_BATCH_SIZE).unwrap_or(NonZeroUsize::MIN),
            max_concurrency: NonZeroUsize::new(DEFAULT_MAX_CONCURRENCY)
                .unwrap_or(NonZeroUsize::MIN),
            request_deadline: crate::apply::DEFAULT_REQUEST_DEADLINE,
            context: Struct::new(),
        }
    }

    /// A client with `settings` (not yet authenticated), over the transport their `protocol`
    /// names.
    pub fn from_settings(settings: &ClientSettings) -> Result<Self, OdooError> {
        Self::from_settings_counting(settings, Arc::new(Metrics::new()))
    }

    /// [`from_settings`](Self::from_settings) counting into `metrics` (the daemon keeps one
    /// set across config reloads).
    pub(crate) fn from_settings_counting(
        config: &ClientSettings,
        metrics: Arc<Metrics>,
    ) -> Result<Self, OdooError> {
        let http = http_client()?;
        let xmlrpc = Arc::new(XmlRpcTransport::with_client(
            http.clone(),
            &config.url,
            config.timeout,
            metrics.clone(),
        ));
        let jsonrpc = || {
            Arc::new(JsonRpcTransport::with_client(
                http.clone(),
                &config.url,
                config.timeout,
                metrics.clone(),
            ))
        };
        let json2 = || {
            Arc::new(Json2Transport::with_client(
                http.clone(),
                &config.url,
                config.timeout,
                metrics.clone(),
            ))
        };
        let transport: Arc<dyn Transport> = match config.protocol {
            Protocol::XmlRpc => xmlrpc,
            Protocol::JsonRpc => jsonrpc(),
            Protocol::Json2 => json2(),
            Protocol::Auto => Arc::new(AutoTransport::new(xmlrpc, jsonrpc(), json2())),
        };
        Ok(Self::new(transport, metrics, config.credentials.clone())
            .with_retry(config.retry)
            .with_batch_size(config.batch_size)
            .with_max_concurrency(config.max_concurrency)
            .with_request_deadline(config.request_deadline))
    }

    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    pub fn with_batch_size(mut self, batch_size: NonZeroUsize) -> Self {
        self.batch_size = batch_size;
        self
    }

    /// Independent write calls apply may have in flight at once (`[odoo] max_concurrency`).
    pub fn with_max_concurrency(mut self, n: NonZeroUsize) -> Self {
        self.max_concurrency = n;
        self
    }

    pub fn max_concurrency(&self) -> usize {
        self.max_concurrency.get()
    }

    /// How long a request whose answer was lost may still run in Odoo (`[odoo]
    /// request_deadline_secs`); apply holds creates in doubt that long.
    pub fn with_request_deadline(mut self, deadline: std::time::Duration) -> Self {
        self.request_deadline = deadline;
        self
    }

    pub fn request_deadline(&self) -> std::time::Duration {
        self.request_deadline
    }

    /// A context merged into every `execute_kw` (keys the call sets itself win), e.g.
    /// `tracking_disable` for a daemon, or `lang`/`tz`.
    pub fn with_context(mut self, context: Struct) -> Self {
        self.context = context;
        self
    }

    pub fn batch_size(&self) -> usize {
        self.batch_size.get()
    }

    pub(crate) fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// The uid, once authenticated.
    pub fn uid(&self) -> Option<i64> {
        self.uid.get().copied()
    }

    /// The wire protocol in use and why; for `auto`, known after the first call.
    pub fn protocol(&self) -> Option<Choice> {
        self.transport.choice()
    }

    pub fn metrics(&self) -> MetricsSnapshot {
        self.metrics.snapshot()
    }

    pub fn metrics_handle(&self) -> Arc<Metrics> {
        self.metrics.clone()
    }

    /// `common.version()`: needs no credentials. The first answer also fixes the client's
    /// version [`profile`](Self::profile).
    pub async fn version(&self) -> Result<ServerVersion, OdooError> {
        let call = "common.version";
        let v = self
            .call(Service::Common, "version", Vec::new(), call, true)
            .await?;
        let version = ServerVersion::from_value(&v)
            .ok_or_else(|| unexpected(call, "a version struct", &v))?;
        self.remember_profile(Profile::for_version(&version));
        Ok(version)
    }

    /// The server's version profile: what differs between Odoo versions (groups field,
    /// assignment rules, …). Asks `common.version` once per client, unless a `version` call
    /// already fixed it.
    pub(crate) async fn profile(&self) -> Result<Profile, OdooError> {
        if let Some(p) = self.profile.get() {
            return Ok(p.clone());
        }
        self.version().await?;
        Ok(self
            .profile
            .get()
            .cloned()
            .unwrap_or_else(|| Profile::for_major(None)))
    }

    /// Keeps the first profile, warning once when the server is outside the tested range.
    fn remember_profile(&self, profile: Profile) {
        if self.profile.get().is_some() {
            return;
        }
        if let Some(w) = profile.untested() {
            tracing::warn!("{w}");
        }
        let _ = self.profile.set(profile);
    }

    /// `common.authenticate(db, login, secret, {})`: the uid, or
    /// [`OdooError::AuthenticationFailed`] naming login and database when Odoo answers `False`.
    /// Passwords and API keys go in the same place.
    pub async fn authenticate(&self) -> Result<i64, OdooError> {
        let uid = self.authenticate_once().await?;
        // A second authenticate gives the same uid; the first one stays.
        let _ = self.uid.set(uid);
        Ok(uid)
    }

    async fn authenticate_once(&self) -> Result<i64, OdooError> {
        let call = "common.authenticate";
        let c = &self.credentials;
        let params = vec![
            Value::from(c.database.as_str()),
            Value::from(c.login.as_str()),
            Value::from(c.secret.expose()),
            Value::Struct(Struct::new()),
        ];
        let v = self
            .call(Service::Common, "authenticate", params, call, true)
            .await?;
        match v {
            Value::Int(uid) if uid > 0 => Ok(uid),
            Value::Bool(false) => Err(OdooError::AuthenticationFailed {
                login: c.login.clone(),
                database: c.database.clone(),
            }),
            other => Err(unexpected(call, "a uid or False", &other)),
        }
    }

    /// `object.execute_kw(db, uid, secret, model, method, args, kwargs)`, authenticating
    /// first if needed. `kwargs` is sent only when non-empty (after merging the client context).
    pub async fn execute_kw(
        &self,
        model: &str,
        method: &str,
        args: Vec<Value>,
        kwargs: Struct,
    ) -> Result<Value, OdooError> {
        let params = self.object_params(model, method, args, kwargs).await?;
        let call = format!("{model}.{method}");
        self.call(
            Service::Object,
            "execute_kw",
            params,
            &call,
            idempotent(method),
        )
        .await
    }

    /// [`OdooClient::execute_kw`] for a method that answers a list of ids, read into an
    /// [`IdSet`] as it arrives (see [`Transport::call_ids`]), with the same retries.
    pub async fn execute_kw_ids(
        &self,
        model: &str,
        method: &str,
        args: Vec<Value>,
        kwargs: Struct,
    ) -> Result<IdSet, OdooError> {
        let params = self.object_params(model, method, args, kwargs).await?;
        let call = format!("{model}.{method}");
        self.retrying(&call, idempotent(method), || {
            self.transport
                .call_ids(Service::Object, "execute_kw", &params, &call)
        })
        .await
    }

    /// The parameters of `execute_kw`, authenticating first if needed.
    async fn object_params(
        &self,
        model: &str,
        method: &str,
        args: Vec<Value>,
        kwargs: Struct,
    ) -> Result<Vec<Value>, OdooError> {
        let uid = *self
            .uid
            .get_or_try_init(|| self.authenticate_once())
            .await?;
        let kwargs = self.merge_context(kwargs);
        let c = &self.credentials;
        let mut params = vec![
            Value::from(c.database.as_str()),
            Value::Int(uid),
            Value::from(c.secret.expose()),
            Value::from(model),
            Value::from(method),
            Value::Array(args),
        ];
        if !kwargs.is_empty() {
            params.push(Value::Struct(kwargs));
        }
        Ok(params)
    }

    fn merge_context(&self, mut kwargs: Struct) -> Struct {
        if self.context.is_empty() {
            return kwargs;
        }
        let mut context = match kwargs.remove("context") {
            Some(Value::Struct(c)) => c,
            _ => Struct::new(),
        };
        for (k, v) in self.context.iter() {
            if context.get(k).is_none() {
                context.push(k, v.clone());
            }
        }
        kwargs.push("context", Value::Struct(context));
        kwargs
    }

    /// One RPC with the retry policy around it.
    async fn call(
        &self,
        service: Service,
        method: &str,
        params: Vec<Value>,
        call: &str,
        idempotent: bool,
    ) -> Result<Value, OdooError> {
        self.retrying(call, idempotent, || {
            self.transport.call(service, method, &params, call)
        })
        .await
    }

    /// Runs `attempt` under the retry policy. Each attempt is counted; failures by kind.
    async fn retrying<'a, T>(
        &self,
        call: &str,
        idempotent: bool,
        attempt_once: impl Fn() -> BoxFuture<'a, Result<T, OdooError>>,
    ) -> Result<T, OdooError> {
        let mut attempt = 1;
        loop {
            self.metrics.add_call();
            let started = std::time::Instant::now();
            let err = match attempt_once().await {
                Ok(v) => {
                    tracing::debug!(
                        call,
                        attempt,
                        elapsed_ms = started.elapsed().as_millis() as u64,
                        "rpc ok"
                    );
                    return Ok(v);
                }
                Err(e) => e,
            };
            self.metrics.add_error(err.kind());
            let retryable = err.is_transient() && (idempotent || err.certainly_not_applied());
            if !retryable || !self.retry.allows_another(attempt) {
                tracing::debug!(call, attempt, error = %err, "rpc failed");
                return Err(err);
            }
            let delay = self.retry.delay(attempt, rand::random::<f64>());
            tracing::warn!(call, attempt, delay_ms = delay.as_millis() as u64, error = %err, "transient failure, retrying");
            tokio::time::sleep(delay).await;
            self.metrics.add_retry();
            attempt += 1;
        }
    }
}

fn idempotent(method: &str) -> bool {
    IDEMPOTENT_METHODS.contains(&method)
}

pub(crate) fn unexpected(call: &str, expected: &'static str, got: &Value) -> OdooError {
    let mut shown = got.to_string();
    if shown.chars().count() > 120 {
        shown = shown.chars().take(120).collect::<String>() + "…";
    }
    OdooError::UnexpectedReply {
        call: call.to_owned(),
        expected,
        got: shown,
    }
}
