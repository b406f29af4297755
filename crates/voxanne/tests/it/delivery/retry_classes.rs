//! The classes of failed Create Message the sandbox's faults do not make: connections refused
//! before anything was written, Twilio's permanent refusals, and messages past their max age.
//! Every sandbox fault (429, 500, 503, a hang, a dropped connection), with and without the
//! request taking effect, is a proof: `tests/proofs/faults.rs`.

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
