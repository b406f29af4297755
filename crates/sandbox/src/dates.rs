//! Dates as Twilio writes and reads them.

use chrono::{DateTime, NaiveDate, Utc};

/// RFC 2822 in GMT as Twilio prints it: `Thu, 24 Aug 2023 05:01:45 +0000`.
pub(crate) fn rfc2822(at: DateTime<Utc>) -> String {
    at.format("%a, %d %b %Y %H:%M:%S +0000").to_string()
}

/// `RawDlrDoneDate` of a status callback: `YYMMDDhhmm`.
pub(crate) fn raw_dlr_done_date(at: DateTime<Utc>) -> String {
    at.format("%y%m%d%H%M").to_string()
}

/// A `DateSent` filter value: Twilio documents `YYYY-MM-DD`, and the SDKs send ISO 8601
/// date-times (`2023-08-24T00:00:00Z`) when given a datetime, so both are accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DateBound {
    Day(NaiveDate),
    Instant(DateTime<Utc>),
}

impl DateBound {
    pub fn parse(value: &str) -> Option<DateBound> {
        if let Ok(day) = NaiveDate::parse_from_str(value, "%Y-%m-%d") {
            return Some(DateBound::Day(day));
        }
        DateTime::parse_from_rfc3339(value)
            .ok()
            .map(|at| DateBound::Instant(at.with_timezone(&Utc)))
    }

    /// `DateSent=`: the same day, or the same instant.
    pub fn matches_on(self, at: DateTime<Utc>) -> bool {
        match self {
            DateBound::Day(day) => at.date_naive() == day,
            DateBound::Instant(instant) => at == instant,
        }
    }

    /// `DateSent<=`: on or before.
    pub fn on_or_before(self, at: DateTime<Utc>) -> bool {
        match self {
            DateBound::Day(day) => at.date_naive() <= day,
            DateBound::Instant(instant) => at <= instant,
        }
    }

    /// `DateSent>=`: on or after.
    pub fn on_or_after(self, at: DateTime<Utc>) -> bool {
        match self {
            DateBound::Day(day) => at.date_naive() >= day,
            DateBound::Instant(instant) => at >= instant,
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn dates_print_like_twilio() {
        let at = Utc.with_ymd_and_hms(2023, 8, 24, 5, 1, 45).unwrap();
        assert_eq!(rfc2822(at), "Thu, 24 Aug 2023 05:01:45 +0000");
        assert_eq!(raw_dlr_done_date(at), "2308240501");
    }

    #[test]
    fn a_day_bound_compares_by_calendar_day() {
        let at = Utc.with_ymd_and_hms(2023, 8, 24, 23, 59, 0).unwrap();
        let day = DateBound::parse("2023-08-24").unwrap();
        assert!(day.matches_on(at) && day.on_or_before(at) && day.on_or_after(at));
        let before = DateBound::parse("2023-08-23").unwrap();
        assert!(!before.on_or_before(at) && before.on_or_after(at));
        assert!(
            !DateBound::parse("2023-08-24T00:00:00Z")
                .unwrap()
                .on_or_before(at)
        );
        assert_eq!(DateBound::parse("yesterday"), None);
    }
}
