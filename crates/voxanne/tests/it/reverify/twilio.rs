//! Twilio credentials re-checked on the schedule: a suspended account fails (and a hot lead is
//! refused up front), a reactivated one recovers, an unanswering Twilio changes nothing but is
//! recorded, and three such runs in a row raise the "recheck failed" signal once.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::{app_rechecking_every, last_check, metric, metrics_of, wait_for_credential};
use crate::support::app::random_number;

const WITHIN: Duration = Duration::from_secs(15);

#[tokio::test]
async fn a_suspended_account_fails_within_an_interval_refuses_hot_leads_and_recovers_when_reactivated()
 {
    let (app, org) = app_rechecking_every(1).await;
    let account = app.full_account().await;
    let id = app.add_token_credential(&org, &account).await;
    wait_for_credential(&app, &org, &id, WITHIN, "the first re-check", |c| {
        c["last_check_outcome"] == "verified"
    })
    .await;

    app.suspend(&account).await;
    let failed = wait_for_credential(&app, &org, &id, WITHIN, "failing the credential", |c| {
        c["last_check_outcome"] == "failed"
    })
    .await;
    let lead = json!({"lead": {"name": "Maria Lopez", "phone": random_number(), "reason": "Knee pain"}, "to": [random_number()]});
    let refused = app
        .call(
            Method::POST,
            "/api/messages/hot-lead",
            Some(&org.key),
            Some(&lead),
        )
        .await;

    assert_eq!(failed["verification_status"], "failed");
    let account_check = last_check(&failed, "account");
    assert_eq!(account_check["status"], "fail");
    assert!(
        account_check["message"]
            .as_str()
            .unwrap()
            .contains("suspended"),
        "{account_check}"
    );
    assert!(failed["last_checked_at"].is_string() && failed["next_check_at"].is_string());
    assert!(
        failed["last_verification"]["checks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|check| check["id"] != "generic_sms" && check["id"] != "hot_lead_sms"),
        "a re-check sends no test text: {failed:#}"
    );
    assert!(refused.status.is_client_error(), "{}", refused.text);
    assert_eq!(
        refused.error()["code"],
        "credential_failed",
        "{}",
        refused.text
    );
    assert!(app.inbox(&account.number).await.is_empty());

    app.sandbox
        .control(
            Method::PATCH,
            &format!("/accounts/{}", account.sid),
            json!({"status": "active"}),
        )
        .await;
    let recovered = wait_for_credential(&app, &org, &id, WITHIN, "recovering", |c| {
        c["verification_status"] == "verified" && c["last_check_outcome"] == "verified"
    })
    .await;
    assert_eq!(recovered["last_check_outcome"], "verified");
    let accepted = app
        .call(
            Method::POST,
            "/api/messages/hot-lead",
            Some(&org.key),
            Some(&lead),
        )
        .await;
    accepted.assert_status(StatusCode::ACCEPTED);
}

#[tokio::test]
async fn twilio_answering_503_the_whole_time_could_not_check_keeps_the_status_and_signals_once_after_three()
 {
    let (app, org) = app_rechecking_every(1).await;
    let account = app.full_account().await;
    let id = app.add_token_credential(&org, &account).await;
    wait_for_credential(&app, &org, &id, WITHIN, "the first re-check", |c| {
        c["last_check_outcome"] == "verified"
    })
    .await;
    let failed_series = "voxanne_credential_recheck_failed_total";
    assert_eq!(metric(&metrics_of(&app.url).await, failed_series), 0);

    let body =
        json!({"account_sid": account.sid, "fault": "503", "count": 10_000, "retry_after": 1});
    app.sandbox.control(Method::POST, "/faults", body).await;
    let unchecked = wait_for_credential(&app, &org, &id, WITHIN, "could not check", |c| {
        c["last_check_outcome"] == "could_not_check"
    })
    .await;

    assert_eq!(unchecked["verification_status"], "verified");
    let account_check = last_check(&unchecked, "account");
    assert_eq!(account_check["status"], "fail");
    assert_eq!(account_check["could_not_check"], true, "{account_check}");
    assert_eq!(account_check["twilio_code"], 20503);

    // Three runs in a row that could not check raise the signal; later ones do not repeat it.
    let started = std::time::Instant::now();
    while metric(&metrics_of(&app.url).await, failed_series) == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no recheck-failed signal"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let runs_series = "voxanne_credential_rechecks_total{outcome=\"could_not_check\"}";
    let at_signal = metric(&metrics_of(&app.url).await, runs_series);
    assert_eq!(at_signal, 3);
    while metric(&metrics_of(&app.url).await, runs_series) < 5 {
        assert!(started.elapsed() < Duration::from_secs(45), "no more runs");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let text = metrics_of(&app.url).await;
    assert_eq!(metric(&text, failed_series), 1, "{text}");
    let still = app.get_credential(&org.key, &id).await.body;
    assert_eq!(still["verification_status"], "verified");
    assert_eq!(still["last_check_outcome"], "could_not_check");
}
