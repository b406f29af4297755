//! The dispatcher against the sandbox: delivery, refusals, a rejected credential, the reconciler,
//! two clinics. Each sandbox fault's retry class and ambiguity is a proof: `tests/proofs/faults.rs`.

use std::time::{Duration, Instant};

use secrecy::SecretString;
use serde_json::json;
use voxanne::outbox::MessageStatus;
use voxanne::store::{CredentialPatch, SecretField, SecretValue, VerificationStatus};

use super::world::{World, phone};
use crate::support::Fetch;

#[tokio::test]
async fn a_message_reaches_the_phone_and_is_tracked_to_delivered() {
    let world = World::start(|_| {}).await;
    let running = world.delivery.start();
    let clinic = world.clinic("Sunrise Dental").await;
    let to = phone();

    let id = world.queue(&clinic, &to, "Hot lead: Ana, call back").await;

    let delivered = world.wait_for(&clinic, &id, MessageStatus::Delivered).await;
    let inbox = world.wait_for_inbox(&to, 1).await;
    assert_eq!(inbox.len(), 1);
    assert_eq!(inbox[0]["body"], "Hot lead: Ana, call back");
    assert_eq!(inbox[0]["from"], clinic.from.as_str());
    assert_eq!(inbox[0]["sid"].as_str(), delivered.twilio_sid.as_deref());
    let kinds: Vec<String> = world
        .timeline(&clinic, &id)
        .await
        .into_iter()
        .map(|(kind, _)| kind)
        .collect();
    assert_eq!(kinds.first().map(String::as_str), Some("accepted"));
    assert!(
        kinds.contains(&"sent_to_twilio".to_owned()) && kinds.contains(&"status".to_owned()),
        "{kinds:?}"
    );
    running.stop().await;
    world.shutdown().await;
}

#[tokio::test]
async fn a_permanent_refusal_fails_at_once_with_a_plain_reason() {
    let world = World::start(|_| {}).await;
    // Test credentials: Twilio's magic To +15005550004 answers 21610 (recipient unsubscribed).
    let account = world.control("/accounts", json!({})).await;
    let clinic = world
        .clinic_with(
            "Clinic",
            account["test_account_sid"].as_str().unwrap(),
            account["test_auth_token"].as_str().unwrap(),
            "+15005550006",
        )
        .await;
    let id = world.queue(&clinic, "+15005550004", "stop-listed").await;

    let report = world.delivery.dispatcher().dispatch_once().await.unwrap();

    assert_eq!(report.failed, 1);
    let message = world.message(&clinic, &id).await;
    assert_eq!(message.status, MessageStatus::Failed);
    assert_eq!(message.error_code, Some(21610));
    assert!(
        message
            .reason
            .as_deref()
            .is_some_and(|r| r.contains("STOP")),
        "{:?}",
        message.reason
    );
    assert_eq!(
        world.delivery.outbox().backlog().await.unwrap(),
        0,
        "nothing left to retry"
    );
    world.shutdown().await;
}

#[tokio::test]
async fn rejected_credentials_pause_the_queue_and_mark_the_credential_failed() {
    let world = World::start(|_| {}).await;
    let real = world.clinic("Real").await;
    let wrong_token = "0".repeat(real.auth_token.len());
    let clinic = world
        .clinic_with("Typo", &real.account_sid, &wrong_token, &real.from)
        .await;
    world.queue(&clinic, &phone(), "one").await;
    world.queue(&clinic, &phone(), "two").await;

    let report = world.delivery.dispatcher().dispatch_once().await.unwrap();
    let after = world.delivery.dispatcher().dispatch_once().await.unwrap();

    assert_eq!(report.claimed, 2);
    assert_eq!(
        report.paused, 2,
        "no retries are burnt on a rejected credential"
    );
    assert_eq!(after.claimed, 0);
    let credential = world
        .db
        .store
        .get_credential(&clinic.org, &clinic.credential)
        .await
        .unwrap();
    assert_eq!(credential.verification_status, VerificationStatus::Failed);
    assert_eq!(
        world.delivery.outbox().backlog().await.unwrap(),
        2,
        "the messages wait for a fix"
    );

    // The clinic fixes the token and verifies the credential: the held messages go out.
    let fix = CredentialPatch {
        secrets: Some(vec![SecretValue::new(
            SecretField::AuthToken,
            SecretString::from(real.auth_token.clone()),
        )]),
        ..CredentialPatch::default()
    };
    world
        .db
        .store
        .patch_credential(&clinic.org, &clinic.credential, fix)
        .await
        .unwrap();
    world
        .db
        .store
        .record_verification(
            &clinic.org,
            &clinic.credential,
            VerificationStatus::Verified,
            &json!({}),
        )
        .await
        .unwrap();
    let resumed = world
        .delivery
        .outbox()
        .resume_fixed_credentials(voxanne::outbox::now_ms())
        .await
        .unwrap();
    let sent = world.delivery.dispatcher().dispatch_once().await.unwrap();
    assert_eq!((resumed, sent.accepted), (2, 2));
    world.shutdown().await;
}

