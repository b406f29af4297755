//! The outbox's use cases against a real database (SQLite or PostgreSQL per the env).

use std::collections::HashSet;

use voxanne::ids::{CredentialId, MessageId, OrgId};
use voxanne::outbox::idempotency::{IdempotencyKey, fingerprint};
use voxanne::outbox::{
    Enqueued, IdempotentRequest, ListFilter, MessageKind, MessageStatus, NewMessage, Outbox,
    Outcome, StatusApplied, StatusReport, StoredResponse, now_ms,
};

use crate::support::TestStore;

/// The outbox of a fresh database that holds one organization: the store (kept for its
/// lifetime), the outbox and the organization.
pub(super) async fn outbox_with_org() -> (TestStore, Outbox, OrgId) {
    let (t, org) = TestStore::with_clinic().await;
    let outbox = Outbox::new(&t.store);
    (t, outbox, org.id)
}

/// Applies `report` to message `id` of `org`, now.
async fn apply(outbox: &Outbox, org: &OrgId, id: &str, report: StatusReport) -> StatusApplied {
    outbox
        .apply_status(org.as_str(), id, &report, now_ms())
        .await
        .unwrap()
}

/// A request under `key` whose fingerprint is 64 × `mark` (different marks: different requests).
fn keyed(key: IdempotencyKey, mark: char) -> IdempotentRequest {
    IdempotentRequest {
        key,
        fingerprint: mark.to_string().repeat(64),
    }
}

/// Queues one message with body `body` under `request`, at `at`.
async fn enqueue_keyed(
    outbox: &Outbox,
    org: &OrgId,
    body: &str,
    request: &IdempotentRequest,
    at: i64,
) -> Enqueued {
    let message = message(&CredentialId::generate(), body);
    outbox
        .enqueue(org, &[message], Some((request, &accepted_answer())), at)
        .await
        .unwrap()
}

/// The 202 answer kept for a key.
fn accepted_answer() -> StoredResponse {
    StoredResponse {
        status: 202,
        body: "{}".into(),
    }
}

pub(super) fn message(credential: &CredentialId, body: &str) -> NewMessage {
    NewMessage {
        id: MessageId::generate(),
        credential_id: credential.clone(),
        kind: MessageKind::Sms,
        to: "+15551230001".to_owned(),
        sender: "+15005550006".to_owned(),
        body: body.to_owned(),
        segments: 1,
    }
}

pub(super) fn accepted(sid: &str) -> Outcome {
    Outcome::Accepted {
        sid: sid.to_owned(),
        status: MessageStatus::Queued,
        segments: Some(1),
        attempted: true,
        adopted: false,
    }
}

#[tokio::test]
async fn a_queued_message_is_claimed_by_one_worker_and_settled_as_sent() {
    let (_db, outbox, org) = outbox_with_org().await;
    let credential = CredentialId::generate();
    let new = message(&credential, "hello");
    let now = now_ms();
    assert_eq!(
        outbox
            .enqueue(&org, std::slice::from_ref(&new), None, now)
            .await
            .unwrap(),
        Enqueued::Created
    );

    let claims = outbox.claim_due("a", now, now + 60_000, 10).await.unwrap();
    let again = outbox.claim_due("b", now, now + 60_000, 10).await.unwrap();

    assert_eq!(claims.len(), 1);
    assert!(again.is_empty(), "a leased message is not claimed twice");
    assert!(!claims[0].must_reconcile);
    assert_eq!(claims[0].body, "hello");
    let applied = outbox
        .settle(&[(claims[0].clone(), accepted("SM1"))], now_ms())
        .await
        .unwrap();
    assert_eq!(applied, vec![true]);
    let stored = outbox
        .get(org.as_str(), new.id.as_str())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.twilio_sid.as_deref(), Some("SM1"));
    assert_eq!(outbox.backlog().await.unwrap(), 0);
    let kinds: Vec<String> = outbox
        .events(org.as_str(), new.id.as_str())
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(kinds, ["accepted", "sent_to_twilio"]);
}

