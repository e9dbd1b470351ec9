//! Odoo 19's JSON-2 API on the simulator: `POST /json/2/<model>/<method>` with a bearer API
//! key, the optional `X-Odoo-Database` header and the method's arguments by name, answered
//! by the same [`Sim::execute`] as `/xmlrpc/2` and `/jsonrpc` (named arguments go back into
//! `execute_kw`'s shape through [`crate::jsonrpc::json2::decode_call`], the one table of
//! Odoo 19's parameter names). Also `GET /web/version` (and `/json/version`).
//!
//! Taught from the recordings `fixtures/odoo19/json2/` and `fixtures/odoo19/json2-mirror/`
//! (statuses, error bodies, messages) and from Odoo 19's source where they are silent:
//! `addons/rpc/controllers/json2.py` (the controller: unknown model and method are 404, ids
//! given to a model method and arguments that do not bind are 422, a recordset answer
//! becomes its ids), `odoo/http.py` (`Json2Dispatcher`: the body is parsed after
//! authentication, a body that is not an object is ignored, errors are
//! `serialize_exception` with `UserError.http_status`, werkzeug's code for HTTP errors,
//! 500 otherwise), `odoo/addons/base/models/ir_http.py` (`_auth_method_bearer`) and
//! `addons/rpc/controllers/__init__.py` (`/web/version`). Only the Odoo 19 simulator serves
//! these routes: a real 17 has no JSON-2 and answers its HTML 404.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;

use super::Sim;
use super::fault::SimFault;
use super::http::set_date;
use crate::jsonrpc::json2::{decode_call, encode_error, encode_result, signature};
use crate::xmlrpc::{Struct, Value as X};

const JSON: &str = "application/json; charset=utf-8";
const HTML: &str = "text/html; charset=utf-8";

/// Werkzeug's `NotFound` page: what Odoo answers for a route it does not have and, with
/// `X-Odoo-Database` naming a database it does not serve, for any route (the README of
/// `fixtures/odoo19` records "a 404 HTML page"; the page itself was not recorded, so this is
/// Werkzeug's own body, in the shape of the recorded 400 page).
pub(crate) const NOT_FOUND_PAGE: &str = "<!doctype html>\n<html lang=en>\n<title>404 Not Found</title>\n<h1>Not Found</h1>\n<p>The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.</p>\n";

/// `POST /web/version`: the route is `type='http'`, so an unsafe method without a CSRF token
/// is refused (`fixtures/odoo19/json2/001-web-version.json`).
const CSRF_PAGE: &str = "<!doctype html>\n<html lang=en>\n<title>400 Bad Request</title>\n<h1>Bad Request</h1>\n<p>Session expired (invalid CSRF token)</p>\n";

/// What the catch-all `/json/2/<path:subpath>` route says (027: a GET of a method).
const DID_YOU_MEAN: &str = "Did you mean POST /json/2/<model>/<method>?";

/// `_auth_method_bearer`'s two refusals (003, 004).
const NOT_AUTHENTICATED: &str =
    "User not authenticated, use an API Key with a Bearer Authorization header.";
const INVALID_APIKEY: &str = "Invalid apikey";

/// One JSON-2 answer: HTTP status, content type, body.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Json2Answer {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
}

impl Json2Answer {
    fn json(status: u16, body: Vec<u8>) -> Json2Answer {
        Json2Answer {
            status,
            content_type: JSON,
            body,
        }
    }

    fn html(status: u16, page: &str) -> Json2Answer {
        Json2Answer {
            status,
            content_type: HTML,
            body: page.as_bytes().to_vec(),
        }
    }

    /// A werkzeug `HTTPException` as `Json2Dispatcher.handle_error` serializes it: its
    /// description as the message, `(description, code)` as the arguments.
    fn http_error(status: u16, class: &str, description: &str) -> Json2Answer {
        let name = format!("werkzeug.exceptions.{class}");
        let debug = traceback(
            &name,
            &format!("{status} {}: {description}", reason(status)),
        );
        Json2Answer::json(
            status,
            encode_error(
                &name,
                description,
                &[X::from(description), X::Int(i64::from(status))],
                &debug,
            ),
        )
    }

    /// A fault raised by the ORM: an Odoo exception answers its `http_status` (`UserError`
    /// and `ValidationError` 422, `AccessError` and `AccessDenied` 403, `MissingError` 404),
    /// any other exception 500; the arguments are the exception's own (its message).
    fn fault(fault: &SimFault) -> Json2Answer {
        let data = fault.json_error();
        let status = match data.name.as_str() {
            "odoo.exceptions.MissingError" => 404,
            "odoo.exceptions.AccessError" | "odoo.exceptions.AccessDenied" => 403,
            n if n.starts_with("odoo.exceptions.") => 422,
            _ => 500,
        };
        Json2Answer::json(
            status,
            encode_error(
                &data.name,
                &data.message,
                &[X::from(data.message.as_str())],
                &data.debug,
            ),
        )
    }
}

