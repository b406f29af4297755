//! Verification of a Google Calendar connection, reported in the same shape as Twilio's:
//! `token` (an access token can be had), `calendar_list` (the calendars are reachable) and
//! `primary_writable` (bookings can go into the primary calendar).

use std::future::Future;

use secrecy::SecretString;

use super::tokens::reconnect_hint;
use super::{AccessError, GoogleConnections};
use crate::google::{self, ErrorKind};
use crate::ids::{CredentialId, OrgId};
use crate::store::{Credential, StoreError, VerificationStatus};
use crate::verification::{Check, Outcome, Report};

/// The report being built, and what its failures mean for the credential's status.
struct Checks {
    checks: Vec<Check>,
    /// Google no longer honours the grant: `needs_reconnect`.
    reconnect: bool,
    /// A real failure (permission, scope, configuration): `failed`.
    failed: bool,
    /// Google was unavailable: says nothing about the credential, whose status is kept.
    unavailable: bool,
    cred: CredentialId,
}

/// Why a Calendar call did not succeed: no usable token (the stored one was refused and no new
/// one could be had), or the call itself failed.
enum CallFailure {
    Token(AccessError),
    Call(AccessError),
}

impl Checks {
    fn pass(&mut self, id: &str, message: String) {
        self.checks
            .push(Check::new(id, Outcome::Pass, message, None));
    }

    fn skip(&mut self, id: &str, message: String) {
        self.checks
            .push(Check::new(id, Outcome::Skip, message, None));
    }

    /// A Google failure of check `id`, sorted into "reconnect", "retry later" or "fix something".
    fn fail(&mut self, id: &str, error: &AccessError) {
        let (message, hint) = match error {
            AccessError::NeedsReconnect { reason } => {
                self.reconnect = true;
                (reason.clone(), reconnect_hint(&self.cred))
            }
            AccessError::Google(error @ google::Error::InvalidGrant { .. }) => {
                self.reconnect = true;
                (error.to_string(), reconnect_hint(&self.cred))
            }
            AccessError::Google(error) if error.kind() == ErrorKind::NeedsReconnect => {
                self.failed = true;
                let hint = match error {
                    google::Error::NotWritable { .. } => "Connect a Google account that owns the calendar, or ask its owner to give this account \"Make changes to events\" access.".to_owned(),
                    _ => format!("{} Tick every calendar box on Google's page.", reconnect_hint(&self.cred)),
                };
                (error.to_string(), hint)
            }
            AccessError::Google(error) if error.kind() == ErrorKind::Transient => {
                self.unavailable = true;
                self.checks.push(Check::could_not_check(
                    id,
                    error.to_string(),
                    "Google was unavailable, so nothing could be checked and the connection's status was left as it was; verify again in a few minutes.".to_owned(),
                ));
                return;
            }
            other => {
                self.failed = true;
                (
                    other.to_string(),
                    "Check the server's Google OAuth client settings (VOXANNE_GOOGLE_CLIENT_ID / VOXANNE_GOOGLE_CLIENT_SECRET) and its logs.".to_owned(),
                )
            }
        };
        self.checks
            .push(Check::new(id, Outcome::Fail, message, Some(hint)));
    }

    fn skip_rest(&mut self, ids: &[&str]) {
        for id in ids {
            self.skip(id, "Not checked: no access token.".to_owned());
        }
    }

    /// The credential's new status; `previous` is kept when the only failures were Google
    /// being unavailable.
    fn status(&self, previous: VerificationStatus) -> VerificationStatus {
        if self.reconnect {
            VerificationStatus::NeedsReconnect
        } else if self.failed {
            VerificationStatus::Failed
        } else if self.unavailable {
            previous
        } else {
            VerificationStatus::Verified
        }
    }
}

const TOKEN_OBTAINED: &str = "An access token was obtained.";

