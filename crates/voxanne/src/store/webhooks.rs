//! Webhook endpoints and their attempts: create, list, read, change, delete, rotate the signing
//! secret, list attempts (queueing a test event or a replay is in `webhook_deliveries`). Every query names the organization first, so another
//! organization's endpoint or attempt is [`StoreError::NotFound`], like a missing one.
//!
//! The signing secret is sealed with the organization's data key, bound to (org, endpoint,
//! field): stored only encrypted, shown once by the use case, listed by its last 4 characters.

use secrecy::{ExposeSecret, SecretString};
use tracing::instrument;

use super::backend::{in_transaction, on_pool};
use super::{Store, StoreError};
use crate::ids::{OrgId, WebhookAttemptId, WebhookEndpointId, WebhookEventId};
use crate::vault::{DataKey, SecretContext};

pub(super) const SECRET_FIELD: &str = "signing_secret";
pub(super) const PREVIOUS_SECRET_FIELD: &str = "previous_signing_secret";

/// An endpoint as stored (its secrets stay sealed in the table).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookEndpoint {
    pub id: WebhookEndpointId,
    pub org_id: OrgId,
    pub url: String,
    pub description: String,
    pub events: Vec<String>,
    pub enabled: bool,
    /// Why it was disabled by Voxanne (failing too long), if it was.
    pub disabled_reason: Option<String>,
    pub secret_last4: String,
    /// Until when (ms) the previous secret still signs, after a rotation.
    pub previous_secret_until: Option<i64>,
    /// Since when (ms) every attempt has failed; `None` when the last one succeeded.
    pub failing_since: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(sqlx::FromRow)]
struct EndpointRow {
    id: WebhookEndpointId,
    org_id: OrgId,
    url: String,
    description: String,
    events: String,
    enabled: i64,
    disabled_reason: Option<String>,
    secret_last4: String,
    previous_until: Option<i64>,
    failing_since: Option<i64>,
    created_at: i64,
    updated_at: i64,
}

const ENDPOINT_COLUMNS: &str = "SELECT id, org_id, url, description, events, enabled, disabled_reason, \
     secret_last4, previous_until, failing_since, created_at, updated_at FROM webhook_endpoints";

