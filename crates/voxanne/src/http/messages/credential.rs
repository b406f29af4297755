//! Which Twilio credential a new message goes through, refused up front when it cannot send.

use crate::delivery::Delivery;
use crate::dispatch::{Unusable, accounts::sender_label};
use crate::http::error::{ApiError, FieldError};
use crate::ids::{CredentialId, OrgId};
use crate::store::{Credential, CredentialType, Store, StoreError, VerificationStatus};

/// The credential a message goes through: the one named, or the org's primary Twilio one.
/// Refuses (422, nothing queued) when it cannot send, saying what to fix.
pub async fn sending_credential(
    store: &Store,
    delivery: &Delivery,
    org: &OrgId,
    named: Option<&str>,
) -> Result<(Credential, String), ApiError> {
    let unusable = |code: &'static str, message: String, hint: &str| {
        ApiError::Invalid(
            FieldError::new(code, "credential_id", message).with_hint(hint.to_owned()),
        )
    };
    let credential = match named {
        Some(raw) => {
            let id = CredentialId::parse(raw.trim()).map_err(|err| {
                unusable(
                    "invalid_credential_id",
                    err.to_string(),
                    "Use the id of a Twilio credential, e.g. cred_…",
                )
            })?;
            match store.get_credential(org, &id).await {
                Ok(credential) => credential,
                Err(StoreError::NotFound { .. }) => {
                    return Err(unusable(
                        "credential_not_found",
                        format!("this organization has no credential {id}"),
                        "List your credentials with GET /api/organization/credentials.",
                    ));
                }
                Err(err) => {
                    return Err(ApiError::Unexpected(
                        anyhow::Error::new(err).context("reading the credential"),
                    ));
                }
            }
        }
        None => match store
            .get_primary_credential(org, CredentialType::Twilio)
            .await
        {
            Ok(Some(credential)) => credential,
            Ok(None) => {
                return Err(unusable(
                    "no_twilio_credential",
                    "this organization has no active primary Twilio credential to send through"
                        .to_owned(),
                    "Add one with POST /api/organization/credentials/twilio (the first becomes primary), or activate and make one primary with PATCH.",
                ));
            }
            Err(err) => {
                return Err(ApiError::Unexpected(
                    anyhow::Error::new(err).context("reading the primary credential"),
                ));
            }
        },
    };
    if credential.kind != CredentialType::Twilio {
        return Err(unusable(
            "not_a_twilio_credential",
            format!("credential {} is not a Twilio credential", credential.id),
            "Name a Twilio credential.",
        ));
    }
    if !credential.is_active {
        return Err(unusable(
            "credential_inactive",
            format!("credential {} is deactivated", credential.id),
            "Reactivate it with PATCH {\"is_active\": true} or name another.",
        ));
    }
    match credential.verification_status {
        VerificationStatus::Failed => {
            return Err(unusable(
                "credential_failed",
                format!(
                    "credential {} failed verification, so Twilio would refuse the message",
                    credential.id
                ),
                "Fix its Auth Token / API key or From number, then POST /api/organization/credentials/{id}/verify.",
            ));
        }
        VerificationStatus::Undecryptable => {
            return Err(unusable(
                "credential_undecryptable",
                format!(
                    "credential {} cannot be decrypted with the configured master keys",
                    credential.id
                ),
                "Configure the missing master key (VOXANNE_MASTER_KEY), or replace the credential's secrets.",
            ));
        }
        _ => {}
    }
    // Opening it now proves its secrets decrypt and its sender is set; the client is cached
    // for the dispatcher.
    let account = delivery
        .dispatcher()
        .accounts()
        .get(org, &credential.id)
        .await
        .map_err(|err| match err {
            Unusable::Store(err) => {
                ApiError::Unexpected(anyhow::Error::new(err).context("opening the credential"))
            }
            other => unusable(
                "credential_unusable",
                other.to_string(),
                "Fix the credential, then verify it again.",
            ),
        })?;
    let sender = sender_label(&account.sender);
    Ok((credential, sender))
}
