//! Create Message validation, with Twilio's codes, for live and for test credentials.
//!
//! Order of checks (each stops at the first failure): `To` present (21604), `From` or
//! `MessagingServiceSid` present (21603), `Body` present (21602), `Body` ≤ 1600 characters
//! (21617); then, live: `To` valid (21211), `From` valid (21212), `StatusCallback` (21609),
//! Messaging Service known (21701), `From` owned and SMS-capable (21606), Trial recipient verified
//! (21608). Test credentials: the magic `From` numbers, then the magic `To` numbers, then
//! `StatusCallback`.

use crate::accounts::{AccountType, Profile};
use crate::errors::{TwilioError, create as error};

/// Twilio's Body limit, in characters.
const MAX_BODY_CHARS: usize = 1600;
/// Twilio's StatusCallback limit, in characters.
const MAX_CALLBACK_CHARS: usize = 4000;
/// What Twilio prefixes to every body sent from a Trial account.
pub(crate) const TRIAL_PREFIX: &str = "Sent from your Twilio trial account - ";
/// The only `From` that passes with test credentials.
const MAGIC_VALID_FROM: &str = "+15005550006";

/// The form parameters of Create Message that the sandbox reads (others are accepted and ignored).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct CreateRequest {
    pub to: Option<String>,
    pub from: Option<String>,
    pub messaging_service_sid: Option<String>,
    pub body: Option<String>,
    pub media_urls: Vec<String>,
    pub status_callback: Option<String>,
}

impl CreateRequest {
    /// Reads the PascalCase form parameters; empty values count as absent.
    pub fn parse(form: &[(String, String)]) -> CreateRequest {
        let mut request = CreateRequest::default();
        for (name, value) in form {
            let value = Some(value.clone()).filter(|v| !v.is_empty());
            match name.as_str() {
                "To" => request.to = value,
                "From" => request.from = value,
                "MessagingServiceSid" => request.messaging_service_sid = value,
                "Body" => request.body = value,
                "MediaUrl" => request.media_urls.extend(value),
                "StatusCallback" => request.status_callback = value,
                _ => {}
            }
        }
        request
    }
}

/// A request that passed validation: what the message will be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Accepted {
    pub sender: String,
    pub to: String,
    pub body: String,
    pub messaging_service_sid: Option<String>,
    pub status_callback: Option<String>,
}

/// The checks every request gets first, whatever the credentials.
fn presence(request: &CreateRequest) -> Result<(String, String), TwilioError> {
    let to = request.to.clone().ok_or_else(error::to_required)?;
    if request.from.is_none() && request.messaging_service_sid.is_none() {
        return Err(error::from_required());
    }
    let body = request.body.clone().unwrap_or_default();
    if body.is_empty() && request.media_urls.is_empty() {
        return Err(error::body_required());
    }
    if body.chars().count() > MAX_BODY_CHARS {
        return Err(error::body_too_long());
    }
    Ok((to, body))
}

/// Validates a request made with live credentials against the account's numbers, services and
/// type. Trial bodies get Twilio's prefix.
pub(crate) fn validate_live(
    request: &CreateRequest,
    profile: &Profile,
) -> Result<Accepted, TwilioError> {
    let (to, body) = presence(request)?;
    if !is_e164(&to) {
        return Err(error::invalid_to(&to));
    }
    if let Some(from) = request.from.as_deref().filter(|from| !is_sender_id(from)) {
        return Err(error::invalid_from(from));
    }
    let status_callback = status_callback(request)?;
    let sender = match (&request.from, &request.messaging_service_sid) {
        (Some(from), _) => {
            if let Some(mg) = &request.messaging_service_sid {
                profile
                    .service(mg)
                    .ok_or_else(|| error::unknown_service(mg))?;
            }
            match profile.number(from) {
                Some(number) if number.sms => from.clone(),
                _ => return Err(error::from_not_owned(from)),
            }
        }
        (None, Some(mg)) => {
            let service = profile
                .service(mg)
                .ok_or_else(|| error::unknown_service(mg))?;
            service
                .numbers
                .first()
                .cloned()
                .ok_or_else(|| error::empty_service(mg))?
        }
        (None, None) => return Err(error::from_required()),
    };
    if profile.kind == AccountType::Trial && !profile.verified.contains(&to) {
        return Err(error::unverified(&to));
    }
    let body = match profile.kind {
        AccountType::Trial => format!("{TRIAL_PREFIX}{body}"),
        AccountType::Full => body,
    };
    Ok(Accepted {
        sender,
        to,
        body,
        messaging_service_sid: request.messaging_service_sid.clone(),
        status_callback,
    })
}

