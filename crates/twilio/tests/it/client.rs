//! The client against the sandbox, through real sockets.

use twilio::{
    AccountStatus, AccountType, MessageQuery, MessageSid, MessagingServiceSid, NewMessage,
    PhoneNumberQuery, RetryClass, Sender,
};

use crate::support::Env;

pub const FROM: &str = "+14155550100";
pub const TO: &str = "+14155550199";

pub fn sms(to: &str, from: &str, body: &str) -> NewMessage {
    NewMessage::new(to, Sender::From(from.to_owned()), body)
}

/// Sends `body` from `FROM` to `TO` where the send must fail: the error.
pub async fn refused(client: &twilio::Client, body: &str) -> twilio::Error {
    client
        .create_message(&sms(TO, FROM, body))
        .await
        .unwrap_err()
}

#[tokio::test]
async fn an_auth_token_fetches_the_account_and_lists_its_numbers() {
    let (_env, account, client) = Env::sender("Trial", FROM).await;

    let fetched = client.fetch_account().await.unwrap();
    assert_eq!(fetched.sid, account.sid());
    assert_eq!(
        (fetched.status, fetched.account_type),
        (AccountStatus::Active, AccountType::Trial)
    );
    assert!(fetched.date_created.is_some());

    let page = client
        .list_incoming_phone_numbers(&PhoneNumberQuery {
            phone_number: Some(FROM.into()),
            page_size: None,
        })
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1);
    assert!(page.items[0].can_sms());
    let none = client
        .list_incoming_phone_numbers(&PhoneNumberQuery {
            phone_number: Some("+14155550111".into()),
            page_size: None,
        })
        .await
        .unwrap();
    assert!(none.items.is_empty());
}

#[tokio::test]
async fn an_api_key_lists_and_sends_but_cannot_fetch_the_account() {
    let env = Env::start().await;
    let account = env.account_owning("Full", FROM).await;
    let client = env.client(env.api_key(&account).await);

    let err = client.fetch_account().await.unwrap_err();
    assert_eq!(err.code(), Some(20003));
    assert_eq!(err.retry_class(), RetryClass::NeedsConfiguration);

    let page = client
        .list_incoming_phone_numbers(&PhoneNumberQuery {
            phone_number: None,
            page_size: Some(1),
        })
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1);
    let sent = client
        .create_message(&sms(TO, FROM, "hello from a key"))
        .await
        .unwrap();
    assert_eq!(sent.account_sid, account.sid());
}

#[tokio::test]
async fn a_wrong_token_is_20003_and_never_shows_up_in_errors() {
    let env = Env::start().await;
    let account = env.account("Full").await;
    let wrong = format!("{}x", account.auth_token);
    let client = env.client(twilio::Credentials::AuthToken {
        account_sid: account.sid(),
        auth_token: wrong.clone().into(),
    });
    let err = client.fetch_account().await.unwrap_err();
    let api = err.api().unwrap();
    assert_eq!((api.http_status, api.code), (401, 20003));
    assert_eq!(err.retry_class(), RetryClass::NeedsConfiguration);
    assert!(!err.is_ambiguous());
    let shown = format!("{err} {err:?} {client:?}");
    assert!(
        !shown.contains(&wrong) && !shown.contains(&account.auth_token),
        "{shown}"
    );
}

#[tokio::test]
async fn every_magic_number_gives_its_typed_error_and_retry_class() {
    let env = Env::start().await;
    let account = env.account("Full").await;
    let client = env.client(account.test());
    let valid_from = "+15005550006";
    let cases = [
        ("+15005550001", TO, 21212, RetryClass::NeedsConfiguration),
        ("+15005550007", TO, 21606, RetryClass::NeedsConfiguration),
        ("+15005550008", TO, 21611, RetryClass::Transient),
        (FROM, TO, 21606, RetryClass::NeedsConfiguration),
        (valid_from, "+15005550001", 21211, RetryClass::Permanent),
        (valid_from, "+15005550002", 21612, RetryClass::Permanent),
        (
            valid_from,
            "+15005550003",
            21408,
            RetryClass::NeedsConfiguration,
        ),
        (valid_from, "+15005550004", 21610, RetryClass::Permanent),
        (valid_from, "+15005550009", 21614, RetryClass::Permanent),
    ];
    for (from, to, code, class) in cases {
        let err = client
            .create_message(&sms(to, from, "magic"))
            .await
            .unwrap_err();
        let api = err
            .api()
            .unwrap_or_else(|| panic!("{from} -> {to}: {err:?}"));
        assert_eq!(
            (api.http_status, api.code),
            (400, code),
            "{from} -> {to}: {}",
            api.message
        );
        assert_eq!(err.retry_class(), class, "{from} -> {to}");
        assert!(
            api.more_info
                .as_deref()
                .is_some_and(|u| u.ends_with(&code.to_string())),
            "{api:?}"
        );
    }
    let ok = client
        .create_message(&sms(TO, valid_from, "magic ok"))
        .await
        .unwrap();
    assert_eq!(ok.to.as_deref(), Some(TO));
    // Test credentials may only create messages.
    let err = client.fetch_message(&ok.sid).await.unwrap_err();
    assert_eq!(err.api().map(|a| a.http_status), Some(403));
}

