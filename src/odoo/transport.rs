//! How a call reaches Odoo: XML-RPC, JSON-RPC, JSON-2 (Odoo 19+) and `auto`, which picks one
//! from the server's version, all behind one trait, so the client, its retries and its helpers
//! do not depend on the protocol.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use super::client::unexpected;
use super::error::OdooError;
use super::protocol::Choice;
use crate::record::IdSet;
use crate::xmlrpc::Value;

/// Odoo's RPC services we use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Service {
    /// `version`, `authenticate`, `login`.
    Common,
    /// `execute_kw`.
    Object,
}

impl Service {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Service::Common => "common",
            Service::Object => "object",
        }
    }
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A boxed future, so `Transport` stays object-safe (`Arc<dyn Transport>`) and the wire
/// protocol can be chosen at run time from the server version.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One attempt of one RPC: no retries here (the client owns the policy). `call` names the
/// operation for error messages (`crm.lead.write`); it never contains parameters, which may
/// hold the password.
pub trait Transport: Send + Sync {
    fn call<'a>(
        &'a self,
        service: Service,
        method: &'a str,
        params: &'a [Value],
        call: &'a str,
    ) -> BoxFuture<'a, Result<Value, OdooError>>;

    /// One attempt of a call that answers a list of ids (`search`), kept as an [`IdSet`]. A
    /// transport that can read the answer as it arrives overrides this to keep memory bounded;
    /// the default reads the whole answer with [`Transport::call`].
    fn call_ids<'a>(
        &'a self,
        service: Service,
        method: &'a str,
        params: &'a [Value],
        call: &'a str,
    ) -> BoxFuture<'a, Result<IdSet, OdooError>> {
        Box::pin(async move {
            let value = self.call(service, method, params, call).await?;
            id_set(call, value)
        })
    }

    /// The protocol this transport speaks and why, once known (`auto` decides on its first
    /// call); `None` for a transport that does not say.
    fn choice(&self) -> Option<Choice> {
        None
    }
}

/// What a wrong answer to `search` or `create` was expected to be, in errors.
pub(crate) const LIST_OF_IDS: &str = "a list of ids";

/// The ids of an answer that should be a list of them; any other shape is the error
/// `search` reports for it.
pub(crate) fn id_set(call: &str, value: Value) -> Result<IdSet, OdooError> {
    match value {
        Value::Array(items) => {
            if let Some(bad) = items.iter().find(|v| v.as_i64().is_none()) {
                return Err(unexpected(call, LIST_OF_IDS, bad));
            }
            Ok(items.iter().filter_map(Value::as_i64).collect())
        }
        other => Err(unexpected(call, LIST_OF_IDS, &other)),
    }
}
