//! `GET /oauth/google/callback`: Google sends the clinic's browser here after the consent page.
//!
//! A person is redirected to the dashboard on success and when the consent itself was refused
//! (`?google=refused&reason=<code>`, the same codes as the JSON errors); a link that is not one of
//! ours or no longer valid gets a plain HTML page; an API client that sends `Accept: application/json` gets our JSON error shape or
//! `{"credential": …}`. Nothing is stored unless the state is good, the code exchanges and the
//! calendar scope was granted.

use askama::Template;
use axum::Json;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::super::AppState;
use super::super::credentials::wire::CredentialOut;
use super::super::error::{ApiError, ErrorBody, ErrorDetail};
use super::super::request_id;
use crate::calendar::{self, CompleteError, ConnectError, ConsentAnswer};
use crate::google::{self, ErrorKind};
use crate::google_connection::NOT_CONFIGURED;
use crate::store::StateRefusal;
use crate::tenant::Caller;

/// The parameters Google adds to the redirect (others, like `authuser`, are ignored).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CallbackQuery {
    /// The authorization code (on success).
    pub code: Option<String>,
    /// The single-use state Voxanne put in the authorization URL.
    pub state: Option<String>,
    /// The scopes the person granted, space-separated.
    pub scope: Option<String>,
    /// `access_denied` when the person declined.
    pub error: Option<String>,
}

/// The answer to an API client.
#[derive(Debug, Serialize, ToSchema)]
pub struct GoogleConnectedOut {
    /// The connected (and verified) Google Calendar credential.
    pub credential: CredentialOut,
}

#[derive(Template)]
#[template(
    ext = "html",
    source = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }} - Voxanne</title></head>
<body>
<h1>{{ title }}</h1>
<p>{{ message }}</p>
{% if let Some(hint) = hint %}<p>{{ hint }}</p>{% endif %}
<p><a href="{{ dashboard }}">Back to the dashboard</a></p>
<p><small>Reference: {{ request_id }}</small></p>
</body></html>"#
)]
struct RefusalPage<'a> {
    title: &'a str,
    message: &'a str,
    hint: Option<&'a str>,
    dashboard: &'a str,
    request_id: &'a str,
}

/// A refusal, shown as a page or as JSON.
struct Refusal {
    status: StatusCode,
    code: &'static str,
    message: String,
    hint: Option<String>,
}

fn refusal(status: StatusCode, code: &'static str, message: &str, hint: &str) -> Refusal {
    Refusal {
        status,
        code,
        message: message.to_owned(),
        hint: Some(hint.to_owned()),
    }
}

const START_AGAIN: &str = "Start connecting Google Calendar again from the dashboard; each link works once, for 10 minutes.";

