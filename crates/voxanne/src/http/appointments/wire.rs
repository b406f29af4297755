//! The wire shapes of `/api/calendar/…`: what comes in, what goes out.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::booking::{AppointmentView, Interval};
use crate::store::AppointmentStatus;

/// `GET /api/calendar/availability` parameters.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AvailabilityQueryIn {
    /// Start of the window (RFC 3339 with an offset).
    #[param(example = "2030-01-07T00:00:00-05:00", format = DateTime)]
    pub from: String,
    /// End of the window (RFC 3339), at most 31 days after `from`.
    #[param(example = "2030-01-14T00:00:00-05:00", format = DateTime)]
    pub to: String,
    /// Length of the slots wanted, 5–480 (default: the organization's `slot_minutes`).
    #[param(minimum = 5, maximum = 480)]
    pub duration_minutes: Option<u32>,
    /// The Google Calendar connection to read (default: the organization's).
    pub credential_id: Option<String>,
}

/// One slot, in the clinic's time zone.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SlotOut {
    /// RFC 3339 with the clinic's offset, e.g. `2026-12-08T15:00:00-05:00`.
    pub start: String,
    pub end: String,
}

/// The free slots.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AvailabilityOut {
    /// The clinic's IANA time zone the times are written in.
    pub timezone: String,
    pub slots: Vec<SlotOut>,
}

/// The lead an appointment is for.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppointmentLeadIn {
    /// The caller's name (at most 100 characters), shown in the event's title.
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// The caller's number (E.164).
    #[schema(example = "+14155552671")]
    pub phone: String,
    /// Why they come (at most 200 characters), shown in the event's title.
    #[schema(max_length = 200)]
    pub reason: Option<String>,
}

/// `POST /api/calendar/appointments`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppointmentIn {
    /// When it starts (RFC 3339 with an offset); in the future, and inside the opening hours
    /// with its duration.
    #[schema(example = "2026-12-08T15:00:00-05:00")]
    pub start: String,
    /// 5–480.
    #[schema(minimum = 5, maximum = 480)]
    pub duration_minutes: u32,
    pub lead: AppointmentLeadIn,
    /// Notes for the clinic (at most 1000 characters), in the event's description.
    #[schema(max_length = 1000)]
    pub notes: Option<String>,
    /// The Google Calendar connection to book into (default: the organization's).
    pub credential_id: Option<String>,
}

/// An appointment.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AppointmentOut {
    #[schema(example = "appt_0123456789abcdefghijklmnop")]
    pub id: String,
    /// `booking` (the calendar's answer is still being settled), `booked`, `failed`,
    /// `canceling` (the event's deletion is being tried, again after a failure) or `canceled`.
    /// A cancel that failed every try leaves the appointment `booked` (its event still in the
    /// calendar) with `failure_reason`; cancel it again to retry.
    #[schema(value_type = String, example = "booked")]
    pub status: AppointmentStatus,
    /// RFC 3339 in the clinic's zone.
    pub start: String,
    pub end: String,
    pub timezone: String,
    pub lead: AppointmentLeadOut,
    pub notes: Option<String>,
    pub credential_id: String,
    /// The event's id in Google Calendar, once booked.
    pub google_event_id: Option<String>,
    /// A link to the event in Google Calendar, once booked.
    pub html_link: Option<String>,
    /// Why a `failed` appointment was not booked; for `canceling`, why the last try to delete
    /// the event failed; for `booked`, why canceling it stopped (if it did).
    pub failure_reason: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AppointmentLeadOut {
    pub name: String,
    pub phone: String,
    pub reason: Option<String>,
}

/// `GET /api/calendar/appointments`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AppointmentListOut {
    pub appointments: Vec<AppointmentOut>,
}

/// `GET /api/calendar/appointments` parameters.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AppointmentListQuery {
    /// Appointments starting at or after this time (RFC 3339).
    #[param(example = "2030-01-01T00:00:00Z", format = DateTime)]
    pub from: String,
    /// Appointments starting before this time (RFC 3339), at most 31 days after `from`.
    #[param(example = "2030-01-31T00:00:00Z", format = DateTime)]
    pub to: String,
    /// Page size, 1–100 (default 50).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
}

/// A 409: the error and, for `slot_taken`, the nearest free slots.
#[derive(Debug, Serialize, ToSchema)]
pub struct SlotTakenOut {
    pub error: crate::http::error::ErrorDetail,
    /// With `slot_taken`: up to three free slots nearest to the one asked for, in time order.
    #[schema(required = false)]
    pub nearest_slots: Vec<SlotOut>,
}

pub fn slot(zone: chrono_tz::Tz, slot: &Interval) -> SlotOut {
    SlotOut {
        start: slot.start.with_timezone(&zone).to_rfc3339(),
        end: slot.end.with_timezone(&zone).to_rfc3339(),
    }
}

impl From<&AppointmentView> for AppointmentOut {
    fn from(view: &AppointmentView) -> Self {
        let a = &view.appointment;
        Self {
            id: a.id.to_string(),
            status: a.status,
            start: view.start().to_rfc3339(),
            end: view.end().to_rfc3339(),
            timezone: a.timezone.clone(),
            lead: AppointmentLeadOut {
                name: a.lead_name.clone(),
                phone: a.lead_phone.clone(),
                reason: a.lead_reason.clone(),
            },
            notes: a.notes.clone(),
            credential_id: a.credential_id.to_string(),
            google_event_id: a.google_event_id.clone(),
            html_link: a.html_link.clone(),
            failure_reason: a.failure_reason.clone(),
        }
    }
}
