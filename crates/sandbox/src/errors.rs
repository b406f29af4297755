//! Twilio's error responses: the legacy 2010 body `{"code","message","more_info","status"}` with
//! the codes and wordings the SDKs and our client branch on.

use axum::http::StatusCode;
use serde::Serialize;

/// One Twilio error answer. Field order matches Twilio's body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct TwilioError {
    pub code: u32,
    pub message: String,
    pub more_info: String,
    pub status: u16,
}

impl TwilioError {
    pub fn new(status: StatusCode, code: u32, message: impl Into<String>) -> TwilioError {
        TwilioError {
            code,
            message: message.into(),
            more_info: format!("https://www.twilio.com/docs/errors/{code}"),
            status: status.as_u16(),
        }
    }

    pub fn http_status(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// 401/20003: bad or missing credentials, an API key on `/Accounts/{Sid}`, a closed account,
    /// or an AccountSid in the path that is not the authenticated one.
    pub fn authenticate() -> TwilioError {
        TwilioError::new(StatusCode::UNAUTHORIZED, 20003, "Authenticate")
    }

    /// 404/20404 with Twilio's wording, naming the path that was asked for.
    pub fn not_found(path: &str) -> TwilioError {
        TwilioError::new(
            StatusCode::NOT_FOUND,
            20404,
            format!("The requested resource {path} was not found"),
        )
    }

    /// 405/20004 for a method the resource does not have.
    pub fn method_not_allowed() -> TwilioError {
        TwilioError::new(StatusCode::METHOD_NOT_ALLOWED, 20004, "Method not allowed")
    }

    /// 403/20008: test credentials reach only Create Message.
    pub fn test_credentials_forbidden() -> TwilioError {
        TwilioError::new(
            StatusCode::FORBIDDEN,
            20008,
            "Resource not accessible with Test Account Credentials",
        )
    }

    /// 403/20403: the account is suspended (Fetch Account still answers, with `status`).
    pub fn account_suspended() -> TwilioError {
        TwilioError::new(
            StatusCode::FORBIDDEN,
            20403,
            "Forbidden: this account is suspended",
        )
    }

    pub fn too_many_requests() -> TwilioError {
        TwilioError::new(StatusCode::TOO_MANY_REQUESTS, 20429, "Too Many Requests")
    }

    pub fn internal() -> TwilioError {
        TwilioError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            20500,
            "An internal server error has occurred",
        )
    }

    pub fn unavailable() -> TwilioError {
        TwilioError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            20503,
            "Service temporarily unavailable",
        )
    }

    /// 400 with a validation code (21xxx).
    pub fn invalid(code: u32, message: impl Into<String>) -> TwilioError {
        TwilioError::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// 400/20001 for a malformed query parameter (e.g. a non-numeric `PageSize`).
    pub fn invalid_parameter(message: impl Into<String>) -> TwilioError {
        TwilioError::invalid(20001, message)
    }
}

/// The validation errors of Create Message, with Twilio's codes and wordings.
pub(crate) mod create {
    use super::TwilioError;

    pub fn to_required() -> TwilioError {
        TwilioError::invalid(21604, "A 'To' phone number is required.")
    }

    pub fn from_required() -> TwilioError {
        TwilioError::invalid(
            21603,
            "A 'From' or 'MessagingServiceSid' parameter is required to send a message",
        )
    }

    pub fn body_required() -> TwilioError {
        TwilioError::invalid(21602, "Message body is required.")
    }

    pub fn body_too_long() -> TwilioError {
        TwilioError::invalid(
            21617,
            "The concatenated message body exceeds the 1600 character limit.",
        )
    }

    pub fn invalid_to(to: &str) -> TwilioError {
        TwilioError::invalid(
            21211,
            format!("The 'To' number {to} is not a valid phone number."),
        )
    }

    pub fn invalid_from(from: &str) -> TwilioError {
        TwilioError::invalid(
            21212,
            format!(
                "The 'From' number {from} is not a valid phone number, shortcode, or alphanumeric sender ID."
            ),
        )
    }

    pub fn from_not_owned(from: &str) -> TwilioError {
        TwilioError::invalid(
            21606,
            format!(
                "The From phone number {from} is not a valid, SMS-capable inbound phone number or short code for your account."
            ),
        )
    }

    pub fn queue_full(from: &str) -> TwilioError {
        TwilioError::invalid(
            21611,
            format!("This 'From' number {from} has exceeded the maximum number of queued messages"),
        )
    }

    pub fn unverified(to: &str) -> TwilioError {
        TwilioError::invalid(
            21608,
            format!(
                "The number {to} is unverified. Trial accounts cannot send messages to unverified numbers; verify {to} at twilio.com/user/account/phone-numbers/verified, or purchase a Twilio number to send messages to unverified numbers"
            ),
        )
    }

    pub fn unreachable(to: &str) -> TwilioError {
        TwilioError::invalid(
            21612,
            format!(
                "The 'To' phone number: {to}, is not currently reachable using the 'From' phone number via SMS."
            ),
        )
    }

    pub fn no_geo_permission(to: &str) -> TwilioError {
        TwilioError::invalid(
            21408,
            format!(
                "Permission to send an SMS has not been enabled for the region indicated by the 'To' number: {to}."
            ),
        )
    }

    pub fn unsubscribed() -> TwilioError {
        TwilioError::invalid(21610, "Attempt to send to unsubscribed recipient")
    }

    pub fn not_mobile(to: &str) -> TwilioError {
        TwilioError::invalid(
            21614,
            format!("'To' number {to} is not a valid mobile number"),
        )
    }

    pub fn invalid_status_callback(url: &str) -> TwilioError {
        TwilioError::invalid(
            21609,
            format!("The StatusCallback URL {url} is not a valid URL."),
        )
    }

    pub fn unknown_service(sid: &str) -> TwilioError {
        TwilioError::invalid(
            21701,
            format!("The Messaging Service Sid {sid} is invalid."),
        )
    }

    pub fn empty_service(sid: &str) -> TwilioError {
        TwilioError::invalid(
            21703,
            format!("The Messaging Service {sid} has no phone numbers in its sender pool."),
        )
    }
}
