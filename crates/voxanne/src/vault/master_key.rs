//! Master keys and the keyring that holds them.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::Error;

/// Length of every key (master and data keys): 256 bits.
pub const KEY_LEN: usize = 32;

/// A short public identifier for a key: the first 4 bytes of SHA-256 over a domain tag and the key.
///
/// It is stored beside everything a key seals, so "which key opens this?" and "how many rows still
/// use the old key?" can be answered without trying every key. Four bytes are an identifier, not a
/// security boundary: the AEAD tag decides whether a key really opens a blob.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId([u8; 4]);

impl KeyId {
    pub(crate) fn derive(domain: &[u8], key: &[u8; KEY_LEN]) -> Self {
        let digest = Sha256::new()
            .chain_update(domain)
            .chain_update(key)
            .finalize();
        Self([digest[0], digest[1], digest[2], digest[3]])
    }

    pub fn from_bytes(bytes: [u8; 4]) -> Self {
        Self(bytes)
    }

    pub fn to_bytes(self) -> [u8; 4] {
        self.0
    }

    /// Parses the 8-hex-digit form stored in the database and printed by `voxanne keys status`.
    pub fn parse_hex(text: &str) -> Option<Self> {
        let mut bytes = [0u8; 4];
        hex::decode_to_slice(text, &mut bytes).ok()?;
        Some(Self(bytes))
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}

const MASTER_KEY_ID_DOMAIN: &[u8] = b"voxanne/master-key-id/v1";

/// One operator-supplied 256-bit key. `Debug` shows only its id.
#[derive(Clone)]
pub struct MasterKey {
    id: KeyId,
    bytes: Zeroizing<[u8; KEY_LEN]>,
}

impl MasterKey {
    /// A new random key (what `voxanne keys generate` prints).
    pub fn generate() -> Self {
        let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
        rand::rng().fill_bytes(bytes.as_mut());
        Self::from_bytes(bytes)
    }

    pub fn from_bytes(bytes: Zeroizing<[u8; KEY_LEN]>) -> Self {
        Self {
            id: KeyId::derive(MASTER_KEY_ID_DOMAIN, &bytes),
            bytes,
        }
    }

    /// Decodes standard base64 of exactly 32 bytes; `position` (1-based) only names the key in errors.
    pub fn from_base64(text: &str, position: usize) -> Result<Self, Error> {
        let decoded =
            Zeroizing::new(
                STANDARD
                    .decode(text.trim())
                    .map_err(|_| Error::InvalidMasterKey {
                        position,
                        reason: "it is not base64",
                    })?,
            );
        let bytes: [u8; KEY_LEN] =
            decoded
                .as_slice()
                .try_into()
                .map_err(|_| Error::InvalidMasterKey {
                    position,
                    reason: "it does not decode to exactly 32 bytes",
                })?;
        Ok(Self::from_bytes(Zeroizing::new(bytes)))
    }

    /// Parses base64 keys separated by commas and/or newlines, newest first; blank entries and
    /// `#` comment lines are skipped. An empty list is not an error here.
    pub fn parse_list(text: &SecretString) -> Result<Vec<Self>, Error> {
        text.expose_secret() // parsed into MasterKey values, never logged
            .split([',', '\n'])
            .map(str::trim)
            .filter(|entry| !entry.is_empty() && !entry.starts_with('#'))
            .enumerate()
            .map(|(index, entry)| Self::from_base64(entry, index + 1))
            .collect()
    }

    /// The key as base64, for printing once by `voxanne keys generate`.
    pub fn to_base64(&self) -> SecretString {
        SecretString::from(STANDARD.encode(self.bytes.as_ref()))
    }

    pub fn id(&self) -> KeyId {
        self.id
    }

    pub(crate) fn bytes(&self) -> &[u8; KEY_LEN] {
        &self.bytes
    }
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MasterKey")
            .field("id", &self.id)
            .field("bytes", &"[REDACTED]")
            .finish()
    }
}

/// The configured master keys: the first is the newest and seals; every one of them opens.
#[derive(Clone, Debug)]
pub struct Keyring {
    keys: Vec<MasterKey>,
}

impl Keyring {
    /// Builds a keyring, newest first. Refuses an empty list and duplicates (a duplicate is almost
    /// always a copy-paste mistake that would hide a missing old key).
    pub fn new(keys: Vec<MasterKey>) -> Result<Self, Error> {
        if keys.is_empty() {
            return Err(Error::NoMasterKey);
        }
        for (index, key) in keys.iter().enumerate() {
            if keys[..index].iter().any(|earlier| earlier.id == key.id) {
                return Err(Error::DuplicateMasterKey {
                    position: index + 1,
                    key_id: key.id,
                });
            }
        }
        Ok(Self { keys })
    }

    /// Parses a key list (see [`MasterKey::parse_list`]) into a keyring.
    pub fn parse(text: &SecretString) -> Result<Self, Error> {
        Self::new(MasterKey::parse_list(text)?)
    }

    /// The key new blobs are sealed under.
    pub fn newest(&self) -> &MasterKey {
        &self.keys[0]
    }

    pub fn get(&self, id: KeyId) -> Option<&MasterKey> {
        self.keys.iter().find(|key| key.id == id)
    }

    pub fn ids(&self) -> impl Iterator<Item = KeyId> + '_ {
        self.keys.iter().map(|key| key.id)
    }
}
