//! How a call reaches Odoo. XML-RPC today; JSON-2 (Odoo 19+) will be a second implementation
//! of the same trait, so the client, its retries and its helpers do not change.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use super::error::OdooError;
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
    pub fn as_str(self) -> &'static str {
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
}
