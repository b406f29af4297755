//! Dashboard passwords: argon2id with the crate defaults (m = 19 MiB, t = 2, p = 1, v19).
//!
//! Hashing costs tens of milliseconds of CPU by design, so callers run it off the async threads.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use secrecy::{ExposeSecret, SecretString};

/// Shortest password accepted for a dashboard user.
pub const MIN_LEN: usize = 12;

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("the password must be at least {MIN_LEN} characters long")]
    TooShort,
    #[error("hashing the password failed")]
    Hash,
}

/// Hashes a password into a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`).
pub fn hash(password: &SecretString) -> Result<String, PasswordError> {
    // Exposed only to the hash function.
    let plain = password.expose_secret();
    if plain.chars().count() < MIN_LEN {
        return Err(PasswordError::TooShort);
    }
    Argon2::default()
        .hash_password(plain.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|_| PasswordError::Hash)
}

/// Whether `password` matches the stored PHC string (false for a malformed hash too).
pub fn verify(password: &SecretString, stored: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    // Exposed only to the verifier.
    Argon2::default()
        .verify_password(password.expose_secret().as_bytes(), &parsed)
        .is_ok()
}

/// A valid hash of a random password (computed once), verified against when a user does not
/// exist so that a login for an unknown email costs as much time as one for a known email.
pub fn decoy_hash() -> Result<&'static str, PasswordError> {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    if let Some(hash) = DECOY.get() {
        return Ok(hash);
    }
    let fresh = hash(&SecretString::from(
        crate::ids::UserId::generate().to_string(),
    ))?;
    Ok(DECOY.get_or_init(|| fresh))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only_and_uses_argon2id_defaults() {
        let hashed = hash(&SecretString::from("correct horse battery")).unwrap();
        assert!(
            hashed.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hashed}"
        );
        assert!(verify(
            &SecretString::from("correct horse battery"),
            &hashed
        ));
        assert!(!verify(
            &SecretString::from("correct horse batterY"),
            &hashed
        ));
        assert!(!verify(&SecretString::from("x"), "not a hash"));
    }

    #[test]
    fn short_passwords_are_refused() {
        assert!(matches!(
            hash(&SecretString::from("short")),
            Err(PasswordError::TooShort)
        ));
    }
}
