//! A clinic's Google Calendar connection, from consent to revocation: the connect flow (state,
//! PKCE, code exchange, scope check), the stored tokens kept fresh, verification, and revocation.
//!
//! Built on [`crate::google`] (the protocol) and the store (tokens sealed as a `google_calendar`
//! credential). The calendar use cases ([`crate::calendar`]) drive it, and the demo connects a
//! calendar in-process through [`demo`].

mod account;
pub mod demo;
mod tokens;
mod verify;

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, TimeDelta, Utc};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use url::Url;

pub use self::tokens::{AccessError, Revocation};
use crate::config::server::{ServeError, ServerSettings, http_url};
use crate::google::{self, Backoff, GoogleClient, GoogleConfig, PkceVerifier, TokenSet};
use crate::ids::{CredentialId, OrgId};
use crate::store::{
    ActorKind, Credential, CredentialDisplay, CredentialPatch, CredentialType, NewCredential,
    SecretField, SecretValue, StateRefusal, Store, StoreError,
};

/// Path of the OAuth callback on Voxanne's public URL; register `{public_url}` + this in the
/// Google Cloud console.
pub const CALLBACK_PATH: &str = "/oauth/google/callback";

/// How long a connect link (its `state`) stays valid.
pub const STATE_TTL: TimeDelta = TimeDelta::minutes(10);

/// Access tokens with less than this left are refreshed before use.
pub const REFRESH_MARGIN: TimeDelta = TimeDelta::minutes(5);

/// What the server answers when Google is not configured, naming every setting involved.
pub const NOT_CONFIGURED: &str = "Google Calendar is not configured on this server: set VOXANNE_GOOGLE_CLIENT_ID, VOXANNE_GOOGLE_CLIENT_SECRET and VOXANNE_PUBLIC_URL (Google redirects to {VOXANNE_PUBLIC_URL}/oauth/google/callback, which must be registered with the OAuth client).";

/// Google Calendar support as configured at start-up.
#[derive(Clone, Debug)]
pub enum GoogleSetup {
    Ready(std::sync::Arc<GoogleConnections>),
    /// Some setting is missing; the endpoints answer 503 with [`NOT_CONFIGURED`].
    NotConfigured,
}

impl GoogleSetup {
    pub fn ready(&self) -> Option<&GoogleConnections> {
        match self {
            Self::Ready(connections) => Some(connections.as_ref()),
            Self::NotConfigured => None,
        }
    }
}

/// Google Calendar connections of every organization: one per server, cheap to clone.
#[derive(Clone)]
pub struct GoogleConnections {
    pub store: Store,
    pub client: GoogleClient,
    /// Retry schedule for transient Google failures during refresh and verification.
    pub backoff: Backoff,
}

impl fmt::Debug for GoogleConnections {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GoogleConnections")
            .field("client", &self.client)
            .finish_non_exhaustive()
    }
}

/// A finished connect: the stored, verified credential, and who started the connect (for the
/// audit log: Google's redirect carries no credentials of ours).
#[derive(Debug)]
pub struct Connected {
    pub credential: Credential,
    pub started_by: Option<(ActorKind, String)>,
}

