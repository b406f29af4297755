//! Signed event webhooks (issue 14) over real sockets: the service, the sandbox, and a receiver
//! in the test; signatures checked by the specification's reference library (PyPI
//! `standardwebhooks`, see `tests/webhooks/setup.sh`).

mod api;
mod events;
mod processes;
mod rebinding;
mod two_servers;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::app::{TestApp, TestOrg, random_number};

/// A server that allows loopback webhooks and retries after `schedule` seconds.
async fn app_with_schedule(schedule: &str) -> TestApp {
    let schedule = schedule.to_owned();
    TestApp::spawn_with(move |server| {
        server.allow_insecure_webhooks = true;
        server.webhook_retry_schedule_secs = schedule;
    })
    .await
}

/// Registers `url` for `events`; returns the endpoint's id and its secret.
pub async fn register(
    app: &TestApp,
    org: &TestOrg,
    url: &str,
    events: &[&str],
) -> (String, String) {
    let answer = app
        .call(
            Method::POST,
            "/api/organization/webhooks",
            Some(&org.key),
            Some(&json!({"url": url, "events": events})),
        )
        .await;
    answer.assert_status(StatusCode::CREATED);
    (
        answer.body["id"].as_str().unwrap().to_owned(),
        answer.body["secret"].as_str().unwrap().to_owned(),
    )
}

/// An organization with a working Twilio credential and one alert recipient; sends a hot lead
/// and returns the ids of its messages.
async fn hot_lead(app: &TestApp, org: &TestOrg) -> Vec<String> {
    let answer = app
        .put_settings(
            &org.key,
            &json!({"alert_recipients": [random_number()], "timezone": "America/New_York"}),
        )
        .await;
    answer.assert_status(StatusCode::OK);
    let lead =
        json!({"lead": {"name": "Ana", "phone": "+14155550123", "reason": "new patient cleaning"}});
    let answer = app
        .call(
            Method::POST,
            "/api/messages/hot-lead",
            Some(&org.key),
            Some(&lead),
        )
        .await;
    answer.assert_status(StatusCode::ACCEPTED);
    answer.body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .collect()
}

fn message_of(event: &Value) -> String {
    event["data"]["message_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}
