//! The OAuth scopes Voxanne asks for, and the check of what the clinic actually granted.
//!
//! Why these two, and nothing broader:
//! - `calendar.events` lets the receptionist read and write *events* on the clinic's calendars,
//!   which is all booking needs. The full `calendar` scope would also let Voxanne delete or share
//!   whole calendars and change their settings; a leaked token would then be far more damaging,
//!   and Google's verification of sensitive scopes asks apps to justify anything wider than needed.
//! - `calendar.calendarlist.readonly` lets Voxanne list the clinic's calendars so the clinic can
//!   pick which one to book into (and so a verification can say "calendar list reachable").
//!   `calendar.events` alone does not allow `calendarList.list` (Google answers 403
//!   `ACCESS_TOKEN_SCOPE_INSUFFICIENT`), and `calendar.readonly` would expose every event's
//!   details for reading, which the list does not need.
//! - `calendar.events.freebusy` lets Voxanne ask `freebusy.query` when the clinic is busy, the
//!   narrowest scope Google accepts for it (`calendar.events` does not allow it). It shows busy
//!   periods only, never what the events are. Connections made before it was requested lack it
//!   and still work: busy time then comes from `events.list`, which the events scope allows.
//!
//! Google's consent screen lets the person untick each scope (granular consent), so the granted
//! set is checked after every code exchange.

/// Read and write events on all the clinic's calendars: required for booking.
pub const CALENDAR_EVENTS: &str = "https://www.googleapis.com/auth/calendar.events";
/// See the list of the clinic's calendars: lets the clinic choose a calendar other than primary.
pub const CALENDAR_LIST_READONLY: &str =
    "https://www.googleapis.com/auth/calendar.calendarlist.readonly";
/// See when the clinic's calendars are busy (`freebusy.query`), nothing about the events.
pub const CALENDAR_EVENTS_FREEBUSY: &str =
    "https://www.googleapis.com/auth/calendar.events.freebusy";
/// Full calendar access; never requested, but accepted when granted (it covers both of ours).
const CALENDAR_FULL: &str = "https://www.googleapis.com/auth/calendar";
/// Other scopes that also allow `calendarList.list`.
const LIST_CAPABLE: &[&str] = &[
    CALENDAR_FULL,
    CALENDAR_LIST_READONLY,
    "https://www.googleapis.com/auth/calendar.calendarlist",
    "https://www.googleapis.com/auth/calendar.readonly",
];

/// Scopes that allow `freebusy.query`.
const FREEBUSY_CAPABLE: &[&str] = &[
    CALENDAR_FULL,
    CALENDAR_EVENTS_FREEBUSY,
    "https://www.googleapis.com/auth/calendar.freebusy",
    "https://www.googleapis.com/auth/calendar.readonly",
];

/// The scopes of the authorization request.
pub const REQUESTED: &[&str] = &[
    CALENDAR_EVENTS,
    CALENDAR_LIST_READONLY,
    CALENDAR_EVENTS_FREEBUSY,
];

/// What a set of granted scopes lets Voxanne do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GrantedAccess {
    /// Booking into the clinic's calendars (always true when `check_scopes` succeeds).
    pub book_events: bool,
    /// Listing the clinic's calendars; without it Voxanne books into the primary calendar only.
    pub list_calendars: bool,
    /// Asking `freebusy.query`; without it busy time comes from `events.list`.
    pub free_busy: bool,
}

/// Checks the scopes Google reports as granted (the token response's `scope`). Booking access is
/// required; the calendar list is optional because booking into the primary calendar works
/// without it.
pub fn check_scopes<S: AsRef<str>>(granted: &[S]) -> Result<GrantedAccess, super::Error> {
    let has = |accepted: &[&str]| granted.iter().any(|g| accepted.contains(&g.as_ref()));
    let access = GrantedAccess {
        book_events: has(&[CALENDAR_EVENTS, CALENDAR_FULL]),
        list_calendars: has(LIST_CAPABLE),
        free_busy: has(FREEBUSY_CAPABLE),
    };
    if access.book_events {
        Ok(access)
    } else {
        Err(super::Error::ScopesNotGranted {
            missing: vec![CALENDAR_EVENTS.to_owned()],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_requested_scopes_grant_every_ability() {
        let access = check_scopes(REQUESTED).unwrap();
        assert_eq!(
            access,
            GrantedAccess {
                book_events: true,
                list_calendars: true,
                free_busy: true,
            }
        );
    }

    #[test]
    fn a_connection_made_before_the_freebusy_scope_still_books_without_free_busy() {
        let access = check_scopes(&[CALENDAR_EVENTS, CALENDAR_LIST_READONLY]).unwrap();
        assert!(access.book_events && access.list_calendars && !access.free_busy);
    }

    #[test]
    fn the_full_calendar_scope_covers_both_abilities() {
        let access = check_scopes(&[CALENDAR_FULL]).unwrap();
        assert!(access.book_events && access.list_calendars && access.free_busy);
    }

    #[test]
    fn events_without_the_list_scope_still_books() {
        let access = check_scopes(&[CALENDAR_EVENTS]).unwrap();
        assert!(access.book_events && !access.list_calendars);
    }

    #[test]
    fn a_grant_without_the_events_scope_is_refused_naming_it() {
        let error = check_scopes(&[CALENDAR_LIST_READONLY]).unwrap_err();
        assert!(
            matches!(&error, super::super::Error::ScopesNotGranted { missing } if missing == &[CALENDAR_EVENTS])
        );
    }
}
