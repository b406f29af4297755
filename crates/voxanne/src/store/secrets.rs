//! Credential secrets: sealing on write, opening (with `undecryptable` marking) on read.

use chrono::{DateTime, Utc};
use secrecy::ExposeSecret;
use tracing::instrument;

use super::backend::{in_transaction, now, on_pool};
use super::{
    CredentialSecrets, CredentialType, SecretField, SecretValue, Store, StoreError,
    VerificationStatus,
};
use crate::ids::{CredentialId, OrgId};
use crate::vault::{self, DataKey, Keyring, SecretContext};

/// Longest secret accepted (OAuth tokens run to a few hundred bytes; this leaves room).
pub const MAX_SECRET_LEN: usize = 4096;

pub(super) const UPSERT_SECRET: &str = "INSERT INTO credential_secrets \
     (credential_id, org_id, field, ciphertext, expires_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6) \
     ON CONFLICT (credential_id, field) DO UPDATE SET ciphertext = excluded.ciphertext, \
     expires_at = excluded.expires_at, updated_at = excluded.updated_at";

/// Checks that each field belongs to the credential type, appears once, and is not empty.
pub(super) fn validate_secrets(
    kind: CredentialType,
    secrets: &[SecretValue],
    creating: bool,
) -> Result<(), StoreError> {
    if creating && secrets.is_empty() {
        return Err(StoreError::invalid(
            "secrets",
            "a credential needs at least one secret",
        ));
    }
    for (index, secret) in secrets.iter().enumerate() {
        if !secret.field.allowed_for(kind) {
            return Err(StoreError::invalid(
                "secrets",
                format!("a {kind} credential has no `{}` field", secret.field),
            ));
        }
        if secrets[..index]
            .iter()
            .any(|earlier| earlier.field == secret.field)
        {
            return Err(StoreError::invalid(
                "secrets",
                format!("`{}` is given twice", secret.field),
            ));
        }
        let len = secret.value.expose_secret().len(); // only the length is read
        if len == 0 || len > MAX_SECRET_LEN {
            return Err(StoreError::invalid(
                "secrets",
                format!("`{}` must be 1 to {MAX_SECRET_LEN} bytes", secret.field),
            ));
        }
    }
    Ok(())
}

/// The last 4 characters of the credential's main secret, when it is long enough that showing
/// them gives little away (12+ characters).
pub(super) fn main_secret_last4(kind: CredentialType, secrets: &[SecretValue]) -> Option<String> {
    let preference: &[SecretField] = match kind {
        CredentialType::Twilio => &[SecretField::ApiKeySecret, SecretField::AuthToken],
        CredentialType::GoogleCalendar => &[SecretField::RefreshToken],
    };
    let main = preference
        .iter()
        .find_map(|field| secrets.iter().find(|s| s.field == *field))?;
    let chars: Vec<char> = main.value.expose_secret().chars().collect(); // only the tail is kept
    (chars.len() >= 12).then(|| chars[chars.len() - 4..].iter().collect())
}

/// Seals each secret under the organization's data key, bound to (org, credential, field).
pub(super) fn seal_all(
    keyring: &Keyring,
    org: &OrgId,
    credential: &CredentialId,
    wrapped_data_key: &[u8],
    secrets: &[SecretValue],
) -> Result<Vec<Vec<u8>>, StoreError> {
    let data_key = DataKey::unwrap(keyring, org, wrapped_data_key)?;
    secrets
        .iter()
        .map(|secret| {
            let context = SecretContext {
                org,
                record: credential.as_str(),
                field: secret.field.as_str(),
            };
            data_key
                .seal(context, &secret.value)
                .map_err(StoreError::from)
        })
        .collect()
}

type SecretRow = (SecretField, Vec<u8>, Option<DateTime<Utc>>);

