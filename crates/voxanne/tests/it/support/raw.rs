//! Direct SQL on a test database, for tests that play the attacker (tamper, copy, inspect): they
//! connect with the database's address, as anyone holding it could, never through the store.

use sqlx::{PgPool, SqlitePool};

use voxanne::store::Credential;

use super::database::TestDb;

/// A pool of its own on a test database, opened on first use.
pub enum RawPool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

impl RawPool {
    /// Connects nothing yet: most tests never look under the store.
    pub fn lazy(url: &str) -> Self {
        if url.starts_with("sqlite:") {
            Self::Sqlite(SqlitePool::connect_lazy(url).unwrap())
        } else {
            Self::Postgres(PgPool::connect_lazy(url).unwrap())
        }
    }
}

/// Runs `$body` with `$pool` bound to the test database's own SQLite or PostgreSQL pool.
macro_rules! on_test_pool {
    ($db:expr, $pool:ident => $body:expr) => {
        match &$db.raw {
            RawPool::Sqlite($pool) => $body,
            RawPool::Postgres($pool) => $body,
        }
    };
}

pub async fn secret_blob(db: &TestDb, credential: &str, field: &str) -> Vec<u8> {
    on_test_pool!(db, pool => {
        sqlx::query_scalar("SELECT ciphertext FROM credential_secrets WHERE credential_id = $1 AND field = $2")
            .bind(credential)
            .bind(field)
            .fetch_one(pool)
            .await
            .unwrap()
    })
}

/// Overwrites (or adds) one secret blob, as someone with write access to the database could.
pub async fn put_secret_blob(db: &TestDb, credential: &Credential, field: &str, blob: &[u8]) {
    on_test_pool!(db, pool => {
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
pub async fn wrapped_keys(db: &TestDb) -> Vec<(String, String, Vec<u8>)> {
    on_test_pool!(db, pool => {
        sqlx::query_as("SELECT org_id, master_key_id, wrapped FROM org_data_keys ORDER BY org_id")
            .fetch_all(pool)
            .await
            .unwrap()
    })
}

pub async fn put_wrapped_key(db: &TestDb, org: &str, blob: &[u8]) {
    on_test_pool!(db, pool => {
        sqlx::query("UPDATE org_data_keys SET wrapped = $2 WHERE org_id = $1")
            .bind(org)
            .bind(blob)
            .execute(pool)
            .await
            .unwrap();
    })
}

/// Every stored API key hash.
pub async fn api_key_hashes(db: &TestDb) -> Vec<String> {
    on_test_pool!(db, pool => {
        sqlx::query_scalar("SELECT key_hash FROM api_keys").fetch_all(pool).await.unwrap()
    })
}

/// Sets `is_primary` on a credential directly, bypassing the store's switching logic.
pub async fn force_primary(db: &TestDb, credential: &str) -> Result<(), sqlx::Error> {
    on_test_pool!(db, pool => {
        sqlx::query("UPDATE credentials SET is_primary = TRUE WHERE id = $1")
            .bind(credential)
            .execute(pool)
            .await
            .map(|_| ())
    })
}

/// Moves a pending OAuth state's expiry into the past.
pub async fn expire_oauth_state(db: &TestDb, state_hash: &str) {
    let past = chrono::Utc::now() - chrono::TimeDelta::minutes(1);
    on_test_pool!(db, pool => {
        sqlx::query("UPDATE oauth_states SET expires_at = $2 WHERE state_hash = $1")
            .bind(state_hash)
            .bind(past)
            .execute(pool)
            .await
            .unwrap();
    })
}

/// Every stored OAuth state hash.
pub async fn oauth_state_hashes(db: &TestDb) -> Vec<String> {
    on_test_pool!(db, pool => {
        sqlx::query_scalar("SELECT state_hash FROM oauth_states").fetch_all(pool).await.unwrap()
    })
}

/// Runs `sql` with two text parameters; the number of rows it changed.
pub async fn execute(db: &TestDb, sql: &'static str, first: &str, second: &str) -> u64 {
    on_test_pool!(db, pool => {
        sqlx::query(sql)
            .bind(first)
            .bind(second)
            .execute(pool)
            .await
            .unwrap()
            .rows_affected()
    })
}

/// How many secret rows the database holds, of every credential.
pub async fn secret_row_count(db: &TestDb) -> i64 {
    on_test_pool!(db, pool => {
        sqlx::query_scalar("SELECT COUNT(*) FROM credential_secrets").fetch_one(pool).await.unwrap()
    })
}

/// The callback token a queued message's StatusCallback URL carries: kept in its queue row only
/// (the message keeps its hash); `None` once the message left the queue.
pub async fn queued_callback_token(db: &TestDb, message: &str) -> Option<String> {
    on_test_pool!(db, pool => {
        sqlx::query_scalar("SELECT callback_token FROM outbox WHERE message_id = $1")
            .bind(message)
            .fetch_optional(pool)
            .await
            .unwrap()
    })
}
