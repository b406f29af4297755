//! `POST/GET/DELETE /api/calendar/appointments`: the event written with the lead, idempotency,
//! opening hours, tenancy, cancel.

use reqwest::StatusCode;
use serde_json::json;

use super::{Clinic, booking, events_of};

#[tokio::test]
async fn a_booking_writes_one_event_with_the_lead_in_the_clinics_zone() {
    let clinic = Clinic::new("America/New_York").await;

    let answer = clinic
        .book(
            &json!({
                "start": "2030-01-08T15:00:00-05:00",
                "duration_minutes": 30,
                "lead": {"name": "Maria Lopez", "phone": "+14155552671", "reason": "Cleaning"},
                "notes": "Prefers the afternoon",
            }),
            None,
        )
        .await;

    answer.assert_status(StatusCode::CREATED);
    let id = answer.body["id"].as_str().unwrap();
    assert!(id.starts_with("appt_"), "{}", answer.text);
    assert_eq!(answer.body["status"], "booked");
    assert_eq!(answer.body["start"], "2030-01-08T15:00:00-05:00");
    assert_eq!(answer.body["end"], "2030-01-08T15:30:00-05:00");
    assert_eq!(answer.body["lead"]["phone"], "+14155552671");
    let events = clinic.events().await;
    let mine = events_of(&events, id);
    assert_eq!(mine.len(), 1, "{events:?}");
    let event = mine[0];
    assert_eq!(answer.body["google_event_id"], event["id"]);
    assert!(
        answer.body["html_link"].as_str().is_some(),
        "{}",
        answer.text
    );
    let summary = event["summary"].as_str().unwrap();
    assert!(
        summary.contains("Maria Lopez") && summary.contains("Cleaning"),
        "{summary}"
    );
    let description = event["description"].as_str().unwrap();
    assert!(
        description.contains("Prefers the afternoon"),
        "{description}"
    );
    assert_eq!(event["start"]["timeZone"], "America/New_York");
    let read = clinic.appointment(id).await;
    read.assert_status(StatusCode::OK);
    assert_eq!(read.body["status"], "booked");
}

#[tokio::test]
async fn the_same_idempotency_key_twice_books_one_event_and_another_body_is_refused() {
    let clinic = Clinic::new("UTC").await;
    let body = booking("2030-01-08T10:00:00Z", 30);

    let first = clinic.book(&body, Some("call-42/book")).await;
    let again = clinic.book(&body, Some("call-42/book")).await;
    let other = clinic
        .book(&booking("2030-01-08T11:00:00Z", 30), Some("call-42/book"))
        .await;

    first.assert_status(StatusCode::CREATED);
    again.assert_status(StatusCode::CREATED);
    assert_eq!(again.body["id"], first.body["id"]);
    assert_eq!(again.headers["idempotent-replayed"], "true");
    other.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(other.error()["code"], "idempotency_key_reused");
    assert_eq!(clinic.events().await.len(), 1);
}

#[tokio::test]
async fn a_time_outside_opening_hours_is_refused_naming_start() {
    let clinic = Clinic::new("Europe/Berlin").await;
    clinic
        .settings(json!({"opening_hours": {"tue": [["09:00", "12:00"]]}}))
        .await;

    // 11:45 + 30 minutes runs past noon; Monday is closed.
    let late = clinic
        .book(&booking("2030-01-08T11:45:00+01:00", 30), None)
        .await;
    let closed = clinic
        .book(&booking("2030-01-07T10:00:00+01:00", 30), None)
        .await;

    for answer in [&late, &closed] {
        answer.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(answer.error()["code"], "outside_opening_hours");
        assert_eq!(answer.error_field(), Some("start"));
    }
    assert!(clinic.events().await.is_empty());
}

