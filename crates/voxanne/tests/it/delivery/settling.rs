//! Settling claims: every outcome is applied only under the fence its claim holds, whether a
//! chunk settles row by row or (PostgreSQL, accepted sends) all at once.

use voxanne::ids::CredentialId;
use voxanne::outbox::{MessageStatus, Outcome, now_ms};

use super::outbox_store::{accepted, message, outbox_with_org};

#[tokio::test]
async fn a_stale_worker_cannot_overwrite_the_worker_that_took_over() {
    let (_db, outbox, org) = outbox_with_org().await;
    let new = message(&CredentialId::generate(), "fenced");
    let now = now_ms();
    outbox
        .enqueue(&org, std::slice::from_ref(&new), None, now)
        .await
        .unwrap();
    // The first lease ends at once, as if its worker had stalled.
    let stale = outbox
        .claim_due("slow", now, now, 10)
        .await
        .unwrap()
        .remove(0);
    let fresh = outbox
        .claim_due("fast", now + 1, now + 60_000, 10)
        .await
        .unwrap()
        .remove(0);

    assert!(fresh.fence > stale.fence);
    assert!(
        fresh.must_reconcile,
        "the first attempt's outcome is unknown, so Twilio must be asked first"
    );
    let stale_result = outbox
        .settle(
            &[(
                stale,
                Outcome::Failed {
                    code: Some(21211),
                    reason: "x".into(),
                    attempted: true,
                },
            )],
            now_ms(),
        )
        .await
        .unwrap();
    let fresh_result = outbox
        .settle(&[(fresh, accepted("SM2"))], now_ms())
        .await
        .unwrap();

    assert_eq!(stale_result, vec![false]);
    assert_eq!(fresh_result, vec![true]);
    let stored = outbox
        .get(org.as_str(), new.id.as_str())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.status, MessageStatus::Queued);
    assert_eq!(stored.twilio_sid.as_deref(), Some("SM2"));
}

#[tokio::test]
async fn one_chunk_of_mixed_outcomes_applies_each_under_its_own_fence() {
    let (_db, outbox, org) = outbox_with_org().await;
    let credential = CredentialId::generate();
    let batch: Vec<_> = ["one", "two", "three"]
        .iter()
        .map(|body| message(&credential, body))
        .collect();
    let now = now_ms();
    outbox.enqueue(&org, &batch, None, now).await.unwrap();
    // A stalled worker's claims, then a newer worker's claims of the same three messages.
    let stale = outbox.claim_due("slow", now, now, 10).await.unwrap();
    let fresh = outbox
        .claim_due("fast", now + 1, now + 60_000, 10)
        .await
        .unwrap();
    assert_eq!((stale.len(), fresh.len()), (3, 3));
    let by_id = |claims: &[voxanne::outbox::Claim], id: &str| {
        claims.iter().find(|c| c.message_id == id).cloned().unwrap()
    };
    let (one, two, three) = (
        batch[0].id.as_str(),
        batch[1].id.as_str(),
        batch[2].id.as_str(),
    );
    let chunk = vec![
        (by_id(&stale, one), accepted("SMstale")),
        (by_id(&fresh, two), accepted("SMtwo")),
        (
            by_id(&fresh, three),
            Outcome::Failed {
                code: Some(21211),
                reason: "not a valid phone number".into(),
                attempted: true,
            },
        ),
        (by_id(&fresh, one), accepted("SMone")),
    ];

    let applied = outbox.settle(&chunk, now_ms()).await.unwrap();

    assert_eq!(applied, vec![false, true, true, true]);
    let get = |id: &str| {
        let outbox = outbox.clone();
        let (org, id) = (org.clone(), id.to_owned());
        async move { outbox.get(org.as_str(), &id).await.unwrap().unwrap() }
    };
    assert_eq!(get(one).await.twilio_sid.as_deref(), Some("SMone"));
    assert_eq!(get(two).await.twilio_sid.as_deref(), Some("SMtwo"));
    let failed = get(three).await;
    assert_eq!(failed.status, MessageStatus::Failed);
    assert_eq!(failed.error_code, Some(21211));
    assert_eq!(
        outbox.backlog().await.unwrap(),
        0,
        "every settled row left the queue"
    );
    let timeline = outbox.events(org.as_str(), one).await.unwrap();
    let sent: Vec<_> = timeline
        .iter()
        .filter(|e| e.kind == "sent_to_twilio")
        .map(|e| e.detail.clone().unwrap_or_default())
        .collect();
    assert_eq!(
        sent,
        vec!["Twilio accepted it as SMone".to_owned()],
        "the stale outcome left no trace"
    );
}
