//! The settings page's sending quota: saved through the same use case as the JSON API.

use reqwest::StatusCode;

use super::client::Client;
use super::clinic;
use crate::support::app::TestApp;

#[tokio::test]
async fn the_settings_page_shows_and_saves_the_sending_quota_and_names_a_bad_limit() {
    let app = TestApp::spawn().await;
    let admin = clinic(&app, "owner@sunrise.example").await;
    let mut client = Client::new(&app);
    let csrf = client.sign_in(&admin).await;

    let shown = client.get("/dashboard/settings").await;
    let saved = client
        .post(
            "/dashboard/settings",
            &[
                ("csrf", &csrf),
                ("alert_recipients", ""),
                ("timezone", "UTC"),
                ("texts_per_minute", "30"),
                ("texts_per_day", "1,500"),
            ],
        )
        .await;
    let refused = client
        .post(
            "/dashboard/settings",
            &[
                ("csrf", &csrf),
                ("alert_recipients", ""),
                ("timezone", "Europe/Paris"),
                ("texts_per_minute", "many"),
                ("texts_per_day", ""),
            ],
        )
        .await;

    assert!(
        shown.text.contains("value=\"120\"") && shown.text.contains("value=\"5000\""),
        "{}",
        shown.text
    );
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text);
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text.contains("quota-error"), "{}", refused.text);
    let settings = app.get_settings(&admin.org.key).await.body;
    assert_eq!(
        (
            settings["texts_per_minute"].as_u64(),
            settings["texts_per_day"].as_u64(),
            settings["timezone"].as_str()
        ),
        (Some(30), Some(1500), Some("UTC")),
        "the refused form changed nothing"
    );
}
