//! What `common.version()` says about the server: enough to print "Odoo 17.0" and to pick a
//! wire protocol (XML-RPC up to 18, JSON-2 from 19).

use std::fmt;

use crate::xmlrpc::Value;

#[derive(Clone, Debug, PartialEq)]
pub struct ServerVersion {
    /// `server_version`, e.g. `17.0` or `17.0+e` on enterprise builds.
    pub server_version: String,
    /// `server_serie`, e.g. `17.0`.
    pub serie: String,
    /// `server_version_info`, e.g. `[17, 0, 0, "final", 0, ""]`.
    pub version_info: Vec<Value>,
    pub protocol_version: Option<i64>,
}

impl ServerVersion {
    /// Reads the struct `version()` returns; `None` if it is not one.
    pub(crate) fn from_value(v: &Value) -> Option<Self> {
        let s = v.as_struct()?;
        let server_version = s.get("server_version")?.as_str()?.to_owned();
        let serie = s
            .get("server_serie")
            .and_then(Value::as_str)
            .unwrap_or(&server_version)
            .to_owned();
        let version_info = s
            .get("server_version_info")
            .and_then(Value::as_array)
            .map(<[Value]>::to_vec)
            .unwrap_or_default();
        let protocol_version = s.get("protocol_version").and_then(Value::as_i64);
        Some(Self {
            server_version,
            serie,
            version_info,
            protocol_version,
        })
    }

    /// The major version (17 for `17.0`, also for SaaS series such as `saas~17.1`).
    pub fn major(&self) -> Option<i64> {
        if let Some(m) = self.version_info.first().and_then(Value::as_i64) {
            return Some(m);
        }
        let digits: String = self
            .serie
            .trim_start_matches("saas~")
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse().ok()
    }
}

impl fmt::Display for ServerVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Odoo {}", self.server_version)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xmlrpc::Struct;

    #[test]
    fn reads_odoo_17() {
        let mut s = Struct::new();
        s.push("server_version", "17.0".into());
        s.push(
            "server_version_info",
            Value::Array(vec![
                17.into(),
                0.into(),
                0.into(),
                "final".into(),
                0.into(),
                "".into(),
            ]),
        );
        s.push("server_serie", "17.0".into());
        s.push("protocol_version", 1.into());
        let v = ServerVersion::from_value(&Value::Struct(s)).unwrap();
        assert_eq!(v.to_string(), "Odoo 17.0");
        assert_eq!(v.major(), Some(17));
        assert_eq!(v.protocol_version, Some(1));
        let saas = ServerVersion {
            server_version: "saas~17.1".into(),
            serie: "saas~17.1".into(),
            version_info: vec![],
            protocol_version: None,
        };
        assert_eq!(saas.major(), Some(17));
        assert!(ServerVersion::from_value(&Value::Bool(false)).is_none());
    }
}
