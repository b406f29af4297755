//! Drives the Google stand-in over a real socket the way a browser and an OAuth client would.
// Test fixtures: a failed unwrap here is a failed test, like in the tests themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::Rng;
use rand::distr::Alphanumeric;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use url::Url;

pub const EVENTS: &str = "https://www.googleapis.com/auth/calendar.events";
pub const CALENDARLIST_RO: &str = "https://www.googleapis.com/auth/calendar.calendarlist.readonly";
pub const EVENTS_FREEBUSY: &str = "https://www.googleapis.com/auth/calendar.events.freebusy";
pub const FREEBUSY: &str = "https://www.googleapis.com/auth/calendar.freebusy";
pub const REDIRECT: &str = "http://127.0.0.1:9/oauth/google/callback";
/// The one Google user of `Stand::with_user`.
pub const USER: &str = "clinic@example.com";

pub struct Stand {
    pub url: String,
    pub http: reqwest::Client,
}

pub struct OAuthClient {
    pub id: String,
    pub secret: String,
}

/// A parsed consent page: the fields a browser would submit.
pub struct ConsentForm {
    pub consent_id: String,
    pub users: Vec<String>,
    pub scopes: Vec<String>,
}

pub struct Pkce {
    pub verifier: String,
    pub challenge: String,
}

impl Pkce {
    pub fn new() -> Self {
        let verifier: String = rand::rng()
            .sample_iter(&Alphanumeric)
            .take(64)
            .map(char::from)
            .collect();
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        Self {
            verifier,
            challenge,
        }
    }
}

impl Stand {
    /// A stand-in already served at `url` (e.g. a whole `sandbox::Sandbox`).
    pub async fn on(url: &str) -> Self {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Self {
            url: url.to_owned(),
            http,
        }
    }

