//! Each class of failed Create Message against the sandbox: ambiguous 500s, answers that say
//! "not processed", connections refused before anything was written, permanent refusals, and
//! messages past their max age.

use std::time::Duration;

use serde_json::json;
use voxanne::delivery::Delivery;
use voxanne::ids::MessageId;
use voxanne::outbox::{EventRecord, MessageStatus};

use super::world::{Clinic, World, phone, test_config};

async fn events(world: &World, clinic: &Clinic, id: &MessageId) -> Vec<EventRecord> {
    world
        .delivery
        .outbox()
        .events(clinic.org.as_str(), id.as_str())
        .await
        .unwrap()
}

/// A clinic on test credentials, whose magic `To` numbers answer Twilio's refusal codes.
async fn test_credentials_clinic(world: &World) -> Clinic {
    let account = world.control("/accounts", json!({})).await;
    world
        .clinic_with(
            "Clinic",
            account["test_account_sid"].as_str().unwrap(),
            account["test_auth_token"].as_str().unwrap(),
            "+15005550006",
        )
        .await
}

#[tokio::test]
async fn a_500_answered_after_twilio_created_the_message_is_adopted_not_sent_twice() {
    let world = World::start(|_| {}).await;
    let sent = world
        .send_through_fault(json!({"fault": "500", "process": true}), "one text only")
        .await;

    assert_eq!(
        (sent.first.retried, sent.first.reconciling),
        (0, 1),
        "a 500 is not resent blindly: {:?}",
        sent.first
    );
    let second = &sent.second;
    assert_eq!((second.adopted, second.accepted), (1, 0), "{second:?}");
    let (delivered, inbox) = world.delivered(&sent).await;
    assert_eq!(inbox.len(), 1, "the phone got one text: {inbox:?}");
    assert_eq!(inbox[0]["sid"].as_str(), delivered.twilio_sid.as_deref());
    let reconciling = events(&world, &sent.clinic, &sent.id).await;
    assert!(
        reconciling
            .iter()
            .any(|e| e.kind == "reconciling" && e.twilio_code == Some(20500)),
        "{reconciling:?}"
    );
    world.shutdown().await;
}

#[tokio::test]
async fn a_500_answered_before_anything_was_created_is_sent_after_checking() {
    let world = World::start(|_| {}).await;
    let sent = world
        .send_through_fault(
            json!({"fault": "500", "process": false}),
            "checked, then sent",
        )
        .await;

    assert_eq!(sent.first.reconciling, 1, "{:?}", sent.first);
    let second = &sent.second;
    assert_eq!((second.accepted, second.adopted), (1, 0), "{second:?}");
    assert_eq!(world.delivered(&sent).await.1.len(), 1);
    world.shutdown().await;
}

#[tokio::test]
async fn a_503_answered_after_twilio_created_the_message_is_reconciled_and_adopted_not_sent_twice()
{
    let world = World::start(|_| {}).await;
    let sent = world
        .send_through_fault(
            json!({"fault": "503", "process": true}),
            "one text only, even after a 503",
        )
        .await;

    assert_eq!(
        (sent.first.retried, sent.first.reconciling),
        (0, 1),
        "a 503 is not resent blindly: {:?}",
        sent.first
    );
    assert_eq!(
        (sent.second.adopted, sent.second.accepted),
        (1, 0),
        "{:?}",
        sent.second
    );
    let (_, inbox) = world.delivered(&sent).await;
    assert_eq!(inbox.len(), 1, "the phone got one text");
    let timeline = events(&world, &sent.clinic, &sent.id).await;
    assert!(
        timeline
            .iter()
            .any(|e| e.kind == "reconciling" && e.twilio_code == Some(20503)),
        "{timeline:?}"
    );
    world.shutdown().await;
}

#[tokio::test]
async fn a_503_that_created_nothing_is_sent_after_checking_and_a_429_is_retried_at_once() {
    let world = World::start(|_| {}).await;
    let busy = world.clinic("Busy").await;
    let limited = world.clinic("Limited").await;
    let busy_to = phone();
    world
        .fault(&busy, json!({"fault": "503", "process": false}))
        .await;
    world
        .fault(&limited, json!({"fault": "429", "retry_after": 1}))
        .await;
    let unavailable_id = world.queue(&busy, &busy_to, "busy").await;
    let limited_id = world.queue(&limited, &phone(), "slow down").await;

    let report = world.delivery.dispatcher().dispatch_once().await.unwrap();

    assert_eq!(
        (report.retried, report.reconciling),
        (1, 1),
        "the 429 is retried, the 503 reconciled: {report:?}"
    );
    let limited_timeline = events(&world, &limited, &limited_id).await;
    assert!(
        limited_timeline
            .iter()
            .any(|e| e.kind == "retry" && e.twilio_code == Some(20429)),
        "{limited_timeline:?}"
    );
    tokio::time::sleep(Duration::from_millis(80)).await;
    let second = world.delivery.dispatcher().dispatch_once().await.unwrap();
    assert_eq!(second.adopted, 0, "nothing to adopt: {second:?}");
    world
        .wait_for(&busy, &unavailable_id, MessageStatus::Delivered)
        .await;
    assert_eq!(world.inbox(&busy_to).await.len(), 1);
    world.shutdown().await;
}

