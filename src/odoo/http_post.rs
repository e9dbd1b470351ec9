//! One request to an Odoo endpoint, shared by every wire protocol: send the encoded call on
//! the process's one reqwest client, note Odoo's clock, and hand back the body — whole, or
//! streamed into a protocol's incremental decoder — only when it is the protocol's answer.
//! An HTML page (a proxy's error page, Odoo's login screen) or a status the protocol does not
//! answer with is refused here with an excerpt, and network failures become typed errors,
//! the same for XML-RPC, JSON-RPC and JSON-2. JSON-2 also needs a path per call, headers
//! (its bearer key, the database), `GET` (`/web/version`) and Odoo's errors under 4xx/5xx
//! statuses handed back to its decoder ([`Endpoint::errors_by_status`]).

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use reqwest::Method;
use reqwest::header::{CONTENT_TYPE, HeaderMap};

use super::error::{OdooError, excerpt};
use super::metrics::Metrics;

/// Where and how a transport posts its calls.
#[derive(Clone, Debug)]
pub(super) struct Endpoint {
    pub(super) http: reqwest::Client,
    pub(super) url: String,
    /// The request's content type (`text/xml`, `application/json`).
    pub(super) content_type: &'static str,
    /// The protocol's name in errors ("XML-RPC", "JSON-RPC").
    pub(super) protocol: &'static str,
    pub(super) timeout: Duration,
    pub(super) metrics: Arc<Metrics>,
    /// Whether a 4xx/5xx answer that is not an HTML page is the protocol's own error and goes
    /// back to the transport (JSON-2 answers Odoo's exceptions so); otherwise such a status
    /// is refused here as a proxy's or a dying worker's. Gateway statuses (502–504) are
    /// refused either way: they are a proxy's, and transient.
    pub(super) errors_by_status: bool,
}

/// One request beyond the endpoint's defaults (`POST` of a body to its URL).
pub(super) struct Request<'a> {
    pub(super) method: Method,
    /// Appended to the endpoint's URL (JSON-2's `model/method`).
    pub(super) path: &'a str,
    /// JSON-2's `Authorization` (marked sensitive, so no `Debug` shows it) and
    /// `X-Odoo-Database`.
    pub(super) headers: HeaderMap,
    pub(super) body: Option<Vec<u8>>,
}

impl Request<'_> {
    fn post(body: Vec<u8>) -> Request<'static> {
        Request {
            method: Method::POST,
            path: "",
            headers: HeaderMap::new(),
            body: Some(body),
        }
    }
}

/// An answer that is the protocol's: its result (200) or, on an endpoint with
/// [`Endpoint::errors_by_status`], Odoo's error under its 4xx/5xx status.
pub(super) struct Answer<T> {
    pub(super) status: u16,
    pub(super) body: T,
}

/// What a streamed request gave: the decoder's output for a 200 answer, or the whole body of
/// an error answer ([`Endpoint::errors_by_status`]), which is never fed to the decoder.
pub(super) enum Streamed<T> {
    Decoded(T),
    Error(Answer<Bytes>),
}

/// A decoder fed the body as it arrives (the streamed ids readers of both codecs).
pub(super) trait ChunkDecoder {
    type Output;
    fn feed(&mut self, chunk: &[u8]);
    fn finish(self) -> Self::Output;
}

impl ChunkDecoder for crate::xmlrpc::IdsDecoder {
    type Output = Result<crate::xmlrpc::IdsResponse, crate::xmlrpc::DecodeError>;
    fn feed(&mut self, chunk: &[u8]) {
        crate::xmlrpc::IdsDecoder::feed(self, chunk);
    }
    fn finish(self) -> Self::Output {
        crate::xmlrpc::IdsDecoder::finish(self)
    }
}

impl ChunkDecoder for crate::jsonrpc::IdsDecoder {
    type Output = Result<crate::jsonrpc::IdsResponse, crate::jsonrpc::DecodeError>;
    fn feed(&mut self, chunk: &[u8]) {
        crate::jsonrpc::IdsDecoder::feed(self, chunk);
    }
    fn finish(self) -> Self::Output {
        crate::jsonrpc::IdsDecoder::finish(self)
    }
}

