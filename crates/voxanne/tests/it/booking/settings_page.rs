//! The dashboard's settings page shows and saves the booking fields by the API's rules.

use reqwest::StatusCode;

use crate::api::app::TestApp;
use crate::dashboard::client::Client;

#[tokio::test]
async fn the_settings_page_saves_opening_hours_slot_and_buffer_and_names_a_wrong_day() {
    let app = TestApp::spawn().await;
    let clinic = crate::dashboard::clinic(&app, "owner@hours.example").await;
    let mut client = Client::new(&app);
    let csrf = client.sign_in(&clinic).await;

    let shown = client.get("/dashboard/settings").await;
    let wrong = client
        .post(
            "/dashboard/settings",
            &[
                ("csrf", csrf.as_str()),
                ("alert_recipients", ""),
                ("timezone", "UTC"),
                ("opening_hours", "mon 09:00-12:00\ntue 17:00-09:00"),
                ("slot_minutes", "30"),
                ("buffer_minutes", "0"),
            ],
        )
        .await;
    let saved = client
        .post(
            "/dashboard/settings",
            &[
                ("csrf", csrf.as_str()),
                ("alert_recipients", ""),
                ("timezone", "Europe/Berlin"),
                ("opening_hours", "mon 09:00-12:30, 13:30-17:00\nsat closed"),
                ("slot_minutes", "15"),
                ("buffer_minutes", "10"),
            ],
        )
        .await;
    let read = app.get_settings(&clinic.org.key).await;

    assert_eq!(shown.status, StatusCode::OK);
    assert!(shown.text.contains("mon 09:00-17:00"), "{}", shown.text);
    assert!(shown.text.contains("Slot length"), "{}", shown.text);
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        wrong.text.contains("id=\"opening_hours-error\""),
        "{}",
        wrong.text
    );
    assert!(wrong.text.contains("tue[0]"), "{}", wrong.text);
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text);
    assert_eq!(
        read.body["opening_hours"]["mon"],
        serde_json::json!([["09:00", "12:30"], ["13:30", "17:00"]])
    );
    assert_eq!(read.body["opening_hours"]["tue"], serde_json::json!([]));
    assert_eq!(read.body["slot_minutes"], 15);
    assert_eq!(read.body["buffer_minutes"], 10);
}
