//! Credentials: insert, list, get, patch (incl. atomic primary switch), verification, delete.

use chrono::{DateTime, Utc};
use tracing::instrument;

use super::backend::{in_transaction, now, on_pool};
use super::{
    Credential, CredentialDisplay, CredentialPatch, CredentialType, NewCredential, Store,
    StoreError, VerificationStatus,
};
use crate::ids::{CredentialId, OrgId};

/// Longest label accepted.
pub const MAX_LABEL_LEN: usize = 100;

#[derive(sqlx::FromRow)]
pub(super) struct CredentialRow {
    id: CredentialId,
    org_id: OrgId,
    #[sqlx(rename = "type")]
    kind: CredentialType,
    label: String,
    is_active: bool,
    is_primary: bool,
    verification_status: VerificationStatus,
    verified_at: Option<DateTime<Utc>>,
    verification_report: Option<String>,
    #[sqlx(flatten)]
    display: CredentialDisplay,
    secret_last4: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    #[sqlx(flatten)]
    recheck: super::reverify::RecheckRow,
}

impl CredentialRow {
    pub(super) fn into_model(self) -> Result<Credential, StoreError> {
        let verification_report = self
            .verification_report
            .map(|text| serde_json::from_str(&text))
            .transpose()
            .map_err(|source| StoreError::Corrupt {
                what: "verification report",
                source: Box::new(source),
            })?;
        Ok(Credential {
            id: self.id,
            org_id: self.org_id,
            kind: self.kind,
            label: self.label,
            is_active: self.is_active,
            is_primary: self.is_primary,
            verification_status: self.verification_status,
            verified_at: self.verified_at,
            verification_report,
            display: self.display,
            secret_last4: self.secret_last4,
            created_at: self.created_at,
            updated_at: self.updated_at,
            recheck: self.recheck.into_model(),
        })
    }
}

/// `SELECT` of every credential column, followed by `$tail`.
macro_rules! select_credential {
    ($tail:literal) => {
        concat!(
            "SELECT id, org_id, type, label, is_active, is_primary, verification_status, verified_at, \
             verification_report, account_sid, auth_mode, api_key_sid, from_number, \
             messaging_service_sid, google_email, calendar_id, secret_last4, created_at, updated_at, \
             next_check_at, last_checked_at, last_check_outcome, recheck_failures \
             FROM credentials",
            $tail
        )
    };
}

pub(super) fn validate_label(label: &str) -> Result<String, StoreError> {
    let label = label.trim();
    if label.is_empty()
        || label.chars().count() > MAX_LABEL_LEN
        || label.chars().any(char::is_control)
    {
        return Err(StoreError::invalid(
            "label",
            format!("the label must be 1 to {MAX_LABEL_LEN} printable characters"),
        ));
    }
    Ok(label.to_owned())
}

/// Takes the organization's row lock for the rest of the transaction, so concurrent changes to
/// one organization's credentials (e.g. two primary switches) run one after the other.
/// Answers `false` when the organization does not exist.
macro_rules! lock_org {
    ($tx:ident, $org:expr) => {
        sqlx::query("UPDATE organizations SET name = name WHERE id = $1")
            .bind($org)
            .execute(&mut *$tx)
            .await?
            .rows_affected()
            == 1
    };
}