impl GoogleConnections {
    /// Runs the checks through credential `cred` of `org` and records status and report.
    pub async fn verify(
        &self,
        org: &OrgId,
        cred: &CredentialId,
    ) -> Result<(Credential, Report), StoreError> {
        let mut checks = Checks {
            checks: Vec::new(),
            reconnect: false,
            failed: false,
            unavailable: false,
            cred: cred.clone(),
        };
        let (previous, token) = match self.open(org, cred).await {
            Ok(secrets) => (
                secrets.credential.verification_status,
                self.fresh_token(org, cred, &secrets).await,
            ),
            Err(AccessError::Store(error)) => return Err(error),
            Err(error) => (VerificationStatus::Unverified, Err(error)),
        };
        let client = self.client.clone();
        let token = match token {
            Err(AccessError::Store(error)) => return Err(error),
            Err(error) => {
                checks.fail("token", &error);
                checks.skip_rest(&["calendar_list", "primary_writable"]);
                None
            }
            Ok(token) => {
                let list = self
                    .calendar_call(org, cred, token.clone(), |t| {
                        let client = client.clone();
                        async move { client.calendar_list(&t, 10, None).await }
                    })
                    .await;
                match list {
                    Err(CallFailure::Token(AccessError::Store(error)))
                    | Err(CallFailure::Call(AccessError::Store(error))) => return Err(error),
                    // The stored token was refused and no new one could be had: the token
                    // check failed, whatever the first attempt suggested.
                    Err(CallFailure::Token(error)) => {
                        checks.fail("token", &error);
                        checks.skip_rest(&["calendar_list", "primary_writable"]);
                        None
                    }
                    Ok((page, used, renewed)) => {
                        checks.pass(
                            "token",
                            if renewed {
                                "The stored access token was no longer accepted; a new one was obtained.".to_owned()
                            } else {
                                TOKEN_OBTAINED.to_owned()
                            },
                        );
                        let primary = page.items.iter().find(|c| c.primary);
                        checks.pass(
                            "calendar_list",
                            format!(
                                "{} calendar(s) reachable; primary: {}.",
                                page.items.len(),
                                primary.map_or("none listed", |c| c.summary.as_str())
                            ),
                        );
                        Some(used)
                    }
                    Err(CallFailure::Call(AccessError::Google(
                        google::Error::ScopeInsufficient,
                    ))) => {
                        checks.pass("token", TOKEN_OBTAINED.to_owned());
                        checks.skip(
                            "calendar_list",
                            "The calendar-list permission was not granted; bookings go to the primary calendar.".to_owned(),
                        );
                        Some(token)
                    }
                    Err(CallFailure::Call(error)) => {
                        checks.pass("token", TOKEN_OBTAINED.to_owned());
                        checks.fail("calendar_list", &error);
                        Some(token)
                    }
                }
            }
        };
        if let Some(token) = token {
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
                    Ok((primary, _, _)) => checks.pass(
                        "primary_writable",
                        format!(
                            "The primary calendar \"{}\" takes bookings (role: {}).",
                            primary.summary, primary.access_role
                        ),
                    ),
                    Err(CallFailure::Token(AccessError::Store(error)))
                    | Err(CallFailure::Call(AccessError::Store(error))) => return Err(error),
                    Err(CallFailure::Token(error) | CallFailure::Call(error)) => {
                        checks.fail("primary_writable", &error);
                    }
                }
            }
        }
        let status = checks.status(previous);
        let report = Report {
            status,
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
    /// once and the call tried once more. Returns the result, the token that worked, and whether
    /// it had to be renewed.
    async fn calendar_call<T, F, Fut>(
        &self,
        org: &OrgId,
        cred: &CredentialId,
        token: SecretString,
        call: F,
    ) -> Result<(T, SecretString, bool), CallFailure>
    where
        F: Fn(SecretString) -> Fut,
        Fut: Future<Output = Result<T, google::Error>>,
    {
        match self.backoff.retry(|| call(token.clone())).await {
            Ok(value) => Ok((value, token, false)),
            Err(google::Error::Unauthenticated) => {
                let secrets = self.open(org, cred).await.map_err(CallFailure::Token)?;
                let token = self
                    .refresh(org, cred, &secrets)
                    .await
                    .map_err(CallFailure::Token)?;
                let value = self
                    .backoff
                    .retry(|| call(token.clone()))
                    .await
                    .map_err(|e| CallFailure::Call(AccessError::Google(e)))?;
                Ok((value, token, true))
            }
            Err(error) => Err(CallFailure::Call(AccessError::Google(error))),
        }
    }
}
