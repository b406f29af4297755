//! The audit log's table: append an entry, list an organization's entries newest first.
//!
//! The rules (who the actor is, what gets recorded) live in `crate::activity`.

use chrono::{DateTime, Utc};
use tracing::instrument;

use super::backend::on_pool;
use super::text_enum::text_enum;
use super::{Store, StoreError, org_existed};
use crate::ids::OrgId;

text_enum!(
    /// Who made a change: a dashboard admin, an API key, or an operator at the command line.
    ActorKind, "actor kind" { Admin => "admin", ApiKey => "api_key", Cli => "cli" }
);

text_enum!(
    /// What was changed. The text is stored and shown in the log's filter.
    AuditAction, "audit action" {
        AdminAdded => "admin.added",
        AdminRemoved => "admin.removed",
        ApiKeyCreated => "api_key.created",
        ApiKeyRevoked => "api_key.revoked",
        CredentialAdded => "credential.added",
        CredentialUpdated => "credential.updated",
        CredentialVerified => "credential.verified",
        CredentialMadePrimary => "credential.made_primary",
        CredentialDisabled => "credential.disabled",
        CredentialEnabled => "credential.enabled",
        CredentialSecretReplaced => "credential.secret_replaced",
        CredentialDeleted => "credential.deleted",
        CalendarConnected => "calendar.connected",
        CalendarDisconnected => "calendar.disconnected",
        SettingsUpdated => "settings.updated",
        WebhookAdded => "webhook.added",
        WebhookUpdated => "webhook.updated",
        WebhookDeleted => "webhook.deleted",
        WebhookSecretRotated => "webhook.secret_rotated",
        WebhookReplayed => "webhook.replayed",
    }
);

/// One entry as stored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, sqlx::FromRow)]
pub struct AuditRecord {
    /// Increases with every entry; the paging cursor.
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub actor_kind: ActorKind,
    /// The admin's e-mail, the API key's name, or "CLI".
    pub actor: String,
    pub action: AuditAction,
    /// What was changed, in words a clinic recognizes (a label and an id, an e-mail, a key name).
    pub object: String,
    pub source_ip: Option<String>,
}

/// What `append_audit` stores.
#[derive(Debug, Clone)]
pub struct NewAuditRecord<'a> {
    pub at: DateTime<Utc>,
    pub actor_kind: ActorKind,
    pub actor: &'a str,
    pub action: AuditAction,
    pub object: &'a str,
    pub source_ip: Option<&'a str>,
}

impl Store {
    #[instrument(skip_all, fields(org_id = %org))]
    pub async fn append_audit(
        &self,
        org: &OrgId,
        entry: NewAuditRecord<'_>,
    ) -> Result<(), StoreError> {
        // INSERT … SELECT from organizations: an unknown org inserts nothing (→ NotFound).
        let inserted = on_pool!(&self.db, pool => {
            sqlx::query(
                "INSERT INTO audit_log (org_id, at, actor_kind, actor, action, object, source_ip) \
                 SELECT id, $2, $3, $4, $5, $6, $7 FROM organizations WHERE id = $1",
            )
            .bind(org)
            .bind(entry.at)
            .bind(entry.actor_kind)
            .bind(entry.actor)
            .bind(entry.action)
            .bind(entry.object)
            .bind(entry.source_ip)
            .execute(pool)
            .await?
            .rows_affected()
        });
        org_existed(inserted)?;
        Ok(())
    }

    /// Up to `limit` of `org`'s entries older than `before` (all when `None`), newest first,
    /// only `action`'s when given.
    #[instrument(skip_all, fields(org_id = %org))]
    pub async fn list_audit(
        &self,
        org: &OrgId,
        action: Option<AuditAction>,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<AuditRecord>, StoreError> {
        Ok(on_pool!(&self.db, pool => {
            sqlx::query_as(
                "SELECT seq, at, actor_kind, actor, action, object, source_ip FROM audit_log \
                 WHERE org_id = $1 AND ($2 IS NULL OR action = $2) AND ($3 IS NULL OR seq < $3) \
                 ORDER BY seq DESC LIMIT $4",
            )
            .bind(org)
            .bind(action)
            .bind(before)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?
        }))
    }
}