#[tokio::test]
async fn fifty_concurrent_requests_with_one_key_queue_exactly_one_message() {
    let (_db, outbox, org) = outbox_with_org().await;
    let credential = CredentialId::generate();
    let request = IdempotentRequest {
        key: IdempotencyKey::parse("lead-42").unwrap(),
        fingerprint: fingerprint("POST /api/messages", &("+15551230001", "hi")).unwrap(),
    };
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let (outbox, org, credential, request) = (
                outbox.clone(),
                org.clone(),
                credential.clone(),
                request.clone(),
            );
            tokio::spawn(async move {
                let response = StoredResponse {
                    status: 202,
                    body: format!("answer {i}"),
                };
                outbox
                    .enqueue(
                        &org,
                        &[message(&credential, "hi")],
                        Some((&request, &response)),
                        now_ms(),
                    )
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.unwrap());
    }

    let created = results.iter().filter(|r| **r == Enqueued::Created).count();
    let replays: HashSet<String> = results
        .iter()
        .filter_map(|r| match r {
            Enqueued::Replayed(response) => Some(response.body.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(created, 1);
    assert_eq!(
        replays.len(),
        1,
        "every repeat answers the first request's response"
    );
    assert_eq!(outbox.backlog().await.unwrap(), 1);
}

#[tokio::test]
async fn a_key_reused_with_another_request_is_refused_and_queues_nothing() {
    let (_db, outbox, org) = outbox_with_org().await;
    let key = IdempotencyKey::parse("k1").unwrap();
    let first = keyed(key.clone(), 'a');
    let second = keyed(key, 'b');
    enqueue_keyed(&outbox, &org, "one", &first, now_ms()).await;

    let reused = enqueue_keyed(&outbox, &org, "two", &second, now_ms()).await;

    assert_eq!(reused, Enqueued::KeyReused);
    assert_eq!(outbox.backlog().await.unwrap(), 1);
}

#[tokio::test]
async fn an_expired_key_is_treated_as_new() {
    let (_db, outbox, org) = outbox_with_org().await;
    let request = keyed(IdempotencyKey::parse("old").unwrap(), 'f');
    let day_ago = now_ms() - 25 * 60 * 60 * 1000;
    enqueue_keyed(&outbox, &org, "then", &request, day_ago).await;

    let again = enqueue_keyed(&outbox, &org, "then", &request, now_ms()).await;

    assert_eq!(again, Enqueued::Created);
    assert_eq!(outbox.backlog().await.unwrap(), 2);
}

#[tokio::test]
async fn statuses_only_move_forward_and_repeated_reports_are_ignored() {
    let (db, outbox, org) = outbox_with_org().await;
    let other = db.org("Clinic").await.id;
    let new = message(&CredentialId::generate(), "track me");
    outbox
        .enqueue(&org, std::slice::from_ref(&new), None, now_ms())
        .await
        .unwrap();
    let report = |status: MessageStatus| StatusReport {
        status,
        error_code: None,
        reason: None,
        dedup_key: format!("status:{status}"),
        source: "callback",
    };
    let id = new.id.as_str();

    let delivered = apply(&outbox, &org, id, report(MessageStatus::Delivered)).await;
    let late_sent = apply(&outbox, &org, id, report(MessageStatus::Sent)).await;
    let replay = apply(&outbox, &org, id, report(MessageStatus::Delivered)).await;
    let foreign = apply(&outbox, &other, id, report(MessageStatus::Failed)).await;

    assert_eq!(
        (delivered, late_sent, replay, foreign),
        (
            StatusApplied::Advanced,
            StatusApplied::NotForward,
            StatusApplied::Duplicate,
            StatusApplied::Unknown
        )
    );
    assert_eq!(
        outbox.get(org.as_str(), id).await.unwrap().unwrap().status,
        MessageStatus::Delivered
    );
    assert!(
        outbox.get(other.as_str(), id).await.unwrap().is_none(),
        "another org cannot read it"
    );
}

#[tokio::test]
async fn two_workers_claiming_at_once_never_share_a_message() {
    let (_db, outbox, org) = outbox_with_org().await;
    let credential = CredentialId::generate();
    let batch: Vec<NewMessage> = (0..200)
        .map(|i| message(&credential, &format!("m{i}")))
        .collect();
    outbox.enqueue(&org, &batch, None, now_ms()).await.unwrap();

    let worker = |name: &'static str| {
        let outbox = outbox.clone();
        tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let now = now_ms();
                let claims = outbox.claim_due(name, now, now + 60_000, 17).await.unwrap();
                if claims.is_empty() {
                    break mine;
                }
                mine.extend(claims.into_iter().map(|c| c.message_id));
            }
        })
    };
    let (a, b) = (worker("a"), worker("b"));
    let (a, b) = (a.await.unwrap(), b.await.unwrap());

    let all: HashSet<&String> = a.iter().chain(b.iter()).collect();
    assert_eq!(a.len() + b.len(), 200);
    assert_eq!(all.len(), 200, "no message was claimed twice");
}

