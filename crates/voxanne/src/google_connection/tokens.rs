//! Keeping a connection's access token fresh, and giving the grant back on delete.
//!
//! The refresh token never leaves the store except to go to Google's token endpoint. An
//! `invalid_grant` answer is final: the credential is marked `needs_reconnect` and no later call
//! asks Google again until the clinic reconnects (never a retry loop).

use std::time::Duration;

use chrono::Utc;
use secrecy::SecretString;

use super::{GoogleConnections, REFRESH_MARGIN, access_secret};
use crate::google::{self, Backoff, Revoked};
use crate::ids::{CredentialId, OrgId};
use crate::store::{
    CredentialSecrets, CredentialType, SecretField, SecretValue, StoreError, VerificationStatus,
};
use crate::verification::{Check, Outcome, Report};

/// Why no access token could be had.
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    /// Google no longer honours the grant (or never granted enough): the clinic must reconnect.
    #[error("{reason}")]
    NeedsReconnect { reason: String },
    /// Google failed (after retries for transient failures).
    #[error("Google could not refresh the access token")]
    Google(#[source] google::Error),
    /// The credential is not a Google Calendar one.
    #[error("this credential is not a Google Calendar connection")]
    NotGoogle,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What happened to the grant at Google when a connection was deleted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Revocation {
    Revoked,
    /// Google did not know the token any more (revoked or expired before).
    AlreadyInvalid,
    /// Google could not be told; the tokens are destroyed anyway.
    Failed(String),
    /// No token could be read (undecryptable credential).
    NoToken,
    /// Not revoked: another credential of the organization uses the same Google account, and
    /// Google revokes per account and client, so revoking would cut that one off too.
    KeptShared,
    /// Google is not configured on this server, so it could not be asked.
    NotConfigured,
}

impl Revocation {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Revoked => "revoked",
            Self::AlreadyInvalid => "already_invalid",
            Self::Failed(_) => "failed",
            Self::NoToken => "no_token",
            Self::KeptShared => "kept_shared",
            Self::NotConfigured => "not_configured",
        }
    }
}

/// The hint every "reconnect" message carries.
pub(super) fn reconnect_hint(id: &CredentialId) -> String {
    format!(
        "Connect Google Calendar again: POST /api/organization/credentials/google_calendar/connect with {{\"credential_id\": \"{id}\"}} and complete Google's consent page."
    )
}

impl GoogleConnections {
    /// A usable access token for Google Calendar credential `cred` of `org`, refreshed first when
    /// less than five minutes are left. A credential marked `needs_reconnect` is refused without
    /// asking Google.
    pub async fn google_access_token(
        &self,
        org: &OrgId,
        cred: &CredentialId,
    ) -> Result<SecretString, AccessError> {
        let secrets = self.open(org, cred).await?;
        if secrets.credential.verification_status == VerificationStatus::NeedsReconnect {
            return Err(AccessError::NeedsReconnect {
                reason: "This Google Calendar connection was revoked or expired at Google."
                    .to_owned(),
            });
        }
        self.fresh_token(org, cred, &secrets).await
    }

    /// A new access token for `cred`, refreshed now whatever the stored one's expiry: after the
    /// Calendar API answered 401 to a token that should still be good (e.g. the grant was
    /// revoked, which `invalid_grant` on this refresh confirms and records).
    pub async fn refreshed_access_token(
        &self,
        org: &OrgId,
        cred: &CredentialId,
    ) -> Result<SecretString, AccessError> {
        let secrets = self.open(org, cred).await?;
        self.refresh(org, cred, &secrets).await
    }

    /// The stored access token when it has five minutes left, else a refreshed one.
    pub(super) async fn fresh_token(
        &self,
        org: &OrgId,
        cred: &CredentialId,
        secrets: &CredentialSecrets,
    ) -> Result<SecretString, AccessError> {
        if let Some(access) = secrets.get_with_expiry(SecretField::AccessToken)
            && access
                .expires_at
                .is_some_and(|at| at - Utc::now() > REFRESH_MARGIN)
        {
            return Ok(access.value.clone());
        }
        self.refresh(org, cred, secrets).await
    }

    pub(super) async fn open(
        &self,
        org: &OrgId,
        cred: &CredentialId,
    ) -> Result<CredentialSecrets, AccessError> {
        let secrets = self.store.open_credential_secrets(org, cred).await?;
        if secrets.credential.kind != CredentialType::GoogleCalendar {
            return Err(AccessError::NotGoogle);
        }
        Ok(secrets)
    }