/// Why a connect callback does not end in a stored credential. Nothing is stored in any case.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("the connect link is not valid ({0:?})")]
    State(StateRefusal),
    #[error("access to Google Calendar was declined on Google's consent page")]
    Denied { error: String },
    #[error("Google's answer carries no authorization code")]
    MissingCode,
    #[error("Google did not grant calendar access")]
    ScopesNotGranted(#[source] google::Error),
    #[error("Google returned no refresh token, so the connection could not last")]
    NoRefreshToken,
    #[error("the credential to re-authorize no longer exists")]
    CredentialGone,
    /// Re-authorizing a credential with another Google account than the one it was made with.
    #[error("the Google account used is not the one this connection belongs to")]
    AccountMismatch {
        expected: String,
        actual: Option<String>,
    },
    #[error("the authorization code could not be exchanged")]
    Exchange(#[source] google::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl GoogleConnections {
    /// Google support from the server settings: `Ok(NotConfigured)` when the client id, secret or
    /// public URL is missing, an error when a URL is malformed.
    pub fn from_settings(
        server: &ServerSettings,
        store: Store,
        public_url: Option<&str>,
    ) -> Result<GoogleSetup, ServeError> {
        let (Some(client_id), Some(secret), Some(public)) = (
            server.google_client_id.as_deref().filter(|v| !v.is_empty()),
            server.google_client_secret.clone(),
            public_url,
        ) else {
            if server.google_client_id.is_some() || server.google_client_secret.is_some() {
                tracing::warn!("{NOT_CONFIGURED}");
            }
            return Ok(GoogleSetup::NotConfigured);
        };
        let redirect = http_url(
            "VOXANNE_PUBLIC_URL (--public-url)",
            &format!("{public}{CALLBACK_PATH}"),
        )?;
        let config = match &server.google_base_url {
            Some(base) => {
                http_url("VOXANNE_GOOGLE_BASE_URL (--google-base-url)", base)?;
                GoogleConfig::sandbox(base, client_id, secret, redirect)
            }
            None => GoogleConfig::google(client_id, secret, redirect),
        }
        .map_err(ServeError::Google)?;
        let client = GoogleClient::new(config).map_err(ServeError::Google)?;
        Ok(GoogleSetup::Ready(std::sync::Arc::new(Self {
            store,
            client,
            backoff: Backoff::default(),
        })))
    }

    /// Starts a connect: a single-use state bound to `org` (and to `credential` when
    /// re-authorizing it), stored hashed with the PKCE verifier sealed. Returns the URL to send
    /// the clinic's browser to and when it stops working.
    pub async fn start(
        &self,
        org: &OrgId,
        credential: Option<&CredentialId>,
        login_hint: Option<&str>,
        started_by: (ActorKind, &str),
    ) -> Result<(Url, DateTime<Utc>), StoreError> {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        let state = SecretString::from(URL_SAFE_NO_PAD.encode(bytes));
        // Reason: the state goes into the authorization URL the clinic's browser follows.
        let (url, verifier) = self
            .client
            .authorization_url(state.expose_secret(), login_hint);
        let expires_at = self
            .store
            .create_oauth_state(
                org,
                &state,
                credential,
                verifier.secret(),
                STATE_TTL,
                started_by,
            )
            .await?;
        tracing::info!(org_id = %org, reauthorize = credential.is_some(), "Google connect started");
        Ok((url, expires_at))
    }

    /// Finishes a connect from the callback's parameters. `caller` is the organization of the API
    /// key sent with the callback, if any (a state of another organization is refused).
    pub async fn finish(
        &self,
        state: &str,
        code: Option<&str>,
        error: Option<&str>,
        caller: Option<&OrgId>,
    ) -> Result<Connected, ConnectError> {
        let redeemed = self
            .store
            .redeem_oauth_state(state, caller)
            .await?
            .map_err(ConnectError::State)?;
        let org = &redeemed.org_id;
        let started_by = redeemed.started_by;
        if let Some(error) = error {
            tracing::info!(org_id = %org, error, "Google connect declined");
            return Err(ConnectError::Denied {
                error: error.to_owned(),
            });
        }
        let code = code
            .filter(|c| !c.is_empty())
            .ok_or(ConnectError::MissingCode)?;
        let verifier = PkceVerifier::new(redeemed.verifier);
        let tokens = self
            .client
            .exchange_code(code, &verifier)
            .await
            .map_err(ConnectError::Exchange)?;
        if let Err(missing) = google::check_scopes(&tokens.scopes) {
            // Never revoked: Google revokes per user and client, so giving this partial grant
            // back would also cut off a working connection of the same Google account. The next
            // consent replaces it.
            tracing::info!(org_id = %org, "Google connect refused: calendar scope not granted");
            return Err(ConnectError::ScopesNotGranted(missing));
        }
        let Some(refresh_token) = tokens.refresh_token.clone() else {
            return Err(ConnectError::NoRefreshToken);
        };
        let google_email = self.account_email(&tokens.access_token).await;
        let target = self
            .connect_target(
                org,
                redeemed.credential_id.as_ref(),
                google_email.as_deref(),
            )
            .await?;
        let display = CredentialDisplay {
            google_email,
            calendar_id: Some("primary".to_owned()),
            ..CredentialDisplay::default()
        };
        let secrets = vec![
            SecretValue::new(SecretField::RefreshToken, refresh_token),
            access_secret(&tokens),
        ];
        let credential = match &target {
            Some(id) => {
                let patch = CredentialPatch {
                    display: Some(display),
                    secrets: Some(secrets),
                    ..CredentialPatch::default()
                };
                match self.store.patch_credential(org, id, patch).await {
                    Err(StoreError::NotFound { .. }) => return Err(ConnectError::CredentialGone),
                    other => other?,
                }
            }
            None => {
                let new = NewCredential {
                    kind: CredentialType::GoogleCalendar,
                    label: "Google Calendar".to_owned(),
                    display,
                    secrets,
                };
                self.store.insert_credential(org, new).await?
            }
        };
        tracing::info!(org_id = %org, credential_id = %credential.id, "Google Calendar connected");
        let credential = self.verify(org, &credential.id).await?.0;
        Ok(Connected {
            credential,
            started_by,
        })
    }

    /// The Google account's email: Google names the primary calendar after it. Best effort.
    async fn account_email(&self, access_token: &SecretString) -> Option<String> {
        let client = self.client.clone();
        let primary = self
            .backoff
            .retry(|| client.probe_primary_writable(access_token))
            .await
            .ok()?;
        primary.summary.contains('@').then_some(primary.summary)
    }
}

/// The access token of a token response as a secret with its expiry (Google's `expires_in`,
/// one hour when it gives none).
fn access_secret(tokens: &TokenSet) -> SecretValue {
    let lifetime = tokens
        .expires_in
        .and_then(|d| TimeDelta::from_std(d).ok())
        .unwrap_or(TimeDelta::hours(1));
    SecretValue {
        field: SecretField::AccessToken,
        value: tokens.access_token.clone(),
        expires_at: Some(Utc::now() + lifetime),
    }
}
