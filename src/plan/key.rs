//! Idempotency keys: the deterministic name of a non-idempotent effect (a badge grant, a karma
//! entry), so that apply can check whether it already happened before doing it again.

use std::fmt;

use thiserror::Error;

/// Longest key accepted, so the marker fits comfortably in a char field or a reason text.
pub const MAX_KEY_LEN: usize = 200;

/// A deterministic key such as `badge:challenge=4:user=6:badge=2:period=2026-11`.
///
/// Engines build it from ids and period bounds, never from names people can edit. The
/// alphabet is restricted (ASCII letters, digits and `: = - . , / + # @`) so that the key can
/// be embedded in an Odoo text field and searched for without quoting, and so that `ilike`
/// wildcards (`%`, `_`) or the marker brackets never appear inside it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IdemKey(String);

/// Why a string cannot be an idempotency key.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum InvalidKey {
    #[error("empty idempotency key")]
    Empty,
    #[error("idempotency key longer than {MAX_KEY_LEN} bytes ({0})")]
    TooLong(usize),
    #[error(
        "idempotency key {key:?} contains {bad:?} (allowed: ASCII letters, digits and `:=-.,/+#@`)"
    )]
    BadChar { key: String, bad: char },
}

impl IdemKey {
    pub fn new(key: impl Into<String>) -> Result<IdemKey, InvalidKey> {
        let key = key.into();
        if key.is_empty() {
            return Err(InvalidKey::Empty);
        }
        if key.len() > MAX_KEY_LEN {
            return Err(InvalidKey::TooLong(key.len()));
        }
        if let Some(bad) = key.chars().find(|c| !allowed(*c)) {
            let shown: String = key.chars().take(60).collect();
            return Err(InvalidKey::BadChar { key: shown, bad });
        }
        Ok(IdemKey(key))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The text to embed in the created record (a karma tracking's `reason`, a badge grant's
    /// `comment`): `[sk:<key>]`. The closing bracket makes a substring search exact, so that
    /// `…record=4` never matches `…record=42`.
    pub fn marker(&self) -> String {
        format!("[sk:{}]", self.0)
    }

    /// A stable 16-hex-digit digest (FNV-1a, 64 bits) for places where the full key is too long.
    /// Stable across builds and platforms, unlike `std`'s `DefaultHasher`.
    #[cfg(test)]
    pub(crate) fn short(&self) -> String {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for byte in self.0.bytes() {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
        format!("{hash:016x}")
    }
}

fn allowed(c: char) -> bool {
    c.is_ascii_alphanumeric() || ":=-.,/+#@".contains(c)
}

impl fmt::Display for IdemKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for IdemKey {
    type Err = InvalidKey;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        IdemKey::new(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_checked() {
        assert!(IdemKey::new("badge:challenge=4:user=6:badge=2:period=2026-11").is_ok());
        assert_eq!(IdemKey::new(""), Err(InvalidKey::Empty));
        assert!(matches!(
            IdemKey::new("a_b"),
            Err(InvalidKey::BadChar { bad: '_', .. })
        ));
        assert!(matches!(
            IdemKey::new("a%b"),
            Err(InvalidKey::BadChar { bad: '%', .. })
        ));
        assert!(matches!(
            IdemKey::new("a]"),
            Err(InvalidKey::BadChar { bad: ']', .. })
        ));
        assert!(matches!(
            IdemKey::new("Nguyễn"),
            Err(InvalidKey::BadChar { bad: 'ễ', .. })
        ));
        assert_eq!(IdemKey::new("k".repeat(201)), Err(InvalidKey::TooLong(201)));
    }

    #[test]
    fn marker_and_short_form_are_stable() {
        let key = IdemKey::new("karma:rule=3:record=42").unwrap();
        assert_eq!(key.marker(), "[sk:karma:rule=3:record=42]");
        assert_eq!(key.short(), key.clone().short());
        assert_eq!(key.short().len(), 16);
        // FNV-1a of "a" is a published test vector.
        assert_eq!(IdemKey::new("a").unwrap().short(), "af63dc4c8601ec8c");
        assert_ne!(
            key.short(),
            IdemKey::new("karma:rule=3:record=4").unwrap().short()
        );
    }
}
