//! Status callbacks over real HTTP: signatures, forgery, replay, reordering, per-message tokens.

use secrecy::SecretString;
use serde_json::json;
use voxanne::ids::MessageId;
use voxanne::outbox::MessageStatus;
use voxanne::store::{
    CredentialDisplay, CredentialType, NewCredential, SecretField, SecretValue, TwilioAuthMode,
};

use super::world::{Clinic, World, phone};

fn random_message_sid() -> String {
    format!("SM{:032x}", rand::random::<u128>())
}

/// Posts a callback as Twilio would: form body, signed with `token` over the exact URL, about
/// the Twilio message `sid` (default: the message's own SID, or a fresh one while it has none).
async fn post_callback(
    world: &World,
    clinic: &Clinic,
    id: &MessageId,
    query: &str,
    status: &str,
    sign_with: Option<&str>,
    sid: Option<&str>,
) -> u16 {
    let sid = match sid {
        Some(sid) => sid.to_owned(),
        None => world
            .delivery
            .outbox()
            .get(clinic.org.as_str(), id.as_str())
            .await
            .unwrap()
            .and_then(|message| message.twilio_sid)
            .unwrap_or_else(random_message_sid),
    };
    let sid = sid.as_str();
    let mut url = format!("{}/twilio/status/{}/{}", world.public_url, clinic.org, id);
    if !query.is_empty() {
        url.push('?');
        url.push_str(query);
    }
    let params = vec![
        ("MessageSid".to_owned(), sid.to_owned()),
        ("MessageStatus".to_owned(), status.to_owned()),
        ("AccountSid".to_owned(), clinic.account_sid.clone()),
        ("To".to_owned(), "+15550000000".to_owned()),
    ];
    let mut request = world.http.post(&url).form(&params);
    if let Some(token) = sign_with {
        let signature =
            twilio::signature::compute(&SecretString::from(token.to_owned()), &url, &params);
        request = request.header("X-Twilio-Signature", signature);
    }
    request.send().await.unwrap().status().as_u16()
}

/// The `t` a queued message's StatusCallback URL carries, read from under the store. Once the
/// message left the queue the token is gone (signed callbacks carry whatever query the URL had,
/// and the signature covers it).
async fn callback_query(world: &World, _clinic: &Clinic, id: &MessageId) -> String {
    let token = crate::support::raw::queued_callback_token(&world.db.db, id.as_str()).await;
    format!("t={}", token.unwrap_or_else(|| "sent".to_owned()))
}

/// A world with one clinic's queued "hello", and the query its StatusCallback URL carries.
async fn queued_hello() -> (World, Clinic, MessageId, String) {
    let world = World::start(|_| {}).await;
    let clinic = world.clinic("Clinic").await;
    let id = world.queue(&clinic, &phone(), "hello").await;
    let query = callback_query(&world, &clinic, &id).await;
    (world, clinic, id, query)
}

#[tokio::test]
async fn a_forged_callback_is_refused_and_changes_nothing() {
    let (world, clinic, id, query) = queued_hello().await;
    let before = world.timeline(&clinic, &id).await.len();

    let forged = post_callback(
        &world,
        &clinic,
        &id,
        &query,
        "delivered",
        Some("not-the-token"),
        None,
    )
    .await;
    let unsigned = post_callback(&world, &clinic, &id, &query, "delivered", None, None).await;
    let other_org = {
        let stranger = world.clinic("Stranger").await;
        post_callback(
            &world,
            &stranger,
            &id,
            &query,
            "delivered",
            Some(&stranger.auth_token),
            None,
        )
        .await
    };

    assert_eq!((forged, unsigned, other_org), (403, 403, 403));
    assert_eq!(
        world.message(&clinic, &id).await.status,
        MessageStatus::Queued
    );
    assert_eq!(world.timeline(&clinic, &id).await.len(), before);
    world.shutdown().await;
}

#[tokio::test]
async fn a_replayed_or_late_callback_never_moves_a_message_back() {
    let (world, clinic, id, query) = queued_hello().await;
    let token = clinic.auth_token.clone();

    let signed = |status: &'static str| {
        post_callback(&world, &clinic, &id, &query, status, Some(&token), None)
    };
    let delivered = signed("delivered").await;
    let events_after_first = world.timeline(&clinic, &id).await.len();
    let replay = signed("delivered").await;
    let late_sent = signed("sent").await;

    assert_eq!((delivered, replay, late_sent), (204, 204, 204));
    assert_eq!(
        world.message(&clinic, &id).await.status,
        MessageStatus::Delivered
    );
    let timeline = world.timeline(&clinic, &id).await;
    assert_eq!(
        timeline.len(),
        events_after_first + 1,
        "the replay adds nothing, the late `sent` is noted: {timeline:?}"
    );
    assert!(
        timeline
            .last()
            .unwrap()
            .1
            .as_deref()
            .unwrap()
            .contains("ignored")
    );
    world.shutdown().await;
}

