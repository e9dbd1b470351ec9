//! The JSON-2 transport (Odoo 19+): each `execute_kw` becomes `POST
//! {base}/json/2/{model}/{method}` with the secret as `Authorization: bearer <API key>`, the
//! database as `X-Odoo-Database` and the positional arguments named (`jsonrpc::json2`'s one
//! table); the answer is the bare result, an error Odoo's serialized exception under a 4xx/5xx
//! status (`fixtures/odoo19/json2`). JSON-2 has no `common` service: `version` is `GET
//! {base}/web/version`, `authenticate` is `res.users/context_get`, whose `uid` says who the key
//! belongs to. Every outcome becomes the results and typed errors the XML-RPC transport gives
//! for the same call, so the client, its retries and its helpers do not change.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, Url};

use super::client::unexpected;
use super::error::{OdooError, excerpt};
use super::http_post::{Answer, Endpoint, Request, Streamed, http_client};
use super::metrics::Metrics;
use super::protocol::{Choice, Protocol};
use super::transport::{BoxFuture, Service, Transport, id_set};
use crate::jsonrpc::json2::{decode_error, decode_result, encode_call};
use crate::jsonrpc::{DecodeError, IdsDecoder, IdsResponse, Response};
use crate::record::IdSet;
use crate::xmlrpc::{Struct, Value};

/// The protocol's name in errors.
const JSON2: &str = "JSON-2";

/// The header naming the database (optional on a server with one database).
const DATABASE: HeaderName = HeaderName::from_static("x-odoo-database");

/// JSON-2 over HTTP(S), one attempt per `call` (the client owns retries). Holds no
/// credentials: the key and database travel in each call's parameters, as for XML-RPC.
#[derive(Debug)]
pub struct Json2Transport {
    /// `{base}/json/2/`, to which each call appends `model/method`.
    rpc: Endpoint,
    /// `{base}/web/version`, asked with `GET` and no credentials.
    version: Endpoint,
}

/// One `execute_kw` as JSON-2 sends it.
struct Call {
    path: String,
    headers: HeaderMap,
    body: Vec<u8>,
    database: String,
}

impl Json2Transport {
    /// Builds the transport with its own HTTP client; prefer [`Json2Transport::with_client`]
    /// to share a connection pool.
    pub fn new(
        base_url: &Url,
        timeout: Duration,
        metrics: Arc<Metrics>,
    ) -> Result<Self, OdooError> {
        Ok(Self::with_client(
            http_client()?,
            base_url,
            timeout,
            metrics,
        ))
    }

    pub(crate) fn with_client(
        http: reqwest::Client,
        base_url: &Url,
        timeout: Duration,
        metrics: Arc<Metrics>,
    ) -> Self {
        let base = base_url.as_str().trim_end_matches('/');
        let endpoint = |url: String, errors_by_status: bool| Endpoint {
            http: http.clone(),
            url,
            content_type: "application/json",
            protocol: JSON2,
            timeout,
            metrics: metrics.clone(),
            errors_by_status,
        };
        Self {
            rpc: endpoint(format!("{base}/json/2/"), true),
            version: endpoint(format!("{base}/web/version"), false),
        }
    }

    /// `GET /web/version`, read into the struct `common.version` answers.
    async fn version_once(&self, call: &str) -> Result<Value, OdooError> {
        let request = Request {
            method: Method::GET,
            path: "",
            headers: HeaderMap::new(),
            body: None,
        };
        let answer = self.version.fetch(request, call).await?;
        let value = decode_result(&answer.body).map_err(|e| decode_failure(call, e))?;
        version_struct(&value).ok_or_else(|| unexpected(call, "a version object", &value))
    }

    /// `authenticate(db, login, secret, …)`: the uid `res.users/context_get` names for the
    /// key. A 401 means the secret is not an API key of this database.
    async fn authenticate_once(&self, params: &[Value], call: &str) -> Result<Value, OdooError> {
        let (Some(database), Some(login), Some(secret)) = (
            params.first().and_then(Value::as_str),
            params.get(1).and_then(Value::as_str),
            params.get(2).and_then(Value::as_str),
        ) else {
            return Err(unsupported(
                call,
                "authenticate takes a database, a login and a secret",
            ));
        };
        let path = "res.users/context_get";
        let answer = self
            .fetch(
                path,
                headers(database, secret, call)?,
                b"{}".to_vec(),
                database,
                call,
            )
            .await?;
        if answer.status == 401 {
            let message = decode_error(&answer.body)
                .map(|e| e.message)
                .unwrap_or_else(|| excerpt(&answer.body));
            return Err(OdooError::ApiKeyRefused {
                login: login.to_owned(),
                database: database.to_owned(),
                message,
                hint: if looks_like_api_key(secret) {
                    ""
                } else {
                    "; the secret does not look like an API key (40 hexadecimal characters)"
                },
            });
        }
        let context = self.result(call, path, answer)?;
        match context.as_struct().and_then(|c| c.get("uid")) {
            Some(Value::Int(uid)) if *uid > 0 => Ok(Value::Int(*uid)),
            _ => Err(unexpected(call, "a context with a uid", &context)),
        }
    }

