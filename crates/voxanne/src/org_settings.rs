//! The organization's settings: who gets hot-lead alerts and the clinic's time zone. Read and
//! replaced whole, each field checked and named when wrong.

use crate::activity::{self, ActivityError, AuditAction};
use crate::field::FieldError;
use crate::phone::PhoneNumber;
use crate::services::Services;
use crate::store::{MAX_ALERT_RECIPIENTS, OrgSettings, StoreError};
use crate::tenant::Caller;

/// The settings as given.
#[derive(Debug, Clone, Default)]
pub struct SettingsInput {
    /// Numbers (E.164) that receive hot-lead alerts; at most [`MAX_ALERT_RECIPIENTS`].
    pub alert_recipients: Vec<String>,
    /// An IANA time zone name, e.g. `America/New_York`.
    pub timezone: String,
}

/// Why the settings were not changed.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("invalid field `{}`: {}", .0.field, .0.message)]
    Invalid(FieldError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<FieldError> for SettingsError {
    fn from(err: FieldError) -> Self {
        Self::Invalid(err)
    }
}

/// Checks every field; numbers are normalized and duplicates dropped (first one kept).
fn validated(input: SettingsInput) -> Result<OrgSettings, FieldError> {
    if input.alert_recipients.len() > MAX_ALERT_RECIPIENTS {
        return Err(FieldError::new(
            "too_many_recipients",
            "alert_recipients",
            format!("At most {MAX_ALERT_RECIPIENTS} alert recipients are allowed."),
        )
        .with_hint("Keep the staff who must hear about hot leads at once."));
    }
    let mut recipients: Vec<String> = Vec::with_capacity(input.alert_recipients.len());
    for (index, raw) in input.alert_recipients.iter().enumerate() {
        let field = format!("alert_recipients[{index}]");
        let number = PhoneNumber::parse(&field, raw)?;
        if !recipients.iter().any(|seen| seen == number.as_str()) {
            recipients.push(number.as_str().to_owned());
        }
    }
    let timezone = input.timezone.trim().to_owned();
    if timezone.parse::<chrono_tz::Tz>().is_err() {
        return Err(FieldError::new(
            "invalid_timezone",
            "timezone",
            "`timezone` is not an IANA time zone name.",
        )
        .with_hint("Use a name such as America/New_York, Europe/Paris or UTC."));
    }
    Ok(OrgSettings {
        alert_recipients: recipients,
        timezone,
    })
}

/// The organization's settings.
pub async fn get(services: &Services, caller: &Caller) -> Result<OrgSettings, SettingsError> {
    Ok(services.store.get_settings(caller.org()).await?)
}

/// Replaces the organization's settings with `input`, once every field is good.
pub async fn replace(
    services: &Services,
    caller: &Caller,
    input: SettingsInput,
) -> Result<OrgSettings, SettingsError> {
    let settings = validated(input)?;
    let saved = services
        .store
        .update_settings(caller.org(), &settings)
        .await?;
    let object = format!(
        "alert recipients ({}), time zone {}",
        saved.alert_recipients.len(),
        saved.timezone
    );
    activity::record(
        &services.store,
        caller,
        AuditAction::SettingsUpdated,
        &object,
    )
    .await
    .map_err(|ActivityError::Store(err)| SettingsError::Store(err))?;
    Ok(saved)
}
