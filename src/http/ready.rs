//! Is Odoo reachable? A cheap `common.version` call (no credentials, one attempt, short
//! timeout), cached a few seconds so a busy probe cannot hammer the server; concurrent
//! requests share one call.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::config::OdooConfig;
use crate::odoo::{Metrics, OdooClient, OdooError, RetryPolicy, XmlRpcTransport};

/// How long a probe answer is reused.
const PROBE_TTL: Duration = Duration::from_secs(5);
/// The longest a probe waits for Odoo.
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

pub struct OdooProbe {
    client: RwLock<Arc<OdooClient>>,
    cache: Mutex<Option<(Instant, Result<String, String>)>>,
    ttl: Duration,
}

impl std::fmt::Debug for OdooProbe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OdooProbe")
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl OdooProbe {
    /// A probe of the server `config` points at. Its calls are not counted in the jobs'
    /// RPC metrics.
    pub fn from_config(config: &OdooConfig) -> Result<Self, OdooError> {
        Ok(Self::new(probe_client(config)?))
    }

    pub(crate) fn new(client: OdooClient) -> Self {
        Self {
            client: RwLock::new(Arc::new(client)),
            cache: Mutex::new(None),
            ttl: PROBE_TTL,
        }
    }

    pub fn with_ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// Points the probe at a (reloaded) server and forgets the cached answer.
    pub(crate) async fn set_config(&self, config: &OdooConfig) -> Result<(), OdooError> {
        let client = Arc::new(probe_client(config)?);
        if let Ok(mut c) = self.client.write() {
            *c = client;
        }
        *self.cache.lock().await = None;
        Ok(())
    }

    /// `Ok("Odoo 17.0")` or `Err(why)`, at most `ttl` old.
    pub async fn check(&self) -> Result<String, String> {
        let mut cache = self.cache.lock().await;
        if let Some((at, answer)) = cache.as_ref()
            && at.elapsed() < self.ttl
        {
            return answer.clone();
        }
        let client = match self.client.read() {
            Ok(c) => c.clone(),
            Err(_) => return Err("probe state poisoned".into()),
        };
        let answer = client
            .version()
            .await
            .map(|v| v.to_string())
            .map_err(|e| e.to_string());
        *cache = Some((Instant::now(), answer.clone()));
        answer
    }
}

fn probe_client(config: &OdooConfig) -> Result<OdooClient, OdooError> {
    let metrics = Arc::new(Metrics::new());
    let timeout = config.timeout.min(PROBE_TIMEOUT);
    let transport = XmlRpcTransport::new(&config.url, timeout, metrics.clone())?;
    Ok(
        OdooClient::new(Arc::new(transport), metrics, config.credentials())
            .with_retry(RetryPolicy::no_retry()),
    )
}
