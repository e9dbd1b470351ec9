//! The XML-RPC transport: POSTs `<methodCall>` documents to `{url}/xmlrpc/2/{service}` through
//! the shared [`Endpoint`] (one reqwest client, status and HTML checks, typed network errors)
//! and turns Odoo's answer — value or fault — into a result.

use std::sync::Arc;
use std::time::Duration;

use reqwest::Url;

use super::error::OdooError;
use super::http_post::{Endpoint, http_client};
use super::metrics::Metrics;
use super::protocol::{Choice, Protocol};
use super::transport::{BoxFuture, Service, Transport, id_set};
use crate::record::IdSet;
use crate::xmlrpc::{
    DecodeError, IdsDecoder, IdsResponse, MethodResponse, Value, decode_response, encode_call,
};

/// XML-RPC over HTTP(S), one attempt per `call`.
#[derive(Clone, Debug)]
pub struct XmlRpcTransport {
    /// XML-RPC has one URL per service, `{base}/xmlrpc/2/{service}` (the base without a
    /// trailing slash, so servers mounted under a sub-path work too): built once, not per call.
    common: Endpoint,
    object: Endpoint,
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

    pub(crate) fn with_client(
        http: reqwest::Client,
        base_url: &Url,
        timeout: Duration,
        metrics: Arc<Metrics>,
    ) -> Self {
        let base = base_url.as_str().trim_end_matches('/').to_owned();
        let to = |service: Service| Endpoint {
            http: http.clone(),
            url: format!("{base}/xmlrpc/2/{}", service.as_str()),
            content_type: "text/xml",
            protocol: "XML-RPC",
            timeout,
            metrics: metrics.clone(),
            errors_by_status: false,
        };
        Self {
            common: to(Service::Common),
            object: to(Service::Object),
        }
    }

    /// The endpoint of `service`.
    fn to(&self, service: Service) -> &Endpoint {
        match service {
            Service::Common => &self.common,
            Service::Object => &self.object,
        }
    }

    async fn call_once(
        &self,
        service: Service,
        method: &str,
        params: &[Value],
        call: &str,
    ) -> Result<Value, OdooError> {
        let body = self
            .to(service)
            .post(encode_call(method, params), call)
            .await?;
        match decode_response(body.as_ref()) {
            Ok(MethodResponse::Success(value)) => Ok(value),
            Ok(MethodResponse::Fault(fault)) => Err(OdooError::from_fault(call, &fault)),
            Err(source) => Err(decode_error(call, source)),
        }
    }

    /// [`Self::call_once`] for an answer that is a list of ids: the body is decoded as it
    /// arrives, so only the set and one chunk are ever held, unless the answer is not a plain
    /// list of integers (a fault), which is reported as `call_once` reports it.
    async fn call_ids_once(
        &self,
        service: Service,
        method: &str,
        params: &[Value],
        call: &str,
    ) -> Result<IdSet, OdooError> {
        let decoded = self
            .to(service)
            .post_streamed(encode_call(method, params), call, IdsDecoder::new())
            .await?;
        match decoded {
            Ok(IdsResponse::Ids(ids)) => Ok(ids),
            Ok(IdsResponse::Other(MethodResponse::Success(value))) => id_set(call, value),
            Ok(IdsResponse::Other(MethodResponse::Fault(fault))) => {
                Err(OdooError::from_fault(call, &fault))
            }
            Err(source) => Err(decode_error(call, source)),
        }
    }
}

fn decode_error(call: &str, source: DecodeError) -> OdooError {
    OdooError::Decode {
        call: call.to_owned(),
        source: Box::new(source),
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
            t.to(Service::Object).url,
            "https://h.example/odoo/xmlrpc/2/object"
        );
        let t = XmlRpcTransport::new(
            &Url::parse("http://127.0.0.1:8069").unwrap(),
            Duration::from_secs(1),
            m,
        )
        .unwrap();
        assert_eq!(
            t.to(Service::Common).url,
            "http://127.0.0.1:8069/xmlrpc/2/common"
        );
    }
}