#[tokio::test]
async fn control_characters_and_bad_numbers_are_refused_naming_the_field() {
    let clinic = Clinic::new("UTC").await;
    let mut body = booking("2030-01-08T10:00:00Z", 30);
    body["lead"]["name"] = json!("Maria\u{0}Lopez");
    let mut phone = booking("2030-01-08T10:00:00Z", 30);
    phone["lead"]["phone"] = json!("555");

    let name = clinic.book(&body, None).await;
    let number = clinic.book(&phone, None).await;

    name.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(name.error_field(), Some("lead.name"));
    number.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(number.error_field(), Some("lead.phone"));
}

#[tokio::test]
async fn cancel_deletes_the_google_event_and_keeps_the_appointment_canceled() {
    let clinic = Clinic::new("UTC").await;
    let booked = clinic
        .book(&booking("2030-01-08T10:00:00Z", 30), None)
        .await;
    let id = booked.body["id"].as_str().unwrap();

    let canceled = clinic.cancel(id).await;
    let again = clinic.cancel(id).await;
    let read = clinic.appointment(id).await;
    // The slot is free again.
    let rebooked = clinic
        .book(&booking("2030-01-08T10:00:00Z", 30), None)
        .await;

    canceled.assert_status(StatusCode::OK);
    assert_eq!(canceled.body["status"], "canceled");
    again.assert_status(StatusCode::OK);
    assert_eq!(read.body["status"], "canceled");
    let all = clinic.all_events().await;
    let first = events_of(&all, id);
    assert_eq!(first.len(), 1);
    assert_eq!(first[0]["status"], "cancelled");
    rebooked.assert_status(StatusCode::CREATED);
}

#[tokio::test]
async fn canceling_after_the_calendar_connection_was_removed_says_so_and_keeps_the_appointment() {
    let clinic = Clinic::new("UTC").await;
    let booked = clinic
        .book(&booking("2030-01-08T10:00:00Z", 30), None)
        .await;
    let id = booked.body["id"].as_str().unwrap();
    clinic
        .app
        .delete_credential(&clinic.org.key, &clinic.credential_id)
        .await
        .assert_status(StatusCode::NO_CONTENT);

    let canceled = clinic.cancel(id).await;
    let read = clinic.appointment(id).await;

    // Not a 404: the appointment exists; what is gone is the way to its event.
    canceled.assert_status(StatusCode::CONFLICT);
    assert_eq!(canceled.body["error"]["code"], "calendar_removed");
    assert_eq!(read.body["status"], "booked");
}

#[tokio::test]
async fn another_organizations_appointment_ids_answer_404() {
    let clinic = Clinic::new("UTC").await;
    let booked = clinic
        .book(&booking("2030-01-08T10:00:00Z", 30), None)
        .await;
    let id = booked.body["id"].as_str().unwrap();
    let other = clinic.app.org().await;

    let path = format!("/api/calendar/appointments/{id}");
    let read = clinic
        .app
        .call(reqwest::Method::GET, &path, Some(&other.key), None)
        .await;
    let cancel = clinic
        .app
        .call(reqwest::Method::DELETE, &path, Some(&other.key), None)
        .await;
    let garbage = clinic.appointment("appt_nope").await;

    read.assert_status(StatusCode::NOT_FOUND);
    cancel.assert_status(StatusCode::NOT_FOUND);
    garbage.assert_status(StatusCode::NOT_FOUND);
    assert_eq!(clinic.appointment(id).await.body["status"], "booked");
}

#[tokio::test]
async fn appointments_are_listed_in_a_window() {
    let clinic = Clinic::new("UTC").await;
    clinic
        .book(&booking("2030-01-08T10:00:00Z", 30), None)
        .await;
    clinic
        .book(&booking("2030-01-09T10:00:00Z", 30), None)
        .await;

    let answer = clinic
        .app
        .call(
            reqwest::Method::GET,
            "/api/calendar/appointments?from=2030-01-08T00:00:00Z&to=2030-01-09T00:00:00Z",
            Some(&clinic.org.key),
            None,
        )
        .await;

    answer.assert_status(StatusCode::OK);
    let listed = answer.body["appointments"].as_array().unwrap();
    assert_eq!(listed.len(), 1, "{}", answer.text);
    assert_eq!(listed[0]["start"], "2030-01-08T10:00:00+00:00");
}

