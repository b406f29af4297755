//! The booking API: free slots of the clinic's Google Calendar, and appointments booked,
//! read, listed and canceled. Every route takes the organization from the Bearer API key;
//! another organization's appointment answers 404, exactly like a missing one.

pub mod wire;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use utoipa::OpenApi;

use self::wire::{
    AppointmentIn, AppointmentLeadIn, AppointmentLeadOut, AppointmentListOut, AppointmentListQuery,
    AppointmentOut, AvailabilityOut, AvailabilityQueryIn, SlotOut, SlotTakenOut, slot,
};
use super::AppState;
use super::error::{ApiError, ErrorBody, ErrorDetail};
use super::json::JsonBody;
use super::messages::answer::idempotency_key;
use super::query::ApiQuery;
use crate::booking::{
    self, AvailabilityQuery, BookingError, BookingRequest, CalendarFailure, LeadInput,
};
use crate::google_connection::NOT_CONFIGURED;
use crate::store::AppointmentStatus;
use crate::tenant::Caller;

/// The OpenAPI description of these routes (merged into `/api/openapi.json`).
#[derive(OpenApi)]
#[openapi(
    paths(availability, book, list, get_one, cancel),
    components(schemas(
        AvailabilityOut,
        SlotOut,
        AppointmentIn,
        AppointmentLeadIn,
        AppointmentLeadOut,
        AppointmentOut,
        AppointmentListOut,
        SlotTakenOut
    )),
    tags((name = "calendar", description = "Free slots and appointments in the clinic's Google Calendar"))
)]
pub struct AppointmentsApi;

/// `/api/calendar/availability` and `/api/calendar/appointments…`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/calendar/availability", get(availability))
        .route("/api/calendar/appointments", post(book).get(list))
        .route(
            "/api/calendar/appointments/{id}",
            get(get_one).delete(cancel),
        )
}