impl Store {
    /// Stores a new credential with its secrets sealed under the organization's data key.
    /// The first credential of a type becomes the primary one.
    #[instrument(skip_all, fields(org_id = %org))]
    pub async fn insert_credential(
        &self,
        org: &OrgId,
        new: NewCredential,
    ) -> Result<Credential, StoreError> {
        let label = validate_label(&new.label)?;
        super::secrets::validate_secrets(new.kind, &new.secrets, true)?;
        let id = CredentialId::generate();
        let at = now();
        let secret_last4 = super::secrets::main_secret_last4(new.kind, &new.secrets);
        in_transaction!(&self.db, tx => {
            if !lock_org!(tx, org) {
                return Err(StoreError::NotFound { what: "organization" });
            }
            let wrapped: Vec<u8> = sqlx::query_scalar("SELECT wrapped FROM org_data_keys WHERE org_id = $1")
                .bind(org)
                .fetch_one(&mut *tx)
                .await?;
            let sealed = super::secrets::seal_all(&self.keyring, org, &id, &wrapped, &new.secrets)?;
            let primaries: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM credentials WHERE org_id = $1 AND type = $2 AND is_primary = TRUE",
            )
            .bind(org)
            .bind(new.kind)
            .fetch_one(&mut *tx)
            .await?;
            let d = &new.display;
            sqlx::query(
                "INSERT INTO credentials (id, org_id, type, label, is_active, is_primary, verification_status, \
                 account_sid, auth_mode, api_key_sid, from_number, messaging_service_sid, google_email, \
                 calendar_id, secret_last4, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, TRUE, $5, 'unverified', $6, $7, $8, $9, $10, $11, $12, $13, $14, $14)",
            )
            .bind(&id)
            .bind(org)
            .bind(new.kind)
            .bind(&label)
            .bind(primaries == 0)
            .bind(&d.account_sid)
            .bind(d.auth_mode)
            .bind(&d.api_key_sid)
            .bind(&d.from_number)
            .bind(&d.messaging_service_sid)
            .bind(&d.google_email)
            .bind(&d.calendar_id)
            .bind(&secret_last4)
            .bind(at)
            .execute(&mut *tx)
            .await?;
            for (secret, blob) in new.secrets.iter().zip(sealed) {
                sqlx::query(
                    "INSERT INTO credential_secrets (credential_id, org_id, field, ciphertext, expires_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(&id)
                .bind(org)
                .bind(secret.field)
                .bind(blob)
                .bind(secret.expires_at)
                .bind(at)
                .execute(&mut *tx)
                .await?;
            }
        });
        self.credentials_changed();
        tracing::info!(org_id = %org, credential_id = %id, kind = %new.kind, "credential stored");
        self.get_credential(org, &id).await
    }

