//! Validation of credential input: each mistake becomes a [`FieldError`] that names its field.
//!
//! SIDs are checked by prefix and length (`AC…`, `SK…`, `MG…` + 32 hex digits), numbers must be
//! E.164, and the combinations must make sense (a secret for the chosen auth mode, exactly one
//! sender). Only then does anything reach the store.

use secrecy::{ExposeSecret, SecretString};

use super::{CredentialChanges, CredentialError, NewTwilioAccount};
use crate::field::FieldError;
use crate::phone::PhoneNumber;
use crate::store::{
    Credential, CredentialDisplay, CredentialPatch, CredentialType, NewCredential, SecretField,
    SecretValue, TwilioAuthMode,
};

const DEFAULT_LABEL: &str = "Twilio";
/// Twilio's Auth Tokens (live and test) are 32 lower-case hex digits; API key secrets are 32
/// letters and digits. Anything else cannot authenticate, so it is refused before it is stored.
const SECRET_LEN: usize = 32;

fn sid<T>(
    field: &str,
    value: &str,
    parse: fn(&str) -> Result<T, twilio::SidError>,
    what: &str,
) -> Result<T, FieldError> {
    parse(value.trim()).map_err(|err| {
        FieldError::new(
            "invalid_sid",
            field,
            format!("`{field}` is not valid: {err}."),
        )
        .with_hint(format!(
            "Copy the {what} from the Twilio console; it is 34 characters long."
        ))
    })
}

fn secret(
    field: &'static str,
    value: SecretString,
    kind: SecretField,
) -> Result<SecretValue, FieldError> {
    // Only the shape is read here, never logged or echoed.
    let text = value.expose_secret();
    let (well_formed, shape, fix) = match kind {
        SecretField::ApiKeySecret => (
            text.len() == SECRET_LEN && text.bytes().all(|b| b.is_ascii_alphanumeric()),
            "32 letters and digits",
            "Paste the secret shown once when the API key was created (Twilio console > Account > API keys); \
             if it was lost, create a new key and send its SID and secret.",
        ),
        _ => (
            text.len() == SECRET_LEN
                && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')),
            "32 characters: digits and the letters a-f",
            "Copy the 32-character Auth Token from the Twilio console (Account Info on the dashboard, \
             \"Show\"), without spaces or line breaks.",
        ),
    };
    if !well_formed {
        return Err(FieldError::new(
            "invalid_secret",
            field,
            format!(
                "`{field}` is not a Twilio {}: it must be {shape} ({} given).",
                if kind == SecretField::ApiKeySecret {
                    "API key secret"
                } else {
                    "Auth Token"
                },
                describe_given(text),
            ),
        )
        .with_hint(fix));
    }
    Ok(SecretValue::new(kind, value))
}

/// What was wrong with a secret's shape, without revealing any of it.
fn describe_given(text: &str) -> String {
    let chars = text.chars().count();
    if chars != SECRET_LEN {
        format!("{chars} characters")
    } else if text.chars().any(char::is_whitespace) {
        "it contains spaces".to_owned()
    } else {
        "it contains other characters".to_owned()
    }
}

/// An API key: its SID (SK…) and its secret, each checked.
fn api_key(key_sid: &str, key_secret: SecretString) -> Result<(String, SecretValue), FieldError> {
    let key_sid = sid(
        "api_key_sid",
        key_sid,
        twilio::ApiKeySid::parse,
        "API key SID (SK…)",
    )?;
    let key_secret = secret("api_key_secret", key_secret, SecretField::ApiKeySecret)?;
    Ok((key_sid.as_str().to_owned(), key_secret))
}

fn missing(field: &str, hint: &str) -> FieldError {
    FieldError::new("missing_field", field, format!("`{field}` is required.")).with_hint(hint)
}

/// The sender fields: exactly one of `from_number` and `messaging_service_sid`.
fn sender(
    from_number: Option<&str>,
    messaging_service_sid: Option<&str>,
) -> Result<(Option<String>, Option<String>), FieldError> {
    match (from_number, messaging_service_sid) {
        (Some(_), Some(_)) => Err(FieldError::new(
            "conflicting_fields",
            "messaging_service_sid",
            "Give either `from_number` or `messaging_service_sid`, not both.",
        )
        .with_hint("Keep `from_number` to send from one number, or `messaging_service_sid` to send through a Messaging Service.")),
        (Some(number), None) => Ok((Some(PhoneNumber::parse("from_number", number)?.as_str().to_owned()), None)),
        (None, Some(service)) => {
            let service = sid("messaging_service_sid", service, twilio::MessagingServiceSid::parse, "Messaging Service SID (MG…)")?;
            Ok((None, Some(service.as_str().to_owned())))
        }
        (None, None) => Err(missing(
            "from_number",
            "Give the number to send from (`from_number`, E.164) or a Messaging Service (`messaging_service_sid`).",
        )),
    }
}

/// Longest label (the store enforces the same bound).
const MAX_LABEL_LEN: usize = 100;

fn label(value: &str) -> Result<String, FieldError> {
    let trimmed = value.trim();
    if trimmed.is_empty()
        || trimmed.chars().count() > MAX_LABEL_LEN
        || trimmed.chars().any(char::is_control)
    {
        return Err(FieldError::new(
            "invalid_label",
            "label",
            format!("`label` must be 1 to {MAX_LABEL_LEN} printable characters."),
        )
        .with_hint("Use a short name people recognize, e.g. \"Main line\"."));
    }
    Ok(trimmed.to_owned())
}