/// The free slots of a length between two times, inside the opening hours.
///
/// Rules the schema cannot state: `to` is not before `from` (equal: an empty window), and at
/// most 31 days after it; otherwise 422 naming `to`.
#[utoipa::path(
    get, path = "/api/calendar/availability", operation_id = "calendar_availability", tag = "calendar", params(AvailabilityQueryIn),
    responses(
        (status = 200, description = "The free slots, in the clinic's time zone", body = AvailabilityOut),
        (status = 401, description = "Missing or revoked API key", body = ErrorBody),
        (status = 404, description = "`credential_id` names no Google Calendar connection of this organization (a Twilio credential's id included)", body = ErrorBody),
        (status = 409, description = "No calendar connected, or it must be reconnected (`calendar_needs_reconnect`)", body = ErrorBody),
        (status = 422, description = "Invalid parameter; `field` names it", body = ErrorBody),
        (status = 429, description = "Rate limit of this API key exceeded", body = ErrorBody),
        (status = 502, description = "Google Calendar did not answer usably (`calendar_unavailable`) or refused (`calendar_refused`)", body = ErrorBody),
        (status = 503, description = "Google Calendar is not configured, or the database is unreachable", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
async fn availability(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<AvailabilityQueryIn>,
) -> Result<Json<AvailabilityOut>, Response> {
    let query = AvailabilityQuery {
        from: query.from,
        to: query.to,
        duration_minutes: query.duration_minutes,
        credential_id: query.credential_id,
    };
    let free = booking::availability(&state.services, &caller, query)
        .await
        .map_err(refusal)?;
    Ok(Json(AvailabilityOut {
        timezone: free.zone.name().to_owned(),
        slots: free.slots.iter().map(|s| slot(free.zone, s)).collect(),
    }))
}

/// Book an appointment into the clinic's Google Calendar, exactly once.
///
/// Rules the schema cannot state: `start` is in the future, and the appointment (`start` plus
/// `duration_minutes`) lies inside one stretch of the clinic's opening hours (spans that meet,
/// such as `24:00` and the next day's `00:00`, are one stretch); otherwise 422 naming `start`.
#[utoipa::path(
    post, path = "/api/calendar/appointments", operation_id = "book_appointment", tag = "calendar", request_body = AppointmentIn,
    params(("Idempotency-Key" = Option<String>, Header,
        description = "Repeat the same request with the same key within 24 h to get the same appointment without booking again.")),
    responses(
        (status = 201, description = "Booked (`status: booked`)", body = AppointmentOut),
        (status = 202, description = "Held, but Google's answer is still being settled (`status: booking`); read it again with GET", body = AppointmentOut),
        (status = 401, description = "Missing or revoked API key", body = ErrorBody),
        (status = 404, description = "`credential_id` names no Google Calendar connection of this organization (a Twilio credential's id included)", body = ErrorBody),
        (status = 409, description = "`slot_taken` (with the nearest free slots), `calendar_needs_reconnect`, or no calendar connected", body = SlotTakenOut),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 422, description = "Invalid field (e.g. `start` outside opening hours), or a key reused with another body", body = ErrorBody),
        (status = 429, description = "Rate limit of this API key exceeded", body = ErrorBody),
        (status = 502, description = "Google Calendar did not answer usably (`calendar_unavailable`) or refused (`calendar_refused`), or an earlier request under this key failed (`booking_failed`, `calendar_error`); nothing was booked", body = ErrorBody),
        (status = 503, description = "Google Calendar is not configured, or the database is unreachable", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
async fn book(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    JsonBody(input): JsonBody<AppointmentIn>,
) -> Result<Response, Response> {
    let key = idempotency_key(&headers).map_err(IntoResponse::into_response)?;
    let request = BookingRequest {
        start: input.start,
        duration_minutes: input.duration_minutes,
        lead: LeadInput {
            name: Some(input.lead.name),
            phone: Some(input.lead.phone),
            reason: input.lead.reason,
        },
        notes: input.notes,
        credential_id: input.credential_id,
    };
    let booked = booking::book(&state.services, &caller, request, key)
        .await
        .map_err(refusal)?;
    let status = match booked.appointment.status {
        AppointmentStatus::Booking => StatusCode::ACCEPTED,
        _ => StatusCode::CREATED,
    };
    let mut response = (status, Json(AppointmentOut::from(&booked))).into_response();
    if booked.replayed {
        response
            .headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(response)
}

/// The organization's appointments starting in a window, earliest first.
///
/// Rules the schema cannot state: `to` is not before `from` (equal: an empty window), and at
/// most 31 days after it; otherwise 422 naming `to`.
#[utoipa::path(
    get, path = "/api/calendar/appointments", operation_id = "list_appointments", tag = "calendar", params(AppointmentListQuery),
    responses(
        (status = 200, description = "The appointments", body = AppointmentListOut),
        (status = 401, description = "Missing or revoked API key", body = ErrorBody),
        (status = 422, description = "Invalid parameter; `field` names it", body = ErrorBody),
        (status = 429, description = "Rate limit of this API key exceeded", body = ErrorBody),
        (status = 503, description = "The database is unreachable", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<AppointmentListQuery>,
) -> Result<Json<AppointmentListOut>, Response> {
    let found = booking::list(
        &state.services,
        &caller,
        &query.from,
        &query.to,
        query.limit,
    )
    .await
    .map_err(refusal)?;
    Ok(Json(AppointmentListOut {
        appointments: found.iter().map(AppointmentOut::from).collect(),
    }))
}

/// One appointment. A canceled one stays readable, with `status: canceled` (its DELETE cancels it).
#[utoipa::path(
    get, path = "/api/calendar/appointments/{id}", operation_id = "get_appointment", tag = "calendar",
    params(("id" = String, Path, description = "The appointment's id (`appt_…`)")),
    responses(
        (status = 200, description = "The appointment", body = AppointmentOut),
        (status = 401, description = "Missing or revoked API key", body = ErrorBody),
        (status = 404, description = "No such appointment in this organization", body = ErrorBody),
        (status = 429, description = "Rate limit of this API key exceeded", body = ErrorBody),
        (status = 503, description = "The database is unreachable", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
async fn get_one(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<AppointmentOut>, Response> {
    let found = booking::get(&state.services, &caller, &id)
        .await
        .map_err(refusal)?;
    Ok(Json(AppointmentOut::from(&found)))
}

/// Cancel an appointment: its Google event is deleted, the appointment kept as `canceled`.
#[utoipa::path(
    delete, path = "/api/calendar/appointments/{id}", operation_id = "cancel_appointment", tag = "calendar",
    params(("id" = String, Path, description = "The appointment's id (`appt_…`)")),
    responses(
        (status = 200, description = "Canceled (`status: canceled`)", body = AppointmentOut),
        (status = 202, description = "Cancel asked, the event's deletion is still being settled (`status: canceling`)", body = AppointmentOut),
        (status = 401, description = "Missing or revoked API key", body = ErrorBody),
        (status = 404, description = "No such appointment in this organization", body = ErrorBody),
        (status = 409, description = "Not cancelable in its status, the calendar must be reconnected (`calendar_needs_reconnect`), or the connection it was booked through was removed (`calendar_removed`)", body = ErrorBody),
        (status = 429, description = "Rate limit of this API key exceeded", body = ErrorBody),
        (status = 502, description = "Google Calendar did not answer usably (`calendar_unavailable`) or refused (`calendar_refused`); the appointment is kept `canceling` and Voxanne tries again (waits doubling from 30 s to 30 min, 8 more tries), after which it is `booked` again with `failure_reason`", body = ErrorBody),
        (status = 503, description = "Google Calendar is not configured, or the database is unreachable", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
async fn cancel(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, Response> {
    let canceled = booking::cancel(&state.services, &caller, &id)
        .await
        .map_err(refusal)?;
    let status = match canceled.appointment.status {
        AppointmentStatus::Canceled => StatusCode::OK,
        _ => StatusCode::ACCEPTED,
    };
    Ok((status, Json(AppointmentOut::from(&canceled))).into_response())
}

/// A booking refusal as the API words it.
fn refusal(err: BookingError) -> Response {
    match err {
        BookingError::SlotTaken { zone, nearest } => slot_taken(zone, &nearest),
        other => ApiError::from(other).into_response(),
    }
}

fn slot_taken(zone: chrono_tz::Tz, nearest: &[booking::Interval]) -> Response {
    let body = SlotTakenOut {
        error: ErrorDetail {
            code: "slot_taken".to_owned(),
            message: "This time is no longer free: another appointment or a busy event holds it."
                .to_owned(),
            field: Some("start".to_owned()),
            hint: Some(if nearest.is_empty() {
                "Ask GET /api/calendar/availability for the free slots.".to_owned()
            } else {
                "Offer one of `nearest_slots`, or ask GET /api/calendar/availability.".to_owned()
            }),
            twilio_code: None,
            request_id: super::request_id::current().unwrap_or_default(),
        },
        nearest_slots: nearest.iter().map(|s| slot(zone, s)).collect(),
    };
    (StatusCode::CONFLICT, Json(body)).into_response()
}

impl From<BookingError> for ApiError {
    fn from(err: BookingError) -> Self {
        let conflict = |code: &'static str, message: String, hint: &str| ApiError::Conflict {
            code,
            message,
            hint: Some(hint.to_owned()),
        };
        match err {
            BookingError::Invalid(field) => ApiError::Invalid(field),
            BookingError::NotConfigured => ApiError::NotConfigured {
                message: NOT_CONFIGURED,
            },
            BookingError::CalendarRemoved => conflict(
                "calendar_removed",
                "The Google Calendar connection this appointment was booked through was removed, so Voxanne can no longer delete its event.".into(),
                "Delete the event in Google Calendar itself; the appointment stays as it is here.",
            ),
            BookingError::NoCalendar => conflict(
                "calendar_not_connected",
                "This organization has no Google Calendar connected.".into(),
                "Connect one: POST /api/organization/credentials/google_calendar/connect.",
            ),
            // Another kind of credential (a Twilio account) is no Google Calendar connection at
            // all: the same 404 as an id this organization does not have.
            BookingError::CredentialNotFound | BookingError::NotGoogleCalendar => {
                ApiError::Refused {
                    status: StatusCode::NOT_FOUND,
                    field: crate::field::FieldError::new(
                        "credential_not_found",
                        "credential_id",
                        "`credential_id` names no Google Calendar connection of this organization.",
                    )
                    .with_hint(
                        "Use the id of a `google_calendar` credential from GET /api/organization/credentials, or leave `credential_id` out.",
                    ),
                }
            }
            BookingError::NeedsReconnect {
                credential_id,
                reason,
            } => ApiError::Conflict {
                code: "calendar_needs_reconnect",
                message: format!(
                    "Nothing was booked: the Google Calendar connection must be reconnected. {reason}"
                ),
                hint: Some(format!(
                    "Reconnect Google Calendar: POST /api/organization/credentials/google_calendar/connect with {{\"credential_id\": \"{credential_id}\"}}, or from the dashboard's Calendar page."
                )),
            },
            BookingError::SlotTaken { .. } => conflict(
                "slot_taken",
                "This time is no longer free.".into(),
                "Ask GET /api/calendar/availability for the free slots.",
            ),
            BookingError::IdempotencyKeyReused => ApiError::Invalid(
                crate::field::FieldError::new(
                    "idempotency_key_reused",
                    "Idempotency-Key",
                    "this Idempotency-Key was already used with a different request in the last 24 hours",
                )
                .with_hint("Use a new key for a new request."),
            ),
            BookingError::NotFound => ApiError::NotFound {
                what: "appointment",
            },
            BookingError::NotCancelable { status } => conflict(
                "not_cancelable",
                format!("An appointment in status `{status}` cannot be canceled."),
                "Only booked appointments can be canceled.",
            ),
            BookingError::Calendar(failure) => calendar_failure(&failure),
            BookingError::Failed { code, reason } => ApiError::Calendar {
                status: StatusCode::BAD_GATEWAY,
                code: if code == "calendar_error" {
                    "calendar_error"
                } else {
                    "booking_failed"
                },
                message: format!("The booking failed: {reason}"),
                hint: Some("Book again with a new Idempotency-Key.".into()),
            },
            BookingError::Store(err) => ApiError::from(err),
        }
    }
}

/// Google Calendar's own failure, in words that name it: 502 either way, since the request was
/// sound and Google is the one that did not do it.
fn calendar_failure(failure: &CalendarFailure) -> ApiError {
    let (code, message, hint) = match failure {
        CalendarFailure::Unavailable(google) => (
            "calendar_unavailable",
            format!("Google Calendar is not answering right now ({google})."),
            "Retry in a minute: a booking repeated with the same Idempotency-Key is never booked twice; a cancel is also retried by Voxanne on its own.",
        ),
        CalendarFailure::Refused(google) => (
            "calendar_refused",
            format!("Google Calendar refused the request ({google})."),
            "Check the clinic's calendar connection (POST /api/organization/credentials/{id}/verify); if it is fine, retry later.",
        ),
    };
    ApiError::Calendar {
        status: StatusCode::BAD_GATEWAY,
        code,
        message,
        hint: Some(hint.to_owned()),
    }
}
