//! Bearer-token check for the admin endpoints. The comparison takes the same time wherever
//! the first difference is, and the token never reaches a log line or an error body.

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;

use crate::odoo::Secret;

/// Whether `headers` carry `Authorization: Bearer <token>` (always true without a token).
pub(crate) fn authorized(headers: &HeaderMap, token: Option<&Secret>) -> bool {
    let Some(token) = token else {
        return true;
    };
    let Some(given) = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    else {
        return false;
    };
    constant_time_eq(given.trim().as_bytes(), token.expose().as_bytes())
}

pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_tokens() {
        let token = Secret::new("s3cret");
        let mut h = HeaderMap::new();
        assert!(authorized(&h, None));
        assert!(!authorized(&h, Some(&token)));
        h.insert(AUTHORIZATION, "Bearer s3cret".parse().unwrap());
        assert!(authorized(&h, Some(&token)));
        h.insert(AUTHORIZATION, "Bearer s3creT".parse().unwrap());
        assert!(!authorized(&h, Some(&token)));
        h.insert(AUTHORIZATION, "Basic s3cret".parse().unwrap());
        assert!(!authorized(&h, Some(&token)));
        h.insert(AUTHORIZATION, "Bearer s3cret-and-more".parse().unwrap());
        assert!(!authorized(&h, Some(&token)));
    }
}
