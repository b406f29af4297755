//! What the service answered: status, headers and body, with assertions that show the body when
//! they fail.

use reqwest::StatusCode;
use serde_json::Value;

/// An answer: status, headers and the JSON body (`Value::Null` when there is none).
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Answer {
    /// The `error` object of an error answer.
    pub fn error(&self) -> &Value {
        &self.body["error"]
    }

    pub fn error_field(&self) -> Option<&str> {
        self.body["error"]["field"].as_str()
    }

    /// Asserts the status, showing the body otherwise.
    #[track_caller]
    pub fn assert_status(&self, status: StatusCode) {
        assert_eq!(self.status, status, "{}", self.text);
    }

    /// Asserts that the error's `key` (`message`, `hint`) contains `words`.
    #[track_caller]
    pub fn assert_error_says(&self, key: &str, words: &str) {
        assert!(
            self.error()[key]
                .as_str()
                .is_some_and(|text| text.contains(words)),
            "{key} should say {words:?}: {}",
            self.text
        );
    }

    /// Asserts a 422 whose error names `field`.
    #[track_caller]
    pub fn assert_invalid(&self, field: &str) {
        assert_eq!(
            (self.status, self.error_field()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(field)),
            "{}",
            self.text
        );
    }

    /// Asserts an error answer with this status and error code.
    #[track_caller]
    pub fn assert_error(&self, status: StatusCode, code: &str) {
        self.assert_status(status);
        assert_eq!(self.error()["code"], code, "{}", self.text);
    }
}

/// The check named `id` in a verification answer (`{"checks": [...]}`).
pub fn check_named<'a>(body: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    body["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no {id} check in {body}"))
}
