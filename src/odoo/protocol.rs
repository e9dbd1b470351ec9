//! Which wire protocol the client speaks: `[odoo] protocol`, and for `auto` the choice made
//! from the server's version (asked without credentials before the first call: over XML-RPC,
//! which every Odoo up to 19 serves, or `GET /web/version` where `/xmlrpc` is gone).

use std::fmt;
use std::sync::Arc;

use tokio::sync::OnceCell;

use super::error::OdooError;
use super::transport::{BoxFuture, Service, Transport};
use super::version::ServerVersion;
use crate::record::IdSet;
use crate::xmlrpc::Value;

/// `[odoo] protocol`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Protocol {
    /// JSON-RPC where the server serves it well (Odoo 14–18), XML-RPC otherwise.
    #[default]
    Auto,
    XmlRpc,
    JsonRpc,
    /// Odoo 19's `/json/2/<model>/<method>` with an API key.
    Json2,
}

impl Protocol {
    /// The values the config accepts, in the order error messages list them.
    pub(crate) const NAMES: [&'static str; 4] = ["auto", "xmlrpc", "jsonrpc", "json2"];

    pub(crate) fn parse(text: &str) -> Option<Protocol> {
        match text {
            "auto" => Some(Protocol::Auto),
            "xmlrpc" => Some(Protocol::XmlRpc),
            "jsonrpc" => Some(Protocol::JsonRpc),
            "json2" => Some(Protocol::Json2),
            _ => None,
        }
    }

    pub(crate) fn as_str(self) -> &'static str {
        Protocol::NAMES[self as usize]
    }

    /// How `check` names the protocol.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Protocol::Auto => "auto",
            Protocol::XmlRpc => "XML-RPC",
            Protocol::JsonRpc => "JSON-RPC",
            Protocol::Json2 => "JSON-2",
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The protocol in use and why, for `check` and the logs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Choice {
    pub protocol: Protocol,
    pub reason: String,
}

impl fmt::Display for Choice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.protocol.label(), self.reason)
    }
}

/// What `auto` picks for a server: JSON-2 from Odoo 19 on (its replacement for `/xmlrpc` and
/// `/jsonrpc`, which 19 deprecates and logs a warning for on every call; it takes an API
/// key, not a password); JSON-RPC on Odoo 14–18, where `/jsonrpc` serves the same calls and
/// Odoo's JSON encoder costs half its XML marshaller (issue 18); XML-RPC on older versions.
pub fn choose(version: &ServerVersion) -> Choice {
    match version.major() {
        Some(major @ 19..) => Choice {
            protocol: Protocol::Json2,
            reason: format!(
                "protocol = \"auto\": Odoo {major} serves JSON-2 and deprecates /xmlrpc and /jsonrpc"
            ),
        },
        Some(major @ 14..=18) => Choice {
            protocol: Protocol::JsonRpc,
            reason: format!(
                "protocol = \"auto\": Odoo {major} serves /jsonrpc, faster than /xmlrpc/2"
            ),
        },
        Some(major) => Choice {
            protocol: Protocol::XmlRpc,
            reason: format!(
                "protocol = \"auto\": JSON-RPC is used on Odoo 14–18 only, this is Odoo {major}"
            ),
        },
        None => Choice {
            protocol: Protocol::XmlRpc,
            reason: format!(
                "protocol = \"auto\": the version {:?} names no major version",
                version.server_version
            ),
        },
    }
}

/// The transport of `protocol = "auto"`: before its first call it asks the server's version
/// without credentials (JSON-2's `GET /web/version` first, `common.version` over XML-RPC
/// where that is not served; see [`AutoTransport::decide`]), then sends everything over the
/// transport [`choose`] picks. A failed version call fails the attempt it belongs to and is
/// asked again on the next one (the client owns retries); the choice, once made, stays.
pub struct AutoTransport {
    xmlrpc: Arc<dyn Transport>,
    jsonrpc: Arc<dyn Transport>,
    json2: Arc<dyn Transport>,
    chosen: OnceCell<(Choice, Value)>,
}

impl AutoTransport {
    pub(crate) fn new(
        xmlrpc: Arc<dyn Transport>,
        jsonrpc: Arc<dyn Transport>,
        json2: Arc<dyn Transport>,
    ) -> Self {
        Self {
            xmlrpc,
            jsonrpc,
            json2,
            chosen: OnceCell::new(),
        }
    }

    /// The server's version and the protocol to use. `GET /web/version` (JSON-2's, served
    /// beside `/json/2` by Odoo 19's `rpc` module) is asked first: on 19+ that is the whole
    /// decision and no XML-RPC call is made, so Odoo logs no deprecation warning for it.
    /// Where it is not served (Odoo up to 18, or a proxy letting only `/xmlrpc` through),
    /// `common.version` over XML-RPC decides, and a 19+ found that way keeps XML-RPC.
    async fn decide(&self, call: &str) -> Result<(Choice, Value), OdooError> {
        let version_over = |t: &Arc<dyn Transport>| version_over(t.clone(), call);
        let (answer, json2_served) = match version_over(&self.json2).await {
            Ok(answer) => (answer, true),
            Err(e) if not_served(&e) => (version_over(&self.xmlrpc).await?, false),
            Err(e) => return Err(e),
        };
        let version = ServerVersion::from_value(&answer)
            .ok_or_else(|| super::client::unexpected(call, "a version struct", &answer))?;
        let mut choice = choose(&version);
        if choice.protocol == Protocol::Json2 && !json2_served {
            choice = Choice {
                protocol: Protocol::XmlRpc,
                reason: format!(
                    "protocol = \"auto\": {version} does not serve GET /web/version here, so \
                     not JSON-2 either"
                ),
            };
        }
        Ok((choice, answer))
    }