    /// Sends one request to `{base}/json/2/{path}`; a 404 page (not Odoo's JSON) is explained.
    async fn fetch(
        &self,
        path: &str,
        headers: HeaderMap,
        body: Vec<u8>,
        database: &str,
        call: &str,
    ) -> Result<Answer<Bytes>, OdooError> {
        let request = Request {
            method: Method::POST,
            path,
            headers,
            body: Some(body),
        };
        self.rpc
            .fetch(request, call)
            .await
            .map_err(|e| explain_404(e, database))
    }

    /// The value of an answer, or the typed error of an error answer.
    fn result(&self, call: &str, path: &str, answer: Answer<Bytes>) -> Result<Value, OdooError> {
        if answer.status == 200 {
            return decode_result(&answer.body).map_err(|e| decode_failure(call, e));
        }
        Err(self.error(call, path, &answer))
    }

    /// Odoo's serialized exception as the error XML-RPC gives for it; any other body under
    /// an error status as an HTTP error with an excerpt.
    fn error(&self, call: &str, path: &str, answer: &Answer<Bytes>) -> OdooError {
        let url = format!("{}{path}", self.rpc.url);
        match decode_error(&answer.body) {
            Some(data) => OdooError::from_json2(call, &url, answer.status, &data),
            None => OdooError::Http {
                call: call.to_owned(),
                url,
                status: answer.status,
                excerpt: excerpt(&answer.body),
            },
        }
    }

    async fn call_once(
        &self,
        service: Service,
        method: &str,
        params: &[Value],
        call: &str,
    ) -> Result<Value, OdooError> {
        match (service, method) {
            (Service::Common, "version") => self.version_once(call).await,
            (Service::Common, "authenticate") => self.authenticate_once(params, call).await,
            (Service::Object, "execute_kw") => {
                let c = object_call(params, call)?;
                let answer = self
                    .fetch(&c.path, c.headers, c.body, &c.database, call)
                    .await?;
                self.result(call, &c.path, answer)
            }
            _ => Err(unsupported(
                call,
                &format!("JSON-2 has no equivalent of {service}.{method}"),
            )),
        }
    }

    /// [`Self::call_once`] for an answer that is a list of ids, read into an [`IdSet`] as it
    /// arrives (the bare-array [`IdsDecoder`]); error answers are read whole.
    async fn call_ids_once(&self, params: &[Value], call: &str) -> Result<IdSet, OdooError> {
        let c = object_call(params, call)?;
        let request = Request {
            method: Method::POST,
            path: &c.path,
            headers: c.headers,
            body: Some(c.body),
        };
        let streamed = self
            .rpc
            .stream(request, call, IdsDecoder::bare())
            .await
            .map_err(|e| explain_404(e, &c.database))?;
        match streamed {
            Streamed::Decoded(Ok(IdsResponse::Ids(ids))) => Ok(ids),
            Streamed::Decoded(Ok(IdsResponse::Other(Response::Result(value)))) => {
                id_set(call, value)
            }
            // A bare answer has no envelope, hence no error member.
            Streamed::Decoded(Ok(IdsResponse::Other(Response::Error(error)))) => {
                Err(OdooError::from_json_error(call, &error))
            }
            Streamed::Decoded(Err(source)) => Err(decode_failure(call, source)),
            Streamed::Error(answer) => Err(self.error(call, &c.path, &answer)),
        }
    }
}

