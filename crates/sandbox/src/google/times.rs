//! Event times as the Calendar API takes and gives them: RFC 3339 instants with a mandatory
//! offset for query bounds, and `start`/`end` objects holding either a `dateTime` (with an offset,
//! or without one when a `timeZone` names the zone) or an all-day `date`.

use chrono::{DateTime, FixedOffset, LocalResult, NaiveDate, NaiveDateTime, SecondsFormat, Utc};
use chrono_tz::Tz;
use serde_json::Value;

use super::errors::ApiError;

/// An RFC 3339 timestamp with its offset, as `timeMin`/`timeMax` must be.
pub fn parse_instant(raw: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(raw)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

pub fn parse_zone(name: &str) -> Option<Tz> {
    name.parse().ok()
}

/// An instant rendered in `zone` (`Z` for UTC), seconds precision, as Google writes busy times.
pub fn render(instant: DateTime<Utc>, zone: Option<Tz>) -> String {
    match zone {
        Some(zone) if zone != Tz::UTC => instant
            .with_timezone(&zone)
            .to_rfc3339_opts(SecondsFormat::Secs, false),
        _ => instant.to_rfc3339_opts(SecondsFormat::Secs, true),
    }
}

/// Checks one `start`/`end` object of an event being written and completes it the way Google
/// does: a `dateTime` without an offset is read in the object's `timeZone` and given the offset
/// that zone has at that moment; a `dateTime` with an offset is kept as written.
pub fn normalize(time: &mut Value, field: &str) -> Result<(), ApiError> {
    let missing = || ApiError::bad_request(format!("Missing {field} time."), "required");
    let object = time.as_object_mut().ok_or_else(missing)?;
    let zone = match object.get("timeZone").and_then(Value::as_str) {
        None => None,
        Some(name) => Some(parse_zone(name).ok_or_else(|| {
            ApiError::bad_request(
                format!("Invalid time zone definition for {field} time."),
                "invalid",
            )
        })?),
    };
    if let Some(raw) = object.get("dateTime").and_then(Value::as_str) {
        if DateTime::parse_from_rfc3339(raw).is_ok() {
            return Ok(());
        }
        let local = NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S%.f")
            .map_err(|_| ApiError::bad_request("Invalid value for: dateTime", "invalid"))?;
        let zone = zone.ok_or_else(|| {
            ApiError::bad_request(
                format!("Missing time zone definition for {field} time."),
                "required",
            )
        })?;
        let instant = resolve(local, zone);
        let written = instant
            .with_timezone(&zone)
            .to_rfc3339_opts(SecondsFormat::Secs, true);
        object.insert("dateTime".into(), written.into());
        return Ok(());
    }
    match object.get("date").and_then(Value::as_str) {
        Some(raw) if NaiveDate::parse_from_str(raw, "%Y-%m-%d").is_ok() => Ok(()),
        Some(_) => Err(ApiError::bad_request("Invalid value for: date", "invalid")),
        None => Err(missing()),
    }
}

/// A wall-clock time in `zone`. In the hour a DST change skips, the time is moved forward by the
/// gap (02:30 on a spring-forward day is 03:30); in the hour repeated in autumn the earlier
/// instant is taken.
fn resolve(local: NaiveDateTime, zone: Tz) -> DateTime<Utc> {
    match local.and_local_timezone(zone) {
        LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t.with_timezone(&Utc),
        LocalResult::None => resolve(local + chrono::Duration::hours(1), zone),
    }
}

/// The instant a stored `start`/`end` object stands for; an all-day `date` starts at midnight in
/// `calendar_zone`.
pub fn instant_of(time: &Value, calendar_zone: Tz) -> Option<DateTime<Utc>> {
    if let Some(raw) = time.get("dateTime").and_then(Value::as_str) {
        return DateTime::parse_from_rfc3339(raw)
            .ok()
            .map(|t: DateTime<FixedOffset>| t.with_timezone(&Utc));
    }
    let date = NaiveDate::parse_from_str(time.get("date")?.as_str()?, "%Y-%m-%d").ok()?;
    Some(resolve(date.and_hms_opt(0, 0, 0)?, calendar_zone))
}

/// The `[start, end)` of a stored event.
pub fn span(event: &Value, calendar_zone: Tz) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    Some((
        instant_of(event.get("start")?, calendar_zone)?,
        instant_of(event.get("end")?, calendar_zone)?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_local_time_gets_the_offset_its_zone_has_on_that_day() {
        let mut winter = json!({"dateTime": "2026-03-07T09:00:00", "timeZone": "America/New_York"});
        let mut summer = json!({"dateTime": "2026-03-09T09:00:00", "timeZone": "America/New_York"});
        normalize(&mut winter, "start").unwrap_or_else(|_| panic!("winter"));
        normalize(&mut summer, "start").unwrap_or_else(|_| panic!("summer"));
        assert_eq!(winter["dateTime"], "2026-03-07T09:00:00-05:00");
        assert_eq!(summer["dateTime"], "2026-03-09T09:00:00-04:00");
    }

    #[test]
    fn a_time_skipped_by_spring_forward_moves_past_the_gap() {
        let mut time = json!({"dateTime": "2026-03-29T02:30:00", "timeZone": "Europe/Berlin"});
        normalize(&mut time, "start").unwrap_or_else(|_| panic!("normalize"));
        assert_eq!(time["dateTime"], "2026-03-29T03:30:00+02:00");
    }

    #[test]
    fn an_offset_given_by_the_caller_is_kept_as_written() {
        let mut time =
            json!({"dateTime": "2026-12-01T15:00:00+01:00", "timeZone": "America/New_York"});
        normalize(&mut time, "start").unwrap_or_else(|_| panic!("normalize"));
        assert_eq!(time["dateTime"], "2026-12-01T15:00:00+01:00");
    }

    #[test]
    fn busy_times_render_in_the_requested_zone_or_utc() {
        let instant = parse_instant("2026-11-01T06:30:00Z").unwrap_or_else(|| panic!("parse"));
        assert_eq!(render(instant, None), "2026-11-01T06:30:00Z");
        assert_eq!(
            render(instant, parse_zone("America/New_York")),
            "2026-11-01T01:30:00-05:00"
        );
    }
}
