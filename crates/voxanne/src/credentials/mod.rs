//! The clinic's provider credentials: add a Twilio account, list, read, change, verify and
//! delete them. Every front door (the JSON API, the dashboard, the CLI) calls these, so each rule
//! lives here once; each front door words [`CredentialError`] for its own reader.

mod input;
mod verify;

use secrecy::SecretString;

pub use self::verify::{Rechecked, VerifyRequest, recheck, recheck_outcome, verify};
use crate::activity::{self, ActivityError, AuditAction};
use crate::field::FieldError;
use crate::google_connection::Revocation;
use crate::ids::CredentialId;
use crate::services::Services;
use crate::store::{Credential, CredentialType, StoreError};
use crate::tenant::Caller;

/// A Twilio account as a clinic gives it: the Account SID, an Auth Token or an API key, and a
/// From number or a Messaging Service.
#[derive(Debug, Default)]
pub struct NewTwilioAccount {
    /// Default: "Twilio".
    pub label: Option<String>,
    pub account_sid: String,
    pub auth_token: Option<SecretString>,
    pub api_key_sid: Option<String>,
    pub api_key_secret: Option<SecretString>,
    pub from_number: Option<String>,
    pub messaging_service_sid: Option<String>,
}

/// What to change on a credential; `None` leaves a field as it is. New secrets or a new sender
/// reset its status to `unverified`.
#[derive(Debug, Default)]
pub struct CredentialChanges {
    pub label: Option<String>,
    pub is_active: Option<bool>,
    pub is_primary: Option<bool>,
    pub auth_token: Option<SecretString>,
    pub api_key_sid: Option<String>,
    pub api_key_secret: Option<SecretString>,
    pub from_number: Option<String>,
    pub messaging_service_sid: Option<String>,
}

/// Why a credential operation did not happen, in domain words.
#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    #[error("invalid field `{}`: {}", .0.field, .0.message)]
    Invalid(FieldError),
    /// No such credential in the caller's organization (another organization's looks the same).
    #[error("no such credential in this organization")]
    NotFound,
    #[error("an inactive credential cannot become the primary one")]
    InactivePrimary,
    /// A well-formed change that this credential's current state refuses (409); `field` names it.
    #[error("{}: {}", .0.field, .0.message)]
    Conflict(FieldError),
    #[error("the credential's secrets cannot be decrypted with the configured master keys")]
    Undecryptable,
    #[error("Google Calendar is not configured on this server")]
    GoogleNotConfigured,
    #[error(transparent)]
    Store(StoreError),
    /// A stored credential that contradicts itself, or a report that cannot be encoded: a bug.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<FieldError> for CredentialError {
    fn from(err: FieldError) -> Self {
        Self::Invalid(err)
    }
}

impl From<crate::phone::PhoneError> for CredentialError {
    fn from(err: crate::phone::PhoneError) -> Self {
        Self::Invalid(err.into())
    }
}

impl From<StoreError> for CredentialError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound { what: "credential" } => Self::NotFound,
            StoreError::Undecryptable { .. } => Self::Undecryptable,
            // E.g. unmarking the only active credential as primary: a 409 naming the field.
            StoreError::Conflict { field, message } => {
                Self::Conflict(FieldError::new("conflict", field, message))
            }
            other => Self::Store(other),
        }
    }
}

impl From<ActivityError> for CredentialError {
    fn from(err: ActivityError) -> Self {
        match err {
            ActivityError::Store(err) => Self::Store(err),
        }
    }
}

/// Writes `action` on `credential` to the audit log, naming it by label and id (with its
/// verification status after a verification).
async fn audit(
    services: &Services,
    caller: &Caller,
    action: AuditAction,
    credential: &Credential,
) -> Result<(), CredentialError> {
    let mut object = format!("{} ({})", credential.label, credential.id);
    if action == AuditAction::CredentialVerified {
        object.push_str(&format!(": {}", credential.verification_status));
    }
    activity::record(&services.store, caller, action, &object).await?;
    Ok(())
}

/// What an update did, as the audit log words it (the most telling change first).
fn update_action(changes: &CredentialChanges) -> AuditAction {
    if changes.is_primary == Some(true) {
        AuditAction::CredentialMadePrimary
    } else if changes.is_active == Some(false) {
        AuditAction::CredentialDisabled
    } else if changes.is_active == Some(true) {
        AuditAction::CredentialEnabled
    } else if changes.auth_token.is_some() || changes.api_key_secret.is_some() {
        AuditAction::CredentialSecretReplaced
    } else {
        AuditAction::CredentialUpdated
    }
}

/// The organization's credentials, oldest first; only those of `kind` when given.
pub async fn list(
    services: &Services,
    caller: &Caller,
    kind: Option<CredentialType>,
) -> Result<Vec<Credential>, CredentialError> {
    Ok(services.store.list_credentials(caller.org(), kind).await?)
}

/// One credential of the organization.
pub async fn get(
    services: &Services,
    caller: &Caller,
    id: &CredentialId,
) -> Result<Credential, CredentialError> {
    Ok(services.store.get_credential(caller.org(), id).await?)
}

/// Stores a Twilio account (the organization's first becomes its primary one); with `verify`,
/// runs the checks before answering, so the result carries the report.
pub async fn add_twilio(
    services: &Services,
    caller: &Caller,
    account: NewTwilioAccount,
    verify_now: bool,
) -> Result<Credential, CredentialError> {
    let new = input::new_twilio_credential(account)?;
    let credential = services.store.insert_credential(caller.org(), new).await?;
    tracing::info!(org_id = %caller.org(), credential_id = %credential.id, "Twilio credential added");
    audit(services, caller, AuditAction::CredentialAdded, &credential).await?;
    if !verify_now {
        return Ok(credential);
    }
    verify(services, caller, &credential.id, VerifyRequest::default()).await?;
    get(services, caller, &credential.id).await
}

/// Changes a credential as `changes` says, checked against how it is now.
pub async fn update(
    services: &Services,
    caller: &Caller,
    id: &CredentialId,
    changes: CredentialChanges,
) -> Result<Credential, CredentialError> {
    let current = get(services, caller, id).await?;
    let action = update_action(&changes);
    let patch = input::credential_patch(&current, changes)?;
    let credential = services
        .store
        .patch_credential(caller.org(), id, patch)
        .await?;
    services.accounts().invalidate(id);
    services.store.reschedule_recheck(caller.org(), id).await?;
    audit(services, caller, action, &credential).await?;
    Ok(credential)
}

/// Deletes a credential and destroys its secrets. A Google Calendar connection's grant is first
/// revoked at Google (best effort); the answer says how that went (`None` for Twilio).
pub async fn delete(
    services: &Services,
    caller: &Caller,
    id: &CredentialId,
) -> Result<Option<Revocation>, CredentialError> {
    let credential = get(services, caller, id).await?;
    let revocation = if credential.kind == CredentialType::GoogleCalendar {
        Some(match services.google.ready() {
            Some(connections) => connections.revoke(caller.org(), id).await,
            None => {
                tracing::warn!(org_id = %caller.org(), credential_id = %id, "Google is not configured: the grant was not revoked at Google");
                Revocation::NotConfigured
            }
        })
    } else {
        None
    };
    services.store.delete_credential(caller.org(), id).await?;
    services.accounts().invalidate(id);
    let action = match credential.kind {
        CredentialType::GoogleCalendar => AuditAction::CalendarDisconnected,
        CredentialType::Twilio => AuditAction::CredentialDeleted,
    };
    audit(services, caller, action, &credential).await?;
    Ok(revocation)
}
