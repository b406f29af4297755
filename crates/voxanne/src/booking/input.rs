//! Reading a booking request's fields: times, lengths and the lead's words, each refused with
//! the field named.

use chrono::{DateTime, TimeDelta, Utc};

use crate::field::{FieldError, plain_text};

/// Longest window availability and listing look at.
pub const MAX_WINDOW_DAYS: i64 = 31;

/// Appointment lengths accepted, in minutes.
pub const DURATION_MINUTES: std::ops::RangeInclusive<u32> = 5..=480;

/// An RFC 3339 instant with an offset.
pub fn instant(field: &str, raw: &str) -> Result<DateTime<Utc>, FieldError> {
    DateTime::parse_from_rfc3339(raw.trim())
        .map(|at| at.with_timezone(&Utc))
        .map_err(|_| {
            FieldError::new(
                "invalid_time",
                field,
                format!("`{field}` must be an RFC 3339 time with an offset."),
            )
            .with_hint("Write e.g. 2026-12-08T15:00:00-05:00 or 2026-12-08T20:00:00Z.")
        })
}

/// `[from, to)`, `to` not before `from`, at most `max_days` long. `to` equal to `from` is an
/// empty window (nothing starts in it), not a mistake.
pub fn window(
    from: &str,
    to: &str,
    max_days: i64,
) -> Result<(DateTime<Utc>, DateTime<Utc>), FieldError> {
    let (from, to) = (instant("from", from)?, instant("to", to)?);
    if to < from {
        return Err(FieldError::new(
            "invalid_window",
            "to",
            "`to` must not come before `from`.",
        ));
    }
    if to - from > TimeDelta::days(max_days) {
        return Err(FieldError::new(
            "window_too_long",
            "to",
            format!("`to` may be at most {max_days} days after `from`."),
        )
        .with_hint("Ask for a shorter window, e.g. the next 7 days."));
    }
    Ok((from, to))
}

/// A length in minutes within [`DURATION_MINUTES`].
pub fn duration(minutes: u32) -> Result<u32, FieldError> {
    if DURATION_MINUTES.contains(&minutes) {
        Ok(minutes)
    } else {
        Err(FieldError::new(
            "invalid_duration",
            "duration_minutes",
            "`duration_minutes` must be between 5 and 480.",
        ))
    }
}

/// A text a person wrote: trimmed, plain (no control characters), `required` or not, at most
/// `max` characters. `None` for an optional text left empty.
pub fn text(
    field: &str,
    raw: Option<&str>,
    required: bool,
    max: usize,
) -> Result<Option<String>, FieldError> {
    let value = raw.map(str::trim).filter(|v| !v.is_empty());
    let Some(value) = value else {
        return if required {
            Err(FieldError::new(
                "missing_field",
                field,
                format!("`{field}` is required."),
            ))
        } else {
            Ok(None)
        };
    };
    plain_text(field, value)?;
    if value.chars().count() > max {
        return Err(FieldError::new(
            "too_long",
            field,
            format!("`{field}` may be at most {max} characters."),
        ));
    }
    Ok(Some(value.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_are_ordered_and_bounded() {
        assert!(window("2026-12-01T00:00:00Z", "2026-12-08T00:00:00Z", 31).is_ok());
        assert!(window("2026-12-01T00:00:00Z", "2026-12-01T00:00:00Z", 31).is_ok());
        assert_eq!(
            window("2026-12-08T00:00:00Z", "2026-12-01T00:00:00Z", 31)
                .unwrap_err()
                .code,
            "invalid_window"
        );
        assert_eq!(
            window("2026-12-01T00:00:00Z", "2027-01-02T00:00:01Z", 31)
                .unwrap_err()
                .code,
            "window_too_long"
        );
        assert_eq!(
            window("2026-12-01", "2026-12-02T00:00:00Z", 31)
                .unwrap_err()
                .field,
            "from"
        );
    }

    #[test]
    fn texts_refuse_control_characters_and_length() {
        assert_eq!(
            text("lead.name", Some("  Maria  "), true, 10).unwrap(),
            Some("Maria".into())
        );
        assert_eq!(text("notes", Some("   "), false, 10).unwrap(), None);
        assert_eq!(
            text("lead.name", None, true, 10).unwrap_err().code,
            "missing_field"
        );
        assert_eq!(
            text("lead.name", Some("Ma\u{0}ria"), true, 10)
                .unwrap_err()
                .code,
            "control_character"
        );
        assert_eq!(
            text("notes", Some("abcdefghijk"), false, 10)
                .unwrap_err()
                .code,
            "too_long"
        );
    }
}
