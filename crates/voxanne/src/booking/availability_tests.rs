use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Tz;

use super::*;
use crate::opening_hours::OpeningHours;

fn week(day: &str, spans: &[(&str, &str)]) -> OpeningHours {
    let raw: Vec<Vec<String>> = spans
        .iter()
        .map(|(a, b)| vec![(*a).to_owned(), (*b).to_owned()])
        .collect();
    OpeningHours::parse([(day, raw.as_slice())]).unwrap()
}

fn at(zone: Tz, y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    zone.with_ymd_and_hms(y, mo, d, h, mi, 0)
        .earliest()
        .unwrap()
        .with_timezone(&Utc)
}

fn local(zone: Tz, slots: &[Interval]) -> Vec<String> {
    slots
        .iter()
        .map(|s| s.start.with_timezone(&zone).to_rfc3339())
        .collect()
}

fn rules(zone: Tz, hours: &OpeningHours, slot: u32, buffer: u32, duration: u32) -> SlotRules<'_> {
    SlotRules {
        zone,
        hours,
        slot_minutes: slot,
        buffer_minutes: buffer,
        duration_minutes: duration,
    }
}

#[test]
fn slots_fill_the_opening_spans_on_the_grid() {
    let zone = chrono_tz::America::New_York;
    // 2026-12-07 is a Monday.
    let hours = week("mon", &[("09:00", "10:30"), ("13:00", "14:00")]);
    let slots = free_slots(
        &rules(zone, &hours, 30, 0, 30),
        at(zone, 2026, 12, 7, 0, 0),
        at(zone, 2026, 12, 8, 0, 0),
        &[],
    );
    assert_eq!(
        local(zone, &slots),
        [
            "2026-12-07T09:00:00-05:00",
            "2026-12-07T09:30:00-05:00",
            "2026-12-07T10:00:00-05:00",
            "2026-12-07T13:00:00-05:00",
            "2026-12-07T13:30:00-05:00",
        ]
    );
}

#[test]
fn a_longer_appointment_needs_room_to_the_end_of_the_span() {
    let zone = chrono_tz::UTC;
    let hours = week("mon", &[("09:00", "10:30")]);
    let slots = free_slots(
        &rules(zone, &hours, 15, 0, 60),
        at(zone, 2026, 12, 7, 0, 0),
        at(zone, 2026, 12, 8, 0, 0),
        &[],
    );
    assert_eq!(
        local(zone, &slots),
        [
            "2026-12-07T09:00:00+00:00",
            "2026-12-07T09:15:00+00:00",
            "2026-12-07T09:30:00+00:00"
        ]
    );
}

#[test]
fn busy_time_and_its_buffer_are_left_out() {
    let zone = chrono_tz::UTC;
    let hours = week("mon", &[("09:00", "12:00")]);
    let busy = [Interval {
        start: at(zone, 2026, 12, 7, 10, 0),
        end: at(zone, 2026, 12, 7, 10, 30),
    }];
    let no_buffer = free_slots(
        &rules(zone, &hours, 30, 0, 30),
        at(zone, 2026, 12, 7, 0, 0),
        at(zone, 2026, 12, 8, 0, 0),
        &busy,
    );
    assert_eq!(no_buffer.len(), 5);
    let buffered = free_slots(
        &rules(zone, &hours, 30, 15, 30),
        at(zone, 2026, 12, 7, 0, 0),
        at(zone, 2026, 12, 8, 0, 0),
        &busy,
    );
    assert_eq!(
        local(zone, &buffered),
        [
            "2026-12-07T09:00:00+00:00",
            "2026-12-07T11:00:00+00:00",
            "2026-12-07T11:30:00+00:00"
        ]
    );
}

#[test]
fn the_window_cuts_slots_on_both_sides() {
    let zone = chrono_tz::UTC;
    let hours = week("mon", &[("09:00", "12:00")]);
    let slots = free_slots(
        &rules(zone, &hours, 30, 0, 30),
        at(zone, 2026, 12, 7, 9, 10),
        at(zone, 2026, 12, 7, 11, 0),
        &[],
    );
    assert_eq!(
        local(zone, &slots),
        [
            "2026-12-07T09:30:00+00:00",
            "2026-12-07T10:00:00+00:00",
            "2026-12-07T10:30:00+00:00"
        ]
    );
}

#[test]
fn new_york_opening_hours_keep_their_wall_clock_across_the_spring_change() {
    let zone = chrono_tz::America::New_York;
    // Clocks go from 02:00 to 03:00 on Sunday 2026-03-08.
    let hours = week("sun", &[("09:00", "10:00")]);
    let before = free_slots(
        &rules(zone, &hours, 60, 0, 60),
        at(zone, 2026, 3, 1, 0, 0),
        at(zone, 2026, 3, 2, 0, 0),
        &[],
    );
    let after = free_slots(
        &rules(zone, &hours, 60, 0, 60),
        at(zone, 2026, 3, 8, 0, 0),
        at(zone, 2026, 3, 9, 0, 0),
        &[],
    );
    assert_eq!(local(zone, &before), ["2026-03-01T09:00:00-05:00"]);
    assert_eq!(local(zone, &after), ["2026-03-08T09:00:00-04:00"]);
    assert_eq!(after[0].start.to_rfc3339(), "2026-03-08T13:00:00+00:00");
}

