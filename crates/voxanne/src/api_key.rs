//! API keys: `vox_live_` + 32 random base62 characters + a 6-character checksum.
//!
//! The checksum (CRC-32 of everything before it) lets [`ApiKey::parse`] refuse a mistyped or
//! truncated key without a database query, and lets secret scanners recognize our keys. The key is
//! shown once; the store keeps only its SHA-256 and last 4 characters. A plain (unsalted) SHA-256 is
//! right here: the key has ~190 random bits, so there is nothing to brute-force, and the hash must be
//! a deterministic lookup index.

use std::fmt;

use rand::Rng;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

pub const PREFIX: &str = "vox_live_";
const RANDOM_LEN: usize = 32;
const CHECKSUM_LEN: usize = 6;
/// Total length of a key.
pub const KEY_LEN: usize = PREFIX.len() + RANDOM_LEN + CHECKSUM_LEN;
const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Why a presented key was refused before any lookup.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiKeyError {
    #[error("the API key must start with `{PREFIX}`")]
    Prefix,
    #[error("the API key must be {KEY_LEN} characters long")]
    Length,
    #[error("the API key may contain only letters and digits after `{PREFIX}`")]
    Characters,
    #[error("the API key's checksum does not match: it was mistyped or truncated")]
    Checksum,
}

/// A well-formed API key. `Debug` shows only its last 4 characters.
#[derive(Clone)]
pub struct ApiKey(SecretString);

fn checksum(body: &str) -> String {
    let mut value = u64::from(crc32fast::hash(body.as_bytes()));
    let mut out = [b'0'; CHECKSUM_LEN];
    for slot in out.iter_mut().rev() {
        *slot = BASE62[(value % 62) as usize];
        value /= 62;
    }
    out.iter().map(|&b| char::from(b)).collect()
}

impl ApiKey {
    /// A new random key.
    pub fn generate() -> Self {
        let mut rng = rand::rng();
        let mut body = String::with_capacity(KEY_LEN);
        body.push_str(PREFIX);
        for _ in 0..RANDOM_LEN {
            body.push(char::from(BASE62[rng.random_range(0..BASE62.len())]));
        }
        let check = checksum(&body);
        body.push_str(&check);
        Self(SecretString::from(body))
    }

    /// Checks shape and checksum; no I/O.
    pub fn parse(presented: &str) -> Result<Self, ApiKeyError> {
        let rest = presented.strip_prefix(PREFIX).ok_or(ApiKeyError::Prefix)?;
        if presented.len() != KEY_LEN {
            return Err(ApiKeyError::Length);
        }
        if !rest.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(ApiKeyError::Characters);
        }
        let (body, check) = presented.split_at(KEY_LEN - CHECKSUM_LEN);
        if checksum(body) != check {
            return Err(ApiKeyError::Checksum);
        }
        Ok(Self(SecretString::from(presented)))
    }

    /// SHA-256 of the key, lowercase hex: the only form the database holds.
    pub fn hash_hex(&self) -> String {
        // Exposed only to be hashed.
        hex::encode(Sha256::digest(self.0.expose_secret().as_bytes()))
    }

    /// The last 4 characters, safe to show to identify a key.
    pub fn last4(&self) -> String {
        let key = self.0.expose_secret(); // only the public tail is taken
        key[key.len() - 4..].to_owned()
    }

    /// The key itself, to show once to its owner.
    pub fn secret(&self) -> &SecretString {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiKey({PREFIX}…{})", self.last4())
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn a_generated_key_parses_and_hashes_stably() {
        let key = ApiKey::generate();
        let text = key.secret().expose_secret().to_owned();
        assert_eq!(text.len(), KEY_LEN);
        let parsed = ApiKey::parse(&text).unwrap();
        assert_eq!(parsed.hash_hex(), key.hash_hex());
        assert_eq!(parsed.last4(), text[text.len() - 4..]);
        assert!(!format!("{key:?}").contains(&text[PREFIX.len()..PREFIX.len() + 8]));
    }

    #[test]
    fn a_key_with_another_prefix_is_refused() {
        assert_eq!(
            ApiKey::parse("sk_live_abc").unwrap_err(),
            ApiKeyError::Prefix
        );
    }

    proptest! {
        #[test]
        fn changing_any_character_is_caught(position in 9usize..KEY_LEN, replacement in "[0-9A-Za-z]") {
            let key = ApiKey::generate();
            let mut text = key.secret().expose_secret().to_owned();
            let original = text.as_bytes()[position] as char;
            let new = replacement.chars().next().unwrap();
            prop_assume!(new != original);
            text.replace_range(position..=position, &replacement);
            prop_assert!(ApiKey::parse(&text).is_err());
        }

        #[test]
        fn parse_never_panics(input in "\\PC{0,60}") {
            let _ = ApiKey::parse(&input);
        }

        #[test]
        fn truncated_keys_are_refused(cut in 0usize..KEY_LEN) {
            let key = ApiKey::generate();
            let text = &key.secret().expose_secret()[..cut];
            prop_assert!(ApiKey::parse(text).is_err());
        }
    }
}
