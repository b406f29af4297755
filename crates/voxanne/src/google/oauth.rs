//! The OAuth 2.0 protocol side of [`GoogleClient`]: the authorization URL with PKCE, the code
//! exchange and refresh through the `oauth2` crate, and revocation.

use std::fmt;
use std::time::Duration;

use oauth2::basic::{BasicErrorResponse, BasicErrorResponseType};
use oauth2::{
    AuthorizationCode, CsrfToken, PkceCodeChallenge, PkceCodeVerifier, RefreshToken,
    RequestTokenError, Scope, TokenResponse,
};
use secrecy::{ExposeSecret, SecretString};
use url::Url;

use super::transport::{self, TransportError};
use super::{Error, GoogleClient, scopes};

/// The PKCE `code_verifier` of one authorization request. Keep it (encrypted) with the `state`
/// until the callback; it proves the code is redeemed by whoever started the flow.
pub struct PkceVerifier(SecretString);

impl PkceVerifier {
    pub fn new(verifier: SecretString) -> Self {
        Self(verifier)
    }

    /// The verifier's text, for storing it encrypted until the callback.
    pub fn secret(&self) -> &SecretString {
        &self.0
    }
}

impl fmt::Debug for PkceVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PkceVerifier([REDACTED])")
    }
}

/// Tokens from the token endpoint. Google sends a refresh token only on the first consent of a
/// user to a client, or again when `prompt=consent` forced the consent screen; refreshes never
/// carry one (keep the old one).
#[derive(Debug)]
pub struct TokenSet {
    pub access_token: SecretString,
    pub refresh_token: Option<SecretString>,
    /// Lifetime of the access token as Google stated it (`expires_in`), if it did.
    pub expires_in: Option<Duration>,
    /// The scopes actually granted: check them with [`scopes::check_scopes`].
    pub scopes: Vec<String>,
}

/// The outcome of a revocation that did not fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Revoked {
    /// Google revoked the grant now.
    Revoked,
    /// Google did not know the token (`invalid_token`): it was revoked or expired already.
    AlreadyInvalid,
}

type TokenError = RequestTokenError<TransportError, BasicErrorResponse>;

impl GoogleClient {
    /// The URL to send the clinic's browser to. Asks for offline access (a refresh token) and
    /// forces the consent screen (`prompt=consent`) so that re-connecting an account that
    /// consented before still yields a new refresh token. `state` must be single-use and bound to
    /// the organization; `login_hint` pre-selects the Google account when known.
    pub fn authorization_url(&self, state: &str, login_hint: Option<&str>) -> (Url, PkceVerifier) {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let state = CsrfToken::new(state.to_owned());
        let mut request = self
            .oauth
            .authorize_url(move || state)
            .add_scopes(
                scopes::REQUESTED
                    .iter()
                    .map(|s| Scope::new((*s).to_owned())),
            )
            .set_pkce_challenge(challenge)
            .add_extra_param("access_type", "offline")
            .add_extra_param("prompt", "consent");
        if let Some(hint) = login_hint {
            request = request.add_extra_param("login_hint", hint.to_owned());
        }
        let (url, _) = request.url();
        (
            url,
            PkceVerifier(SecretString::from(verifier.into_secret())),
        )
    }

    /// Redeems the authorization code from the callback. Check the returned scopes before
    /// storing anything: the person may have unticked the calendar box.
    pub async fn exchange_code(
        &self,
        code: &str,
        verifier: &PkceVerifier,
    ) -> Result<TokenSet, Error> {
        let http = |request| transport::send(self.http.clone(), request);
        let response = self
            .oauth
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            // Reason: the verifier goes into the token request body, nowhere else.
            .set_pkce_verifier(PkceCodeVerifier::new(verifier.0.expose_secret().to_owned()))
            .request_async(&http)
            .await
            .map_err(token_error)?;
        Ok(token_set(&response))
    }

