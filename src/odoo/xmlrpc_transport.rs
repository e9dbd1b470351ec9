//! The XML-RPC transport: POSTs `<methodCall>` documents to `{url}/xmlrpc/2/{service}` on one
//! shared reqwest client (connection reuse, rustls with verified certificates) and turns every
//! outcome — value, fault, HTTP error, HTML page, broken connection, timeout — into a result.

use std::sync::Arc;
use std::time::Duration;

use reqwest::Url;
use reqwest::header::CONTENT_TYPE;

use super::error::{OdooError, excerpt};
use super::metrics::Metrics;
use super::transport::{BoxFuture, Service, Transport};
use crate::xmlrpc::{MethodResponse, Value, decode_response, encode_call};

/// XML-RPC over HTTP(S), one attempt per `call`.
#[derive(Clone, Debug)]
pub struct XmlRpcTransport {
    http: reqwest::Client,
    /// The base URL without a trailing slash, so `{base}/xmlrpc/2/...` is well formed for
    /// servers mounted under a sub-path too.
    base: String,
    timeout: Duration,
    metrics: Arc<Metrics>,
}

impl XmlRpcTransport {
    /// Builds the transport with its own HTTP client. Prefer [`XmlRpcTransport::with_client`]
    /// when several transports exist in one process, so they share a connection pool.
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

    pub fn with_client(
        http: reqwest::Client,
        base_url: &Url,
        timeout: Duration,
        metrics: Arc<Metrics>,
    ) -> Self {
        Self {
            http,
            base: base_url.as_str().trim_end_matches('/').to_owned(),
            timeout,
            metrics,
        }
    }

    /// The endpoint for `service`.
    pub fn endpoint(&self, service: Service) -> String {
        format!("{}/xmlrpc/2/{}", self.base, service.as_str())
    }

    async fn call_once(
        &self,
        service: Service,
        method: &str,
        params: &[Value],
        call: &str,
    ) -> Result<Value, OdooError> {
        let url = self.endpoint(service);
        let body = encode_call(method, params);
        let sent = body.len();
        let net = |e: reqwest::Error| classify(e, call, &url, self.timeout);
        let response = self
            .http
            .post(&url)
            .header(CONTENT_TYPE, "text/xml")
            .timeout(self.timeout)
            .body(body)
            .send()
            .await
            .map_err(net)?;
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let bytes = response.bytes().await.map_err(net)?;
        self.metrics.add_bytes(sent, bytes.len());
        if status != 200 {
            return Err(OdooError::Http {
                call: call.to_owned(),
                url,
                status,
                excerpt: excerpt(&bytes),
            });
        }
        if looks_like_html(&content_type, &bytes) {
            return Err(OdooError::NotXmlRpc {
                call: call.to_owned(),
                url,
                content_type,
                excerpt: excerpt(&bytes),
            });
        }
        match decode_response(&bytes) {
            Ok(MethodResponse::Success(value)) => Ok(value),
            Ok(MethodResponse::Fault(fault)) => Err(OdooError::from_fault(call, &fault)),
            Err(source) => Err(OdooError::Decode {
                call: call.to_owned(),
                source: Box::new(source),
            }),
        }
    }
}

impl Transport for XmlRpcTransport {
    fn call<'a>(
        &'a self,
        service: Service,
        method: &'a str,
        params: &'a [Value],
        call: &'a str,
    ) -> BoxFuture<'a, Result<Value, OdooError>> {
        Box::pin(self.call_once(service, method, params, call))
    }
}

/// The process's HTTP client settings: rustls with the platform-independent webpki roots
/// (certificates are verified), keep-alive, and a recognisable user agent for Odoo's logs.
pub fn http_client() -> Result<reqwest::Client, OdooError> {
    reqwest::Client::builder()
        .user_agent(concat!("scorekeeper/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| OdooError::Setup(root_cause(&e)))
}

fn looks_like_html(content_type: &str, body: &[u8]) -> bool {
    if content_type.to_ascii_lowercase().contains("html") {
        return true;
    }
    let start = body
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(body.len());
    let head: Vec<u8> = body[start..body.len().min(start + 15)]
        .iter()
        .map(u8::to_ascii_lowercase)
        .collect();
    head.starts_with(b"<!doctype") || head.starts_with(b"<html")
}

fn classify(e: reqwest::Error, call: &str, url: &str, timeout: Duration) -> OdooError {
    let call = call.to_owned();
    let url = url.to_owned();
    if e.is_timeout() {
        OdooError::Timeout {
            call,
            url,
            after: timeout,
        }
    } else if e.is_connect() {
        OdooError::Connect {
            call,
            url,
            detail: root_cause(&e),
        }
    } else {
        OdooError::Connection {
            call,
            url,
            detail: root_cause(&e),
        }
    }
}

/// The innermost error message ("Connection refused (os error 111)"), which says more than
/// reqwest's outer "error sending request".
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_respect_sub_paths() {
        let m = Arc::new(Metrics::new());
        let t = XmlRpcTransport::new(
            &Url::parse("https://h.example/odoo/").unwrap(),
            Duration::from_secs(1),
            m.clone(),
        )
        .unwrap();
        assert_eq!(
            t.endpoint(Service::Object),
            "https://h.example/odoo/xmlrpc/2/object"
        );
        let t = XmlRpcTransport::new(
            &Url::parse("http://127.0.0.1:8069").unwrap(),
            Duration::from_secs(1),
            m,
        )
        .unwrap();
        assert_eq!(
            t.endpoint(Service::Common),
            "http://127.0.0.1:8069/xmlrpc/2/common"
        );
    }

    #[test]
    fn html_detection() {
        assert!(looks_like_html("text/html; charset=utf-8", b"<?xml"));
        assert!(looks_like_html("text/xml", b"\n  <!DOCTYPE html><html>"));
        assert!(looks_like_html("", b"<HTML><body>"));
        assert!(!looks_like_html(
            "text/xml; charset=utf-8",
            b"<?xml version='1.0'?>\n<methodResponse>"
        ));
        assert!(!looks_like_html("text/xml", b""));
    }
}
