use reqwest::Method;
use voxanne::google::{Deletion, Error, ListEvents};

use super::{Stand, at, booking};

fn tagged(appointment: &str) -> ListEvents {
    ListEvents {
        private_property: Some(("voxanne_appointment".into(), appointment.into())),
        ..ListEvents::default()
    }
}

#[tokio::test]
async fn an_inserted_booking_is_found_by_its_private_property_and_keeps_its_zone() {
    let stand = Stand::start().await;
    let event = booking(
        "2026-12-01T15:00:00-05:00",
        "2026-12-01T15:30:00-05:00",
        "America/New_York",
        "appt_1",
    );

    let booked = stand
        .google
        .insert_event(&stand.token, "primary", &event)
        .await
        .unwrap();
    stand
        .google
        .insert_event(
            &stand.token,
            "primary",
            &booking(
                "2026-12-01T16:00:00-05:00",
                "2026-12-01T16:30:00-05:00",
                "America/New_York",
                "appt_2",
            ),
        )
        .await
        .unwrap();

    let found = stand
        .google
        .list_all_events(&stand.token, "primary", &tagged("appt_1"))
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].id, booked.id);
    assert_eq!(
        found[0].private_property("voxanne_appointment"),
        Some("appt_1")
    );
    let start = found[0].start.clone().unwrap();
    assert_eq!(start.date_time, Some(at("2026-12-01T15:00:00-05:00")));
    assert_eq!(start.time_zone.as_deref(), Some("America/New_York"));
    assert!(booked.html_link.is_some());
}

#[tokio::test]
async fn a_deleted_event_is_cancelled_hidden_from_lists_and_a_second_delete_is_already_gone() {
    let stand = Stand::start().await;
    let event = booking(
        "2026-12-02T09:00:00-05:00",
        "2026-12-02T09:30:00-05:00",
        "America/New_York",
        "appt_1",
    );
    let booked = stand
        .google
        .insert_event(&stand.token, "primary", &event)
        .await
        .unwrap();

    let first = stand
        .google
        .delete_event(&stand.token, "primary", &booked.id)
        .await
        .unwrap();
    let second = stand
        .google
        .delete_event(&stand.token, "primary", &booked.id)
        .await
        .unwrap();

    assert_eq!((first, second), (Deletion::Deleted, Deletion::AlreadyGone));
    let fetched = stand
        .google
        .get_event(&stand.token, "primary", &booked.id)
        .await
        .unwrap();
    assert!(fetched.is_cancelled());
    let visible = stand
        .google
        .list_all_events(&stand.token, "primary", &tagged("appt_1"))
        .await
        .unwrap();
    assert!(visible.is_empty());
    let with_deleted = ListEvents {
        show_deleted: true,
        ..tagged("appt_1")
    };
    let all = stand
        .google
        .list_all_events(&stand.token, "primary", &with_deleted)
        .await
        .unwrap();
    assert_eq!(all.len(), 1);
    assert!(all[0].is_cancelled());
    let (status, body) = stand
        .raw(
            Method::DELETE,
            &format!("calendars/primary/events/{}", booked.id),
            None,
        )
        .await;
    assert_eq!(status, 410);
    assert_eq!(body["error"]["errors"][0]["reason"], "deleted");
}

#[tokio::test]
async fn an_unknown_event_is_not_found_and_deleting_it_is_already_gone() {
    let stand = Stand::start().await;

    let got = stand
        .google
        .get_event(&stand.token, "primary", "nosuchevent01")
        .await;
    let deleted = stand
        .google
        .delete_event(&stand.token, "primary", "nosuchevent01")
        .await
        .unwrap();

    assert!(matches!(got, Err(Error::NotFound)), "{got:?}");
    assert_eq!(deleted, Deletion::AlreadyGone);
}

#[tokio::test]
async fn listing_in_pages_follows_every_page_in_start_order_within_the_window() {
    let stand = Stand::start().await;
    for hour in [13, 9, 11, 10, 12, 17] {
        let start = format!("2026-12-03T{hour:02}:00:00-05:00");
        let end = format!("2026-12-03T{hour:02}:30:00-05:00");
        let event = booking(&start, &end, "America/New_York", &format!("appt_{hour}"));
        stand
            .google
            .insert_event(&stand.token, "primary", &event)
            .await
            .unwrap();
    }
    let window = ListEvents {
        time_min: Some(at("2026-12-03T09:30:00-05:00")),
        time_max: Some(at("2026-12-03T17:00:00-05:00")),
        single_events: true,
        max_results: Some(2),
        ..ListEvents::default()
    };

    let first = stand
        .google
        .list_events(&stand.token, "primary", &window)
        .await
        .unwrap();
    let all = stand
        .google
        .list_all_events(&stand.token, "primary", &window)
        .await
        .unwrap();

    assert_eq!(first.items.len(), 2);
    assert!(first.next_page_token.is_some());
    assert_eq!(first.time_zone.as_deref(), Some("America/New_York"));
    let hours: Vec<u32> = all
        .iter()
        .map(|e| chrono::Timelike::hour(&e.start.clone().unwrap().date_time.unwrap()))
        .collect();
    // 09:00–09:30 ends at the window's start and 17:00 starts at its end: both outside.
    assert_eq!(hours, [10, 11, 12, 13]);
}

#[tokio::test]
async fn writing_to_a_calendar_shared_read_only_is_forbidden() {
    let stand = Stand::start().await;
    let holidays = stand.calendar("Holidays").await;
    let event = booking(
        "2026-12-04T09:00:00-05:00",
        "2026-12-04T09:30:00-05:00",
        "America/New_York",
        "appt_1",
    );

    let result = stand
        .google
        .insert_event(&stand.token, &holidays, &event)
        .await;

    assert!(
        matches!(&result, Err(Error::Forbidden { reason }) if reason == "forbidden"),
        "{result:?}"
    );
}

#[tokio::test]
async fn a_bad_access_token_is_unauthenticated() {
    let stand = Stand::start().await;
    let wrong = secrecy::SecretString::from("ya29.not-a-token".to_owned());

    let result = stand
        .google
        .list_events(&wrong, "primary", &ListEvents::default())
        .await;

    assert!(matches!(result, Err(Error::Unauthenticated)), "{result:?}");
}
