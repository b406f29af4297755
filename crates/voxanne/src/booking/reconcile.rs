//! Settling appointments whose outcome is unknown: the event write of a request (looked up by
//! the appointment id it carries before any second write), and, in the background, every
//! appointment left `booking` or `canceling` by a request past its deadline or a process that
//! died (its lease ran out, or its heartbeat in `dispatch_workers` stopped).

use std::time::{Duration, Instant};

use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::calls::{self, Access};
use super::{BookingError, LEASE, REQUEST_DEADLINE, failure_code, millis, now_ms};
use crate::google::{self, Backoff};
use crate::google_connection::{AccessError, GoogleConnections};
use crate::services::Services;
use crate::store::{Appointment, AppointmentStatus, Lease, StoreError};

/// How an attempt to settle an appointment ended.
#[derive(Debug)]
pub(super) enum Settled {
    /// Booked (or canceled), or another holder of the lease settled it.
    Done,
    /// Refused for good; the appointment is `failed` with the reason.
    Refused(BookingError),
    /// Still unknown at the deadline: left `booking`, for the reconciler.
    Unknown,
}

/// Waits between tries inside a deadline: short, jittered.
fn pause() -> Backoff {
    Backoff {
        base: Duration::from_millis(100),
        max_delay: Duration::from_secs(2),
        max_attempts: u32::MAX,
    }
}

/// Writes `appointment`'s event exactly once, the caller holding its lease at its fence: an
/// insert whose answer was lost is followed by a lookup (by the appointment id in
/// `extendedProperties.private`), which adopts the event if Google has it; only an event
/// provably absent is written again.
pub(super) async fn write_event(
    access: &mut Access<'_>,
    appointment: &Appointment,
    deadline: Instant,
) -> Settled {
    write(access, appointment, deadline, false).await
}

async fn write(
    access: &mut Access<'_>,
    appointment: &Appointment,
    deadline: Instant,
    mut look_first: bool,
) -> Settled {
    let connections = access.connections;
    let org = &appointment.org_id;
    let mut tries = 0;
    loop {
        tries += 1;
        let found = if look_first {
            calls::find_event(access, appointment).await
        } else {
            Ok(None)
        };
        let failure = match found {
            Ok(Some(event)) => return booked(connections, appointment, &event).await,
            Ok(None) => match calls::insert(access, appointment).await {
                Ok(event) => return booked(connections, appointment, &event).await,
                // Our own event id is taken: an earlier try got through. Look it up.
                Err(google::Error::Duplicate) => {
                    if look_first {
                        // Listed absent yet its id is taken: the event was deleted in Google.
                        let err = BookingError::Failed {
                            code: "calendar_error".into(),
                            reason: "The event was deleted in Google Calendar while it was being booked.".into(),
                        };
                        return refused(connections, appointment, err).await;
                    }
                    look_first = true;
                    continue;
                }
                Err(err) => err,
            },
            Err(err) => err,
        };
        let retry = failure.outcome_unknown()
            || failure.is_rate_limited()
            || failure.kind() == google::ErrorKind::Transient;
        if !retry {
            let err = calls::refusal(&appointment.credential_id, failure);
            return refused(connections, appointment, err).await;
        }
        look_first = true;
        let wait = pause().delay(tries, None);
        if Instant::now() + wait >= deadline {
            tracing::warn!(org_id = %org, appointment_id = %appointment.id, error = %failure,
                "the event write is unsettled at the deadline");
            return Settled::Unknown;
        }
        tokio::time::sleep(wait).await;
    }
}

