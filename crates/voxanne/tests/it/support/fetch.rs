//! Sending a request and reading its answer in one step, for the tests' raw HTTP calls.

use std::future::Future;

use reqwest::RequestBuilder;
use serde::de::DeserializeOwned;
use serde_json::Value;

pub trait Fetch {
    /// Sends the request and parses the answer's JSON body, whatever its status.
    fn fetch_json<T: DeserializeOwned>(self) -> impl Future<Output = T>;

    /// Sends the request and reads the answer's body as text, whatever its status.
    fn fetch_text(self) -> impl Future<Output = String>;

    /// Sends the request, asserts a 2xx naming `what` otherwise, and parses the JSON body
    /// (`Null` when there is none).
    fn expect_json(self, what: &str) -> impl Future<Output = Value>;
}

impl Fetch for RequestBuilder {
    async fn fetch_json<T: DeserializeOwned>(self) -> T {
        self.send().await.unwrap().json().await.unwrap()
    }

    async fn fetch_text(self) -> String {
        self.send().await.unwrap().text().await.unwrap()
    }

    async fn expect_json(self, what: &str) -> Value {
        let response = self.send().await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        assert!(status.is_success(), "{what}: {status} {text}");
        if text.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap()
        }
    }
}
