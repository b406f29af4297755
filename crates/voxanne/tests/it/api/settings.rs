//! `GET/PUT /api/organization/settings`.

use reqwest::StatusCode;
use serde_json::json;

use crate::support::app::TestApp;

#[tokio::test]
async fn settings_start_empty_in_utc_and_a_put_normalizes_and_dedupes_the_numbers() {
    let (app, org) = TestApp::with_org().await;
    let initial = app.get_settings(&org.key).await;
    assert_eq!(initial.body["alert_recipients"], json!([]));
    assert_eq!(initial.body["timezone"], "UTC");
    assert_eq!(initial.body["texts_per_minute"], 120);
    assert_eq!(initial.body["texts_per_day"], 5000);

    let answer = app
        .put_settings(&org.key, &json!({"alert_recipients": ["+14155552671", " +14155552671", "+442071838750"], "timezone": "America/New_York"}))
        .await;

    answer.assert_status(StatusCode::OK);
    let expected = json!({"alert_recipients": ["+14155552671", "+442071838750"], "timezone": "America/New_York", "texts_per_minute": 120, "texts_per_day": 5000});
    // The booking fields (tested with booking) come along; these are the ones put and the quota.
    let put = |body: &serde_json::Value| json!({"alert_recipients": body["alert_recipients"], "timezone": body["timezone"], "texts_per_minute": body["texts_per_minute"], "texts_per_day": body["texts_per_day"]});
    assert_eq!(put(&answer.body), expected);
    assert_eq!(put(&app.get_settings(&org.key).await.body), expected);
}

#[tokio::test]
async fn a_bad_recipient_or_time_zone_is_refused_naming_the_field() {
    let (app, org) = TestApp::with_org().await;

    let number = app
        .put_settings(
            &org.key,
            &json!({"alert_recipients": ["+14155552671", "555-2671"], "timezone": "UTC"}),
        )
        .await;
    let zone = app
        .put_settings(
            &org.key,
            &json!({"alert_recipients": [], "timezone": "Mars/Olympus"}),
        )
        .await;
    let too_many: Vec<String> = (0..21).map(|i| format!("+1415555{i:04}")).collect();
    let crowd = app
        .put_settings(
            &org.key,
            &json!({"alert_recipients": too_many, "timezone": "UTC"}),
        )
        .await;

    number.assert_invalid("alert_recipients[1]");
    zone.assert_invalid("timezone");
    crowd.assert_invalid("alert_recipients");
    zone.assert_error_says("hint", "America/New_York");
}
