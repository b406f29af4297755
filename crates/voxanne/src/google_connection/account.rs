//! Which Google account a connection belongs to, and what follows from it.
//!
//! Google keeps one grant per Google account and OAuth client: every token it issues to Voxanne
//! for that account (however many times the clinic connects) dies together when any of them is
//! revoked. So an organization keeps one `google_calendar` credential per Google account (a new
//! consent for the same account renews it), a re-authorization must come from the same account,
//! and deleting a credential leaves the grant alone while another credential still uses it.

use super::{ConnectError, GoogleConnections};
use crate::ids::{CredentialId, OrgId};
use crate::store::{Credential, CredentialType, StoreError};

/// Whether two Google account emails name the same account (Google ignores case).
fn same_account(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

impl GoogleConnections {
    /// The credential a finished consent renews, or `None` to create one.
    ///
    /// `reauthorize` is the credential named in the connect call: it must exist and, when it
    /// knows its account, `email` must be that account. Without it, an existing connection of
    /// the same account in `org` is renewed instead of duplicated.
    pub(super) async fn connect_target(
        &self,
        org: &OrgId,
        reauthorize: Option<&CredentialId>,
        email: Option<&str>,
    ) -> Result<Option<CredentialId>, ConnectError> {
        if let Some(id) = reauthorize {
            let current = match self.store.get_credential(org, id).await {
                Err(StoreError::NotFound { .. }) => return Err(ConnectError::CredentialGone),
                other => other?,
            };
            if let Some(expected) = current.display.google_email
                && !email.is_some_and(|email| same_account(email, &expected))
            {
                tracing::info!(org_id = %org, credential_id = %id, "Google reconnect refused: another Google account was used");
                return Err(ConnectError::AccountMismatch {
                    expected,
                    actual: email.map(str::to_owned),
                });
            }
            return Ok(Some(id.clone()));
        }
        let Some(email) = email else {
            return Ok(None);
        };
        let same = self
            .same_account_credentials(org, email, None)
            .await?
            .into_iter()
            .next()
            .map(|credential| credential.id);
        if let Some(id) = &same {
            tracing::info!(org_id = %org, credential_id = %id, "Google account already connected: renewing its credential");
        }
        Ok(same)
    }

    /// The `google_calendar` credentials of `org` connected with Google account `email`, oldest
    /// first, `except` left out.
    pub(super) async fn same_account_credentials(
        &self,
        org: &OrgId,
        email: &str,
        except: Option<&CredentialId>,
    ) -> Result<Vec<Credential>, StoreError> {
        let all = self
            .store
            .list_credentials(org, Some(CredentialType::GoogleCalendar))
            .await?;
        Ok(all
            .into_iter()
            .filter(|c| Some(&c.id) != except)
            .filter(|c| {
                c.display
                    .google_email
                    .as_deref()
                    .is_some_and(|e| same_account(e, email))
            })
            .collect())
    }
}
