//! The key check: a known value sealed under a master key and stored in the database, so
//! start-up can tell "the configured keys cannot open this store" before serving anything.

use super::master_key::{KeyId, Keyring};
use super::{Error, envelope};

const CONTEXT: &[u8] = b"voxanne/key-check/v1";
const PLAINTEXT: &[u8] = b"voxanne key check";

/// Seals and verifies the key check blob.
pub struct KeyCheck;

impl KeyCheck {
    /// A fresh key check under the keyring's newest key: `(key id, blob)`.
    pub fn seal(keyring: &Keyring) -> Result<(KeyId, Vec<u8>), Error> {
        let master = keyring.newest();
        Ok((
            master.id(),
            envelope::seal(master.bytes(), master.id(), CONTEXT, PLAINTEXT)?,
        ))
    }

    /// Succeeds when one of the configured keys opens `blob` and finds the expected value.
    pub fn verify(keyring: &Keyring, blob: &[u8]) -> Result<KeyId, Error> {
        let header = envelope::header(blob)?;
        let master = keyring.get(header.key_id).ok_or(Error::UnknownKey {
            key_id: header.key_id,
        })?;
        let plain = envelope::open(master.bytes(), master.id(), CONTEXT, blob)?;
        if plain.as_slice() == PLAINTEXT {
            Ok(master.id())
        } else {
            Err(Error::Decrypt)
        }
    }
}