impl Endpoint {
    /// Sends `request` and reads the response's status line and headers.
    async fn send<'a>(
        &'a self,
        request: Request<'_>,
        call: &'a str,
    ) -> Result<(Exchange<'a>, reqwest::Response), OdooError> {
        let url: Cow<'a, str> = if request.path.is_empty() {
            Cow::Borrowed(&self.url)
        } else {
            Cow::Owned(format!("{}{}", self.url, request.path))
        };
        let sent = request.body.as_ref().map_or(0, Vec::len);
        let mut builder = self
            .http
            .request(request.method, url.as_ref())
            .headers(request.headers)
            .timeout(self.timeout);
        if let Some(body) = request.body {
            builder = builder.header(CONTENT_TYPE, self.content_type).body(body);
        }
        let response = builder
            .send()
            .await
            .map_err(|e| classify(e, call, &url, self.timeout))?;
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
            url,
            protocol: self.protocol,
            errors_by_status: self.errors_by_status,
            sent,
            status: response.status().as_u16(),
            // No content type is not an error: the body's first bytes decide (`looks_like_html`).
            content_type: response
                .headers()
                .get(CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
                .unwrap_or_default(),
            timeout: self.timeout,
        };
        Ok((exchange, response))
    }

    /// Posts `body` and returns the whole answer, refused unless it is the protocol's.
    pub(super) async fn post(&self, body: Vec<u8>, call: &str) -> Result<Bytes, OdooError> {
        let answer = self.fetch(Request::post(body), call).await?;
        Ok(answer.body)
    }

    /// Sends `request` and returns the whole answer with its status, refused unless it is the
    /// protocol's (a status other than 200 only with [`Endpoint::errors_by_status`]).
    pub(super) async fn fetch(
        &self,
        request: Request<'_>,
        call: &str,
    ) -> Result<Answer<Bytes>, OdooError> {
        let (exchange, response) = self.send(request, call).await?;
        let body = self.read_whole(&exchange, response).await?;
        Ok(Answer {
            status: exchange.status,
            body,
        })
    }

    async fn read_whole(
        &self,
        exchange: &Exchange<'_>,
        response: reqwest::Response,
    ) -> Result<Bytes, OdooError> {
        let bytes = response.bytes().await.map_err(|e| exchange.net(e))?;
        self.metrics.add_bytes(exchange.sent, bytes.len());
        exchange.reject(&bytes)?;
        Ok(bytes)
    }

    /// Posts `body` and feeds the answer to `decoder` as it arrives, so only the decoder's
    /// state and one chunk are held. The first bytes are kept until they tell an HTML page
    /// from the protocol's answer; a page (or a non-200 status) is read whole and refused as
    /// [`Endpoint::post`] refuses it.
    pub(super) async fn post_streamed<D: ChunkDecoder>(
        &self,
        body: Vec<u8>,
        call: &str,
        decoder: D,
    ) -> Result<D::Output, OdooError> {
        match self.stream(Request::post(body), call, decoder).await? {
            Streamed::Decoded(output) => Ok(output),
            // Only an endpoint with `errors_by_status` hands an error answer back.
            Streamed::Error(answer) => Err(OdooError::Http {
                call: call.to_owned(),
                url: self.url.clone(),
                status: answer.status,
                excerpt: excerpt(&answer.body),
            }),
        }
    }

    /// [`Endpoint::post_streamed`] for any request; an error answer (with
    /// [`Endpoint::errors_by_status`]) is read whole and handed back undecoded.
    pub(super) async fn stream<D: ChunkDecoder>(
        &self,
        request: Request<'_>,
        call: &str,
        mut decoder: D,
    ) -> Result<Streamed<D::Output>, OdooError> {
        let (exchange, mut response) = self.send(request, call).await?;
        if exchange.status != 200 || html_type(&exchange.content_type) {
            let body = self.read_whole(&exchange, response).await?;
            if exchange.status != 200 {
                return Ok(Streamed::Error(Answer {
                    status: exchange.status,
                    body,
                }));
            }
            decoder.feed(&body);
            return Ok(Streamed::Decoded(decoder.finish()));
        }
        let mut received = 0;
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
                // An error page: read it whole, for the same excerpt as `post`.
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
        Ok(Streamed::Decoded(decoder.finish()))
    }
}

/// One request sent and its response's head: what error reports need.
struct Exchange<'a> {
    call: &'a str,
    url: Cow<'a, str>,
    protocol: &'static str,
    errors_by_status: bool,
    sent: usize,
    status: u16,
    content_type: String,
    timeout: Duration,
}

impl Exchange<'_> {
    fn net(&self, e: reqwest::Error) -> OdooError {
        classify(e, self.call, &self.url, self.timeout)
    }

    /// A body that is not the protocol's answer: a non-200 status (a proxy's 502, Odoo's 400
    /// "Invalid JSON data") or an HTML page. With `errors_by_status`, a 4xx/5xx body that is
    /// not a page (nor a gateway's status) is JSON-2's error and passes.
    fn reject(&self, body: &[u8]) -> Result<(), OdooError> {
        let odoos_error = self.errors_by_status
            && !matches!(self.status, 502..=504)
            && !looks_like_html(&self.content_type, body);
        if self.status != 200 && !odoos_error {
            return Err(OdooError::Http {
                call: self.call.to_owned(),
                url: self.url.clone().into_owned(),
                status: self.status,
                excerpt: excerpt(body),
            });
        }
        if looks_like_html(&self.content_type, body) {
            return Err(OdooError::NotXmlRpc {
                call: self.call.to_owned(),
                url: self.url.clone().into_owned(),
                protocol: self.protocol,
                content_type: self.content_type.clone(),
                excerpt: excerpt(body),
            });
        }
        Ok(())
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

fn html_type(content_type: &str) -> bool {
    content_type.to_ascii_lowercase().contains("html")
}

/// How many bytes from the first non-blank one [`looks_like_html`] looks at.
const HTML_SNIFF: usize = 15;

fn looks_like_html(content_type: &str, body: &[u8]) -> bool {
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
fn shows_html_or_not(head: &[u8]) -> bool {
    head.iter()
        .position(|b| !b.is_ascii_whitespace())
        .is_some_and(|start| head.len() >= start + HTML_SNIFF)
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
    fn html_detection() {
        assert!(looks_like_html("text/html; charset=utf-8", b"<?xml"));
        assert!(looks_like_html("text/xml", b"\n  <!DOCTYPE html><html>"));
        assert!(looks_like_html("", b"<HTML><body>"));
        assert!(!looks_like_html(
            "text/xml; charset=utf-8",
            b"<?xml version='1.0'?>\n<methodResponse>"
        ));
        assert!(!looks_like_html("text/xml", b""));
        assert!(!shows_html_or_not(b"   <htm"));
        assert!(shows_html_or_not(b"<?xml version='1.0'?>"));
    }
}
