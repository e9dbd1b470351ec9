//! The simulator's JSON-RPC routes, as recorded in `fixtures/odoo17/jsonrpc/`: `/jsonrpc`
//! (the `common` and `object` services, answered by the same [`Sim::dispatch`] as
//! `/xmlrpc/2`, so the two cannot drift), `/web/webclient/version_info` (what odoorpc asks
//! first) and `/web/session/authenticate`. Errors are HTTP 200 with Odoo's error object; a
//! body that is not JSON, or a GET, is Werkzeug's 400 "Invalid JSON data".

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;

use super::Sim;
use super::auth;
use super::fault::SimFault;
use super::http::set_date;
use super::methods;
use crate::jsonrpc::{RpcError, decode_request, encode_error, encode_result};
use crate::record::Value as RV;
use crate::xmlrpc::{Struct, Value as X};

/// The routes served, in the order of [`Sim::handle_jsonrpc`]'s match.
pub(crate) const JSON_ROUTES: [&str; 3] = [
    "/jsonrpc",
    "/web/webclient/version_info",
    "/web/session/authenticate",
];

/// Werkzeug's `BadRequest("Invalid JSON data")` body, as recorded (098, 100).
const INVALID_JSON: &str = "Invalid JSON data";

/// One answer: HTTP status, content type, body, and a session cookie for
/// `/web/session/authenticate`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct JsonAnswer {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
    pub session: Option<String>,
}

impl JsonAnswer {
    fn json(body: Vec<u8>) -> JsonAnswer {
        JsonAnswer {
            status: 200,
            content_type: "application/json; charset=utf-8",
            body,
            session: None,
        }
    }

    fn bad_request() -> JsonAnswer {
        JsonAnswer {
            status: 400,
            content_type: "text/html; charset=utf-8",
            body: INVALID_JSON.as_bytes().to_vec(),
            session: None,
        }
    }
}

impl Sim {
    /// Answers one JSON request body POSTed to `route` (one of [`JSON_ROUTES`]).
    pub(crate) fn handle_jsonrpc(&self, route: &str, body: &[u8]) -> JsonAnswer {
        let Ok(request) = decode_request(body) else {
            return JsonAnswer::bad_request();
        };
        let empty = Struct::new();
        let params = request.params.as_struct().unwrap_or(&empty);
        let mut session = None;
        let result = match route {
            "/jsonrpc" => self.jsonrpc(params),
            "/web/webclient/version_info" => Ok(self.version.clone()),
            "/web/session/authenticate" => self.session_authenticate(params).inspect(|_| {
                session = Some(format!("{:040x}", rand::random::<u128>()));
            }),
            other => Err(SimFault::python(
                "werkzeug.exceptions.NotFound",
                &format!("404 Not Found: {other}"),
                "http.py",
            )),
        };
        let body = match result {
            Ok(v) => encode_result(&request.id, &v),
            Err(f) => encode_error(
                &request.id,
                &RpcError {
                    code: 200,
                    message: "Odoo Server Error".to_owned(),
                    data: Some(f.json_error()),
                },
            ),
        };
        JsonAnswer {
            session,
            ..JsonAnswer::json(body)
        }
    }

    /// `/jsonrpc`: `dispatch_rpc(service, method, args)` (Odoo's `rpc.py` controller).
    fn jsonrpc(&self, params: &Struct) -> Result<X, SimFault> {
        let text = |k: &str| params.get(k).and_then(X::as_str);
        let (Some(service), Some(method)) = (text("service"), text("method")) else {
            // Not recorded: the controller's signature is `jsonrpc(self, service, method, args)`.
            return Err(SimFault::type_error(
                "RPC.jsonrpc() missing required positional arguments: 'service', 'method'",
            ));
        };
        let args = params.get("args").and_then(X::as_array).unwrap_or(&[]);
        self.dispatch(service, method, args)
    }

    /// `/web/session/authenticate(db, login, password)`: not in the recordings; taught from
    /// Odoo 17's `web/controllers/session.py` (an unknown database is an `AccessError`, bad
    /// credentials Odoo's `AccessDenied`, success `ir.http.session_info()`, of which the
    /// keys a client reads are kept).
    fn session_authenticate(&self, params: &Struct) -> Result<X, SimFault> {
        let text = |k: &str| params.get(k).and_then(X::as_str).unwrap_or("");
        if text("db") != self.database {
            return Err(SimFault::access("Database not found."));
        }
        let store = self.read();
        let uid = auth::authenticate(&store, text("login"), text("password"))
            .ok_or_else(SimFault::access_denied)?;
        let user_text = |field: &str| match store.value("res.users", uid, field) {
            Some(RV::Str(s)) => X::String(s),
            _ => X::Bool(false),
        };
        let partner = match store.value("res.users", uid, "partner_id") {
            Some(RV::Many2one(id)) => X::Int(id),
            _ => X::Bool(false),
        };
        let version = self.version.as_struct();
        let from_version = |k: &str| {
            version
                .and_then(|v| v.get(k))
                .cloned()
                .unwrap_or(X::Bool(false))
        };
        let is_admin = X::Bool(auth::is_admin(&store, uid));
        Ok(X::Struct(Struct(vec![
            ("uid".into(), X::Int(uid)),
            ("is_system".into(), is_admin.clone()),
            ("is_admin".into(), is_admin),
            ("user_context".into(), methods::user_context(&store, uid)),
            ("db".into(), X::String(self.database.clone())),
            ("server_version".into(), from_version("server_version")),
            (
                "server_version_info".into(),
                from_version("server_version_info"),
            ),
            ("name".into(), user_text("name")),
            ("username".into(), user_text("login")),
            ("partner_id".into(), partner),
        ])))
    }
}

/// Adds the JSON-RPC routes to `router`.
pub(super) fn routes(router: Router<Arc<Sim>>) -> Router<Arc<Sim>> {
    JSON_ROUTES.iter().fold(router, |r, &path| {
        r.route(path, any(move |s, m, b| route(s, m, b, path)))
    })
}

async fn route(
    State(sim): State<Arc<Sim>>,
    method: Method,
    body: Bytes,
    path: &'static str,
) -> Response {
    // Odoo reads the body as JSON whatever the method: a GET has none (recorded in 100).
    let body = if method == Method::POST {
        body
    } else {
        Bytes::new()
    };
    let answer = tokio::task::spawn_blocking(move || {
        let now = (sim.read().clock)();
        (now, sim.handle_jsonrpc(path, &body))
    })
    .await;
    let Ok((now, answer)) = answer else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
    let mut r = (status, answer.body).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(answer.content_type),
    );
    if let Some(sid) = answer.session
        && let Ok(v) = HeaderValue::from_str(&format!("session_id={sid}; HttpOnly; Path=/"))
    {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    set_date(&mut r, now);
    r
}
