//! The paths that handle a secret, each driven over HTTP (the JSON API and the dashboard) with
//! every answer captured; each returns the secrets it handled.

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use secrecy::ExposeSecret;
use serde_json::json;
use url::Url;
use voxanne::ids::CredentialId;
use voxanne::store::SecretField;

use crate::captured::{Captured, Reply};
use crate::support::Sentinel;
use crate::support::app::{TestApp, random_number};
use crate::support::webhook_receiver::Receiver;

const CREDENTIALS: &str = "/api/organization/credentials";

pub fn none(_: &Reply) -> Vec<String> {
    Vec::new()
}

/// The text of `<code … id="{id}">…</code>` on a page.
pub fn code(reply: &Reply, id: &str) -> String {
    let marker = format!("id=\"{id}\">");
    let start = reply
        .text
        .find(&marker)
        .unwrap_or_else(|| panic!("no #{id} on the page: {}", reply.text))
        + marker.len();
    let end = reply.text[start..].find("</code>").unwrap();
    reply.text[start..start + end].to_owned()
}

fn created(reply: &Reply, what: &str) -> String {
    assert!(
        reply.status.is_success(),
        "{what}: {} {}",
        reply.status,
        reply.text
    );
    reply.json["id"].as_str().unwrap().to_owned()
}

/// `POST {credential}/verify` through the JSON API.
async fn verify(http: &mut Captured, key: &str, credential: &str) -> Reply {
    http.api(
        Method::POST,
        &format!("{credential}/verify"),
        key,
        Some(&json!({})),
        none,
    )
    .await
}

/// Opens Google's consent page at the stand-in, allows both scopes, and returns where Google
/// sends the browser back (our callback).
async fn consent(http: &reqwest::Client, authorization_url: &str) -> Url {
    let page = http.get(authorization_url).send().await.unwrap();
    let html = page.text().await.unwrap();
    let value = |name: &str| {
        html.split(&format!("name=\"{name}\" value=\""))
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap()
            .to_owned()
    };
    let mut form = vec![
        ("consent_id".to_owned(), value("consent_id")),
        ("user".to_owned(), value("user")),
        ("decision".to_owned(), "allow".to_owned()),
    ];
    for scope in [
        voxanne::google::CALENDAR_EVENTS,
        voxanne::google::CALENDAR_LIST_READONLY,
    ] {
        form.push(("scope".to_owned(), scope.to_owned()));
    }
    let mut action = Url::parse(authorization_url).unwrap();
    action.set_query(None);
    let response = http.post(action).form(&form).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    Url::parse(response.headers()["location"].to_str().unwrap()).unwrap()
}

