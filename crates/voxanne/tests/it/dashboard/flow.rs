//! The first-run path in a browser: a Twilio account added with a wrong Auth Token and fixed,
//! verified, a test SMS watched to "delivered" in place, Google Calendar connected through the
//! stand-in's consent page and disconnected, a second account made primary, one disabled and
//! deleted, settings saved; the activity and audit pages show it all. One test does the sign-in
//! and first account by keyboard alone.

use std::time::{Duration, Instant};

use thirtyfour::prelude::*;

use super::browser::Browser;
use super::{Clinic, clinic};
use crate::api::app::{TestApp, TwilioAccount, random_number};
use crate::google_connect::google_user;

async fn sign_in(browser: &Browser, admin: &Clinic) {
    browser.goto("/dashboard").await;
    browser.fill("Email", &admin.email).await;
    browser.fill("Password", &admin.password).await;
    browser.press("Sign in").await;
}

/// Adds a Twilio account through the form; returns the account page's path.
async fn add_account(
    browser: &Browser,
    label: &str,
    account: &TwilioAccount,
    token: &str,
) -> String {
    browser.goto("/dashboard/twilio").await;
    browser.fill("Label", label).await;
    browser.fill("Account SID", &account.sid).await;
    browser.fill("Auth Token", token).await;
    browser.fill("From number", &account.number).await;
    browser.press("Add Twilio account").await;
    let path = browser.path().await;
    assert!(path.starts_with("/dashboard/twilio/cred_"), "{path}");
    path
}

