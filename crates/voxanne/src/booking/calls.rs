//! The Google Calendar calls booking makes, in booking's words: busy time, the event that
//! belongs to an appointment, writing and deleting it, and what a refusal means for the clinic.

use std::future::Future;

use chrono::{DateTime, NaiveTime, TimeZone, Utc};
use secrecy::SecretString;

use super::availability::Interval;
use super::{APPOINTMENT_PROPERTY, BookingError, at_ms, needs_reconnect};
use crate::google::{self, Deletion, Event, EventTime, ExtendedProperties, ListEvents, NewEvent};
use crate::google_connection::{AccessError, GoogleConnections};
use crate::ids::{CredentialId, OrgId};
use crate::store::Appointment;

/// The access token of one Google Calendar connection for the calls of one request (or one
/// reconciler step). When Google answers 401 to a token that should still be good (revoked, or
/// expired early), the token is refreshed once and the call made again: a 401 proves Google did
/// nothing. `invalid_grant` on that refresh means the grant is gone (the credential is marked
/// `needs_reconnect` by the refresh) and comes back as [`google::Error::InvalidGrant`].
pub(super) struct Access<'a> {
    pub(super) connections: &'a GoogleConnections,
    pub(super) org: OrgId,
    pub(super) credential_id: CredentialId,
    token: SecretString,
    refreshed: bool,
}

impl<'a> Access<'a> {
    pub(super) fn new(
        connections: &'a GoogleConnections,
        org: &OrgId,
        credential_id: &CredentialId,
        token: SecretString,
    ) -> Self {
        Self {
            connections,
            org: org.clone(),
            credential_id: credential_id.clone(),
            token,
            refreshed: false,
        }
    }

    /// Runs `call` with the token; after a 401, once per `Access`, with a refreshed one.
    async fn call<T, F, Fut>(&mut self, call: F) -> Result<T, google::Error>
    where
        F: Fn(SecretString) -> Fut,
        Fut: Future<Output = Result<T, google::Error>>,
    {
        match call(self.token.clone()).await {
            Err(google::Error::Unauthenticated) if !self.refreshed => {
                self.refreshed = true;
                let refreshed = self
                    .connections
                    .refreshed_access_token(&self.org, &self.credential_id)
                    .await;
                self.token = match refreshed {
                    Ok(token) => token,
                    Err(AccessError::NeedsReconnect { reason }) => {
                        return Err(google::Error::InvalidGrant {
                            description: reason,
                        });
                    }
                    Err(AccessError::Google(err)) => return Err(err),
                    Err(err) => {
                        tracing::warn!(credential_id = %self.credential_id, error = %err,
                            "refreshing the access token after a 401 failed");
                        return Err(google::Error::Unauthenticated);
                    }
                };
                tracing::info!(credential_id = %self.credential_id,
                    "Google refused the access token before its expiry; refreshed it and called again");
                call(self.token.clone()).await
            }
            other => other,
        }
    }
}

/// Busy time of `calendar_id` in `[from, to)`. From `freeBusy` when the connection has a
/// free/busy scope; a connection made before Voxanne asked for one has only the events scope,
/// so its busy time is read from `events.list` instead (what freeBusy counts: events not
/// cancelled and not shown as available).
pub(super) async fn busy(
    access: &mut Access<'_>,
    calendar_id: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<Interval>, google::Error> {
    let connections = access.connections;
    let client = &connections.client;
    let (min, max) = (from.fixed_offset(), to.fixed_offset());
    let free_busy = access
        .call(|token| async move { client.free_busy(&token, calendar_id, min, max).await })
        .await;
    match free_busy {
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
            let list = &list;
            let events = access
                .call(
                    |token| async move { client.list_all_events(&token, calendar_id, list).await },
                )
                .await?;
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
    access: &mut Access<'_>,
    appointment: &Appointment,
) -> Result<Option<Event>, google::Error> {
    let list = ListEvents {
        private_property: Some((
            APPOINTMENT_PROPERTY.to_owned(),
            appointment.id.as_str().to_owned(),
        )),
        ..ListEvents::default()
    };
    let connections = access.connections;
    let (client, list) = (&connections.client, &list);
    let calendar_id = &appointment.calendar_id;
    let events = access
        .call(|token| async move { client.list_all_events(&token, calendar_id, list).await })
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
    access: &mut Access<'_>,
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
    let connections = access.connections;
    let (client, event) = (&connections.client, &event);
    let calendar_id = &appointment.calendar_id;
    access
        .call(|token| async move { client.insert_event(&token, calendar_id, event).await })
        .await
}

/// Deletes the event; one already gone counts as deleted.
pub(super) async fn delete(
    access: &mut Access<'_>,
    calendar_id: &str,
    event_id: &str,
) -> Result<Deletion, google::Error> {
    let connections = access.connections;
    let client = &connections.client;
    access
        .call(|token| async move { client.delete_event(&token, calendar_id, event_id).await })
        .await
}

/// What a Google refusal means for the clinic. A grant that is gone or too narrow (also found
/// by the refresh after a 401, see [`Access`]), or a calendar the account may only read, asks for
/// a reconnect; anything else is the calendar's own failure.
pub(super) fn refusal(credential_id: &CredentialId, err: google::Error) -> BookingError {
    match err {
        google::Error::Forbidden { .. } | google::Error::NotWritable { .. } => needs_reconnect(
            credential_id,
            "The connected Google account may only read this calendar; booking needs a calendar it can write to."
                .to_owned(),
        ),
        err if err.kind() == google::ErrorKind::NeedsReconnect => {
            needs_reconnect(credential_id, err.to_string())
        }
        err => err.into(),
    }
}
