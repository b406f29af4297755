//! Failures on the wire (the sandbox's faults): what is retryable, and what may have taken effect.

use std::time::{Duration, Instant};

use twilio::{Error, MessageQuery, RetryClass};

use crate::client::{FROM, TO, refused, sms};
use crate::support::Env;

/// Every message the account sent to `TO`.
async fn sent_to_recipient(client: &twilio::Client) -> twilio::Page<twilio::Message> {
    let query = MessageQuery {
        to: Some(TO.into()),
        ..MessageQuery::default()
    };
    client.list_messages(&query).await.unwrap()
}

#[tokio::test]
async fn a_429_carries_retry_after_and_the_retry_succeeds_after_waiting() {
    let (env, account, client) = Env::sender("Full", FROM).await;
    env.fault(&account, "429", 1, false).await;

    let err = refused(&client, "busy").await;
    assert_eq!(
        (err.code(), err.retry_class()),
        (Some(20429), RetryClass::Transient)
    );
    assert!(!err.is_ambiguous());
    let wait = err.retry_after().unwrap();
    assert_eq!(wait, Duration::from_secs(1));
    let started = Instant::now();
    tokio::time::sleep(wait).await;
    let sent = client.create_message(&sms(TO, FROM, "busy")).await.unwrap();
    assert!(started.elapsed() >= wait);
    // The refused attempt left nothing behind: exactly one message exists.
    let listed = sent_to_recipient(&client).await;
    assert_eq!(
        listed.items.iter().map(|m| &m.sid).collect::<Vec<_>>(),
        vec![&sent.sid]
    );
}

#[tokio::test]
async fn server_errors_are_transient_and_not_ambiguous() {
    let env = Env::start().await;
    let account = env.account("Full").await;
    let client = env.client(account.live());
    for kind in ["500", "503"] {
        env.fault(&account, kind, 1, false).await;
        let err = client.fetch_account().await.unwrap_err();
        assert_eq!(
            err.api().map(|a| a.http_status),
            Some(kind.parse().unwrap())
        );
        assert_eq!(err.retry_class(), RetryClass::Transient);
    }
    client.fetch_account().await.unwrap();
}

#[tokio::test]
async fn a_hang_past_the_timeout_is_an_ambiguous_timeout_and_may_have_sent() {
    let env = Env::start_with(Duration::from_secs(3)).await;
    let account = env.account_owning("Full", FROM).await;
    let client = env.client_with_timeout(account.live(), Duration::from_millis(300));
    env.fault(&account, "hang", 1, true).await;

    let started = Instant::now();
    let err = refused(&client, "maybe sent").await;
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert!(err.is_ambiguous());
    assert_eq!(err.retry_class(), RetryClass::Transient);
    assert!(started.elapsed() < Duration::from_secs(2));
    // It did take effect: the message is there.
    let listed = sent_to_recipient(&client).await;
    assert_eq!(listed.items.len(), 1);
}

#[tokio::test]
async fn a_connection_closed_after_the_request_is_ambiguous() {
    let (env, account, client) = Env::sender("Full", FROM).await;
    env.fault(&account, "close", 1, false).await;
    let err = refused(&client, "lost answer").await;
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert!(err.is_ambiguous());
}

#[tokio::test]
async fn nothing_listening_is_a_connect_error_that_is_safe_to_retry() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let sid = twilio::AccountSid::parse(&format!("AC{}", "1".repeat(32))).unwrap();
    let mut config = twilio::Config::for_base_url(&format!("http://127.0.0.1:{port}")).unwrap();
    config.connect_timeout = Duration::from_millis(500);
    let client = twilio::Client::new(
        twilio::Credentials::AuthToken {
            account_sid: sid,
            auth_token: "t".into(),
        },
        config,
    )
    .unwrap();
    let err = client.fetch_account().await.unwrap_err();
    assert!(matches!(err, Error::Connect { .. }), "{err:?}");
    assert!(!err.is_ambiguous());
    assert_eq!(err.retry_class(), RetryClass::Transient);
}