/// The request of `execute_kw(db, uid, secret, model, method, args, kwargs?)`. The uid is not
/// sent: the key says who calls.
fn object_call(params: &[Value], call: &str) -> Result<Call, OdooError> {
    let text = |i: usize| params.get(i).and_then(Value::as_str);
    let (Some(database), Some(secret), Some(model), Some(method)) =
        (text(0), text(2), text(3), text(4))
    else {
        return Err(unsupported(
            call,
            "execute_kw takes a database, a uid, a secret, a model and a method",
        ));
    };
    let args = params.get(5).and_then(Value::as_array).unwrap_or_default();
    let no_kwargs = Struct::new();
    let kwargs = params
        .get(6)
        .and_then(Value::as_struct)
        .unwrap_or(&no_kwargs);
    // Model and method names are dotted identifiers; anything else would change the path.
    let safe = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
    };
    if !safe(model) || !safe(method) {
        return Err(unsupported(
            call,
            "model and method names must be dotted identifiers to name a JSON-2 path",
        ));
    }
    let body = encode_call(method, args, kwargs).map_err(|e| unsupported(call, &e.to_string()))?;
    Ok(Call {
        path: format!("{model}/{method}"),
        headers: headers(database, secret, call)?,
        body,
        database: database.to_owned(),
    })
}

/// The bearer key (marked sensitive: no `Debug` of the request shows it) and the database.
fn headers(database: &str, secret: &str, call: &str) -> Result<HeaderMap, OdooError> {
    let mut key = HeaderValue::from_str(&format!("bearer {secret}")).map_err(|_| {
        unsupported(
            call,
            "the API key holds characters no HTTP header can carry",
        )
    })?;
    key.set_sensitive(true);
    let db = HeaderValue::from_str(database).map_err(|_| {
        unsupported(
            call,
            "the database name holds characters the X-Odoo-Database header cannot carry",
        )
    })?;
    let mut headers = HeaderMap::with_capacity(2);
    headers.insert(AUTHORIZATION, key);
    headers.insert(DATABASE, db);
    Ok(headers)
}

/// Odoo's API keys are 20 random bytes in hexadecimal (`res.users.apikeys`); a secret of
/// another shape is most likely a password, which JSON-2 refuses.
fn looks_like_api_key(secret: &str) -> bool {
    secret.len() == 40 && secret.bytes().all(|b| b.is_ascii_hexdigit())
}

/// `GET /web/version`'s answer — `{"version_info": [19, 0, 0, "final", 0, ""], "version":
/// "19.0"}` (`addons/rpc/controllers/__init__.py`, Odoo 19) — as the struct `common.version`
/// answers: `server_version`, `server_version_info`, and `server_serie`, which Odoo's
/// `release.py` derives from the first two items of `version_info`.
fn version_struct(answer: &Value) -> Option<Value> {
    let s = answer.as_struct()?;
    let version = s.get("version")?.as_str()?;
    let info = s
        .get("version_info")
        .and_then(Value::as_array)
        .unwrap_or_default();
    let major = match info.first() {
        Some(Value::Int(major)) => Some(major.to_string()),
        // SaaS releases: `("saas~18", 3, …)`.
        Some(Value::String(major)) => Some(major.clone()),
        _ => None,
    };
    let serie = match (major, info.get(1).and_then(Value::as_i64)) {
        (Some(major), Some(minor)) => format!("{major}.{minor}"),
        _ => version.to_owned(),
    };
    let mut out = Struct::with_capacity(3);
    out.push("server_version", Value::from(version));
    out.push("server_version_info", Value::Array(info.to_vec()));
    out.push("server_serie", Value::from(serie.as_str()));
    Some(Value::Struct(out))
}

/// A 404 page under `/json/2` comes from Odoo's router, not from JSON-2: the database in
/// `X-Odoo-Database` does not exist there (`fixtures/odoo19/README.md`), or the server is
/// older than 19.
fn explain_404(e: OdooError, database: &str) -> OdooError {
    match e {
        OdooError::Http {
            call,
            url,
            status: 404,
            excerpt,
        } => OdooError::Http {
            call,
            url,
            status: 404,
            excerpt: format!(
                "{excerpt} (JSON-2 answers a page like this when the server has no database \
                 {database:?}, or when it is older than Odoo 19)"
            ),
        },
        other => other,
    }
}

fn unsupported(call: &str, reason: &str) -> OdooError {
    OdooError::Unsupported {
        call: call.to_owned(),
        protocol: JSON2,
        reason: reason.to_owned(),
    }
}

fn decode_failure(call: &str, source: DecodeError) -> OdooError {
    OdooError::JsonDecode {
        call: call.to_owned(),
        source,
    }
}

