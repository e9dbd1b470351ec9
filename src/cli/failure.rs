//! Why a command failed, and therefore its exit code (documented in README.md): 0 ok, 1 run
//! failed, 2 config error, 3 Odoo unreachable or authentication failed.

use crate::config::ConfigError;
use crate::odoo::OdooError;

/// Why a command failed, and therefore its exit code.
#[derive(Debug)]
pub enum Failure {
    /// Exit 2: the config (or a field it names) is wrong; nothing was done.
    Config(ConfigError),
    /// Exit 3: Odoo could not be reached, did not speak XML-RPC, or refused our credentials.
    Unreachable(anyhow::Error),
    /// Exit 1: anything else.
    Failed(anyhow::Error),
    /// Exit 2: the command names something the config does not have (an unknown job, a
    /// job whose section is missing); nothing was done.
    Invalid(anyhow::Error),
}

impl Failure {
    pub fn exit_code(&self) -> u8 {
        match self {
            Failure::Failed(_) => 1,
            Failure::Config(_) | Failure::Invalid(_) => 2,
            Failure::Unreachable(_) => 3,
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Config(e) => write!(f, "{e}"),
            Failure::Unreachable(e) | Failure::Failed(e) | Failure::Invalid(e) => {
                write!(f, "{e:#}")
            }
        }
    }
}

impl From<ConfigError> for Failure {
    fn from(e: ConfigError) -> Self {
        Failure::Config(e)
    }
}

/// An Odoo error while doing `what`: exit 3 when Odoo is unreachable or refused the login,
/// else exit 1.
pub(super) fn odoo_failure(e: OdooError, what: &str) -> Failure {
    let unreachable = e.is_unreachable_or_auth();
    let e = anyhow::Error::new(e).context(what.to_owned());
    if unreachable {
        Failure::Unreachable(e)
    } else {
        Failure::Failed(e)
    }
}
