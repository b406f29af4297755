//! What a verification of a Google Calendar connection reports and records when Google is down
//! or the stored token was revoked.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{connected_clinic, connected_clinic_with_token_ttl, revoke_at_google, token_outage};

/// `(id, status)` of each check of a report.
fn checks(report: &Value) -> Vec<(String, String)> {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap().to_owned(),
                c["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_google_outage_during_verify_keeps_the_verified_status_and_says_to_try_again() {
    let (app, org, _, id) = connected_clinic_with_token_ttl(60).await;
    // Every attempt of the refresh (the server's backoff makes 4) meets a 503.
    token_outage(&app, 4).await;

    let report = app.verify(&org.key, &id, &json!({})).await;
    let shown = app.get_credential(&org.key, &id).await.body;
    let after = app.verify(&org.key, &id, &json!({})).await;

    report.assert_status(StatusCode::OK);
    assert_eq!(report.body["status"], "verified", "{}", report.text);
    let token = &report.body["checks"][0];
    assert_eq!(token["id"], "token");
    assert_eq!(token["status"], "fail");
    assert!(
        token["hint"]
            .as_str()
            .unwrap()
            .contains("Google was unavailable"),
        "{token}"
    );
    assert_eq!(shown["verification_status"], "verified");
    assert_eq!(after.body["status"], "verified", "{}", after.text);
    assert_eq!(
        checks(&after.body)
            .iter()
            .filter(|(_, s)| s == "pass")
            .count(),
        3
    );
}

#[tokio::test]
async fn a_revoked_stored_access_token_fails_the_token_check_and_skips_the_rest() {
    let (app, org, email, id) = connected_clinic().await;
    revoke_at_google(&app, &email).await;

    let report = app.verify(&org.key, &id, &json!({})).await;

    assert_eq!(report.body["status"], "needs_reconnect", "{}", report.text);
    let expected: Vec<(String, String)> = [
        ("token", "fail"),
        ("calendar_list", "skip"),
        ("primary_writable", "skip"),
    ]
    .iter()
    .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
    .collect();
    assert_eq!(checks(&report.body), expected, "{}", report.text);
    assert!(
        report.body["checks"][0]["hint"]
            .as_str()
            .unwrap()
            .contains(&id)
    );
}
