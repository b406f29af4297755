//! Credential events raised by scheduled re-verification (issue 14), end to end over real
//! sockets: the re-verifier on a shortened interval, the sandbox that suspends an account,
//! answers 503 or revokes a Google grant, and a webhook receiver in the test. Each incident
//! raises exactly one event, with the documented shape and no secret.

use std::num::NonZeroU64;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::google_connect::{connect, google_user, revoke_at_google};
use crate::reverify::{metric, metrics_of, wait_for_credential};
use crate::support::app::{TestApp, TestOrg, TwilioAccount, random_number};
use crate::support::webhook_receiver::{Received, Receiver};
use crate::webhooks::register;

const WITHIN: Duration = Duration::from_secs(20);

const CREDENTIAL_EVENTS: &[&str] = &[
    "credential.verified",
    "credential.failed",
    "credential.needs_reconnect",
    "credential.undecryptable",
    "credential.recheck_failed",
];

/// A server that re-checks every second, retries webhooks after a second and allows loopback
/// endpoints; with the Google stand-in when `google`.
async fn app(google: bool) -> (TestApp, TestOrg) {
    let tweak = |server: &mut voxanne::config::ServerSettings| {
        server.reverify_interval_secs = NonZeroU64::new(1).unwrap();
        server.allow_insecure_webhooks = true;
        server.webhook_retry_schedule_secs = "1,1,1".to_owned();
    };
    let app = if google {
        TestApp::spawn_with_google_and(tweak).await
    } else {
        TestApp::spawn_with(tweak).await
    };
    let org = app.org().await;
    (app, org)
}

/// A verified Twilio credential that has had one re-check, and a receiver subscribed to every
/// credential event from then on (so the events it gets are the test's incidents alone).
async fn rechecked_twilio(app: &TestApp, org: &TestOrg) -> (TwilioAccount, String, Receiver) {
    let account = app.full_account().await;
    let id = app.add_token_credential(org, &account).await;
    wait_for_credential(app, org, &id, WITHIN, "the first re-check", |c| {
        c["last_check_outcome"] == "verified"
    })
    .await;
    let receiver = Receiver::start().await;
    register(app, org, &receiver.url, CREDENTIAL_EVENTS).await;
    (account, id, receiver)
}

fn kinds(got: &[Received]) -> Vec<String> {
    got.iter().map(Received::kind).collect()
}

fn count(got: &[Received], kind: &str) -> usize {
    got.iter().filter(|r| r.kind() == kind).count()
}

/// Asserts the event's shape `{type, timestamp, data: {credential_id, status, error_code,
/// reason}}`, that it names credential `id` with `status` (and a reason unless it recovered),
/// and that none of `secrets` (nor any
/// webhook secret) is in it. Returns its `data`.
fn assert_credential_event(
    event: &Received,
    kind: &str,
    id: &str,
    status: &str,
    secrets: &[&str],
) -> Value {
    let body = event.json();
    let mut keys: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(keys, ["data", "timestamp", "type"], "{body:#}");
    assert_eq!(body["type"], kind);
    let timestamp = body["timestamp"].as_str().unwrap();
    chrono::DateTime::parse_from_rfc3339(timestamp).unwrap();
    let data = body["data"].clone();
    let mut keys: Vec<&str> = data
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["credential_id", "error_code", "reason", "status"],
        "{body:#}"
    );
    assert_eq!(data["credential_id"], id);
    assert_eq!(data["status"], status);
    if kind == "credential.verified" {
        // A recovery has nothing to explain.
        assert!(
            data["reason"].is_null() && data["error_code"].is_null(),
            "{body:#}"
        );
    } else {
        assert!(
            data["reason"].as_str().is_some_and(|r| !r.is_empty()),
            "{body:#}"
        );
    }
    for secret in secrets {
        assert!(!event.body.contains(secret), "a secret in {}", event.body);
    }
    assert!(!event.body.contains("whsec_"), "{}", event.body);
    data
}