/// Werkzeug's reason phrase of the statuses JSON-2 answers with.
fn reason(status: u16) -> &'static str {
    StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Error")
}

/// A traceback in Python's shape ending on `name: line`, with one synthetic frame (the real
/// one names Odoo's files and lines, which a client never reads).
fn traceback(name: &str, line: &str) -> String {
    format!(
        "Traceback (most recent call last):\n  File \"/opt/odoo/odoo/http.py\", in \
         scorekeeper_sim\n    (simulated frame)\n{name}: {line}\n"
    )
}

/// The request parts JSON-2 reads.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Json2Request<'a> {
    pub http_method: &'a str,
    pub path: &'a str,
    /// The `Authorization` header.
    pub authorization: Option<&'a str>,
    /// The `X-Odoo-Database` header.
    pub database: Option<&'a str>,
    pub body: &'a [u8],
}

impl Sim {
    /// Answers one request to `/json/2…`, `/web/version` or `/json/version` on the Odoo 19
    /// simulator.
    pub(crate) fn handle_json2(&self, req: &Json2Request) -> Json2Answer {
        if req
            .database
            .is_some_and(|db| !db.is_empty() && db != self.database)
        {
            return Json2Answer::html(404, NOT_FOUND_PAGE);
        }
        if matches!(req.path, "/web/version" | "/json/version") {
            return self.web_version(req.http_method);
        }
        let rest = req.path.strip_prefix("/json/2").unwrap_or("");
        let target = rest
            .strip_prefix('/')
            .and_then(|r| r.split_once('/'))
            .filter(|(m, f)| !m.is_empty() && !f.is_empty() && !f.contains('/'));
        let params = match Params::parse(req.body) {
            Ok(p) => p,
            Err(answer) => {
                // The body is read after authentication on the method route (a bad key wins
                // over a bad body), before anything on the public catch-all.
                if target.is_none() || req.http_method != "POST" {
                    return answer;
                }
                if let Err(refusal) = self.bearer(req.authorization) {
                    return refusal;
                }
                return answer;
            }
        };
        match target {
            Some((model, method)) if req.http_method == "POST" => {
                let uid = match self.bearer(req.authorization) {
                    Ok(uid) => uid,
                    Err(refusal) => return refusal,
                };
                self.json2_call(uid, model, method, &params)
            }
            // `web_json_2_404`, `auth='public'`: any other method or path under /json/2.
            _ => Json2Answer::http_error(404, "NotFound", DID_YOU_MEAN),
        }
    }

    /// `{"version_info": [...], "version": "19.0"}` for a GET (Odoo 19's
    /// `addons/rpc/controllers/__init__.py`), the CSRF refusal for any unsafe method.
    fn web_version(&self, http_method: &str) -> Json2Answer {
        if !matches!(http_method, "GET" | "HEAD" | "OPTIONS") {
            return Json2Answer::html(400, CSRF_PAGE);
        }
        let from_version = |k: &str| {
            self.version
                .as_struct()
                .and_then(|v| v.get(k))
                .cloned()
                .unwrap_or(X::Bool(false))
        };
        let body = X::Struct(Struct(vec![
            ("version_info".into(), from_version("server_version_info")),
            ("version".into(), from_version("server_version")),
        ]));
        Json2Answer::json(200, encode_result(&body))
    }

