//! Verification of a Google Calendar connection, reported in the same shape as Twilio's:
//! `token` (an access token can be had), `calendar_list` (the calendars are reachable) and
//! `primary_writable` (bookings can go into the primary calendar).

use std::future::Future;

use secrecy::SecretString;

use super::tokens::reconnect_hint;
use super::{AccessError, GoogleConnections};
use crate::google::{self, ErrorKind};
use crate::http::credentials::wire::{
    CheckOut, CheckStatusOut, StoredReport, VerificationStatusOut,
};
use crate::ids::{CredentialId, OrgId};
use crate::store::{Credential, StoreError, VerificationStatus};

fn check(id: &str, status: CheckStatusOut, message: String, hint: Option<String>) -> CheckOut {
    CheckOut {
        id: id.to_owned(),
        status,
        message,
        hint,
        twilio_code: None,
        message_sid: None,
        segments: None,
    }
}

/// The report being built, and whether some failure means "reconnect".
struct Checks {
    checks: Vec<CheckOut>,
    reconnect: bool,
    cred: CredentialId,
}

impl Checks {
    fn pass(&mut self, id: &str, message: String) {
        self.checks
            .push(check(id, CheckStatusOut::Pass, message, None));
    }

    fn skip(&mut self, id: &str, message: String) {
        self.checks
            .push(check(id, CheckStatusOut::Skip, message, None));
    }

    /// A Google failure of check `id`, sorted into "reconnect", "retry later" or "fix config".
    fn fail(&mut self, id: &str, error: &AccessError) {
        let (message, hint) = match error {
            AccessError::NeedsReconnect { reason } => {
                self.reconnect = true;
                (reason.clone(), reconnect_hint(&self.cred))
            }
            AccessError::Google(error) if error.kind() == ErrorKind::NeedsReconnect => {
                self.reconnect = !matches!(error, google::Error::NotWritable { .. });
                let hint = match error {
                    google::Error::NotWritable { .. } => "Connect a Google account that owns the calendar, or ask its owner to give this account \"Make changes to events\" access.".to_owned(),
                    _ => reconnect_hint(&self.cred),
                };
                (error.to_string(), hint)
            }
            AccessError::Google(error) if error.kind() == ErrorKind::Transient => (
                error.to_string(),
                "Google did not answer properly; verify again in a few minutes.".to_owned(),
            ),
            other => (
                other.to_string(),
                "Check the server's Google OAuth client settings (VOXANNE_GOOGLE_CLIENT_ID / VOXANNE_GOOGLE_CLIENT_SECRET) and its logs.".to_owned(),
            ),
        };
        self.checks
            .push(check(id, CheckStatusOut::Fail, message, Some(hint)));
    }

    fn skip_rest(&mut self, ids: &[&str]) {
        for id in ids {
            self.skip(id, "Not checked: no access token.".to_owned());
        }
    }

    fn status(&self) -> VerificationStatus {
        if self.reconnect {
            VerificationStatus::NeedsReconnect
        } else if self.checks.iter().any(|c| c.status == CheckStatusOut::Fail) {
            VerificationStatus::Failed
        } else {
            VerificationStatus::Verified
        }
    }
}

impl GoogleConnections {
    /// Runs the checks through credential `cred` of `org` and records status and report.
    pub async fn verify(
        &self,
        org: &OrgId,
        cred: &CredentialId,
    ) -> Result<(Credential, StoredReport), StoreError> {
        let mut checks = Checks {
            checks: Vec::new(),
            reconnect: false,
            cred: cred.clone(),
        };
        let token = match self.open(org, cred).await {
            Ok(secrets) => self.fresh_token(org, cred, &secrets).await,
            Err(error) => Err(error),
        };
        match token {
            Err(AccessError::Store(error)) => return Err(error),
            Err(error) => {
                checks.fail("token", &error);
                checks.skip_rest(&["calendar_list", "primary_writable"]);
            }
            Ok(token) => {
                checks.pass("token", "An access token was obtained.".to_owned());
                let client = self.client.clone();
                let list = self
                    .calendar_call(org, cred, token.clone(), |t| {
                        let client = client.clone();
                        async move { client.calendar_list(&t, 10, None).await }
                    })
                    .await;
                let mut token = token;
                match list {
                    Ok((page, used)) => {
                        token = used;
                        let primary = page.items.iter().find(|c| c.primary);
                        checks.pass(
                            "calendar_list",
                            format!(
                                "{} calendar(s) reachable; primary: {}.",
                                page.items.len(),
                                primary.map_or("none listed", |c| c.summary.as_str())
                            ),
                        );
                    }
                    Err(AccessError::Google(google::Error::ScopeInsufficient)) => checks.skip(
                        "calendar_list",
                        "The calendar-list permission was not granted; bookings go to the primary calendar.".to_owned(),
                    ),
                    Err(AccessError::Store(error)) => return Err(error),
                    Err(error) => checks.fail("calendar_list", &error),
                }
                if checks.reconnect {
                    checks.skip_rest(&["primary_writable"]);
                } else {
                    let probe = self
                        .calendar_call(org, cred, token, |t| {
                            let client = client.clone();
                            async move { client.probe_primary_writable(&t).await }
                        })
                        .await;
                    match probe {
                        Ok((primary, _)) => checks.pass(
                            "primary_writable",
                            format!(
                                "The primary calendar \"{}\" takes bookings (role: {}).",
                                primary.summary, primary.access_role
                            ),
                        ),
                        Err(AccessError::Store(error)) => return Err(error),
                        Err(error) => checks.fail("primary_writable", &error),
                    }
                }
            }
        }
        let status = checks.status();
        let report = StoredReport {
            status: VerificationStatusOut::from(status),
            checks: checks.checks,
        };
        let value = serde_json::to_value(&report).map_err(|source| StoreError::Corrupt {
            what: "verification report",
            source: Box::new(source),
        })?;
        let credential = self
            .store
            .record_verification(org, cred, status, &value)
            .await?;
        tracing::info!(org_id = %org, credential_id = %cred, status = %status, "Google Calendar connection verified");
        Ok((credential, report))
    }

    /// One Calendar call with retries for transient failures; on a 401 the token is refreshed
    /// once and the call tried once more. Returns the result and the token that worked.
    async fn calendar_call<T, F, Fut>(
        &self,
        org: &OrgId,
        cred: &CredentialId,
        token: SecretString,
        call: F,
    ) -> Result<(T, SecretString), AccessError>
    where
        F: Fn(SecretString) -> Fut,
        Fut: Future<Output = Result<T, google::Error>>,
    {
        match self.backoff.retry(|| call(token.clone())).await {
            Ok(value) => Ok((value, token)),
            Err(google::Error::Unauthenticated) => {
                let secrets = self.open(org, cred).await?;
                let token = self.refresh(org, cred, &secrets).await?;
                let value = self
                    .backoff
                    .retry(|| call(token.clone()))
                    .await
                    .map_err(AccessError::Google)?;
                Ok((value, token))
            }
            Err(error) => Err(AccessError::Google(error)),
        }
    }
}
