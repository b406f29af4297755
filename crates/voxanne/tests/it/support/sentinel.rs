//! Unique random secrets whose every encoding must stay out of files, dumps, logs and output.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use rand::Rng;
use secrecy::SecretString;

/// A random secret, long enough that any appearance is not a coincidence.
#[derive(Clone)]
pub struct Sentinel(String);

impl Sentinel {
    pub fn new() -> Self {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        let mut rng = rand::rng();
        let body: String = (0..40)
            .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
            .collect();
        Self(format!("sntl{body}"))
    }

    /// Treats an existing secret (e.g. an API key shown once) as a sentinel.
    pub fn from_text(text: &str) -> Self {
        Self(text.to_owned())
    }

    pub fn text(&self) -> &str {
        &self.0
    }

    pub fn secret(&self) -> SecretString {
        SecretString::from(self.0.clone())
    }

    /// The sentinel as it could appear when leaked: raw, base64 (at every alignment, via the
    /// encodings of its 3 shifted suffixes) and hex.
    pub fn encodings(&self) -> Vec<Vec<u8>> {
        let raw = self.0.as_bytes();
        let mut out = vec![
            raw.to_vec(),
            hex::encode(raw).into_bytes(),
            hex::encode_upper(raw).into_bytes(),
        ];
        for shift in 0..3 {
            let part = &raw[shift..];
            for engine in [&STANDARD, &STANDARD_NO_PAD] {
                // Drop the last 4 output chars, which depend on what follows in a larger buffer.
                let encoded = engine.encode(part);
                out.push(encoded.as_bytes()[..encoded.len() - 4].to_vec());
            }
            let encoded = URL_SAFE_NO_PAD.encode(part);
            out.push(encoded.as_bytes()[..encoded.len() - 4].to_vec());
        }
        out
    }

    /// Panics with `where_` if any encoding appears in `haystack`.
    pub fn assert_absent(&self, haystack: &[u8], where_: &str) {
        for needle in self.encodings() {
            assert!(
                !contains(haystack, &needle),
                "a secret leaked into {where_} (as {:?})",
                String::from_utf8_lossy(&needle[..needle.len().min(8)])
            );
        }
    }
}

pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty()
        && haystack
            .windows(needle.len())
            .any(|window| window == needle)
}
