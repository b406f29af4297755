//! Twilio's errors in plain words, each with the fix a clinic admin can apply.
//!
//! Shared by `voxanne check twilio` and (later) the HTTP verify endpoint, so both say the same.

use serde::Serialize;

/// What the request was about, so messages can name the numbers involved.
#[derive(Debug, Clone, Copy, Default)]
pub struct Context<'a> {
    pub account_sid: &'a str,
    pub from: Option<&'a str>,
    pub to: Option<&'a str>,
    /// API-key credentials (the fix for rejected credentials differs).
    pub api_key: bool,
    /// The failed call sent a message, which may still go out after a timeout.
    pub sending: bool,
}

/// A failure explained: what happened, how to fix it, and Twilio's code if it gave one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Explanation {
    pub message: String,
    pub hint: Option<String>,
    pub twilio_code: Option<u32>,
    /// Twilio gave no definitive answer (a timeout, connection error, 5xx or 429): the failure
    /// says nothing about the credential, so a scheduled re-check keeps its status.
    #[serde(skip)]
    pub transient: bool,
}

impl Explanation {
    pub(super) fn new(message: impl Into<String>, hint: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            hint: Some(hint.into()),
            twilio_code: None,
            transient: false,
        }
    }
}

/// Explains any client error.
pub fn explain(err: &twilio::Error, ctx: &Context<'_>) -> Explanation {
    Explanation {
        transient: err.retry_class() == twilio::RetryClass::Transient,
        ..explain_error(err, ctx)
    }
}

fn explain_error(err: &twilio::Error, ctx: &Context<'_>) -> Explanation {
    let from = ctx.from.unwrap_or("the sender");
    let to = ctx.to.unwrap_or("the recipient");
    match err {
        twilio::Error::Api(api) => {
            let mut e = explain_code(api, ctx, from, to);
            e.twilio_code = Some(api.code);
            e
        }
        twilio::Error::Connect { base_url, .. } => Explanation::new(
            format!("Could not connect to Twilio at {base_url}"),
            "Check the network connection and proxy settings, or the --twilio-base-url value",
        ),
        twilio::Error::Timeout { timeout, .. } if ctx.sending => Explanation::new(
            format!(
                "Twilio did not answer within {} s; the message may still be delivered",
                timeout.as_secs_f32()
            ),
            "Look for it in the Twilio console's Messaging logs before sending again",
        ),
        twilio::Error::Timeout { timeout, .. } => Explanation::new(
            format!("Twilio did not answer within {} s", timeout.as_secs_f32()),
            "Try again in a minute; if it keeps happening check status.twilio.com and your network",
        ),
        twilio::Error::Transport { .. } => Explanation::new(
            "The connection to Twilio broke before it answered",
            if ctx.sending {
                "The message may still be delivered: check the Twilio console's Messaging logs before sending again"
            } else {
                "Try again; if it keeps happening check your network or proxy"
            },
        ),
        twilio::Error::Decode { operation, .. } => Explanation::new(
            format!("Twilio's answer to {operation} could not be understood"),
            "Check that --twilio-base-url points at Twilio (https://api.twilio.com)",
        ),
        twilio::Error::Unexpected { what, .. } => Explanation::new(
            format!("Twilio returned an unusable {what}"),
            "Check that --twilio-base-url points at Twilio (https://api.twilio.com)",
        ),
        twilio::Error::Config { reason } => Explanation::new(
            format!("The Twilio client could not be set up: {reason}"),
            "Check --twilio-base-url",
        ),
        twilio::Error::Sid(err) => Explanation::new(
            err.to_string(),
            "Copy the SID again from the Twilio console",
        ),
    }
}

fn explain_code(api: &twilio::ApiError, ctx: &Context<'_>, from: &str, to: &str) -> Explanation {
    if let Some(known) = known_code(api.code, ctx, from, to) {
        return known;
    }
    if api.http_status == 429 {
        return Explanation::new(
            "Twilio is rate-limiting this account (too many requests at once)",
            "Wait a few seconds and run the check again",
        );
    }
    if api.http_status >= 500 {
        return Explanation::new(
            format!("Twilio had an internal error (HTTP {})", api.http_status),
            "Try again in a few minutes; check status.twilio.com",
        );
    }
    Explanation {
        message: format!("Twilio refused the request: {}", api.message),
        hint: api.more_info.as_ref().map(|url| format!("See {url}")),
        twilio_code: None,
        transient: false,
    }
}

