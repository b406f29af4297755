//! The clinic's Google Calendar connection: start connecting (Google's consent page), complete it
//! when Google sends the browser back, and disconnect. The OAuth mechanics (state, PKCE, token
//! exchange, scope check, refresh, revocation) are [`crate::google_connection`]'s; these are the
//! rules a front door calls.

use chrono::{DateTime, Utc};
use url::Url;

use crate::activity::{self, ActorKind, AuditAction};
use crate::credentials::{self, CredentialError};
use crate::field::FieldError;
pub use crate::google_connection::ConnectError;
use crate::google_connection::{GoogleConnections, Revocation};
use crate::ids::CredentialId;
use crate::services::Services;
use crate::store::{Credential, CredentialType, StoreError};
use crate::tenant::Caller;

/// Longest e-mail address accepted as a login hint (RFC 5321's limit).
const MAX_LOGIN_HINT: usize = 320;

/// Where to start, as given.
#[derive(Debug, Clone, Default)]
pub struct ConnectRequest {
    /// Re-authorize this existing connection (e.g. one that needs a reconnect) instead of
    /// connecting a new one.
    pub credential_id: Option<String>,
    /// The Google account's e-mail, to preselect it on Google's page.
    pub login_hint: Option<String>,
}

/// Google's consent page for this connection, and when the link stops working.
#[derive(Debug, Clone)]
pub struct ConnectLink {
    pub url: Url,
    pub expires_at: DateTime<Utc>,
}

/// What Google added to the browser's way back.
#[derive(Debug, Clone, Default)]
pub struct ConsentAnswer {
    pub state: Option<String>,
    pub code: Option<String>,
    pub error: Option<String>,
    /// The address the browser came back from, for the audit log.
    pub source_ip: Option<std::net::IpAddr>,
}

/// Why a connection could not be started or disconnected.
#[derive(Debug, thiserror::Error)]
pub enum CalendarError {
    #[error("invalid field `{}`: {}", .0.field, .0.message)]
    Invalid(FieldError),
    #[error("Google Calendar is not configured on this server")]
    NotConfigured,
    #[error("no such credential in this organization")]
    NotFound,
    #[error("the credential is not a Google Calendar connection")]
    NotGoogleCalendar,
    #[error(transparent)]
    Store(StoreError),
    #[error(transparent)]
    Credential(#[from] CredentialError),
}

impl From<StoreError> for CalendarError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound { what: "credential" } => Self::NotFound,
            other => Self::Store(other),
        }
    }
}

/// Why completing a connection stored nothing.
#[derive(Debug, thiserror::Error)]
pub enum CompleteError {
    #[error("Google Calendar is not configured on this server")]
    NotConfigured,
    /// The address was opened without the state Voxanne gave Google.
    #[error("the consent answer carries no state")]
    MissingState,
    #[error(transparent)]
    Connect(#[from] ConnectError),
}

fn connections(services: &Services) -> Result<&GoogleConnections, CalendarError> {
    services.google.ready().ok_or(CalendarError::NotConfigured)
}

/// Starts connecting Google Calendar: a single-use link to Google's consent page, valid for
/// about 10 minutes.
pub async fn connect(
    services: &Services,
    caller: &Caller,
    request: ConnectRequest,
) -> Result<ConnectLink, CalendarError> {
    let login_hint = request.login_hint.as_deref().map(str::trim);
    if let Some(hint) = login_hint
        && (hint.is_empty()
            || hint.chars().count() > MAX_LOGIN_HINT
            || hint.chars().any(char::is_control))
    {
        return Err(CalendarError::Invalid(
            FieldError::new(
                "invalid_login_hint",
                "login_hint",
                "`login_hint` must be an email address of at most 320 characters.",
            )
            .with_hint(
                "Leave `login_hint` out to let the person pick the account on Google's page.",
            ),
        ));
    }
    let credential = request
        .credential_id
        .as_deref()
        .map(|raw| {
            CredentialId::parse(raw).map_err(|err| {
                CalendarError::Invalid(
                    FieldError::new("invalid_credential_id", "credential_id", err.to_string())
                        .with_hint("Use the id of one of the organization's Google Calendar connections, or leave it out to connect a new calendar."),
                )
            })
        })
        .transpose()?;
    let connections = connections(services)?;
    if let Some(id) = &credential {
        let existing = services.store.get_credential(caller.org(), id).await?;
        if existing.kind != CredentialType::GoogleCalendar {
            return Err(CalendarError::NotGoogleCalendar);
        }
    }
    let (actor_kind, actor) = activity::actor_name(&services.store, caller).await;
    let (url, expires_at) = connections
        .start(
            caller.org(),
            credential.as_ref(),
            login_hint,
            (actor_kind, &actor),
        )
        .await?;
    Ok(ConnectLink { url, expires_at })
}

/// Completes a connection from Google's answer: checks the single-use state (and, when the
/// front door knows who is asking, that it is the organization that started it), exchanges the
/// code, stores the tokens sealed, and verifies the connection.
pub async fn complete(
    services: &Services,
    answer: ConsentAnswer,
    caller: Option<&Caller>,
) -> Result<Credential, CompleteError> {
    let connections = services
        .google
        .ready()
        .ok_or(CompleteError::NotConfigured)?;
    let state = answer
        .state
        .as_deref()
        .filter(|s| !s.is_empty())
        .ok_or(CompleteError::MissingState)?;
    let connected = connections
        .finish(
            state,
            answer.code.as_deref(),
            answer.error.as_deref(),
            caller.map(Caller::org),
        )
        .await?;
    let credential = connected.credential;
    // The one who finished it when the callback carries an API key; otherwise whoever started
    // it (the admin who pressed "Connect Google Calendar"). The connection is made either way: a
    // log that cannot be written is reported, not a reason to throw the tokens away.
    let object = format!(
        "{} ({})",
        credential
            .display
            .google_email
            .as_deref()
            .unwrap_or("Google Calendar"),
        credential.id
    );
    let logged = match (caller, &connected.started_by) {
        (Some(caller), _) => {
            activity::record(
                &services.store,
                caller,
                AuditAction::CalendarConnected,
                &object,
            )
            .await
        }
        (None, started_by) => {
            let (actor_kind, actor) = started_by
                .clone()
                .unwrap_or((ActorKind::Admin, "unknown".to_owned()));
            let by = activity::Recorded {
                org: &credential.org_id,
                actor_kind,
                actor: &actor,
                source_ip: answer.source_ip,
            };
            activity::record_as(&services.store, by, AuditAction::CalendarConnected, &object).await
        }
    };
    if let Err(error) = logged {
        tracing::error!(%error, credential_id = %credential.id, "audit entry for a calendar connection not written");
    }
    Ok(credential)
}

/// Disconnects a Google Calendar connection: the grant is revoked at Google (best effort) and
/// the tokens destroyed.
pub async fn disconnect(
    services: &Services,
    caller: &Caller,
    id: &CredentialId,
) -> Result<Revocation, CalendarError> {
    let credential = services.store.get_credential(caller.org(), id).await?;
    if credential.kind != CredentialType::GoogleCalendar {
        return Err(CalendarError::NotGoogleCalendar);
    }
    credentials::delete(services, caller, id)
        .await?
        .ok_or(CalendarError::NotGoogleCalendar)
}
