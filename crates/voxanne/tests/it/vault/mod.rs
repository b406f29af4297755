//! Crypto acceptance: tampering, moved blobs, nonce freshness, wrong keys, rotation, deletion.

mod deletion;
mod master_keys;
mod tampering;

use voxanne::store::StoreError;

/// Whether opening secrets failed as `undecryptable` (and not some other way).
fn undecryptable<T: std::fmt::Debug>(result: Result<T, StoreError>) -> bool {
    matches!(result, Err(StoreError::Undecryptable { .. }))
}