impl Store {
    /// Opens a credential's secrets. When they cannot be opened (a master key missing from the
    /// keyring, a damaged or moved blob), the credential is marked `undecryptable` and
    /// [`StoreError::Undecryptable`] is returned: visible, never used, never a crash.
    #[instrument(skip_all, fields(org_id = %org, credential_id = %id))]
    pub async fn open_credential_secrets(
        &self,
        org: &OrgId,
        id: &CredentialId,
    ) -> Result<CredentialSecrets, StoreError> {
        let mut credential = self.get_credential(org, id).await?;
        let (wrapped, rows): (Option<Vec<u8>>, Vec<SecretRow>) = on_pool!(&self.db, pool => {
            let wrapped = sqlx::query_scalar("SELECT wrapped FROM org_data_keys WHERE org_id = $1")
                .bind(org)
                .fetch_optional(pool)
                .await?;
            let rows = sqlx::query_as(
                "SELECT field, ciphertext, expires_at FROM credential_secrets \
                 WHERE org_id = $1 AND credential_id = $2 ORDER BY field",
            )
            .bind(org)
            .bind(id)
            .fetch_all(pool)
            .await?;
            (wrapped, rows)
        });
        match open_rows(&self.keyring, org, id, wrapped.as_deref(), rows) {
            Ok(fields) => {
                if credential.verification_status == VerificationStatus::Undecryptable {
                    // The missing key is back: usable again, but to be verified before trusted.
                    credential = self
                        .set_status(org, id, VerificationStatus::Unverified)
                        .await?;
                }
                Ok(CredentialSecrets { credential, fields })
            }
            Err(source) => {
                tracing::warn!(org_id = %org, credential_id = %id, error = %source, "credential secrets cannot be opened; marking it undecryptable");
                if credential.verification_status != VerificationStatus::Undecryptable {
                    self.set_status(org, id, VerificationStatus::Undecryptable)
                        .await?;
                }
                Err(StoreError::Undecryptable {
                    id: id.clone(),
                    source,
                })
            }
        }
    }

    /// Stores one refreshed secret (e.g. a new OAuth access token and its expiry) obtained with
    /// the credential's existing secrets; verification is unchanged.
    #[instrument(skip_all, fields(org_id = %org, credential_id = %id))]
    pub async fn refresh_secret(
        &self,
        org: &OrgId,
        id: &CredentialId,
        secret: SecretValue,
    ) -> Result<(), StoreError> {
        let credential = self.get_credential(org, id).await?;
        validate_secrets(credential.kind, std::slice::from_ref(&secret), false)?;
        let wrapped: Vec<u8> = on_pool!(&self.db, pool => {
            sqlx::query_scalar("SELECT wrapped FROM org_data_keys WHERE org_id = $1")
                .bind(org)
                .fetch_one(pool)
                .await?
        });
        let blob = seal_all(
            &self.keyring,
            org,
            id,
            &wrapped,
            std::slice::from_ref(&secret),
        )?;
        let at = now();
        on_pool!(&self.db, pool => {
            // INSERT … SELECT from credentials: a credential deleted meanwhile inserts nothing.
            sqlx::query(
                "INSERT INTO credential_secrets (credential_id, org_id, field, ciphertext, expires_at, updated_at) \
                 SELECT id, org_id, $3, $4, $5, $6 FROM credentials WHERE org_id = $2 AND id = $1 \
                 ON CONFLICT (credential_id, field) DO UPDATE SET ciphertext = excluded.ciphertext, \
                 expires_at = excluded.expires_at, updated_at = excluded.updated_at",
            )
            .bind(id)
            .bind(org)
            .bind(secret.field)
            .bind(blob.into_iter().next())
            .bind(secret.expires_at)
            .bind(at)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    async fn set_status(
        &self,
        org: &OrgId,
        id: &CredentialId,
        status: VerificationStatus,
    ) -> Result<super::Credential, StoreError> {
        in_transaction!(&self.db, tx => {
            // Webhooks (issue 14): a move to another status raises its event in this transaction.
            super::webhook_events::EventTx::move_credential_status(&mut *tx, org, id, status, None).await?;
            sqlx::query("UPDATE credentials SET verification_status = $3, updated_at = $4 WHERE org_id = $1 AND id = $2")
                .bind(org)
                .bind(id)
                .bind(status)
                .bind(now())
                .execute(&mut *tx)
                .await?;
        });
        self.credentials_changed();
        self.get_credential(org, id).await
    }
}

fn open_rows(
    keyring: &Keyring,
    org: &OrgId,
    id: &CredentialId,
    wrapped: Option<&[u8]>,
    rows: Vec<SecretRow>,
) -> Result<Vec<SecretValue>, vault::Error> {
    let wrapped = wrapped.ok_or(vault::Error::Decrypt)?;
    let data_key = DataKey::unwrap(keyring, org, wrapped)?;
    rows.into_iter()
        .map(|(field, blob, expires_at)| {
            let context = SecretContext {
                org,
                record: id.as_str(),
                field: field.as_str(),
            };
            let value = data_key.open(context, &blob)?;
            Ok(SecretValue {
                field,
                value,
                expires_at,
            })
        })
        .collect()
}
