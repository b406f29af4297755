//! Inputs a black-box audit found slipping through: control characters in texts, an unbounded
//! hot-lead fan-out, and a request carrying two Authorization headers.

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::app::{TestApp, random_number};

#[tokio::test]
async fn a_body_or_lead_field_with_a_control_character_is_refused_naming_the_field() {
    let (app, org) = TestApp::with_org().await;
    app.credential(&org).await;
    let lead = |name: &str| json!({"name": name, "phone": random_number(), "reason": "Cleaning"});

    let cases = [
        (
            "/api/messages",
            json!({"to": random_number(), "body": "a\u{0}b"}),
            "body",
        ),
        (
            "/api/messages",
            json!({"to": random_number(), "body": "\u{0}"}),
            "body",
        ),
        (
            "/api/messages",
            json!({"to": random_number(), "body": "ring\u{7}"}),
            "body",
        ),
        (
            "/api/messages/hot-lead",
            json!({"lead": lead("Ma\u{0}ria"), "to": [random_number()]}),
            "lead.name",
        ),
    ];
    for (path, body, field) in cases {
        let answer = app
            .call(Method::POST, path, Some(&org.key), Some(&body))
            .await;

        assert_eq!(
            answer.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            answer.text
        );
        assert_eq!(answer.error_field(), Some(field), "{body}");
        assert_eq!(answer.error()["code"], "control_character", "{body}");
    }
    let fine = app
        .call(
            Method::POST,
            "/api/messages",
            Some(&org.key),
            Some(&json!({"to": random_number(), "body": "line one\nline two\twith a tab"})),
        )
        .await;
    assert_eq!(fine.status, StatusCode::ACCEPTED, "{}", fine.text);
}

#[tokio::test]
async fn a_hot_lead_to_more_than_twenty_numbers_is_refused_before_anything_is_queued() {
    let (app, org) = TestApp::with_org().await;
    app.credential(&org).await;
    let to: Vec<String> = (0..21).map(|_| random_number()).collect();

    let refused = app
        .call(
            Method::POST,
            "/api/messages/hot-lead",
            Some(&org.key),
            Some(&json!({"lead": {"name": "Maria", "phone": random_number(), "reason": "Implant"}, "to": to})),
        )
        .await;
    let listed = app
        .call(Method::GET, "/api/messages", Some(&org.key), None)
        .await;

    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.text
    );
    assert_eq!(refused.error_field(), Some("to"));
    assert_eq!(refused.error()["code"], "too_many_recipients");
    assert_eq!(listed.body["messages"], json!([]), "nothing was queued");
}

#[tokio::test]
async fn two_authorization_headers_are_a_400_even_when_one_is_valid() {
    let (app, org) = TestApp::with_org().await;
    let request = app
        .client
        .get(format!("{}/api/organization/credentials", app.url))
        .header("authorization", format!("Bearer {}", org.key))
        .header("authorization", "Bearer vox_not_a_key");

    let answer = app.answer(request).await;

    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.text);
    assert_eq!(answer.error()["code"], "multiple_authorization_headers");
}
