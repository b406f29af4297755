//! Per-organization data keys: generated once, stored wrapped under a master key, used to seal
//! that organization's secrets.

use std::fmt;

use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

use super::master_key::{KEY_LEN, KeyId, Keyring};
use super::{Error, envelope};
use crate::ids::OrgId;

const DATA_KEY_ID_DOMAIN: &[u8] = b"voxanne/data-key-id/v1";
const WRAP_DOMAIN: &[u8] = b"voxanne/wrapped-data-key/v1";
const SECRET_DOMAIN: &[u8] = b"voxanne/secret/v1";

/// Where a secret lives: the associated data binds its blob to exactly this place.
#[derive(Debug, Clone, Copy)]
pub struct SecretContext<'a> {
    pub org: &'a OrgId,
    /// The record holding the secret, e.g. a credential id.
    pub record: &'a str,
    /// The field, e.g. `auth_token`.
    pub field: &'a str,
}

impl SecretContext<'_> {
    /// Domain tag, then each part length-prefixed so no two contexts share an encoding.
    fn encode(&self) -> Vec<u8> {
        let mut out = SECRET_DOMAIN.to_vec();
        for part in [self.org.as_str(), self.record, self.field] {
            out.extend_from_slice(&(part.len() as u32).to_be_bytes());
            out.extend_from_slice(part.as_bytes());
        }
        out
    }
}

fn wrap_context(org: &OrgId) -> Vec<u8> {
    let mut out = WRAP_DOMAIN.to_vec();
    out.extend_from_slice(org.as_str().as_bytes());
    out
}

/// One organization's data key, in memory only while in use.
pub struct DataKey {
    id: KeyId,
    bytes: Zeroizing<[u8; KEY_LEN]>,
}

impl DataKey {
    pub fn generate() -> Self {
        let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
        rand::rng().fill_bytes(bytes.as_mut());
        Self {
            id: KeyId::derive(DATA_KEY_ID_DOMAIN, &bytes),
            bytes,
        }
    }

    pub fn id(&self) -> KeyId {
        self.id
    }

    /// Seals this key under the keyring's newest master key, bound to `org`.
    /// Returns the id of the master key used and the blob to store.
    pub fn wrap(&self, keyring: &Keyring, org: &OrgId) -> Result<(KeyId, Vec<u8>), Error> {
        let master = keyring.newest();
        let blob = envelope::seal(
            master.bytes(),
            master.id(),
            &wrap_context(org),
            self.bytes.as_ref(),
        )?;
        Ok((master.id(), blob))
    }

    /// Opens a wrapped data key with whichever configured master key sealed it.
    pub fn unwrap(keyring: &Keyring, org: &OrgId, blob: &[u8]) -> Result<Self, Error> {
        let header = envelope::header(blob)?;
        let master = keyring.get(header.key_id).ok_or(Error::UnknownKey {
            key_id: header.key_id,
        })?;
        let plain = envelope::open(master.bytes(), master.id(), &wrap_context(org), blob)?;
        let bytes: [u8; KEY_LEN] = plain.as_slice().try_into().map_err(|_| Error::BadDataKey)?;
        let bytes = Zeroizing::new(bytes);
        Ok(Self {
            id: KeyId::derive(DATA_KEY_ID_DOMAIN, &bytes),
            bytes,
        })
    }

    /// Seals one secret field.
    pub fn seal(
        &self,
        context: SecretContext<'_>,
        secret: &SecretString,
    ) -> Result<Vec<u8>, Error> {
        // Exposed only to be encrypted.
        envelope::seal(
            &self.bytes,
            self.id,
            &context.encode(),
            secret.expose_secret().as_bytes(),
        )
    }

    /// Opens one secret field sealed by [`DataKey::seal`] in the same context.
    pub fn open(&self, context: SecretContext<'_>, blob: &[u8]) -> Result<SecretString, Error> {
        let plain = envelope::open(&self.bytes, self.id, &context.encode(), blob)?;
        let text = std::str::from_utf8(&plain).map_err(|_| Error::Decrypt)?;
        Ok(SecretString::from(text))
    }
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DataKey")
            .field("id", &self.id)
            .field("bytes", &"[REDACTED]")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::MasterKey;

    fn ring() -> Keyring {
        Keyring::new(vec![MasterKey::generate()]).unwrap()
    }

    #[test]
    fn a_wrapped_key_opens_only_for_its_organization() {
        let keyring = ring();
        let (org, other) = (OrgId::generate(), OrgId::generate());
        let key = DataKey::generate();
        let (master_id, blob) = key.wrap(&keyring, &org).unwrap();
        assert_eq!(master_id, keyring.newest().id());
        assert_eq!(
            DataKey::unwrap(&keyring, &org, &blob).unwrap().id(),
            key.id()
        );
        assert!(matches!(
            DataKey::unwrap(&keyring, &other, &blob),
            Err(Error::Decrypt)
        ));
    }

    #[test]
    fn a_wrapped_key_needs_the_master_key_that_sealed_it() {
        let org = OrgId::generate();
        let (_, blob) = DataKey::generate().wrap(&ring(), &org).unwrap();
        assert!(matches!(
            DataKey::unwrap(&ring(), &org, &blob),
            Err(Error::UnknownKey { .. })
        ));
    }

    #[test]
    fn a_secret_is_bound_to_its_record_and_field() {
        let org = OrgId::generate();
        let key = DataKey::generate();
        let here = SecretContext {
            org: &org,
            record: "cred_a",
            field: "auth_token",
        };
        let blob = key.seal(here, &SecretString::from("s3cret")).unwrap();
        assert_eq!(key.open(here, &blob).unwrap().expose_secret(), "s3cret");
        let moved = SecretContext {
            field: "api_key_secret",
            ..here
        };
        assert!(key.open(moved, &blob).is_err());
        let moved = SecretContext {
            record: "cred_b",
            ..here
        };
        assert!(key.open(moved, &blob).is_err());
        // Length prefixes keep ("ab","c") and ("a","bc") apart.
        let split = SecretContext {
            org: &org,
            record: "cred_",
            field: "aauth_token",
        };
        assert!(key.open(split, &blob).is_err());
    }
}