/// The codes Twilio answers a request with, in our words; `None` for others.
pub(super) fn known_code(
    code: u32,
    ctx: &Context<'_>,
    from: &str,
    to: &str,
) -> Option<Explanation> {
    let account = ctx.account_sid;
    Some(match code {
        20003 if ctx.api_key => Explanation::new(
            format!(
                "Twilio rejected the credentials: check the API key SID and secret, and that the key belongs to account {account}"
            ),
            "Create a new API key in the Twilio console if the secret was lost (it is shown only once)",
        ),
        20003 => Explanation::new(
            "Twilio rejected the credentials: check the Auth Token (or API key secret) and the Account SID",
            "Copy the Auth Token again from the Twilio console (Account Info) and make sure the Account SID is of the same account",
        ),
        20005 => Explanation::new(
            format!(
                "The Twilio account {account} is not active (out of funds, or the trial was not activated)"
            ),
            "Add funds or finish activating the account in the Twilio console",
        ),
        20403 => Explanation::new(
            format!(
                "Twilio refused access: the account {account} is suspended or closed, or these credentials may not use this resource"
            ),
            "Reactivate the account in the Twilio console (or contact Twilio support), or use the account's main credentials",
        ),
        20404 => Explanation::new(
            "Twilio could not find the requested resource in this account",
            format!("Check that the SID belongs to account {account}"),
        ),
        20429 => Explanation::new(
            "Twilio is rate-limiting this account (too many requests at once)",
            "Wait a few seconds and run the check again",
        ),
        21211 => Explanation::new(
            format!("Twilio says the To number {to} is not a valid phone number"),
            "Use a full E.164 number, e.g. +14155552671",
        ),
        21212 => Explanation::new(
            format!("Twilio says the From number {from} is not a valid sender"),
            "Use an SMS-capable number of this Twilio account, in E.164 form",
        ),
        21408 => Explanation::new(
            format!("This account may not send SMS to {to}'s country or region"),
            "Enable that region in the Twilio console under Messaging > Settings > Geo permissions",
        ),
        21602 => Explanation::new(
            "Twilio refused an empty message body",
            "Send a message with text",
        ),
        21603 => Explanation::new(
            "Twilio needs a From number or a Messaging Service",
            "Set TWILIO_PHONE_NUMBER (--from) or --messaging-service-sid",
        ),
        21604 => Explanation::new("Twilio needs a To number", "Pass --to with an E.164 number"),
        21606 => Explanation::new(
            format!(
                "The From number {from} cannot send SMS from this account (not owned by it, or not SMS-capable for this destination)"
            ),
            "Use an SMS-capable number listed under Phone Numbers > Active numbers in this account",
        ),
        21608 => Explanation::new(
            "Trial accounts can only text verified numbers",
            format!(
                "Verify {to} in the Twilio console (Phone Numbers > Verified Caller IDs) or upgrade the account"
            ),
        ),
        21609 => Explanation::new(
            "Twilio rejected the StatusCallback URL",
            "Use a public https URL with a valid host name (no underscores), at most 4000 characters",
        ),
        21610 => Explanation::new(
            format!("{to} has unsubscribed from {from} (it replied STOP)"),
            "Ask the recipient to reply START, or test with another number",
        ),
        21611 => Explanation::new(
            format!("The message queue of {from} is full"),
            "Wait for queued messages to go out, then try again; send fewer messages at once",
        ),
        21612 => Explanation::new(
            format!("Twilio cannot route SMS from {from} to {to}"),
            "Check that the recipient can receive SMS, or try another sender or recipient",
        ),
        21614 => Explanation::new(
            format!("{to} cannot receive SMS (it is not a mobile number)"),
            "Use a mobile number",
        ),
        21617 => Explanation::new(
            "The message is longer than Twilio's 1,600-character limit",
            "Shorten the message",
        ),
        21635 => Explanation::new(
            format!("{to} is a landline that cannot receive SMS"),
            "Use a mobile number",
        ),
        21660 => Explanation::new(
            format!("The From number {from} belongs to another Twilio account than {account}"),
            "Use a number of this account, or the credentials of the account that owns the number",
        ),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use twilio::ApiError;

    use super::*;

    fn explained(status: u16, code: u32, ctx: &Context<'_>) -> Explanation {
        let body = format!(r#"{{"code":{code},"message":"raw twilio text","status":{status}}}"#);
        explain(
            &ApiError::from_response(status, body.as_bytes(), None, None).into(),
            ctx,
        )
    }

    #[test]
    fn trial_accounts_are_told_to_verify_the_recipient() {
        let ctx = Context {
            to: Some("+14155552671"),
            ..Context::default()
        };
        let e = explained(400, 21608, &ctx);
        assert_eq!(e.message, "Trial accounts can only text verified numbers");
        assert_eq!(
            e.hint.as_deref(),
            Some(
                "Verify +14155552671 in the Twilio console (Phone Numbers > Verified Caller IDs) or upgrade the account"
            )
        );
        assert_eq!(e.twilio_code, Some(21608));
    }

    #[test]
    fn rejected_credentials_name_what_to_check() {
        let e = explained(401, 20003, &Context::default());
        assert_eq!(
            e.message,
            "Twilio rejected the credentials: check the Auth Token (or API key secret) and the Account SID"
        );
    }

    #[test]
    fn every_listed_code_gets_its_own_words_and_unknown_codes_keep_twilios() {
        let ctx = Context {
            from: Some("+15005550006"),
            to: Some("+15005550001"),
            account_sid: "AC-test",
            ..Context::default()
        };
        for code in [
            20005, 20403, 20404, 20429, 21211, 21212, 21408, 21602, 21606, 21610, 21611, 21612,
            21614, 21617, 21635, 21660,
        ] {
            let e = explained(400, code, &ctx);
            assert!(
                !e.message.contains("raw twilio text"),
                "{code}: {}",
                e.message
            );
            assert!(e.hint.is_some(), "{code}");
        }
        let unknown = explained(400, 29999, &ctx);
        assert_eq!(
            unknown.message,
            "Twilio refused the request: raw twilio text"
        );
        assert_eq!(unknown.twilio_code, Some(29999));
    }
}
