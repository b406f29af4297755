//! Signed event webhooks as use cases: an organization registers endpoints (`{url, events}`),
//! gets the signing secret once, changes, rotates, tests, deletes them, reads their attempts and
//! replays one. Every change is audited. The events themselves are raised where the state they
//! report changes (the outbox and the credential store, through
//! `crate::store::webhook_events`), and sent by `crate::webhook_delivery`.
//!
//! Registering or changing an endpoint makes no network call: the URL is checked as written
//! ([`address`]) and again, with its resolved addresses, at every delivery.

pub mod address;
pub mod event;
pub mod signing;

use std::time::Duration;

use secrecy::SecretString;

pub use self::address::{AddressError, AddressPolicy};
pub use self::event::{EVENT_TYPES, TEST_EVENT, credential_recheck_failed, payload};
use crate::activity::{self, ActivityError};
use crate::ids::{WebhookAttemptId, WebhookEndpointId, WebhookEventId};
use crate::services::Services;
use crate::store::{
    AuditAction, NewWebhookEndpoint, StoreError, WebhookAttempt, WebhookEndpoint,
    WebhookEndpointPatch,
};
use crate::tenant::Caller;

/// How long the previous secret keeps signing after a rotation.
pub const ROTATION_OVERLAP: Duration = Duration::from_secs(24 * 3600);

/// Longest description accepted.
pub const MAX_DESCRIPTION_LEN: usize = 500;

/// Most attempts one listing returns.
pub const MAX_ATTEMPTS_LISTED: u32 = 200;

/// Why a webhook use case failed.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// A field is not acceptable; `field` names it.
    #[error("invalid {field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("{what} not found")]
    NotFound { what: &'static str },
    /// The endpoint is disabled: nothing is sent to it until it is enabled again.
    #[error("the webhook endpoint is disabled")]
    Disabled,
    #[error(transparent)]
    Store(StoreError),
    #[error("the change was made but could not be audited")]
    Activity(#[from] ActivityError),
}

impl From<StoreError> for WebhookError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound { what } => Self::NotFound { what },
            other => Self::Store(other),
        }
    }
}

/// An endpoint and its signing secret, which is shown this once.
#[derive(Debug)]
pub struct EndpointWithSecret {
    pub endpoint: WebhookEndpoint,
    pub secret: SecretString,
}

/// What `PATCH` may change.
#[derive(Debug, Clone, Default)]
pub struct EndpointChange {
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    pub description: Option<String>,
    pub enabled: Option<bool>,
}

fn checked_url(policy: AddressPolicy, url: &str) -> Result<String, WebhookError> {
    policy
        .check_url(url.trim())
        .map(|url| url.to_string())
        .map_err(|err| WebhookError::Invalid {
            field: "url",
            message: err.to_string(),
        })
}

fn checked_events(events: &[String]) -> Result<Vec<String>, WebhookError> {
    if events.is_empty() {
        return Err(WebhookError::Invalid {
            field: "events",
            message: "name at least one event".to_owned(),
        });
    }
    let mut out: Vec<String> = Vec::with_capacity(events.len());
    for event in events {
        if !EVENT_TYPES.contains(&event.as_str()) {
            return Err(WebhookError::Invalid {
                field: "events",
                message: format!(
                    "unknown event {:?}; expected some of {}",
                    event.chars().take(60).collect::<String>(),
                    EVENT_TYPES.join(", ")
                ),
            });
        }
        if !out.contains(event) {
            out.push(event.clone());
        }
    }
    Ok(out)
}

fn checked_description(description: &str) -> Result<String, WebhookError> {
    let description = description.trim();
    if description.chars().count() > MAX_DESCRIPTION_LEN
        || description.chars().any(char::is_control)
    {
        return Err(WebhookError::Invalid {
            field: "description",
            message: format!(
                "at most {MAX_DESCRIPTION_LEN} characters, without control characters"
            ),
        });
    }
    Ok(description.to_owned())
}

fn object(endpoint: &WebhookEndpoint) -> String {
    format!("{} ({})", endpoint.url, endpoint.id)
}

/// Registers an endpoint; its signing secret is in the answer, and nowhere else ever again.
pub async fn create(
    services: &Services,
    caller: &Caller,
    url: &str,
    events: &[String],
    description: Option<&str>,
) -> Result<EndpointWithSecret, WebhookError> {
    let new = NewWebhookEndpoint {
        url: checked_url(services.webhooks.policy(), url)?,
        events: checked_events(events)?,
        description: checked_description(description.unwrap_or_default())?,
    };
    let secret = signing::generate_secret();
    let endpoint = services
        .store
        .insert_webhook_endpoint(caller.org(), new, &secret)
        .await?;
    activity::record(
        &services.store,
        caller,
        AuditAction::WebhookAdded,
        &object(&endpoint),
    )
    .await?;
    Ok(EndpointWithSecret { endpoint, secret })
}