    /// The choice, once the first call made it.
    pub(crate) fn choice(&self) -> Option<&Choice> {
        self.chosen.get().map(|(c, _)| c)
    }

    async fn transport(&self) -> Result<&Arc<dyn Transport>, OdooError> {
        let (choice, _) = self
            .chosen
            .get_or_try_init(|| async {
                let (choice, answer) = self.decide("common.version").await?;
                tracing::info!(protocol = choice.protocol.as_str(), reason = %choice.reason, "wire protocol chosen");
                Ok::<_, OdooError>((choice, answer))
            })
            .await?;
        Ok(match choice.protocol {
            Protocol::JsonRpc => &self.jsonrpc,
            Protocol::Json2 => &self.json2,
            Protocol::XmlRpc | Protocol::Auto => &self.xmlrpc,
        })
    }
}

/// `common.version` over `transport`.
async fn version_over(transport: Arc<dyn Transport>, call: &str) -> Result<Value, OdooError> {
    transport.call(Service::Common, "version", &[], call).await
}

/// Whether `GET /web/version` is not JSON-2's on this server: a 4xx (Odoo 17's `/web/version`
/// is a JSON-RPC route, which refuses a GET; older ones have none) or a page or body that is
/// not its JSON answer, rather than a server or network failure.
fn not_served(e: &OdooError) -> bool {
    match e {
        OdooError::Http { status, .. } => (400..500).contains(status),
        other => gone(other) || matches!(other, OdooError::JsonDecode { .. }),
    }
}

/// Whether an answer says the endpoint does not exist on this server (a 404, or a page in
/// place of XML-RPC), rather than that the server failed.
fn gone(e: &OdooError) -> bool {
    matches!(
        e,
        OdooError::Http { status: 404, .. } | OdooError::NotXmlRpc { .. }
    )
}

impl Transport for AutoTransport {
    fn call<'a>(
        &'a self,
        service: Service,
        method: &'a str,
        params: &'a [Value],
        call: &'a str,
    ) -> BoxFuture<'a, Result<Value, OdooError>> {
        Box::pin(async move {
            let first = self.chosen.get().is_none();
            let transport = self.transport().await?;
            // The version call that made the choice already holds this answer.
            if first
                && service == Service::Common
                && method == "version"
                && let Some((_, answer)) = self.chosen.get()
            {
                return Ok(answer.clone());
            }
            transport.call(service, method, params, call).await
        })
    }

    fn call_ids<'a>(
        &'a self,
        service: Service,
        method: &'a str,
        params: &'a [Value],
        call: &'a str,
    ) -> BoxFuture<'a, Result<IdSet, OdooError>> {
        Box::pin(async move {
            self.transport()
                .await?
                .call_ids(service, method, params, call)
                .await
        })
    }

    fn choice(&self) -> Option<Choice> {
        AutoTransport::choice(self).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(info: i64, serie: &str) -> ServerVersion {
        ServerVersion {
            server_version: serie.to_owned(),
            serie: serie.to_owned(),
            version_info: vec![Value::Int(info)],
            protocol_version: Some(1),
        }
    }

    #[test]
    fn auto_picks_jsonrpc_on_14_to_18_and_json2_from_19() {
        for major in 14..=18 {
            assert_eq!(
                choose(&version(major, "x")).protocol,
                Protocol::JsonRpc,
                "{major}"
            );
        }
        for (major, want) in [
            (12, Protocol::XmlRpc),
            (13, Protocol::XmlRpc),
            (19, Protocol::Json2),
            (20, Protocol::Json2),
        ] {
            let c = choose(&version(major, "x"));
            assert_eq!(c.protocol, want, "{major}");
            assert!(c.reason.contains(&major.to_string()), "{}", c.reason);
        }
        assert_eq!(
            choose(&version(19, "19.0")).to_string(),
            "JSON-2 (protocol = \"auto\": Odoo 19 serves JSON-2 and deprecates /xmlrpc and /jsonrpc)"
        );
        assert_eq!(
            choose(&version(17, "17.0")).to_string(),
            "JSON-RPC (protocol = \"auto\": Odoo 17 serves /jsonrpc, faster than /xmlrpc/2)"
        );
    }

    #[test]
    fn names_round_trip() {
        for name in Protocol::NAMES {
            assert_eq!(Protocol::parse(name).unwrap().as_str(), name);
        }
        assert_eq!(Protocol::parse("json2"), Some(Protocol::Json2));
        assert_eq!(Protocol::parse("json3"), None);
        assert_eq!(Protocol::default(), Protocol::Auto);
    }
}
