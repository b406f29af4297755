//! The Google Calendar calls booking makes, in booking's words: busy time, the event that
//! belongs to an appointment, writing and deleting it, and what a refusal means for the clinic.

use chrono::{DateTime, NaiveTime, TimeZone, Utc};
use secrecy::SecretString;

use super::availability::Interval;
use super::{APPOINTMENT_PROPERTY, BookingError, at_ms, needs_reconnect};
use crate::google::{self, Deletion, Event, EventTime, ExtendedProperties, ListEvents, NewEvent};
use crate::google_connection::{AccessError, GoogleConnections};
use crate::ids::{CredentialId, OrgId};
use crate::store::Appointment;

/// Busy time of `calendar_id` in `[from, to)`. From `freeBusy` when the connection has a
/// free/busy scope; a connection made before Voxanne asked for one has only the events scope,
/// so its busy time is read from `events.list` instead (what freeBusy counts: events not
/// cancelled and not shown as available).
pub(super) async fn busy(
    connections: &GoogleConnections,
    token: &SecretString,
    calendar_id: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<Interval>, google::Error> {
    let client = &connections.client;
    let (min, max) = (from.fixed_offset(), to.fixed_offset());
    match client.free_busy(token, calendar_id, min, max).await {
        Ok(busy) => Ok(busy
            .into_iter()
            .map(|b| Interval {
                start: b.start.with_timezone(&Utc),
                end: b.end.with_timezone(&Utc),
            })
            .collect()),
        Err(google::Error::ScopeInsufficient) => {
            let list = ListEvents {
                time_min: Some(min),
                time_max: Some(max),
                single_events: true,
                ..ListEvents::default()
            };
            let events = client.list_all_events(token, calendar_id, &list).await?;
            Ok(events.iter().filter_map(event_busy).collect())
        }
        Err(err) => Err(err),
    }
}

/// The time an event blocks, if it blocks any (an all-day event blocks its days in UTC).
fn event_busy(event: &Event) -> Option<Interval> {
    if event.is_cancelled() || event.transparency.as_deref() == Some("transparent") {
        return None;
    }
    let instant = |when: &google::EventWhen| -> Option<DateTime<Utc>> {
        match (when.date_time, when.date) {
            (Some(at), _) => Some(at.with_timezone(&Utc)),
            (None, Some(day)) => Utc
                .from_local_datetime(&day.and_time(NaiveTime::MIN))
                .single(),
            (None, None) => None,
        }
    };
    Some(Interval {
        start: instant(event.start.as_ref()?)?,
        end: instant(event.end.as_ref()?)?,
    })
}

/// The live event that carries `appointment`'s id, if Google has one.
pub(super) async fn find_event(
    connections: &GoogleConnections,
    token: &SecretString,
    appointment: &Appointment,
) -> Result<Option<Event>, google::Error> {
    let list = ListEvents {
        private_property: Some((
            APPOINTMENT_PROPERTY.to_owned(),
            appointment.id.as_str().to_owned(),
        )),
        ..ListEvents::default()
    };
    let events = connections
        .client
        .list_all_events(token, &appointment.calendar_id, &list)
        .await?;
    Ok(events.into_iter().find(|e| !e.is_cancelled()))
}

/// The event id Voxanne asks Google to use for `appointment`: its id in hex, which is valid
/// base32hex, so a second insert of the same appointment is refused as a duplicate by Google
/// itself, on top of the lookup by extended property.
pub(super) fn event_id(appointment: &Appointment) -> String {
    hex::encode(appointment.id.as_str().as_bytes())
}

/// Writes `appointment` as an event: the lead's name and reason in the title, what the request
/// gave in the description, in the clinic's zone, and the appointment's id in
/// `extendedProperties.private`.
pub(super) async fn insert(
    connections: &GoogleConnections,
    token: &SecretString,
    appointment: &Appointment,
) -> Result<Event, google::Error> {
    let zone = super::zone_of(&appointment.timezone);
    let time = |ms: i64| EventTime {
        date_time: at_ms(ms).with_timezone(&zone).to_rfc3339(),
        time_zone: Some(appointment.timezone.clone()),
    };
    let summary = match &appointment.lead_reason {
        Some(reason) => format!("{}: {}", appointment.lead_name, reason),
        None => format!("Appointment: {}", appointment.lead_name),
    };
    let mut description = format!(
        "Lead: {}\nPhone: {}",
        appointment.lead_name, appointment.lead_phone
    );
    if let Some(reason) = &appointment.lead_reason {
        description.push_str(&format!("\nReason: {reason}"));
    }
    if let Some(notes) = &appointment.notes {
        description.push_str(&format!("\nNotes: {notes}"));
    }
    description.push_str(&format!("\nBooked by Voxanne ({})", appointment.id));
    let mut properties = ExtendedProperties::default();
    properties.private.insert(
        APPOINTMENT_PROPERTY.to_owned(),
        appointment.id.as_str().to_owned(),
    );
    let event = NewEvent {
        id: Some(event_id(appointment)),
        summary,
        description: Some(description),
        start: time(appointment.start_at),
        end: time(appointment.end_at),
        extended_properties: Some(properties),
    };
    connections
        .client
        .insert_event(token, &appointment.calendar_id, &event)
        .await
}

/// Deletes the event; one already gone counts as deleted.
pub(super) async fn delete(
    connections: &GoogleConnections,
    token: &SecretString,
    calendar_id: &str,
    event_id: &str,
) -> Result<Deletion, google::Error> {
    connections
        .client
        .delete_event(token, calendar_id, event_id)
        .await
}

/// What a Google refusal means for the clinic. A grant that is gone or too narrow, or a
/// calendar the account may only read, asks for a reconnect; a 401 is answered by refreshing
/// the token, which tells a revoked grant (`invalid_grant`, and the credential is marked
/// `needs_reconnect`) from an access token that merely expired early.
pub(super) async fn refusal(
    credential_id: &CredentialId,
    err: google::Error,
    connections: &GoogleConnections,
    org: &OrgId,
) -> BookingError {
    match err {
        google::Error::Unauthenticated => {
            match connections.refreshed_access_token(org, credential_id).await {
                Err(AccessError::NeedsReconnect { reason }) => needs_reconnect(credential_id, reason),
                _ => BookingError::Google(google::Error::Unauthenticated),
            }
        }
        google::Error::Forbidden { .. } | google::Error::NotWritable { .. } => needs_reconnect(
            credential_id,
            "The connected Google account may only read this calendar; booking needs a calendar it can write to."
                .to_owned(),
        ),
        err if err.kind() == google::ErrorKind::NeedsReconnect => {
            needs_reconnect(credential_id, err.to_string())
        }
        err => BookingError::Google(err),
    }
}