impl EndpointRow {
    fn into_model(self) -> Result<WebhookEndpoint, StoreError> {
        let events = serde_json::from_str(&self.events).map_err(|source| StoreError::Corrupt {
            what: "webhook endpoint events",
            source: Box::new(source),
        })?;
        Ok(WebhookEndpoint {
            id: self.id,
            org_id: self.org_id,
            url: self.url,
            description: self.description,
            events,
            enabled: self.enabled != 0,
            disabled_reason: self.disabled_reason,
            secret_last4: self.secret_last4,
            previous_secret_until: self.previous_until,
            failing_since: self.failing_since,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

/// A new endpoint, already validated by the use case.
#[derive(Debug, Clone)]
pub struct NewWebhookEndpoint {
    pub url: String,
    pub description: String,
    pub events: Vec<String>,
}

/// The fields a change may set; `None` leaves one as it is.
#[derive(Debug, Clone, Default)]
pub struct WebhookEndpointPatch {
    pub url: Option<String>,
    pub description: Option<String>,
    pub events: Option<Vec<String>>,
    pub enabled: Option<bool>,
}

/// One delivery attempt, as `GET …/attempts` shows it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct WebhookAttempt {
    pub id: WebhookAttemptId,
    pub endpoint_id: WebhookEndpointId,
    pub event_id: WebhookEventId,
    /// The event's type (`message.delivered`, …), from its event.
    pub event_type: String,
    /// The HTTP status answered; `None` when there was no answer (see `error`).
    pub status_code: Option<i64>,
    pub latency_ms: i64,
    /// When it was made (ms).
    pub at: i64,
    /// The first 1 KiB of the response body.
    pub response_excerpt: String,
    /// Why there was no usable answer (timeout, refused address, connection error).
    pub error: Option<String>,
}

fn last4(secret: &SecretString) -> String {
    // Only the tail is kept: 4 characters of a 32-byte key's base64 give nothing away.
    let chars: Vec<char> = secret.expose_secret().chars().collect();
    chars[chars.len().saturating_sub(4)..].iter().collect()
}

/// Now, in Unix milliseconds (the unit of every webhook time).
pub(super) fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn events_json(events: &[String]) -> String {
    serde_json::Value::from(events.to_vec()).to_string()
}

impl Store {
    /// The organization's data key (to seal or open an endpoint's secret).
    pub(super) async fn data_key(&self, org: &OrgId) -> Result<DataKey, StoreError> {
        let wrapped: Option<Vec<u8>> = on_pool!(&self.db, pool => {
            sqlx::query_scalar("SELECT wrapped FROM org_data_keys WHERE org_id = $1")
                .bind(org)
                .fetch_optional(pool)
                .await?
        });
        let wrapped = wrapped.ok_or(StoreError::NotFound {
            what: "organization",
        })?;
        Ok(DataKey::unwrap(&self.keyring, org, &wrapped)?)
    }

    /// Stores a new endpoint with `secret` sealed.
    #[instrument(skip_all, fields(org_id = %org))]
    pub async fn insert_webhook_endpoint(
        &self,
        org: &OrgId,
        new: NewWebhookEndpoint,
        secret: &SecretString,
    ) -> Result<WebhookEndpoint, StoreError> {
        let id = WebhookEndpointId::generate();
        let data_key = self.data_key(org).await?;
        let context = SecretContext {
            org,
            record: id.as_str(),
            field: SECRET_FIELD,
        };
        let sealed = data_key.seal(context, secret)?;
        let at = now_ms();
        on_pool!(&self.db, pool => {
            sqlx::query(
                "INSERT INTO webhook_endpoints (id, org_id, url, description, events, enabled, secret, \
                   secret_last4, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 1, $6, $7, $8, $8)",
            )
            .bind(&id)
            .bind(org)
            .bind(&new.url)
            .bind(&new.description)
            .bind(events_json(&new.events))
            .bind(sealed)
            .bind(last4(secret))
            .bind(at)
            .execute(pool)
            .await?;
        });
        self.get_webhook_endpoint(org, &id).await
    }

    /// The organization's endpoints, oldest first.
    pub async fn list_webhook_endpoints(
        &self,
        org: &OrgId,
    ) -> Result<Vec<WebhookEndpoint>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "{ENDPOINT_COLUMNS} WHERE org_id = $1 ORDER BY created_at, id"
        ));
        let rows: Vec<EndpointRow> = on_pool!(&self.db, pool => {
            sqlx::query_as(sql).bind(org).fetch_all(pool).await?
        });
        rows.into_iter().map(EndpointRow::into_model).collect()
    }

