//! Shared fixtures: a sandbox per test, typed helpers for each control endpoint, and a REST
//! caller that speaks Twilio's form-encoded API.

use std::time::Duration;

use reqwest::{Client, Response, StatusCode};
use sandbox::{Sandbox, SandboxConfig};
use serde_json::{Value, json};

/// The credentials `POST /sandbox/accounts` hands out.
#[derive(Debug, Clone)]
pub struct Creds {
    pub account_sid: String,
    pub auth_token: String,
    pub test_account_sid: String,
    pub test_auth_token: String,
}

pub struct TestSandbox {
    pub sandbox: Sandbox,
    pub http: Client,
}

/// A sandbox with fast steps and a short hang, on a free loopback port.
pub async fn start() -> TestSandbox {
    start_with(Duration::from_millis(5)).await
}

pub async fn start_with(step_delay: Duration) -> TestSandbox {
    let config = SandboxConfig {
        step_delay,
        hang_for: Duration::from_millis(300),
        ..SandboxConfig::default()
    };
    let sandbox = Sandbox::start(config).await.unwrap();
    let http = Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    TestSandbox { sandbox, http }
}

/// A sandbox and a Full, active account without numbers.
pub async fn start_with_account() -> (TestSandbox, Creds) {
    let sandbox = start().await;
    let creds = sandbox.account_with(json!({})).await;
    (sandbox, creds)
}

/// A sandbox and a Full, active account with one SMS-capable number: the number too.
pub async fn start_with_number() -> (TestSandbox, Creds, String) {
    let sandbox = start().await;
    let (creds, number) = sandbox.account_with_number().await;
    (sandbox, creds, number)
}

/// A random valid US number that is not a scenario phone.
pub fn random_number() -> String {
    format!("+1415{:07}", rand::random::<u32>() % 10_000_000)
}

