//! The callback's `state`: single-use, expiring, bound to the organization, and unknown states
//! refused, each with a clear answer and nothing stored.

use reqwest::StatusCode;
use serde_json::json;
use url::Url;

use super::{
    BOTH, authorization_url, clinic_with_google_user, consent, follow, google_credentials,
    google_user, param,
};
use crate::support::app::TestApp;
use crate::support::raw;

#[tokio::test]
async fn a_state_used_once_is_refused_the_second_time() {
    let (app, org, email) = clinic_with_google_user().await;
    let url = authorization_url(&app, &org, json!({"login_hint": email})).await;
    let callback = consent(&url, "allow", BOTH).await;
    let first = follow(&app, &callback, false, None).await;

    let again = follow(&app, &callback, false, None).await;
    let again_json = follow(&app, &callback, true, None).await;

    assert_eq!(first.status, StatusCode::SEE_OTHER);
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert!(again.text.contains("already been used"), "{}", again.text);
    assert_eq!(again_json.error()["code"], "state_reused");
    assert_eq!(google_credentials(&app, &org.key).await.len(), 1);
}

#[tokio::test]
async fn an_expired_state_is_refused_and_nothing_is_stored() {
    let (app, org, email) = clinic_with_google_user().await;
    let url = authorization_url(&app, &org, json!({"login_hint": email})).await;
    let callback = consent(&url, "allow", BOTH).await;
    let state = param(&callback, "state").unwrap();
    raw::expire_oauth_state(&app.db, &voxanne::store::state_hash(&state)).await;

    let answer = follow(&app, &callback, true, None).await;

    answer.assert_error(StatusCode::BAD_REQUEST, "state_expired");
    assert_eq!(google_credentials(&app, &org.key).await.len(), 0);
}

#[tokio::test]
async fn an_unknown_or_missing_state_is_refused_with_a_page() {
    let app = TestApp::spawn_with_google().await;
    let org = app.org().await;
    let forged = Url::parse(&format!(
        "{}/oauth/google/callback?code=4/0forged&state=not-one-of-ours&scope=x",
        app.url
    ))
    .unwrap();
    let stateless =
        Url::parse(&format!("{}/oauth/google/callback?code=4/0forged", app.url)).unwrap();

    let unknown = follow(&app, &forged, false, None).await;
    let unknown_json = follow(&app, &forged, true, None).await;
    let missing = follow(&app, &stateless, true, None).await;

    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert!(
        unknown
            .text
            .contains("<h1>Google Calendar was not connected</h1>")
    );
    assert!(unknown.text.contains("not issued by Voxanne"));
    assert_eq!(unknown_json.error()["code"], "unknown_state");
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    assert_eq!(missing.error()["code"], "missing_state");
    assert_eq!(google_credentials(&app, &org.key).await.len(), 0);
}

#[tokio::test]
async fn another_organizations_state_is_refused_and_stays_usable_by_its_owner() {
    let app = TestApp::spawn_with_google().await;
    let (owner, other) = (app.org().await, app.org().await);
    let email = google_user(&app).await;
    let url = authorization_url(&app, &owner, json!({"login_hint": email})).await;
    let callback = consent(&url, "allow", BOTH).await;

    let foreign = follow(&app, &callback, true, Some(&other.key)).await;
    let own = follow(&app, &callback, true, Some(&owner.key)).await;

    foreign.assert_error(StatusCode::BAD_REQUEST, "foreign_state");
    assert_eq!(google_credentials(&app, &other.key).await.len(), 0);
    own.assert_status(StatusCode::OK);
    assert_eq!(google_credentials(&app, &owner.key).await.len(), 1);
}

#[tokio::test]
async fn a_state_lives_only_hashed_in_the_database() {
    let app = TestApp::spawn_with_google().await;
    let org = app.org().await;
    let url = authorization_url(&app, &org, json!({})).await;
    let state = param(&url, "state").unwrap();

    let hashes = raw::oauth_state_hashes(&app.db).await;

    assert_eq!(hashes, vec![voxanne::store::state_hash(&state)]);
    crate::support::Sentinel::from_text(&state).assert_absent(&app.db.raw_copy(), "the database");
}