/// Waits until the element `id`'s text contains `words`.
async fn wait_for_text(browser: &Browser, id: &str, words: &str) -> String {
    let started = Instant::now();
    loop {
        // The script replaces the element as the status changes: look it up afresh each time.
        let text = match browser.driver.find(By::Id(id)).await {
            Ok(element) => element.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        if text.contains(words) {
            return text;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "#{id} never said \"{words}\": {text}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn a_clinic_admin_sets_up_twilio_and_google_and_sees_what_happened() {
    let app = TestApp::spawn_with_google().await;
    let admin = clinic(&app, "owner@sunrise.example").await;
    let account = app.twilio_account("Full", "active").await;
    let second = app.twilio_account("Full", "active").await;
    let google = google_user(&app).await;
    let Some(browser) = Browser::start(&app.url).await else {
        return;
    };
    sign_in(&browser, &admin).await;
    browser.goto("/dashboard/twilio").await;
    browser.check_page("twilio-empty").await;

    // A wrong Auth Token: the account is stored, its verification fails in plain words.
    let wrong = format!(
        "{}{}",
        &account.token[..31],
        if account.token.ends_with('0') {
            '1'
        } else {
            '0'
        }
    );
    let page = add_account(&browser, "Front desk", &account, &wrong).await;
    let text = browser.main_text().await;
    assert!(text.contains("failed"), "{text}");
    assert!(text.contains("Fix:"), "{text}");
    assert!(
        !browser.page_text().await.contains(&wrong),
        "a secret is never shown"
    );
    browser.check_page("twilio-account-failed").await;

    // Fixed by replacing the secret; Verify with a number runs every check, each passes.
    browser.fill("Auth Token", &account.token).await;
    browser.press("Replace secret").await;
    assert!(
        browser
            .main_text()
            .await
            .contains("The secret was replaced")
    );
    let phone = random_number();
    browser.fill("Send test texts to", &phone).await;
    browser.press("Verify").await;
    let report = browser.text_of(By::ClassName("checks")).await;
    assert_eq!(report.matches("passed").count(), 4, "{report}");
    assert!(!report.contains("failed"), "{report}");

    // A test SMS: its status changes in place to "delivered"; the page neither leaves nor reloads.
    browser
        .driver
        .execute("window.stayedOnPage = true;", Vec::new())
        .await
        .unwrap();
    browser.fill("Send a test SMS to", &phone).await;
    let before = browser.path().await;
    browser.button("Send test SMS").await.click().await.unwrap();
    wait_for_text(&browser, "test-sms-status", "delivered").await;
    assert_eq!(browser.path().await, before);
    let stayed = browser
        .driver
        .execute("return window.stayedOnPage === true;", Vec::new())
        .await
        .unwrap();
    assert_eq!(
        stayed.json(),
        &serde_json::Value::Bool(true),
        "the page reloaded"
    );
    let status = browser
        .driver
        .find(By::Id("test-sms-status"))
        .await
        .unwrap();
    assert_eq!(
        status.attr("role").await.unwrap().as_deref(),
        Some("status")
    );
    browser.check_page("twilio-account").await;

    // Google Calendar through the stand-in's consent page, back on the calendar page.
    // First the admin declines on Google's page: back on the calendar page with the reason.
    browser.goto("/dashboard/calendar").await;
    browser.press("Connect Google Calendar").await;
    browser.press("Cancel").await;
    assert!(browser.path().await.starts_with("/dashboard/calendar"));
    let text = browser.main_text().await;
    assert!(
        text.contains("access was declined") && text.contains("No calendar is connected yet"),
        "{text}"
    );
    browser.check_page("calendar-declined").await;
    browser.press("Connect Google Calendar").await;
    browser.press("Continue").await;
    assert!(browser.path().await.starts_with("/dashboard/calendar"));
    let text = browser.main_text().await;
    assert!(
        text.contains("Google Calendar is connected") && text.contains(&google),
        "{text}"
    );
    assert!(text.contains("verified"), "{text}");
    browser.check_page("calendar").await;
    browser.press_in_row(&google, "Disconnect").await;
    browser.check_page("calendar-disconnect").await;
    browser.press("Yes, disconnect").await;
    let text = browser.main_text().await;
    assert!(
        text.contains("disconnected") && !text.contains(&google),
        "{text}"
    );

    // A second account becomes primary; the first is disabled, then deleted.
    add_account(&browser, "Back office", &second, &second.token).await;
    browser.press("Make primary").await;
    browser.goto("/dashboard/twilio").await;
    let primary_row = browser
        .driver
        .find(By::XPath(
            "//tbody/tr[.//span[normalize-space()='Primary']]",
        ))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(primary_row.contains("Back office"), "{primary_row}");
    browser.check_page("twilio").await;
    browser.goto(&page).await;
    browser.press("Disable").await;
    assert!(browser.main_text().await.contains("disabled"));
    browser.press("Delete").await;
    browser.press("Yes, delete").await;
    let list = browser.text_of(By::Tag("tbody")).await;
    assert!(
        !list.contains("Front desk") && list.contains("Back office"),
        "{list}"
    );

    // Settings: a wrong number is named next to its field; a good list is saved.
    browser.goto("/dashboard/settings").await;
    browser
        .fill("Alert recipients", "+14155550123\nnot a number")
        .await;
    browser.press("Save").await;
    let error = browser
        .driver
        .find(By::Id("alert_recipients-error"))
        .await
        .unwrap();
    assert!(!error.text().await.unwrap().is_empty());
    browser
        .fill("Alert recipients", &format!("{phone}\n"))
        .await;
    browser.fill("Time zone", "America/New_York").await;
    browser.press("Save").await;
    assert!(browser.main_text().await.contains("Saved."));
    browser.check_page("settings").await;

    // Activity: the test texts, newest first, with a timeline.
    browser.goto("/dashboard/activity").await;
    assert!(browser.main_text().await.contains("delivered"));
    browser.check_page("activity").await;
    // The table refreshes itself every second: follow the link's address rather than the node.
    let first = browser
        .driver
        .find(By::Css("#messages tbody tr a"))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    browser.goto(&first).await;
    assert!(browser.main_text().await.contains("Timeline"));
    browser.check_page("message").await;

    browser.goto("/dashboard").await;
    browser.check_page("overview").await;

    // The audit log names each change and who made it.
    browser.goto("/dashboard/audit").await;
    let log = browser.main_text().await;
    for action in [
        "credential.added",
        "credential.verified",
        "credential.secret_replaced",
        "credential.made_primary",
        "credential.disabled",
        "credential.deleted",
        "calendar.connected",
        "calendar.disconnected",
        "settings.updated",
    ] {
        assert!(log.contains(action), "{action} missing from {log}");
    }
    browser.quit().await;
}

/// Tabs to the element labelled `label` (a field) or reading `label` (a button).
async fn tab_to(browser: &Browser, target: &WebElement) {
    for _ in 0..80 {
        let active = browser.driver.active_element().await.unwrap();
        if active.element_id() == target.element_id() {
            return;
        }
        active.send_keys(Key::Tab).await.unwrap();
    }
    panic!("the element cannot be reached with the Tab key");
}

#[tokio::test]
async fn the_first_run_path_works_by_keyboard_alone() {
    let app = TestApp::spawn().await;
    let admin = clinic(&app, "owner@sunrise.example").await;
    let account = app.twilio_account("Full", "active").await;
    let Some(browser) = Browser::start(&app.url).await else {
        return;
    };
    browser.goto("/dashboard").await;
    let type_into = |label: &'static str, text: String| {
        let browser = &browser;
        async move {
            let field = browser.field(label).await;
            tab_to(browser, &field).await;
            browser
                .driver
                .active_element()
                .await
                .unwrap()
                .send_keys(text)
                .await
                .unwrap();
        }
    };
    type_into("Email", admin.email.clone()).await;
    type_into("Password", admin.password.clone()).await;
    let focused = browser.driver.active_element().await.unwrap();
    browser.navigating(focused.send_keys(Key::Enter)).await;
    assert_eq!(browser.path().await, "/dashboard");

    // To the Twilio page through the navigation, then the form, all with Tab and Enter.
    let link = browser.driver.find(By::LinkText("Twilio")).await.unwrap();
    tab_to(&browser, &link).await;
    browser.navigating(link.send_keys(Key::Enter)).await;
    assert_eq!(browser.path().await, "/dashboard/twilio");
    type_into("Account SID", account.sid.clone()).await;
    type_into("Auth Token", account.token.clone()).await;
    type_into("From number", account.number.clone()).await;
    let add = browser.button("Add Twilio account").await;
    tab_to(&browser, &add).await;
    browser.navigating(add.send_keys(Key::Enter)).await;
    assert!(browser.path().await.starts_with("/dashboard/twilio/cred_"));
    let verify = browser.button("Verify").await;
    tab_to(&browser, &verify).await;
    browser.navigating(verify.send_keys(Key::Enter)).await;
    let text = browser.main_text().await;
    assert!(
        text.contains("Verification finished") && text.contains("passed"),
        "{text}"
    );
    browser.quit().await;
}