/// Validates a request made with test credentials: Twilio's magic numbers decide.
pub(crate) fn validate_test(request: &CreateRequest) -> Result<Accepted, TwilioError> {
    let (to, body) = presence(request)?;
    let from = match (&request.from, &request.messaging_service_sid) {
        (Some(from), _) => from.clone(),
        (None, Some(mg)) => return Err(error::unknown_service(mg)),
        (None, None) => return Err(error::from_required()),
    };
    match from.as_str() {
        MAGIC_VALID_FROM => {}
        "+15005550001" => return Err(error::invalid_from(&from)),
        "+15005550008" => return Err(error::queue_full(&from)),
        other if !is_sender_id(other) => return Err(error::invalid_from(&from)),
        _ => return Err(error::from_not_owned(&from)),
    }
    match to.as_str() {
        "+15005550001" => return Err(error::invalid_to(&to)),
        "+15005550002" => return Err(error::unreachable(&to)),
        "+15005550003" => return Err(error::no_geo_permission(&to)),
        "+15005550004" => return Err(error::unsubscribed()),
        "+15005550009" => return Err(error::not_mobile(&to)),
        other if !is_e164(other) => return Err(error::invalid_to(&to)),
        _ => {}
    }
    let status_callback = status_callback(request)?;
    Ok(Accepted {
        sender: from,
        to,
        body,
        messaging_service_sid: None,
        status_callback,
    })
}

/// E.164 as Twilio accepts it for SMS: `+`, a non-zero country code, 8 to 15 digits in all, and
/// exactly 11 for the NANP (`+1`). Deliberately syntactic: the scenario phones (+1555…) are not
/// assigned numbers, and the sandbox must accept them.
pub(crate) fn is_e164(value: &str) -> bool {
    let Some(digits) = value.strip_prefix('+') else {
        return false;
    };
    let syntax = (8..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0');
    syntax && (!digits.starts_with('1') || digits.len() == 11)
}

/// A syntactically valid sender: an E.164 number, a short code (5–6 digits) or an alphanumeric
/// sender ID (1–11 letters, digits or spaces, with at least one letter).
fn is_sender_id(value: &str) -> bool {
    let short_code = (5..=6).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_digit());
    let alphanumeric = (1..=11).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b' ')
        && value.bytes().any(|b| b.is_ascii_alphabetic());
    is_e164(value) || short_code || alphanumeric
}

/// `StatusCallback`: an absolute http(s) URL of at most 4000 characters whose host is a valid
/// hostname without underscores (21609 otherwise; 21658 beyond the length).
fn status_callback(request: &CreateRequest) -> Result<Option<String>, TwilioError> {
    let Some(raw) = &request.status_callback else {
        return Ok(None);
    };
    if raw.chars().count() > MAX_CALLBACK_CHARS {
        return Err(error::invalid_status_callback(raw));
    }
    let valid = url::Url::parse(raw).ok().is_some_and(|url| {
        matches!(url.scheme(), "http" | "https")
            && match url.host() {
                Some(url::Host::Domain(domain)) => is_hostname(domain),
                Some(url::Host::Ipv4(_) | url::Host::Ipv6(_)) => true,
                None => false,
            }
    });
    if valid {
        Ok(Some(raw.clone()))
    } else {
        Err(error::invalid_status_callback(raw))
    }
}

/// RFC 1123 host names: dot-separated labels of letters, digits and inner hyphens.
fn is_hostname(domain: &str) -> bool {
    !domain.is_empty()
        && domain.len() <= 253
        && domain.trim_end_matches('.').split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn with_callback(url: &str) -> CreateRequest {
        CreateRequest {
            status_callback: Some(url.into()),
            ..CreateRequest::default()
        }
    }

    #[test]
    fn e164_needs_a_plus_and_the_right_length() {
        assert!(is_e164("+14155552671"));
        assert!(is_e164("+447911123456"));
        assert!(!is_e164("4155552671"));
        assert!(!is_e164("+1555"));
        assert!(!is_e164("+1415555267"));
        assert!(!is_e164("+0441234567"));
        assert!(!is_e164("+1 415 555 2671"));
    }

    #[test]
    fn status_callbacks_must_be_absolute_http_urls_without_underscores_in_the_host() {
        assert!(status_callback(&with_callback("https://example.com/cb?x=1")).is_ok());
        assert!(status_callback(&with_callback("http://127.0.0.1:8080/cb")).is_ok());
        for bad in [
            "/relative",
            "ftp://example.com/cb",
            "https://my_host.example.com/cb",
            "http://",
            "not a url",
        ] {
            assert_eq!(
                status_callback(&with_callback(bad)).unwrap_err().code,
                21609,
                "{bad}"
            );
        }
        let long = format!("https://example.com/{}", "a".repeat(4000));
        assert_eq!(
            status_callback(&with_callback(&long)).unwrap_err().code,
            21609
        );
    }

    proptest! {
        #[test]
        fn any_plus_one_with_ten_digits_is_e164(n in 2_000_000_000u64..9_999_999_999) {
            let number = format!("+1{n}");
            prop_assert!(is_e164(&number));
        }

        #[test]
        fn parsing_a_form_never_panics(pairs in proptest::collection::vec(("[A-Za-z]{0,20}", "\\PC{0,30}"), 0..10)) {
            let form: Vec<(String, String)> = pairs;
            let _ = CreateRequest::parse(&form);
        }
    }
}
