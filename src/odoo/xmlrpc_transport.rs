//! The XML-RPC transport: POSTs `<methodCall>` documents to `{url}/xmlrpc/2/{service}` on one
//! shared reqwest client (connection reuse, rustls with verified certificates) and turns every
//! outcome — value, fault, HTTP error, HTML page, broken connection, timeout — into a result.

use std::sync::Arc;
use std::time::Duration;

use reqwest::Url;
use reqwest::header::CONTENT_TYPE;

use super::error::{OdooError, excerpt};
use super::metrics::Metrics;
use super::protocol::{Choice, Protocol};
use super::transport::{BoxFuture, Service, Transport, id_set};
use crate::record::IdSet;
use crate::xmlrpc::{
    DecodeError, IdsDecoder, IdsResponse, MethodResponse, Value, decode_ids, decode_response,
    encode_call,
};

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

    /// Sends the request and reads the response's status line and headers.
    async fn send<'a>(
        &self,
        service: Service,
        method: &str,
        params: &[Value],
        call: &'a str,
    ) -> Result<(Exchange<'a>, reqwest::Response), OdooError> {
        let url = self.endpoint(service);
        let body = encode_call(method, params);
        let sent = body.len();
        let response = self
            .http
            .post(&url)
            .header(CONTENT_TYPE, "text/xml")
            .timeout(self.timeout)
            .body(body)
            .send()
            .await
            .map_err(|e| classify(e, call, &url, self.timeout));
        let response = response?;
        // Odoo's clock, for cursors (a proxy's own error pages are not Odoo's answers).
        if response.status().is_success()
            && let Some(date) = response
                .headers()
                .get(reqwest::header::DATE)
                .and_then(|v| v.to_str().ok())
        {
            self.metrics.note_server_date(date);
        }
        let exchange = Exchange {
            call,
            status: response.status().as_u16(),
            content_type: response
                .headers()
                .get(CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned(),
            url,
            sent,
            timeout: self.timeout,
        };
        Ok((exchange, response))
    }

    async fn call_once(
        &self,
        service: Service,
        method: &str,
        params: &[Value],
        call: &str,
    ) -> Result<Value, OdooError> {
        let (exchange, response) = self.send(service, method, params, call).await?;
        let bytes = response.bytes().await.map_err(|e| exchange.net(e))?;
        self.metrics.add_bytes(exchange.sent, bytes.len());
        exchange.reject(&bytes)?;
        match decode_response(&bytes) {
            Ok(MethodResponse::Success(value)) => Ok(value),
            Ok(MethodResponse::Fault(fault)) => Err(OdooError::from_fault(call, &fault)),
            Err(source) => Err(exchange.decode_error(source)),
        }
    }

    /// [`Self::call_once`] for an answer that is a list of ids: the body is decoded as it
    /// arrives, so only the set and one chunk are ever held, unless the answer is not a plain
    /// list of integers (a fault, an error page), which is read whole and reported as
    /// `call_once` reports it.
    async fn call_ids_once(
        &self,
        service: Service,
        method: &str,
        params: &[Value],
        call: &str,
    ) -> Result<IdSet, OdooError> {
        let (exchange, mut response) = self.send(service, method, params, call).await?;
        if exchange.status != 200 || html_type(&exchange.content_type) {
            let bytes = response.bytes().await.map_err(|e| exchange.net(e))?;
            self.metrics.add_bytes(exchange.sent, bytes.len());
            exchange.reject(&bytes)?;
            // Not reached: `reject` refuses both; read the body as `call_once` would.
            return exchange.ids(decode_ids(&bytes));
        }
        let mut decoder = IdsDecoder::new();
        let mut received = 0;
        // The first bytes, until they tell an HTML page from XML-RPC.
        let mut head = Some(Vec::new());
        while let Some(chunk) = response.chunk().await.map_err(|e| exchange.net(e))? {
            received += chunk.len();
            let Some(first) = &mut head else {
                decoder.feed(&chunk);
                continue;
            };
            first.extend_from_slice(&chunk);
            if !shows_html_or_not(first) {
                continue;
            }
            if looks_like_html("", first) {
                // An error page: read it whole, for the same excerpt as `call_once`.
                while let Some(chunk) = response.chunk().await.map_err(|e| exchange.net(e))? {
                    received += chunk.len();
                    first.extend_from_slice(&chunk);
                }
                break;
            }
            decoder.feed(first);
            head = None;
        }
        self.metrics.add_bytes(exchange.sent, received);
        if let Some(first) = head {
            exchange.reject(&first)?;
            decoder.feed(&first);
        }
        exchange.ids(decoder.finish())
    }
}