    /// The uid of the bearer API key (`_auth_method_bearer`: `bearer <key>`, any case).
    fn bearer(&self, authorization: Option<&str>) -> Result<i64, Json2Answer> {
        let token = authorization.and_then(|h| {
            let (scheme, token) = h.trim().split_once(char::is_whitespace)?;
            let token = token.trim();
            (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
        });
        let Some(token) = token else {
            return Err(Json2Answer::http_error(
                401,
                "Unauthorized",
                NOT_AUTHENTICATED,
            ));
        };
        let store = self.read();
        let uid = store.api_keys.get(token).copied().filter(|&uid| {
            store.value("res.users", uid, "active") == Some(crate::record::Value::Bool(true))
        });
        uid.ok_or_else(|| Json2Answer::http_error(401, "Unauthorized", INVALID_APIKEY))
    }

    /// `web_json_2_rpc(model, method, ids, context, **kwargs)`.
    fn json2_call(&self, uid: i64, model: &str, method: &str, params: &Params) -> Json2Answer {
        if !self.has_model(model) {
            return Json2Answer::http_error(
                404,
                "NotFound",
                &format!("the model '{model}' does not exist"),
            );
        }
        if method.starts_with('_') || method == "init" {
            let message = super::wording::private_method(self.major, model, method);
            return Json2Answer::fault(&SimFault::access(message));
        }
        let (mut args, mut kwargs) = match decode_call(method, params.object()) {
            Ok(call) => call,
            Err(e) => return Json2Answer::http_error(400, "BadRequest", &e.to_string()),
        };
        if let Some(sig) = signature(method) {
            if !sig.on_records() {
                // `@api.model` methods take no ids (`ids` stays a keyword when the
                // signature has none).
                // Python's `if ... and ids:` — an empty list, null or false is no ids.
                let empty = |ids: &X| {
                    matches!(ids, X::Nil)
                        || ids.is_false()
                        || ids.as_array().is_some_and(<[X]>::is_empty)
                };
                if kwargs.remove("ids").is_some_and(|ids| !empty(&ids)) {
                    return Json2Answer::http_error(
                        422,
                        "UnprocessableEntity",
                        &format!("cannot call {model}.{method} with ids"),
                    );
                }
            }
            // `inspect.signature(func).bind(records, **kwargs)`: the first required
            // parameter missing is named.
            let given = |name: &&str| {
                let at = sig
                    .names
                    .iter()
                    .position(|n| n == name)
                    .unwrap_or(usize::MAX);
                at < args.len() || kwargs.get(name).is_some()
            };
            if let Some(missing) = sig.params()[..sig.required].iter().find(|n| !given(n)) {
                return Json2Answer::http_error(
                    422,
                    "UnprocessableEntity",
                    &format!("missing a required argument: '{missing}'"),
                );
            }
        } else if args.is_empty() {
            // A method on records called without `ids` runs on the empty recordset.
            args.push(X::Array(Vec::new()));
        }
        match self.execute(uid, model, method, &args, &kwargs) {
            // `if isinstance(result, BaseModel): result = result.ids`: a create answers its
            // ids as a list even for one record (json2-mirror 014).
            Ok(X::Int(id)) if matches!(method, "create" | "copy") => {
                Json2Answer::json(200, encode_result(&X::Array(vec![X::Int(id)])))
            }
            Ok(v) => Json2Answer::json(200, encode_result(&v)),
            Err(f) => match unknown_method(&f) {
                // `get_public_method` raises AttributeError, the controller answers 404.
                Some(message) => Json2Answer::http_error(404, "NotFound", &message),
                None => Json2Answer::fault(&f),
            },
        }
    }
}

/// The message of an `AttributeError: The method '…' does not exist` fault.
fn unknown_method(f: &SimFault) -> Option<String> {
    let line = f.last_line().strip_prefix("AttributeError: ")?;
    (line.starts_with("The method '") && line.ends_with("' does not exist"))
        .then(|| line.to_owned())
}

/// A request body as `Json2Dispatcher.dispatch` reads it: none, or JSON; a JSON value that
/// is not an object is ignored (`self.jsonrequest | args` fails and only the path's
/// arguments are kept).
struct Params<'a> {
    body: &'a [u8],
    is_object: bool,
}

impl<'a> Params<'a> {
    fn parse(body: &'a [u8]) -> Result<Params<'a>, Json2Answer> {
        if body.is_empty() {
            return Ok(Params {
                body,
                is_object: false,
            });
        }
        // Checked without building the value (write bodies carry thousands of ids); the
        // arguments are decoded once, by `decode_call`.
        match serde_json::from_slice::<serde::de::IgnoredAny>(body) {
            Ok(_) => Ok(Params {
                body,
                is_object: body.trim_ascii_start().first() == Some(&b'{'),
            }),
            Err(e) => Err(Json2Answer::http_error(
                400,
                "BadRequest",
                &format!(
                    "could not parse the body as json: {}",
                    python_json_error(body, &e)
                ),
            )),
        }
    }

    /// The body to read the arguments from.
    fn object(&self) -> &'a [u8] {
        if self.is_object { self.body } else { b"{}" }
    }
}

/// Python's `json.loads` message for a body serde_json refused: the reason as Python words
/// it, then `line L column C (char N)` (columns and offsets in characters). The recorded
/// case is 009 (`{not json`); the other wordings are Python 3.11's `json/decoder.py` and
/// `json/scanner.py`, matched to serde_json's by kind.
fn python_json_error(body: &[u8], e: &serde_json::Error) -> String {
    let text = e.to_string();
    let eof = e.classify() == serde_json::error::Category::Eof;
    let reason = if text.starts_with("key must be a string") {
        "Expecting property name enclosed in double quotes"
    } else if text.starts_with("expected `:`") {
        "Expecting ':' delimiter"
    } else if text.starts_with("expected `,` or") {
        "Expecting ',' delimiter"
    } else if text.starts_with("trailing characters") {
        "Extra data"
    } else if text.starts_with("control character") {
        "Invalid control character at"
    } else if text.starts_with("EOF while parsing a string") {
        "Unterminated string starting at"
    } else if text.starts_with("EOF while parsing an object") {
        "Expecting ',' delimiter"
    } else {
        "Expecting value"
    };
    // serde_json's column counts bytes up to and including the offending one; at the end of
    // the input Python points just past the last character.
    let offset = if eof {
        body.len()
    } else {
        let line_start: usize = body
            .split(|&b| b == b'\n')
            .take(e.line().saturating_sub(1))
            .map(|l| l.len() + 1)
            .sum();
        (line_start + e.column().saturating_sub(1)).min(body.len())
    };
    let head = String::from_utf8_lossy(&body[..offset]);
    let char_offset = head.chars().count();
    let line = head.matches('\n').count() + 1;
    let column = head.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    format!("{reason}: line {line} column {column} (char {char_offset})")
}

