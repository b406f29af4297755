//! Twilio's status callbacks under attack: mutated signed callbacks are all refused and change
//! nothing; the genuine one, replayed, moves the message once.

use std::time::{Duration, Instant};

use rand::Rng;
use reqwest::{Method, StatusCode};
use secrecy::SecretString;
use serde_json::{Value, json};

use crate::size::{Size, report};
use crate::support::app::TestApp;

/// The sandbox's phone whose texts stay `sent` (no delivery receipt): a message a callback can
/// still move.
const NO_RECEIPT: &str = "+15557770005";

/// A signed callback, as Twilio sends it.
struct Callback {
    url: String,
    params: Vec<(String, String)>,
    signature: String,
}

impl Callback {
    fn signed(token: &str, url: String, params: Vec<(String, String)>) -> Callback {
        let signature =
            twilio::signature::compute(&SecretString::from(token.to_owned()), &url, &params);
        Callback {
            url,
            params,
            signature,
        }
    }

    /// A copy changed after signing (or signed with the wrong token), never into a genuine one.
    fn mutated(&self, token: &str, rng: &mut impl Rng) -> Callback {
        let mut copy = Callback {
            url: self.url.clone(),
            params: self.params.clone(),
            signature: self.signature.clone(),
        };
        let flip = |text: &mut String, rng: &mut dyn rand::RngCore| {
            let mut chars: Vec<char> = text.chars().collect();
            if chars.is_empty() {
                text.push('x');
                return;
            }
            let at = rng.random_range(0..chars.len());
            chars[at] = if chars[at] == 'a' { 'b' } else { 'a' };
            *text = chars.into_iter().collect();
        };
        match rng.random_range(0..7) {
            0 => {
                // A signature character (the last ones may only carry base64 padding bits).
                let mut chars: Vec<char> = copy.signature.chars().collect();
                let at = rng.random_range(0..chars.len().saturating_sub(2).max(1));
                chars[at] = if chars[at] == 'A' { 'B' } else { 'A' };
                copy.signature = chars.into_iter().collect();
            }
            1 => {
                let i = rng.random_range(0..copy.params.len());
                flip(&mut copy.params[i].1, rng);
            }
            2 => {
                let i = rng.random_range(0..copy.params.len());
                flip(&mut copy.params[i].0, rng);
            }
            3 => {
                let i = rng.random_range(0..copy.params.len());
                copy.params.remove(i);
            }
            4 => copy.params.push(("ErrorCode".into(), "30003".into())),
            5 => {
                // The URL: a character of the path or the query.
                let start = copy.url.find("/twilio/").unwrap_or(0);
                let mut tail = copy.url[start + 1..].to_owned();
                flip(&mut tail, rng);
                copy.url = format!("{}/{tail}", &copy.url[..start]);
            }
            _ => {
                let mut wrong = token.to_owned();
                flip(&mut wrong, rng);
                copy = Callback::signed(&wrong, copy.url.clone(), copy.params.clone());
            }
        }
        copy
    }

    async fn post(&self, http: &reqwest::Client) -> StatusCode {
        http.post(&self.url)
            .header("X-Twilio-Signature", &self.signature)
            .form(&self.params)
            .send()
            .await
            .map(|r| r.status())
            .unwrap_or(StatusCode::BAD_GATEWAY)
    }
}

/// `GET /api/messages/{id}`: the message and its timeline.
async fn message(app: &TestApp, key: &str, id: &str) -> Value {
    app.call(Method::GET, &format!("/api/messages/{id}"), Some(key), None)
        .await
        .body
}

#[tokio::test]
async fn mutated_signed_callbacks_are_all_refused_and_a_replayed_one_moves_the_message_once() {
    let count = Size::from_env().pick(1_000, 10_000);
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let account = app.full_account().await;
    app.add_token_credential(&org, &account).await;
    let sent = app
        .call(
            Method::POST,
            "/api/messages",
            Some(&org.key),
            Some(&json!({"to": NO_RECEIPT, "body": "Your appointment is tomorrow"})),
        )
        .await;
    sent.assert_status(StatusCode::ACCEPTED);
    let id = sent.body["id"].as_str().unwrap().to_owned();
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut before: Value = message(&app, &org.key, &id).await;
    while before["status"] != "sent" && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
        before = message(&app, &org.key, &id).await;
    }
    assert_eq!(before["status"], "sent", "{before}");
    let genuine = Callback::signed(
        &account.token,
        format!("{}/twilio/status/{}/{id}?t=proof", app.url, org.id),
        vec![
            (
                "MessageSid".into(),
                before["twilio_sid"].as_str().unwrap().to_owned(),
            ),
            ("MessageStatus".into(), "delivered".into()),
            ("AccountSid".into(), account.sid.clone()),
            ("To".into(), NO_RECEIPT.into()),
        ],
    );

    let mut rng = rand::rng();
    let mut accepted = 0usize;
    for _ in 0..count {
        if genuine
            .mutated(&account.token, &mut rng)
            .post(&app.client)
            .await
            == StatusCode::NO_CONTENT
        {
            accepted += 1;
        }
    }
    let after_mutations = message(&app, &org.key, &id).await;
    let mut replays_taken = 0;
    for _ in 0..20 {
        if genuine.post(&app.client).await == StatusCode::NO_CONTENT {
            replays_taken += 1;
        }
    }
    let after = message(&app, &org.key, &id).await;
    let transitions = |m: &Value| {
        m["timeline"]
            .as_array()
            .map(|events| events.iter().filter(|e| e["kind"] == "status").count())
            .unwrap_or_default()
    };

    report(&format!(
        "{count} mutated signed callbacks: {accepted} accepted, {} state changes; the genuine one replayed 20 times: {} transition",
        usize::from(after_mutations != before),
        transitions(&after) - transitions(&before)
    ));
    assert_eq!(accepted, 0);
    assert_eq!(
        after_mutations, before,
        "a mutated callback changed the message"
    );
    assert_eq!(replays_taken, 20, "a genuine replay is acknowledged (204)");
    assert_eq!(after["status"], "delivered");
    assert_eq!(transitions(&after) - transitions(&before), 1);
}
