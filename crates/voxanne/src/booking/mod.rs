//! Booking appointments into the clinic's connected Google Calendar: the free slots, and
//! appointments booked exactly once with no slot given twice.
//!
//! The discipline is the outbox's: an appointment is committed (`booking`, leased to this
//! process) before Google is asked; the event carries the appointment's id in
//! `extendedProperties.private`, so an answer lost on the way back is settled by looking the
//! event up, never by inserting blindly; what a request cannot settle before its deadline (or a
//! crash leaves behind) the [`reconcile`] task settles the same way once the lease is free.

pub mod availability;
mod book;
mod calls;
mod cancel;
mod input;
pub mod reconcile;
mod slots;

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Tz;

pub use self::availability::Interval;
pub use self::book::{BookingRequest, LeadInput, book};
pub use self::cancel::{CANCEL_FAILED, CANCEL_RETRIES, cancel};
pub use self::slots::{AvailabilityQuery, FreeSlots, availability};
use crate::field::FieldError;
use crate::google;
use crate::google_connection::{AccessError, GoogleConnections};
use crate::ids::{AppointmentId, CredentialId};
use crate::services::Services;
use crate::store::{Appointment, Credential, CredentialType, StoreError, VerificationStatus};
use crate::tenant::Caller;

/// The calendar Voxanne books into and reads busy time from: the connected account's own.
pub const CALENDAR_ID: &str = "primary";

/// How long a booking or cancel request works on Google before it answers with what it has;
/// anything unsettled then is finished by the reconciler.
pub const REQUEST_DEADLINE: Duration = Duration::from_secs(20);

/// The lease a request or the reconciler takes on an unsettled appointment: longer than the
/// deadline, so a live holder never loses it mid-call.
pub const LEASE: Duration = Duration::from_secs(45);

/// The private extended property that names the appointment an event belongs to.
pub const APPOINTMENT_PROPERTY: &str = "voxanne_appointment_id";

