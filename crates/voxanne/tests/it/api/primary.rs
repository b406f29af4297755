//! Which credential is primary after one is deleted.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::app::{TestApp, TestOrg};

async fn primary_flags(app: &TestApp, org: &TestOrg) -> Vec<(String, bool)> {
    let list = app.list_credentials(&org.key, "?type=twilio").await;
    list.body["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c: &Value| {
            (
                c["id"].as_str().unwrap().to_owned(),
                c["is_primary"] == true,
            )
        })
        .collect()
}

#[tokio::test]
async fn deleting_the_primary_promotes_the_oldest_remaining_active_credential_of_its_type() {
    let (app, org) = TestApp::with_org().await;
    let mut ids = Vec::new();
    for _ in 0..4 {
        let account = app.full_account().await;
        ids.push(app.add_token_credential(&org, &account).await);
    }
    let [first, second, third, fourth] = [&ids[0], &ids[1], &ids[2], &ids[3]];
    let paused = app
        .patch_credential(&org.key, second, &json!({"is_active": false}))
        .await;
    assert_eq!(paused.status, StatusCode::OK);

    let deleted = app.delete_credential(&org.key, first).await;

    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(
        primary_flags(&app, &org).await,
        vec![
            (second.clone(), false),
            (third.clone(), true),
            (fourth.clone(), false)
        ],
        "the oldest *active* one (the third) takes over"
    );
    // Deleting one that is not primary changes nothing.
    app.delete_credential(&org.key, fourth).await;
    assert_eq!(
        primary_flags(&app, &org).await,
        vec![(second.clone(), false), (third.clone(), true)]
    );
    // With no active credential left, none is primary (an inactive one is never promoted).
    app.delete_credential(&org.key, third).await;
    assert_eq!(
        primary_flags(&app, &org).await,
        vec![(second.clone(), false)]
    );
}

#[tokio::test]
async fn deactivating_or_unmarking_the_primary_hands_over_to_the_oldest_other_active_one() {
    let (app, org) = TestApp::with_org().await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(app.credential(&org).await);
    }
    let [first, second, third] = [&ids[0], &ids[1], &ids[2]];

    let steps = [
        (
            first,
            json!({"is_active": false}),
            [false, true, false],
            "deactivating the primary promotes the oldest other active one",
        ),
        (
            second,
            json!({"is_primary": false}),
            [false, false, true],
            "unmarking the primary promotes the oldest other active one",
        ),
    ];
    for (id, change, primaries, why) in steps {
        let changed = app.patch_credential(&org.key, id, &change).await;

        assert_eq!(changed.status, StatusCode::OK, "{}", changed.text);
        let expected: Vec<(String, bool)> = [first, second, third]
            .into_iter()
            .cloned()
            .zip(primaries)
            .collect();
        assert_eq!(primary_flags(&app, &org).await, expected, "{why}");
    }
}

#[tokio::test]
async fn unmarking_the_only_active_credential_as_primary_is_refused_naming_the_field() {
    let (app, org) = TestApp::with_org().await;
    let only = app.credential(&org).await;

    let refused = app
        .patch_credential(&org.key, &only, &json!({"is_primary": false}))
        .await;

    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert_eq!(refused.error_field(), Some("is_primary"));
    assert_eq!(primary_flags(&app, &org).await, vec![(only.clone(), true)]);
    // Deactivating it is allowed: nothing could send through it anyway.
    let paused = app
        .patch_credential(&org.key, &only, &json!({"is_active": false}))
        .await;
    assert_eq!(paused.status, StatusCode::OK);
}
