//! Free slots: the clinic's opening hours on each local day, cut into slots on the clinic's
//! grid, minus busy time widened by the buffer. Pure: the caller brings the busy time (Google's
//! and Voxanne's own bookings), so this is tested without a calendar.

use chrono::{DateTime, Datelike, Days, LocalResult, NaiveDate, NaiveDateTime, TimeDelta, Utc};
use chrono_tz::Tz;

use crate::opening_hours::{ClockTime, OpeningHours, Span};

/// A busy or free interval `[start, end)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Interval {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

impl Interval {
    pub fn overlaps(&self, other: &Interval) -> bool {
        self.start < other.end && other.start < self.end
    }
}

/// How slots are cut: the clinic's zone, hours, grid and buffer, and the length asked for.
#[derive(Clone, Debug)]
pub struct SlotRules<'a> {
    pub zone: Tz,
    pub hours: &'a OpeningHours,
    /// Slots start every `slot_minutes` from the start of each opening span.
    pub slot_minutes: u32,
    /// Free time kept before and after every busy interval.
    pub buffer_minutes: u32,
    pub duration_minutes: u32,
}

/// The instant a local wall-clock time names. In a spring-forward gap (02:30 on the night
/// clocks jump to 03:00) the time does not exist: the first instant after the gap stands for
/// it, as a clock on the wall would show. In a fall-back hour it exists twice: the earlier one.
fn instant(zone: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    match local.and_local_timezone(zone) {
        LocalResult::Single(at) | LocalResult::Ambiguous(at, _) => at.with_timezone(&Utc),
        LocalResult::None => {
            // Gaps are at most a few hours; walk forward by minutes to the first valid one.
            let mut probe = local;
            for _ in 0..(4 * 60) {
                probe += TimeDelta::minutes(1);
                if let Some(at) = probe.and_local_timezone(zone).earliest() {
                    return at.with_timezone(&Utc);
                }
            }
            local.and_utc()
        }
    }
}

/// The instant a span's edge names on local day `date` (`24:00` is the next day's midnight).
fn edge(zone: Tz, date: NaiveDate, time: ClockTime) -> DateTime<Utc> {
    match time.naive() {
        Some(t) => instant(zone, date.and_time(t)),
        None => {
            let next = date.checked_add_days(Days::new(1)).unwrap_or(date);
            instant(zone, next.and_time(chrono::NaiveTime::MIN))
        }
    }
}

/// The opening spans that touch `[from, to)`, as instants, in order. Spans that meet (one
/// ends at `24:00`, the next day's starts at `00:00`, or `12:00` ends one and starts the next)
/// are one stretch of open time: a clinic open round the clock takes a booking across midnight.
pub fn open_intervals(
    zone: Tz,
    hours: &OpeningHours,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<Interval> {
    let first = from.with_timezone(&zone).date_naive().pred_opt();
    let last = to.with_timezone(&zone).date_naive();
    let mut out = Vec::new();
    let Some(mut date) = first else {
        return out;
    };
    while date <= last {
        for Span { start, end } in hours.day(date.weekday()) {
            let span = Interval {
                start: edge(zone, date, *start),
                end: edge(zone, date, *end),
            };
            if span.start < span.end && span.start < to && from < span.end {
                match out.last_mut() {
                    Some(last) if last.end == span.start => last.end = span.end,
                    _ => out.push(span),
                }
            }
        }
        let Some(next) = date.succ_opt() else { break };
        date = next;
    }
    out
}

/// The free slots of `rules.duration_minutes` starting in `[from, to)` and ending by `to`,
/// inside opening hours, clear of `busy` by the buffer on both sides.
pub fn free_slots(
    rules: &SlotRules<'_>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    busy: &[Interval],
) -> Vec<Interval> {
    let step = TimeDelta::minutes(i64::from(rules.slot_minutes.max(1)));
    let length = TimeDelta::minutes(i64::from(rules.duration_minutes.max(1)));
    let buffer = TimeDelta::minutes(i64::from(rules.buffer_minutes));
    let blocked: Vec<Interval> = busy
        .iter()
        .map(|b| Interval {
            start: b.start - buffer,
            end: b.end + buffer,
        })
        .collect();
    let mut slots = Vec::new();
    for open in open_intervals(rules.zone, rules.hours, from, to) {
        let mut start = open.start;
        while start + length <= open.end {
            let slot = Interval {
                start,
                end: start + length,
            };
            if slot.start >= from && slot.end <= to && !blocked.iter().any(|b| b.overlaps(&slot)) {
                slots.push(slot);
            }
            start += step;
        }
    }
    slots
}

/// Whether `slot` lies wholly inside one opening span.
pub fn within_hours(zone: Tz, hours: &OpeningHours, slot: &Interval) -> bool {
    open_intervals(zone, hours, slot.start, slot.end)
        .iter()
        .any(|open| open.start <= slot.start && slot.end <= open.end)
}

/// Whether `slot`, widened by the buffer, is clear of `busy`.
pub fn is_free(slot: &Interval, buffer_minutes: u32, busy: &[Interval]) -> bool {
    let buffer = TimeDelta::minutes(i64::from(buffer_minutes));
    busy.iter().all(|b| {
        !Interval {
            start: b.start - buffer,
            end: b.end + buffer,
        }
        .overlaps(slot)
    })
}

/// Up to `count` of `slots` nearest to `wanted`, in time order.
pub fn nearest(slots: &[Interval], wanted: DateTime<Utc>, count: usize) -> Vec<Interval> {
    let mut by_distance: Vec<Interval> = slots.to_vec();
    by_distance.sort_by_key(|s| (s.start - wanted).abs());
    by_distance.truncate(count);
    by_distance.sort_by_key(|s| s.start);
    by_distance
}

#[cfg(test)]
#[path = "availability_tests.rs"]
mod tests;