#[tokio::test]
async fn an_undeliverable_number_ends_undelivered_with_the_carrier_reason() {
    let world = World::start(|_| {}).await;
    let running = world.delivery.start();
    let clinic = world.clinic("Clinic").await;

    let id = world
        .queue(&clinic, "+15557770001", "to an unreachable phone")
        .await;

    let message = world
        .wait_for(&clinic, &id, MessageStatus::Undelivered)
        .await;
    assert_eq!(message.error_code, Some(30003));
    assert!(
        message
            .reason
            .as_deref()
            .is_some_and(|r| r.contains("unreachable")),
        "{:?}",
        message.reason
    );
    running.stop().await;
    world.shutdown().await;
}

#[tokio::test]
async fn the_reconciler_fetches_a_message_whose_callbacks_never_came() {
    // No public URL: Twilio gets no StatusCallback, only the reconciler can learn the status.
    let world = World::start(|config| config.public_url = None).await;
    let clinic = world.clinic("Clinic").await;
    let id = world.queue(&clinic, "+15557770005", "no receipt").await;
    world.delivery.dispatcher().dispatch_once().await.unwrap();

    let mut status = MessageStatus::Queued;
    let deadline = Instant::now() + Duration::from_secs(5);
    while status != MessageStatus::Sent && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
        world
            .delivery
            .dispatcher()
            .reconcile_stuck_once()
            .await
            .unwrap();
        status = world.message(&clinic, &id).await.status;
    }

    assert_eq!(status, MessageStatus::Sent);
    let timeline = world.timeline(&clinic, &id).await;
    assert!(
        timeline.iter().any(
            |(k, d)| k == "status" && d.as_deref().is_some_and(|d| d.starts_with("reconciler"))
        ),
        "{timeline:?}"
    );
    world.shutdown().await;
}

#[tokio::test]
async fn two_clinics_with_two_accounts_never_cross() {
    let world = World::start(|_| {}).await;
    let running = world.delivery.start();
    let a = world.clinic("Clinic A").await;
    let b = world.clinic("Clinic B").await;
    let (to_a, to_b) = (phone(), phone());

    let id_a = world.queue(&a, &to_a, "from A").await;
    let id_b = world.queue(&b, &to_b, "from B").await;

    let sent_a = world.wait_for(&a, &id_a, MessageStatus::Delivered).await;
    let sent_b = world.wait_for(&b, &id_b, MessageStatus::Delivered).await;
    assert_eq!(world.inbox(&to_a).await[0]["from"], a.from.as_str());
    assert_eq!(world.inbox(&to_b).await[0]["from"], b.from.as_str());
    // Each account's own message list holds only its own message.
    for (clinic, own, other) in [(&a, &sent_a, &sent_b), (&b, &sent_b, &sent_a)] {
        let url = format!(
            "{}/2010-04-01/Accounts/{}/Messages.json",
            world.sandbox.url(),
            clinic.account_sid
        );
        let list: serde_json::Value = world
            .http
            .get(url)
            .basic_auth(&clinic.account_sid, Some(&clinic.auth_token))
            .fetch_json()
            .await;
        let sids: Vec<&str> = list["messages"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|m| m["sid"].as_str())
            .collect();
        assert!(sids.contains(&own.twilio_sid.as_deref().unwrap()));
        assert!(!sids.contains(&other.twilio_sid.as_deref().unwrap()));
    }
    assert!(
        world
            .delivery
            .outbox()
            .get(a.org.as_str(), id_b.as_str())
            .await
            .unwrap()
            .is_none()
    );
    running.stop().await;
    world.shutdown().await;
}
