//! The dashboard in a real browser: what an admin sees and does, with an accessibility audit and
//! a screenshot of every page.

use std::time::Duration;

use reqwest::StatusCode;
use thirtyfour::prelude::*;

use super::browser::Browser;
use super::{Clinic, clinic};
use crate::api::app::TestApp;

async fn sign_in(browser: &Browser, admin: &Clinic) {
    browser.fill("Email", &admin.email).await;
    browser.fill("Password", &admin.password).await;
    browser.press("Sign in").await;
}

#[tokio::test]
async fn signing_in_returns_to_the_page_asked_for_and_a_wrong_password_says_so() {
    let app = TestApp::spawn().await;
    let admin = clinic(&app, "owner@sunrise.example").await;
    let Some(browser) = Browser::start(&app.url).await else {
        return;
    };

    browser.goto("/dashboard/audit").await;
    assert!(browser.path().await.starts_with("/dashboard/sign-in"));
    browser.check_page("sign-in").await;

    browser.fill("Email", &admin.email).await;
    browser.fill("Password", "not the password").await;
    browser.press("Sign in").await;
    let text = browser.main_text().await;
    assert!(
        text.contains("The e-mail or password is not right."),
        "{text}"
    );
    browser.check_page("sign-in-wrong-password").await;

    browser.fill("Password", &admin.password).await;
    browser.press("Sign in").await;
    assert_eq!(browser.path().await, "/dashboard/audit");
    browser.quit().await;
}

#[tokio::test]
async fn an_admin_manages_the_team_and_api_keys_and_reads_the_audit_log() {
    let app = TestApp::spawn().await;
    let admin = clinic(&app, "owner@sunrise.example").await;
    let Some(browser) = Browser::start(&app.url).await else {
        return;
    };
    browser.goto("/").await;
    sign_in(&browser, &admin).await;
    assert_eq!(browser.path().await, "/dashboard");
    browser.check_page("overview").await;

    // Team: add an admin (the one-time password is shown once), then remove them.
    browser.goto("/dashboard/team").await;
    browser.fill("Email", "helper@sunrise.example").await;
    browser.press("Add admin").await;
    let password = browser.text_of(By::Id("one-time-password")).await;
    assert!(password.len() >= 12, "{password}");
    browser.check_page("team").await;
    let helper = app
        .store
        .verify_user_password("helper@sunrise.example", password.into())
        .await;
    assert!(
        helper.is_ok(),
        "the one-time password signs the new admin in"
    );
    browser.goto("/dashboard/team").await;
    browser
        .press_in_row("helper@sunrise.example", "Remove")
        .await;
    browser.check_page("team-remove").await;
    browser.press("Yes, remove").await;
    assert!(
        browser
            .main_text()
            .await
            .contains("helper@sunrise.example was removed")
    );
    assert_eq!(app.store.list_users(&admin.org.id).await.unwrap().len(), 1);

    // API keys: create one (shown once) that the JSON API accepts, revoke it: refused at once.
    browser.goto("/dashboard/api-keys").await;
    browser.fill("Name", "Receptionist backend").await;
    browser.press("Create API key").await;
    let key = browser.text_of(By::Id("new-api-key")).await;
    assert_eq!(app.get_settings(&key).await.status, StatusCode::OK);
    browser.check_page("api-keys").await;
    browser.goto("/dashboard/api-keys").await;
    assert!(
        !browser.page_text().await.contains(&key),
        "a key is shown only once"
    );
    browser.press_in_row("Receptionist backend", "Revoke").await;
    browser.check_page("api-key-revoke").await;
    browser.press("Yes, revoke").await;
    assert!(browser.main_text().await.contains("is revoked"));
    assert_eq!(
        app.get_settings(&key).await.status,
        StatusCode::UNAUTHORIZED
    );

    // The audit log lists each change, with who made it; the filter narrows it.
    browser.goto("/dashboard/audit").await;
    let log = browser.main_text().await;
    for action in [
        "admin.added",
        "admin.removed",
        "api_key.created",
        "api_key.revoked",
    ] {
        assert!(log.contains(action), "{action} missing from {log}");
    }
    assert!(log.contains("owner@sunrise.example"));
    browser.check_page("audit").await;
    let select = browser.field("Action").await;
    select
        .find(By::XPath("./option[normalize-space()='api_key.revoked']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser.press("Filter").await;
    let filtered = browser.text_of(By::Tag("tbody")).await;
    assert!(
        filtered.contains("api_key.revoked") && !filtered.contains("admin.added"),
        "{filtered}"
    );

    // An unknown page inside the dashboard.
    browser.goto("/dashboard/no-such-page").await;
    assert!(browser.main_text().await.contains("Not found"));
    browser.check_page("not-found").await;
    browser.quit().await;
}

#[tokio::test]
async fn after_sign_out_the_back_button_shows_no_data() {
    let app = TestApp::spawn().await;
    let admin = clinic(&app, "owner@sunrise.example").await;
    let Some(browser) = Browser::start(&app.url).await else {
        return;
    };
    browser.goto("/dashboard/team").await;
    sign_in(&browser, &admin).await;
    assert!(browser.main_text().await.contains("owner@sunrise.example"));
    browser.press("Sign out").await;
    assert_eq!(browser.path().await, "/dashboard/sign-in");

    browser.navigating(browser.driver.back()).await;
    // A page restored from the back/forward cache reloads itself (and the server then sends the
    // sign-in page): wait for that, then look.
    let started = std::time::Instant::now();
    while !browser.path().await.starts_with("/dashboard/sign-in")
        && started.elapsed() < Duration::from_secs(10)
    {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    browser.settle().await;
    let text = browser.page_text().await;
    assert!(
        !text.contains("owner@sunrise.example"),
        "the page before sign-out is shown again: {text}"
    );
    assert!(browser.path().await.starts_with("/dashboard/sign-in"));
    browser.quit().await;
}
