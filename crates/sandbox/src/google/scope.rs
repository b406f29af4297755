//! The OAuth scopes the stand-in knows, what the consent page says about each, and which scopes
//! each Calendar method accepts (from the Calendar API reference's "Authorization" sections).

const CALENDAR: &str = "https://www.googleapis.com/auth/calendar";
const CALENDAR_READONLY: &str = "https://www.googleapis.com/auth/calendar.readonly";
const EVENTS: &str = "https://www.googleapis.com/auth/calendar.events";
const EVENTS_READONLY: &str = "https://www.googleapis.com/auth/calendar.events.readonly";
const CALENDARLIST: &str = "https://www.googleapis.com/auth/calendar.calendarlist";
const CALENDARLIST_READONLY: &str =
    "https://www.googleapis.com/auth/calendar.calendarlist.readonly";
const FREEBUSY: &str = "https://www.googleapis.com/auth/calendar.freebusy";
const EVENTS_FREEBUSY: &str = "https://www.googleapis.com/auth/calendar.events.freebusy";

/// Known scopes with the sentence the consent page shows for them.
const KNOWN: &[(&str, &str)] = &[
    (
        CALENDAR,
        "See, edit, share, and permanently delete all the calendars you can access using Google Calendar",
    ),
    (
        CALENDAR_READONLY,
        "See and download any calendar you can access using your Google Calendar",
    ),
    (EVENTS, "View and edit events on all your calendars"),
    (EVENTS_READONLY, "View events on all your calendars"),
    (
        CALENDARLIST,
        "See, add, and remove Google calendars you're subscribed to",
    ),
    (
        CALENDARLIST_READONLY,
        "See the list of Google calendars you're subscribed to",
    ),
    (
        "https://www.googleapis.com/auth/calendar.app.created",
        "Make secondary Google calendars, and see, create, change, and delete events on them",
    ),
    (FREEBUSY, "View your availability in your calendars"),
    (
        EVENTS_FREEBUSY,
        "See the availability on Google calendars you have access to",
    ),
    ("openid", "Associate you with your personal info on Google"),
    ("email", "See your primary Google Account email address"),
    (
        "profile",
        "See your personal info, including any personal info you've made publicly available",
    ),
    (
        "https://www.googleapis.com/auth/userinfo.email",
        "See your primary Google Account email address",
    ),
    (
        "https://www.googleapis.com/auth/userinfo.profile",
        "See your personal info",
    ),
];

/// The consent page's sentence for a scope, or `None` for a scope Google would call invalid.
pub fn describe(scope: &str) -> Option<&'static str> {
    KNOWN
        .iter()
        .find(|(name, _)| *name == scope)
        .map(|(_, text)| *text)
}

/// Scopes accepted by `calendarList.list`.
pub const CALENDAR_LIST_READ: &[&str] = &[
    CALENDAR,
    CALENDAR_READONLY,
    CALENDARLIST,
    CALENDARLIST_READONLY,
];
/// Scopes accepted by `events.list`.
pub const EVENTS_READ: &[&str] = &[CALENDAR, CALENDAR_READONLY, EVENTS, EVENTS_READONLY];
/// Scopes accepted by `events.insert`, `events.patch` and `events.delete`.
pub const EVENTS_WRITE: &[&str] = &[CALENDAR, EVENTS];

/// Scopes accepted by `freebusy.query`, as Google's discovery document for calendar v3 lists them
/// (not `calendar.events`: a token with only the events scope gets 403 and must compute busy time
/// from `events.list`).
pub const FREEBUSY_QUERY: &[&str] = &[CALENDAR, CALENDAR_READONLY, EVENTS_FREEBUSY, FREEBUSY];

/// Whether a token holding `granted` may call a method that accepts any of `accepted`.
pub fn allows(granted: &[String], accepted: &[&str]) -> bool {
    granted.iter().any(|g| accepted.contains(&g.as_str()))
}
