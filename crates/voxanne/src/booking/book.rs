//! "Book Maria for Tuesday 3 pm": hold the slot in the database, check Google's busy time, then
//! write the event exactly once.

use std::time::Instant;

use chrono::TimeDelta;
use serde::Serialize;

use super::availability::{Interval, is_free, within_hours};
use super::calls::Access;
use super::reconcile::{Settled, write_event};
use super::slots::nearest_free;
use super::{
    AppointmentView, BookingError, CALENDAR_ID, LEASE, REQUEST_DEADLINE, access_token,
    calendar_credential, calls, connections, failure_code, input, millis, now_ms, view, zone_of,
};
use crate::field::FieldError;
use crate::ids::AppointmentId;
use crate::outbox::idempotency::{self, IdempotencyKey, KEY_LIFETIME};
use crate::phone::PhoneNumber;
use crate::services::Services;
use crate::store::{AppointmentStatus, BookingKey, Held, Lease, NewAppointment};
use crate::tenant::Caller;

/// The lead an appointment is for, as given.
#[derive(Debug, Clone, Default)]
pub struct LeadInput {
    pub name: Option<String>,
    pub phone: Option<String>,
    pub reason: Option<String>,
}

/// `POST /api/calendar/appointments` as given.
#[derive(Debug, Clone, Default)]
pub struct BookingRequest {
    pub start: String,
    pub duration_minutes: u32,
    pub lead: LeadInput,
    pub notes: Option<String>,
    pub credential_id: Option<String>,
}

/// What identifies a booking request for its `Idempotency-Key`: the fields as normalised.
#[derive(Serialize)]
struct Fingerprinted<'a> {
    start_ms: i64,
    duration_minutes: u32,
    name: &'a str,
    phone: &'a str,
    reason: Option<&'a str>,
    notes: Option<&'a str>,
    credential_id: Option<&'a str>,
}

const ROUTE: &str = "/api/calendar/appointments";

/// How often a repeat of a request still in progress looks again.
const REPLAY_POLL: std::time::Duration = std::time::Duration::from_millis(100);