/// Waits until the message is delivered, reading it through the API.
async fn delivered(http: &mut Captured, key: &str, id: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let path = format!("/api/messages/{id}");
        let message = http.api(Method::GET, &path, key, None, none).await;
        if message.json["status"] == "delivered" {
            return;
        }
        assert!(Instant::now() < deadline, "not delivered: {}", message.text);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Twilio: an Auth Token credential and an API key credential through the API (created,
/// verified, replaced by a wrong token and back, used to send, deleted), and one through the
/// dashboard. Returns the secrets.
pub async fn twilio_paths(
    app: &TestApp,
    http: &mut Captured,
    key: &str,
    csrf: &str,
) -> Vec<String> {
    let account = app.full_account().await;
    let (key_sid, key_secret) = app.twilio_api_key(&account).await;
    let (second_key_sid, second_key_secret) = app.twilio_api_key(&account).await;
    let wrong_token = Sentinel::new().text().to_owned();

    let body = json!({"account_sid": account.sid, "auth_token": account.token, "from_number": account.number});
    let token_cred = created(
        &http
            .api(
                Method::POST,
                &format!("{CREDENTIALS}/twilio"),
                key,
                Some(&body),
                none,
            )
            .await,
        "a token credential",
    );
    let body = json!({"account_sid": account.sid, "api_key_sid": key_sid, "api_key_secret": key_secret, "from_number": account.number});
    let key_cred = created(
        &http
            .api(
                Method::POST,
                &format!("{CREDENTIALS}/twilio"),
                key,
                Some(&body),
                none,
            )
            .await,
        "an API key credential",
    );
    let one = format!("{CREDENTIALS}/{token_cred}");
    let other = format!("{CREDENTIALS}/{key_cred}");
    for path in [&one, &other] {
        let verified = verify(http, key, path).await;
        assert_eq!(verified.json["status"], "verified", "{}", verified.text);
    }
    // Replaced: a wrong token (verification fails), then the right one again; a second API key.
    for token in [&wrong_token, &account.token] {
        let patch = json!({"auth_token": token});
        http.api(Method::PATCH, &one, key, Some(&patch), none).await;
        verify(http, key, &one).await;
    }
    let patch = json!({"api_key_sid": second_key_sid, "api_key_secret": second_key_secret});
    http.api(Method::PATCH, &other, key, Some(&patch), none)
        .await;
    for credential in [&token_cred, &key_cred] {
        let send = json!({"to": random_number(), "body": "Your appointment is tomorrow", "credential_id": credential});
        let sent = created(
            &http
                .api(Method::POST, "/api/messages", key, Some(&send), none)
                .await,
            "a send",
        );
        delivered(http, key, &sent).await;
    }
    http.api(Method::GET, &one, key, None, none).await;
    http.api(Method::GET, CREDENTIALS, key, None, none).await;
    http.api(Method::DELETE, &one, key, None, none).await;

    // The dashboard: add one, replace its token, verify it, look at it.
    let second = app.full_account().await;
    let added = http
        .form(
            "/dashboard/twilio",
            &[
                ("csrf", csrf),
                ("label", "Front desk"),
                ("account_sid", second.sid.as_str()),
                ("auth_token", second.token.as_str()),
                ("from_number", second.number.as_str()),
            ],
            none,
        )
        .await;
    assert!(
        added.status.is_success() || added.status.is_redirection(),
        "{}",
        added.text
    );
    let listed = http.api(Method::GET, CREDENTIALS, key, None, none).await;
    let dashboard_cred =
        listed.json["credentials"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["label"] == "Front desk")
            .unwrap_or_else(|| panic!("the dashboard's credential is not listed: {}", listed.text))
            ["id"]
            .as_str()
            .unwrap()
            .to_owned();
    let page = format!("/dashboard/twilio/{dashboard_cred}");
    http.form(
        &format!("{page}/secret"),
        &[("csrf", csrf), ("auth_token", second.token.as_str())],
        none,
    )
    .await;
    http.form(&format!("{page}/verify"), &[("csrf", csrf)], none)
        .await;
    http.page(&page).await;
    http.page("/dashboard/twilio").await;

    vec![
        account.token,
        key_secret,
        second_key_secret,
        wrong_token,
        second.token,
    ]
}

/// Webhooks: one endpoint through the API and one through the dashboard, each created and
/// rotated (the secret shown once each time), and a test event signed with it. Returns the
/// secrets.
pub async fn webhook_paths(http: &mut Captured, key: &str, csrf: &str) -> Vec<String> {
    let receiver = Receiver::start().await;
    let secret_of =
        |reply: &Reply| vec![reply.json["secret"].as_str().unwrap_or_default().to_owned()];
    let body = json!({"url": receiver.url, "events": ["message.failed"]});
    let made = http
        .api(
            Method::POST,
            "/api/organization/webhooks",
            key,
            Some(&body),
            secret_of,
        )
        .await;
    let id = created(&made, "a webhook endpoint");
    let mut secrets = vec![made.json["secret"].as_str().unwrap().to_owned()];
    let path = format!("/api/organization/webhooks/{id}");
    let rotated = http
        .api(
            Method::POST,
            &format!("{path}/rotate-secret"),
            key,
            None,
            secret_of,
        )
        .await;
    secrets.push(rotated.json["secret"].as_str().unwrap().to_owned());
    http.api(Method::POST, &format!("{path}/test"), key, None, none)
        .await;
    receiver
        .wait_until(Duration::from_secs(10), "the test event", |got| {
            !got.is_empty()
        })
        .await;
    http.api(Method::GET, &path, key, None, none).await;
    http.api(Method::GET, &format!("{path}/attempts"), key, None, none)
        .await;

    let shown = |reply: &Reply| vec![code(reply, "new-webhook-secret")];
    let added = http
        .form(
            "/dashboard/webhooks",
            &[
                ("csrf", csrf),
                ("url", receiver.url.as_str()),
                ("events", "message.failed"),
                ("description", ""),
            ],
            shown,
        )
        .await;
    secrets.push(code(&added, "new-webhook-secret"));
    let listed = http
        .api(Method::GET, "/api/organization/webhooks", key, None, none)
        .await;
    let dashboard_id = listed.json["webhooks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["id"].as_str().unwrap())
        .find(|w| *w != id)
        .unwrap()
        .to_owned();
    let rotated = http
        .form(
            &format!("/dashboard/webhooks/{dashboard_id}/rotate"),
            &[("csrf", csrf)],
            shown,
        )
        .await;
    secrets.push(code(&rotated, "new-webhook-secret"));
    http.page("/dashboard/webhooks").await;
    secrets
}

/// Google: a calendar connected through the API with short-lived access tokens, verified (which
/// refreshes them), shown, and deleted (which revokes the grant). Returns the client secret and
/// every token the store held.
pub async fn google_paths(
    app: &TestApp,
    http: &mut Captured,
    org: &voxanne::ids::OrgId,
    key: &str,
) -> Vec<String> {
    let email = format!(
        "desk-{}@clinic.example",
        &voxanne::ids::OrgId::generate().as_str()[4..14]
    );
    voxanne::google_connection::demo::create_sandbox_user(app.sandbox.url(), &email)
        .await
        .unwrap();
    let ttl = json!({"access_token_ttl_secs": 60});
    let url = format!("{}/sandbox/google/settings", app.sandbox.url());
    assert!(
        http.client()
            .put(url)
            .json(&ttl)
            .send()
            .await
            .unwrap()
            .status()
            .is_success()
    );
    let start = json!({"login_hint": email});
    let started = http
        .api(
            Method::POST,
            &format!("{CREDENTIALS}/google_calendar/connect"),
            key,
            Some(&start),
            none,
        )
        .await;
    let authorization = started.json["authorization_url"]
        .as_str()
        .unwrap()
        .to_owned();
    let callback = consent(http.client(), &authorization).await;
    let request = http
        .client()
        .get(callback)
        .header("accept", "application/json")
        .bearer_auth(key);
    let connected = http.other(request, false).await;
    assert_eq!(connected.status, StatusCode::OK, "{}", connected.text);
    let id = connected.json["credential"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let credential = CredentialId::parse(&id).unwrap();
    let mut tokens = Vec::new();
    let mut keep_tokens = |secrets: voxanne::store::CredentialSecrets| {
        for field in [SecretField::RefreshToken, SecretField::AccessToken] {
            if let Some(value) = secrets.get(field) {
                tokens.push(value.expose_secret().to_owned());
            }
        }
    };
    keep_tokens(
        app.store
            .open_credential_secrets(org, &credential)
            .await
            .unwrap(),
    );
    let path = format!("{CREDENTIALS}/{id}");
    let verified = verify(http, key, &path).await;
    assert_eq!(verified.json["status"], "verified", "{}", verified.text);
    keep_tokens(
        app.store
            .open_credential_secrets(org, &credential)
            .await
            .unwrap(),
    );
    http.api(Method::GET, &path, key, None, none).await;
    http.page("/dashboard/calendar").await;
    http.api(Method::DELETE, &path, key, None, none).await;
    tokens.extend(app.google_client_secret.clone());
    tokens
}
