//! Cross-cutting behaviour: health, metrics, OpenAPI and docs, request ids, the error shape for
//! bad bodies (422 naming the field), body size (413) and rate limits (429).

use std::num::NonZeroU32;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::app::TestApp;

#[tokio::test]
async fn health_readiness_and_metrics_answer_without_a_key() {
    let app = TestApp::spawn().await;
    let health = app.call(Method::GET, "/healthz", None, None).await;
    let ready = app.call(Method::GET, "/readyz", None, None).await;
    let metrics = app.call(Method::GET, "/metrics", None, None).await;

    assert_eq!(
        (health.status, health.body["status"].clone()),
        (StatusCode::OK, json!("ok"))
    );
    assert_eq!(
        (ready.status, ready.body["status"].clone()),
        (StatusCode::OK, json!("ready"))
    );
    assert_eq!(metrics.status, StatusCode::OK);
    assert!(
        metrics.text.contains("voxanne_http_requests_total{"),
        "{}",
        metrics.text
    );
    assert!(
        metrics.text.contains("route=\"/readyz\""),
        "{}",
        metrics.text
    );
}

#[tokio::test]
async fn the_openapi_document_lists_every_endpoint_and_the_docs_page_renders_it_offline() {
    let app = TestApp::spawn().await;
    let doc = app.call(Method::GET, "/api/openapi.json", None, None).await;
    let page = app.call(Method::GET, "/docs", None, None).await;

    assert_eq!(doc.status, StatusCode::OK);
    assert!(doc.body["openapi"].as_str().unwrap().starts_with("3.1"));
    let paths = doc.body["paths"].as_object().unwrap();
    for path in [
        "/api/organization/credentials/twilio",
        "/api/organization/credentials",
        "/api/organization/credentials/{id}",
        "/api/organization/credentials/{id}/verify",
        "/api/organization/settings",
        "/healthz",
        "/readyz",
        "/metrics",
    ] {
        assert!(
            paths.contains_key(path),
            "{path} missing from the OpenAPI document"
        );
        assert!(
            page.text.contains(path),
            "{path} missing from the docs page"
        );
    }
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        !page.text.contains("<script"),
        "the docs page must not need JavaScript"
    );
    assert!(
        !page.text.contains("https://"),
        "the docs page must not load anything remote"
    );
}

#[tokio::test]
async fn every_answer_carries_a_request_id_and_error_bodies_repeat_it() {
    let app = TestApp::spawn().await;
    let answer = app
        .call(Method::GET, "/api/organization/credentials", None, None)
        .await;
    let id = answer.headers["x-request-id"].to_str().unwrap().to_owned();
    assert_eq!(answer.error()["request_id"], id.as_str());

    let mine = app
        .answer(
            app.client
                .get(format!("{}/healthz", app.url))
                .header("x-request-id", "call-42.abc"),
        )
        .await;
    let hostile = app
        .answer(
            app.client
                .get(format!("{}/healthz", app.url))
                .header("x-request-id", "a b\tc"),
        )
        .await;

    assert_eq!(mine.headers["x-request-id"], "call-42.abc");
    assert_ne!(hostile.headers["x-request-id"], "a b\tc");
}

#[tokio::test]
async fn unknown_paths_and_methods_answer_in_the_error_shape() {
    let app = TestApp::spawn().await;
    let nowhere = app.call(Method::GET, "/api/nowhere", None, None).await;
    let wrong = app.call(Method::PUT, "/healthz", None, None).await;

    assert_eq!(
        (nowhere.status, nowhere.error()["code"].clone()),
        (StatusCode::NOT_FOUND, json!("no_such_endpoint"))
    );
    assert_eq!(
        (wrong.status, wrong.error()["code"].clone()),
        (StatusCode::METHOD_NOT_ALLOWED, json!("method_not_allowed"))
    );
}