#[tokio::test]
async fn a_hot_lead_with_its_appointment_says_when_it_is_booked_in_one_segment() {
    let clinic = Clinic::new("America/New_York").await;
    clinic.app.credential(&clinic.org).await;
    let booked = clinic
        .book(&booking("2030-01-08T15:00:00-05:00", 30), None)
        .await;
    let id = booked.body["id"].as_str().unwrap();
    let lead =
        json!({"name": "Maria Lopez", "phone": "+14155552671", "reason": "New patient cleaning"});
    let to = crate::support::app::random_number();

    let alert = clinic
        .app
        .call(
            reqwest::Method::POST,
            "/api/messages/hot-lead",
            Some(&clinic.org.key),
            Some(&json!({"lead": lead, "to": [to], "appointment_id": id})),
        )
        .await;
    let unknown = clinic
        .app
        .call(
            reqwest::Method::POST,
            "/api/messages/hot-lead",
            Some(&clinic.org.key),
            Some(&json!({"lead": lead, "to": [to], "appointment_id": "appt_0000000000000000000000000a"})),
        )
        .await;

    alert.assert_status(StatusCode::ACCEPTED);
    let message = &alert.body["messages"][0];
    let body = message["body"].as_str().unwrap();
    assert!(body.contains("\nBooked Jan 8 3:00 PM"), "{body}");
    assert_eq!(message["segments"], 1);
    // An appointment this clinic does not have answers 404, as another one's would.
    unknown.assert_error(StatusCode::NOT_FOUND, "appointment_not_found");
    assert_eq!(unknown.error_field(), Some("appointment_id"));
}

#[tokio::test]
async fn a_credential_of_the_wrong_kind_answers_404_like_a_missing_one() {
    let clinic = Clinic::new("UTC").await;
    let twilio = clinic.app.credential(&clinic.org).await;
    let mut body = booking("2030-01-08T10:00:00Z", 30);
    body["credential_id"] = json!(twilio);

    let booked = clinic.book(&body, None).await;
    let free = clinic
        .availability(&format!(
            "from=2030-01-08T00:00:00Z&to=2030-01-09T00:00:00Z&credential_id={twilio}"
        ))
        .await;
    let reconnect = clinic
        .app
        .call(
            reqwest::Method::POST,
            "/api/organization/credentials/google_calendar/connect",
            Some(&clinic.org.key),
            Some(&json!({"credential_id": twilio})),
        )
        .await;
    let sms = clinic
        .app
        .call(
            reqwest::Method::POST,
            "/api/messages",
            Some(&clinic.org.key),
            Some(
                &json!({"to": "+14155552671", "body": "hi", "credential_id": clinic.credential_id}),
            ),
        )
        .await;

    booked.assert_error(StatusCode::NOT_FOUND, "credential_not_found");
    assert_eq!(booked.error_field(), Some("credential_id"));
    free.assert_error(StatusCode::NOT_FOUND, "credential_not_found");
    reconnect.assert_status(StatusCode::NOT_FOUND);
    sms.assert_error(StatusCode::NOT_FOUND, "credential_not_found");
    assert_eq!(sms.error_field(), Some("credential_id"));
}

#[tokio::test]
async fn a_hot_lead_naming_another_organizations_appointment_answers_404() {
    let clinic = Clinic::new("UTC").await;
    let booked = clinic
        .book(&booking("2030-01-08T10:00:00Z", 30), None)
        .await;
    let other = clinic.app.org().await;
    clinic.app.credential(&other).await;
    let lead = json!({"name": "Maria Lopez", "phone": "+14155552671", "reason": "Cleaning"});

    let alert = clinic
        .app
        .call(
            reqwest::Method::POST,
            "/api/messages/hot-lead",
            Some(&other.key),
            Some(
                &json!({"lead": lead, "to": [crate::support::app::random_number()],
                          "appointment_id": booked.body["id"]}),
            ),
        )
        .await;

    alert.assert_error(StatusCode::NOT_FOUND, "appointment_not_found");
}