async fn booked(
    connections: &GoogleConnections,
    appointment: &Appointment,
    event: &google::Event,
) -> Settled {
    let settled = connections
        .store
        .settle_appointment(
            &appointment.org_id,
            &appointment.id,
            appointment.fence,
            AppointmentStatus::Booked,
            Some((&event.id, event.html_link.as_deref())),
            None,
            now_ms(),
        )
        .await;
    match settled {
        Ok(true) => Settled::Done,
        Ok(false) => {
            tracing::info!(appointment_id = %appointment.id, "lease lost; another holder settles it");
            Settled::Done
        }
        Err(err) => {
            tracing::warn!(appointment_id = %appointment.id, error = %err, "recording the booked event failed; the reconciler adopts it");
            Settled::Unknown
        }
    }
}

async fn refused(
    connections: &GoogleConnections,
    appointment: &Appointment,
    err: BookingError,
) -> Settled {
    let reason = err.to_string();
    let saved = connections
        .store
        .settle_appointment(
            &appointment.org_id,
            &appointment.id,
            appointment.fence,
            AppointmentStatus::Failed,
            None,
            Some((failure_code(&err), &reason)),
            now_ms(),
        )
        .await;
    match saved {
        Ok(_) => Settled::Refused(err),
        Err(store) => Settled::Refused(BookingError::Store(store)),
    }
}

/// The background reconciler; [`Reconciler::stop`] ends it after its current step.
pub struct Reconciler {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Reconciler {
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// How often unsettled appointments are looked for.
const EVERY: Duration = Duration::from_secs(1);

/// Starts settling unsettled appointments: at once (those a previous run left behind), then
/// every second.
pub fn start(services: Services) -> Reconciler {
    let (stop, mut stopped) = watch::channel(false);
    let task = tokio::spawn(async move {
        while !*stopped.borrow() {
            match reconcile_once(&services).await {
                Ok(0) => {}
                Ok(settled) => tracing::info!(settled, "unsettled appointments reconciled"),
                Err(err) => tracing::warn!(error = %err, "appointment reconciliation failed"),
            }
            tokio::select! {
                () = tokio::time::sleep(EVERY) => {}
                _ = stopped.changed() => {}
            }
        }
    });
    Reconciler { stop, task }
}

/// One pass: leases the unsettled appointments nobody alive holds and settles each.
pub async fn reconcile_once(services: &Services) -> Result<usize, StoreError> {
    let Some(connections) = services.google.ready() else {
        return Ok(0);
    };
    let config = services.delivery.dispatcher().config();
    let now = now_ms();
    let lease = Lease {
        owner: &config.worker_id,
        until: now + millis(LEASE),
    };
    let alive_since = now - millis(config.silent_after);
    let claimed = services
        .store
        .claim_unsettled(lease, alive_since, now, 32)
        .await?;
    let count = claimed.len();
    for appointment in claimed {
        settle(connections, &appointment).await;
    }
    Ok(count)
}

async fn settle(connections: &GoogleConnections, appointment: &Appointment) {
    let deadline = Instant::now() + REQUEST_DEADLINE;
    let token = connections
        .google_access_token(&appointment.org_id, &appointment.credential_id)
        .await;
    if appointment.status == AppointmentStatus::Canceling {
        let token = token.map_err(|err| match err {
            AccessError::NeedsReconnect { reason } => {
                super::needs_reconnect(&appointment.credential_id, reason)
            }
            AccessError::Google(err) => err.into(),
            AccessError::NotGoogle => BookingError::NotGoogleCalendar,
            AccessError::Store(err) => BookingError::Store(err),
        });
        return super::cancel::retry(connections, appointment, token).await;
    }
    let token = match token {
        Ok(token) => token,
        Err(AccessError::NeedsReconnect { reason }) => {
            let err = super::needs_reconnect(&appointment.credential_id, reason);
            refused(connections, appointment, err).await;
            return;
        }
        Err(err) => {
            tracing::warn!(appointment_id = %appointment.id, error = %err, "no access token; retrying later");
            return;
        }
    };
    if appointment.status == AppointmentStatus::Booking {
        let mut access = Access::new(
            connections,
            &appointment.org_id,
            &appointment.credential_id,
            token,
        );
        write(&mut access, appointment, deadline, true).await;
    }
}
