//! Dashboard sessions: one row per signed-in browser, keyed by the SHA-256 of its session id.
//!
//! The rules (timeouts, cookie, CSRF) live in `crate::dashboard::session`; this module only reads
//! and writes rows. Every read joins `users`, so a removed admin's session resolves to nothing.

use chrono::{DateTime, Utc};
use tracing::instrument;

use super::backend::on_pool;
use super::{Store, StoreError};
use crate::ids::{OrgId, UserId};

/// A stored session with the admin it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SessionRecord {
    pub user_id: UserId,
    pub org_id: OrgId,
    pub email: String,
    pub csrf_token: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
}

/// What `create_session` stores.
#[derive(Debug, Clone)]
pub struct NewSession<'a> {
    pub id_hash: &'a str,
    pub user_id: &'a UserId,
    pub org_id: &'a OrgId,
    pub csrf_token: &'a str,
    pub at: DateTime<Utc>,
}

impl Store {
    #[instrument(skip_all, fields(org_id = %session.org_id))]
    pub async fn create_session(&self, session: NewSession<'_>) -> Result<(), StoreError> {
        on_pool!(&self.db, pool => {
            sqlx::query(
                "INSERT INTO dashboard_sessions (id_hash, user_id, org_id, csrf_token, created_at, last_seen_at) \
                 VALUES ($1, $2, $3, $4, $5, $5)",
            )
            .bind(session.id_hash)
            .bind(session.user_id)
            .bind(session.org_id)
            .bind(session.csrf_token)
            .bind(session.at)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// The session whose id hashes to `id_hash`, with its admin, if both still exist.
    #[instrument(skip_all)]
    pub async fn find_session(&self, id_hash: &str) -> Result<Option<SessionRecord>, StoreError> {
        Ok(on_pool!(&self.db, pool => {
            sqlx::query_as(
                "SELECT s.user_id, s.org_id, u.email, s.csrf_token, s.created_at, s.last_seen_at \
                 FROM dashboard_sessions s JOIN users u ON u.id = s.user_id AND u.org_id = s.org_id \
                 WHERE s.id_hash = $1",
            )
            .bind(id_hash)
            .fetch_optional(pool)
            .await?
        }))
    }

    /// Records activity on a session (for the idle timeout).
    #[instrument(skip_all)]
    pub async fn touch_session(&self, id_hash: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        on_pool!(&self.db, pool => {
            sqlx::query("UPDATE dashboard_sessions SET last_seen_at = $2 WHERE id_hash = $1")
                .bind(id_hash)
                .bind(at)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Ends one session (sign-out, or found expired). Deleting a missing session is not an error.
    #[instrument(skip_all)]
    pub async fn delete_session(&self, id_hash: &str) -> Result<(), StoreError> {
        on_pool!(&self.db, pool => {
            sqlx::query("DELETE FROM dashboard_sessions WHERE id_hash = $1")
                .bind(id_hash)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Deletes sessions idle since before `idle_before` or created before `created_before`;
    /// returns how many.
    #[instrument(skip_all)]
    pub async fn sweep_sessions(
        &self,
        idle_before: DateTime<Utc>,
        created_before: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        Ok(on_pool!(&self.db, pool => {
            sqlx::query(
                "DELETE FROM dashboard_sessions WHERE last_seen_at < $1 OR created_at < $2",
            )
            .bind(idle_before)
            .bind(created_before)
            .execute(pool)
            .await?
            .rows_affected()
        }))
    }
}
