//! Raising webhook events inside the transaction that changes what they report.
//!
//! A message's or a credential's status and the event saying so commit together, or neither
//! does: a crash can lose neither. Each event is written once, then fanned out to one delivery
//! row per enabled endpoint of the organization subscribed to its type, in the same transaction.
//! Nothing is written for an organization with no such endpoint, so the paths that run for every
//! message pay one indexed read when nobody listens.
//!
//! The SQL is the same on both backends; [`EventTx`] is implemented for each backend's
//! connection so callers inside `on_pool!` / `in_transaction!` call one method.

use crate::ids::{CredentialId, OrgId, WebhookEventId};
use crate::outbox::MessageStatus;

use super::backend::in_transaction;
use super::{Store, StoreError, VerificationStatus};

/// A message whose status was just moved (or offered) to `status` in this transaction.
#[derive(Debug, Clone, Copy)]
pub struct MessageTransition<'a> {
    pub message_id: &'a str,
    pub status: MessageStatus,
}

/// The credential events the specification names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialEventKind {
    Verified,
    Failed,
    NeedsReconnect,
    Undecryptable,
    /// Re-verification could not reach the provider several times in a row (raised by the
    /// scheduler that knows how many; the status itself is unchanged).
    RecheckFailed,
}

impl CredentialEventKind {
    pub fn event_type(self) -> &'static str {
        match self {
            Self::Verified => "credential.verified",
            Self::Failed => "credential.failed",
            Self::NeedsReconnect => "credential.needs_reconnect",
            Self::Undecryptable => "credential.undecryptable",
            Self::RecheckFailed => "credential.recheck_failed",
        }
    }

    /// The event a move to `status` raises (`unverified` raises none).
    pub fn for_status(status: VerificationStatus) -> Option<Self> {
        match status {
            VerificationStatus::Verified => Some(Self::Verified),
            VerificationStatus::Failed => Some(Self::Failed),
            VerificationStatus::NeedsReconnect => Some(Self::NeedsReconnect),
            VerificationStatus::Undecryptable => Some(Self::Undecryptable),
            VerificationStatus::Unverified => None,
        }
    }
}

/// One credential event: what happened, the status it left, and why (plain words and the
/// provider's code, never a secret).
#[derive(Debug, Clone)]
pub struct CredentialEvent<'a> {
    pub org: &'a OrgId,
    pub credential_id: &'a CredentialId,
    pub kind: CredentialEventKind,
    pub status: VerificationStatus,
    pub error_code: Option<i64>,
    pub reason: Option<String>,
}

impl<'a> CredentialEvent<'a> {
    /// The event of a credential that moved to `status`, with the first failed check of its
    /// verification report as the reason; `None` when that status raises no event.
    pub fn for_transition(
        org: &'a OrgId,
        credential_id: &'a CredentialId,
        status: VerificationStatus,
        report: Option<&serde_json::Value>,
    ) -> Option<Self> {
        let kind = CredentialEventKind::for_status(status)?;
        let failed = report
            .and_then(|report| report.get("checks"))
            .and_then(serde_json::Value::as_array)
            .and_then(|checks| checks.iter().find(|check| check["status"] == "fail"));
        Some(Self {
            org,
            credential_id,
            kind,
            status,
            error_code: failed.and_then(|check| check["twilio_code"].as_i64()),
            reason: failed.and_then(|check| check["message"].as_str().map(str::to_owned)),
        })
    }
}

/// The webhook event type of a message status, for the four statuses that have one.
pub fn message_event_type(status: MessageStatus) -> Option<&'static str> {
    match status {
        MessageStatus::Sent => Some("message.sent"),
        MessageStatus::Delivered => Some("message.delivered"),
        MessageStatus::Undelivered => Some("message.undelivered"),
        MessageStatus::Failed => Some("message.failed"),
        _ => None,
    }
}