/// Books `request` for the caller's organization. A repeat of an `Idempotency-Key` answers the
/// first request's appointment; a slot another booking holds, or Google shows busy, is
/// [`BookingError::SlotTaken`]. An appointment whose outcome is still unknown at the deadline
/// comes back in status `booking` (the reconciler finishes it).
pub async fn book(
    services: &Services,
    caller: &Caller,
    request: BookingRequest,
    key: Option<IdempotencyKey>,
) -> Result<AppointmentView, BookingError> {
    let started = Instant::now();
    let start = input::instant("start", &request.start)?;
    let duration = input::duration(request.duration_minutes)?;
    let name =
        input::text("lead.name", request.lead.name.as_deref(), true, 100)?.unwrap_or_default();
    let phone_raw =
        input::text("lead.phone", request.lead.phone.as_deref(), true, 32)?.unwrap_or_default();
    let phone = PhoneNumber::parse("lead.phone", &phone_raw).map_err(FieldError::from)?;
    let reason = input::text("lead.reason", request.lead.reason.as_deref(), false, 200)?;
    let notes = input::text("notes", request.notes.as_deref(), false, 1000)?;
    let slot = Interval {
        start,
        end: start + TimeDelta::minutes(i64::from(duration)),
    };
    if start.timestamp_millis() <= now_ms() {
        return Err(
            FieldError::new("in_the_past", "start", "`start` is in the past.")
                .with_hint("Book a time from GET /api/calendar/availability.")
                .into(),
        );
    }
    let settings = services.store.get_settings(caller.org()).await?;
    let zone = zone_of(&settings.timezone);
    if !within_hours(zone, &settings.booking.opening_hours, &slot) {
        return Err(FieldError::new(
            "outside_opening_hours",
            "start",
            format!(
                "{} to {} ({}) is not within the clinic's opening hours.",
                slot.start.with_timezone(&zone).format("%a %Y-%m-%d %H:%M"),
                slot.end.with_timezone(&zone).format("%H:%M"),
                zone
            ),
        )
        .with_hint("Pick a slot from GET /api/calendar/availability.")
        .into());
    }
    let fingerprint = idempotency::fingerprint(
        ROUTE,
        &Fingerprinted {
            start_ms: start.timestamp_millis(),
            duration_minutes: duration,
            name: &name,
            phone: phone.as_str(),
            reason: reason.as_deref(),
            notes: notes.as_deref(),
            credential_id: request.credential_id.as_deref().map(str::trim),
        },
    )
    .map_err(|source| crate::store::StoreError::Corrupt {
        what: "booking fingerprint",
        source: Box::new(source),
    })?;

    let connections = connections(services)?;
    let credential =
        calendar_credential(services, caller, request.credential_id.as_deref()).await?;
    let worker = services.delivery.dispatcher().config().worker_id.clone();
    let now = now_ms();
    let new = NewAppointment {
        id: AppointmentId::generate(),
        credential_id: credential.id.clone(),
        calendar_id: CALENDAR_ID.to_owned(),
        start_at: slot.start.timestamp_millis(),
        end_at: slot.end.timestamp_millis(),
        buffer_ms: i64::from(settings.booking.buffer_minutes) * 60_000,
        timezone: zone.name().to_owned(),
        lead_name: name,
        lead_phone: phone.as_str().to_owned(),
        lead_reason: reason,
        notes,
    };
    let booking_key = key.as_ref().map(|key| BookingKey {
        key: key.as_str(),
        fingerprint: &fingerprint,
        remembered_since: now - millis(KEY_LIFETIME),
    });
    let lease = Lease {
        owner: &worker,
        until: now + millis(LEASE),
    };
    let held = services
        .store
        .hold_appointment(caller.org(), &new, booking_key, lease, now)
        .await?;
    let appointment = match held {
        Held::Created(appointment) => appointment,
        Held::Replayed(earlier) => return replay(services, caller, earlier.id, started).await,
        Held::KeyReused => return Err(BookingError::IdempotencyKeyReused),
        Held::SlotTaken => {
            let token = access_token(connections, &credential).await?;
            let mut access = Access::new(connections, caller.org(), &credential.id, token);
            let nearest = nearest_free(&mut access, &settings, duration, start).await;
            return Err(BookingError::SlotTaken { zone, nearest });
        }
    };

    // The slot is ours in Voxanne; Google may still show it busy (an event made elsewhere).
    let fence = appointment.fence;
    let refuse = |code: &'static str, reason: String| {
        let store = services.store.clone();
        let org = caller.org().clone();
        let id = appointment.id.clone();
        async move {
            store
                .settle_appointment(
                    &org,
                    &id,
                    fence,
                    AppointmentStatus::Failed,
                    None,
                    Some((code, &reason)),
                    now_ms(),
                )
                .await
        }
    };
    let token = match access_token(connections, &credential).await {
        Ok(token) => token,
        Err(err) => {
            refuse(failure_code(&err), err.to_string()).await?;
            return Err(err);
        }
    };
    let mut access = Access::new(connections, caller.org(), &credential.id, token);
    let buffer = TimeDelta::minutes(i64::from(settings.booking.buffer_minutes));
    let busy = calls::busy(
        &mut access,
        CALENDAR_ID,
        slot.start - buffer,
        slot.end + buffer,
    )
    .await;
    match busy {
        Ok(busy) if !is_free(&slot, settings.booking.buffer_minutes, &busy) => {
            refuse("slot_taken", "Google Calendar shows this time busy.".into()).await?;
            let nearest = nearest_free(&mut access, &settings, duration, start).await;
            return Err(BookingError::SlotTaken { zone, nearest });
        }
        Ok(_) => {}
        Err(err) => {
            let err = calls::refusal(&credential.id, err);
            refuse(failure_code(&err), err.to_string()).await?;
            return Err(err);
        }
    }
    let deadline = started + REQUEST_DEADLINE;
    match write_event(&mut access, &appointment, deadline).await {
        Settled::Done => {}
        Settled::Refused(err) => return Err(err),
        Settled::Unknown => {
            tracing::warn!(org_id = %caller.org(), appointment_id = %appointment.id,
                "booking outcome unknown at the deadline; the reconciler settles it");
        }
    }
    let stored = services
        .store
        .get_appointment(caller.org(), &appointment.id)
        .await?;
    Ok(view(stored, false))
}

/// The first request's appointment, once it settled (or at the deadline, as it is).
async fn replay(
    services: &Services,
    caller: &Caller,
    id: AppointmentId,
    started: Instant,
) -> Result<AppointmentView, BookingError> {
    loop {
        let appointment = services.store.get_appointment(caller.org(), &id).await?;
        let unsettled = appointment.status == AppointmentStatus::Booking;
        if !unsettled || started.elapsed() >= REQUEST_DEADLINE {
            return match (
                appointment.status,
                appointment.failure_code.as_deref(),
                appointment.failure_reason.clone(),
            ) {
                (AppointmentStatus::Failed, Some("calendar_needs_reconnect"), reason) => {
                    Err(BookingError::NeedsReconnect {
                        credential_id: appointment.credential_id.clone(),
                        reason: reason.unwrap_or_default(),
                    })
                }
                (AppointmentStatus::Failed, Some("slot_taken"), _) => {
                    Err(BookingError::SlotTaken {
                        zone: zone_of(&appointment.timezone),
                        nearest: Vec::new(),
                    })
                }
                (AppointmentStatus::Failed, code, reason) => Err(BookingError::Failed {
                    code: code.unwrap_or("calendar_error").to_owned(),
                    reason: reason.unwrap_or_default(),
                }),
                _ => Ok(view(appointment, true)),
            };
        }
        tokio::time::sleep(REPLAY_POLL).await;
    }
}
