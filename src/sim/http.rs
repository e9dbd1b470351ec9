//! The simulator on the wire (JSON-RPC's routes are in `jsonrpc.rs`, JSON-2's in `json2.rs`): `/xmlrpc/2/<service>` bodies decoded with the project's codec,
//! answered by [`Sim::dispatch`], encoded back; malformed XML answered with the expat
//! message Odoo's Python gives, faults with HTTP 200, and any other HTTP method with 405.

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;

use super::Sim;
use super::fault::SimFault;
use crate::xmlrpc::{
    DecodeError, DecodeErrorKind, Fault, MethodResponse, decode_call, encode_response,
};

/// Odoo's request size limit.
const MAX_BODY: usize = 128 * 1024 * 1024;

/// Werkzeug's 405 page, as Odoo serves it for a GET on an RPC route.
const METHOD_NOT_ALLOWED: &str = "<!doctype html>\n<html lang=en>\n<title>405 Method Not Allowed</title>\n<h1>Method Not Allowed</h1>\n<p>The method is not allowed for the requested URL.</p>\n";

impl Sim {
    /// Answers one XML-RPC request body sent to `/xmlrpc/2/<service>` (always a
    /// `methodResponse` document: faults travel inside it).
    pub fn handle_xmlrpc(&self, service: &str, body: &[u8]) -> Vec<u8> {
        let expat = |message: String| {
            SimFault::python(
                "xml.parsers.expat.ExpatError",
                &message,
                "../../usr/lib/python3.11/xmlrpc/client.py",
            )
        };
        // XML 1.0 forbids these characters anywhere; expat refuses the whole body.
        let result = match invalid_token(body) {
            Some(message) => Err(expat(message)),
            None => match decode_call(body) {
                Ok(call) => self.dispatch(service, &call.name, &call.params),
                Err(e) => Err(expat(expat_message(body, &e))),
            },
        };
        let response = match result {
            Ok(v) => MethodResponse::Success(v),
            Err(f) => MethodResponse::Fault(Fault::new(f.code, f.string)),
        };
        encode_response(&response)
    }
}

/// Expat's line (1-based) and column (0-based, in bytes) of a byte offset.
fn position(body: &[u8], offset: usize) -> (usize, usize) {
    let head = &body[..offset.min(body.len())];
    let line = head.iter().filter(|&&b| b == b'\n').count() + 1;
    let column = head.len() - head.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
    (line, column)
}

/// A control character XML 1.0 forbids, as expat reports it.
fn invalid_token(body: &[u8]) -> Option<String> {
    let bad = body
        .iter()
        .position(|&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r'))?;
    let (line, column) = position(body, bad);
    Some(format!(
        "not well-formed (invalid token): line {line}, column {column}"
    ))
}

/// What Python's expat would say about a body our decoder rejected: a body that ends early
/// has "no element found" at its end, anything else is an invalid token where it failed.
fn expat_message(body: &[u8], err: &DecodeError) -> String {
    let position = |offset| position(body, offset);
    match err.kind {
        DecodeErrorKind::Truncated { .. } | DecodeErrorKind::Empty => {
            let (line, column) = position(body.len());
            format!("no element found: line {line}, column {column}")
        }
        _ => {
            let (line, column) = position(err.offset);
            format!("not well-formed (invalid token): line {line}, column {column}")
        }
    }
}

async fn rpc(
    State(sim): State<Arc<Sim>>,
    method: Method,
    Path(service): Path<String>,
    body: Bytes,
) -> Response {
    if method != Method::POST {
        let mut r = (StatusCode::METHOD_NOT_ALLOWED, METHOD_NOT_ALLOWED).into_response();
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        r.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        return r;
    }
    // Calls are CPU-bound and take the store lock: keep them off the async workers. The
    // `Date` header comes from the store's clock (as write dates do), so a pinned or
    // ticking test clock and the server time clients see agree, as on a real server.
    let answer = tokio::task::spawn_blocking(move || {
        let now = (sim.read().clock)();
        (now, sim.handle_xmlrpc(&service, &body))
    })
    .await;
    match answer {
        Ok((now, xml)) => {
            let mut r = (StatusCode::OK, xml).into_response();
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/xml; charset=utf-8"),
            );
            set_date(&mut r, now);
            r
        }
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// The `Date` header of an answer, from the store's clock.
pub(super) fn set_date(r: &mut Response, now: chrono::NaiveDateTime) {
    let date = now.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
    if let Ok(v) = HeaderValue::from_str(&date) {
        r.headers_mut().insert(header::DATE, v);
    }
}

/// The simulator's routes (for embedding in another axum app or a test): XML-RPC, the
/// JSON-RPC routes of `jsonrpc.rs` and, on Odoo 19, JSON-2 (`json2.rs`), one
/// dispatch behind all; any other path is Werkzeug's HTML 404, as on a real Odoo.
pub fn router(sim: Arc<Sim>) -> Router {
    let mut routes = super::jsonrpc::routes(Router::new()).route("/xmlrpc/2/{service}", any(rpc));
    if sim.major() >= 19 {
        routes = super::json2::routes(routes);
    }
    routes
        .fallback(super::json2::not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(sim)
}

/// Serves `sim` on `listener` until `shutdown` resolves (tests bind `127.0.0.1:0`).
pub async fn serve(
    listener: tokio::net::TcpListener,
    sim: Arc<Sim>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(sim))
        .with_graceful_shutdown(shutdown)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expat_messages_point_where_python_does() {
        let truncated = b"<methodCall><methodName>execute_kw</methodName><params>";
        let err = decode_call(truncated).expect_err("truncated");
        assert_eq!(
            expat_message(truncated, &err),
            "no element found: line 1, column 55"
        );
        let bad = b"<methodCall>\n<methodName>x\x07</methodName></methodCall>";
        assert_eq!(
            invalid_token(bad).as_deref(),
            Some("not well-formed (invalid token): line 2, column 13")
        );
        assert_eq!(invalid_token(truncated), None);
    }
}
