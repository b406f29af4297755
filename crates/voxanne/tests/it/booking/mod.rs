//! Booking into the clinic's Google Calendar over real sockets: the server (TestApp) with the
//! sandbox's Google stand-in, a calendar connected through the consent flow, and the stand-in's
//! control API to see, fault and revoke.

mod availability;
mod book;
mod exactly_once;
mod google_refusals;
mod processes;
mod settings_page;

use reqwest::Method;
use serde_json::{Value, json};
use voxanne::ids::OrgId;

use crate::support::answer::Answer;
use crate::support::app::{TestApp, TestOrg};

/// A clinic with a connected Google Calendar, in `timezone`, open every day 08:00–18:00.
pub struct Clinic {
    pub app: TestApp,
    pub org: TestOrg,
    /// The clinic's Google account at the stand-in.
    pub email: String,
    pub credential_id: String,
}

/// Every day of the week, 08:00 to 18:00.
pub fn open_all_week(spans: Value) -> Value {
    let days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    Value::Object(
        days.iter()
            .map(|d| ((*d).to_owned(), spans.clone()))
            .collect(),
    )
}

impl Clinic {
    pub async fn new(timezone: &str) -> Clinic {
        let app = TestApp::spawn_with_google().await;
        Self::in_app(app, timezone).await
    }

    /// Another clinic on the same server.
    pub async fn in_app(app: TestApp, timezone: &str) -> Clinic {
        let org = app.org().await;
        let email = connect(&app, &org.id).await;
        let credential_id = app
            .list_credentials(&org.key, "?type=google_calendar")
            .await
            .body["credentials"][0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let settings = json!({
            "alert_recipients": [],
            "timezone": timezone,
            "opening_hours": open_all_week(json!([["08:00", "18:00"]])),
            "slot_minutes": 30,
            "buffer_minutes": 0,
        });
        app.put_settings(&org.key, &settings)
            .await
            .assert_status(reqwest::StatusCode::OK);
        Clinic {
            app,
            org,
            email,
            credential_id,
        }
    }

    pub async fn settings(&self, body: Value) {
        let mut all = json!({"alert_recipients": [], "timezone": self.timezone().await});
        for (k, v) in body.as_object().unwrap() {
            all[k] = v.clone();
        }
        self.app
            .put_settings(&self.org.key, &all)
            .await
            .assert_status(reqwest::StatusCode::OK);
    }

    async fn timezone(&self) -> String {
        self.app.get_settings(&self.org.key).await.body["timezone"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    pub async fn availability(&self, query: &str) -> Answer {
        self.app
            .call(
                Method::GET,
                &format!("/api/calendar/availability?{query}"),
                Some(&self.org.key),
                None,
            )
            .await
    }

    pub async fn book(&self, body: &Value, key: Option<&str>) -> Answer {
        let mut request = self
            .app
            .client
            .post(format!("{}/api/calendar/appointments", self.app.url))
            .bearer_auth(&self.org.key)
            .json(body);
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        self.app.answer(request).await
    }

    pub async fn appointment(&self, id: &str) -> Answer {
        let path = format!("/api/calendar/appointments/{id}");
        self.app
            .call(Method::GET, &path, Some(&self.org.key), None)
            .await
    }

    pub async fn cancel(&self, id: &str) -> Answer {
        let path = format!("/api/calendar/appointments/{id}");
        self.app
            .call(Method::DELETE, &path, Some(&self.org.key), None)
            .await
    }

    /// The live events in the clinic's calendars at the stand-in.
    pub async fn events(&self) -> Vec<Value> {
        let all = self.all_events().await;
        all.into_iter()
            .filter(|e| e["status"].as_str() != Some("cancelled"))
            .collect()
    }

    /// Every event, deleted ones included.
    pub async fn all_events(&self) -> Vec<Value> {
        let path = format!("/sandbox/google/users/{}/events", self.email);
        let answer = self
            .app
            .client
            .get(format!("{}{path}", self.app.sandbox.url()))
            .send()
            .await
            .unwrap();
        assert!(answer.status().is_success(), "{path}");
        answer.json::<Vec<Value>>().await.unwrap()
    }

    /// Adds an event to the clinic's calendar as someone at the clinic would, through Google's API.
    pub async fn busy(&self, start: &str, end: &str) {
        let token = self.token().await;
        let answer = self
            .app
            .client
            .post(format!(
                "{}/calendar/v3/calendars/primary/events",
                self.app.sandbox.url()
            ))
            .bearer_auth(token)
            .json(&json!({
                "summary": "Staff meeting",
                "start": {"dateTime": start},
                "end": {"dateTime": end},
            }))
            .send()
            .await
            .unwrap();
        assert!(
            answer.status().is_success(),
            "{}",
            answer.text().await.unwrap()
        );
    }

    async fn token(&self) -> String {
        use secrecy::ExposeSecret;
        let google = self.app.google.as_ref().unwrap();
        let cred = voxanne::ids::CredentialId::parse(&self.credential_id).unwrap();
        google
            .google_access_token(&self.org.id, &cred)
            .await
            .unwrap()
            .expose_secret()
            .to_owned()
    }

    /// Arms a fault at the stand-in, e.g. `{"endpoint": "events.insert", "fault": "500"}`.
    pub async fn fault(&self, fault: Value) {
        let answer = self
            .app
            .client
            .post(format!("{}/sandbox/google/faults", self.app.sandbox.url()))
            .json(&fault)
            .send()
            .await
            .unwrap();
        assert!(
            answer.status().is_success(),
            "{}",
            answer.text().await.unwrap()
        );
    }

    /// Revokes the clinic's grant at the stand-in, as the account owner would.
    pub async fn revoke(&self) {
        let path = format!("/sandbox/google/users/{}/revoke", self.email);
        let answer = self
            .app
            .client
            .post(format!("{}{path}", self.app.sandbox.url()))
            .send()
            .await
            .unwrap();
        assert!(answer.status().is_success(), "{path}");
    }
}

/// Connects a fresh Google user's calendar to `org` through the consent flow.
pub async fn connect(app: &TestApp, org: &OrgId) -> String {
    let email = format!("desk-{}@clinic.example", &OrgId::generate().as_str()[4..14]);
    voxanne::google_connection::demo::create_sandbox_user(app.sandbox.url(), &email)
        .await
        .unwrap();
    let google = app.google.as_ref().unwrap();
    voxanne::google_connection::demo::connect_calendar(google, org, &email)
        .await
        .unwrap();
    email
}

/// A booking request body.
pub fn booking(start: &str, minutes: u32) -> Value {
    json!({
        "start": start,
        "duration_minutes": minutes,
        "lead": {"name": "Maria Lopez", "phone": "+14155552671", "reason": "Cleaning"},
    })
}

/// The events that carry `appointment_id` in their private extended properties.
pub fn events_of<'a>(events: &'a [Value], appointment_id: &str) -> Vec<&'a Value> {
    events
        .iter()
        .filter(|e| {
            e["extendedProperties"]["private"]["voxanne_appointment_id"].as_str()
                == Some(appointment_id)
        })
        .collect()
}