pub async fn list(
    services: &Services,
    caller: &Caller,
) -> Result<Vec<WebhookEndpoint>, WebhookError> {
    Ok(services.store.list_webhook_endpoints(caller.org()).await?)
}

pub async fn get(
    services: &Services,
    caller: &Caller,
    id: &WebhookEndpointId,
) -> Result<WebhookEndpoint, WebhookError> {
    Ok(services
        .store
        .get_webhook_endpoint(caller.org(), id)
        .await?)
}

/// Changes the URL, events, description or enabled flag (enabling one Voxanne disabled starts
/// it afresh).
pub async fn update(
    services: &Services,
    caller: &Caller,
    id: &WebhookEndpointId,
    change: EndpointChange,
) -> Result<WebhookEndpoint, WebhookError> {
    let patch = WebhookEndpointPatch {
        url: change
            .url
            .as_deref()
            .map(|url| checked_url(services.webhooks.policy(), url))
            .transpose()?,
        events: change.events.as_deref().map(checked_events).transpose()?,
        description: change
            .description
            .as_deref()
            .map(checked_description)
            .transpose()?,
        enabled: change.enabled,
    };
    let endpoint = services
        .store
        .patch_webhook_endpoint(caller.org(), id, patch)
        .await?;
    activity::record(
        &services.store,
        caller,
        AuditAction::WebhookUpdated,
        &object(&endpoint),
    )
    .await?;
    Ok(endpoint)
}

pub async fn delete(
    services: &Services,
    caller: &Caller,
    id: &WebhookEndpointId,
) -> Result<(), WebhookError> {
    let endpoint = services
        .store
        .get_webhook_endpoint(caller.org(), id)
        .await?;
    services
        .store
        .delete_webhook_endpoint(caller.org(), id)
        .await?;
    activity::record(
        &services.store,
        caller,
        AuditAction::WebhookDeleted,
        &object(&endpoint),
    )
    .await?;
    Ok(())
}

/// A new signing secret, shown once; the old one keeps signing alongside it for
/// [`ROTATION_OVERLAP`], so a receiver can switch without losing an event.
pub async fn rotate_secret(
    services: &Services,
    caller: &Caller,
    id: &WebhookEndpointId,
) -> Result<EndpointWithSecret, WebhookError> {
    let secret = signing::generate_secret();
    let until = chrono::Utc::now().timestamp_millis()
        + i64::try_from(ROTATION_OVERLAP.as_millis()).unwrap_or(i64::MAX);
    let endpoint = services
        .store
        .rotate_webhook_secret(caller.org(), id, &secret, until)
        .await?;
    activity::record(
        &services.store,
        caller,
        AuditAction::WebhookSecretRotated,
        &object(&endpoint),
    )
    .await?;
    Ok(EndpointWithSecret { endpoint, secret })
}

/// Queues a `webhook.test` event for this endpoint alone; returns its id.
pub async fn send_test(
    services: &Services,
    caller: &Caller,
    id: &WebhookEndpointId,
) -> Result<WebhookEventId, WebhookError> {
    if !services
        .store
        .get_webhook_endpoint(caller.org(), id)
        .await?
        .enabled
    {
        return Err(WebhookError::Disabled);
    }
    let event = services.store.queue_webhook_test(caller.org(), id).await?;
    services.webhooks.wake();
    Ok(event)
}

/// The endpoint's latest attempts, newest first.
pub async fn attempts(
    services: &Services,
    caller: &Caller,
    id: &WebhookEndpointId,
    limit: u32,
) -> Result<Vec<WebhookAttempt>, WebhookError> {
    Ok(services
        .store
        .list_webhook_attempts(caller.org(), id, limit.clamp(1, MAX_ATTEMPTS_LISTED))
        .await?)
}

/// Sends the event of one attempt again (same event id, so a receiver can tell it is a repeat).
pub async fn replay(
    services: &Services,
    caller: &Caller,
    id: &WebhookEndpointId,
    attempt: &WebhookAttemptId,
) -> Result<WebhookEventId, WebhookError> {
    let endpoint = services
        .store
        .get_webhook_endpoint(caller.org(), id)
        .await?;
    if !endpoint.enabled {
        return Err(WebhookError::Disabled);
    }
    let event = services
        .store
        .replay_webhook_attempt(caller.org(), id, attempt)
        .await?;
    activity::record(
        &services.store,
        caller,
        AuditAction::WebhookReplayed,
        &format!("{event} to {}", object(&endpoint)),
    )
    .await?;
    services.webhooks.wake();
    Ok(event)
}
