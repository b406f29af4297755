//! The client's one error type, Twilio's error body, and what a caller should do about each.
//!
//! Two questions drive every caller: "may I retry?" ([`Error::retry_class`]) and "might Twilio
//! have acted on the request anyway?" ([`Error::is_ambiguous`]). A create that timed out after the
//! request was written may have sent the SMS; retrying it blindly texts the patient twice.

use std::time::Duration;

use serde::Deserialize;

use crate::sid::SidError;

/// What to do with a failed request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RetryClass {
    /// Retrying as-is will fail again (bad recipient, unsubscribed, missing body…).
    Permanent,
    /// Retry later with backoff (rate limit, Twilio 5xx, queue full, network).
    Transient,
    /// Retry only after someone fixes the account or its configuration (credentials, sender, geo
    /// permissions, trial verification).
    NeedsConfiguration,
}

/// An error Twilio answered with, decoded from its body (`{status, code, message, more_info}`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Twilio error {code} (HTTP {http_status}): {message}")]
pub struct ApiError {
    /// The HTTP status of the response.
    pub http_status: u16,
    /// Twilio's error code (e.g. 21211); the HTTP status when the body carried none.
    pub code: u32,
    /// Twilio's message, or a short description of a non-JSON body.
    pub message: String,
    /// Link to Twilio's page for the code.
    pub more_info: Option<String>,
    /// The `Retry-After` header, when present (seconds or an HTTP date).
    pub retry_after: Option<Duration>,
    /// The `Twilio-Request-Id` header, for support tickets.
    pub request_id: Option<String>,
}

/// Twilio's legacy 2010 error body. `detail` and `details` appear on some responses and are
/// tolerated; RFC 9457 bodies of newer APIs also carry `status` and `code`.
#[derive(Deserialize)]
struct ErrorBody {
    code: Option<u32>,
    message: Option<String>,
    more_info: Option<String>,
    #[serde(default)]
    detail: Option<String>,
    #[serde(default)]
    title: Option<String>,
}

/// Codes retrying cannot fix.
const PERMANENT: &[u32] = &[
    20008, 20404, 21211, 21602, 21603, 21604, 21610, 21612, 21614, 21617, 21635, 21658,
];
/// Codes someone must fix in Twilio's console or in Voxanne's settings.
const NEEDS_CONFIGURATION: &[u32] = &[
    20003, 20005, 20403, 21212, 21408, 21606, 21608, 21609, 21660,
];
/// Codes that will succeed later.
const TRANSIENT: &[u32] = &[20429, 21611];

impl ApiError {
    /// Decodes an error response. Never fails: a body that is not Twilio's JSON becomes
    /// `code = http_status` with the start of the body as the message.
    pub fn from_response(
        http_status: u16,
        body: &[u8],
        retry_after: Option<Duration>,
        request_id: Option<String>,
    ) -> Self {
        let decoded = serde_json::from_slice::<ErrorBody>(body).ok();
        let (code, message, more_info) = match decoded {
            Some(b) => {
                let message = b
                    .message
                    .or(b.detail.filter(|d| !d.is_empty()))
                    .or(b.title)
                    .unwrap_or_else(|| format!("HTTP {http_status} without a message"));
                (
                    b.code.unwrap_or(u32::from(http_status)),
                    message,
                    b.more_info,
                )
            }
            None => {
                let text = String::from_utf8_lossy(body);
                let snippet: String = text.trim().chars().take(200).collect();
                let message = if snippet.is_empty() {
                    format!("HTTP {http_status} with an empty body")
                } else {
                    format!("HTTP {http_status}: {snippet}")
                };
                (u32::from(http_status), message, None)
            }
        };
        Self {
            http_status,
            code,
            message,
            more_info,
            retry_after,
            request_id,
        }
    }

    /// The retry class from the code first, then the HTTP status (FACTS §2).
    pub fn retry_class(&self) -> RetryClass {
        if TRANSIENT.contains(&self.code) {
            RetryClass::Transient
        } else if NEEDS_CONFIGURATION.contains(&self.code) {
            RetryClass::NeedsConfiguration
        } else if PERMANENT.contains(&self.code) {
            RetryClass::Permanent
        } else {
            match self.http_status {
                429 | 500..=599 => RetryClass::Transient,
                // A bare 401/403 (no Twilio code, e.g. from a proxy) is still a credential problem.
                401 | 403 => RetryClass::NeedsConfiguration,
                _ => RetryClass::Permanent,
            }
        }
    }
}

