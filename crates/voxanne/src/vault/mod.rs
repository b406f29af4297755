//! Encryption at rest for tenant secrets (envelope encryption with a keyring).
//!
//! Layers, from the outside in:
//! - **Master keys** ([`Keyring`]) come from the operator (`VOXANNE_MASTER_KEY` or a key file) and
//!   never touch the database. Several may be configured: the first (newest) encrypts, all decrypt,
//!   so a key can be rotated without downtime.
//! - **Data keys** ([`DataKey`]): one random key per organization, stored only *wrapped* (sealed
//!   under a master key, with that key's id). Deleting an organization deletes its wrapped data key,
//!   which makes every copy of its secrets, including old backups of them, undecryptable.
//! - **Secrets** are sealed under the organization's data key, one blob per field.
//!
//! Every blob is `version | key id | nonce | ciphertext+tag` ([`envelope`]), sealed with
//! XChaCha20-Poly1305 under a fresh random 192-bit nonce, and authenticated together with a context
//! (organization id, record id, field name) so a blob moved to another place fails to open.
//! These are the mistakes peers made that this design avoids: CBC without a MAC, one key with no id,
//! a key that can never change.

mod data_key;
pub mod envelope;
mod key_check;
mod master_key;

pub use data_key::{DataKey, SecretContext};
pub use key_check::KeyCheck;
pub use master_key::{KeyId, Keyring, MasterKey};

/// Everything that can go wrong while sealing or opening a blob, or loading keys.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("no master key is configured")]
    NoMasterKey,
    #[error("master key #{position} is not valid: {reason}")]
    InvalidMasterKey {
        position: usize,
        reason: &'static str,
    },
    #[error("master key #{position} is listed twice (key id {key_id})")]
    DuplicateMasterKey { position: usize, key_id: KeyId },
    #[error("the ciphertext is {len} bytes long, shorter than the {min} bytes any sealed blob has")]
    Truncated { len: usize, min: usize },
    #[error("the ciphertext has format version {0}, which this build cannot read")]
    UnsupportedVersion(u8),
    #[error("the ciphertext was sealed under key {key_id}, which is not configured")]
    UnknownKey { key_id: KeyId },
    #[error(
        "the ciphertext does not open: it was altered, or it belongs to another organization, record or field"
    )]
    Decrypt,
    #[error("the AEAD cipher refused to encrypt")]
    Encrypt,
    #[error("the system random number generator failed")]
    Random,
    #[error("an unwrapped data key has the wrong length")]
    BadDataKey,
}
