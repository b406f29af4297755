//! "When is the clinic free?": opening hours minus Google's busy time and Voxanne's own holds.

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;

use super::availability::{Interval, SlotRules, free_slots, nearest};
use super::calls::Access;
use super::{
    BookingError, CALENDAR_ID, access_token, at_ms, calendar_credential, calls, connections, input,
    zone_of,
};
use crate::services::Services;
use crate::store::OrgSettings;
use crate::tenant::Caller;

/// `GET /api/calendar/availability` as given.
#[derive(Debug, Clone, Default)]
pub struct AvailabilityQuery {
    pub from: String,
    pub to: String,
    /// Defaults to the organization's `slot_minutes`.
    pub duration_minutes: Option<u32>,
    pub credential_id: Option<String>,
}

/// The free slots, with the zone they are shown in.
#[derive(Debug, Clone)]
pub struct FreeSlots {
    pub zone: Tz,
    pub slots: Vec<Interval>,
}

/// How many free slots a `slot_taken` answer offers.
const NEAREST: usize = 3;

/// How far around a taken slot the nearest free ones are looked for.
const NEAREST_WINDOW: TimeDelta = TimeDelta::days(7);

/// The free slots of the asked length between `from` and `to` (at most 31 days apart).
pub async fn availability(
    services: &Services,
    caller: &Caller,
    query: AvailabilityQuery,
) -> Result<FreeSlots, BookingError> {
    let (from, to) = input::window(&query.from, &query.to, input::MAX_WINDOW_DAYS)?;
    let settings = services.store.get_settings(caller.org()).await?;
    let duration = input::duration(
        query
            .duration_minutes
            .unwrap_or(settings.booking.slot_minutes),
    )?;
    let connections = connections(services)?;
    let credential = calendar_credential(services, caller, query.credential_id.as_deref()).await?;
    let token = access_token(connections, &credential).await?;
    let mut access = Access::new(connections, caller.org(), &credential.id, token);
    let slots = free_between(&mut access, &settings, duration, from, to).await?;
    Ok(FreeSlots {
        zone: zone_of(&settings.timezone),
        slots,
    })
}

/// The free slots of `duration` minutes in `[from, to)`: Google's busy time and Voxanne's
/// holds (which Google may not show yet), widened by the buffer, left out.
pub(super) async fn free_between(
    access: &mut Access<'_>,
    settings: &OrgSettings,
    duration: u32,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<Interval>, BookingError> {
    if to <= from {
        // An empty window has no slots; Google's freeBusy refuses an empty range.
        return Ok(Vec::new());
    }
    let buffer = TimeDelta::minutes(i64::from(settings.booking.buffer_minutes));
    let (busy_from, busy_to) = (from - buffer, to + buffer);
    let mut busy = calls::busy(access, CALENDAR_ID, busy_from, busy_to)
        .await
        .map_err(|err| calls::refusal(&access.credential_id, err))?;
    let held = access
        .connections
        .store
        .held_times(
            &access.org,
            busy_from.timestamp_millis(),
            busy_to.timestamp_millis(),
        )
        .await?;
    busy.extend(held.into_iter().map(|(start, end)| Interval {
        start: at_ms(start),
        end: at_ms(end),
    }));
    let rules = SlotRules {
        zone: zone_of(&settings.timezone),
        hours: &settings.booking.opening_hours,
        slot_minutes: settings.booking.slot_minutes,
        buffer_minutes: settings.booking.buffer_minutes,
        duration_minutes: duration,
    };
    Ok(free_slots(&rules, from, to, &busy))
}

/// The free slots nearest to `wanted` (for a `slot_taken` answer); empty if they cannot be
/// read now, since the refusal stands either way.
pub(super) async fn nearest_free(
    access: &mut Access<'_>,
    settings: &OrgSettings,
    duration: u32,
    wanted: DateTime<Utc>,
) -> Vec<Interval> {
    let from = (wanted - NEAREST_WINDOW).max(Utc::now());
    let to = wanted + NEAREST_WINDOW;
    match free_between(access, settings, duration, from, to).await {
        Ok(slots) => nearest(&slots, wanted, NEAREST),
        Err(err) => {
            tracing::warn!(org_id = %access.org, error = %err, "nearest free slots unavailable");
            Vec::new()
        }
    }
}
