//! Canceling an appointment: the Google event is deleted (a repeated delete finds it gone, so a
//! lost answer is simply asked again) and the appointment kept as `canceled`.
//!
//! A delete that fails is tried again by the reconciler, with waits that double up to a cap,
//! a bounded number of times. After the last try the appointment is `booked` again, its event
//! still in the calendar and its slot still held, with `failure_reason` saying why canceling
//! stopped; a new cancel starts the tries afresh.

use std::time::Duration;

use super::calls::{self, Access};
use super::{
    AppointmentView, BookingError, CalendarFailure, LEASE, access_token, calendar_credential,
    connections, millis, now_ms, view,
};
use crate::backoff::{Backoff, Jitter};
use crate::google;
use crate::google_connection::GoogleConnections;
use crate::ids::AppointmentId;
use crate::services::Services;
use crate::store::{Appointment, AppointmentStatus, Lease, StoreError};
use crate::tenant::Caller;

/// How many times the reconciler tries again to delete the event after the request's own try
/// failed, before it gives up.
pub const CANCEL_RETRIES: i64 = 8;

/// The code a cancel that gave up leaves on the (again `booked`) appointment.
pub const CANCEL_FAILED: &str = "cancel_failed";

/// The waits between tries: doubling from 30 s to at most 30 min (about an hour and a half in
/// all), jittered so that the cancels a Google outage failed together do not come back
/// together; Google's `Retry-After` is honoured within the same bounds.
pub fn schedule() -> Backoff {
    Backoff {
        base: Duration::from_secs(30),
        cap: Duration::from_secs(30 * 60),
        floor: Duration::from_secs(5),
        jitter: Jitter::Full,
        retry_after_min: Duration::from_secs(5),
        retry_after_max: Duration::from_secs(30 * 60),
    }
}

/// Cancels the caller's appointment `id`. Canceling a canceled appointment answers it again.
/// An appointment whose delete could not be confirmed comes back `canceling` (the reconciler
/// finishes it).
pub async fn cancel(
    services: &Services,
    caller: &Caller,
    id: &str,
) -> Result<AppointmentView, BookingError> {
    let id = AppointmentId::parse(id.trim()).map_err(|_| BookingError::NotFound)?;
    let current = match services.store.get_appointment(caller.org(), &id).await {
        Err(StoreError::NotFound { .. }) => return Err(BookingError::NotFound),
        other => other?,
    };
    match current.status {
        AppointmentStatus::Canceled => return Ok(view(current, false)),
        AppointmentStatus::Booking | AppointmentStatus::Failed => {
            return Err(BookingError::NotCancelable {
                status: current.status.as_str(),
            });
        }
        AppointmentStatus::Booked | AppointmentStatus::Canceling => {}
    }
    let connections = connections(services)?;
    let credential =
        match calendar_credential(services, caller, Some(current.credential_id.as_str())).await {
            Err(BookingError::CredentialNotFound | BookingError::NotGoogleCalendar) => {
                return Err(BookingError::CalendarRemoved);
            }
            other => other?,
        };
    let token = access_token(connections, &credential).await?;
    let worker = services.delivery.dispatcher().config().worker_id.clone();
    let now = now_ms();
    let lease = Lease {
        owner: &worker,
        until: now + millis(LEASE),
    };
    let (leased, taken) = services
        .store
        .begin_cancel(caller.org(), &id, lease, now)
        .await?;
    if taken {
        let mut access = Access::new(connections, caller.org(), &leased.credential_id, token);
        if let Err(err) = delete_event(&mut access, &leased).await {
            let retry_after = retry_after(&err);
            let err = calls::refusal(&leased.credential_id, err);
            failed_try(connections, &leased, &err, retry_after).await;
            return Err(err);
        }
    }
    let stored = services.store.get_appointment(caller.org(), &id).await?;
    Ok(view(stored, false))
}

/// One try of the reconciler at an appointment left `canceling`: delete the event, or count
/// the failure.
pub(super) async fn retry(
    connections: &GoogleConnections,
    appointment: &Appointment,
    token: Result<secrecy::SecretString, BookingError>,
) {
    let mut access = match token {
        Ok(token) => Access::new(
            connections,
            &appointment.org_id,
            &appointment.credential_id,
            token,
        ),
        Err(err) => return failed_try(connections, appointment, &err, None).await,
    };
    if let Err(err) = delete_event(&mut access, appointment).await {
        let retry_after = retry_after(&err);
        let err = calls::refusal(&appointment.credential_id, err);
        failed_try(connections, appointment, &err, retry_after).await;
    }
}

