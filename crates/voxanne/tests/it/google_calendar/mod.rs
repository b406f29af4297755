//! Voxanne's Calendar calls for booking (free/busy, events insert/get/list/delete) against the
//! whole sandbox over real sockets, including the faults that make an outcome unknown.

mod events;
mod faults;
mod free_busy;

use std::time::Duration;

use chrono::{DateTime, FixedOffset};
use reqwest::StatusCode;
use secrecy::SecretString;
use serde_json::{Value, json};
use url::Url;
use voxanne::google::{
    Backoff, CALENDAR_EVENTS, CALENDAR_EVENTS_FREEBUSY, CALENDAR_LIST_READONLY, CalendarRetry,
    EventTime, ExtendedProperties, GoogleClient, GoogleConfig, NewEvent,
};

use crate::support::Fetch;

const EMAIL: &str = "front-desk@clinic.example";
const ALL_SCOPES: &[&str] = &[
    CALENDAR_EVENTS,
    CALENDAR_LIST_READONLY,
    CALENDAR_EVENTS_FREEBUSY,
];

/// A running sandbox with one OAuth client and one Google user whose primary calendar is in
/// America/New_York, plus a Berlin calendar it owns and one it may only read.
struct Stand {
    sandbox: sandbox::Sandbox,
    http: reqwest::Client,
    google: GoogleClient,
    token: SecretString,
}

impl Stand {
    async fn start() -> Self {
        Self::with_scopes(ALL_SCOPES).await
    }

    /// Connected with only the scopes in `keep` ticked on the consent page.
    async fn with_scopes(keep: &[&str]) -> Self {
        let sandbox = sandbox::Sandbox::start(sandbox::SandboxConfig::default())
            .await
            .unwrap();
        let url = sandbox.url().to_owned();
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let redirect = Url::parse("http://127.0.0.1:9/oauth/google/callback").unwrap();
        let client = http
            .post(format!("{url}/sandbox/google/clients"))
            .json(&json!({"redirect_uris": [redirect.as_str()]}))
            .expect_json("create the OAuth client")
            .await;
        http.post(format!("{url}/sandbox/google/users"))
            .json(&json!({
                "email": EMAIL,
                "time_zone": "America/New_York",
                "calendars": [
                    {"summary": "Berlin office", "time_zone": "Europe/Berlin"},
                    {"summary": "Holidays", "access_role": "reader"},
                ],
            }))
            .expect_json("create the Google user")
            .await;
        let secret = SecretString::from(client["client_secret"].as_str().unwrap().to_owned());
        let config = GoogleConfig::sandbox(
            &url,
            client["client_id"].as_str().unwrap(),
            secret,
            redirect,
        )
        .unwrap();
        let google = GoogleClient::new(config)
            .unwrap()
            .with_calendar_retry(quick_retry());
        let (authorization, verifier) = google.authorization_url("state-1", Some(EMAIL));
        let callback = consent(&http, &url, &authorization, keep).await;
        let code = callback
            .query_pairs()
            .find(|(k, _)| k == "code")
            .map(|(_, v)| v.into_owned())
            .unwrap();
        let tokens = google.exchange_code(&code, &verifier).await.unwrap();
        Self {
            sandbox,
            http,
            google,
            token: tokens.access_token,
        }
    }

    /// The id of the user's calendar named `summary`.
    async fn calendar(&self, summary: &str) -> String {
        let page = self
            .google
            .calendar_list(&self.token, 10, None)
            .await
            .unwrap();
        page.items
            .into_iter()
            .find(|c| c.summary == summary)
            .unwrap()
            .id
    }

    /// Arms a Google fault, e.g. `{"endpoint": "events.insert", "fault": "500", "process": true}`.
    async fn fault(&self, fault: Value) {
        self.http
            .post(format!("{}/sandbox/google/faults", self.sandbox.url()))
            .json(&fault)
            .expect_json("arm a fault")
            .await;
    }

    /// Every event of the user's calendars, deleted ones included, through the control API.
    async fn stored_events(&self) -> Vec<Value> {
        let events = self
            .http
            .get(format!(
                "{}/sandbox/google/users/{EMAIL}/events",
                self.sandbox.url()
            ))
            .expect_json("the user's events")
            .await;
        events.as_array().unwrap().clone()
    }

    /// A raw Calendar API request with the access token, for what the typed client hides.
    async fn raw(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        use secrecy::ExposeSecret;
        let mut request = self
            .http
            .request(method, format!("{}/calendar/v3/{path}", self.sandbox.url()))
            .bearer_auth(self.token.expose_secret());
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }
}

/// Short waits so fault tests stay fast; the budget still allows a few retries.
fn quick_retry() -> CalendarRetry {
    CalendarRetry {
        backoff: Backoff {
            base: Duration::from_millis(10),
            max_delay: Duration::from_millis(50),
            max_attempts: 5,
        },
        budget: Duration::from_secs(3),
    }
}

/// Opens the consent page like a browser, ticks `keep`, allows, and returns the callback URL.
async fn consent(http: &reqwest::Client, base: &str, authorization: &Url, keep: &[&str]) -> Url {
    let html = http.get(authorization.clone()).fetch_text().await;
    let value_after = |prefix: &str| {
        html.split(prefix)
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap()
            .to_owned()
    };
    let mut form = vec![
        (
            "consent_id".to_owned(),
            value_after("name=\"consent_id\" value=\""),
        ),
        ("user".to_owned(), value_after("name=\"user\" value=\"")),
        ("decision".to_owned(), "allow".to_owned()),
    ];
    form.extend(keep.iter().map(|s| ("scope".to_owned(), (*s).to_owned())));
    let response = http
        .post(format!("{base}/o/oauth2/v2/auth"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    Url::parse(response.headers()["location"].to_str().unwrap()).unwrap()
}

fn at(rfc3339: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(rfc3339).unwrap()
}

/// A booking from `start` to `end` (RFC 3339) in `zone`, tagged with `appointment` privately.
fn booking(start: &str, end: &str, zone: &str, appointment: &str) -> NewEvent {
    let time = |t: &str| EventTime {
        date_time: t.to_owned(),
        time_zone: Some(zone.to_owned()),
    };
    NewEvent {
        id: None,
        summary: format!("Appointment {appointment}"),
        description: Some("Reason: check-up".into()),
        start: time(start),
        end: time(end),
        extended_properties: Some(ExtendedProperties {
            private: [("voxanne_appointment".to_owned(), appointment.to_owned())].into(),
            shared: Default::default(),
        }),
    }
}
