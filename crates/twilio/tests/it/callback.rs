//! StatusCallbacks from the sandbox, received by a real HTTP server and checked with
//! `twilio::signature::validate`, as Voxanne's webhook endpoint will.

use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::routing::post;
use tokio::sync::mpsc;
use twilio::{NewMessage, SecretString, Sender, signature};

use crate::support::Env;

struct Received {
    uri: Uri,
    signature: Option<String>,
    params: Vec<(String, String)>,
}

async fn receive(
    State(tx): State<mpsc::UnboundedSender<Received>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> &'static str {
    let params = url::form_urlencoded::parse(&body).into_owned().collect();
    let signature = headers
        .get(signature::HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let _ = tx.send(Received {
        uri,
        signature,
        params,
    });
    ""
}

/// Starts a receiver on 127.0.0.1:0; returns its base URL and the stream of callbacks.
async fn receiver() -> (String, mpsc::UnboundedReceiver<Received>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let app = Router::new()
        .route("/twilio/status", post(receive))
        .with_state(tx);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), rx)
}

fn param<'a>(r: &'a Received, name: &str) -> Option<&'a str> {
    r.params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

#[tokio::test]
async fn signed_status_callbacks_validate_with_the_accounts_token_and_fail_when_tampered() {
    let (_env, account, client) = Env::sender("Full", "+14155550100").await;
    let (base, mut callbacks) = receiver().await;
    let callback_url = format!("{base}/twilio/status?org=clinic-1&msg=42");
    let mut message = NewMessage::new(
        "+14155550199",
        Sender::From("+14155550100".into()),
        "track me",
    );
    message.status_callback = Some(callback_url.clone());
    let sent = client.create_message(&message).await.unwrap();

    let token = SecretString::from(account.auth_token.clone());
    let mut statuses = Vec::new();
    while !statuses.iter().any(|s| s == "delivered") {
        let got = tokio::time::timeout(Duration::from_secs(5), callbacks.recv())
            .await
            .unwrap()
            .unwrap();
        let url = format!("{base}{}", got.uri);
        assert_eq!(url, callback_url);
        let sig = got.signature.clone().expect("X-Twilio-Signature present");
        assert!(
            signature::validate(&token, &url, &got.params, &sig),
            "{:?}",
            got.params
        );
        assert_eq!(param(&got, "MessageSid"), Some(sent.sid.as_str()));
        assert_eq!(
            param(&got, "AccountSid"),
            Some(account.account_sid.as_str())
        );
        assert_eq!(param(&got, "MessageStatus"), param(&got, "SmsStatus"));

        let mut tampered = got.params.clone();
        tampered.push(("MessageStatus".into(), "failed".into()));
        assert!(!signature::validate(&token, &url, &tampered, &sig));
        assert!(!signature::validate(
            &SecretString::from("another token"),
            &url,
            &got.params,
            &sig
        ));
        assert!(!signature::validate(
            &token,
            &format!("{base}/twilio/status?org=clinic-2&msg=42"),
            &got.params,
            &sig
        ));
        statuses.push(param(&got, "MessageStatus").unwrap().to_owned());
    }
    // No callback for the initial status; the rest arrive in life-cycle order for one message.
    let ranks: Vec<u8> = statuses
        .iter()
        .map(|s| {
            serde_json::from_value::<twilio::MessageStatus>(serde_json::Value::String(s.clone()))
                .unwrap()
                .rank()
        })
        .collect();
    assert!(ranks.windows(2).all(|w| w[0] < w[1]), "{statuses:?}");
    assert!(!statuses.iter().any(|s| s == "queued"), "{statuses:?}");
}
