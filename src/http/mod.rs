//! The admin listener (axum, loopback by default): `/healthz` (the process answers),
//! `/readyz` (Odoo reachable and every job's last run ok), `/metrics` (Prometheus text) and,
//! when `[webhooks]` is set, Odoo's webhooks at `/webhooks/odoo/<secret>` ([`webhook`]); when
//! `[board]` is set, the leaderboards, each person's page and the rules ([`pages`], rendered
//! by [`page`] from the copy of the boards in [`boards`], opened by signed [`link`]s).
//! Like mini-redis, [`serve`] takes its listener and a shutdown future, so tests bind
//! `127.0.0.1:0` and stop it cleanly.
//!
//! Authentication: when a token is configured, `/readyz` and `/metrics` need
//! `Authorization: Bearer <token>`; `/healthz` stays open because it says nothing but "alive"
//! and liveness probes rarely can send headers.

mod auth;
pub mod boards;
pub mod link;
mod metrics;
pub mod page;
mod pages;
mod ready;
mod webhook;

use std::future::Future;
use std::sync::{Arc, RwLock};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tokio::net::TcpListener;

pub(crate) use auth::authorized;
pub use boards::Boards;
pub use metrics::DaemonMetrics;
pub use ready::OdooProbe;
pub use webhook::{Watcher, Webhooks};

use crate::odoo::Secret;

/// What the handlers read; shared with the daemon, which updates it on reload.
pub struct AdminState {
    pub metrics: Arc<DaemonMetrics>,
    pub probe: Arc<OdooProbe>,
    token: RwLock<Option<Secret>>,
    /// Odoo's webhooks, when `[webhooks]` is configured.
    pub webhooks: Option<Arc<Webhooks>>,
    /// The largest webhook body accepted (413 beyond).
    webhook_max_body: usize,
    /// The leaderboard, personal and rules pages, when `[board]` is configured.
    pub boards: Option<Arc<Boards>>,
}

impl std::fmt::Debug for AdminState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminState").finish_non_exhaustive()
    }
}

impl AdminState {
    pub fn new(metrics: Arc<DaemonMetrics>, probe: Arc<OdooProbe>, token: Option<Secret>) -> Self {
        Self {
            metrics,
            probe,
            token: RwLock::new(token),
            webhooks: None,
            webhook_max_body: 0,
            boards: None,
        }
    }

    /// Receives Odoo's webhooks too, with bodies up to `max_body` bytes.
    pub fn with_webhooks(mut self, webhooks: Arc<Webhooks>, max_body: usize) -> Self {
        self.webhooks = Some(webhooks);
        self.webhook_max_body = max_body;
        self
    }

    /// Serves the board pages too.
    pub fn with_boards(mut self, boards: Arc<Boards>) -> Self {
        self.boards = Some(boards);
        self
    }

    pub(crate) fn set_token(&self, token: Option<Secret>) {
        if let Ok(mut t) = self.token.write() {
            *t = token;
        }
    }

    /// Whether the request carries the configured admin token (false when none is set: the
    /// board's pages are never opened by the absence of a token).
    fn admin_bearer(&self, headers: &HeaderMap) -> bool {
        match self.token.read() {
            Ok(t) => t.as_ref().is_some_and(|t| authorized(headers, Some(t))),
            Err(_) => false,
        }
    }

    fn allows(&self, headers: &HeaderMap) -> bool {
        match self.token.read() {
            Ok(t) => authorized(headers, t.as_ref()),
            Err(_) => false,
        }
    }
}

/// The routes, for embedding or testing without a socket.
pub fn router(state: Arc<AdminState>) -> Router {
    let body_limit = DefaultBodyLimit::max(state.webhook_max_body);
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_text))
        .route(
            "/webhooks/odoo/{secret}",
            post(webhook::receive).layer(body_limit),
        )
        .route("/board", get(pages::list))
        .route("/board/events", get(pages::events))
        .route("/board/{id}", get(pages::challenge))
        .route("/board/{id}/rows", get(pages::rows))
        .route("/rules", get(pages::rules))
        .route("/me/{token}", get(pages::me))
        .with_state(state)
}

/// Serves the admin endpoints on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    state: Arc<AdminState>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // The boards' event streams never end by themselves: they end when the listener stops,
    // or the graceful shutdown would wait for every open page.
    let streams = state.boards.as_ref().map(|b| b.closing.clone());
    let shutdown = async move {
        shutdown.await;
        if let Some(s) = streams {
            s.cancel();
        }
    };
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}

async fn healthz() -> &'static str {
    "ok\n"
}

fn unauthorized() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        [(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"))],
        "unauthorized\n",
    )
        .into_response()
}

async fn readyz(State(state): State<Arc<AdminState>>, headers: HeaderMap) -> Response {
    if !state.allows(&headers) {
        return unauthorized();
    }
    let mut ready = true;
    let mut body = String::new();
    match state.probe.check().await {
        Ok(version) => body.push_str(&format!("odoo: ok ({version})\n")),
        Err(why) => {
            ready = false;
            body.push_str(&format!("odoo: unreachable: {why}\n"));
        }
    }
    for (job, status) in state.metrics.statuses() {
        match status.error {
            None => body.push_str(&format!("job {job}: ok at {}\n", status.finished_at)),
            Some(e) => {
                ready = false;
                body.push_str(&format!(
                    "job {job}: failed at {}: {e}\n",
                    status.finished_at
                ));
            }
        }
    }
    let code = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let head = if ready { "ready\n" } else { "not ready\n" };
    (code, format!("{head}{body}")).into_response()
}

async fn metrics_text(State(state): State<Arc<AdminState>>, headers: HeaderMap) -> Response {
    if !state.allows(&headers) {
        return unauthorized();
    }
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
        )],
        state.metrics.encode(),
    )
        .into_response()
}