/// `LIKE` pattern matching an endpoint's `events` (a JSON array of strings) that lists `kind`.
/// Event types contain no `%`; a `_` in one matches itself among the others.
fn subscribed(kind: &str) -> String {
    format!("%\"{kind}\"%")
}

const INSERT_MESSAGE_EVENT: &str = "INSERT INTO webhook_events \
       (id, org_id, type, message_id, credential_id, status, error_code, reason, dedup_key, created_at) \
     SELECT $1, m.org_id, $2, m.id, m.credential_id, m.status, m.error_code, m.reason, $3, $4 \
     FROM messages m WHERE m.id = $5 AND m.status = $6 AND EXISTS \
       (SELECT 1 FROM webhook_endpoints w WHERE w.org_id = m.org_id AND w.enabled = 1 AND w.events LIKE $7) \
     ON CONFLICT (dedup_key) DO NOTHING";

const INSERT_CREDENTIAL_EVENT: &str = "INSERT INTO webhook_events \
       (id, org_id, type, message_id, credential_id, status, error_code, reason, dedup_key, created_at) \
     SELECT $1, $2, $3, NULL, $4, $5, $6, $7, NULL, $8 WHERE EXISTS \
       (SELECT 1 FROM webhook_endpoints w WHERE w.org_id = $2 AND w.enabled = 1 AND w.events LIKE $9)";

/// One delivery per subscribed, enabled endpoint of the event's organization, due at once.
const FAN_OUT: &str = "INSERT INTO webhook_deliveries \
       (org_id, endpoint_id, event_id, subject_id, due_at, created_at, updated_at) \
     SELECT w.org_id, w.id, e.id, COALESCE(e.message_id, e.credential_id, e.id), $2, $2, $2 \
     FROM webhook_events e JOIN webhook_endpoints w ON w.org_id = e.org_id \
     WHERE e.id = $1 AND w.enabled = 1 AND w.events LIKE $3 ORDER BY w.id";

