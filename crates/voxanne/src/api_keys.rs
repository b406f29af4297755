//! The clinic's API keys as a use case: list, create under a name (the key is shown once), revoke.
//!
//! The key format and hashing live in [`crate::api_key`]; this module holds the rules a clinic
//! sees (a key has a name; revoking is final and recorded in the audit log).

use crate::activity::{self, ActivityError, AuditAction};
use crate::api_key::ApiKey;
use crate::ids::ApiKeyId;
use crate::store::{ApiKeyRecord, Store, StoreError};
use crate::tenant::Caller;

/// Longest key name accepted, in characters.
pub const MAX_NAME_LEN: usize = 100;

#[derive(Debug, thiserror::Error)]
pub enum ApiKeysError {
    #[error("give the key a name, e.g. the system that will use it")]
    NameMissing,
    #[error("the name must be at most {MAX_NAME_LEN} characters")]
    NameTooLong,
    #[error("the name may not contain control characters")]
    NameInvalid,
    #[error("no such API key in this clinic")]
    NotFound,
    #[error("the API keys could not be read or changed")]
    Store(#[source] StoreError),
    #[error(transparent)]
    Activity(#[from] ActivityError),
}

impl From<StoreError> for ApiKeysError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound { .. } => Self::NotFound,
            other => Self::Store(other),
        }
    }
}

/// A new key: its record and the key itself, which exists nowhere else.
#[derive(Debug)]
pub struct CreatedKey {
    pub record: ApiKeyRecord,
    pub key: ApiKey,
}

/// How a key is named in the audit log and on pages: its name, or its id when it has none.
pub fn display_name(record: &ApiKeyRecord) -> String {
    if record.name.is_empty() {
        record.id.to_string()
    } else {
        record.name.clone()
    }
}

fn check_name(name: &str) -> Result<&str, ApiKeysError> {
    let name = name.trim();
    if name.is_empty() {
        Err(ApiKeysError::NameMissing)
    } else if name.chars().count() > MAX_NAME_LEN {
        Err(ApiKeysError::NameTooLong)
    } else if name.chars().any(char::is_control) {
        Err(ApiKeysError::NameInvalid)
    } else {
        Ok(name)
    }
}

/// The clinic's keys, revoked ones included, newest first.
pub async fn list(store: &Store, caller: &Caller) -> Result<Vec<ApiKeyRecord>, ApiKeysError> {
    let mut keys = store.list_api_keys(caller.org()).await?;
    keys.reverse();
    Ok(keys)
}

/// One of the clinic's keys.
pub async fn get(
    store: &Store,
    caller: &Caller,
    key: &ApiKeyId,
) -> Result<ApiKeyRecord, ApiKeysError> {
    Ok(store.get_api_key(caller.org(), key).await?)
}

pub async fn create(
    store: &Store,
    caller: &Caller,
    name: &str,
) -> Result<CreatedKey, ApiKeysError> {
    let name = check_name(name)?;
    let (record, key) = store.create_named_api_key(caller.org(), name).await?;
    activity::record(
        store,
        caller,
        AuditAction::ApiKeyCreated,
        &format!("{name} ({})", record.id),
    )
    .await?;
    Ok(CreatedKey { record, key })
}

/// Revokes a key: the JSON API refuses it from the next request on. Revoking a revoked key
/// changes nothing and records nothing.
pub async fn revoke(
    store: &Store,
    caller: &Caller,
    key: &ApiKeyId,
) -> Result<ApiKeyRecord, ApiKeysError> {
    let before = store.get_api_key(caller.org(), key).await?;
    let record = store.revoke_api_key(caller.org(), key).await?;
    if before.revoked_at.is_none() {
        let object = format!("{} ({})", display_name(&record), record.id);
        activity::record(store, caller, AuditAction::ApiKeyRevoked, &object).await?;
    }
    Ok(record)
}

/// Revokes a key named only by its id, as the operator at the command line (actor "CLI").
pub async fn revoke_as_operator(
    store: &Store,
    key: &ApiKeyId,
) -> Result<ApiKeyRecord, ApiKeysError> {
    let org = store.api_key_org(key).await?;
    revoke(store, &Caller::operator(org), key).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_checked() {
        assert_eq!(check_name("  Receptionist ").unwrap(), "Receptionist");
        assert!(matches!(check_name("   "), Err(ApiKeysError::NameMissing)));
        assert!(matches!(
            check_name(&"x".repeat(MAX_NAME_LEN + 1)),
            Err(ApiKeysError::NameTooLong)
        ));
        assert!(matches!(
            check_name("a\u{7}b"),
            Err(ApiKeysError::NameInvalid)
        ));
    }
}
