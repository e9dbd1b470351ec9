//! The board's routes on the admin listener (when `[board]` is configured): `/board` (every
//! running challenge), `/board/<id>` (one, `?view=ranking|fair|teams`), `/board/<id>/rows`
//! (the rows alone, what the page fetches on an update), `/board/events` (server-sent events:
//! a new copy of the boards), `/rules`, and `/me/<link>` (a person's own page).
//!
//! Who reads what: with `[board] public = true` the boards and the rules are open to whoever
//! reaches the listener; otherwise they need `Authorization: Bearer <http token>` or a signed
//! link (`?k=<token>`: a person's own link, or the board link for a wall screen). A person's
//! page needs their own signed link, always. A refusal says so and shows no data. Link tokens
//! ride in the URL and are never logged.

use std::convert::Infallible;
use std::sync::Arc;

use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use tokio::sync::broadcast::error::RecvError;

use super::AdminState;
use super::boards::{Boards, Snapshot};
use super::link::{Subject, verify};
use super::page::board::View;
use super::page::{self, shell};

/// A query parameter's value (ours are plain: link tokens and view names need no decoding).
fn query<'a>(uri: &'a Uri, name: &str) -> Option<&'a str> {
    uri.query()?
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty())
}

fn html(code: StatusCode, body: String) -> Response {
    (
        code,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            (header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(
                    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; \
                     connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
                ),
            ),
        ],
        body,
    )
        .into_response()
}

fn message(code: StatusCode, title: &str, text: &str) -> Response {
    html(
        code,
        shell(
            title,
            &format!(
                "<header><h1>{}</h1></header>\n<main><p class=\"empty\">{}</p></main>",
                page::esc(title),
                page::esc(text)
            ),
            None,
        ),
    )
}

fn forbidden() -> Response {
    message(
        StatusCode::FORBIDDEN,
        "Not for this link",
        "This page is private. Open it with the link you were given; if it stopped working, ask for a new one.",
    )
}

fn not_found() -> Response {
    message(StatusCode::NOT_FOUND, "Not found", "There is no such page.")
}

fn boards(state: &AdminState) -> Option<&Arc<Boards>> {
    state.boards.as_ref()
}

/// The boards, when this request may read them and the rules (else the refusal to send).
fn readable<'a>(
    state: &'a AdminState,
    headers: &HeaderMap,
    uri: &Uri,
) -> Result<&'a Arc<Boards>, Refusal> {
    let Some(b) = boards(state) else {
        return Err(Refusal::NotFound);
    };
    let Some(cfg) = b.config() else {
        return Err(Refusal::NotFound);
    };
    let allowed = cfg.public
        || state.admin_bearer(headers)
        || query(uri, "k").is_some_and(|k| verify(&cfg.secret, k, b.now()).is_ok());
    if allowed {
        Ok(b)
    } else {
        Err(Refusal::Forbidden)
    }
}

/// Why a request may not read the boards.
pub(super) enum Refusal {
    /// No board is configured.
    NotFound,
    /// Neither public, nor the admin token, nor a valid link.
    Forbidden,
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Refusal::NotFound => not_found(),
            Refusal::Forbidden => forbidden(),
        }
    }
}

/// A request allowed to read the boards and the rules (extracted before each such handler;
/// otherwise it is refused with [`readable`]'s answer).
pub(super) struct Reader {
    boards: Arc<Boards>,
    uri: Uri,
}

impl Reader {
    fn key(&self) -> Option<&str> {
        query(&self.uri, "k")
    }
}

impl FromRequestParts<Arc<AdminState>> for Reader {
    type Rejection = Refusal;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AdminState>,
    ) -> Result<Self, Refusal> {
        let boards = readable(state, &parts.headers, &parts.uri)?.clone();
        Ok(Reader {
            boards,
            uri: parts.uri.clone(),
        })
    }
}

async fn snapshot_or_503(boards: &Boards) -> Result<Arc<Snapshot>, Response> {
    boards.snapshot().await.map_err(|e| {
        tracing::warn!("leaderboards cannot be read: {e}");
        message(
            StatusCode::SERVICE_UNAVAILABLE,
            "Leaderboards unavailable",
            "The leaderboards cannot be read from Odoo right now; this page will work again once Odoo answers.",
        )
    })
}

pub(super) async fn list(r: Reader) -> Response {
    let b = &r.boards;
    match snapshot_or_503(b).await {
        Ok(s) => html(
            StatusCode::OK,
            page::board::list_page(&s, b.time_zone(), r.key()),
        ),
        Err(r) => r,
    }
}