    /// Refreshes now (also after a 401 from the Calendar API), saving the new access token.
    pub(super) async fn refresh(
        &self,
        org: &OrgId,
        cred: &CredentialId,
        secrets: &CredentialSecrets,
    ) -> Result<SecretString, AccessError> {
        let refresh_token =
            secrets
                .get(SecretField::RefreshToken)
                .ok_or_else(|| AccessError::NeedsReconnect {
                    reason: "No refresh token is stored for this Google Calendar connection."
                        .to_owned(),
                })?;
        let client = self.client.clone();
        match self.backoff.retry(|| client.refresh(refresh_token)).await {
            Ok(tokens) => {
                self.store
                    .refresh_secret(org, cred, access_secret(&tokens))
                    .await?;
                if let Some(rotated) = tokens.refresh_token {
                    self.store
                        .refresh_secret(
                            org,
                            cred,
                            SecretValue::new(SecretField::RefreshToken, rotated),
                        )
                        .await?;
                }
                tracing::info!(org_id = %org, credential_id = %cred, "Google access token refreshed");
                Ok(tokens.access_token)
            }
            // Only `invalid_grant` means the grant is gone; anything else leaves the status alone.
            Err(google::Error::InvalidGrant { description }) => {
                let reason = format!(
                    "Google no longer accepts this calendar connection ({description}): it was revoked by the account owner, expired, or reset."
                );
                self.mark_needs_reconnect(org, cred, &reason).await?;
                Err(AccessError::NeedsReconnect { reason })
            }
            Err(error) => {
                tracing::warn!(org_id = %org, credential_id = %cred, error = %error, "Google token refresh failed");
                Err(AccessError::Google(error))
            }
        }
    }

    /// Marks the credential `needs_reconnect` with a report saying why, in plain words.
    pub(super) async fn mark_needs_reconnect(
        &self,
        org: &OrgId,
        cred: &CredentialId,
        reason: &str,
    ) -> Result<(), StoreError> {
        let report = Report {
            status: VerificationStatus::NeedsReconnect,
            checks: vec![Check::new(
                "token",
                Outcome::Fail,
                reason.to_owned(),
                Some(reconnect_hint(cred)),
            )],
        };
        let value = serde_json::to_value(&report).map_err(|source| StoreError::Corrupt {
            what: "verification report",
            source: Box::new(source),
        })?;
        self.store
            .record_verification(org, cred, VerificationStatus::NeedsReconnect, &value)
            .await?;
        tracing::warn!(org_id = %org, credential_id = %cred, "Google Calendar connection needs a reconnect");
        Ok(())
    }

    /// Revokes the grant behind `cred` at Google (best effort, a few quick retries) unless
    /// another credential of `org` uses the same Google account; the caller deletes the
    /// credential whatever the outcome.
    pub async fn revoke(&self, org: &OrgId, cred: &CredentialId) -> Revocation {
        let secrets = match self.store.open_credential_secrets(org, cred).await {
            Ok(secrets) => secrets,
            Err(_) => return Revocation::NoToken,
        };
        if let Some(email) = secrets.credential.display.google_email.as_deref() {
            match self.same_account_credentials(org, email, Some(cred)).await {
                Ok(others) => {
                    if let Some(other) = others.first() {
                        tracing::info!(org_id = %org, credential_id = %cred, shared_with = %other.id, "Google grant kept: another credential uses the same Google account");
                        return Revocation::KeptShared;
                    }
                }
                Err(error) => {
                    // Unknown whether the grant is shared: leave it rather than cut another off.
                    tracing::warn!(org_id = %org, credential_id = %cred, error = %error, "could not tell whether the Google grant is shared; not revoked");
                    return Revocation::Failed(error.to_string());
                }
            }
        }
        let Some(token) = secrets
            .get(SecretField::RefreshToken)
            .or_else(|| secrets.get(SecretField::AccessToken))
        else {
            return Revocation::NoToken;
        };
        // A delete request should not hang on Google: two quick tries at most.
        let quick = Backoff {
            base: Duration::from_millis(200),
            max_delay: Duration::from_secs(1),
            max_attempts: 2,
        };
        let client = self.client.clone();
        let outcome = match quick.retry(|| client.revoke(token)).await {
            Ok(Revoked::Revoked) => Revocation::Revoked,
            Ok(Revoked::AlreadyInvalid) => Revocation::AlreadyInvalid,
            Err(error) => Revocation::Failed(error.to_string()),
        };
        match &outcome {
            Revocation::Failed(error) => {
                tracing::warn!(org_id = %org, credential_id = %cred, error, "revoking the Google grant failed; the tokens are destroyed anyway")
            }
            other => {
                tracing::info!(org_id = %org, credential_id = %cred, outcome = other.as_str(), "Google grant revoked")
            }
        }
        outcome
    }
}
