//! The JSON-RPC transport: POSTs `{"jsonrpc": "2.0", "method": "call", "params": {"service",
//! "method", "args"}}` to `{url}/jsonrpc` (Odoo 8–18; Odoo's own JSON encoder is about twice
//! as fast as its XML-RPC marshaller on large reads) on one shared reqwest client, and turns
//! every outcome — result, Odoo's error object, HTTP error, HTML page, broken connection,
//! timeout — into the same results and typed errors as the XML-RPC transport.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use reqwest::Url;
use reqwest::header::CONTENT_TYPE;

use super::error::{OdooError, excerpt};
use super::metrics::Metrics;
use super::protocol::{Choice, Protocol};
use super::transport::{BoxFuture, Service, Transport, id_set};
use super::xmlrpc_transport::{
    classify, html_type, http_client, looks_like_html, shows_html_or_not,
};
use crate::jsonrpc::{
    DecodeError, IdsDecoder, IdsResponse, Response, decode_response, encode_call,
};
use crate::record::IdSet;
use crate::xmlrpc::Value;

/// JSON-RPC over HTTP(S), one attempt per `call` (the client owns retries).
#[derive(Debug)]
pub struct JsonRpcTransport {
    http: reqwest::Client,
    /// `{base}/jsonrpc`, for servers mounted under a sub-path too.
    endpoint: String,
    timeout: Duration,
    metrics: Arc<Metrics>,
    /// Request ids, so a proxy's or Odoo's logs can pair requests and answers.
    next_id: AtomicU64,
}

impl JsonRpcTransport {
    /// Builds the transport with its own HTTP client; prefer
    /// [`JsonRpcTransport::with_client`] to share a connection pool.
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
            endpoint: format!("{}/jsonrpc", base_url.as_str().trim_end_matches('/')),
            timeout,
            metrics,
            next_id: AtomicU64::new(1),
        }
    }

    /// The one endpoint every service shares.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    async fn send<'a>(
        &self,
        service: Service,
        method: &str,
        params: &[Value],
        call: &'a str,
    ) -> Result<(Exchange<'a>, reqwest::Response), OdooError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let body = encode_call(service.as_str(), method, params, id);
        let sent = body.len();
        let url = self.endpoint.clone();
        let response = self
            .http
            .post(&url)
            .header(CONTENT_TYPE, "application/json")
            .timeout(self.timeout)
            .body(body)
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
            Ok(Response::Result(value)) => Ok(value),
            Ok(Response::Error(error)) => Err(OdooError::from_json_error(call, &error)),
            Err(source) => Err(exchange.decode_error(source)),
        }
    }

    /// [`Self::call_once`] for an answer that is a list of ids, decoded as it arrives (see
    /// [`IdsDecoder`]); error pages are read whole and reported as `call_once` reports them.
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
            // Not reached: `reject` refuses both.
            return exchange.ids(IdsDecoder::new().finish());
        }
        let mut decoder = IdsDecoder::new();
        let mut received = 0;
        // The first bytes, until they tell an HTML page from JSON.
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

    /// A body that is not a JSON-RPC answer: a non-200 status (Odoo's 400 "Invalid JSON
    /// data", a proxy's 502) or an HTML page.
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
                protocol: "JSON-RPC",
                content_type: self.content_type.clone(),
                excerpt: excerpt(body),
            });
        }
        Ok(())
    }

    fn ids(&self, decoded: Result<IdsResponse, DecodeError>) -> Result<IdSet, OdooError> {
        match decoded {
            Ok(IdsResponse::Ids(ids)) => Ok(ids),
            Ok(IdsResponse::Other(Response::Result(value))) => id_set(self.call, value),
            Ok(IdsResponse::Other(Response::Error(error))) => {
                Err(OdooError::from_json_error(self.call, &error))
            }
            Err(source) => Err(self.decode_error(source)),
        }
    }

    fn decode_error(&self, source: DecodeError) -> OdooError {
        OdooError::JsonDecode {
            call: self.call.to_owned(),
            source,
        }
    }
}

impl Transport for JsonRpcTransport {
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
            protocol: Protocol::JsonRpc,
            reason: "protocol = \"jsonrpc\"".to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_endpoint_respects_sub_paths() {
        let m = Arc::new(Metrics::new());
        let t = JsonRpcTransport::new(
            &Url::parse("https://h.example/odoo/").unwrap(),
            Duration::from_secs(1),
            m,
        )
        .unwrap();
        assert_eq!(t.endpoint(), "https://h.example/odoo/jsonrpc");
    }
}
