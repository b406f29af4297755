//! The store story: every use case, on whichever backend `VOXANNE_TEST_DATABASE_URL` names.

mod api_keys;
mod credentials;
mod isolation;
mod organizations;
mod primary;
mod users;

use secrecy::SecretString;
use voxanne::store::{
    CredentialDisplay, CredentialType, NewCredential, SecretField, SecretValue, TwilioAuthMode,
};

/// A Twilio credential with a random SID-shaped account id and the given auth token.
pub fn twilio_credential(label: &str, auth_token: SecretString) -> NewCredential {
    NewCredential {
        kind: CredentialType::Twilio,
        label: label.to_owned(),
        display: CredentialDisplay {
            account_sid: Some(random_sid("AC")),
            auth_mode: Some(TwilioAuthMode::AuthToken),
            from_number: Some("+15550100001".to_owned()),
            ..CredentialDisplay::default()
        },
        secrets: vec![SecretValue::new(SecretField::AuthToken, auth_token)],
    }
}

/// A Google Calendar credential holding a refresh token.
pub fn google_credential(label: &str, refresh_token: SecretString) -> NewCredential {
    NewCredential {
        kind: CredentialType::GoogleCalendar,
        label: label.to_owned(),
        display: CredentialDisplay {
            google_email: Some("frontdesk@clinic.example".to_owned()),
            calendar_id: Some("primary".to_owned()),
            ..CredentialDisplay::default()
        },
        secrets: vec![SecretValue::new(SecretField::RefreshToken, refresh_token)],
    }
}

/// `prefix` + 32 random lowercase hex digits, built at run time.
pub fn random_sid(prefix: &str) -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    let digits: String = (0..32)
        .map(|_| char::from(b"0123456789abcdef"[rng.random_range(0..16)]))
        .collect();
    format!("{prefix}{digits}")
}