/// Recording events on a backend's connection, inside the caller's transaction.
pub(crate) trait EventTx {
    /// Raises the event of each message transition whose message now has that status (a move
    /// that did not happen, or a status already reported, raises nothing). Returns how many
    /// events were raised.
    async fn record_message_events(
        &mut self,
        transitions: &[MessageTransition<'_>],
        now_ms: i64,
    ) -> Result<u64, sqlx::Error>;

    /// Raises one credential event. Returns whether it was raised (false: nobody subscribed).
    async fn record_credential_event(
        &mut self,
        event: &CredentialEvent<'_>,
        now_ms: i64,
    ) -> Result<bool, sqlx::Error>;

    /// Moves credential `id` of `org` to `status` if it has another one, and then raises that
    /// status's event (reason from `report`). Returns whether it moved. The conditional update
    /// decides, so two processes recording the same outcome at once raise one event.
    async fn move_credential_status(
        &mut self,
        org: &OrgId,
        id: &CredentialId,
        status: VerificationStatus,
        report: Option<&serde_json::Value>,
    ) -> Result<bool, sqlx::Error>;
}

macro_rules! event_tx {
    ($conn:ty) => {
        impl EventTx for $conn {
            async fn record_message_events(
                &mut self,
                transitions: &[MessageTransition<'_>],
                now_ms: i64,
            ) -> Result<u64, sqlx::Error> {
                let mut raised = 0;
                for transition in transitions {
                    let Some(kind) = message_event_type(transition.status) else {
                        continue;
                    };
                    let id = WebhookEventId::generate();
                    let inserted = sqlx::query(INSERT_MESSAGE_EVENT)
                        .bind(&id)
                        .bind(kind)
                        .bind(format!("{}:{kind}", transition.message_id))
                        .bind(now_ms)
                        .bind(transition.message_id)
                        .bind(transition.status.as_str())
                        .bind(subscribed(kind))
                        .execute(&mut *self)
                        .await?
                        .rows_affected();
                    if inserted == 1 {
                        sqlx::query(FAN_OUT)
                            .bind(&id)
                            .bind(now_ms)
                            .bind(subscribed(kind))
                            .execute(&mut *self)
                            .await?;
                        raised += 1;
                    }
                }
                Ok(raised)
            }

            async fn record_credential_event(
                &mut self,
                event: &CredentialEvent<'_>,
                now_ms: i64,
            ) -> Result<bool, sqlx::Error> {
                let kind = event.kind.event_type();
                let id = WebhookEventId::generate();
                let inserted = sqlx::query(INSERT_CREDENTIAL_EVENT)
                    .bind(&id)
                    .bind(event.org)
                    .bind(kind)
                    .bind(event.credential_id)
                    .bind(event.status.as_str())
                    .bind(event.error_code)
                    .bind(event.reason.as_deref())
                    .bind(now_ms)
                    .bind(subscribed(kind))
                    .execute(&mut *self)
                    .await?
                    .rows_affected();
                if inserted == 1 {
                    sqlx::query(FAN_OUT)
                        .bind(&id)
                        .bind(now_ms)
                        .bind(subscribed(kind))
                        .execute(&mut *self)
                        .await?;
                }
                Ok(inserted == 1)
            }

            async fn move_credential_status(
                &mut self,
                org: &OrgId,
                id: &CredentialId,
                status: VerificationStatus,
                report: Option<&serde_json::Value>,
            ) -> Result<bool, sqlx::Error> {
                let moved = sqlx::query(
                    "UPDATE credentials SET verification_status = $3 \
                     WHERE org_id = $1 AND id = $2 AND verification_status <> $3",
                )
                .bind(org)
                .bind(id)
                .bind(status)
                .execute(&mut *self)
                .await?
                .rows_affected()
                    == 1;
                if moved
                    && let Some(event) = CredentialEvent::for_transition(org, id, status, report)
                {
                    let now_ms = chrono::Utc::now().timestamp_millis();
                    self.record_credential_event(&event, now_ms).await?;
                }
                Ok(moved)
            }
        }
    };
}

event_tx!(sqlx::SqliteConnection);
event_tx!(sqlx::PgConnection);

impl Store {
    /// Raises one credential event in a transaction of its own (for events that accompany no
    /// status change, like `credential.recheck_failed`). Returns whether it was raised (false:
    /// no endpoint of the organization subscribes to it).
    pub async fn raise_credential_event(
        &self,
        event: CredentialEvent<'_>,
    ) -> Result<bool, StoreError> {
        let now_ms = chrono::Utc::now().timestamp_millis();
        Ok(in_transaction!(&self.db, tx => {
            EventTx::record_credential_event(&mut *tx, &event, now_ms).await?
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_four_reported_statuses_raise_a_message_event() {
        let raising: Vec<_> = MessageStatus::ALL
            .into_iter()
            .filter_map(message_event_type)
            .collect();
        assert_eq!(
            raising,
            [
                "message.sent",
                "message.delivered",
                "message.undelivered",
                "message.failed"
            ]
        );
    }

    #[test]
    fn a_failed_credentials_event_carries_its_first_failed_check() {
        let org = OrgId::generate();
        let id = CredentialId::generate();
        let report = serde_json::json!({"checks": [
            {"id": "account", "status": "pass", "message": "fine"},
            {"id": "send", "status": "fail", "message": "Twilio refused the Auth Token", "twilio_code": 20003},
        ]});
        let event =
            CredentialEvent::for_transition(&org, &id, VerificationStatus::Failed, Some(&report))
                .unwrap();
        assert_eq!(event.kind.event_type(), "credential.failed");
        assert_eq!(event.error_code, Some(20003));
        assert_eq!(
            event.reason.as_deref(),
            Some("Twilio refused the Auth Token")
        );
        assert!(
            CredentialEvent::for_transition(&org, &id, VerificationStatus::Unverified, None)
                .is_none()
        );
    }
}