impl Refusal {
    fn from_connect(error: &ConnectError) -> Self {
        let bad = StatusCode::BAD_REQUEST;
        match error {
            ConnectError::State(StateRefusal::Unknown) => refusal(
                bad,
                "unknown_state",
                "This connect link was not issued by Voxanne, or it is too old to be recognised. Nothing was stored.",
                START_AGAIN,
            ),
            ConnectError::State(StateRefusal::Reused) => refusal(
                bad,
                "state_reused",
                "This connect link has already been used. Nothing more was stored.",
                START_AGAIN,
            ),
            ConnectError::State(StateRefusal::Expired) => refusal(
                bad,
                "state_expired",
                "This connect link has expired. Nothing was stored.",
                START_AGAIN,
            ),
            ConnectError::State(StateRefusal::Foreign) => refusal(
                bad,
                "foreign_state",
                "This connect link belongs to another organization than the API key you sent. Nothing was stored.",
                "Complete the connect with the API key of the organization that started it.",
            ),
            ConnectError::Denied { .. } => refusal(
                bad,
                "access_denied",
                "Google Calendar was not connected: access was declined on Google's page. Nothing was stored.",
                "To connect it, start again and choose Continue on Google's page.",
            ),
            ConnectError::MissingCode => refusal(
                bad,
                "missing_code",
                "Google's answer carries no authorization code. Nothing was stored.",
                START_AGAIN,
            ),
            ConnectError::ScopesNotGranted(_) => refusal(
                bad,
                "calendar_permission_not_granted",
                "Google Calendar was not connected: the permission to see and edit calendar events was not granted (its box was unticked on Google's page). Nothing was stored, and a calendar already connected with this Google account keeps working.",
                "Connect again and tick the calendar boxes on Google's page.",
            ),
            ConnectError::AccountMismatch { expected, actual } => Refusal {
                status: StatusCode::CONFLICT,
                code: "google_account_mismatch",
                message: match actual {
                    Some(actual) => format!(
                        "This connection belongs to the Google account {expected}, but Google's page was completed with {actual}. Nothing was stored."
                    ),
                    None => format!(
                        "This connection belongs to the Google account {expected}, and Google could not confirm which account was used. Nothing was stored."
                    ),
                },
                hint: Some(format!(
                    "Reconnect and sign in as {expected} on Google's page; to add another Google account's calendar, connect without `credential_id`."
                )),
            },
            ConnectError::CredentialGone => refusal(
                bad,
                "credential_gone",
                "The Google Calendar connection being renewed was deleted meanwhile. Nothing was stored.",
                "Start a new connection from the dashboard.",
            ),
            ConnectError::NoRefreshToken => refusal(
                StatusCode::BAD_GATEWAY,
                "no_refresh_token",
                "Google did not issue a long-lived token, so the connection could not last. Nothing was stored.",
                "Remove Voxanne from the Google account's third-party access page, then connect again.",
            ),
            ConnectError::Exchange(google::Error::InvalidGrant { .. }) => refusal(
                bad,
                "code_rejected",
                "Google refused the authorization code (it expired or was already used). Nothing was stored.",
                START_AGAIN,
            ),
            ConnectError::Exchange(error) if error.kind() == ErrorKind::Transient => refusal(
                StatusCode::SERVICE_UNAVAILABLE,
                "google_unavailable",
                "Google did not answer properly. Nothing was stored.",
                "Wait a few minutes, then start again.",
            ),
            ConnectError::Exchange(error) => {
                tracing::error!(error = %error, "Google code exchange failed");
                refusal(
                    StatusCode::BAD_GATEWAY,
                    "google_error",
                    "Google refused to complete the connection. Nothing was stored.",
                    "Ask the operator to check the server's Google OAuth client settings and logs.",
                )
            }
            // Answered by the handler through `ApiError`; kept total for safety.
            ConnectError::Store(_) => refusal(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_error",
                "Something went wrong on our side; nothing you did caused it.",
                "Retry; if it persists, report the reference below.",
            ),
        }
    }

    fn from_api(error: ApiError) -> Self {
        let status = error.status();
        if status.is_server_error() {
            tracing::error!(error = %error, "Google connect callback failed");
        }
        Refusal {
            status,
            code: if status.is_server_error() {
                "internal_error"
            } else {
                "refused"
            },
            message: if status.is_server_error() {
                "Something went wrong on our side; nothing you did caused it.".to_owned()
            } else {
                "The request was refused.".to_owned()
            },
            hint: Some("Retry; if it persists, report the reference below.".to_owned()),
        }
    }

    fn respond(self, json: bool, dashboard: &str) -> Response {
        let request_id = request_id::current().unwrap_or_default();
        if json {
            let body = ErrorBody {
                error: ErrorDetail {
                    code: self.code.to_owned(),
                    message: self.message,
                    field: None,
                    hint: self.hint,
                    twilio_code: None,
                    request_id,
                },
            };
            return (self.status, Json(body)).into_response();
        }
        let page = RefusalPage {
            title: "Google Calendar was not connected",
            message: &self.message,
            hint: self.hint.as_deref(),
            dashboard,
            request_id: &request_id,
        };
        match page.render() {
            Ok(html) => (self.status, Html(html)).into_response(),
            Err(error) => {
                tracing::error!(%error, "rendering the callback page failed");
                (self.status, self.message).into_response()
            }
        }
    }
}

fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains("application/json"))
}

/// `dashboard` with `pairs` appended to its query.
fn with_query(dashboard: &str, pairs: &[(&str, &str)]) -> String {
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    let separator = if dashboard.contains('?') { '&' } else { '?' };
    format!("{dashboard}{separator}{query}")
}

