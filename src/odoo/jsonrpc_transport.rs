//! The JSON-RPC transport: POSTs `{"jsonrpc": "2.0", "method": "call", "params": {"service",
//! "method", "args"}}` to `{url}/jsonrpc` (Odoo 8–18; Odoo's own JSON encoder is about twice
//! as fast as its XML-RPC marshaller on large reads) on one shared reqwest client, and turns
//! every outcome — result, Odoo's error object, HTTP error, HTML page, broken connection,
//! timeout — into the same results and typed errors as the XML-RPC transport.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use reqwest::Url;

use super::error::OdooError;
use super::http_post::{Endpoint, http_client};
use super::metrics::Metrics;
use super::protocol::{Choice, Protocol};
use super::transport::{BoxFuture, Service, Transport, id_set};
use crate::jsonrpc::{
    DecodeError, IdsDecoder, IdsResponse, Response, decode_response, encode_call,
};
use crate::record::IdSet;
use crate::xmlrpc::Value;

/// JSON-RPC over HTTP(S), one attempt per `call` (the client owns retries).
#[derive(Debug)]
pub struct JsonRpcTransport {
    /// `{base}/jsonrpc`, for servers mounted under a sub-path too.
    post: Endpoint,
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

    pub(crate) fn with_client(
        http: reqwest::Client,
        base_url: &Url,
        timeout: Duration,
        metrics: Arc<Metrics>,
    ) -> Self {
        Self {
            post: Endpoint {
                http,
                url: format!("{}/jsonrpc", base_url.as_str().trim_end_matches('/')),
                content_type: "application/json",
                protocol: "JSON-RPC",
                timeout,
                metrics,
                errors_by_status: false,
            },
            next_id: AtomicU64::new(1),
        }
    }

    /// The one endpoint every service shares.
    #[cfg(test)]
    pub(crate) fn endpoint(&self) -> &str {
        &self.post.url
    }

    fn body(&self, service: Service, method: &str, params: &[Value]) -> Vec<u8> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        encode_call(service.as_str(), method, params, id)
    }

    async fn call_once(
        &self,
        service: Service,
        method: &str,
        params: &[Value],
        call: &str,
    ) -> Result<Value, OdooError> {
        let body = self
            .post
            .post(self.body(service, method, params), call)
            .await?;
        match decode_response(body.as_ref()) {
            Ok(Response::Result(value)) => Ok(value),
            Ok(Response::Error(error)) => Err(OdooError::from_json_error(call, &error)),
            Err(source) => Err(decode_error(call, source)),
        }
    }

    /// [`Self::call_once`] for an answer that is a list of ids, decoded as it arrives (see
    /// [`IdsDecoder`]); error pages are refused as `call_once` refuses them.
    async fn call_ids_once(
        &self,
        service: Service,
        method: &str,
        params: &[Value],
        call: &str,
    ) -> Result<IdSet, OdooError> {
        let decoded = self
            .post
            .post_streamed(self.body(service, method, params), call, IdsDecoder::new())
            .await?;
        match decoded {
            Ok(IdsResponse::Ids(ids)) => Ok(ids),
            Ok(IdsResponse::Other(Response::Result(value))) => id_set(call, value),
            Ok(IdsResponse::Other(Response::Error(error))) => {
                Err(OdooError::from_json_error(call, &error))
            }
            Err(source) => Err(decode_error(call, source)),
        }
    }
}

fn decode_error(call: &str, source: DecodeError) -> OdooError {
    OdooError::JsonDecode {
        call: call.to_owned(),
        source,
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
