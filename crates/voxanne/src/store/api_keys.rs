//! API keys: create (shown once), authenticate, revoke, list. Only hashes are stored.

use chrono::{DateTime, TimeDelta, Utc};
use tracing::instrument;

use super::backend::{now, on_pool};
use super::{ApiKeyPrincipal, ApiKeyRecord, Store, StoreError, org_existed};
use crate::api_key::ApiKey;
use crate::ids::{ApiKeyId, OrgId};

/// `last_used_at` is refreshed at most this often per key, so authentication is not a write on
/// every request.
const LAST_USED_RESOLUTION: TimeDelta = TimeDelta::seconds(60);

macro_rules! select_key {
    ($tail:literal) => {
        concat!(
            "SELECT id, org_id, name, last4, created_at, last_used_at, revoked_at FROM api_keys",
            $tail
        )
    };
}

impl Store {
    /// Creates an unnamed API key for `org`. The returned [`ApiKey`] is the only copy of the key.
    pub async fn create_api_key(&self, org: &OrgId) -> Result<(ApiKeyRecord, ApiKey), StoreError> {
        self.create_named_api_key(org, "").await
    }

    /// Creates an API key for `org` under `name` (checked by `crate::api_keys`). The returned
    /// [`ApiKey`] is the only copy of the key.
    #[instrument(skip_all, fields(org_id = %org))]
    pub async fn create_named_api_key(
        &self,
        org: &OrgId,
        name: &str,
    ) -> Result<(ApiKeyRecord, ApiKey), StoreError> {
        let key = ApiKey::generate();
        let record = ApiKeyRecord {
            id: ApiKeyId::generate(),
            org_id: org.clone(),
            name: name.to_owned(),
            last4: key.last4(),
            created_at: now(),
            last_used_at: None,
            revoked_at: None,
        };
        // INSERT … SELECT from organizations: an unknown org inserts nothing (→ NotFound).
        let inserted = on_pool!(&self.db, pool => {
            sqlx::query(
                "INSERT INTO api_keys (id, org_id, key_hash, last4, created_at, name) \
                 SELECT $1, id, $3, $4, $5, $6 FROM organizations WHERE id = $2",
            )
            .bind(&record.id)
            .bind(org)
            .bind(key.hash_hex())
            .bind(&record.last4)
            .bind(record.created_at)
            .bind(&record.name)
            .execute(pool)
            .await?
            .rows_affected()
        });
        org_existed(inserted)?;
        tracing::info!(org_id = %org, key_id = %record.id, "API key created");
        Ok((record, key))
    }

    /// One of `org`'s keys (revoked or not).
    #[instrument(skip_all, fields(org_id = %org))]
    pub async fn get_api_key(
        &self,
        org: &OrgId,
        key_id: &ApiKeyId,
    ) -> Result<ApiKeyRecord, StoreError> {
        let row: Option<ApiKeyRecord> = on_pool!(&self.db, pool => {
            sqlx::query_as(select_key!(" WHERE org_id = $1 AND id = $2"))
                .bind(org)
                .bind(key_id)
                .fetch_optional(pool)
                .await?
        });
        row.ok_or(StoreError::NotFound { what: "API key" })
    }

    /// Finds the organization a key speaks for. Unknown and revoked keys are both
    /// [`StoreError::InvalidApiKey`]. Parse the key with [`ApiKey::parse`] first: a malformed key
    /// never reaches the database. A key authenticated in the last
    /// [`RECENT_READS_TRUSTED`](super::RECENT_READS_TRUSTED) is not read again (see `recent`).
    #[instrument(skip_all)]
    pub async fn authenticate_api_key(&self, key: &ApiKey) -> Result<ApiKeyPrincipal, StoreError> {
        let hash = key.hash_hex();
        if let Some(principal) = self.api_keys.get(&hash) {
            return Ok(principal);
        }
        let mark = self.api_keys.mark();
        let row: Option<(ApiKeyId, OrgId, Option<DateTime<Utc>>)> = on_pool!(&self.db, pool => {
            sqlx::query_as(
                "SELECT id, org_id, last_used_at FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL",
            )
            .bind(&hash)
            .fetch_optional(pool)
            .await?
        });
        let (key_id, org_id, last_used_at) = row.ok_or(StoreError::InvalidApiKey)?;
        let now = now();
        if last_used_at.is_none_or(|at| now - at >= LAST_USED_RESOLUTION) {
            on_pool!(&self.db, pool => {
                sqlx::query("UPDATE api_keys SET last_used_at = $1 WHERE id = $2")
                    .bind(now)
                    .bind(&key_id)
                    .execute(pool)
                    .await?;
            });
        }
        let principal = ApiKeyPrincipal { org_id, key_id };
        self.api_keys.put(hash, principal.clone(), mark);
        Ok(principal)
    }

    /// Revokes one of `org`'s keys (idempotent: revoking twice keeps the first time).
    #[instrument(skip_all, fields(org_id = %org))]
    pub async fn revoke_api_key(
        &self,
        org: &OrgId,
        key_id: &ApiKeyId,
    ) -> Result<ApiKeyRecord, StoreError> {
        on_pool!(&self.db, pool => {
            sqlx::query(
                "UPDATE api_keys SET revoked_at = $3 WHERE org_id = $1 AND id = $2 AND revoked_at IS NULL",
            )
            .bind(org)
            .bind(key_id)
            .bind(now())
            .execute(pool)
            .await?;
        });
        // Refused from now on in this process; other processes read it again within
        // `RECENT_READS_TRUSTED`.
        self.api_keys
            .forget_where(|principal| principal.key_id == *key_id);
        let record = self.get_api_key(org, key_id).await?;
        tracing::info!(org_id = %org, key_id = %key_id, "API key revoked");
        Ok(record)
    }

    /// The organization a key belongs to, for an operator who names only the key
    /// (`voxanne api-key revoke KEY_ID`).
    #[instrument(skip_all, fields(key_id = %key_id))]
    pub async fn api_key_org(&self, key_id: &ApiKeyId) -> Result<OrgId, StoreError> {
        let org: Option<OrgId> = on_pool!(&self.db, pool => {
            sqlx::query_scalar("SELECT org_id FROM api_keys WHERE id = $1")
                .bind(key_id)
                .fetch_optional(pool)
                .await?
        });
        org.ok_or(StoreError::NotFound { what: "API key" })
    }

    /// Operator variant for `voxanne api-key revoke KEY_ID`: finds the key's organization first.
    #[instrument(skip_all, fields(key_id = %key_id))]
    pub async fn revoke_api_key_by_id(
        &self,
        key_id: &ApiKeyId,
    ) -> Result<ApiKeyRecord, StoreError> {
        let org = self.api_key_org(key_id).await?;
        self.revoke_api_key(&org, key_id).await
    }

    /// The organization's keys (revoked ones included), oldest first.
    #[instrument(skip_all, fields(org_id = %org))]
    pub async fn list_api_keys(&self, org: &OrgId) -> Result<Vec<ApiKeyRecord>, StoreError> {
        Ok(on_pool!(&self.db, pool => {
            sqlx::query_as(select_key!(" WHERE org_id = $1 ORDER BY created_at, id"))
                .bind(org)
                .fetch_all(pool)
                .await?
        }))
    }
}
