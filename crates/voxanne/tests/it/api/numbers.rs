//! One phone-number rule for every field that takes a number: senders, test and alert
//! recipients, message and hot-lead recipients, lead phones.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::answer::Answer;
use crate::support::app::{TestApp, TestOrg, TwilioAccount};

/// Numbers an audit found accepted by some fields: a NANP number one digit short and one digit
/// long, a 0 after the `+` (which used to be read as +41), and a German number cut short.
const WRONG: [&str; 4] = ["+1415555019", "+141555501000", "+04155550100", "+4930123"];

/// Twilio's magic test numbers, the sandbox's scenario phones and a fictional 555 number.
const SPECIAL: [&str; 5] = [
    "+15005550006",
    "+15005550009",
    "+15557770001",
    "+15557770005",
    "+14155550100",
];

/// Sends `number` through every phone field; answers (field the 422 must name, answer).
async fn through_every_field(
    app: &TestApp,
    org: &TestOrg,
    credential: &str,
    account: &TwilioAccount,
    number: &str,
) -> Vec<(&'static str, Answer)> {
    let lead = |phone: &str| json!({"name": "Maria Lopez", "phone": phone, "reason": "Knee pain"});
    let post = |path: &'static str, body: Value| async move {
        app.call(Method::POST, path, Some(&org.key), Some(&body))
            .await
    };
    vec![
        (
            "from_number",
            app.create_twilio(
                &org.key,
                &json!({"account_sid": account.sid, "auth_token": account.token, "from_number": number}),
            )
            .await,
        ),
        (
            "from_number",
            app.patch_credential(&org.key, credential, &json!({"from_number": number}))
                .await,
        ),
        (
            "alert_recipients[1]",
            app.put_settings(
                &org.key,
                &json!({"alert_recipients": ["+14155552671", number], "timezone": "UTC"}),
            )
            .await,
        ),
        (
            "to",
            post("/api/messages", json!({"to": number, "body": "hello"})).await,
        ),
        (
            "to[0]",
            post(
                "/api/messages/hot-lead",
                json!({"lead": lead("+14155552671"), "to": [number]}),
            )
            .await,
        ),
        (
            "lead.phone",
            post(
                "/api/messages/hot-lead",
                json!({"lead": lead(number), "to": ["+14155552671"]}),
            )
            .await,
        ),
        // Last: a failed verification would stop the messages above.
        (
            "test_to",
            app.verify(&org.key, credential, &json!({"test_to": number}))
                .await,
        ),
    ]
}

#[tokio::test]
async fn every_phone_field_refuses_wrong_lengths_and_a_leading_zero_naming_the_field_and_the_fix() {
    let (app, org) = TestApp::with_org().await;
    let account = app.full_account().await;
    let credential = app.add_token_credential(&org, &account).await;

    for number in WRONG {
        let answers = through_every_field(&app, &org, &credential, &account, number).await;

        for (field, answer) in answers {
            assert_eq!(
                (answer.status, answer.error_field()),
                (StatusCode::UNPROCESSABLE_ENTITY, Some(field)),
                "{number} as {field}: {}",
                answer.text
            );
            assert_eq!(answer.error()["code"], "invalid_phone_number");
            let message = answer.error()["message"].as_str().unwrap();
            assert!(
                message.contains(number) && message.contains("e.g. +1")
                    || message.contains("missing or extra digit"),
                "{number} as {field}: the message gives no fix: {message}"
            );
            answer.assert_error_says("hint", "E.164");
        }
    }
    // Nothing reached Twilio: the refused test_to numbers received nothing.
    for number in WRONG {
        assert!(app.inbox(number).await.is_empty(), "{number} got a message");
    }
    assert_eq!(
        app.get_credential(&org.key, &credential).await.body["from_number"],
        account.number.as_str()
    );
}

#[tokio::test]
async fn every_phone_field_accepts_twilio_magic_numbers_and_the_sandbox_scenario_phones() {
    let (app, org) = TestApp::with_org().await;
    let account = app.full_account().await;
    let credential = app.add_token_credential(&org, &account).await;

    for number in SPECIAL {
        // Back to a verified credential with a sender it owns, so messages may queue.
        app.patch_credential(
            &org.key,
            &credential,
            &json!({"from_number": account.number}),
        )
        .await;
        assert_eq!(
            app.verify(&org.key, &credential, &json!({})).await.body["status"],
            "verified"
        );
        let answers = through_every_field(&app, &org, &credential, &account, number).await;

        for (field, answer) in answers {
            assert!(
                answer.status.is_success(),
                "{number} as {field} was refused: {}",
                answer.text
            );
        }
    }
}
