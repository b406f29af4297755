//! The organization's settings: who gets hot-lead alerts, the clinic's time zone, and when
//! appointments can be booked. Each field is checked and named when wrong; the booking fields a
//! request leaves out keep their current value.

use std::collections::BTreeMap;

use crate::activity::{self, ActivityError, AuditAction};
use crate::field::FieldError;
use crate::opening_hours::OpeningHours;
use crate::phone::PhoneNumber;
use crate::services::Services;
use crate::store::{
    BUFFER_MINUTES, BookingSettings, MAX_ALERT_RECIPIENTS, OrgSettings, SLOT_MINUTES, StoreError,
};
use crate::tenant::Caller;

/// The settings as given.
#[derive(Debug, Clone, Default)]
pub struct SettingsInput {
    /// Numbers (E.164) that receive hot-lead alerts; at most [`MAX_ALERT_RECIPIENTS`]. `None`
    /// keeps the current ones.
    pub alert_recipients: Option<Vec<String>>,
    /// An IANA time zone name, e.g. `America/New_York`. `None` keeps the current one.
    pub timezone: Option<String>,
    /// The booking fields; each one left out keeps its current value.
    pub booking: BookingInput,
}

impl SettingsInput {
    /// Whether no field is given (nothing would change).
    pub fn names_nothing(&self) -> bool {
        self.alert_recipients.is_none()
            && self.timezone.is_none()
            && self.booking.opening_hours.is_none()
            && self.booking.slot_minutes.is_none()
            && self.booking.buffer_minutes.is_none()
    }
}

/// The booking settings as given; `None` keeps the current value.
#[derive(Debug, Clone, Default)]
pub struct BookingInput {
    /// Per weekday (`mon` … `sun`), pairs of `HH:MM`; a day left out is closed.
    pub opening_hours: Option<BTreeMap<String, Vec<Vec<String>>>>,
    pub slot_minutes: Option<u32>,
    pub buffer_minutes: Option<u32>,
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

/// The booking settings `input` asks for, starting from `current`.
fn booking_validated(
    input: BookingInput,
    current: BookingSettings,
) -> Result<BookingSettings, FieldError> {
    let mut booking = current;
    if let Some(days) = &input.opening_hours {
        booking.opening_hours =
            OpeningHours::parse(days.iter().map(|(k, v)| (k.as_str(), v.as_slice()))).map_err(
                |err| {
                    FieldError::new(
                        "invalid_opening_hours",
                        format!("opening_hours.{}", err.at),
                        format!("`opening_hours.{}`: {}.", err.at, err.message),
                    )
                    .with_hint(r#"Write e.g. {"mon": [["09:00","12:30"],["13:30","17:00"]]}; a day left out is closed."#)
                },
            )?;
    }
    if let Some(slot) = input.slot_minutes {
        if !SLOT_MINUTES.contains(&slot) {
            return Err(FieldError::new(
                "invalid_slot_minutes",
                "slot_minutes",
                "`slot_minutes` must be between 5 and 480.",
            )
            .with_hint("Slots start every `slot_minutes` from each opening; 15 or 30 are usual."));
        }
        booking.slot_minutes = slot;
    }
    if let Some(buffer) = input.buffer_minutes {
        if !BUFFER_MINUTES.contains(&buffer) {
            return Err(FieldError::new(
                "invalid_buffer_minutes",
                "buffer_minutes",
                "`buffer_minutes` must be between 0 and 240.",
            )
            .with_hint("The buffer is free time kept before and after each appointment."));
        }
        booking.buffer_minutes = buffer;
    }
    Ok(booking)
}

/// Checks every field; numbers are normalized and duplicates dropped (first one kept).
fn validated(input: SettingsInput, current: OrgSettings) -> Result<OrgSettings, FieldError> {
    let booking = booking_validated(input.booking, current.booking)?;
    let Some(alert_recipients) = input.alert_recipients else {
        return timezone_validated(input.timezone, current.timezone).map(|timezone| OrgSettings {
            alert_recipients: current.alert_recipients,
            timezone,
            booking,
        });
    };
    if alert_recipients.len() > MAX_ALERT_RECIPIENTS {
        return Err(FieldError::new(
            "too_many_recipients",
            "alert_recipients",
            format!("At most {MAX_ALERT_RECIPIENTS} alert recipients are allowed."),
        )
        .with_hint("Keep the staff who must hear about hot leads at once."));
    }
    let mut recipients: Vec<String> = Vec::with_capacity(alert_recipients.len());
    for (index, raw) in alert_recipients.iter().enumerate() {
        let field = format!("alert_recipients[{index}]");
        let number = PhoneNumber::parse(&field, raw)?;
        if !recipients.iter().any(|seen| seen == number.as_str()) {
            recipients.push(number.as_str().to_owned());
        }
    }
    Ok(OrgSettings {
        alert_recipients: recipients,
        timezone: timezone_validated(input.timezone, current.timezone)?,
        booking,
    })
}

/// The time zone as given (trimmed), or the current one when none is given.
fn timezone_validated(given: Option<String>, current: String) -> Result<String, FieldError> {
    let Some(given) = given else {
        return Ok(current);
    };
    let timezone = given.trim().to_owned();
    if timezone.parse::<chrono_tz::Tz>().is_err() {
        return Err(FieldError::new(
            "invalid_timezone",
            "timezone",
            "`timezone` is not an IANA time zone name.",
        )
        .with_hint("Use a name such as America/New_York, Europe/Paris or UTC."));
    }
    Ok(timezone)
}

/// The organization's settings.
pub async fn get(services: &Services, caller: &Caller) -> Result<OrgSettings, SettingsError> {
    Ok(services.store.get_settings(caller.org()).await?)
}

/// Changes the settings `input` names (the others keep their values), once every field is good.
pub async fn update(
    services: &Services,
    caller: &Caller,
    input: SettingsInput,
) -> Result<OrgSettings, SettingsError> {
    let current = services.store.get_settings(caller.org()).await?;
    let settings = validated(input, current)?;
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