impl Transport for Json2Transport {
    fn call<'a>(
        &'a self,
        service: Service,
        method: &'a str,
        params: &'a [Value],
        call: &'a str,
    ) -> BoxFuture<'a, Result<Value, OdooError>> {
        Box::pin(self.call_once(service, method, params, call))
    }

    fn call_ids<'a>(
        &'a self,
        service: Service,
        method: &'a str,
        params: &'a [Value],
        call: &'a str,
    ) -> BoxFuture<'a, Result<IdSet, OdooError>> {
        Box::pin(async move {
            if (service, method) == (Service::Object, "execute_kw") {
                self.call_ids_once(params, call).await
            } else {
                let value = self.call_once(service, method, params, call).await?;
                id_set(call, value)
            }
        })
    }

    fn choice(&self) -> Option<Choice> {
        Some(Choice {
            protocol: Protocol::Json2,
            reason: "protocol = \"json2\"".to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "d61eca8317a7d9fd7aa48bdb49fdac1b630a866b";

    fn transport(base: &str) -> Json2Transport {
        Json2Transport::new(
            &Url::parse(base).unwrap(),
            Duration::from_secs(1),
            Arc::new(Metrics::new()),
        )
        .unwrap()
    }

    #[test]
    fn endpoints_respect_sub_paths() {
        let t = transport("https://h.example/odoo/");
        assert_eq!(t.rpc.url, "https://h.example/odoo/json/2/");
        assert_eq!(t.version.url, "https://h.example/odoo/web/version");
    }

    fn params(method: &str, args: Vec<Value>) -> Vec<Value> {
        vec![
            "crm19".into(),
            Value::Int(2),
            KEY.into(),
            "crm.lead".into(),
            method.into(),
            Value::Array(args),
        ]
    }

    #[test]
    fn execute_kw_becomes_a_named_body_on_the_models_path() {
        // fixtures/odoo19/json2/017-write-many.json
        let mut vals = Struct::new();
        vals.push("priority", "2".into());
        let c = object_call(
            &params(
                "write",
                vec![
                    Value::Array(vec![Value::Int(51), Value::Int(52)]),
                    Value::Struct(vals),
                ],
            ),
            "crm.lead.write",
        )
        .unwrap();
        assert_eq!(c.path, "crm.lead/write");
        assert_eq!(
            String::from_utf8(c.body).unwrap(),
            r#"{"ids":[51,52],"vals":{"priority":"2"}}"#
        );
        assert_eq!(c.headers["x-odoo-database"], "crm19");
        let auth = &c.headers[AUTHORIZATION];
        assert_eq!(auth.to_str().unwrap(), format!("bearer {KEY}"));
        assert!(auth.is_sensitive());
        // Neither the transport nor the request's headers show the key.
        assert!(!format!("{:?}", c.headers).contains(KEY));
        assert!(!format!("{:?}", transport("http://h")).contains(KEY));
    }

    #[test]
    fn calls_json2_cannot_express_are_refused_before_sending() {
        let mut p = params("search", vec![Value::Array(vec![])]);
        p[3] = "crm.lead/../x".into();
        let e = object_call(&p, "c").err().unwrap();
        assert_eq!(e.kind(), super::super::ErrorKind::Unsupported);
        let p = params("action_start", vec![Value::Int(1), Value::Int(2)]);
        let e = object_call(&p, "c").err().unwrap();
        assert!(e.to_string().contains("positional argument"), "{e}");
        assert!(object_call(&params("search", vec![])[..3], "c").is_err());
    }

    #[test]
    fn web_version_reads_as_common_version() {
        // Odoo 19's GET /web/version (addons/rpc/controllers/__init__.py).
        let answer =
            decode_result(br#"{"version_info": [19, 0, 0, "final", 0, ""], "version": "19.0"}"#)
                .unwrap();
        let v = super::super::ServerVersion::from_value(&version_struct(&answer).unwrap()).unwrap();
        assert_eq!(v.major(), Some(19));
        assert_eq!(v.serie, "19.0");
        assert_eq!(v.to_string(), "Odoo 19.0");
        let saas = decode_result(
            br#"{"version_info": ["saas~18", 3, 0, "final", 0, ""], "version": "saas~18.3+e"}"#,
        )
        .unwrap();
        let v = super::super::ServerVersion::from_value(&version_struct(&saas).unwrap()).unwrap();
        assert_eq!((v.major(), v.serie.as_str()), (Some(18), "saas~18.3"));
        assert!(version_struct(&Value::Int(1)).is_none());
    }

    #[test]
    fn api_keys_are_told_from_passwords_by_shape() {
        assert!(looks_like_api_key(KEY));
        assert!(!looks_like_api_key("admin"));
        assert!(!looks_like_api_key(&"g".repeat(40)));
    }
}