/// (body, field the 422 must name, code)
fn bad_bodies(account_sid: &str, token: &str) -> Vec<(Value, Option<&'static str>, &'static str)> {
    let sk = format!("SK{}", &account_sid[2..]);
    vec![
        (
            json!({"account_sid": account_sid, "auth_token": token, "from_number": "+14155552671", "colour": "red"}),
            Some("colour"),
            "unknown_field",
        ),
        (
            json!({"auth_token": token, "from_number": "+14155552671"}),
            Some("account_sid"),
            "missing_field",
        ),
        (
            json!({"account_sid": sk, "auth_token": token, "from_number": "+14155552671"}),
            Some("account_sid"),
            "invalid_sid",
        ),
        (
            json!({"account_sid": &account_sid[..20], "auth_token": token, "from_number": "+14155552671"}),
            Some("account_sid"),
            "invalid_sid",
        ),
        (
            json!({"account_sid": account_sid, "from_number": "+14155552671"}),
            Some("auth_token"),
            "missing_field",
        ),
        (
            json!({"account_sid": account_sid, "api_key_sid": sk, "from_number": "+14155552671"}),
            Some("api_key_secret"),
            "missing_field",
        ),
        (
            json!({"account_sid": account_sid, "api_key_sid": account_sid, "api_key_secret": token, "from_number": "+14155552671"}),
            Some("api_key_sid"),
            "invalid_sid",
        ),
        (
            json!({"account_sid": account_sid, "auth_token": token, "from_number": "(415) 555-2671"}),
            Some("from_number"),
            "invalid_phone_number",
        ),
        (
            json!({"account_sid": account_sid, "auth_token": token}),
            Some("from_number"),
            "missing_field",
        ),
        (
            json!({"account_sid": account_sid, "auth_token": token, "from_number": "+14155552671", "messaging_service_sid": "MG1"}),
            Some("messaging_service_sid"),
            "conflicting_fields",
        ),
        (
            json!({"account_sid": account_sid, "auth_token": token, "messaging_service_sid": sk}),
            Some("messaging_service_sid"),
            "invalid_sid",
        ),
        (
            json!({"account_sid": account_sid, "auth_token": "has space", "from_number": "+14155552671"}),
            Some("auth_token"),
            "invalid_secret",
        ),
        (
            json!({"account_sid": account_sid, "auth_token": token, "from_number": "+14155552671", "verify": "yes"}),
            Some("verify"),
            "invalid_type",
        ),
        (
            json!({"account_sid": account_sid, "auth_token": token, "from_number": "+14155552671", "label": ""}),
            Some("label"),
            "invalid_label",
        ),
        (json!([1, 2]), None, "malformed_json"),
    ]
}

#[tokio::test]
async fn every_bad_create_body_is_a_422_naming_the_field_with_a_hint() {
    let (app, org) = TestApp::with_org().await;
    let account = app.full_account().await;

    for (body, field, code) in bad_bodies(&account.sid, &account.token) {
        let answer = app.create_twilio(&org.key, &body).await;
        assert_eq!(
            answer.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            answer.text
        );
        assert_eq!(answer.error()["code"], code, "{body}: {}", answer.text);
        assert_eq!(answer.error_field(), field, "{body}: {}", answer.text);
        assert!(
            answer.error()["hint"].is_string(),
            "{body}: {}",
            answer.text
        );
    }
    let broken = app
        .answer(
            app.client
                .post(format!("{}/api/organization/credentials/twilio", app.url))
                .bearer_auth(&org.key)
                .body("{\"account_sid\": "),
        )
        .await;
    assert_eq!(
        (broken.status, broken.error()["code"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("malformed_json"))
    );
    assert_eq!(
        app.list_credentials(&org.key, "").await.body["credentials"],
        json!([])
    );
}

#[tokio::test]
async fn a_body_over_the_limit_is_a_413_in_the_error_shape() {
    let app = TestApp::spawn_with(|s| s.body_limit_bytes = 1024).await;
    let org = app.org().await;
    let label = "x".repeat(2048);

    let answer = app.create_twilio(&org.key, &json!({"label": label})).await;

    answer.assert_status(StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(answer.error()["code"], "payload_too_large");
    answer.assert_error_says("message", "1024");
}

#[tokio::test]
async fn a_key_over_its_rate_limit_gets_429_with_retry_after_while_other_keys_go_on() {
    let app = TestApp::spawn_with(|s| {
        s.rate_limit_per_second = NonZeroU32::MIN;
        s.rate_limit_burst = NonZeroU32::new(3).unwrap();
    })
    .await;
    let (busy, quiet) = (app.org().await, app.org().await);

    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(app.list_credentials(&busy.key, "").await);
    }
    let other = app.list_credentials(&quiet.key, "").await;

    let limited = statuses.last().unwrap();
    assert!(statuses[..3].iter().all(|a| a.status == StatusCode::OK));
    limited.assert_status(StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.error()["code"], "rate_limited");
    let retry_after: u64 = limited.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry_after), "{retry_after}");
    assert_eq!(other.status, StatusCode::OK);
}

#[tokio::test]
async fn a_database_outage_is_a_503_on_readiness_and_on_requests() {
    let app = TestApp::spawn().await;
    let org = app.org().await;

    app.store.close().await;
    let ready = app.call(Method::GET, "/readyz", None, None).await;
    let listed = app
        .call(
            Method::GET,
            "/api/organization/credentials",
            Some(&org.key),
            None,
        )
        .await;

    assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        (
            &ready.body["error"]["code"],
            &ready.body["error"]["message"]
        ),
        (
            &json!("unavailable"),
            &json!("The database is not reachable.")
        )
    );
    assert_eq!(listed.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        (
            &listed.body["error"]["code"],
            &listed.body["error"]["message"]
        ),
        (
            &json!("unavailable"),
            &json!("The database is not reachable right now.")
        )
    );
}
