//! Direct SQL on a store's database, for tests that play the attacker (tamper, copy, inspect).

use voxanne::store::{Credential, Store};

/// Runs `$body` with `$pool` bound to the store's SQLite or PostgreSQL pool.
macro_rules! on_test_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match ($store.sqlite_pool(), $store.postgres_pool()) {
            (Some($pool), _) => $body,
            (_, Some($pool)) => $body,
            _ => unreachable!("a store has one pool"),
        }
    };
}

pub async fn secret_blob(store: &Store, credential: &str, field: &str) -> Vec<u8> {
    on_test_pool!(store, pool => {
        sqlx::query_scalar("SELECT ciphertext FROM credential_secrets WHERE credential_id = $1 AND field = $2")
            .bind(credential)
            .bind(field)
            .fetch_one(pool)
            .await
            .unwrap()
    })
}

/// Overwrites (or adds) one secret blob, as someone with write access to the database could.
pub async fn put_secret_blob(store: &Store, credential: &Credential, field: &str, blob: &[u8]) {
    on_test_pool!(store, pool => {
        sqlx::query(
            "INSERT INTO credential_secrets (credential_id, org_id, field, ciphertext, updated_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (credential_id, field) DO UPDATE SET ciphertext = excluded.ciphertext",
        )
        .bind(credential.id.as_str())
        .bind(credential.org_id.as_str())
        .bind(field)
        .bind(blob)
        .bind(chrono::Utc::now())
        .execute(pool)
        .await
        .unwrap();
    })
}

/// Every wrapped data key: (org id, master key id, blob).
pub async fn wrapped_keys(store: &Store) -> Vec<(String, String, Vec<u8>)> {
    on_test_pool!(store, pool => {
        sqlx::query_as("SELECT org_id, master_key_id, wrapped FROM org_data_keys ORDER BY org_id")
            .fetch_all(pool)
            .await
            .unwrap()
    })
}

pub async fn put_wrapped_key(store: &Store, org: &str, blob: &[u8]) {
    on_test_pool!(store, pool => {
        sqlx::query("UPDATE org_data_keys SET wrapped = $2 WHERE org_id = $1")
            .bind(org)
            .bind(blob)
            .execute(pool)
            .await
            .unwrap();
    })
}

/// Every stored API key hash.
pub async fn api_key_hashes(store: &Store) -> Vec<String> {
    on_test_pool!(store, pool => {
        sqlx::query_scalar("SELECT key_hash FROM api_keys").fetch_all(pool).await.unwrap()
    })
}

/// Sets `is_primary` on a credential directly, bypassing the store's switching logic.
pub async fn force_primary(store: &Store, credential: &str) -> Result<(), sqlx::Error> {
    on_test_pool!(store, pool => {
        sqlx::query("UPDATE credentials SET is_primary = TRUE WHERE id = $1")
            .bind(credential)
            .execute(pool)
            .await
            .map(|_| ())
    })
}

/// Moves a pending OAuth state's expiry into the past.
pub async fn expire_oauth_state(store: &Store, state_hash: &str) {
    let past = chrono::Utc::now() - chrono::TimeDelta::minutes(1);
    on_test_pool!(store, pool => {
        sqlx::query("UPDATE oauth_states SET expires_at = $2 WHERE state_hash = $1")
            .bind(state_hash)
            .bind(past)
            .execute(pool)
            .await
            .unwrap();
    })
}

/// Every stored OAuth state hash.
pub async fn oauth_state_hashes(store: &Store) -> Vec<String> {
    on_test_pool!(store, pool => {
        sqlx::query_scalar("SELECT state_hash FROM oauth_states").fetch_all(pool).await.unwrap()
    })
}

/// Runs `sql` with two text parameters; the number of rows it changed.
pub async fn execute(store: &Store, sql: &'static str, first: &str, second: &str) -> u64 {
    on_test_pool!(store, pool => {
        sqlx::query(sql)
            .bind(first)
            .bind(second)
            .execute(pool)
            .await
            .unwrap()
            .rows_affected()
    })
}