/// Google's redirect back after the consent page.
///
/// Checks the single-use state (unknown, reused, expired or another organization's: 400),
/// exchanges the code with the PKCE verifier, checks that the calendar scope was granted
/// (otherwise 400 and nothing stored, and no grant revoked), stores the tokens encrypted as a
/// `google_calendar` credential (or renews the one being re-authorized, or the organization's
/// existing connection of the same Google account; a re-authorization completed with another
/// Google account is refused with 409 `google_account_mismatch`), verifies it, and redirects to the
/// dashboard with `?google=connected`. With `Accept: application/json` it answers
/// `{"credential": …}` instead; an API key sent along must belong to the state's organization.
#[utoipa::path(get, path = "/oauth/google/callback", tag = "credentials",
    params(CallbackQuery),
    responses(
        (status = 200, description = "Connected (with `Accept: application/json`)", body = GoogleConnectedOut),
        (status = 303, description = "Connected: redirect to the dashboard with `?google=connected&credential_id=…`; or, for a browser whose consent was refused (declined, calendar box unticked, code refused by Google), `?google=refused&reason=<error code>`",
            headers(("location" = String, description = "The dashboard URL"))),
        (status = 400, description = "Refused: unknown, reused, expired or foreign state; access declined; calendar scope not granted. Nothing stored.",
            content((ErrorBody = "application/json"), (String = "text/html"))),
        (status = 401, description = "An API key was sent and is not valid", body = ErrorBody),
        (status = 409, description = "`google_account_mismatch`: a re-authorization was completed with another Google account than the connection's. Nothing stored.",
            content((ErrorBody = "application/json"), (String = "text/html"))),
        (status = 429, description = "Rate limit of the API key sent", body = ErrorBody),
        (status = 502, description = "Google refused to complete the connection",
            content((ErrorBody = "application/json"), (String = "text/html"))),
        (status = 503, description = "Google is unavailable, or not configured on this server",
            content((ErrorBody = "application/json"), (String = "text/html"))),
    ))]
pub async fn callback(State(state): State<AppState>, request: Request) -> Response {
    let (mut parts, _) = request.into_parts();
    let json = wants_json(&parts.headers);
    let dashboard = state.dashboard_url.clone();
    let refuse = |r: Refusal| r.respond(json, &dashboard);
    let caller = if parts.headers.contains_key(header::AUTHORIZATION) {
        match Caller::from_request_parts(&mut parts, &state).await {
            Ok(caller) => Some(caller),
            Err(error) => return error.into_response(),
        }
    } else {
        None
    };
    let query: CallbackQuery =
        serde_urlencoded::from_str(parts.uri.query().unwrap_or_default()).unwrap_or_default();
    let source_ip = parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|info| info.0.ip());
    let answer = ConsentAnswer {
        state: query.state,
        code: query.code,
        error: query.error,
        source_ip,
    };
    let finished = calendar::complete(&state.services, answer, caller.as_ref()).await;
    match finished {
        Ok(credential) if json => Json(GoogleConnectedOut {
            credential: CredentialOut::from(&credential),
        })
        .into_response(),
        Ok(credential) => {
            let target = with_query(
                &dashboard,
                &[
                    ("google", "connected"),
                    ("credential_id", credential.id.as_str()),
                ],
            );
            (StatusCode::SEE_OTHER, [(header::LOCATION, target)]).into_response()
        }
        Err(CompleteError::NotConfigured) => refuse(refusal(
            StatusCode::SERVICE_UNAVAILABLE,
            "not_configured",
            NOT_CONFIGURED,
            "Ask the operator of this Voxanne server to set these settings and restart it.",
        )),
        Err(CompleteError::MissingState) => refuse(refusal(
            StatusCode::BAD_REQUEST,
            "missing_state",
            "This address was opened without the state Voxanne gave Google. Nothing was stored.",
            START_AGAIN,
        )),
        Err(CompleteError::Connect(ConnectError::Store(error))) => {
            let api = ApiError::from(error);
            if json {
                api.into_response()
            } else {
                refuse(Refusal::from_api(api))
            }
        }
        Err(CompleteError::Connect(error)) if !json && came_from_consent(&error) => {
            // A person who went through Google's page returns to where they started, which says
            // why in its own words; the address carries only the reason's code.
            let refusal = Refusal::from_connect(&error);
            let target = with_query(
                &dashboard,
                &[("google", "refused"), ("reason", refusal.code)],
            );
            (StatusCode::SEE_OTHER, [(header::LOCATION, target)]).into_response()
        }
        Err(CompleteError::Connect(error)) => refuse(Refusal::from_connect(&error)),
    }
}

/// Whether the refusal is an outcome of a real consent (declined, a box unticked, Google refusing
/// the code) rather than a link that is not one of ours or no longer valid, which gets a page of
/// its own (it may not come from a flow the dashboard started). Another Google account than the
/// connection's also gets its own page: it names both accounts, which an address should not carry.
fn came_from_consent(error: &ConnectError) -> bool {
    !matches!(
        error,
        ConnectError::State(_) | ConnectError::Store(_) | ConnectError::AccountMismatch { .. }
    )
}