#[tokio::test]
async fn validation_errors_come_back_typed() {
    let env = Env::start().await;
    let account = env.account_owning("Full", FROM).await;
    env.add_number(&account, "+14155550101", false).await;
    let client = env.client(account.live());
    let cases = [
        (sms("4155550199", FROM, "x"), 21211),
        (sms(TO, FROM, ""), 21602),
        (sms(TO, FROM, &"a".repeat(1601)), 21617),
        (sms(TO, "+14155550101", "x"), 21606),
        (sms(TO, "+14155550102", "x"), 21606),
    ];
    for (message, code) in cases {
        let err = client.create_message(&message).await.unwrap_err();
        assert_eq!(err.code(), Some(code), "{message:?}: {err}");
    }
    let mut bad_callback = sms(TO, FROM, "x");
    bad_callback.status_callback = Some("https://bad_host.example/cb".into());
    assert_eq!(
        client
            .create_message(&bad_callback)
            .await
            .unwrap_err()
            .code(),
        Some(21609)
    );
}

#[tokio::test]
async fn a_trial_account_may_only_text_verified_numbers() {
    let (env, account, client) = Env::sender("Trial", FROM).await;
    let err = refused(&client, "hi").await;
    assert_eq!(
        (err.code(), err.retry_class()),
        (Some(21608), RetryClass::NeedsConfiguration)
    );
    let path = format!("/accounts/{}/verified-numbers", account.account_sid);
    env.control(
        reqwest::Method::POST,
        &path,
        serde_json::json!({"phone_number": TO}),
    )
    .await;
    client.create_message(&sms(TO, FROM, "hi")).await.unwrap();
}

#[tokio::test]
async fn messages_are_listed_page_by_page_following_next_page_uri() {
    let (_env, _account, client) = Env::sender("Full", FROM).await;
    let mut sent = Vec::new();
    for i in 0..5 {
        sent.push(
            client
                .create_message(&sms(TO, FROM, &format!("message {i}")))
                .await
                .unwrap()
                .sid,
        );
    }
    client
        .create_message(&sms("+14155550198", FROM, "to someone else"))
        .await
        .unwrap();

    let query = MessageQuery {
        to: Some(TO.into()),
        page_size: Some(2),
        ..MessageQuery::default()
    };
    let mut page = client.list_messages(&query).await.unwrap();
    let mut seen = Vec::new();
    let mut pages = 1;
    loop {
        assert!(page.items.len() <= 2);
        seen.extend(page.items.iter().map(|m| m.sid.clone()));
        match client.next_page(&page).await.unwrap() {
            Some(next) => {
                page = next;
                pages += 1;
            }
            None => break,
        }
    }
    assert_eq!(pages, 3);
    seen.sort();
    sent.sort();
    assert_eq!(seen, sent);

    let today = chrono::Utc::now().date_naive();
    let on_or_after = MessageQuery {
        date_sent_after: Some(today),
        from: Some(FROM.into()),
        ..MessageQuery::default()
    };
    assert_eq!(
        client
            .list_messages(&on_or_after)
            .await
            .unwrap()
            .items
            .len(),
        6
    );
}

#[tokio::test]
async fn a_deleted_message_is_gone_with_a_permanent_404() {
    let (_env, _account, client) = Env::sender("Full", FROM).await;
    let sent = client
        .create_message(&sms(TO, FROM, "to delete"))
        .await
        .unwrap();
    assert_eq!(client.fetch_message(&sent.sid).await.unwrap().sid, sent.sid);
    client.delete_message(&sent.sid).await.unwrap();
    for err in [
        client.fetch_message(&sent.sid).await.unwrap_err(),
        client.delete_message(&sent.sid).await.unwrap_err(),
    ] {
        assert_eq!(
            (err.api().map(|a| a.http_status), err.code()),
            (Some(404), Some(20404))
        );
        assert_eq!(err.retry_class(), RetryClass::Permanent);
    }
    let never = MessageSid::parse(&format!("SM{}", "0".repeat(32))).unwrap();
    assert_eq!(
        client.fetch_message(&never).await.unwrap_err().code(),
        Some(20404)
    );
}

#[tokio::test]
async fn a_messaging_service_is_fetched_and_an_unknown_one_is_404() {
    let env = Env::start().await;
    let account = env.account_owning("Full", FROM).await;
    let mg = MessagingServiceSid::parse(&env.messaging_service(&account, &[FROM]).await).unwrap();
    let client = env.client(account.live());
    assert_eq!(client.fetch_messaging_service(&mg).await.unwrap().sid, mg);
    let sent = client
        .create_message(&NewMessage::new(
            TO,
            Sender::MessagingService(mg.clone()),
            "pooled",
        ))
        .await
        .unwrap();
    assert_eq!(sent.messaging_service_sid, Some(mg));
    let unknown = MessagingServiceSid::parse(&format!("MG{}", "0".repeat(32))).unwrap();
    assert_eq!(
        client
            .fetch_messaging_service(&unknown)
            .await
            .unwrap_err()
            .code(),
        Some(20404)
    );
}

#[tokio::test]
async fn a_suspended_account_can_be_fetched_but_not_used() {
    let env = Env::start().await;
    let account = env.account_owning("Full", FROM).await;
    env.set_status(&account, "suspended").await;
    let client = env.client(account.live());
    assert_eq!(
        client.fetch_account().await.unwrap().status,
        AccountStatus::Suspended
    );
    let err = refused(&client, "x").await;
    assert_eq!(err.retry_class(), RetryClass::NeedsConfiguration, "{err:?}");
}

#[tokio::test]
async fn one_shared_http_pool_serves_clients_of_two_accounts() {
    let env = Env::start().await;
    let (a, b) = (env.account("Full").await, env.account("Full").await);
    let http = reqwest::Client::new();
    let config = twilio::Config::for_base_url(env.url()).unwrap();
    let ca = twilio::Client::with_http_client(a.live(), config.clone(), http.clone());
    let cb = twilio::Client::with_http_client(b.live(), config, http);
    assert_eq!(ca.fetch_account().await.unwrap().sid, a.sid());
    assert_eq!(cb.fetch_account().await.unwrap().sid, b.sid());
}