/// Adds the JSON-2 routes to `router` (the Odoo 19 simulator only).
pub(super) fn routes(router: Router<Arc<Sim>>) -> Router<Arc<Sim>> {
    router
        .route("/json/2", any(route))
        .route("/json/2/{*rest}", any(route))
        .route("/web/version", any(route))
        .route("/json/version", any(route))
}

async fn route(
    State(sim): State<Arc<Sim>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let (authorization, database) = (text("authorization"), text("x-odoo-database"));
    let answer = tokio::task::spawn_blocking(move || {
        let now = (sim.read().clock)();
        let answer = sim.handle_json2(&Json2Request {
            http_method: method.as_str(),
            path: uri.path(),
            authorization: authorization.as_deref(),
            database: database.as_deref(),
            body: &body,
        });
        (now, answer)
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
    if status == StatusCode::UNAUTHORIZED {
        // `Unauthorized(..., www_authenticate=WWWAuthenticate('bearer'))`; the dispatcher
        // keeps every header but the content type.
        r.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    set_date(&mut r, now);
    r
}

/// Werkzeug's 404 page for a route the server does not have (any version).
pub(super) async fn not_found(State(sim): State<Arc<Sim>>) -> Response {
    let now = (sim.read().clock)();
    let mut r = (StatusCode::NOT_FOUND, NOT_FOUND_PAGE).into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(HTML));
    set_date(&mut r, now);
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_errors_are_worded_as_python_words_them() {
        // Recorded: fixtures/odoo19/json2/009-malformed-json.json.
        let err = |body: &[u8]| {
            let e = serde_json::from_slice::<serde_json::Value>(body).unwrap_err();
            python_json_error(body, &e)
        };
        assert_eq!(
            err(b"{not json"),
            "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"
        );
        // Python 3.11: json.loads('{"a": 1} x'), json.loads('{"a":'), json.loads('{"é": ]').
        assert_eq!(
            err(br#"{"a": 1} x"#),
            "Extra data: line 1 column 10 (char 9)"
        );
        assert_eq!(
            err(br#"{"a":"#),
            "Expecting value: line 1 column 6 (char 5)"
        );
        assert_eq!(
            err("{\"é\":\n ]".as_bytes()),
            "Expecting value: line 2 column 2 (char 7)"
        );
    }

    #[test]
    fn the_key_is_checked_before_the_body_on_the_method_route_only() {
        let sim = Sim::embedded(19).unwrap();
        let key = format!("bearer {}", sim.api_key("admin").unwrap());
        let ask = |method: &'static str, path: &'static str, auth: Option<&str>| {
            let answer = sim.handle_json2(&Json2Request {
                http_method: method,
                path,
                authorization: auth,
                database: Some("crm19"),
                body: b"{not json",
            });
            answer.status
        };
        assert_eq!(
            ask("POST", "/json/2/crm.lead/search", Some("bearer nope")),
            401
        );
        assert_eq!(ask("POST", "/json/2/crm.lead/search", Some(&key)), 400);
        // The catch-all is public and reads the body first.
        assert_eq!(ask("GET", "/json/2/crm.lead/search", None), 400);
        let ok = sim.handle_json2(&Json2Request {
            http_method: "POST",
            path: "/json/2/crm.lead/search_count",
            authorization: Some(&key),
            database: None,
            body: br#"{"domain": [], "ids": null}"#,
        });
        // The snapshot holds 44 leads, 39 of them active.
        assert_eq!((ok.status, ok.body), (200, b"39".to_vec()));
    }

    #[test]
    fn unknown_methods_are_read_from_the_orm_fault() {
        let f = SimFault::python(
            "AttributeError",
            "The method 'crm.lead.frobnicate' does not exist",
            "api.py",
        );
        assert_eq!(
            unknown_method(&f).as_deref(),
            Some("The method 'crm.lead.frobnicate' does not exist")
        );
        assert_eq!(unknown_method(&SimFault::value_error("x")), None);
    }
}