    /// The organization's credentials, optionally of one type, oldest first.
    #[instrument(skip_all, fields(org_id = %org))]
    pub async fn list_credentials(
        &self,
        org: &OrgId,
        kind: Option<CredentialType>,
    ) -> Result<Vec<Credential>, StoreError> {
        let rows: Vec<CredentialRow> = on_pool!(&self.db, pool => {
            sqlx::query_as(select_credential!(
                " WHERE org_id = $1 AND ($2 IS NULL OR type = $2) ORDER BY created_at, id"
            ))
            .bind(org)
            .bind(kind)
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(CredentialRow::into_model).collect()
    }

    #[instrument(skip_all, fields(org_id = %org, credential_id = %id))]
    pub async fn get_credential(
        &self,
        org: &OrgId,
        id: &CredentialId,
    ) -> Result<Credential, StoreError> {
        let row: Option<CredentialRow> = on_pool!(&self.db, pool => {
            sqlx::query_as(select_credential!(" WHERE org_id = $1 AND id = $2"))
                .bind(org)
                .bind(id)
                .fetch_optional(pool)
                .await?
        });
        row.ok_or(StoreError::NotFound { what: "credential" })?
            .into_model()
    }

    /// The active primary credential of a type, if there is one. (An organization has a handful
    /// of credentials: reading its list is one indexed query, like reading one row.)
    #[instrument(skip_all, fields(org_id = %org, kind = %kind))]
    pub async fn get_primary_credential(
        &self,
        org: &OrgId,
        kind: CredentialType,
    ) -> Result<Option<Credential>, StoreError> {
        Ok(self
            .list_credentials(org, Some(kind))
            .await?
            .into_iter()
            .find(|credential| credential.is_primary && credential.is_active))
    }

    /// [`Store::get_primary_credential`] as this process read it within
    /// [`RECENT_READS_TRUSTED`](super::RECENT_READS_TRUSTED): the send path needs it on every
    /// request. A change made through this process's store is seen at once, one made by another
    /// process within that time (the dispatcher reads the credential again before each send).
    pub async fn recent_primary_credential(
        &self,
        org: &OrgId,
        kind: CredentialType,
    ) -> Result<Option<Credential>, StoreError> {
        let key = format!("{org}/{kind}");
        if let Some(primary) = self.primaries.get(&key) {
            return Ok(primary);
        }
        let mark = self.primaries.mark();
        let primary = self.get_primary_credential(org, kind).await?;
        self.primaries.put(key, primary.clone(), mark);
        Ok(primary)
    }

    /// Applies a partial update in one transaction. Making a credential primary unsets the
    /// previous primary of its type first; a primary that stops being one hands over to the oldest
    /// other active credential; new display fields or secrets reset verification.
    #[instrument(skip_all, fields(org_id = %org, credential_id = %id))]
    pub async fn patch_credential(
        &self,
        org: &OrgId,
        id: &CredentialId,
        patch: CredentialPatch,
    ) -> Result<Credential, StoreError> {
        let label = patch.label.as_deref().map(validate_label).transpose()?;
        let at = now();
        in_transaction!(&self.db, tx => {
            if !lock_org!(tx, org) {
                return Err(StoreError::NotFound { what: "credential" });
            }
            let row: Option<CredentialRow> = sqlx::query_as(select_credential!(" WHERE org_id = $1 AND id = $2"))
                .bind(org)
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
            let mut current = row.ok_or(StoreError::NotFound { what: "credential" })?.into_model()?;
            let was_primary = current.is_primary;
            if let Some(secrets) = &patch.secrets {
                super::secrets::validate_secrets(current.kind, secrets, false)?;
                let wrapped: Vec<u8> = sqlx::query_scalar("SELECT wrapped FROM org_data_keys WHERE org_id = $1")
                    .bind(org)
                    .fetch_one(&mut *tx)
                    .await?;
                let sealed = super::secrets::seal_all(&self.keyring, org, id, &wrapped, secrets)?;
                for (secret, blob) in secrets.iter().zip(sealed) {
                    sqlx::query(super::secrets::UPSERT_SECRET)
                        .bind(id)
                        .bind(org)
                        .bind(secret.field)
                        .bind(blob)
                        .bind(secret.expires_at)
                        .bind(at)
                        .execute(&mut *tx)
                        .await?;
                }
                if let Some(last4) = super::secrets::main_secret_last4(current.kind, secrets) {
                    current.secret_last4 = Some(last4);
                }
            }
            if patch.secrets.is_some() || patch.display.is_some() {
                current.verification_status = VerificationStatus::Unverified;
                current.verified_at = None;
                current.verification_report = None;
            }
            if let Some(display) = patch.display {
                current.display = display;
            }
            if let Some(label) = label {
                current.label = label;
            }
            if let Some(active) = patch.is_active {
                current.is_active = active;
            }
            if patch.is_primary == Some(true) && !current.is_primary {
                sqlx::query(
                    "UPDATE credentials SET is_primary = FALSE, updated_at = $3 \
                     WHERE org_id = $1 AND type = $2 AND is_primary = TRUE",
                )
                .bind(org)
                .bind(current.kind)
                .bind(at)
                .execute(&mut *tx)
                .await?;
            }
            if let Some(primary) = patch.is_primary {
                current.is_primary = primary;
            }
            // The primary stops being one (deactivated, or unmarked): the oldest other active
            // credential of its type takes over, as on delete, so sending never finds none while
            // one could send. Unmarking the only active one would leave none: refused.
            if was_primary && !current.is_primary {
                // Unmarked first: one primary per type is a unique index.
                sqlx::query("UPDATE credentials SET is_primary = FALSE WHERE org_id = $1 AND id = $2")
                    .bind(org)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                let promoted = sqlx::query(
                    "UPDATE credentials SET is_primary = TRUE, updated_at = $4 WHERE id = \
                     (SELECT id FROM credentials WHERE org_id = $1 AND type = $2 AND is_active = TRUE \
                      AND id <> $3 ORDER BY created_at, id LIMIT 1)",
                )
                .bind(org)
                .bind(current.kind)
                .bind(id)
                .bind(at)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if promoted == 0 && current.is_active {
                    // A conflict with the organization's state (409), not a malformed request.
                    return Err(StoreError::Conflict {
                        field: "is_primary",
                        message: "this is the organization's only active credential of its type, so it stays primary; add or activate another one first",
                    });
                }
            }
            let report = current.verification_report.as_ref().map(serde_json::Value::to_string);
            let d = &current.display;
            sqlx::query(
                "UPDATE credentials SET label = $3, is_active = $4, is_primary = $5, verification_status = $6, \
                 verified_at = $7, verification_report = $8, account_sid = $9, auth_mode = $10, \
                 api_key_sid = $11, from_number = $12, messaging_service_sid = $13, google_email = $14, \
                 calendar_id = $15, secret_last4 = $16, updated_at = $17 \
                 WHERE org_id = $1 AND id = $2",
            )
            .bind(org)
            .bind(id)
            .bind(&current.label)
            .bind(current.is_active)
            .bind(current.is_primary)
            .bind(current.verification_status)
            .bind(current.verified_at)
            .bind(report)
            .bind(&d.account_sid)
            .bind(d.auth_mode)
            .bind(&d.api_key_sid)
            .bind(&d.from_number)
            .bind(&d.messaging_service_sid)
            .bind(&d.google_email)
            .bind(&d.calendar_id)
            .bind(&current.secret_last4)
            .bind(at)
            .execute(&mut *tx)
            .await?;
        });
        self.credentials_changed();
        self.get_credential(org, id).await
    }

    /// Records the outcome of a verification run: status, report (as the verifier wrote it) and
    /// the time it ran.
    #[instrument(skip_all, fields(org_id = %org, credential_id = %id, status = %status))]
    pub async fn record_verification(
        &self,
        org: &OrgId,
        id: &CredentialId,
        status: VerificationStatus,
        report: &serde_json::Value,
    ) -> Result<Credential, StoreError> {
        let at = now();
        let updated = in_transaction!(&self.db, tx => {
            // Webhooks (issue 14): a move to another status raises its event in this transaction.
            super::webhook_events::EventTx::move_credential_status(&mut *tx, org, id, status, Some(report)).await?;
            sqlx::query(
                "UPDATE credentials SET verification_status = $3, verification_report = $4, \
                 verified_at = $5, updated_at = $5 WHERE org_id = $1 AND id = $2",
            )
            .bind(org)
            .bind(id)
            .bind(status)
            .bind(report.to_string())
            .bind(at)
            .execute(&mut *tx)
            .await?
            .rows_affected()
        });
        self.credentials_changed();
        if updated == 0 {
            return Err(StoreError::NotFound { what: "credential" });
        }
        self.get_credential(org, id).await
    }

    /// Deletes a credential; its secret rows are deleted with it (not flagged). When it was the
    /// primary of its type, the oldest remaining active credential of that type becomes primary in
    /// the same transaction, so an organization with a usable credential always has a primary.
    #[instrument(skip_all, fields(org_id = %org, credential_id = %id))]
    pub async fn delete_credential(
        &self,
        org: &OrgId,
        id: &CredentialId,
    ) -> Result<(), StoreError> {
        let at = now();
        let deleted = in_transaction!(&self.db, tx => {
            if !lock_org!(tx, org) {
                return Err(StoreError::NotFound { what: "credential" });
            }
            sqlx::query("DELETE FROM credential_secrets WHERE org_id = $1 AND credential_id = $2")
                .bind(org)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            let gone: Option<(CredentialType, bool)> = sqlx::query_as(
                "DELETE FROM credentials WHERE org_id = $1 AND id = $2 RETURNING type, is_primary",
            )
            .bind(org)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some((kind, true)) = gone {
                sqlx::query(
                    "UPDATE credentials SET is_primary = TRUE, updated_at = $3 WHERE id = \
                     (SELECT id FROM credentials WHERE org_id = $1 AND type = $2 AND is_active = TRUE \
                      ORDER BY created_at, id LIMIT 1)",
                )
                .bind(org)
                .bind(kind)
                .bind(at)
                .execute(&mut *tx)
                .await?;
            }
            u64::from(gone.is_some())
        });
        self.credentials_changed();
        if deleted == 0 {
            return Err(StoreError::NotFound { what: "credential" });
        }
        self.db.flush_deletions().await?;
        tracing::info!(org_id = %org, credential_id = %id, "credential deleted with its secrets");
        Ok(())
    }
}