#[tokio::test]
async fn a_paused_credential_holds_its_messages_until_resumed() {
    let (_db, outbox, org) = outbox_with_org().await;
    let bad = CredentialId::generate();
    let good = CredentialId::generate();
    outbox
        .enqueue(
            &org,
            &[message(&bad, "1"), message(&bad, "2"), message(&good, "3")],
            None,
            now_ms(),
        )
        .await
        .unwrap();
    let now = now_ms();
    let claims = outbox.claim_due("w", now, now + 60_000, 1).await.unwrap();
    let first = claims
        .into_iter()
        .find(|c| c.credential_id == bad.as_str())
        .unwrap_or_else(|| unreachable!());

    outbox
        .settle(
            &[(
                first,
                Outcome::PauseCredential {
                    reason: "20003".into(),
                    attempted: true,
                },
            )],
            now_ms(),
        )
        .await
        .unwrap();
    let claimable: Vec<String> = outbox
        .claim_due("w", now_ms(), now_ms() + 60_000, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.credential_id)
        .collect();
    let resumed = outbox
        .resume_credential(org.as_str(), bad.as_str(), now_ms())
        .await
        .unwrap();

    assert_eq!(claimable, vec![good.to_string()]);
    assert_eq!(resumed, 2);
}

#[tokio::test]
async fn the_list_pages_newest_first_and_filters_by_status() {
    let (_db, outbox, org) = outbox_with_org().await;
    let credential = CredentialId::generate();
    let start = now_ms();
    for i in 0..5 {
        outbox
            .enqueue(
                &org,
                &[message(&credential, &format!("m{i}"))],
                None,
                start + i,
            )
            .await
            .unwrap();
    }

    let first = outbox
        .list(
            org.as_str(),
            &ListFilter {
                limit: 2,
                ..ListFilter::default()
            },
        )
        .await
        .unwrap();
    let second = outbox
        .list(
            org.as_str(),
            &ListFilter {
                limit: 2,
                after: first.next.clone(),
                ..ListFilter::default()
            },
        )
        .await
        .unwrap();
    let delivered = outbox
        .list(
            org.as_str(),
            &ListFilter {
                limit: 10,
                status: Some(MessageStatus::Delivered),
                ..ListFilter::default()
            },
        )
        .await
        .unwrap();

    let bodies: Vec<&str> = first
        .messages
        .iter()
        .chain(second.messages.iter())
        .map(|m| m.body.as_str())
        .collect();
    assert_eq!(bodies, ["m4", "m3", "m2", "m1"]);
    assert!(delivered.messages.is_empty());
}

#[tokio::test]
async fn the_stuck_query_finds_unfinished_messages_at_any_rank_and_no_final_one() {
    let (_db, outbox, org) = outbox_with_org().await;
    let credential = CredentialId::generate();
    let statuses = [
        MessageStatus::Queued,
        MessageStatus::Sending,
        MessageStatus::Sent,
        MessageStatus::PartiallyDelivered,
        MessageStatus::Delivered,
        MessageStatus::Undelivered,
        MessageStatus::Read,
    ];
    let news: Vec<NewMessage> = statuses
        .iter()
        .map(|status| message(&credential, status.as_str()))
        .collect();
    let now = now_ms();
    outbox.enqueue(&org, &news, None, now).await.unwrap();
    let claims = outbox.claim_due("a", now, now + 60_000, 10).await.unwrap();
    let settled: Vec<_> = claims
        .iter()
        .map(|claim| (claim.clone(), accepted(&format!("SM{}", claim.body))))
        .collect();
    outbox.settle(&settled, now_ms()).await.unwrap();
    for (new, status) in news.iter().zip(statuses) {
        let report = StatusReport {
            status,
            error_code: None,
            reason: None,
            dedup_key: format!("status:{status}"),
            source: "callback",
        };
        outbox
            .apply_status(org.as_str(), new.id.as_str(), &report, now_ms())
            .await
            .unwrap();
    }

    let stuck = outbox.stuck(now_ms() + 1_000, 0, 100).await.unwrap();

    let mut found: Vec<&str> = stuck
        .iter()
        .map(|m| {
            let new = news.iter().find(|n| n.id.as_str() == m.id).unwrap();
            new.body.as_str()
        })
        .collect();
    found.sort_unstable();
    assert_eq!(found, ["partially_delivered", "queued", "sending", "sent"]);
}