/// Checks a create request and turns it into what the store keeps.
pub fn new_twilio_credential(body: NewTwilioAccount) -> Result<NewCredential, FieldError> {
    let label = label(body.label.as_deref().unwrap_or(DEFAULT_LABEL))?;
    let account_sid = sid(
        "account_sid",
        &body.account_sid,
        twilio::AccountSid::parse,
        "Account SID (AC…)",
    )?;
    let mut secrets = Vec::new();
    let (auth_mode, api_key_sid) = match (body.api_key_sid, body.api_key_secret) {
        (Some(key_sid), Some(key_secret)) => {
            let (key_sid, key_secret) = api_key(&key_sid, key_secret)?;
            secrets.push(key_secret);
            (TwilioAuthMode::ApiKey, Some(key_sid))
        }
        (Some(_), None) => {
            return Err(missing(
                "api_key_secret",
                "Send the API key's secret with its SID.",
            ));
        }
        (None, Some(_)) => {
            return Err(missing(
                "api_key_sid",
                "Send the API key's SID (SK…) with its secret.",
            ));
        }
        (None, None) if body.auth_token.is_none() => {
            return Err(missing(
                "auth_token",
                "Send the account's `auth_token`, or an API key as `api_key_sid` and `api_key_secret`.",
            ));
        }
        (None, None) => (TwilioAuthMode::AuthToken, None),
    };
    if let Some(token) = body.auth_token {
        secrets.push(secret("auth_token", token, SecretField::AuthToken)?);
    }
    let (from_number, messaging_service_sid) = sender(
        body.from_number.as_deref(),
        body.messaging_service_sid.as_deref(),
    )?;
    Ok(NewCredential {
        kind: CredentialType::Twilio,
        label,
        display: CredentialDisplay {
            account_sid: Some(account_sid.as_str().to_owned()),
            auth_mode: Some(auth_mode),
            api_key_sid,
            from_number,
            messaging_service_sid,
            ..CredentialDisplay::default()
        },
        secrets,
    })
}

/// Checks an update request against the credential as it is and turns it into a store patch.
pub fn credential_patch(
    current: &Credential,
    body: CredentialChanges,
) -> Result<CredentialPatch, CredentialError> {
    let mut display = current.display.clone();
    let mut display_changed = false;
    let mut secrets = Vec::new();
    // The first Twilio-only field the request carries, named in the refusal.
    let twilio_field_sent = [
        ("auth_token", body.auth_token.is_some()),
        ("api_key_sid", body.api_key_sid.is_some()),
        ("api_key_secret", body.api_key_secret.is_some()),
        ("from_number", body.from_number.is_some()),
        (
            "messaging_service_sid",
            body.messaging_service_sid.is_some(),
        ),
    ]
    .into_iter()
    .find_map(|(field, sent)| sent.then_some(field));
    if let Some(field) = twilio_field_sent
        && current.kind != CredentialType::Twilio
    {
        // 409: the body is well-formed; it is this credential's kind that refuses it.
        return Err(CredentialError::Conflict(FieldError::new(
            "not_applicable",
            field,
            "Twilio fields cannot be set on a Google Calendar credential.",
        )
        .with_hint(format!("Leave `{field}` out: send only `label`, `is_active` or `is_primary` for this credential."))));
    }
    match (body.api_key_sid, body.api_key_secret) {
        (Some(key_sid), Some(key_secret)) => {
            let (key_sid, key_secret) = api_key(&key_sid, key_secret)?;
            secrets.push(key_secret);
            display.auth_mode = Some(TwilioAuthMode::ApiKey);
            display.api_key_sid = Some(key_sid);
            display_changed = true;
        }
        (Some(_), None) => {
            return Err(missing("api_key_secret", "A new API key needs its secret too.").into());
        }
        (None, Some(key_secret)) => {
            if display.auth_mode != Some(TwilioAuthMode::ApiKey) {
                // The request is well-formed (an API-key credential takes a secret alone); this
                // credential's state refuses it.
                return Err(CredentialError::Conflict(missing(
                    "api_key_sid",
                    "This credential uses an Auth Token; send `api_key_sid` with the secret to switch it to an API key.",
                )));
            }
            secrets.push(secret(
                "api_key_secret",
                key_secret,
                SecretField::ApiKeySecret,
            )?);
        }
        (None, None) => {}
    }
    if let Some(token) = body.auth_token {
        secrets.push(secret("auth_token", token, SecretField::AuthToken)?);
    }
    if body.from_number.is_some() || body.messaging_service_sid.is_some() {
        let (from_number, service) = sender(
            body.from_number.as_deref(),
            body.messaging_service_sid.as_deref(),
        )?;
        display.from_number = from_number;
        display.messaging_service_sid = service;
        display_changed = true;
    }
    let will_be_active = body.is_active.unwrap_or(current.is_active);
    let will_be_primary = body.is_primary.unwrap_or(current.is_primary);
    if body.is_primary == Some(true) && !will_be_active {
        return Err(CredentialError::InactivePrimary);
    }
    // Deactivating the primary leaves the organization without one rather than with an unusable one.
    let is_primary = match body.is_primary {
        Some(primary) => Some(primary),
        None if !will_be_active && will_be_primary => Some(false),
        None => None,
    };
    Ok(CredentialPatch {
        label: body.label.as_deref().map(label).transpose()?,
        is_active: body.is_active,
        is_primary,
        display: display_changed.then_some(display),
        secrets: (!secrets.is_empty()).then_some(secrets),
    })
}
