//! Serde for Twilio's nullable RFC 2822 dates (`"Thu, 24 Aug 2023 05:01:45 +0000"`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serializer};

/// `#[serde(with = "crate::rfc2822::option")]` for `Option<DateTime<Utc>>` fields.
pub mod option {
    use super::*;

    pub fn serialize<S: Serializer>(
        value: &Option<DateTime<Utc>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(at) => serializer.serialize_str(&at.to_rfc2822()),
            None => serializer.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<DateTime<Utc>>, D::Error> {
        let raw: Option<String> = Option::deserialize(deserializer)?;
        match raw.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(text) => DateTime::parse_from_rfc2822(text)
                .map(|at| Some(at.with_timezone(&Utc)))
                .map_err(|err| {
                    serde::de::Error::custom(format!("{text:?} is not an RFC 2822 date: {err}"))
                }),
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use proptest::prelude::*;

    use super::*;

    #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
    struct Holder {
        #[serde(with = "option", default)]
        at: Option<DateTime<Utc>>,
    }

    #[test]
    fn twilios_example_date_parses_to_utc() {
        let h: Holder =
            serde_json::from_str(r#"{"at":"Thu, 24 Aug 2023 05:01:45 +0000"}"#).unwrap();
        assert_eq!(
            h.at,
            Some(Utc.with_ymd_and_hms(2023, 8, 24, 5, 1, 45).unwrap())
        );
    }

    #[test]
    fn null_and_missing_dates_are_none_and_garbage_is_an_error() {
        assert_eq!(
            serde_json::from_str::<Holder>(r#"{"at":null}"#).unwrap().at,
            None
        );
        assert_eq!(serde_json::from_str::<Holder>("{}").unwrap().at, None);
        assert!(serde_json::from_str::<Holder>(r#"{"at":"2023-08-24"}"#).is_err());
    }

    proptest! {
        #[test]
        fn any_second_round_trips_through_rfc_2822(secs in 0i64..4_102_444_800) {
            let at = Utc.timestamp_opt(secs, 0).unwrap();
            let json = serde_json::to_string(&Holder { at: Some(at) }).unwrap();
            prop_assert_eq!(serde_json::from_str::<Holder>(&json).unwrap().at, Some(at));
        }
    }
}
