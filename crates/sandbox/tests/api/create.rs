//! Create Message: the 201 body and every validation code.

use serde_json::{Value, json};

use crate::support::{
    assert_request_id, assert_twilio_error, messages_path, random_number, start,
    start_with_account, start_with_number,
};

#[tokio::test]
async fn a_valid_message_is_created_queued_with_the_specs_fields() {
    let (sandbox, creds, from) = start_with_number().await;
    let to = random_number();

    let response = sandbox
        .text(&creds, &to, &from, "Hello from the clinic")
        .await;

    assert_eq!(response.status(), 201);
    assert_request_id(&response);
    let message: Value = response.json().await.unwrap();
    let sid = message["sid"].as_str().unwrap();
    assert!(sid.starts_with("SM") && sid.len() == 34);
    assert_eq!(message["status"], "queued");
    assert_eq!(message["direction"], "outbound-api");
    assert_eq!(message["api_version"], "2010-04-01");
    assert_eq!(
        (message["to"].as_str(), message["from"].as_str()),
        (Some(to.as_str()), Some(from.as_str()))
    );
    assert_eq!(message["body"], "Hello from the clinic");
    assert_eq!(message["num_segments"], "1");
    assert_eq!(message["num_media"], "0");
    assert_eq!(message["price"], Value::Null);
    assert_eq!(message["error_code"], Value::Null);
    assert_eq!(message["account_sid"], creds.account_sid.as_str());
    assert_eq!(
        message["uri"],
        format!(
            "/2010-04-01/Accounts/{}/Messages/{sid}.json",
            creds.account_sid
        )
    );
    assert!(
        message["date_created"]
            .as_str()
            .unwrap()
            .ends_with(" +0000")
    );
    assert!(
        message["subresource_uris"]["media"]
            .as_str()
            .unwrap()
            .ends_with("/Media.json")
    );
}

#[tokio::test]
async fn num_segments_follows_gsm7_and_ucs2_rules() {
    let (sandbox, creds, from) = start_with_number().await;
    let cases = [
        ("a".repeat(160), "1"),
        ("a".repeat(161), "2"),
        ("{".repeat(80), "1"),
        ("{".repeat(81), "2"),
        ("ł".repeat(70), "1"),
        ("ł".repeat(71), "2"),
        ("👍".repeat(35), "1"),
        ("👍".repeat(36), "2"),
    ];
    for (body, segments) in cases {
        let message: Value = sandbox
            .text_json(&creds, &random_number(), &from, &body)
            .await;
        assert_eq!(message["num_segments"], segments, "{body}");
    }
}

#[tokio::test]
async fn each_validation_failure_has_twilios_code() {
    let (sandbox, creds, from) = start_with_number().await;
    let unowned = random_number();
    let to = random_number();
    let long = "a".repeat(1601);
    let cases: Vec<(Vec<(&str, &str)>, u64)> = vec![
        (vec![("From", &from), ("Body", "x")], 21604),
        (vec![("To", &to), ("Body", "x")], 21603),
        (vec![("To", &to), ("From", &from)], 21602),
        (vec![("To", &to), ("From", &from), ("Body", "")], 21602),
        (vec![("To", &to), ("From", &from), ("Body", &long)], 21617),
        (
            vec![("To", "4155550100"), ("From", &from), ("Body", "x")],
            21211,
        ),
        (vec![("To", "+1555"), ("From", &from), ("Body", "x")], 21211),
        (
            vec![("To", &to), ("From", "+1-not-a-number"), ("Body", "x")],
            21212,
        ),
        (vec![("To", &to), ("From", &unowned), ("Body", "x")], 21606),
        (
            vec![
                ("To", &to),
                ("From", &from),
                ("Body", "x"),
                ("StatusCallback", "/relative"),
            ],
            21609,
        ),
        (
            vec![
                ("To", &to),
                ("From", &from),
                ("Body", "x"),
                ("StatusCallback", "https://bad_host.example.com/cb"),
            ],
            21609,
        ),
        (
            vec![
                ("To", &to),
                ("From", &from),
                ("Body", "x"),
                ("StatusCallback", "ftp://example.com/cb"),
            ],
            21609,
        ),
    ];
    for (form, code) in cases {
        let response = sandbox.send(&creds, &form).await;
        assert_twilio_error(response, 400, code).await;
    }
}