/// Everything that can go wrong talking to Twilio.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Twilio answered with an error status.
    #[error(transparent)]
    Api(#[from] Box<ApiError>),
    /// No connection could be made: the request never reached Twilio, so retrying is safe.
    #[error("could not connect to Twilio at {base_url}")]
    Connect {
        base_url: String,
        #[source]
        source: reqwest::Error,
    },
    /// No answer within the timeout after the request was sent: it may have taken effect.
    #[error("Twilio did not answer within {timeout:?}; the request may have taken effect")]
    Timeout {
        timeout: Duration,
        #[source]
        source: reqwest::Error,
    },
    /// The connection broke after the request was written (reset, closed): it may have taken effect.
    #[error("the connection to Twilio broke after the request was sent; it may have taken effect")]
    Transport {
        #[source]
        source: reqwest::Error,
    },
    /// A successful response whose body is not what the spec describes.
    #[error("Twilio's response to {operation} could not be decoded")]
    Decode {
        operation: &'static str,
        #[source]
        source: serde_json::Error,
    },
    /// A SID in a response or a `next_page_uri` that does not parse.
    #[error("Twilio returned an unusable {what}: {value}")]
    Unexpected { what: &'static str, value: String },
    /// The client could not be built (bad base URL, TLS setup).
    #[error("invalid Twilio client configuration: {reason}")]
    Config { reason: String },
    /// A SID given to the client is malformed.
    #[error(transparent)]
    Sid(#[from] SidError),
}

impl From<ApiError> for Error {
    fn from(err: ApiError) -> Self {
        Error::Api(Box::new(err))
    }
}

impl Error {
    /// Whether and when to retry; see [`RetryClass`].
    pub fn retry_class(&self) -> RetryClass {
        match self {
            Error::Api(api) => api.retry_class(),
            Error::Connect { .. } | Error::Timeout { .. } | Error::Transport { .. } => {
                RetryClass::Transient
            }
            Error::Decode { .. } | Error::Unexpected { .. } => RetryClass::Transient,
            Error::Config { .. } | Error::Sid(_) => RetryClass::NeedsConfiguration,
        }
    }

    /// True when the request may have reached Twilio and taken effect although no usable answer came
    /// back: a timeout or a broken connection after the request was written, or an undecodable 2xx.
    /// Connect errors are not ambiguous (nothing was sent), and neither are Twilio's error answers.
    pub fn is_ambiguous(&self) -> bool {
        matches!(
            self,
            Error::Timeout { .. }
                | Error::Transport { .. }
                | Error::Decode { .. }
                | Error::Unexpected { .. }
        )
    }

    /// Twilio's error, if Twilio answered with one.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Error::Api(api) => Some(api),
            _ => None,
        }
    }

    /// Twilio's error code, if Twilio answered with one.
    pub fn code(&self) -> Option<u32> {
        self.api().map(|a| a.code)
    }

    /// The delay Twilio asked for (`Retry-After`), if any.
    pub fn retry_after(&self) -> Option<Duration> {
        self.api().and_then(|a| a.retry_after)
    }

    /// Sorts a transport failure into connect / timeout / broken-after-send.
    pub(crate) fn from_transport(
        source: reqwest::Error,
        base_url: &str,
        timeout: Duration,
    ) -> Self {
        // Order matters: a connect timeout is both `is_connect` and `is_timeout`, and it never
        // reached Twilio.
        if source.is_connect() {
            Error::Connect {
                base_url: base_url.to_owned(),
                source,
            }
        } else if source.is_timeout() {
            Error::Timeout { timeout, source }
        } else if source.is_builder() {
            Error::Config {
                reason: source.to_string(),
            }
        } else {
            Error::Transport { source }
        }
    }
}

