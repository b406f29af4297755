//! Canceling an appointment: the Google event is deleted (a repeated delete finds it gone, so a
//! lost answer is simply asked again) and the appointment kept as `canceled`.

use secrecy::SecretString;

use super::{
    AppointmentView, BookingError, LEASE, access_token, calendar_credential, calls, connections,
    millis, now_ms, view,
};
use crate::google_connection::GoogleConnections;
use crate::ids::AppointmentId;
use crate::services::Services;
use crate::store::{Appointment, AppointmentStatus, Lease, StoreError};
use crate::tenant::Caller;

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
        calendar_credential(services, caller, Some(current.credential_id.as_str())).await?;
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
    if taken && let Err(err) = delete_event(connections, &leased, &token).await {
        return Err(calls::refusal(&leased.credential_id, err, connections, caller.org()).await);
    }
    let stored = services.store.get_appointment(caller.org(), &id).await?;
    Ok(view(stored, false))
}

/// Deletes the event of `appointment` (held at its fence) and records it `canceled`; a Google
/// failure leaves it `canceling` for the reconciler and is returned.
pub(super) async fn delete_event(
    connections: &GoogleConnections,
    appointment: &Appointment,
    token: &SecretString,
) -> Result<(), crate::google::Error> {
    if let Some(event_id) = &appointment.google_event_id {
        calls::delete(connections, token, &appointment.calendar_id, event_id)
            .await
            .inspect_err(|err| {
                tracing::warn!(appointment_id = %appointment.id, error = %err,
                    "deleting the event failed; the reconciler tries again");
            })?;
    }
    let settled = connections
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
