//! Signed links: `<subject>.<expiry>.<signature>` where the subject is `u<user id>` (a
//! person's own page) or `board` (the sales-floor screen), the expiry is a Unix time or `0`
//! (never), and the signature is HMAC-SHA256 over both with `[board]`'s secret, in hex. A link
//! reveals only its subject's data; a changed character anywhere fails the check, which
//! compares in constant time (the `hmac` crate's `verify_slice`).

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::odoo::Secret;

type HmacSha256 = Hmac<Sha256>;

/// Who a link is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Subject {
    /// One person's page (their `res.users` id); also opens the leaderboards and the rules.
    User(i64),
    /// The leaderboards and the rules, nothing personal (the screen on the sales floor).
    Board,
}

/// Why a link is refused (never shown in full to the visitor: they see 403 or 404).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("not a scorekeeper link")]
    Malformed,
    #[error("the signature does not match")]
    BadSignature,
    #[error("the link has expired")]
    Expired,
}

fn subject_text(subject: Subject) -> String {
    match subject {
        Subject::User(id) => format!("u{id}"),
        Subject::Board => "board".to_owned(),
    }
}

fn mac(secret: &Secret, subject: &str, expiry: i64) -> HmacSha256 {
    // Any key length is valid for HMAC; `new_from_slice` cannot fail here.
    let mut mac = HmacSha256::new_from_slice(secret.expose().as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(format!("scorekeeper-link:v1:{subject}:{expiry}").as_bytes());
    mac
}

/// The link token for `subject`, valid until `expires` (forever when `None`).
pub fn sign(secret: &Secret, subject: Subject, expires: Option<DateTime<Utc>>) -> String {
    let subject = subject_text(subject);
    let expiry = expires.map_or(0, |t| t.timestamp().max(1));
    let tag = mac(secret, &subject, expiry).finalize().into_bytes();
    format!("{subject}.{expiry}.{}", hex::encode(tag))
}

/// The subject of a valid, unexpired `token` at `now`.
pub fn verify(secret: &Secret, token: &str, now: DateTime<Utc>) -> Result<Subject, LinkError> {
    let mut parts = token.split('.');
    let (Some(subject), Some(expiry), Some(sig), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(LinkError::Malformed);
    };
    let parsed = match subject {
        "board" => Subject::Board,
        s => match s.strip_prefix('u').and_then(|id| id.parse::<i64>().ok()) {
            // The text must be exactly what `sign` writes (no `u+7`, no `u007`).
            Some(id) if id > 0 && format!("u{id}") == s => Subject::User(id),
            _ => return Err(LinkError::Malformed),
        },
    };
    let expiry_at = match expiry.parse::<i64>() {
        Ok(e) if e >= 0 && e.to_string() == expiry => e,
        _ => return Err(LinkError::Malformed),
    };
    let sig = hex::decode(sig).map_err(|_| LinkError::Malformed)?;
    mac(secret, subject, expiry_at)
        .verify_slice(&sig)
        .map_err(|_| LinkError::BadSignature)?;
    if expiry_at != 0 && now.timestamp() >= expiry_at {
        return Err(LinkError::Expired);
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn a_link_opens_for_its_subject_only_until_it_expires() {
        let key = Secret::new("0123456789abcdef0123456789abcdef");
        let now = at("2026-12-07T10:00:00Z");
        let forever = sign(&key, Subject::User(7), None);
        assert!(forever.starts_with("u7.0."), "{forever}");
        assert_eq!(verify(&key, &forever, now), Ok(Subject::User(7)));
        let board = sign(&key, Subject::Board, None);
        assert_eq!(verify(&key, &board, now), Ok(Subject::Board));
        let month = sign(&key, Subject::User(7), Some(at("2027-01-06T10:00:00Z")));
        assert_eq!(verify(&key, &month, now), Ok(Subject::User(7)));
        assert_eq!(
            verify(&key, &month, at("2027-01-06T10:00:00Z")),
            Err(LinkError::Expired)
        );
    }

    #[test]
    fn a_tampered_or_foreign_link_is_refused() {
        let key = Secret::new("0123456789abcdef0123456789abcdef");
        let other = Secret::new("fedcba9876543210fedcba9876543210");
        let now = at("2026-12-07T10:00:00Z");
        let link = sign(&key, Subject::User(7), None);
        // Someone else's id with this signature.
        let moved = link.replacen("u7.", "u8.", 1);
        assert_eq!(verify(&key, &moved, now), Err(LinkError::BadSignature));
        // A longer life claimed.
        let longer = sign(&key, Subject::User(7), Some(at("2026-12-08T00:00:00Z")))
            .replacen(".1796", ".2796", 1);
        assert_eq!(verify(&key, &longer, now), Err(LinkError::BadSignature));
        // The last hex digit changed.
        let mut flipped = link.clone();
        let last = flipped.pop().unwrap();
        flipped.push(if last == '0' { '1' } else { '0' });
        assert_eq!(verify(&key, &flipped, now), Err(LinkError::BadSignature));
        assert_eq!(verify(&other, &link, now), Err(LinkError::BadSignature));
        for junk in [
            "",
            "u7",
            "u7.0",
            "u7.0.zz",
            "u07.0.00",
            "u-1.0.00",
            "x.0.00",
            "u7.-1.00",
            "u7.0.00.00",
        ] {
            assert!(verify(&key, junk, now).is_err(), "{junk}");
        }
    }
}