/// Deletes the event of `appointment` (held at its fence) and records it `canceled`; a Google
/// failure is returned, the appointment left as it is.
async fn delete_event(
    access: &mut Access<'_>,
    appointment: &Appointment,
) -> Result<(), google::Error> {
    if let Some(event_id) = &appointment.google_event_id {
        calls::delete(access, &appointment.calendar_id, event_id)
            .await
            .inspect_err(|err| {
                tracing::warn!(appointment_id = %appointment.id, error = %err,
                    "deleting the event failed");
            })?;
    }
    let settled = access
        .connections
        .store
        .settle_appointment(
            &appointment.org_id,
            &appointment.id,
            appointment.fence,
            AppointmentStatus::Canceled,
            None,
            None,
            now_ms(),
        )
        .await;
    if let Err(err) = settled {
        tracing::warn!(appointment_id = %appointment.id, error = %err,
            "recording the cancel failed; the reconciler records it");
    }
    Ok(())
}

/// How long Google asked to wait, when it said.
fn retry_after(err: &google::Error) -> Option<Duration> {
    match err {
        google::Error::Unavailable { retry_after, .. }
        | google::Error::RateLimited { retry_after, .. } => *retry_after,
        _ => None,
    }
}

/// What a failed try leaves: the next one put off by the schedule, or, after
/// [`CANCEL_RETRIES`] retries, the appointment `booked` again with the reason.
async fn failed_try(
    connections: &GoogleConnections,
    appointment: &Appointment,
    err: &BookingError,
    retry_after: Option<Duration>,
) {
    let store = &connections.store;
    let (org, id, now) = (&appointment.org_id, &appointment.id, now_ms());
    let why = match err {
        BookingError::Calendar(CalendarFailure::Unavailable(google))
        | BookingError::Calendar(CalendarFailure::Refused(google)) => {
            format!("{err}: {google}")
        }
        other => other.to_string(),
    };
    let written = match next_try(appointment.attempts, retry_after) {
        Some(wait) => {
            let reason = format!("Deleting the event failed ({why}); trying again.");
            store
                .defer_appointment(org, id, appointment.fence, now + millis(wait), &reason, now)
                .await
        }
        None => {
            let tries = appointment.attempts + 1;
            tracing::warn!(appointment_id = %id, tries, error = %why, "canceling gave up");
            let reason = format!(
                "Canceling stopped after {tries} tries ({why}); the event is still in Google Calendar. Cancel again to retry."
            );
            store
                .settle_appointment(
                    org,
                    id,
                    appointment.fence,
                    AppointmentStatus::Booked,
                    None,
                    Some((CANCEL_FAILED, &reason)),
                    now,
                )
                .await
        }
    };
    if let Err(err) = written {
        tracing::warn!(appointment_id = %id, error = %err,
            "recording a failed cancel try failed; its lease runs out and it is tried again");
    }
}

/// The wait before the next try after retry number `attempts` failed (0: the request's own
/// try), or `None` when the retries are spent.
pub fn next_try(attempts: i64, retry_after: Option<Duration>) -> Option<Duration> {
    if attempts >= CANCEL_RETRIES {
        return None;
    }
    let next = u32::try_from(attempts + 1).unwrap_or(u32::MAX);
    Some(schedule().wait(next, retry_after, &mut rand::rng()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_wait_longer_each_time_up_to_the_cap_and_then_stop() {
        for attempts in 0..CANCEL_RETRIES {
            let wait = next_try(attempts, None).unwrap();
            let ceiling = schedule().ceiling(u32::try_from(attempts + 1).unwrap());
            assert!(
                wait >= Duration::from_secs(5) && wait <= ceiling,
                "{wait:?}"
            );
            assert!(ceiling <= Duration::from_secs(30 * 60));
        }
        assert_eq!(
            schedule().ceiling(u32::try_from(CANCEL_RETRIES).unwrap()),
            Duration::from_secs(30 * 60)
        );
        assert_eq!(next_try(CANCEL_RETRIES, None), None);
        assert_eq!(next_try(CANCEL_RETRIES + 3, None), None);
    }

    #[test]
    fn googles_retry_after_is_honoured_within_the_bounds() {
        assert_eq!(
            next_try(0, Some(Duration::from_secs(120))),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            next_try(0, Some(Duration::from_secs(86_400))),
            Some(Duration::from_secs(30 * 60))
        );
    }
}