#[tokio::test]
async fn twilio_answering_503_for_the_whole_interval_raises_one_recheck_failed_event_after_the_third_run()
 {
    let (app, org) = app(false).await;
    let (account, id, receiver) = rechecked_twilio(&app, &org).await;
    let runs = "voxanne_credential_rechecks_total{outcome=\"could_not_check\"}";

    let fault =
        json!({"account_sid": account.sid, "fault": "503", "count": 10_000, "retry_after": 1});
    app.sandbox.control(Method::POST, "/faults", fault).await;
    let got = receiver
        .wait_until(
            Duration::from_secs(30),
            "credential.recheck_failed",
            |got| count(got, "credential.recheck_failed") == 1,
        )
        .await;
    // Raised with the run that completed the streak: the third, not before.
    assert_eq!(metric(&metrics_of(&app.url).await, runs), 3);
    assert_eq!(kinds(&got), ["credential.recheck_failed"]);

    // Runs 4 and 5 do not raise it again; the webhook retry schedule (1 s) would have delivered
    // a second one by the time the sixth run is recorded.
    let started = std::time::Instant::now();
    while metric(&metrics_of(&app.url).await, runs) < 6 {
        assert!(started.elapsed() < Duration::from_secs(45), "no more runs");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let got = receiver.accepted();
    assert_eq!(
        kinds(&got),
        ["credential.recheck_failed"],
        "nor any other event"
    );
    let data = assert_credential_event(
        &got[0],
        "credential.recheck_failed",
        &id,
        "verified",
        &[&account.token],
    );
    assert!(data["error_code"].is_null());
    let still = app.get_credential(&org.key, &id).await.body;
    assert_eq!(still["verification_status"], "verified");
    assert_eq!(still["last_check_outcome"], "could_not_check");
}

#[tokio::test]
async fn a_suspended_account_raises_one_failed_event_for_the_incident_and_one_verified_when_reactivated()
 {
    let (app, org) = app(false).await;
    let (account, id, receiver) = rechecked_twilio(&app, &org).await;

    app.suspend(&account).await;
    let failed = wait_for_credential(&app, &org, &id, WITHIN, "failing", |c| {
        c["verification_status"] == "failed"
    })
    .await;
    // Two more runs find it suspended again, and two hot leads are refused up front.
    let first_failed_check = failed["last_checked_at"].clone();
    let mut seen = vec![first_failed_check];
    while seen.len() < 3 {
        let c = wait_for_credential(&app, &org, &id, WITHIN, "another re-check", |c| {
            !seen.contains(&c["last_checked_at"])
        })
        .await;
        assert_eq!(c["last_check_outcome"], "failed");
        seen.push(c["last_checked_at"].clone());
    }
    for _ in 0..2 {
        let lead = json!({"lead": {"name": "Maria Lopez", "phone": random_number(), "reason": "Knee pain"}, "to": [random_number()]});
        let refused = app
            .call(
                Method::POST,
                "/api/messages/hot-lead",
                Some(&org.key),
                Some(&lead),
            )
            .await;
        assert_eq!(
            refused.error()["code"],
            "credential_failed",
            "{}",
            refused.text
        );
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let got = receiver.accepted();
    assert_eq!(kinds(&got), ["credential.failed"], "one event per incident");
    let data = assert_credential_event(
        &got[0],
        "credential.failed",
        &id,
        "failed",
        &[&account.token],
    );
    assert!(
        data["reason"].as_str().unwrap().contains("suspended"),
        "{data:#}"
    );

    app.sandbox
        .control(
            Method::PATCH,
            &format!("/accounts/{}", account.sid),
            json!({"status": "active"}),
        )
        .await;
    receiver
        .wait_until(WITHIN, "credential.verified", |got| {
            count(got, "credential.verified") == 1
        })
        .await;
    let accepted = json!({"lead": {"name": "Maria Lopez", "phone": random_number(), "reason": "Knee pain"}, "to": [random_number()]});
    app.call(
        Method::POST,
        "/api/messages/hot-lead",
        Some(&org.key),
        Some(&accepted),
    )
    .await
    .assert_status(StatusCode::ACCEPTED);
    // Later runs that find it verified again raise nothing more.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let got = receiver.accepted();
    assert_eq!(kinds(&got), ["credential.failed", "credential.verified"]);
    assert_credential_event(
        &got[1],
        "credential.verified",
        &id,
        "verified",
        &[&account.token],
    );
}

#[tokio::test]
async fn a_google_grant_revoked_in_the_stand_in_raises_one_needs_reconnect_event() {
    let (app, org) = app(true).await;
    let email = google_user(&app).await;
    let id = connect(&app, &org, &email).await;
    wait_for_credential(&app, &org, &id, WITHIN, "the first re-check", |c| {
        c["last_check_outcome"] == "verified"
    })
    .await;
    let receiver = Receiver::start().await;
    register(&app, &org, &receiver.url, CREDENTIAL_EVENTS).await;

    revoke_at_google(&app, &email).await;
    receiver
        .wait_until(WITHIN, "credential.needs_reconnect", |got| {
            count(got, "credential.needs_reconnect") == 1
        })
        .await;
    tokio::time::sleep(Duration::from_secs(3)).await;

    let got = receiver.accepted();
    assert_eq!(kinds(&got), ["credential.needs_reconnect"]);
    let data = assert_credential_event(
        &got[0],
        "credential.needs_reconnect",
        &id,
        "needs_reconnect",
        &[],
    );
    let body = &got[0].body;
    assert!(
        !body.contains("token") && !body.contains("ya29.") && !body.contains("1//"),
        "no Google token in {body}"
    );
    assert!(data["reason"].is_string());
    let credential = app.get_credential(&org.key, &id).await.body;
    assert_eq!(credential["verification_status"], "needs_reconnect");
}