#[tokio::test]
async fn an_api_key_credential_without_auth_token_authenticates_callbacks_by_the_message_token() {
    let world = World::start(|_| {}).await;
    let account = world.control("/accounts", json!({})).await;
    let account_sid = account["account_sid"].as_str().unwrap().to_owned();
    let key = world
        .control(&format!("/accounts/{account_sid}/keys"), json!({}))
        .await;
    let from = phone();
    world
        .control(
            &format!("/accounts/{account_sid}/numbers"),
            json!({"phone_number": from}),
        )
        .await;
    let org = world
        .db
        .store
        .create_organization("Key clinic")
        .await
        .unwrap()
        .id;
    let credential = world
        .db
        .store
        .insert_credential(
            &org,
            NewCredential {
                kind: CredentialType::Twilio,
                label: "API key".into(),
                display: CredentialDisplay {
                    account_sid: Some(account_sid.clone()),
                    auth_mode: Some(TwilioAuthMode::ApiKey),
                    api_key_sid: Some(key["sid"].as_str().unwrap().to_owned()),
                    from_number: Some(from.clone()),
                    ..CredentialDisplay::default()
                },
                secrets: vec![SecretValue::new(
                    SecretField::ApiKeySecret,
                    SecretString::from(key["secret"].as_str().unwrap().to_owned()),
                )],
            },
        )
        .await
        .unwrap()
        .id;
    let clinic = Clinic {
        org,
        credential,
        account_sid,
        auth_token: String::new(),
        from,
    };
    let to = phone();
    let id = world.queue(&clinic, &to, "via API key").await;
    let query = callback_query(&world, &clinic, &id).await;

    let wrong = post_callback(&world, &clinic, &id, "t=guess", "sent", None, None).await;
    let right = post_callback(&world, &clinic, &id, &query, "sent", None, None).await;

    // The message keeps only the token's hash: the hash itself is no token.
    let kept = world.message(&clinic, &id).await.callback_token;
    let hash_as_token = post_callback(
        &world,
        &clinic,
        &id,
        &format!("t={kept}"),
        "sent",
        None,
        None,
    )
    .await;

    assert_eq!((wrong, hash_as_token, right), (403, 403, 204));
    assert_eq!(
        world.message(&clinic, &id).await.status,
        MessageStatus::Sent
    );
    // And the sandbox's own callbacks get through the same way, to delivered.
    let running = world.delivery.start();
    world.wait_for(&clinic, &id, MessageStatus::Delivered).await;
    assert_eq!(world.wait_for_inbox(&to, 1).await.len(), 1);
    running.stop().await;
    world.shutdown().await;
}

#[tokio::test]
async fn a_signed_callback_about_another_twilio_message_changes_nothing() {
    // No StatusCallback given to Twilio: only the callbacks this test posts arrive.
    let world = World::start(|config| config.public_url = None).await;
    let clinic = world.clinic("Clinic").await;
    let id = world.queue(&clinic, &phone(), "hello").await;
    let report = world.delivery.dispatcher().dispatch_once().await.unwrap();
    assert_eq!(report.accepted, 1, "{report:?}");
    let sent = world.message(&clinic, &id).await;
    let own_sid = sent.twilio_sid.clone().unwrap();
    let query = callback_query(&world, &clinic, &id).await;
    let token = clinic.auth_token.clone();
    let before = world.timeline(&clinic, &id).await;

    let other_sid = random_message_sid();
    let other = post_callback(
        &world,
        &clinic,
        &id,
        &query,
        "undelivered",
        Some(&token),
        Some(&other_sid),
    )
    .await;
    let after_other = world.message(&clinic, &id).await;
    let own = post_callback(
        &world,
        &clinic,
        &id,
        &query,
        "delivered",
        Some(&token),
        Some(&own_sid),
    )
    .await;

    assert_eq!((other, own), (204, 204), "Twilio is told to stop retrying");
    assert_eq!(
        after_other.status, sent.status,
        "the other SID moved nothing"
    );
    assert_eq!(after_other.error_code, None);
    let timeline = world.timeline(&clinic, &id).await;
    assert_eq!(timeline.len(), before.len() + 2, "{timeline:?}");
    assert!(
        timeline[before.len()].0 == "ignored"
            && timeline[before.len()]
                .1
                .as_deref()
                .is_some_and(|d| d.contains(&other_sid)),
        "the ignored report is noted: {timeline:?}"
    );
    assert_eq!(
        world.message(&clinic, &id).await.status,
        MessageStatus::Delivered,
        "its own SID still applies"
    );
    world.shutdown().await;
}