/// One request sent and its response's head: what error reports need.
struct Exchange<'a> {
    call: &'a str,
    url: String,
    sent: usize,
    status: u16,
    content_type: String,
    timeout: Duration,
}

impl Exchange<'_> {
    fn net(&self, e: reqwest::Error) -> OdooError {
        classify(e, self.call, &self.url, self.timeout)
    }

    /// A body that is not an XML-RPC answer: a non-200 status or an HTML page.
    fn reject(&self, body: &[u8]) -> Result<(), OdooError> {
        if self.status != 200 {
            return Err(OdooError::Http {
                call: self.call.to_owned(),
                url: self.url.clone(),
                status: self.status,
                excerpt: excerpt(body),
            });
        }
        if looks_like_html(&self.content_type, body) {
            return Err(OdooError::NotXmlRpc {
                call: self.call.to_owned(),
                url: self.url.clone(),
                protocol: "XML-RPC",
                content_type: self.content_type.clone(),
                excerpt: excerpt(body),
            });
        }
        Ok(())
    }

    /// The ids, or the error `call_once` and `search` report for any other answer.
    fn ids(&self, decoded: Result<IdsResponse, DecodeError>) -> Result<IdSet, OdooError> {
        match decoded {
            Ok(IdsResponse::Ids(ids)) => Ok(ids),
            Ok(IdsResponse::Other(MethodResponse::Success(value))) => id_set(self.call, value),
            Ok(IdsResponse::Other(MethodResponse::Fault(fault))) => {
                Err(OdooError::from_fault(self.call, &fault))
            }
            Err(source) => Err(self.decode_error(source)),
        }
    }

    fn decode_error(&self, source: DecodeError) -> OdooError {
        OdooError::Decode {
            call: self.call.to_owned(),
            source: Box::new(source),
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

    fn call_ids<'a>(
        &'a self,
        service: Service,
        method: &'a str,
        params: &'a [Value],
        call: &'a str,
    ) -> BoxFuture<'a, Result<IdSet, OdooError>> {
        Box::pin(self.call_ids_once(service, method, params, call))
    }

    fn choice(&self) -> Option<Choice> {
        Some(Choice {
            protocol: Protocol::XmlRpc,
            reason: "protocol = \"xmlrpc\"".to_owned(),
        })
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

pub(super) fn html_type(content_type: &str) -> bool {
    content_type.to_ascii_lowercase().contains("html")
}

/// How many bytes from the first non-blank one [`looks_like_html`] looks at.
const HTML_SNIFF: usize = 15;

pub(super) fn looks_like_html(content_type: &str, body: &[u8]) -> bool {
    if html_type(content_type) {
        return true;
    }
    let start = body
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(body.len());
    let head: Vec<u8> = body[start..body.len().min(start + HTML_SNIFF)]
        .iter()
        .map(u8::to_ascii_lowercase)
        .collect();
    head.starts_with(b"<!doctype") || head.starts_with(b"<html")
}

/// Whether the first bytes of a body are enough for [`looks_like_html`] to give the answer
/// it would give on the whole body.
pub(super) fn shows_html_or_not(head: &[u8]) -> bool {
    head.iter()
        .position(|b| !b.is_ascii_whitespace())
        .is_some_and(|start| head.len() >= start + HTML_SNIFF)
}

pub(super) fn classify(e: reqwest::Error, call: &str, url: &str, timeout: Duration) -> OdooError {
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
pub(super) fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
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
