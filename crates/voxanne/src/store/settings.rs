//! Per-organization settings, validated before they are stored.

use serde::{Deserialize, Serialize};

use super::StoreError;

/// Settings a clinic can change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct OrgSettings {
    /// Phone numbers (E.164, e.g. `+15551234567`) that receive hot-lead alerts.
    pub alert_recipients: Vec<String>,
    /// The clinic's IANA time zone, e.g. `America/New_York`.
    pub timezone: String,
}

impl Default for OrgSettings {
    fn default() -> Self {
        Self {
            alert_recipients: Vec::new(),
            timezone: "UTC".to_owned(),
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
                        "`{}` is not an E.164 number: write `+`, the country code and the number, digits only (e.g. +15551234567)",
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
        Ok(())
    }
}

/// `+`, a non-zero digit, then 7 to 14 more digits (ITU-T E.164: at most 15 digits).
fn is_e164(number: &str) -> bool {
    number.strip_prefix('+').is_some_and(|digits| {
        (8..=15).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0')
    })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

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

    proptest! {
        #[test]
        fn e164_accepts_plus_and_8_to_15_digits(digits in "[1-9][0-9]{7,14}") {
            let number = format!("+{digits}");
            prop_assert!(is_e164(&number));
        }

        #[test]
        fn e164_refuses_anything_without_the_shape(text in "\\PC{0,20}") {
            let ok = text.strip_prefix('+').is_some_and(|d| (8..=15).contains(&d.len())
                && d.bytes().all(|b| b.is_ascii_digit()) && !d.starts_with('0'));
            prop_assert_eq!(is_e164(&text), ok);
        }
    }
}
