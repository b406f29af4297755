//! The control API and the phone page.

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::{random_number, start, start_with_account, start_with_number};

#[tokio::test]
async fn health_answers_ok() {
    let sandbox = start().await;

    let response = sandbox.get_plain("/sandbox/health").await;

    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"status": "ok"})
    );
}

#[tokio::test]
async fn new_accounts_get_distinct_twilio_shaped_credentials() {
    let (sandbox, a) = start_with_account().await;
    let b = sandbox
        .account_with(json!({"friendly_name": "B", "type": "Full", "status": "active"}))
        .await;

    for sid in [&a.account_sid, &a.test_account_sid, &b.account_sid] {
        assert!(
            sid.starts_with("AC")
                && sid.len() == 34
                && sid[2..].bytes().all(|c| c.is_ascii_hexdigit())
        );
    }
    assert_eq!(a.auth_token.len(), 32);
    assert_ne!(a.account_sid, b.account_sid);
    assert_ne!(a.auth_token, a.test_auth_token);
}

#[tokio::test]
async fn bad_control_input_names_the_field() {
    let (sandbox, creds) = start_with_account().await;
    let numbers = sandbox.url(&format!("/sandbox/accounts/{}/numbers", creds.account_sid));

    let refusals = [
        (
            sandbox.url("/sandbox/accounts"),
            json!({"type": "Gold"}),
            "Gold",
        ),
        (
            numbers.clone(),
            json!({"phone_number": "4155550100"}),
            "phone_number",
        ),
        (numbers.clone(), json!({}), "phone_number"),
    ];

    for (url, body, named) in refusals {
        let response = sandbox.http.post(url).json(&body).send().await.unwrap();
        assert_eq!(response.status(), 400, "{body}");
        let text = response.text().await.unwrap();
        assert!(text.contains(named), "{body}: {text}");
    }
    let number = random_number();
    sandbox.add_number(&creds.account_sid, &number, true).await;
    let twice = sandbox
        .http
        .post(&numbers)
        .json(&json!({"phone_number": number}))
        .send()
        .await
        .unwrap();
    assert_eq!(twice.status(), 409);
    let unknown = sandbox.url(&format!(
        "/sandbox/accounts/AC{:032x}/keys",
        rand::random::<u128>()
    ));
    assert_eq!(
        sandbox.http.post(unknown).send().await.unwrap().status(),
        404
    );
}

#[tokio::test]
async fn the_phone_page_shows_inboxes_with_message_text_escaped() {
    let (sandbox, creds, from) = start_with_number().await;
    let to = random_number();
    let body = "<script>alert('x')</script> & more";
    let created: Value = sandbox.text_json(&creds, &to, &from, body).await;
    sandbox
        .wait_for_status(&creds, created["sid"].as_str().unwrap(), "delivered")
        .await;

    let response = sandbox.get_plain("/sandbox/phones").await;

    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = response.text().await.unwrap();
    assert!(html.contains(&to), "the phone is listed");
    assert!(
        html.contains("&#60;script&#62;") || html.contains("&lt;script&gt;"),
        "the body is escaped"
    );
    assert!(!html.contains(body));
    let inboxes: Value = sandbox
        .get_plain("/sandbox/inboxes")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(inboxes[&to][0]["body"], body);
}

#[tokio::test]
async fn a_phone_inbox_lists_messages_newest_last() {
    let (sandbox, creds, from) = start_with_number().await;
    let to = random_number();
    for body in ["first", "second"] {
        let created: Value = sandbox.text_json(&creds, &to, &from, body).await;
        sandbox
            .wait_for_status(&creds, created["sid"].as_str().unwrap(), "delivered")
            .await;
    }

    let inbox = sandbox.inbox(&to).await;

    let bodies: Vec<_> = inbox.iter().map(|m| m["body"].as_str().unwrap()).collect();
    assert_eq!(bodies, ["first", "second"]);
    assert!(inbox[0]["received_at"].is_string() && inbox[0]["to"] == to.as_str());
    assert!(sandbox.inbox(&random_number()).await.is_empty());
    let typo = sandbox
        .get_plain("/sandbox/phones/4155550100/messages")
        .await;
    assert_eq!(typo.status().as_u16(), 400, "a typo is not an empty inbox");
}

#[tokio::test]
async fn shutdown_stops_the_server() {
    let sandbox = start().await;
    let url = sandbox.url("/sandbox/health");
    let http = sandbox.http.clone();

    tokio::time::timeout(Duration::from_secs(5), sandbox.sandbox.shutdown())
        .await
        .unwrap();

    assert!(http.get(url).send().await.is_err());
}
