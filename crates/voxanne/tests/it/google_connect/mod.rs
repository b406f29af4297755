//! Connecting a clinic's Google Calendar, end to end over real sockets: the real server (TestApp)
//! configured with an OAuth client registered at the sandbox's Google stand-in, and the consent
//! page driven like a browser (open the authorization URL, tick boxes, submit, follow the
//! redirect to our callback).

mod accounts;
mod connect;
mod lifecycle;
mod serve;
mod state;
mod verify;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use url::Url;
use voxanne::google::{CALENDAR_EVENTS, CALENDAR_LIST_READONLY};

use crate::support::answer::Answer;
use crate::support::app::{TestApp, TestOrg};

pub const BOTH: &[&str] = &[CALENDAR_EVENTS, CALENDAR_LIST_READONLY];

/// A browser: keeps no cookies and follows no redirects, so each hop can be checked.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

pub fn param(url: &Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// A Google user at the stand-in, with a fresh random email.
pub async fn google_user(app: &TestApp) -> String {
    let email = format!(
        "desk-{}@clinic.example",
        &voxanne::ids::OrgId::generate().as_str()[4..14]
    );
    voxanne::google_connection::demo::create_sandbox_user(app.sandbox.url(), &email)
        .await
        .unwrap();
    email
}

/// A control-API call to the Google stand-in.
pub async fn stand_in(app: &TestApp, method: Method, path: &str, body: Option<Value>) -> Value {
    let mut request = browser().request(method, format!("{}{path}", app.sandbox.url()));
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    assert!(
        response.status().is_success(),
        "{path}: {}",
        response.status()
    );
    response.json().await.unwrap()
}

/// The Google Calendar credentials the key's organization has.
pub async fn google_credentials(app: &TestApp, key: &str) -> Vec<Value> {
    let listed = app.list_credentials(key, "?type=google_calendar").await;
    listed.body["credentials"].as_array().unwrap().clone()
}

/// `POST …/google_calendar/connect`.
pub async fn start(app: &TestApp, key: &str, body: &Value) -> Answer {
    app.call(
        Method::POST,
        "/api/organization/credentials/google_calendar/connect",
        Some(key),
        Some(body),
    )
    .await
}

/// Starts a connect for `email` and returns the authorization URL.
pub async fn authorization_url(app: &TestApp, org: &TestOrg, body: Value) -> Url {
    let answer = start(app, &org.key, &body).await;
    answer.assert_status(StatusCode::OK);
    Url::parse(answer.body["authorization_url"].as_str().unwrap()).unwrap()
}

/// Opens the consent page, ticks `ticked`, presses `decision` (`allow`/`deny`), and returns
/// where the stand-in sends the browser (our callback).
pub async fn consent(authorization_url: &Url, decision: &str, ticked: &[&str]) -> Url {
    let browser = browser();
    let page = browser.get(authorization_url.clone()).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
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
        ("decision".to_owned(), decision.to_owned()),
    ];
    form.extend(ticked.iter().map(|s| ("scope".to_owned(), (*s).to_owned())));
    let mut action = authorization_url.clone();
    action.set_query(None);
    let response = browser.post(action).form(&form).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    Url::parse(response.headers()["location"].to_str().unwrap()).unwrap()
}

/// Follows Google's redirect to our callback, as a browser (HTML) or an API client (JSON,
/// optionally with an API key).
pub async fn follow(app: &TestApp, callback: &Url, json: bool, key: Option<&str>) -> Answer {
    let mut request = browser().get(callback.clone());
    if json {
        request = request.header("accept", "application/json");
    }
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    app.answer(request).await
}

/// The whole browser flow for `org` with both scopes ticked; returns the credential id.
pub async fn connect(app: &TestApp, org: &TestOrg, email: &str) -> String {
    let url = authorization_url(app, org, json!({"login_hint": email})).await;
    let callback = consent(&url, "allow", BOTH).await;
    let answer = follow(app, &callback, false, None).await;
    answer.assert_status(StatusCode::SEE_OTHER);
    let location = Url::parse(answer.headers["location"].to_str().unwrap()).unwrap();
    assert_eq!(param(&location, "google").as_deref(), Some("connected"));
    param(&location, "credential_id").unwrap()
}

/// What the stand-in's access tokens for this server live (seconds).
pub async fn access_token_ttl(app: &TestApp, secs: u64) {
    stand_in(
        app,
        Method::PUT,
        "/sandbox/google/settings",
        Some(json!({"access_token_ttl_secs": secs})),
    )
    .await;
}

/// The user revokes this server's access from their Google account page.
pub async fn revoke_at_google(app: &TestApp, email: &str) {
    let path = format!("/sandbox/google/users/{email}/revoke");
    stand_in(app, Method::POST, &path, None).await;
}

/// The stand-in's token endpoint answers the next `count` requests with a 503.
pub async fn token_outage(app: &TestApp, count: u32) {
    let fault = json!({"endpoint": "token", "fault": "503", "count": count});
    stand_in(app, Method::POST, "/sandbox/google/faults", Some(fault)).await;
}

/// Every revocation the stand-in received.
pub async fn revocations(app: &TestApp) -> Value {
    stand_in(app, Method::GET, "/sandbox/google/revocations", None).await
}

/// A server with Google configured, an organization, and a Google user of its own (not
/// connected yet).
pub async fn clinic_with_google_user() -> (TestApp, TestOrg, String) {
    let app = TestApp::spawn_with_google().await;
    let org = app.org().await;
    let email = google_user(&app).await;
    (app, org, email)
}

/// `clinic_with_google_user` with the user's calendar connected: the app, the organization,
/// the user's email and the credential id.
pub async fn connected_clinic() -> (TestApp, TestOrg, String, String) {
    let (app, org, email) = clinic_with_google_user().await;
    let id = connect(&app, &org, &email).await;
    (app, org, email, id)
}

/// `connected_clinic` whose access tokens live `secs` seconds, so the server keeps refreshing.
pub async fn connected_clinic_with_token_ttl(secs: u64) -> (TestApp, TestOrg, String, String) {
    let app = TestApp::spawn_with_google().await;
    access_token_ttl(&app, secs).await;
    let org = app.org().await;
    let email = google_user(&app).await;
    let id = connect(&app, &org, &email).await;
    (app, org, email, id)
}
