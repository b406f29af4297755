//! The events and their payload: `{type, timestamp, data: {…ids, status, error_code, reason}}`.
//!
//! The payload names ids and statuses only: never a secret, never a text's body (it holds
//! patient data). It is built from the stored event alone, so every attempt of one event sends
//! the same bytes under the same `webhook-id`.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value, json};

use crate::ids::{CredentialId, OrgId};
use crate::store::{
    CredentialEvent, CredentialEventKind, Store, StoreError, StoredEvent, VerificationStatus,
};

/// Every event type an endpoint may subscribe to.
pub const EVENT_TYPES: &[&str] = &[
    "message.sent",
    "message.delivered",
    "message.undelivered",
    "message.failed",
    "credential.verified",
    "credential.failed",
    "credential.needs_reconnect",
    "credential.undecryptable",
    "credential.recheck_failed",
];

/// The type of the event `POST …/{id}/test` sends (to that endpoint alone).
pub const TEST_EVENT: &str = "webhook.test";

/// The JSON body of `event`.
pub fn payload(event: &StoredEvent) -> Vec<u8> {
    let mut data = Map::new();
    if let Some(message) = &event.message_id {
        data.insert("message_id".into(), Value::from(message.as_str()));
    }
    if let Some(credential) = &event.credential_id {
        data.insert("credential_id".into(), Value::from(credential.as_str()));
    }
    data.insert("status".into(), json!(event.status));
    data.insert("error_code".into(), json!(event.error_code));
    data.insert("reason".into(), json!(event.reason));
    let timestamp = DateTime::<Utc>::from_timestamp_millis(event.created_at)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Millis, true);
    json!({"type": event.kind, "timestamp": timestamp, "data": data})
        .to_string()
        .into_bytes()
}

/// Raises `credential.recheck_failed` for credential `id` of `org`: re-verification could not
/// reach the provider several times in a row (`reason` says what happened, in plain words, and
/// `error_code` gives the provider's code if one came back). The status is unchanged; the caller
/// decides when "several" is reached and calls this once per incident. Returns whether an event
/// was raised (false: no endpoint of the organization subscribes to it).
pub async fn credential_recheck_failed(
    store: &Store,
    org: &OrgId,
    id: &CredentialId,
    status: VerificationStatus,
    reason: &str,
    error_code: Option<i64>,
) -> Result<bool, StoreError> {
    store
        .raise_credential_event(CredentialEvent {
            org,
            credential_id: id,
            kind: CredentialEventKind::RecheckFailed,
            status,
            error_code,
            reason: Some(reason.to_owned()),
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::WebhookEventId;

    fn event(kind: &str) -> StoredEvent {
        StoredEvent {
            id: WebhookEventId::generate(),
            kind: kind.to_owned(),
            message_id: Some("msg_x".into()),
            credential_id: Some("cred_y".into()),
            status: Some("delivered".into()),
            error_code: None,
            reason: None,
            created_at: 1_764_000_000_123,
        }
    }

    #[test]
    fn the_payload_has_type_timestamp_and_data_with_ids_status_code_and_reason() {
        let body: Value = serde_json::from_slice(&payload(&event("message.delivered"))).unwrap();
        assert_eq!(body["type"], "message.delivered");
        assert_eq!(body["timestamp"], "2025-11-24T16:00:00.123Z");
        let data = body["data"].as_object().unwrap();
        let mut keys: Vec<&str> = data.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "credential_id",
                "error_code",
                "message_id",
                "reason",
                "status"
            ]
        );
    }

    #[test]
    fn the_same_event_gives_the_same_bytes() {
        let once = event("message.sent");
        assert_eq!(payload(&once), payload(&once.clone()));
    }
}
