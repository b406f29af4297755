//! `GET /api/organization/audit`: the organization's audit log, newest first, paged like
//! `/api/messages` (`limit`, `cursor` → `next_cursor`), filtered by `action`. The rules are
//! [`crate::activity`]'s; an entry never holds a secret.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::error::{ApiError, ErrorBody, FieldError};
use super::query::ApiQuery;
use crate::activity::{self, ActivityError, AuditQuery};
use crate::store::{AuditAction, AuditRecord};
use crate::tenant::Caller;

/// `GET /api/organization/audit` filters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditListQuery {
    /// Only entries of this action, e.g. `credential.added` (empty: every action).
    pub action: Option<String>,
    /// Page size, 1–100 (default 50).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// One change, as the audit log records it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntryOut {
    /// RFC 3339.
    pub at: String,
    /// `admin`, `api_key` or `cli`.
    pub actor_kind: String,
    /// The admin's e-mail, the API key's name, or "CLI".
    pub actor: String,
    /// e.g. `credential.added`, `api_key.revoked`, `settings.updated`.
    pub action: String,
    /// What was changed (a label and an id, an e-mail, a key name).
    pub object: String,
    pub source_ip: Option<String>,
}

/// A page of the audit log, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditListOut {
    pub entries: Vec<AuditEntryOut>,
    /// Pass as `cursor` for the next (older) page; absent on the last page.
    pub next_cursor: Option<String>,
}

impl From<&AuditRecord> for AuditEntryOut {
    fn from(entry: &AuditRecord) -> Self {
        Self {
            at: entry
                .at
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            actor_kind: entry.actor_kind.to_string(),
            actor: entry.actor.clone(),
            action: entry.action.to_string(),
            object: entry.object.clone(),
            source_ip: entry.source_ip.clone(),
        }
    }
}

fn query_of(query: AuditListQuery) -> Result<AuditQuery, ApiError> {
    let given = |value: Option<String>| value.filter(|v| !v.trim().is_empty());
    let action = given(query.action)
        .map(|raw| {
            AuditAction::parse(&raw).map_err(|err| {
                FieldError::new(
                    "invalid_action",
                    "action",
                    format!("`action` is not valid: {err}."),
                )
            })
        })
        .transpose()?;
    let limit = crate::field::page_limit(query.limit)?;
    let before = given(query.cursor)
        .map(|raw| {
            raw.parse::<i64>().map_err(|_| {
                FieldError::new(
                    "invalid_cursor",
                    "cursor",
                    "the cursor is not one this API returned",
                )
                .with_hint("Pass next_cursor from the previous page unchanged.")
            })
        })
        .transpose()?;
    Ok(AuditQuery {
        action,
        before,
        limit,
    })
}

/// The audit log: every change to credentials, settings, API keys and admins, through the
/// dashboard, this API or the CLI; newest first.
#[utoipa::path(get, path = "/api/organization/audit", tag = "organization", operation_id = "list_audit",
    params(AuditListQuery), security(("api_key" = [])),
    responses(
        (status = 200, description = "A page of entries, newest first; `next_cursor` fetches the next", body = AuditListOut),
        (status = 401, description = "Missing, malformed or revoked API key", body = ErrorBody),
        (status = 422, description = "Invalid filter", body = ErrorBody),
        (status = 429, description = "Rate limit of this API key exceeded", body = ErrorBody),
    ))]
pub async fn list(
    caller: Caller,
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<AuditListQuery>,
) -> Result<Json<AuditListOut>, ApiError> {
    let page = activity::list(state.store(), &caller, query_of(query)?)
        .await
        .map_err(|ActivityError::Store(err)| ApiError::from(err))?;
    Ok(Json(AuditListOut {
        entries: page.entries.iter().map(AuditEntryOut::from).collect(),
        next_cursor: page.next.map(|seq| seq.to_string()),
    }))
}

pub fn router() -> Router<AppState> {
    Router::new().route("/api/organization/audit", get(list))
}
