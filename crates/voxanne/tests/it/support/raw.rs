//! Direct SQL on a store's database, for tests that play the attacker (tamper, copy, inspect).

use voxanne::store::Store;

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
pub async fn put_secret_blob(store: &Store, org: &str, credential: &str, field: &str, blob: &[u8]) {
    on_test_pool!(store, pool => {
        sqlx::query(
            "INSERT INTO credential_secrets (credential_id, org_id, field, ciphertext, updated_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (credential_id, field) DO UPDATE SET ciphertext = excluded.ciphertext",
        )
        .bind(credential)
        .bind(org)
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