#[tokio::test]
async fn a_body_of_exactly_1600_characters_and_a_4000_character_callback_are_accepted() {
    let (sandbox, creds, from) = start_with_number().await;
    let body = "é".repeat(1600);
    let callback = format!("https://example.com/{}", "a".repeat(4000 - 20));
    assert_eq!(callback.len(), 4000);

    let response = sandbox
        .send(
            &creds,
            &[
                ("To", &random_number()),
                ("From", &from),
                ("Body", &body),
                ("StatusCallback", &callback),
            ],
        )
        .await;

    assert_eq!(response.status(), 201);
    let too_long = format!("{callback}b");
    let response = sandbox
        .send(
            &creds,
            &[
                ("To", &random_number()),
                ("From", &from),
                ("Body", "x"),
                ("StatusCallback", &too_long),
            ],
        )
        .await;
    assert_twilio_error(response, 400, 21609).await;
}

#[tokio::test]
async fn a_number_without_sms_capability_cannot_send() {
    let (sandbox, creds) = start_with_account().await;
    let voice_only = random_number();
    sandbox
        .add_number(&creds.account_sid, &voice_only, false)
        .await;

    let response = sandbox
        .text(&creds, &random_number(), &voice_only, "x")
        .await;

    assert_twilio_error(response, 400, 21606).await;
}

#[tokio::test]
async fn a_json_body_is_not_understood_and_reads_as_a_missing_to() {
    let (sandbox, creds, from) = start_with_number().await;
    let url = sandbox.url(&messages_path(&creds.account_sid));

    let response = sandbox
        .http
        .post(url)
        .basic_auth(&creds.account_sid, Some(&creds.auth_token))
        .json(&json!({"To": random_number(), "From": from, "Body": "x"}))
        .send()
        .await
        .unwrap();

    assert_twilio_error(response, 400, 21604).await;
}

#[tokio::test]
async fn a_trial_account_texts_only_verified_numbers_with_the_trial_prefix() {
    let sandbox = start().await;
    let creds = sandbox.account_with(json!({"type": "Trial"})).await;
    let from = random_number();
    sandbox.add_number(&creds.account_sid, &from, true).await;
    let verified = random_number();
    let url = sandbox.url(&format!(
        "/sandbox/accounts/{}/verified-numbers",
        creds.account_sid
    ));
    let response = sandbox
        .http
        .post(url)
        .json(&json!({"phone_number": verified}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);

    let unverified = sandbox.text(&creds, &random_number(), &from, "Hi").await;
    assert_twilio_error(unverified, 400, 21608).await;

    let sent: Value = sandbox.text_json(&creds, &verified, &from, "Hi").await;
    assert_eq!(sent["body"], "Sent from your Twilio trial account - Hi");
}

#[tokio::test]
async fn a_messaging_service_message_starts_accepted_without_a_sender() {
    let (sandbox, creds, from) = start_with_number().await;
    let service = sandbox
        .messaging_service(&creds.account_sid, &[&from])
        .await;

    let response = sandbox.send_via_service(&creds, &service, "Hi").await;

    assert_eq!(response.status(), 201);
    let message: Value = response.json().await.unwrap();
    assert_eq!(message["status"], "accepted");
    assert_eq!(message["num_segments"], "0");
    assert_eq!(message["from"], Value::Null);
    assert_eq!(message["messaging_service_sid"], service.as_str());
    let queued = sandbox
        .wait_for_status(&creds, message["sid"].as_str().unwrap(), "delivered")
        .await;
    assert_eq!(queued["from"], from.as_str());
    assert_eq!(queued["num_segments"], "1");
}

#[tokio::test]
async fn an_unknown_messaging_service_is_rejected() {
    let (sandbox, creds, _) = start_with_number().await;
    let unknown = format!("MG{:032x}", rand::random::<u128>());

    let response = sandbox.send_via_service(&creds, &unknown, "Hi").await;

    assert_twilio_error(response, 400, 21701).await;
}