impl TestSandbox {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.sandbox.url())
    }

    /// A control-API POST that must answer 201 Created; its JSON body.
    async fn create(&self, path: &str, body: Value) -> Value {
        let response = self
            .http
            .post(self.url(path))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        assert_eq!(status, StatusCode::CREATED, "{path}: {text}");
        serde_json::from_str(&text).unwrap()
    }

    /// `POST /sandbox/accounts` with `body`.
    pub async fn account_with(&self, body: Value) -> Creds {
        let creds = self.create("/sandbox/accounts", body).await;
        Creds {
            account_sid: creds["account_sid"].as_str().unwrap().to_owned(),
            auth_token: creds["auth_token"].as_str().unwrap().to_owned(),
            test_account_sid: creds["test_account_sid"].as_str().unwrap().to_owned(),
            test_auth_token: creds["test_auth_token"].as_str().unwrap().to_owned(),
        }
    }

    /// A Full, active account with one SMS-capable number; returns it with that number.
    pub async fn account_with_number(&self) -> (Creds, String) {
        let creds = self.account_with(json!({})).await;
        let number = random_number();
        self.add_number(&creds.account_sid, &number, true).await;
        (creds, number)
    }

    pub async fn add_number(&self, account_sid: &str, number: &str, sms: bool) -> Value {
        let path = format!("/sandbox/accounts/{account_sid}/numbers");
        self.create(&path, json!({"phone_number": number, "sms": sms}))
            .await
    }

    pub async fn api_key(&self, account_sid: &str) -> (String, String) {
        let path = format!("/sandbox/accounts/{account_sid}/keys");
        let key = self.create(&path, json!({})).await;
        (
            key["sid"].as_str().unwrap().to_owned(),
            key["secret"].as_str().unwrap().to_owned(),
        )
    }

    pub async fn messaging_service(&self, account_sid: &str, numbers: &[&str]) -> String {
        let path = format!("/sandbox/accounts/{account_sid}/messaging-services");
        let service = self.create(&path, json!({"numbers": numbers})).await;
        service["sid"].as_str().unwrap().to_owned()
    }

    pub async fn patch_account(&self, account_sid: &str, body: Value) {
        let url = self.url(&format!("/sandbox/accounts/{account_sid}"));
        let response = self.http.patch(url).json(&body).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }

    pub async fn arm_fault(&self, body: Value) {
        self.create("/sandbox/faults", body).await;
    }

    pub async fn inbox(&self, phone: &str) -> Vec<Value> {
        let url = self.url(&format!("/sandbox/phones/{phone}/messages"));
        self.http
            .get(url)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// A GET of a control API or web page, with no credentials.
    pub async fn get_plain(&self, path: &str) -> Response {
        self.http.get(self.url(path)).send().await.unwrap()
    }

    /// A REST GET with `creds`' live credentials.
    pub async fn get_as(&self, creds: &Creds, path: &str) -> Response {
        self.get(&creds.account_sid, &creds.auth_token, path).await
    }

    /// A REST GET with `creds`' live credentials, its JSON body whatever the status.
    pub async fn get_json(&self, creds: &Creds, path: &str) -> Value {
        self.get_as(creds, path).await.json().await.unwrap()
    }

    /// A REST DELETE with `creds`' live credentials.
    pub async fn delete_as(&self, creds: &Creds, path: &str) -> Response {
        self.http
            .delete(self.url(path))
            .basic_auth(&creds.account_sid, Some(&creds.auth_token))
            .send()
            .await
            .unwrap()
    }

    /// A REST call under `/2010-04-01/Accounts/{account}` with Basic auth.
    pub async fn get(&self, user: &str, password: &str, path: &str) -> Response {
        self.http
            .get(self.url(path))
            .basic_auth(user, Some(password))
            .send()
            .await
            .unwrap()
    }

    pub async fn post_form(
        &self,
        user: &str,
        password: &str,
        path: &str,
        form: &[(&str, &str)],
    ) -> Response {
        self.http
            .post(self.url(path))
            .basic_auth(user, Some(password))
            .form(form)
            .send()
            .await
            .unwrap()
    }

    /// Create Message with live credentials.
    pub async fn send(&self, creds: &Creds, form: &[(&str, &str)]) -> Response {
        let path = messages_path(&creds.account_sid);
        self.post_form(&creds.account_sid, &creds.auth_token, &path, form)
            .await
    }

    /// Create Message of a plain SMS with live credentials.
    pub async fn text(&self, creds: &Creds, to: &str, from: &str, body: &str) -> Response {
        self.send(creds, &[("To", to), ("From", from), ("Body", body)])
            .await
    }

    /// Create Message through the messaging service `service` to a random number.
    pub async fn send_via_service(&self, creds: &Creds, service: &str, body: &str) -> Response {
        let to = random_number();
        let form = [
            ("To", to.as_str()),
            ("MessagingServiceSid", service),
            ("Body", body),
        ];
        self.send(creds, &form).await
    }

    /// Create Message of a plain SMS with live credentials; the answer's JSON body.
    pub async fn text_json(&self, creds: &Creds, to: &str, from: &str, body: &str) -> Value {
        self.text(creds, to, from, body).await.json().await.unwrap()
    }

    /// Create Message with the account's test credentials.
    pub async fn send_as_test(&self, creds: &Creds, form: &[(&str, &str)]) -> Response {
        let path = messages_path(&creds.test_account_sid);
        self.post_form(&creds.test_account_sid, &creds.test_auth_token, &path, form)
            .await
    }

    /// Create Message on a fresh connection, keeping transport errors (for the fault tests).
    pub async fn send_raw(
        &self,
        creds: &Creds,
        form: &[(&str, &str)],
    ) -> reqwest::Result<Response> {
        let client = Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(5))
            .build()
            .unwrap();
        client
            .post(self.url(&messages_path(&creds.account_sid)))
            .basic_auth(&creds.account_sid, Some(&creds.auth_token))
            .form(form)
            .send()
            .await
    }

    /// Fetch Message with live credentials, as JSON.
    pub async fn fetch_message(&self, creds: &Creds, sid: &str) -> Value {
        let path = format!(
            "/2010-04-01/Accounts/{}/Messages/{sid}.json",
            creds.account_sid
        );
        let response = self.get(&creds.account_sid, &creds.auth_token, &path).await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.unwrap()
    }

    /// Polls Fetch Message until `status` (or fails after two seconds).
    pub async fn wait_for_status(&self, creds: &Creds, sid: &str, status: &str) -> Value {
        for _ in 0..200 {
            let message = self.fetch_message(creds, sid).await;
            if message["status"] == status {
                return message;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("message {sid} never reached {status}");
    }
}

pub fn messages_path(account_sid: &str) -> String {
    format!("/2010-04-01/Accounts/{account_sid}/Messages.json")
}

/// Asserts a Twilio error answer: status, code, the body shape and the request id.
pub async fn assert_twilio_error(response: Response, status: u16, code: u64) -> Value {
    assert_eq!(response.status().as_u16(), status);
    assert_request_id(&response);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["status"], status, "{body}");
    assert_eq!(
        body["more_info"],
        format!("https://www.twilio.com/docs/errors/{code}")
    );
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    body
}

pub fn assert_request_id(response: &Response) {
    let id = response
        .headers()
        .get("twilio-request-id")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(
        id.len() == 34 && id.starts_with("RQ") && id[2..].bytes().all(|b| b.is_ascii_hexdigit()),
        "{id}"
    );
}
