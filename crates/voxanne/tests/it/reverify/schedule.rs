//! When re-checks happen: a change or a verification by hand pushes the next one a whole
//! interval on, and a Google grant revoked at Google is found by the next one.

use std::num::NonZeroU64;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::{app_rechecking_every, wait_for_credential};
use crate::google_connect::{connect, google_user, revoke_at_google};
use crate::support::app::TestApp;

fn next_check(credential: &Value) -> Option<DateTime<Utc>> {
    credential["next_check_at"]
        .as_str()
        .map(|at| at.parse().unwrap())
}

#[tokio::test]
async fn a_change_or_a_verification_by_hand_pushes_the_next_check_a_whole_interval_on() {
    // 20 s: long enough that no re-check runs during the test, and the scheduler polls each second.
    let (app, org) = app_rechecking_every(20).await;
    let added_at = Utc::now();
    let id = app.credential(&org).await;
    let scheduled =
        wait_for_credential(&app, &org, &id, Duration::from_secs(5), "scheduling", |c| {
            c["next_check_at"].is_string()
        })
        .await;
    let first = next_check(&scheduled).unwrap();
    assert!(first >= added_at + chrono::Duration::seconds(17), "{first}");
    assert!(scheduled["last_checked_at"].is_null());
    tokio::time::sleep(Duration::from_secs(5)).await;

    let changed_at = Utc::now();
    app.patch_credential(&org.key, &id, &json!({"label": "Front desk"}))
        .await
        .assert_status(reqwest::StatusCode::OK);
    let pushed = wait_for_credential(
        &app,
        &org,
        &id,
        Duration::from_secs(5),
        "re-scheduling",
        |c| next_check(c).is_some_and(|at| at != first),
    )
    .await;
    let after_change = next_check(&pushed).unwrap();
    assert!(
        after_change >= changed_at + chrono::Duration::seconds(18),
        "{after_change}"
    );

    tokio::time::sleep(Duration::from_secs(2)).await;
    let verified_at = Utc::now();
    app.verify(&org.key, &id, &json!({}))
        .await
        .assert_status(reqwest::StatusCode::OK);
    let again = wait_for_credential(
        &app,
        &org,
        &id,
        Duration::from_secs(5),
        "re-scheduling",
        |c| next_check(c).is_some_and(|at| at != after_change),
    )
    .await;
    assert!(next_check(&again).unwrap() >= verified_at + chrono::Duration::seconds(18));
    assert!(
        again["last_checked_at"].is_null(),
        "no re-check ran: {again:#}"
    );
}

#[tokio::test]
async fn a_google_grant_revoked_at_google_is_found_and_the_calendar_needs_reconnecting() {
    let app = TestApp::spawn_with_google_and(|server| {
        server.reverify_interval_secs = NonZeroU64::new(1).unwrap();
    })
    .await;
    let org = app.org().await;
    let email = google_user(&app).await;
    let id = connect(&app, &org, &email).await;
    let within = Duration::from_secs(15);
    let checked = wait_for_credential(&app, &org, &id, within, "the first re-check", |c| {
        c["last_check_outcome"] == "verified"
    })
    .await;
    assert_eq!(checked["verification_status"], "verified");

    revoke_at_google(&app, &email).await;
    let revoked = wait_for_credential(&app, &org, &id, within, "needing a reconnect", |c| {
        c["last_check_outcome"] == "needs_reconnect"
    })
    .await;

    assert_eq!(revoked["verification_status"], "needs_reconnect");
    // Off the schedule until the clinic reconnects: nothing to ask Google.
    let last = revoked["last_checked_at"].clone();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let later = app.get_credential(&org.key, &id).await.body;
    assert_eq!(later["last_checked_at"], last);
    assert_eq!(later["verification_status"], "needs_reconnect");
}
