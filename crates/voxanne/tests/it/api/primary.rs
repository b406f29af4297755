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
