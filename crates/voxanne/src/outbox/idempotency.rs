//! `Idempotency-Key`: the same key and request within 24 hours answer the first result.
//!
//! Twilio has no idempotency for Messages, so a client that retries a timed-out
//! `POST /api/messages` would text a clinic twice without this. The key is scoped to the
//! organization; the request is reduced to a fingerprint so a reused key with another body is
//! recognised (and refused) without storing the body twice.

use std::time::Duration;

use serde::Serialize;
use sha2::{Digest, Sha256};

/// How long a key remembers its first answer.
pub const KEY_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);

/// Longest key accepted (Stripe's limit; long enough for a UUID or a call id plus a suffix).
pub const MAX_KEY_LEN: usize = 255;

/// A client-chosen key, checked for shape.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

/// Why an `Idempotency-Key` header is unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("the Idempotency-Key header is empty; send a unique value per request, e.g. a UUID")]
    Empty,
    #[error("the Idempotency-Key header is {0} characters long; use at most 255")]
    TooLong(usize),
    #[error(
        "the Idempotency-Key header may hold only visible ASCII characters (letters, digits, punctuation)"
    )]
    Charset,
}

impl IdempotencyKey {
    /// Accepts 1 to 255 visible ASCII characters.
    pub fn parse(raw: &str) -> Result<Self, KeyError> {
        if raw.is_empty() {
            return Err(KeyError::Empty);
        }
        if raw.len() > MAX_KEY_LEN {
            return Err(KeyError::TooLong(raw.len()));
        }
        if !raw.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(KeyError::Charset);
        }
        Ok(Self(raw.to_owned()))
    }

    /// The key as sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The SHA-256 (hex) of the route and the request as parsed, so formatting differences
/// (spaces, `+1 555…` vs `+1555…` once normalised) do not count as another body.
///
/// `request` must serialise deterministically: pass the typed, normalised request, never a
/// free-form map.
pub fn fingerprint(route: &str, request: &impl Serialize) -> Result<String, serde_json::Error> {
    let body = serde_json::to_vec(request)?;
    let mut hasher = Sha256::new();
    hasher.update(route.as_bytes());
    hasher.update([0u8]);
    hasher.update(&body);
    Ok(hex::encode(hasher.finalize()))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[derive(Serialize)]
    struct Req<'a> {
        to: &'a str,
        body: &'a str,
    }

    #[test]
    fn the_same_request_has_the_same_fingerprint() {
        let a = fingerprint(
            "/api/messages",
            &Req {
                to: "+15551230000",
                body: "hi",
            },
        )
        .unwrap();
        let b = fingerprint(
            "/api/messages",
            &Req {
                to: "+15551230000",
                body: "hi",
            },
        )
        .unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn another_body_or_route_has_another_fingerprint() {
        let base = fingerprint(
            "/api/messages",
            &Req {
                to: "+15551230000",
                body: "hi",
            },
        )
        .unwrap();
        assert_ne!(
            base,
            fingerprint(
                "/api/messages",
                &Req {
                    to: "+15551230000",
                    body: "hi!"
                }
            )
            .unwrap()
        );
        assert_ne!(
            base,
            fingerprint(
                "/api/messages/hot-lead",
                &Req {
                    to: "+15551230000",
                    body: "hi"
                }
            )
            .unwrap()
        );
    }

    #[test]
    fn keys_of_the_wrong_shape_are_refused_with_the_fix() {
        assert_eq!(IdempotencyKey::parse(""), Err(KeyError::Empty));
        assert_eq!(
            IdempotencyKey::parse(&"k".repeat(256)),
            Err(KeyError::TooLong(256))
        );
        assert_eq!(IdempotencyKey::parse("a b"), Err(KeyError::Charset));
        assert_eq!(
            IdempotencyKey::parse("call-42/alert").unwrap().as_str(),
            "call-42/alert"
        );
    }

    proptest! {
        #[test]
        fn any_visible_ascii_key_up_to_255_chars_is_accepted(key in "[!-~]{1,255}") {
            let parsed = IdempotencyKey::parse(&key).unwrap();
            prop_assert_eq!(parsed.as_str(), key.as_str());
        }
    }
}