pub(super) async fn challenge(r: Reader, Path(id): Path<String>) -> Response {
    one(&r, &id, false).await
}

pub(super) async fn rows(r: Reader, Path(id): Path<String>) -> Response {
    one(&r, &id, true).await
}

async fn one(r: &Reader, id: &str, rows: bool) -> Response {
    let b = &r.boards;
    let Ok(id) = id.parse::<i64>() else {
        return not_found();
    };
    let s = match snapshot_or_503(b).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Some(board) = s.challenge(id) else {
        return not_found();
    };
    let view = View::parse(query(&r.uri, "view"));
    let body = if rows {
        page::board::rows(board, &s, view, b.time_zone())
    } else {
        page::board::challenge_page(board, &s, view, b.time_zone(), r.key())
    };
    html(StatusCode::OK, body)
}

pub(super) async fn rules(r: Reader) -> Response {
    let b = &r.boards;
    let Some(config) = b.full_config() else {
        return not_found();
    };
    // The challenges made in Odoo come from the boards; without Odoo the config's rules
    // still show.
    let snapshot = b.snapshot().await.ok();
    html(
        StatusCode::OK,
        page::rules::page(&config, snapshot.as_deref(), r.key()),
    )
}

pub(super) async fn me(
    State(state): State<Arc<AdminState>>,
    Path(token): Path<String>,
) -> Response {
    let Some(b) = boards(&state) else {
        return not_found();
    };
    let Some(cfg) = b.config() else {
        return not_found();
    };
    let user = match verify(&cfg.secret, &token, b.now()) {
        Ok(Subject::User(id)) => id,
        Ok(Subject::Board) => return forbidden(),
        Err(super::link::LinkError::Malformed) => return not_found(),
        Err(_) => return forbidden(),
    };
    let Some(client) = b.client() else {
        return message(
            StatusCode::SERVICE_UNAVAILABLE,
            "Not ready",
            "scorekeeper is starting; try again in a moment.",
        );
    };
    let s = match snapshot_or_503(b).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let pay = pay_section(b, &client, user).await;
    match crate::jobs::gamification::points(&client, user).await {
        Ok(Some(points)) => html(
            StatusCode::OK,
            page::person::page(&points, &s, b.time_zone(), &token, pay.as_deref()),
        ),
        // A signed link to a user Odoo no longer has (archived, deleted).
        Ok(None) => not_found(),
        Err(e) => {
            tracing::warn!(user, "a person's page cannot be read: {e}");
            message(
                StatusCode::SERVICE_UNAVAILABLE,
                "Unavailable",
                "Your figures cannot be read from Odoo right now; try again in a moment.",
            )
        }
    }
}

/// The pay section of `user`'s page: their statement of the current period as Odoo holds it
/// (two reads), when `[pay]` is configured. A statement Odoo cannot give is said, not hidden.
async fn pay_section(
    b: &super::boards::Boards,
    client: &crate::odoo::OdooClient,
    user: i64,
) -> Option<String> {
    let config = b.full_config()?;
    let pay = config.pay.as_ref()?;
    let period = crate::jobs::pay::current_period(pay, b.now().date_naive());
    Some(
        match crate::jobs::pay::read::stored_statement(client, user, &period).await {
            Ok(Some(s)) => page::person::pay_section(&s, pay.currency_decimals),
            Ok(None) => format!(
                "<p class=\"empty\">No statement for {period} yet: it appears after the next pay run.</p>\n"
            ),
            Err(e) => {
                tracing::warn!(user, "a person's statement cannot be read: {e}");
                "<p class=\"empty\">Your statement cannot be read from Odoo right now.</p>\n"
                    .to_owned()
            }
        },
    )
}

pub(super) async fn events(r: Reader) -> Response {
    let b = &r.boards;
    let rx = b.subscribe();
    let first = b.version();
    let closing = b.closing.clone();
    let stream = futures_util::stream::unfold(
        (rx, first, closing),
        |(mut rx, first, closing)| async move {
            let update =
                |v: u64| Ok::<_, Infallible>(Event::default().event("update").data(v.to_string()));
            // The copy current when the page connected: an update it missed is fetched.
            if let Some(v) = first {
                return Some((update(v), (rx, None, closing)));
            }
            loop {
                tokio::select! {
                    () = closing.cancelled() => return None,
                    r = rx.recv() => match r {
                        Ok(v) => return Some((update(v), (rx, None, closing))),
                        Err(RecvError::Lagged(_)) => {}
                        Err(RecvError::Closed) => return None,
                    }
                }
            }
        },
    );
    Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response()
}
