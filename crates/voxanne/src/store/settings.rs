//! Per-organization settings, validated before they are stored.

use serde::{Deserialize, Serialize};

use super::StoreError;
use crate::opening_hours::OpeningHours;
use crate::phone::PhoneNumber;

/// Settings a clinic can change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct OrgSettings {
    /// Phone numbers (E.164, e.g. `+14155552671`) that receive hot-lead alerts.
    pub alert_recipients: Vec<String>,
    /// The clinic's IANA time zone, e.g. `America/New_York`.
    pub timezone: String,
    /// When and how appointments are booked (kept in the same JSON object, as flat fields).
    #[serde(flatten)]
    pub booking: BookingSettings,
}

impl Default for OrgSettings {
    fn default() -> Self {
        Self {
            alert_recipients: Vec::new(),
            timezone: "UTC".to_owned(),
            booking: BookingSettings::default(),
        }
    }
}

/// The booking settings: opening hours per weekday, the slot grid and the buffer kept around
/// every appointment and busy time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct BookingSettings {
    pub opening_hours: OpeningHours,
    /// Slots start every this many minutes from the start of each opening span.
    pub slot_minutes: u32,
    /// Free minutes kept before and after each appointment and busy time.
    pub buffer_minutes: u32,
}

/// Slot lengths accepted, in minutes (5 minutes to 8 hours).
pub const SLOT_MINUTES: std::ops::RangeInclusive<u32> = 5..=480;
/// Buffers accepted, in minutes (none to 4 hours).
pub const BUFFER_MINUTES: std::ops::RangeInclusive<u32> = 0..=240;

impl Default for BookingSettings {
    fn default() -> Self {
        Self {
            opening_hours: OpeningHours::default(),
            slot_minutes: 30,
            buffer_minutes: 0,
        }
    }
}

/// At most this many alert recipients (a clinic's staff, not a mailing list).
pub const MAX_ALERT_RECIPIENTS: usize = 20;

impl OrgSettings {
    /// Checks every field; the error names the field and what is expected.
    pub fn validate(&self) -> Result<(), StoreError> {
        if self.alert_recipients.len() > MAX_ALERT_RECIPIENTS {
            return Err(StoreError::invalid(
                "alert_recipients",
                format!("at most {MAX_ALERT_RECIPIENTS} numbers are allowed"),
            ));
        }
        for number in &self.alert_recipients {
            if !is_e164(number) {
                return Err(StoreError::invalid(
                    "alert_recipients",
                    format!(
                        "`{}` is not an E.164 number: write `+`, the country code and the number, digits only (e.g. +14155552671)",
                        number.chars().take(32).collect::<String>()
                    ),
                ));
            }
        }
        if self.timezone.parse::<chrono_tz::Tz>().is_err() {
            return Err(StoreError::invalid(
                "timezone",
                format!(
                    "`{}` is not an IANA time zone name (e.g. America/New_York, Europe/Paris, UTC)",
                    self.timezone.chars().take(64).collect::<String>()
                ),
            ));
        }
        if !SLOT_MINUTES.contains(&self.booking.slot_minutes) {
            return Err(StoreError::invalid(
                "slot_minutes",
                "slots are 5 to 480 minutes long",
            ));
        }
        if !BUFFER_MINUTES.contains(&self.booking.buffer_minutes) {
            return Err(StoreError::invalid(
                "buffer_minutes",
                "the buffer is 0 to 240 minutes",
            ));
        }
        Ok(())
    }
}

/// The same rule as every number the API takes ([`PhoneNumber::parse`]), in canonical form.
fn is_e164(number: &str) -> bool {
    PhoneNumber::parse("alert_recipients", number).is_ok_and(|parsed| parsed.as_str() == number)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        OrgSettings::default().validate().unwrap();
    }

    #[test]
    fn a_bad_timezone_names_the_field() {
        let settings = OrgSettings {
            timezone: "Mars/Olympus".into(),
            ..OrgSettings::default()
        };
        let err = settings.validate().unwrap_err();
        assert!(err.to_string().contains("timezone"), "{err}");
    }

    #[test]
    fn settings_stored_before_booking_existed_read_with_booking_defaults() {
        let old: OrgSettings =
            serde_json::from_str(r#"{"alert_recipients":[],"timezone":"Europe/Berlin"}"#).unwrap();
        assert_eq!(old.timezone, "Europe/Berlin");
        assert_eq!(old.booking, BookingSettings::default());
        let json = serde_json::to_value(&old).unwrap();
        assert_eq!(json["slot_minutes"], 30);
        assert_eq!(json["opening_hours"]["mon"][0][0], "09:00");
    }

    #[test]
    fn stored_recipients_follow_the_api_number_rule() {
        assert!(is_e164("+14155552671"));
        assert!(is_e164("+15005550006"));
        assert!(!is_e164(" +14155552671"));
        assert!(!is_e164("+1415555019"));
        assert!(!is_e164("+04155550100"));
        assert!(!is_e164("+4930123"));
    }
}