    /// Registers an OAuth client and the user `USER`, and returns an access token for `scopes`.
    pub async fn user_token(&self, scopes: &[&str]) -> String {
        let client = self.client().await;
        self.user(USER).await;
        access(&self.tokens(&client, scopes).await).to_owned()
    }

    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            axum::serve(listener, sandbox::google::router())
                .await
                .unwrap()
        });
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Self { url, http }
    }

    /// The stand-in with one OAuth client and one user (`USER`).
    pub async fn with_user() -> (Self, OAuthClient) {
        let stand = Self::start().await;
        let client = stand.client().await;
        stand.user(USER).await;
        (stand, client)
    }

    pub async fn control(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Value,
    ) -> (StatusCode, Value) {
        let response = self
            .http
            .request(method, format!("{}{path}", self.url))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// `with_user` with a fresh grant of `scopes`: the token response too.
    pub async fn with_grant(scopes: &[&str]) -> (Self, OAuthClient, Value) {
        let (stand, client) = Self::with_user().await;
        let tokens = stand.tokens(&client, scopes).await;
        (stand, client, tokens)
    }

    /// A control-API POST: its status and JSON body.
    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.control(reqwest::Method::POST, path, body).await
    }

    /// Arms a fault (`endpoint`, `fault`, `count`) at the stand-in.
    pub async fn fault(&self, fault: Value) {
        let (status, body) = self.post("/sandbox/google/faults", fault).await;
        assert!(status.is_success(), "{status} {body}");
    }

    /// Refreshes with the client's id and `secret` sent by HTTP Basic auth instead of the form.
    pub async fn refresh_by_basic_auth(
        &self,
        client: &OAuthClient,
        secret: &str,
        refresh_token: &str,
    ) -> StatusCode {
        let form = [
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ];
        let request = self
            .http
            .post(format!("{}/token", self.url))
            .basic_auth(&client.id, Some(secret))
            .form(&form);
        request.send().await.unwrap().status()
    }

    /// `PUT /sandbox/google/settings` (token lifetimes, delays).
    pub async fn settings(&self, settings: Value) {
        let (status, body) = self
            .control(reqwest::Method::PUT, "/sandbox/google/settings", settings)
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }

    pub async fn client(&self) -> OAuthClient {
        let (status, body) = self
            .control(
                reqwest::Method::POST,
                "/sandbox/google/clients",
                json!({"redirect_uris": [REDIRECT]}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
        OAuthClient {
            id: body["client_id"].as_str().unwrap().into(),
            secret: body["client_secret"].as_str().unwrap().into(),
        }
    }

    pub async fn user(&self, email: &str) {
        let (status, _) = self
            .control(
                reqwest::Method::POST,
                "/sandbox/google/users",
                json!({"email": email}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
    }

    pub fn auth_url(
        &self,
        client: &OAuthClient,
        scopes: &[&str],
        pkce: &Pkce,
        extra: &[(&str, &str)],
    ) -> Url {
        let mut url = Url::parse(&format!("{}/o/oauth2/v2/auth", self.url)).unwrap();
        url.query_pairs_mut()
            .append_pair("client_id", &client.id)
            .append_pair("redirect_uri", REDIRECT)
            .append_pair("response_type", "code")
            .append_pair("scope", &scopes.join(" "))
            .append_pair("state", "st<ate>&1")
            .append_pair("code_challenge", &pkce.challenge)
            .append_pair("code_challenge_method", "S256")
            .append_pair("access_type", "offline")
            .extend_pairs(extra);
        url
    }

    pub async fn consent_page(&self, url: Url) -> ConsentForm {
        let response = self.http.get(url).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let html = response.text().await.unwrap();
        ConsentForm {
            consent_id: attribute_values(&html, "name=\"consent_id\" value=\"").remove(0),
            users: [
                attribute_values(&html, "name=\"user\" value=\""),
                attribute_values(&html, "<option value=\""),
            ]
            .concat(),
            scopes: attribute_values(&html, "name=\"scope\" value=\""),
        }
    }

    /// Submits the consent form like a browser: ticked boxes only, then returns the redirect target.
    pub async fn decide(
        &self,
        form: &ConsentForm,
        decision: &str,
        ticked: &[&str],
        user: Option<&str>,
    ) -> Url {
        let mut fields = vec![
            ("consent_id", form.consent_id.as_str()),
            ("decision", decision),
        ];
        fields.push(("user", user.unwrap_or(&form.users[0])));
        fields.extend(ticked.iter().map(|s| ("scope", *s)));
        let response = self
            .http
            .post(format!("{}/o/oauth2/v2/auth", self.url))
            .form(&fields)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FOUND);
        Url::parse(response.headers()["location"].to_str().unwrap()).unwrap()
    }

    /// Runs the whole consent flow with every requested scope ticked and returns the code.
    pub async fn authorize(
        &self,
        client: &OAuthClient,
        scopes: &[&str],
        pkce: &Pkce,
        extra: &[(&str, &str)],
    ) -> String {
        let form = self
            .consent_page(self.auth_url(client, scopes, pkce, extra))
            .await;
        let callback = self.decide(&form, "allow", scopes, None).await;
        query(&callback, "code").unwrap()
    }

    pub async fn token(&self, fields: &[(&str, &str)]) -> (StatusCode, Value) {
        let request = self.http.post(format!("{}/token", self.url)).form(fields);
        status_and_json(request).await
    }

    pub async fn exchange(
        &self,
        client: &OAuthClient,
        code: &str,
        verifier: &str,
    ) -> (StatusCode, Value) {
        self.token(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("client_id", &client.id),
            ("client_secret", &client.secret),
            ("redirect_uri", REDIRECT),
            ("code_verifier", verifier),
        ])
        .await
    }

    pub async fn refresh(&self, client: &OAuthClient, refresh_token: &str) -> (StatusCode, Value) {
        self.token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", &client.id),
            ("client_secret", &client.secret),
        ])
        .await
    }

    /// A fresh grant for `scopes`: returns the token response.
    pub async fn tokens(&self, client: &OAuthClient, scopes: &[&str]) -> Value {
        let pkce = Pkce::new();
        let code = self
            .authorize(client, scopes, &pkce, &[("prompt", "consent")])
            .await;
        let (status, body) = self.exchange(client, &code, &pkce.verifier).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }

    /// Refreshes the grant behind `tokens` (a token response) as `client`.
    pub async fn refresh_grant(&self, client: &OAuthClient, tokens: &Value) -> (StatusCode, Value) {
        self.refresh(client, tokens["refresh_token"].as_str().unwrap())
            .await
    }

    /// The stand-in with one OAuth client, the user `USER` (primary calendar in New York, a
    /// calendar "Berlin office" in Berlin, a "Holidays" calendar it may only read) and a grant of
    /// `scopes`: returns the access token too.
    pub async fn with_calendars(scopes: &[&str]) -> (Self, String) {
        let stand = Self::start().await;
        let client = stand.client().await;
        let user = json!({
            "email": USER,
            "time_zone": "America/New_York",
            "calendars": [
                {"summary": "Berlin office", "time_zone": "Europe/Berlin"},
                {"summary": "Holidays", "access_role": "reader"},
            ],
        });
        let (status, body) = stand.post("/sandbox/google/users", user).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let tokens = stand.tokens(&client, scopes).await;
        (stand, access(&tokens).to_owned())
    }

    /// A Calendar API call (`path` under `/calendar/v3`) with a Bearer token and a JSON body;
    /// the status and the JSON answer (`Null` when there is none).
    pub async fn api(
        &self,
        method: reqwest::Method,
        path: &str,
        access_token: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self
            .http
            .request(method, format!("{}/calendar/v3{path}", self.url))
            .bearer_auth(access_token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// The id of `USER`'s calendar named `summary`, from the calendar list (needs a list scope).
    pub async fn calendar_id(&self, access_token: &str, summary: &str) -> String {
        let (status, list) = self
            .calendar_get("/users/me/calendarList", access_token)
            .await;
        assert_eq!(status, StatusCode::OK, "{list}");
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["summary"] == summary)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    pub async fn calendar_get(&self, path: &str, access_token: &str) -> (StatusCode, Value) {
        let url = format!("{}/calendar/v3{path}", self.url);
        status_and_json(self.http.get(url).bearer_auth(access_token)).await
    }
}

/// The access token of a token response.
pub fn access(tokens: &Value) -> &str {
    tokens["access_token"].as_str().unwrap()
}

async fn status_and_json(request: reqwest::RequestBuilder) -> (StatusCode, Value) {
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

pub fn query(url: &Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// Values of an attribute introduced by `prefix`, with HTML entities undone.
fn attribute_values(html: &str, prefix: &str) -> Vec<String> {
    html.split(prefix)
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(|v| {
            v.replace("&#x2f;", "/")
                .replace("&#47;", "/")
                .replace("&quot;", "\"")
                .replace("&amp;", "&")
        })
        .collect()
}