    /// A new access token from the refresh token. `invalid_grant` (revoked, expired, or the
    /// account's tokens reset) is [`ErrorKind::NeedsReconnect`](super::ErrorKind); 5xx and
    /// network failures are transient (see [`super::Backoff`]).
    pub async fn refresh(&self, refresh_token: &SecretString) -> Result<TokenSet, Error> {
        let http = |request| transport::send(self.http.clone(), request);
        // Reason: the refresh token is sent to the token endpoint, which is its purpose.
        let token = RefreshToken::new(refresh_token.expose_secret().to_owned());
        let response = self
            .oauth
            .exchange_refresh_token(&token)
            .request_async(&http)
            .await
            .map_err(token_error)?;
        Ok(token_set(&response))
    }

    /// Revokes the grant behind `token` (refresh or access token; Google revokes the whole grant
    /// either way). A token Google does not know counts as already revoked, not as an error.
    ///
    /// Sent with reqwest directly: oauth2 5 refuses revocation URLs that are not HTTPS, which
    /// rules out the local stand-in, and the request is one form field.
    pub async fn revoke(&self, token: &SecretString) -> Result<Revoked, Error> {
        let response = self
            .http
            .post(self.config.revoke_url.clone())
            // Reason: sent to Google's revoke endpoint, its one legitimate destination.
            .form(&[("token", token.expose_secret())])
            .send()
            .await
            .map_err(Error::Network)?;
        let status = response.status();
        if status.is_success() {
            return Ok(Revoked::Revoked);
        }
        if status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS {
            let retry_after = transport::retry_after(response.headers());
            return Err(Error::Unavailable {
                status: status.as_u16(),
                retry_after,
            });
        }
        let body: OAuthErrorBody =
            response
                .json()
                .await
                .map_err(|source| Error::UnexpectedResponse {
                    detail: format!("unreadable revoke endpoint answer (HTTP {status})"),
                    source: Some(Box::new(source)),
                })?;
        if body.error == "invalid_token" {
            return Ok(Revoked::AlreadyInvalid);
        }
        Err(oauth_error(body.error, body.error_description))
    }
}

/// Google's OAuth error body, `{"error","error_description"}`.
#[derive(serde::Deserialize)]
struct OAuthErrorBody {
    error: String,
    error_description: Option<String>,
}

fn token_set(response: &oauth2::basic::BasicTokenResponse) -> TokenSet {
    TokenSet {
        access_token: SecretString::from(response.access_token().secret().to_owned()),
        refresh_token: response
            .refresh_token()
            .map(|t| SecretString::from(t.secret().to_owned())),
        expires_in: response.expires_in(),
        scopes: response
            .scopes()
            .map(|s| s.iter().map(|s| s.to_string()).collect())
            .unwrap_or_default(),
    }
}

fn token_error(error: TokenError) -> Error {
    match error {
        RequestTokenError::ServerResponse(response) => {
            let description = response.error_description().cloned();
            match response.error() {
                BasicErrorResponseType::InvalidGrant => Error::InvalidGrant {
                    description: description.unwrap_or_else(|| "invalid_grant".into()),
                },
                BasicErrorResponseType::InvalidClient
                | BasicErrorResponseType::UnauthorizedClient => Error::ClientRejected {
                    error: response.error().to_string(),
                },
                other => oauth_error(other.to_string(), description),
            }
        }
        other => request_failure(other),
    }
}

/// Transport and parse failures of a token request.
fn request_failure<T: oauth2::ErrorResponse + 'static>(
    error: RequestTokenError<TransportError, T>,
) -> Error {
    match error {
        RequestTokenError::Request(TransportError::Network(source)) => Error::Network(source),
        RequestTokenError::Request(TransportError::Unavailable {
            status,
            retry_after,
        }) => Error::Unavailable {
            status,
            retry_after,
        },
        RequestTokenError::Request(other) => Error::UnexpectedResponse {
            detail: "the OAuth request failed".into(),
            source: Some(Box::new(other)),
        },
        RequestTokenError::Parse(source, _) => Error::UnexpectedResponse {
            detail: "unreadable token endpoint response".into(),
            source: Some(Box::new(source)),
        },
        RequestTokenError::Other(detail) => Error::unexpected(detail),
        RequestTokenError::ServerResponse(response) => oauth_error(response.to_string(), None),
    }
}

fn oauth_error(error: String, description: Option<String>) -> Error {
    match error.as_str() {
        "invalid_client" | "unauthorized_client" => Error::ClientRejected { error },
        _ => Error::OAuth { error, description },
    }
}
