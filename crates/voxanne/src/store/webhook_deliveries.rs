//! The webhook delivery queue: claiming due deliveries under a lease and a fencing token (as the
//! outbox does for texts), and settling each attempt: the attempt row, the delivery's next state,
//! the endpoint's failure streak and, after failing long enough, the endpoint disabled. Also
//! what the API queues by hand: a `webhook.test` event, and the replay of an attempt.
//!
//! Order per subject: a delivery is not claimed while an earlier one for the same endpoint and
//! the same message (or credential) is pending, so `message.sent` always reaches a receiver
//! before `message.delivered`, however many retries the first one needs.

use secrecy::SecretString;
use sqlx::QueryBuilder;
use tracing::instrument;

use super::backend::{Backend, BeginWrite, in_transaction, on_pool};
use super::webhooks::{PREVIOUS_SECRET_FIELD, SECRET_FIELD, now_ms};
use super::{Store, StoreError};
use crate::ids::{OrgId, WebhookAttemptId, WebhookEndpointId, WebhookEventId};
use crate::vault::SecretContext;

/// An event as stored: what its payload is built from (the same bytes on every attempt).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredEvent {
    pub id: WebhookEventId,
    #[sqlx(rename = "type")]
    pub kind: String,
    pub message_id: Option<String>,
    pub credential_id: Option<String>,
    pub status: Option<String>,
    pub error_code: Option<i64>,
    pub reason: Option<String>,
    /// When it was raised (ms).
    pub created_at: i64,
}

/// A delivery a worker holds until its lease ends. Every write about it names `fence`.
pub struct ClaimedDelivery {
    pub delivery_id: i64,
    pub fence: i64,
    pub org_id: OrgId,
    pub endpoint_id: WebhookEndpointId,
    pub url: String,
    /// Attempts made before this one.
    pub attempts: i64,
    pub event: StoredEvent,
    /// The secrets that sign it, newest first (two during a rotation); empty when they cannot
    /// be opened with the configured keys.
    pub secrets: Vec<SecretString>,
}

/// What a worker reports after one attempt.
#[derive(Debug, Clone)]
pub struct AttemptReport {
    pub status_code: Option<u16>,
    pub latency_ms: i64,
    pub at: i64,
    pub response_excerpt: String,
    pub error: Option<String>,
}

/// What becomes of the delivery after the attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextStep {
    Delivered,
    RetryAt(i64),
    /// The retry schedule is spent.
    GiveUp,
}

#[derive(sqlx::FromRow)]
struct ClaimedRow {
    id: i64,
    fence: i64,
    attempts: i64,
}

#[derive(sqlx::FromRow)]
struct DetailRow {
    delivery_id: i64,
    org_id: OrgId,
    endpoint_id: WebhookEndpointId,
    url: String,
    secret: Vec<u8>,
    previous_secret: Option<Vec<u8>>,
    previous_until: Option<i64>,
    #[sqlx(flatten)]
    event: StoredEvent,
}

/// Pending deliveries that may go now: of an enabled endpoint, and first in line for their
/// subject (what `next_webhook_due` also waits for, so a blocked one never makes the worker spin).
const READY: &str = "d.state = 'pending' \
     AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p WHERE p.endpoint_id = d.endpoint_id \
       AND p.subject_id = d.subject_id AND p.state = 'pending' AND p.id < d.id) \
     AND EXISTS (SELECT 1 FROM webhook_endpoints w WHERE w.id = d.endpoint_id AND w.enabled = 1)";

