//! `POST /twilio/status/{org_id}/{message_id}`: Twilio reporting a message's status.
//!
//! Authentication, in order:
//! 1. When the message's credential holds the account's Auth Token, `X-Twilio-Signature` must
//!    be Twilio's HMAC-SHA1 of our public callback URL (as we gave it to Twilio, query
//!    included) and the sorted form parameters, keyed by that token. Compared in constant time.
//! 2. Otherwise (an API key given without the Auth Token, which cannot sign), the URL's `t`
//!    parameter must equal the message's own random 256-bit token, also compared in constant
//!    time. The token is created with the message, never shown by the API, and only ever sent
//!    to Twilio inside the StatusCallback URL.
//!
//! Anything that fails (unknown org or message included, so the endpoint is no oracle)
//! answers 403 and changes nothing. An authentic report about another Twilio message (its
//! `MessageSid` differs from the SID Twilio gave this message) changes nothing either and
//! answers 204 so Twilio stops retrying; before the SID is recorded (the callback raced the
//! send's settlement) the report applies. Accepted reports are deduplicated (per message and
//! status) and can only move a message forward; replays and late reports answer 204 too, so
//! Twilio stops retrying.

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq;

use crate::delivery::Delivery;
use crate::http::error::{ErrorBody, ErrorDetail};
use crate::http::request_id;
use crate::ids::{CredentialId, MessageId, OrgId};
use crate::outbox::{MessageStatus, StatusReport, now_ms, reason};

/// The public URL Twilio called: our configured base, the path, and the query as received.
pub fn public_callback_url(
    public_url: &str,
    org: &str,
    message: &str,
    query: Option<&str>,
) -> String {
    let mut url = format!(
        "{}/twilio/status/{org}/{message}",
        public_url.trim_end_matches('/')
    );
    if let Some(query) = query.filter(|q| !q.is_empty()) {
        url.push('?');
        url.push_str(query);
    }
    url
}

fn forbidden() -> Response {
    let body = ErrorBody {
        error: ErrorDetail {
            code: "invalid_signature".to_owned(),
            message:
                "the request is not a status callback signed by this organization's Twilio account"
                    .to_owned(),
            field: None,
            hint: None,
            twilio_code: None,
            request_id: request_id::current().unwrap_or_default(),
        },
    };
    (StatusCode::FORBIDDEN, axum::Json(body)).into_response()
}

/// Handles one callback; see the module documentation.
pub async fn receive(
    delivery: &Delivery,
    public_url: Option<&str>,
    org: &str,
    message: &str,
    query: Option<&str>,
    headers: &HeaderMap,
    body: &Bytes,
) -> Response {
    let (Ok(org_id), Ok(message_id)) = (OrgId::parse(org), MessageId::parse(message)) else {
        return forbidden();
    };
    let Ok(params) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(body) else {
        return forbidden();
    };
    let stored = match delivery
        .outbox()
        .get(org_id.as_str(), message_id.as_str())
        .await
    {
        Ok(Some(stored)) => stored,
        Ok(None) => return forbidden(),
        Err(err) => {
            tracing::error!(error = ?anyhow::Error::new(err), "status callback: cannot read the message");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    };
    let Ok(credential) = CredentialId::parse(&stored.credential_id) else {
        return forbidden();
    };
    let key = match delivery
        .dispatcher()
        .accounts()
        .callback_key(&org_id, &credential)
        .await
    {
        Ok(key) => key,
        Err(crate::dispatch::Unusable::Store(err)) => {
            tracing::error!(error = ?anyhow::Error::new(err), "status callback: cannot read the credential");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
        Err(_) => None,
    };
    let authentic = match (key, public_url) {
        (Some(auth_token), Some(public_url)) => {
            let signature = headers
                .get("x-twilio-signature")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            let url = public_callback_url(public_url, org, message, query);
            twilio::signature::validate(&auth_token, &url, &params, signature)
        }
        _ => {
            let given = query
                .and_then(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(q).ok())
                .and_then(|pairs| {
                    pairs
                        .into_iter()
                        .find(|(name, _)| name == "t")
                        .map(|(_, value)| value)
                })
                .unwrap_or_default();
            !given.is_empty()
                && bool::from(given.as_bytes().ct_eq(stored.callback_token.as_bytes()))
        }
    };
    if !authentic {
        tracing::warn!(org_id = %org_id, message_id = %message_id, "status callback refused: bad signature or token");
        return forbidden();
    }
    let param = |name: &str| {
        params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    if let Some(ours) = stored.twilio_sid.as_deref() {
        let theirs = param("MessageSid").or(param("SmsSid")).unwrap_or("");
        if theirs != ours {
            tracing::warn!(
                org_id = %org_id,
                message_id = %message_id,
                callback_sid = theirs,
                "status callback ignored: it reports another Twilio message than this one"
            );
            let detail = format!("callback ignored: it was for another SID ({theirs}), not {ours}");
            if let Err(err) = delivery
                .outbox()
                .note(
                    org_id.as_str(),
                    message_id.as_str(),
                    "ignored",
                    &detail,
                    now_ms(),
                )
                .await
            {
                tracing::warn!(error = ?anyhow::Error::new(err), "status callback: cannot note the ignored report");
            }
            return StatusCode::NO_CONTENT.into_response();
        }
    }
    let Some(status) = param("MessageStatus")
        .or(param("SmsStatus"))
        .and_then(|s| s.parse::<MessageStatus>().ok())
    else {
        // Signed but without a status we know: nothing to apply; 204 so Twilio does not retry.
        return StatusCode::NO_CONTENT.into_response();
    };
    let error_code = param("ErrorCode")
        .and_then(|c| c.trim().parse::<u32>().ok())
        .filter(|c| *c != 0);
    let report = StatusReport {
        status,
        error_code,
        reason: error_code.map(|code| reason::describe(code, param("ErrorMessage"))),
        dedup_key: format!("status:{status}"),
        source: "callback",
    };
    match delivery
        .outbox()
        .apply_status(org_id.as_str(), message_id.as_str(), &report, now_ms())
        .await
    {
        Ok(applied) => {
            tracing::debug!(org_id = %org_id, message_id = %message_id, %status, ?applied, "status callback");
            StatusCode::NO_CONTENT.into_response()
        }
        Err(err) => {
            tracing::error!(error = ?anyhow::Error::new(err), "status callback: cannot record the status");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}
