//! StatusCallbacks reach a real receiver, in order, signed as Twilio signs them; the signature is
//! checked here with an implementation written from Twilio's docs, independent of the sandbox's.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::post;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;
use tokio::sync::Mutex;
use url::form_urlencoded;

use crate::support::{random_number, start_with_number};

#[derive(Debug, Clone)]
struct Received {
    headers: HeaderMap,
    form: Vec<(String, String)>,
}

impl Received {
    fn field(&self, name: &str) -> Option<&str> {
        self.form
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

type Inbox = Arc<Mutex<Vec<Received>>>;

async fn receiver() -> (String, Inbox) {
    let inbox: Inbox = Arc::default();
    let app = Router::new()
        .route(
            "/status",
            post(
                |State(inbox): State<Inbox>, headers: HeaderMap, body: String| async move {
                    let form = form_urlencoded::parse(body.as_bytes())
                        .into_owned()
                        .collect();
                    inbox.lock().await.push(Received { headers, form });
                },
            ),
        )
        .with_state(Arc::clone(&inbox));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/status?clinic=7", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, inbox)
}

/// Twilio's documented algorithm: URL, then each parameter name and value in name order,
/// HMAC-SHA1 with the auth token, base64.
fn expected_signature(token: &str, url: &str, form: &[(String, String)]) -> String {
    let mut sorted = form.to_vec();
    sorted.sort();
    let data: String = sorted
        .iter()
        .fold(url.to_owned(), |acc, (n, v)| acc + n + v);
    let mut mac = Hmac::<Sha1>::new_from_slice(token.as_bytes()).unwrap();
    mac.update(data.as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

async fn wait_for(inbox: &Inbox, count: usize) -> Vec<Received> {
    for _ in 0..300 {
        let received = inbox.lock().await.clone();
        if received.len() >= count {
            return received;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!(
        "expected {count} callbacks, got {}",
        inbox.lock().await.len()
    );
}

#[tokio::test]
async fn each_status_after_queued_is_posted_in_order_and_signed_with_the_auth_token() {
    let (sandbox, creds, from) = start_with_number().await;
    let (url, inbox) = receiver().await;
    let to = random_number();

    let response = sandbox
        .send(
            &creds,
            &[
                ("To", &to),
                ("From", &from),
                ("Body", "x"),
                ("StatusCallback", &url),
            ],
        )
        .await;
    assert_eq!(response.status(), 201);
    let received = wait_for(&inbox, 3).await;

    let statuses: Vec<_> = received
        .iter()
        .map(|r| r.field("MessageStatus").unwrap())
        .collect();
    assert_eq!(statuses, ["sending", "sent", "delivered"]);
    for callback in &received {
        let signature = callback.headers["x-twilio-signature"].to_str().unwrap();
        assert_eq!(
            signature,
            expected_signature(&creds.auth_token, &url, &callback.form)
        );
        assert_ne!(
            signature,
            expected_signature("another-token", &url, &callback.form)
        );
        assert!(callback.headers.contains_key("i-twilio-idempotency-token"));
        assert_eq!(callback.field("SmsStatus"), callback.field("MessageStatus"));
        assert_eq!(callback.field("SmsSid"), callback.field("MessageSid"));
        assert_eq!(
            callback.field("AccountSid"),
            Some(creds.account_sid.as_str())
        );
        assert_eq!(callback.field("From"), Some(from.as_str()));
        assert_eq!(callback.field("To"), Some(to.as_str()));
        assert_eq!(callback.field("ApiVersion"), Some("2010-04-01"));
        assert_eq!(callback.field("ErrorCode"), None);
    }
    let dlr = received[2].field("RawDlrDoneDate").unwrap();
    assert!(
        dlr.len() == 10 && dlr.bytes().all(|b| b.is_ascii_digit()),
        "{dlr}"
    );
    assert_eq!(received[0].field("RawDlrDoneDate"), None);
}

#[tokio::test]
async fn an_undelivered_callback_carries_the_error_and_the_messaging_service() {
    let (sandbox, creds, from) = start_with_number().await;
    let service = sandbox
        .messaging_service(&creds.account_sid, &[&from])
        .await;
    let (url, inbox) = receiver().await;

    let form = [
        ("To", sandbox::scenarios::LANDLINE),
        ("MessagingServiceSid", &service),
        ("Body", "x"),
        ("StatusCallback", &url),
    ];
    assert_eq!(sandbox.send(&creds, &form).await.status(), 201);
    let received = wait_for(&inbox, 4).await;

    let statuses: Vec<_> = received
        .iter()
        .map(|r| r.field("MessageStatus").unwrap())
        .collect();
    assert_eq!(statuses, ["queued", "sending", "sent", "undelivered"]);
    let last = &received[3];
    assert_eq!(last.field("ErrorCode"), Some("30006"));
    assert!(last.field("ErrorMessage").is_some());
    assert!(last.field("RawDlrDoneDate").is_some());
    assert!(
        received
            .iter()
            .all(|r| r.field("MessagingServiceSid") == Some(service.as_str()))
    );
}

#[tokio::test]
async fn no_callback_is_sent_without_a_status_callback_or_with_test_credentials() {
    let (sandbox, creds, from) = start_with_number().await;
    let (url, inbox) = receiver().await;
    let path = format!(
        "/2010-04-01/Accounts/{}/Messages.json",
        creds.test_account_sid
    );
    let form = [
        ("To", "+14155550123"),
        ("From", "+15005550006"),
        ("Body", "x"),
        ("StatusCallback", url.as_str()),
    ];

    let response = sandbox
        .post_form(
            &creds.test_account_sid,
            &creds.test_auth_token,
            &path,
            &form,
        )
        .await;
    assert_eq!(response.status(), 201);
    let plain: serde_json::Value = sandbox
        .text_json(&creds, &random_number(), &from, "x")
        .await;
    sandbox
        .wait_for_status(&creds, plain["sid"].as_str().unwrap(), "delivered")
        .await;
    tokio::time::sleep(Duration::from_millis(50)).await;

    assert!(inbox.lock().await.is_empty());
}

#[tokio::test]
async fn with_no_carrier_delay_every_message_still_reports_each_status_once_in_order() {
    let sandbox = crate::support::start_with(Duration::ZERO).await;
    let (creds, from) = sandbox.account_with_number().await;
    let (url, inbox) = receiver().await;
    let phones: Vec<String> = (0..20).map(|_| random_number()).collect();
    for to in &phones {
        let response = sandbox
            .send(
                &creds,
                &[
                    ("To", to),
                    ("From", &from),
                    ("Body", "x"),
                    ("StatusCallback", &url),
                ],
            )
            .await;
        assert_eq!(response.status(), 201);
    }
    let received = wait_for(&inbox, 3 * phones.len()).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        inbox.lock().await.len(),
        3 * phones.len(),
        "no extra callbacks"
    );
    for to in &phones {
        let statuses: Vec<&str> = received
            .iter()
            .filter(|r| r.field("To") == Some(to.as_str()))
            .map(|r| r.field("MessageStatus").unwrap())
            .collect();
        assert_eq!(statuses, ["sending", "sent", "delivered"], "{to}");
        // The phone got the text once, created before it was received.
        let texts = sandbox.inbox(to).await;
        assert_eq!(texts.len(), 1, "{to}");
        let created = texts[0]["created_at"].as_str().unwrap();
        let at = texts[0]["received_at"].as_str().unwrap();
        assert!(created <= at, "{created} {at}");
    }
}
