//! Signing per the Standard Webhooks specification, so any of its libraries verifies us.
//!
//! The secret is `whsec_` + base64 of 32 random bytes; the HMAC key is those bytes. The
//! signature is `v1,` + base64(HMAC-SHA256(key, "{webhook-id}.{webhook-timestamp}.{body}")), and
//! during a rotation the header carries one such signature per secret, space-separated.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{KeyInit, Mac};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;
use zeroize::Zeroizing;

/// The prefix every signing secret carries.
pub const SECRET_PREFIX: &str = "whsec_";

/// A secret that is not `whsec_` + base64.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a webhook signing secret is `whsec_` followed by base64")]
pub struct MalformedSecret;

/// A new random signing secret (`whsec_…`).
pub fn generate_secret() -> SecretString {
    let mut bytes = Zeroizing::new([0u8; 32]);
    rand::rng().fill_bytes(bytes.as_mut());
    SecretString::from(format!(
        "{SECRET_PREFIX}{}",
        STANDARD.encode(bytes.as_ref())
    ))
}

/// The HMAC key of a `whsec_…` secret.
fn key_of(secret: &SecretString) -> Result<Zeroizing<Vec<u8>>, MalformedSecret> {
    // Read to derive the key only; neither the secret nor the key leaves this function's caller.
    let text = secret.expose_secret();
    let encoded = text.strip_prefix(SECRET_PREFIX).ok_or(MalformedSecret)?;
    STANDARD
        .decode(encoded)
        .map(Zeroizing::new)
        .map_err(|_| MalformedSecret)
}

/// One `v1,<base64>` signature of `body` sent as `id` at `timestamp` (Unix seconds).
pub fn sign(
    secret: &SecretString,
    id: &str,
    timestamp: i64,
    body: &[u8],
) -> Result<String, MalformedSecret> {
    let key = key_of(secret)?;
    let mut mac = hmac::Hmac::<Sha256>::new_from_slice(&key).map_err(|_| MalformedSecret)?;
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    Ok(format!(
        "v1,{}",
        STANDARD.encode(mac.finalize().into_bytes())
    ))
}

/// The `webhook-signature` header: one signature per secret (newest first), space-separated.
pub fn signature_header(
    secrets: &[SecretString],
    id: &str,
    timestamp: i64,
    body: &[u8],
) -> Result<String, MalformedSecret> {
    let signatures = secrets
        .iter()
        .map(|secret| sign(secret, id, timestamp, body))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(signatures.join(" "))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn the_specifications_example_signature_is_reproduced() {
        // The example of the Standard Webhooks specification (and of its libraries' tests).
        let secret = SecretString::from("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
        let body = br#"{"test": 2432232314}"#;
        let signature = sign(&secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body).unwrap();
        assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn a_generated_secret_is_whsec_and_32_bytes() {
        let secret = generate_secret();
        let key = key_of(&secret).unwrap();
        assert_eq!(key.len(), 32);
        assert_ne!(generate_secret().expose_secret(), secret.expose_secret());
    }

    #[test]
    fn during_a_rotation_both_signatures_are_sent_newest_first() {
        let (new, old) = (generate_secret(), generate_secret());
        let header = signature_header(&[new.clone(), old.clone()], "evt_1", 10, b"{}").unwrap();
        let parts: Vec<&str> = header.split(' ').collect();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0], sign(&new, "evt_1", 10, b"{}").unwrap());
        assert_eq!(parts[1], sign(&old, "evt_1", 10, b"{}").unwrap());
    }

    proptest! {
        #[test]
        fn any_change_of_id_timestamp_or_body_changes_the_signature(
            body in proptest::collection::vec(any::<u8>(), 0..64),
            flip in 0usize..64,
            timestamp in 0i64..4_000_000_000,
        ) {
            let secret = generate_secret();
            let original = sign(&secret, "evt_a", timestamp, &body).unwrap();
            prop_assert_ne!(&original, &sign(&secret, "evt_b", timestamp, &body).unwrap());
            prop_assert_ne!(&original, &sign(&secret, "evt_a", timestamp + 1, &body).unwrap());
            if !body.is_empty() {
                let mut tampered = body.clone();
                let at = flip % tampered.len();
                tampered[at] ^= 1;
                prop_assert_ne!(&original, &sign(&secret, "evt_a", timestamp, &tampered).unwrap());
            }
        }

        #[test]
        fn a_secret_without_the_prefix_or_not_base64_is_refused(text in "[^w].{0,20}") {
            prop_assert!(sign(&SecretString::from(text), "evt", 1, b"").is_err());
        }
    }
}