#[tokio::test]
async fn a_message_of_one_clinic_never_adopts_the_twilio_message_of_another_sharing_its_account() {
    let world = World::start(|_| {}).await;
    let q = world.clinic("Q").await;
    // P registered the same Twilio account and From number as Q.
    let p = world
        .clinic_with("P", &q.account_sid, &q.auth_token, &q.from)
        .await;
    let to = phone();
    let first = world.queue(&q, &to, "same words, same phone").await;
    world.delivery.dispatcher().dispatch_once().await.unwrap();
    world.wait_for(&q, &first, MessageStatus::Delivered).await;
    world
        .fault(&p, json!({"fault": "500", "process": false}))
        .await;
    let second = world.queue(&p, &to, "same words, same phone").await;

    world.delivery.dispatcher().dispatch_once().await.unwrap();
    tokio::time::sleep(Duration::from_millis(80)).await;
    let report = world.delivery.dispatcher().dispatch_once().await.unwrap();

    assert_eq!(
        (report.adopted, report.accepted),
        (0, 1),
        "P's text is sent, not Q's adopted: {report:?}"
    );
    let delivered = world.wait_for(&p, &second, MessageStatus::Delivered).await;
    let q_message = world.wait_for(&q, &first, MessageStatus::Delivered).await;
    assert_ne!(delivered.twilio_sid, q_message.twilio_sid);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(
        world.inbox(&to).await.len(),
        2,
        "each clinic's text reached the phone"
    );
    world.shutdown().await;
}

#[tokio::test]
async fn a_refused_connection_is_retried_without_reconciling() {
    let world = World::start(|_| {}).await;
    let clinic = world.clinic("Clinic").await;
    let to = phone();
    let id = world.queue(&clinic, &to, "after the outage").await;
    // A Twilio address where nothing listens: the connection is refused before any byte of the
    // request is written.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let unreachable = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let outage = Delivery::new(
        &world.db.store,
        twilio::Config::for_base_url(&unreachable).unwrap(),
        test_config(&world.public_url),
    )
    .unwrap();

    let refused = outage.dispatcher().dispatch_once().await.unwrap();
    let mut later = world.delivery.dispatcher().dispatch_once().await.unwrap();
    for _ in 0..50 {
        if later.claimed > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        later = world.delivery.dispatcher().dispatch_once().await.unwrap();
    }

    assert_eq!(
        (refused.retried, refused.reconciling),
        (1, 0),
        "{refused:?}"
    );
    assert_eq!(
        (later.accepted, later.adopted, later.reconciling),
        (1, 0, 0),
        "sent again straight away, without asking Twilio first: {later:?}"
    );
    let kinds: Vec<String> = events(&world, &clinic, &id)
        .await
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert!(!kinds.contains(&"reconciling".to_owned()), "{kinds:?}");
    world.wait_for(&clinic, &id, MessageStatus::Delivered).await;
    assert_eq!(world.inbox(&to).await.len(), 1);
    world.shutdown().await;
}

#[tokio::test]
async fn twilios_permanent_refusals_fail_at_once_with_their_code_and_plain_reason() {
    let world = World::start(|_| {}).await;
    let clinic = test_credentials_clinic(&world).await;
    let cases = [
        ("+15005550001", 21211, "not a valid phone number"),
        ("+15005550002", 21612, "cannot reach"),
        ("+15005550003", 21408, "Geo Permissions"),
        ("+15005550009", 21614, "cannot receive SMS"),
    ];
    let mut ids = Vec::new();
    for (to, _, _) in &cases {
        ids.push(world.queue(&clinic, to, "refused").await);
    }

    let report = world.delivery.dispatcher().dispatch_once().await.unwrap();

    assert_eq!((report.claimed, report.failed), (4, 4), "{report:?}");
    for (id, (_, code, words)) in ids.iter().zip(cases) {
        let message = world.message(&clinic, id).await;
        assert_eq!(message.status, MessageStatus::Failed);
        assert_eq!(message.error_code, Some(code));
        assert!(
            message.reason.as_deref().is_some_and(|r| r.contains(words)),
            "{code}: {:?}",
            message.reason
        );
    }
    assert_eq!(world.delivery.outbox().backlog().await.unwrap(), 0);
    world.shutdown().await;
}

#[tokio::test]
async fn a_message_older_than_its_max_age_fails_with_the_reason_instead_of_going_out_late() {
    let world = World::start(|config| config.retry.max_age = Duration::from_millis(150)).await;
    let clinic = world.clinic("Clinic").await;
    let to = phone();
    let id = world.queue(&clinic, &to, "too late").await;
    tokio::time::sleep(Duration::from_millis(200)).await;

    let report = world.delivery.dispatcher().dispatch_once().await.unwrap();

    assert_eq!((report.failed, report.accepted), (1, 0), "{report:?}");
    let message = world.message(&clinic, &id).await;
    assert_eq!(message.status, MessageStatus::Failed);
    assert!(
        message
            .reason
            .as_deref()
            .is_some_and(|r| r.contains("Not handed to Twilio within 150 ms")),
        "{:?}",
        message.reason
    );
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(world.inbox(&to).await.is_empty(), "nothing was sent late");
    world.shutdown().await;
}