/// Parses `Retry-After`: delta-seconds or an HTTP date (RFC 9110 §10.2.3).
pub(crate) fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(
        at.duration_since(std::time::SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(status: u16, body: &str) -> ApiError {
        ApiError::from_response(status, body.as_bytes(), None, None)
    }

    #[test]
    fn the_legacy_body_is_decoded_field_by_field() {
        let e = api(
            400,
            r#"{"code": 21211, "message": "The 'To' number +1555 is not a valid phone number.", "more_info": "https://www.twilio.com/docs/errors/21211", "status": 400}"#,
        );
        assert_eq!(e.code, 21211);
        assert_eq!(e.http_status, 400);
        assert_eq!(
            e.message,
            "The 'To' number +1555 is not a valid phone number."
        );
        assert_eq!(
            e.more_info.as_deref(),
            Some("https://www.twilio.com/docs/errors/21211")
        );
        assert_eq!(e.retry_class(), RetryClass::Permanent);
    }

    #[test]
    fn a_body_with_an_empty_detail_is_tolerated() {
        let e = api(
            401,
            r#"{"code": 20003, "detail": "", "message": "Authenticate", "more_info": "https://www.twilio.com/docs/errors/20003", "status": 401}"#,
        );
        assert_eq!((e.code, e.message.as_str()), (20003, "Authenticate"));
        assert_eq!(e.retry_class(), RetryClass::NeedsConfiguration);
    }

    #[test]
    fn a_non_json_body_uses_the_http_status_as_the_code() {
        let e = api(502, "<html>Bad Gateway</html>");
        assert_eq!(e.code, 502);
        assert!(e.message.contains("Bad Gateway"), "{}", e.message);
        assert_eq!(e.retry_class(), RetryClass::Transient);
    }

    #[test]
    fn codes_map_to_the_retry_classes_of_the_facts_table() {
        let table = [
            (429, 20429, RetryClass::Transient),
            (400, 21611, RetryClass::Transient),
            (503, 503, RetryClass::Transient),
            (401, 20003, RetryClass::NeedsConfiguration),
            (403, 20403, RetryClass::NeedsConfiguration),
            (401, 20005, RetryClass::NeedsConfiguration),
            (400, 21212, RetryClass::NeedsConfiguration),
            (400, 21606, RetryClass::NeedsConfiguration),
            (400, 21608, RetryClass::NeedsConfiguration),
            (400, 21408, RetryClass::NeedsConfiguration),
            (400, 21609, RetryClass::NeedsConfiguration),
            (400, 21660, RetryClass::NeedsConfiguration),
            (400, 21211, RetryClass::Permanent),
            (400, 21602, RetryClass::Permanent),
            (400, 21603, RetryClass::Permanent),
            (400, 21604, RetryClass::Permanent),
            (400, 21610, RetryClass::Permanent),
            (400, 21612, RetryClass::Permanent),
            (400, 21614, RetryClass::Permanent),
            (400, 21617, RetryClass::Permanent),
            (400, 21635, RetryClass::Permanent),
            (404, 20404, RetryClass::Permanent),
            (403, 20008, RetryClass::Permanent),
            (400, 29999, RetryClass::Permanent),
            (500, 29999, RetryClass::Transient),
            (429, 429, RetryClass::Transient),
        ];
        for (status, code, class) in table {
            let e = ApiError::from_response(
                status,
                format!(r#"{{"code":{code},"message":"m","status":{status}}}"#).as_bytes(),
                None,
                None,
            );
            assert_eq!(e.retry_class(), class, "code {code} status {status}");
        }
    }

    #[test]
    fn retry_after_accepts_seconds_and_http_dates() {
        assert_eq!(parse_retry_after("3"), Some(Duration::from_secs(3)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        let later =
            httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(120));
        let parsed = parse_retry_after(&later).unwrap();
        assert!(
            parsed > Duration::from_secs(100) && parsed <= Duration::from_secs(120),
            "{parsed:?}"
        );
        assert_eq!(parse_retry_after("soon"), None);
    }

    #[test]
    fn api_errors_are_not_ambiguous() {
        let e: Error = api(500, "{}").into();
        assert!(!e.is_ambiguous());
        assert_eq!(e.code(), Some(500));
    }
}
