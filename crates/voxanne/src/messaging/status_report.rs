//! Twilio reporting a message's status (its StatusCallback, which the dispatcher points at
//! `{public_url}/twilio/status/{org_id}/{message_id}`).
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
//! is refused as not authentic and changes nothing. An authentic report about another Twilio message (its
//! `MessageSid` differs from the SID Twilio gave this message) changes nothing either and
//! is answered so Twilio stops retrying; before the SID is recorded (the callback raced the
//! send's settlement) the report applies. Accepted reports are deduplicated (per message and
//! status) and can only move a message forward; replays and late reports are answered too, so
//! Twilio stops retrying.

use crate::ids::{CredentialId, MessageId, OrgId};
use crate::outbox::{MessageStatus, StatusReport, callback_token_matches, now_ms, reason};
use crate::services::Services;
use crate::twilio_account::Unusable;

/// One status report as Twilio sent it.
pub struct StatusCallback<'a> {
    /// The organization and message ids from the callback URL's path.
    pub org: &'a str,
    pub message: &'a str,
    /// The callback URL's query, as received (it carries the per-message token `t`).
    pub query: Option<&'a str>,
    /// `X-Twilio-Signature`.
    pub signature: Option<&'a str>,
    /// The form-encoded body.
    pub form: &'a [u8],
}

/// Why a status report was not taken.
#[derive(Debug, thiserror::Error)]
pub enum CallbackError {
    /// Not signed by the organization's Twilio account (or about no message we know).
    #[error("the request is not a status callback signed by this organization's Twilio account")]
    NotAuthentic,
    /// The store could not be read or written: Twilio should retry later.
    #[error("the status report could not be recorded now")]
    Unavailable(#[source] anyhow::Error),
}

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

/// Takes one status report; see the module documentation. `Ok` means "answered": applied,
/// already known, or about another Twilio message (Twilio must stop retrying in each case).
pub async fn receive_status_report(
    services: &Services,
    public_url: Option<&str>,
    callback: StatusCallback<'_>,
) -> Result<(), CallbackError> {
    let StatusCallback {
        org,
        message,
        query,
        signature,
        form,
    } = callback;
    let delivery = &services.delivery;
    let (Ok(org_id), Ok(message_id)) = (OrgId::parse(org), MessageId::parse(message)) else {
        return Err(CallbackError::NotAuthentic);
    };
    let Ok(params) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(form) else {
        return Err(CallbackError::NotAuthentic);
    };
    let stored = match delivery
        .outbox()
        .get(org_id.as_str(), message_id.as_str())
        .await
    {
        Ok(Some(stored)) => stored,
        Ok(None) => return Err(CallbackError::NotAuthentic),
        Err(err) => {
            return Err(CallbackError::Unavailable(
                anyhow::Error::new(err).context("reading the message"),
            ));
        }
    };
    let Ok(credential) = CredentialId::parse(&stored.credential_id) else {
        return Err(CallbackError::NotAuthentic);
    };
    let key = match services.accounts().callback_key(&org_id, &credential).await {
        Ok(key) => key,
        Err(Unusable::Store(err)) => {
            return Err(CallbackError::Unavailable(
                anyhow::Error::new(err).context("reading the credential"),
            ));
        }
        Err(_) => None,
    };
    let authentic = match (key, public_url) {
        (Some(auth_token), Some(public_url)) => {
            let url = public_callback_url(public_url, org, message, query);
            twilio::signature::validate(&auth_token, &url, &params, signature.unwrap_or(""))
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
            callback_token_matches(&given, &stored.callback_token)
        }
    };
    if !authentic {
        tracing::warn!(org_id = %org_id, message_id = %message_id, "status callback refused: bad signature or token");
        return Err(CallbackError::NotAuthentic);
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
            return Ok(());
        }
    }
    let Some(status) = param("MessageStatus")
        .or(param("SmsStatus"))
        .and_then(|s| s.parse::<MessageStatus>().ok())
    else {
        // Signed but without a status we know: nothing to apply, and nothing to retry.
        return Ok(());
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
            Ok(())
        }
        Err(err) => Err(CallbackError::Unavailable(
            anyhow::Error::new(err).context("recording the status"),
        )),
    }
}
