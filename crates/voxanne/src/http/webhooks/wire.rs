//! Wire types of the webhooks API (`…In` requests, `…Out` responses). The signing secret appears
//! only in [`EndpointCreatedOut`] (create and rotate); everywhere else, its last 4 characters.

use chrono::{DateTime, SecondsFormat, Utc};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::store::{WebhookAttempt, WebhookEndpoint};
use crate::webhooks::EndpointWithSecret;

/// `POST /api/organization/webhooks`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateEndpointIn {
    /// Where events are POSTed: `https://…` (plain http only to loopback when the server allows
    /// insecure webhooks). Not called until the first event.
    #[schema(
        example = "https://backend.clinic.example/voxanne/events",
        max_length = 2048
    )]
    pub url: String,
    /// The event types to receive (at least one).
    #[schema(example = json!(["message.sent", "message.delivered", "credential.failed"]))]
    pub events: Vec<String>,
    /// A note for people.
    #[schema(max_length = 500)]
    pub description: Option<String>,
}

/// `PATCH /api/organization/webhooks/{id}`: only the fields given change.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateEndpointIn {
    #[schema(max_length = 2048)]
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    #[schema(max_length = 500)]
    pub description: Option<String>,
    /// `false` stops deliveries (pending ones are canceled); `true` starts afresh an endpoint
    /// Voxanne disabled after it failed for 5 days.
    pub enabled: Option<bool>,
}

/// An endpoint (never its secret).
#[derive(Debug, Serialize, ToSchema)]
pub struct EndpointOut {
    /// `whk_…`
    pub id: String,
    pub url: String,
    pub description: String,
    pub events: Vec<String>,
    pub enabled: bool,
    /// Why Voxanne disabled it, when it did.
    pub disabled_reason: Option<String>,
    /// The last 4 characters of the signing secret.
    pub secret_last4: String,
    /// Until when the previous secret still signs, after a rotation.
    pub previous_secret_expires_at: Option<String>,
    /// Since when every attempt has failed (none: the last one succeeded).
    pub failing_since: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

fn time(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}

impl From<&WebhookEndpoint> for EndpointOut {
    fn from(endpoint: &WebhookEndpoint) -> Self {
        Self {
            id: endpoint.id.to_string(),
            url: endpoint.url.clone(),
            description: endpoint.description.clone(),
            events: endpoint.events.clone(),
            enabled: endpoint.enabled,
            disabled_reason: endpoint.disabled_reason.clone(),
            secret_last4: endpoint.secret_last4.clone(),
            previous_secret_expires_at: endpoint.previous_secret_until.map(time),
            failing_since: endpoint.failing_since.map(time),
            created_at: time(endpoint.created_at),
            updated_at: time(endpoint.updated_at),
        }
    }
}

/// An endpoint just created or whose secret was just rotated, with the signing secret: shown
/// this once, store it now.
#[derive(Debug, Serialize, ToSchema)]
pub struct EndpointCreatedOut {
    #[serde(flatten)]
    pub endpoint: EndpointOut,
    /// `whsec_…`: verify each request's `webhook-signature` with it (Standard Webhooks).
    pub secret: String,
}

impl From<&EndpointWithSecret> for EndpointCreatedOut {
    fn from(created: &EndpointWithSecret) -> Self {
        Self {
            endpoint: EndpointOut::from(&created.endpoint),
            // Shown once, to the caller that just created or rotated it.
            secret: created.secret.expose_secret().to_owned(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EndpointListOut {
    pub webhooks: Vec<EndpointOut>,
}

/// One delivery attempt.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttemptOut {
    /// `wha_…`
    pub id: String,
    /// `evt_…`, the `webhook-id` the attempt carried.
    pub event_id: String,
    /// The HTTP status answered; null when there was none (timeout, refused, no connection).
    pub status_code: Option<u16>,
    pub latency_ms: i64,
    pub at: String,
    /// The first 1 KiB of the response body (or why there was no answer).
    pub response_excerpt: String,
}

impl From<&WebhookAttempt> for AttemptOut {
    fn from(attempt: &WebhookAttempt) -> Self {
        let excerpt = match (&attempt.error, attempt.response_excerpt.is_empty()) {
            (Some(error), true) => error.clone(),
            _ => attempt.response_excerpt.clone(),
        };
        Self {
            id: attempt.id.to_string(),
            event_id: attempt.event_id.to_string(),
            status_code: attempt.status_code.and_then(|c| u16::try_from(c).ok()),
            latency_ms: attempt.latency_ms,
            at: time(attempt.at),
            response_excerpt: excerpt,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AttemptListOut {
    pub attempts: Vec<AttemptOut>,
}

/// `GET …/attempts` query.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AttemptsQuery {
    /// At most this many, newest first (1–100, default 50).
    pub limit: Option<u32>,
}

/// What `POST …/test` and `POST …/replay` queued.
#[derive(Debug, Serialize, ToSchema)]
pub struct QueuedOut {
    /// `evt_…`, the `webhook-id` it will carry.
    pub event_id: String,
}