impl Store {
    /// Claims up to `limit` due deliveries for `worker` until `lease_until` (ms).
    #[instrument(skip_all, fields(worker = worker))]
    pub async fn claim_webhook_deliveries(
        &self,
        worker: &str,
        now: i64,
        lease_until: i64,
        limit: u32,
    ) -> Result<Vec<ClaimedDelivery>, StoreError> {
        let due = format!(
            "SELECT d.id FROM webhook_deliveries d WHERE {READY} AND d.due_at <= $3 ORDER BY d.id LIMIT $4"
        );
        let claim = match self.db.backend() {
            Backend::Sqlite => format!(
                "UPDATE webhook_deliveries SET lease_owner = $1, due_at = $2, fence = fence + 1 \
                 WHERE id IN ({due}) RETURNING id, fence, attempts"
            ),
            Backend::Postgres => format!(
                "WITH due AS ({due} FOR UPDATE SKIP LOCKED) \
                 UPDATE webhook_deliveries w SET lease_owner = $1, due_at = $2, fence = w.fence + 1 \
                 FROM due WHERE w.id = due.id RETURNING w.id, w.fence, w.attempts"
            ),
        };
        let claimed: Vec<ClaimedRow> = on_pool!(&self.db, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(claim))
                .bind(worker)
                .bind(lease_until)
                .bind(now)
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await?
        });
        if claimed.is_empty() {
            return Ok(Vec::new());
        }
        let details: Vec<DetailRow> = on_pool!(&self.db, pool => {
            let mut select = QueryBuilder::new(
                "SELECT d.id AS delivery_id, d.org_id, d.endpoint_id, w.url, w.secret, w.previous_secret, \
                   w.previous_until, e.id, e.type, e.message_id, e.credential_id, e.status, e.error_code, \
                   e.reason, e.created_at \
                 FROM webhook_deliveries d JOIN webhook_endpoints w ON w.id = d.endpoint_id \
                 JOIN webhook_events e ON e.id = d.event_id WHERE d.id IN (",
            );
            let mut ids = select.separated(", ");
            for row in &claimed {
                ids.push_bind(row.id);
            }
            select.push(")");
            select.build_query_as().fetch_all(pool).await?
        });
        let mut out = Vec::with_capacity(claimed.len());
        for row in claimed {
            let Some(detail) = details.iter().find(|d| d.delivery_id == row.id) else {
                continue; // its endpoint was deleted meanwhile (and the delivery with it)
            };
            out.push(ClaimedDelivery {
                delivery_id: row.id,
                fence: row.fence,
                attempts: row.attempts,
                org_id: detail.org_id.clone(),
                endpoint_id: detail.endpoint_id.clone(),
                url: detail.url.clone(),
                event: detail.event.clone(),
                secrets: self.signing_secrets(detail, now).await,
            });
        }
        Ok(out)
    }

    /// The endpoint's secrets that sign now, newest first; none when they do not open (the
    /// attempt then fails and says so, rather than sending an unsigned request).
    async fn signing_secrets(&self, detail: &DetailRow, now: i64) -> Vec<SecretString> {
        let org = &detail.org_id;
        let Ok(data_key) = self.data_key(org).await else {
            return Vec::new();
        };
        let context = |field| SecretContext {
            org,
            record: detail.endpoint_id.as_str(),
            field,
        };
        let Ok(current) = data_key.open(context(SECRET_FIELD), &detail.secret) else {
            tracing::warn!(endpoint_id = %detail.endpoint_id, "webhook signing secret cannot be opened");
            return Vec::new();
        };
        let mut secrets = vec![current];
        if let (Some(blob), Some(until)) = (&detail.previous_secret, detail.previous_until)
            && until > now
            && let Ok(previous) = data_key.open(context(PREVIOUS_SECRET_FIELD), blob)
        {
            secrets.push(previous);
        }
        secrets
    }

    /// Records one attempt and what follows it, if `delivery`'s fence still holds (returns
    /// whether it did). A failure starts or extends the endpoint's failure streak; a streak that
    /// began before `disable_before` (ms) disables the endpoint and cancels its pending
    /// deliveries. A success ends the streak.
    #[instrument(skip_all, fields(delivery_id = delivery.delivery_id))]
    pub async fn settle_webhook_delivery(
        &self,
        delivery: &ClaimedDelivery,
        attempt: &AttemptReport,
        next: NextStep,
        disable_before: i64,
    ) -> Result<bool, StoreError> {
        let now = attempt.at;
        let (state, due_at) = match next {
            NextStep::Delivered => ("delivered", now),
            NextStep::RetryAt(at) => ("pending", at),
            NextStep::GiveUp => ("failed", now),
        };
        on_pool!(&self.db, pool => {
            let mut tx = pool.begin_write().await?;
            let held = sqlx::query(
                "UPDATE webhook_deliveries SET state = $3, due_at = $4, attempts = attempts + 1, \
                   lease_owner = NULL, updated_at = $5 WHERE id = $1 AND fence = $2 AND state = 'pending'",
            )
            .bind(delivery.delivery_id)
            .bind(delivery.fence)
            .bind(state)
            .bind(due_at)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            if !held {
                tx.rollback().await?;
                return Ok(false);
            }
            sqlx::query(
                "INSERT INTO webhook_attempts (id, org_id, endpoint_id, delivery_id, event_id, status_code, \
                   latency_ms, at, response_excerpt, error) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(WebhookAttemptId::generate())
            .bind(&delivery.org_id)
            .bind(&delivery.endpoint_id)
            .bind(delivery.delivery_id)
            .bind(&delivery.event.id)
            .bind(attempt.status_code.map(i64::from))
            .bind(attempt.latency_ms)
            .bind(now)
            .bind(&attempt.response_excerpt)
            .bind(&attempt.error)
            .execute(&mut *tx)
            .await?;
            if next == NextStep::Delivered {
                sqlx::query("UPDATE webhook_endpoints SET failing_since = NULL WHERE id = $1")
                    .bind(&delivery.endpoint_id)
                    .execute(&mut *tx)
                    .await?;
            } else {
                sqlx::query(
                    "UPDATE webhook_endpoints SET failing_since = COALESCE(failing_since, $2) WHERE id = $1",
                )
                .bind(&delivery.endpoint_id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                let disabled = sqlx::query(
                    "UPDATE webhook_endpoints SET enabled = 0, disabled_reason = $3, updated_at = $4 \
                     WHERE id = $1 AND enabled = 1 AND failing_since <= $2",
                )
                .bind(&delivery.endpoint_id)
                .bind(disable_before)
                .bind("disabled by Voxanne: every delivery attempt failed for too long; fix the receiver, then enable it again")
                .bind(now)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if disabled == 1 {
                    tracing::warn!(endpoint_id = %delivery.endpoint_id, "webhook endpoint disabled after failing too long");
                    sqlx::query(
                        "UPDATE webhook_deliveries SET state = 'canceled', updated_at = $2 \
                         WHERE endpoint_id = $1 AND state = 'pending'",
                    )
                    .bind(&delivery.endpoint_id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                }
            }
            tx.commit().await?;
            Ok(true)
        })
    }

    /// The earliest time (ms) a delivery that may go is due, if any (the worker sleeps until
    /// then).
    pub async fn next_webhook_due(&self) -> Result<Option<i64>, StoreError> {
        let sql = format!("SELECT MIN(d.due_at) FROM webhook_deliveries d WHERE {READY}");
        on_pool!(&self.db, pool => {
            Ok(sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .fetch_one(pool)
                .await?)
        })
    }

    /// Queues the event of attempt `attempt` for `endpoint` again, due now, under the same event
    /// id. Returns that event id.
    #[instrument(skip_all, fields(org_id = %org, endpoint_id = %endpoint))]
    pub async fn replay_webhook_attempt(
        &self,
        org: &OrgId,
        endpoint: &WebhookEndpointId,
        attempt: &WebhookAttemptId,
    ) -> Result<WebhookEventId, StoreError> {
        let at = now_ms();
        let event: Option<WebhookEventId> = in_transaction!(&self.db, tx => {
            let found: Option<(WebhookEventId, String)> = sqlx::query_as(
                "SELECT a.event_id, d.subject_id FROM webhook_attempts a \
                 JOIN webhook_deliveries d ON d.id = a.delivery_id \
                 WHERE a.org_id = $1 AND a.endpoint_id = $2 AND a.id = $3",
            )
            .bind(org)
            .bind(endpoint)
            .bind(attempt)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some((event, subject)) = &found {
                sqlx::query(
                    "INSERT INTO webhook_deliveries (org_id, endpoint_id, event_id, subject_id, due_at, \
                       created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5, $5)",
                )
                .bind(org)
                .bind(endpoint)
                .bind(event)
                .bind(subject)
                .bind(at)
                .execute(&mut *tx)
                .await?;
            }
            found.map(|(event, _)| event)
        });
        event.ok_or(StoreError::NotFound {
            what: "webhook attempt",
        })
    }

    /// Raises a `webhook.test` event for `endpoint` alone (whatever it subscribes to). Returns
    /// its id.
    #[instrument(skip_all, fields(org_id = %org, endpoint_id = %endpoint))]
    pub async fn queue_webhook_test(
        &self,
        org: &OrgId,
        endpoint: &WebhookEndpointId,
    ) -> Result<WebhookEventId, StoreError> {
        let id = WebhookEventId::generate();
        let at = now_ms();
        let queued = in_transaction!(&self.db, tx => {
            let exists: Option<String> = sqlx::query_scalar(
                "SELECT id FROM webhook_endpoints WHERE org_id = $1 AND id = $2",
            )
            .bind(org)
            .bind(endpoint)
            .fetch_optional(&mut *tx)
            .await?;
            if exists.is_some() {
                sqlx::query(
                    "INSERT INTO webhook_events (id, org_id, type, status, created_at) \
                     VALUES ($1, $2, 'webhook.test', 'test', $3)",
                )
                .bind(&id)
                .bind(org)
                .bind(at)
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "INSERT INTO webhook_deliveries (org_id, endpoint_id, event_id, subject_id, due_at, \
                       created_at, updated_at) VALUES ($1, $2, $3, $3, $4, $4, $4)",
                )
                .bind(org)
                .bind(endpoint)
                .bind(&id)
                .bind(at)
                .execute(&mut *tx)
                .await?;
            }
            exists.is_some()
        });
        if !queued {
            return Err(StoreError::NotFound {
                what: "webhook endpoint",
            });
        }
        Ok(id)
    }
}
