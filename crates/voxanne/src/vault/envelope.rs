//! The sealed-blob format shared by wrapped data keys, secrets and the key check.
//!
//! ```text
//! byte 0      format version (1)
//! bytes 1..5  id of the key that sealed it
//! bytes 5..29 XChaCha20 nonce (192 bits, random per blob)
//! bytes 29..  ciphertext followed by the 16-byte Poly1305 tag
//! ```
//! The version and key id are authenticated too (they lead the associated data), so neither can be
//! swapped without the tag failing. Lengths are checked before any slicing.

use chacha20poly1305::aead::{Aead, Generate, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use zeroize::Zeroizing;

use super::Error;
use super::master_key::{KEY_LEN, KeyId};

pub const VERSION: u8 = 1;
pub const NONCE_LEN: usize = 24;
pub const TAG_LEN: usize = 16;
const HEADER_LEN: usize = 1 + 4 + NONCE_LEN;
/// The shortest possible blob: a header and the tag of an empty plaintext.
pub const MIN_LEN: usize = HEADER_LEN + TAG_LEN;

/// The header fields of a blob, read without decrypting (e.g. to pick the key).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub version: u8,
    pub key_id: KeyId,
}

/// Reads and checks the header; fails on short input or an unknown version.
pub fn header(blob: &[u8]) -> Result<Header, Error> {
    if blob.len() < MIN_LEN {
        return Err(Error::Truncated {
            len: blob.len(),
            min: MIN_LEN,
        });
    }
    let version = blob[0];
    if version != VERSION {
        return Err(Error::UnsupportedVersion(version));
    }
    let key_id = KeyId::from_bytes([blob[1], blob[2], blob[3], blob[4]]);
    Ok(Header { version, key_id })
}

fn associated_data(version: u8, key_id: KeyId, context: &[u8]) -> Vec<u8> {
    let mut aad = Vec::with_capacity(5 + context.len());
    aad.push(version);
    aad.extend_from_slice(&key_id.to_bytes());
    aad.extend_from_slice(context);
    aad
}

fn cipher(key: &[u8; KEY_LEN]) -> XChaCha20Poly1305 {
    XChaCha20Poly1305::new(&(*key).into())
}

/// Seals `plaintext` under `key` (whose id is `key_id`), bound to `context`.
pub fn seal(
    key: &[u8; KEY_LEN],
    key_id: KeyId,
    context: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>, Error> {
    let nonce = XNonce::try_generate().map_err(|_| Error::Random)?;
    let aad = associated_data(VERSION, key_id, context);
    let sealed = cipher(key)
        .encrypt(
            &nonce,
            Payload {
                msg: plaintext,
                aad: &aad,
            },
        )
        .map_err(|_| Error::Encrypt)?;
    let mut blob = Vec::with_capacity(HEADER_LEN + sealed.len());
    blob.push(VERSION);
    blob.extend_from_slice(&key_id.to_bytes());
    blob.extend_from_slice(&nonce);
    blob.extend_from_slice(&sealed);
    Ok(blob)
}

/// Opens a blob sealed by [`seal`] with the same key and context.
///
/// The caller picks `key` from the blob's [`header`]; a mismatch is still caught here because the
/// key id is part of the authenticated data.
pub fn open(
    key: &[u8; KEY_LEN],
    key_id: KeyId,
    context: &[u8],
    blob: &[u8],
) -> Result<Zeroizing<Vec<u8>>, Error> {
    let head = header(blob)?;
    if head.key_id != key_id {
        return Err(Error::UnknownKey {
            key_id: head.key_id,
        });
    }
    let nonce_bytes = &blob[5..HEADER_LEN];
    let nonce = XNonce::try_from(nonce_bytes).map_err(|_| Error::Decrypt)?;
    let aad = associated_data(head.version, head.key_id, context);
    cipher(key)
        .decrypt(
            &nonce,
            Payload {
                msg: &blob[HEADER_LEN..],
                aad: &aad,
            },
        )
        .map(Zeroizing::new)
        .map_err(|_| Error::Decrypt)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const KEY: [u8; KEY_LEN] = [7u8; KEY_LEN];

    fn id() -> KeyId {
        KeyId::from_bytes([1, 2, 3, 4])
    }

    #[test]
    fn a_sealed_blob_opens_with_its_key_and_context() {
        let blob = seal(&KEY, id(), b"ctx", b"hello").unwrap();
        assert_eq!(blob.len(), MIN_LEN + 5);
        assert_eq!(
            open(&KEY, id(), b"ctx", &blob).unwrap().as_slice(),
            b"hello"
        );
    }

    #[test]
    fn another_context_does_not_open() {
        let blob = seal(&KEY, id(), b"ctx", b"hello").unwrap();
        assert!(matches!(
            open(&KEY, id(), b"ctx2", &blob),
            Err(Error::Decrypt)
        ));
    }

    proptest! {
        #[test]
        fn any_truncation_or_garbage_is_an_error_not_a_panic(bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
            prop_assert!(open(&KEY, id(), b"ctx", &bytes).is_err());
        }

        #[test]
        fn flipping_any_bit_fails(position in 0usize..(MIN_LEN + 5), bit in 0u8..8) {
            let mut blob = seal(&KEY, id(), b"ctx", b"hello").unwrap();
            blob[position] ^= 1 << bit;
            prop_assert!(open(&KEY, id(), b"ctx", &blob).is_err());
        }

        #[test]
        fn round_trips_any_plaintext(plain in proptest::collection::vec(any::<u8>(), 0..200)) {
            let blob = seal(&KEY, id(), b"c", &plain).unwrap();
            let opened = open(&KEY, id(), b"c", &blob).unwrap();
            prop_assert_eq!(opened.as_slice(), plain.as_slice());
        }
    }
}