    pub async fn get_webhook_endpoint(
        &self,
        org: &OrgId,
        id: &WebhookEndpointId,
    ) -> Result<WebhookEndpoint, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!("{ENDPOINT_COLUMNS} WHERE org_id = $1 AND id = $2"));
        let row: Option<EndpointRow> = on_pool!(&self.db, pool => {
            sqlx::query_as(sql).bind(org).bind(id).fetch_optional(pool).await?
        });
        row.ok_or(StoreError::NotFound {
            what: "webhook endpoint",
        })?
        .into_model()
    }

    /// Applies a change. Enabling an endpoint clears why it was disabled and its failure streak;
    /// disabling one cancels its pending deliveries.
    #[instrument(skip_all, fields(org_id = %org, endpoint_id = %id))]
    pub async fn patch_webhook_endpoint(
        &self,
        org: &OrgId,
        id: &WebhookEndpointId,
        patch: WebhookEndpointPatch,
    ) -> Result<WebhookEndpoint, StoreError> {
        let mut current = self.get_webhook_endpoint(org, id).await?;
        let at = now_ms();
        if let Some(url) = patch.url {
            current.url = url;
        }
        if let Some(description) = patch.description {
            current.description = description;
        }
        if let Some(events) = patch.events {
            current.events = events;
        }
        if let Some(enabled) = patch.enabled {
            if enabled && !current.enabled {
                current.disabled_reason = None;
                current.failing_since = None;
            }
            current.enabled = enabled;
        }
        in_transaction!(&self.db, tx => {
            let updated = sqlx::query(
                "UPDATE webhook_endpoints SET url = $3, description = $4, events = $5, enabled = $6, \
                   disabled_reason = $7, failing_since = $8, updated_at = $9 WHERE org_id = $1 AND id = $2",
            )
            .bind(org)
            .bind(id)
            .bind(&current.url)
            .bind(&current.description)
            .bind(events_json(&current.events))
            .bind(i64::from(current.enabled))
            .bind(&current.disabled_reason)
            .bind(current.failing_since)
            .bind(at)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if updated == 0 {
                return Err(StoreError::NotFound { what: "webhook endpoint" });
            }
            if !current.enabled {
                sqlx::query(
                    "UPDATE webhook_deliveries SET state = 'canceled', updated_at = $3 \
                     WHERE org_id = $1 AND endpoint_id = $2 AND state = 'pending'",
                )
                .bind(org)
                .bind(id)
                .bind(at)
                .execute(&mut *tx)
                .await?;
            }
        });
        self.get_webhook_endpoint(org, id).await
    }

    /// Deletes an endpoint with its deliveries and attempts.
    #[instrument(skip_all, fields(org_id = %org, endpoint_id = %id))]
    pub async fn delete_webhook_endpoint(
        &self,
        org: &OrgId,
        id: &WebhookEndpointId,
    ) -> Result<(), StoreError> {
        let deleted = on_pool!(&self.db, pool => {
            sqlx::query("DELETE FROM webhook_endpoints WHERE org_id = $1 AND id = $2")
                .bind(org)
                .bind(id)
                .execute(pool)
                .await?
                .rows_affected()
        });
        if deleted == 0 {
            return Err(StoreError::NotFound {
                what: "webhook endpoint",
            });
        }
        Ok(())
    }

    /// Makes `new_secret` the signing secret; the current one keeps signing alongside it until
    /// `previous_until` (ms).
    #[instrument(skip_all, fields(org_id = %org, endpoint_id = %id))]
    pub async fn rotate_webhook_secret(
        &self,
        org: &OrgId,
        id: &WebhookEndpointId,
        new_secret: &SecretString,
        previous_until: i64,
    ) -> Result<WebhookEndpoint, StoreError> {
        let data_key = self.data_key(org).await?;
        let sealed: Option<Vec<u8>> = on_pool!(&self.db, pool => {
            sqlx::query_scalar("SELECT secret FROM webhook_endpoints WHERE org_id = $1 AND id = $2")
                .bind(org)
                .bind(id)
                .fetch_optional(pool)
                .await?
        });
        let sealed = sealed.ok_or(StoreError::NotFound {
            what: "webhook endpoint",
        })?;
        let context = |field| SecretContext {
            org,
            record: id.as_str(),
            field,
        };
        // Re-sealed under its new field: a blob opens only in the place it was sealed for.
        let current = data_key.open(context(SECRET_FIELD), &sealed)?;
        let previous = data_key.seal(context(PREVIOUS_SECRET_FIELD), &current)?;
        let next = data_key.seal(context(SECRET_FIELD), new_secret)?;
        let at = now_ms();
        on_pool!(&self.db, pool => {
            sqlx::query(
                "UPDATE webhook_endpoints SET secret = $3, secret_last4 = $4, previous_secret = $5, \
                   previous_until = $6, updated_at = $7 WHERE org_id = $1 AND id = $2 AND secret = $8",
            )
            .bind(org)
            .bind(id)
            .bind(next)
            .bind(last4(new_secret))
            .bind(previous)
            .bind(previous_until)
            .bind(at)
            .bind(&sealed)
            .execute(pool)
            .await?;
        });
        self.get_webhook_endpoint(org, id).await
    }

    /// The endpoint's most recent attempts, newest first.
    pub async fn list_webhook_attempts(
        &self,
        org: &OrgId,
        endpoint: &WebhookEndpointId,
        limit: u32,
    ) -> Result<Vec<WebhookAttempt>, StoreError> {
        self.get_webhook_endpoint(org, endpoint).await?;
        let rows = on_pool!(&self.db, pool => {
            sqlx::query_as(
                "SELECT a.id, a.endpoint_id, a.event_id, e.type AS event_type, a.status_code, a.latency_ms, \
                 a.at, a.response_excerpt, a.error \
                 FROM webhook_attempts a JOIN webhook_events e ON e.id = a.event_id \
                 WHERE a.org_id = $1 AND a.endpoint_id = $2 ORDER BY a.at DESC, a.id DESC LIMIT $3",
            )
            .bind(org)
            .bind(endpoint)
            .bind(i64::from(limit.clamp(1, 500)))
            .fetch_all(pool)
            .await?
        });
        Ok(rows)
    }
}
