//! The asynchronous life of a message and the scenario phones.

use std::time::Duration;

use sandbox::scenarios;
use serde_json::Value;

use crate::support::{random_number, start_with, start_with_number};

#[tokio::test]
async fn a_message_goes_through_sending_and_sent_to_delivered_and_lands_in_the_inbox() {
    let sandbox = start_with(Duration::from_millis(40)).await;
    let (creds, from) = sandbox.account_with_number().await;
    let to = random_number();
    let created: Value = sandbox.text_json(&creds, &to, &from, "Your lead").await;
    let sid = created["sid"].as_str().unwrap();

    let sending = sandbox.wait_for_status(&creds, sid, "sending").await;
    assert_eq!(sending["price"], Value::Null);
    let sent = sandbox.wait_for_status(&creds, sid, "sent").await;
    assert_eq!(sent["price"], "-0.00790");
    assert_eq!(sent["price_unit"], "USD");
    let delivered = sandbox.wait_for_status(&creds, sid, "delivered").await;
    assert_eq!(delivered["error_code"], Value::Null);

    let inbox = sandbox.inbox(&to).await;
    assert_eq!(inbox.len(), 1);
    assert_eq!(inbox[0]["sid"], sid);
    assert_eq!(inbox[0]["from"], from.as_str());
    assert_eq!(inbox[0]["body"], "Your lead");
}

#[tokio::test]
async fn each_scenario_phone_ends_undelivered_with_its_error_code() {
    let (sandbox, creds, from) = start_with_number().await;
    for (to, code) in [
        (scenarios::UNREACHABLE, 30003),
        (scenarios::UNKNOWN_HANDSET, 30005),
        (scenarios::LANDLINE, 30006),
        (scenarios::CARRIER_FILTERED, 30007),
    ] {
        let created: Value = sandbox.text_json(&creds, to, &from, "x").await;
        let message = sandbox
            .wait_for_status(&creds, created["sid"].as_str().unwrap(), "undelivered")
            .await;
        assert_eq!(message["error_code"], code, "{to}");
        assert!(
            message["error_message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
        assert!(sandbox.inbox(to).await.is_empty(), "{to} must not receive");
    }
}

#[tokio::test]
async fn the_no_receipt_phone_stays_sent() {
    let (sandbox, creds, from) = start_with_number().await;
    let created: Value = sandbox
        .text_json(&creds, scenarios::NO_RECEIPT, &from, "x")
        .await;
    let sid = created["sid"].as_str().unwrap();

    sandbox.wait_for_status(&creds, sid, "sent").await;
    tokio::time::sleep(Duration::from_millis(50)).await;

    assert_eq!(sandbox.fetch_message(&creds, sid).await["status"], "sent");
}

#[tokio::test]
async fn a_deleted_message_stops_its_life_without_harm() {
    let sandbox = start_with(Duration::from_millis(20)).await;
    let (creds, from) = sandbox.account_with_number().await;
    let to = random_number();
    let created: Value = sandbox.text_json(&creds, &to, &from, "x").await;
    let path = format!(
        "/2010-04-01/Accounts/{}/Messages/{}.json",
        creds.account_sid,
        created["sid"].as_str().unwrap()
    );

    let deleted = sandbox.delete_as(&creds, &path).await;
    assert_eq!(deleted.status(), 204);
    tokio::time::sleep(Duration::from_millis(120)).await;

    assert!(sandbox.inbox(&to).await.is_empty());
    let health = sandbox.get_plain("/sandbox/health").await;
    assert_eq!(health.status(), 200);
}