#[test]
fn a_span_across_the_spring_gap_is_an_hour_shorter() {
    let zone = chrono_tz::America::New_York;
    let hours = week("sun", &[("01:00", "04:00")]);
    let slots = free_slots(
        &rules(zone, &hours, 30, 0, 30),
        at(zone, 2026, 3, 8, 0, 0),
        at(zone, 2026, 3, 9, 0, 0),
        &[],
    );
    // 01:00–04:00 local is two real hours that day: 01:00, 01:30, 03:00, 03:30 by the wall clock.
    assert_eq!(
        local(zone, &slots),
        [
            "2026-03-08T01:00:00-05:00",
            "2026-03-08T01:30:00-05:00",
            "2026-03-08T03:00:00-04:00",
            "2026-03-08T03:30:00-04:00"
        ]
    );
}

#[test]
fn a_berlin_span_across_the_autumn_change_is_an_hour_longer() {
    let zone = chrono_tz::Europe::Berlin;
    // Clocks go from 03:00 back to 02:00 on Sunday 2026-10-25.
    let hours = week("sun", &[("01:00", "04:00")]);
    let slots = free_slots(
        &rules(zone, &hours, 60, 0, 60),
        at(zone, 2026, 10, 25, 0, 0),
        at(zone, 2026, 10, 26, 0, 0),
        &[],
    );
    assert_eq!(
        local(zone, &slots),
        [
            "2026-10-25T01:00:00+02:00",
            "2026-10-25T02:00:00+02:00",
            "2026-10-25T02:00:00+01:00",
            "2026-10-25T03:00:00+01:00"
        ]
    );
}

#[test]
fn berlin_hours_follow_summer_time_in_utc() {
    let zone = chrono_tz::Europe::Berlin;
    // Saturday 2026-03-28 is winter time, Monday 2026-03-30 summer time.
    let raw = vec![vec!["09:00".to_owned(), "09:30".to_owned()]];
    let hours = OpeningHours::parse([("sat", raw.as_slice()), ("mon", raw.as_slice())]).unwrap();
    let slots = free_slots(
        &rules(zone, &hours, 30, 0, 30),
        at(zone, 2026, 3, 28, 0, 0),
        at(zone, 2026, 3, 31, 0, 0),
        &[],
    );
    let utc: Vec<String> = slots.iter().map(|s| s.start.to_rfc3339()).collect();
    assert_eq!(
        utc,
        ["2026-03-28T08:00:00+00:00", "2026-03-30T07:00:00+00:00"]
    );
}

#[test]
fn a_slot_is_within_hours_only_inside_one_span() {
    let zone = chrono_tz::UTC;
    let hours = week("mon", &[("09:00", "12:00"), ("13:00", "17:00")]);
    let inside = Interval {
        start: at(zone, 2026, 12, 7, 11, 0),
        end: at(zone, 2026, 12, 7, 12, 0),
    };
    let across_lunch = Interval {
        start: at(zone, 2026, 12, 7, 11, 30),
        end: at(zone, 2026, 12, 7, 13, 30),
    };
    let sunday = Interval {
        start: at(zone, 2026, 12, 6, 10, 0),
        end: at(zone, 2026, 12, 6, 10, 30),
    };
    assert!(within_hours(zone, &hours, &inside));
    assert!(!within_hours(zone, &hours, &across_lunch));
    assert!(!within_hours(zone, &hours, &sunday));
}

#[test]
fn the_nearest_slots_come_back_in_time_order() {
    let zone = chrono_tz::UTC;
    let slot = |h| Interval {
        start: at(zone, 2026, 12, 7, h, 0),
        end: at(zone, 2026, 12, 7, h, 30),
    };
    let slots = [slot(8), slot(9), slot(11), slot(15)];
    let near = nearest(&slots, at(zone, 2026, 12, 7, 10, 0), 3);
    assert_eq!(near, [slot(8), slot(9), slot(11)]);
}

#[test]
fn a_clinic_open_round_the_clock_books_across_midnight() {
    let zone = chrono_tz::UTC;
    let mut hours = week("mon", &[("00:00", "24:00")]);
    hours.tue = hours.mon.clone();
    let across_midnight = Interval {
        start: at(zone, 2026, 12, 7, 22, 0),
        end: at(zone, 2026, 12, 8, 6, 0),
    };
    let into_wednesday = Interval {
        start: at(zone, 2026, 12, 8, 22, 0),
        end: at(zone, 2026, 12, 9, 0, 30),
    };
    assert!(within_hours(zone, &hours, &across_midnight));
    assert!(!within_hours(zone, &hours, &into_wednesday));
    let slots = free_slots(
        &rules(zone, &hours, 60, 0, 120),
        at(zone, 2026, 12, 7, 23, 0),
        at(zone, 2026, 12, 8, 2, 0),
        &[],
    );
    assert_eq!(
        local(zone, &slots),
        ["2026-12-07T23:00:00+00:00", "2026-12-08T00:00:00+00:00"]
    );
}