/// Why a booking use case did not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum BookingError {
    #[error("invalid field `{}`: {}", .0.field, .0.message)]
    Invalid(FieldError),
    #[error("Google Calendar is not configured on this server")]
    NotConfigured,
    #[error("the organization has no Google Calendar connection")]
    NoCalendar,
    #[error("no such credential in this organization")]
    CredentialNotFound,
    #[error("the credential is not a Google Calendar connection")]
    NotGoogleCalendar,
    /// The grant is gone: nothing was booked; the clinic must reconnect.
    #[error("{reason}")]
    NeedsReconnect {
        credential_id: CredentialId,
        reason: String,
    },
    /// The time is no longer free; the nearest free slots (may be empty).
    #[error("the slot is no longer free")]
    SlotTaken { zone: Tz, nearest: Vec<Interval> },
    #[error("the idempotency key was already used with a different request in the last 24 hours")]
    IdempotencyKeyReused,
    #[error("appointment not found")]
    NotFound,
    /// The Google Calendar connection the appointment was booked through was removed: its event
    /// cannot be deleted by Voxanne any more (a new connection is another credential).
    #[error("the Google Calendar connection this appointment was booked through was removed")]
    CalendarRemoved,
    /// The appointment cannot be canceled in its state (e.g. it failed or is still being booked).
    #[error("an appointment in status `{status}` cannot be canceled")]
    NotCancelable { status: &'static str },
    /// Google Calendar did not do what was asked: refused, or stayed unavailable.
    #[error(transparent)]
    Calendar(#[from] CalendarFailure),
    /// A booking that ended `failed` for a reason recorded earlier (replayed to its key).
    #[error("the booking failed: {reason}")]
    Failed { code: String, reason: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why Google Calendar did not do what booking asked (the grant and the slot aside, which have
/// their own [`BookingError`] variants), sorted by what the clinic can do about it.
#[derive(Debug, thiserror::Error)]
pub enum CalendarFailure {
    /// Google did not answer usably within the request's deadline (5xx, no answer, rate
    /// limited): retrying later may work.
    #[error("Google Calendar is not answering right now")]
    Unavailable(#[source] google::Error),
    /// Google refused the request for a reason that retrying does not fix.
    #[error("Google Calendar refused the request")]
    Refused(#[source] google::Error),
}

impl From<google::Error> for CalendarFailure {
    fn from(err: google::Error) -> Self {
        if err.kind() == google::ErrorKind::Transient || err.outcome_unknown() {
            Self::Unavailable(err)
        } else {
            Self::Refused(err)
        }
    }
}

impl CalendarFailure {
    /// Google's own error, for the words of an answer.
    pub fn google(&self) -> &google::Error {
        match self {
            Self::Unavailable(err) | Self::Refused(err) => err,
        }
    }
}

impl From<google::Error> for BookingError {
    fn from(err: google::Error) -> Self {
        Self::Calendar(err.into())
    }
}

impl From<FieldError> for BookingError {
    fn from(err: FieldError) -> Self {
        Self::Invalid(err)
    }
}

/// An appointment as the front doors show it: the record and the clinic's zone its times are
/// written in.
#[derive(Debug, Clone)]
pub struct AppointmentView {
    pub appointment: Appointment,
    pub zone: Tz,
    /// The answer was given before to the same `Idempotency-Key`.
    pub replayed: bool,
}

impl AppointmentView {
    pub fn start(&self) -> DateTime<Tz> {
        at_ms(self.appointment.start_at).with_timezone(&self.zone)
    }

    pub fn end(&self) -> DateTime<Tz> {
        at_ms(self.appointment.end_at).with_timezone(&self.zone)
    }
}

/// The instant `ms` milliseconds after the epoch (the epoch itself for nonsense).
pub(crate) fn at_ms(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

pub(crate) fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// The clinic's zone from its settings (UTC if the stored name no longer parses).
pub(crate) fn zone_of(name: &str) -> Tz {
    name.parse().unwrap_or(Tz::UTC)
}

fn connections(services: &Services) -> Result<&GoogleConnections, BookingError> {
    services.google.ready().ok_or(BookingError::NotConfigured)
}

/// The calendar a request books into: the one named, else the organization's primary (or
/// oldest) Google Calendar connection.
async fn calendar_credential(
    services: &Services,
    caller: &Caller,
    named: Option<&str>,
) -> Result<Credential, BookingError> {
    if let Some(raw) = named {
        let id = CredentialId::parse(raw.trim()).map_err(|err| {
            FieldError::new("invalid_credential_id", "credential_id", err.to_string()).with_hint(
                "Use the id of one of the organization's Google Calendar connections, or leave it out.",
            )
        })?;
        let credential = match services.store.get_credential(caller.org(), &id).await {
            Err(StoreError::NotFound { .. }) => return Err(BookingError::CredentialNotFound),
            other => other?,
        };
        if credential.kind != CredentialType::GoogleCalendar {
            return Err(BookingError::NotGoogleCalendar);
        }
        return Ok(credential);
    }
    let mut all = services
        .store
        .list_credentials(caller.org(), Some(CredentialType::GoogleCalendar))
        .await?;
    all.retain(|c| c.is_active);
    all.sort_by_key(|c| (!c.is_primary, c.created_at));
    all.into_iter().next().ok_or(BookingError::NoCalendar)
}

/// A fresh access token for `credential`, or why there is none.
async fn access_token(
    connections: &GoogleConnections,
    credential: &Credential,
) -> Result<secrecy::SecretString, BookingError> {
    if credential.verification_status == VerificationStatus::NeedsReconnect {
        return Err(needs_reconnect(
            &credential.id,
            "This Google Calendar connection was revoked or expired at Google.".to_owned(),
        ));
    }
    connections
        .google_access_token(&credential.org_id, &credential.id)
        .await
        .map_err(|err| match err {
            AccessError::NeedsReconnect { reason } => needs_reconnect(&credential.id, reason),
            AccessError::Google(err) => err.into(),
            AccessError::NotGoogle => BookingError::NotGoogleCalendar,
            AccessError::Store(err) => BookingError::Store(err),
        })
}

fn needs_reconnect(credential_id: &CredentialId, reason: String) -> BookingError {
    BookingError::NeedsReconnect {
        credential_id: credential_id.clone(),
        reason,
    }
}

/// The appointment `id` of the caller's organization.
pub async fn get(
    services: &Services,
    caller: &Caller,
    id: &str,
) -> Result<AppointmentView, BookingError> {
    let id = AppointmentId::parse(id.trim()).map_err(|_| BookingError::NotFound)?;
    let appointment = match services.store.get_appointment(caller.org(), &id).await {
        Err(StoreError::NotFound { .. }) => return Err(BookingError::NotFound),
        other => other?,
    };
    Ok(view(appointment, false))
}

/// The caller's appointments starting in `[from, to)` (RFC 3339), earliest first.
pub async fn list(
    services: &Services,
    caller: &Caller,
    from: &str,
    to: &str,
    limit: Option<u32>,
) -> Result<Vec<AppointmentView>, BookingError> {
    let (from, to) = input::window(from, to, input::MAX_WINDOW_DAYS)?;
    let limit = crate::field::page_limit(limit)?;
    let found = services
        .store
        .list_appointments(
            caller.org(),
            from.timestamp_millis(),
            to.timestamp_millis(),
            limit,
        )
        .await?;
    Ok(found.into_iter().map(|a| view(a, false)).collect())
}

/// When an appointment is, as a text alert says it, in the clinic's zone: the weekday within
/// the coming six days (`Tue 3:00 PM`), the date after (`Dec 8 3:00 PM`).
pub fn when_words(view: &AppointmentView, now: DateTime<Utc>) -> String {
    let start = view.start();
    let soon = start.with_timezone(&Utc) - now < chrono::TimeDelta::days(6);
    if soon && start.with_timezone(&Utc) >= now {
        start.format("%a %-I:%M %p").to_string()
    } else {
        start.format("%b %-d %-I:%M %p").to_string()
    }
}

/// How the hot-lead alert says when the lead is booked, for the caller's appointment `id`.
pub async fn booked_words(
    services: &Services,
    caller: &Caller,
    id: &str,
) -> Result<String, BookingError> {
    let found = get(services, caller, id).await?;
    Ok(when_words(&found, Utc::now()))
}

/// The code an appointment that failed for `err` keeps, so a repeat of its key answers alike.
pub(crate) fn failure_code(err: &BookingError) -> &'static str {
    match err {
        BookingError::NeedsReconnect { .. } => "calendar_needs_reconnect",
        BookingError::SlotTaken { .. } => "slot_taken",
        _ => "calendar_error",
    }
}

fn view(appointment: Appointment, replayed: bool) -> AppointmentView {
    let zone = zone_of(&appointment.timezone);
    AppointmentView {
        appointment,
        zone,
        replayed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::AppointmentStatus;

    fn at(start: &str) -> AppointmentView {
        let start = DateTime::parse_from_rfc3339(start)
            .unwrap()
            .timestamp_millis();
        view(
            Appointment {
                id: AppointmentId::generate(),
                org_id: crate::ids::OrgId::generate(),
                credential_id: CredentialId::generate(),
                calendar_id: CALENDAR_ID.into(),
                status: AppointmentStatus::Booked,
                start_at: start,
                end_at: start + 1_800_000,
                timezone: "America/New_York".into(),
                lead_name: "Maria".into(),
                lead_phone: "+14155552671".into(),
                lead_reason: None,
                notes: None,
                google_event_id: None,
                html_link: None,
                failure_code: None,
                failure_reason: None,
                fingerprint: None,
                fence: 1,
                attempts: 0,
                created_at: 0,
            },
            false,
        )
    }

    #[test]
    fn an_alert_names_the_weekday_this_week_and_the_date_after() {
        let now = DateTime::parse_from_rfc3339("2026-12-07T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(when_words(&at("2026-12-08T20:00:00Z"), now), "Tue 3:00 PM");
        assert_eq!(
            when_words(&at("2026-12-21T14:30:00Z"), now),
            "Dec 21 9:30 AM"
        );
    }
}
