//! Sessions, CSRF, headers, throttling and tenancy, over plain HTTP (forged requests that a
//! browser would refuse to make).

use reqwest::StatusCode;

use super::client::{Client, cookie};
use super::clinic;
use crate::api::app::TestApp;

#[tokio::test]
async fn every_dashboard_page_carries_the_security_headers_and_loads_only_our_own_files() {
    let app = TestApp::spawn().await;
    let admin = clinic(&app, "owner@sunrise.example").await;
    let mut client = Client::new(&app);
    let signed_out = client.get("/dashboard/sign-in").await;
    client.sign_in(&admin).await;
    let mut pages = vec![signed_out];
    for path in [
        "/dashboard",
        "/dashboard/team",
        "/dashboard/api-keys",
        "/dashboard/audit",
    ] {
        let page = client.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        pages.push(page);
    }
    for page in &pages {
        let header = |name: &str| page.headers.get(name).unwrap().to_str().unwrap().to_owned();
        let csp = header("content-security-policy");
        assert!(csp.contains("default-src 'self'"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        assert_eq!(header("cache-control"), "no-store");
        assert_eq!(header("x-frame-options"), "DENY");
        // No inline script or style, nothing from another origin.
        assert!(!page.text.contains("<script>"), "{}", page.text);
        assert!(!page.text.contains(" style="), "{}", page.text);
        assert!(!page.text.contains("src=\"http"), "{}", page.text);
        assert!(!page.text.contains("href=\"http"), "{}", page.text);
    }
    for asset in ["dashboard.css", "dashboard.js", "icon.svg"] {
        let answer = client.get(&format!("/dashboard/assets/{asset}")).await;
        assert_eq!(answer.status, StatusCode::OK, "{asset}");
    }
}

#[tokio::test]
async fn the_root_and_signed_out_visits_lead_to_sign_in_and_only_back_to_our_pages() {
    let app = TestApp::spawn().await;
    let admin = clinic(&app, "owner@sunrise.example").await;
    let client = Client::new(&app);
    assert_eq!(client.get("/").await.location(), Some("/dashboard"));
    assert_eq!(
        client
            .get("/dashboard/audit?action=admin.added")
            .await
            .location(),
        Some("/dashboard/sign-in?next=%2Fdashboard%2Faudit%3Faction%3Dadmin.added")
    );
    // A `next` pointing at another site is dropped: signing in lands on the overview.
    let mut client = Client::new(&app);
    let form = client
        .get("/dashboard/sign-in?next=https%3A%2F%2Fevil.example%2F")
        .await;
    assert!(
        form.text.contains("name=\"next\" value=\"\""),
        "{}",
        form.text
    );
    client.cookies = cookie(&form.headers, "voxanne_sign_in").unwrap();
    let token = form.hidden("form_token").unwrap();
    let done = client
        .post_sign_in(&admin, &token, &[("next", "//evil.example/dashboard")])
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert_eq!(done.location(), Some("/dashboard"));
}

#[tokio::test]
async fn the_session_cookie_is_http_only_and_lax_and_host_prefixed_and_secure_behind_https() {
    let app = TestApp::spawn_with(|server| {
        server.public_url = Some("https://clinic.example".to_owned());
    })
    .await;
    let admin = clinic(&app, "owner@sunrise.example").await;
    let mut client = Client::new(&app);
    let form = client.get("/dashboard/sign-in").await;
    let set = form.headers.get("set-cookie").unwrap().to_str().unwrap();
    assert!(set.starts_with("__Host-voxanne_sign_in="), "{set}");
    client.cookies = cookie(&form.headers, "__Host-voxanne_sign_in").unwrap();
    let token = form.hidden("form_token").unwrap();
    let done = client.post_sign_in(&admin, &token, &[]).await;
    let session = done
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .find(|v| v.starts_with("__Host-voxanne_session="))
        .unwrap();
    for attribute in ["Path=/", "HttpOnly", "SameSite=Lax", "Secure"] {
        assert!(session.contains(attribute), "{session}");
    }
    assert!(!session.contains("Domain"), "{session}");
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_email_get_the_same_words_and_guessing_is_slowed() {
    let app = TestApp::spawn().await;
    let admin = clinic(&app, "owner@sunrise.example").await;
    let attempt = |email: &'static str, password: &'static str| {
        let client = Client::new(&app);
        async move {
            let mut client = client;
            let form = client.get("/dashboard/sign-in").await;
            client.cookies = cookie(&form.headers, "voxanne_sign_in").unwrap();
            let token = form.hidden("form_token").unwrap();
            client
                .post(
                    "/dashboard/sign-in",
                    &[
                        ("email", email),
                        ("password", password),
                        ("form_token", &token),
                    ],
                )
                .await
        }
    };
    let wrong = attempt("owner@sunrise.example", "not the password").await;
    let unknown = attempt("nobody@sunrise.example", "not the password").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    let message = "The e-mail or password is not right.";
    assert!(wrong.text.contains(message) && unknown.text.contains(message));
    assert!(cookie(&wrong.headers, "voxanne_session").is_none());
    for _ in 0..4 {
        attempt("owner@sunrise.example", "still wrong").await;
    }
    // Slowed, with a clear message, even for the right password: no guess gets through.
    let slowed = attempt("owner@sunrise.example", super::PASSWORD).await;
    assert_eq!(slowed.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        slowed.text.contains("Too many sign-in attempts. Wait"),
        "{}",
        slowed.text
    );
    // Another admin is not slowed.
    let other = clinic(&app, "other@sunrise.example").await;
    let mut client = Client::new(&app);
    client.sign_in(&other).await;
    assert_eq!(admin.email, "owner@sunrise.example");
}

#[tokio::test]
async fn a_post_without_the_csrf_token_or_from_another_site_is_403_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let admin = clinic(&app, "owner@sunrise.example").await;
    let mut client = Client::new(&app);
    let csrf = client.sign_in(&admin).await;
    let keys_before = app.store.list_api_keys(&admin.org.id).await.unwrap().len();

    let no_token = client
        .post("/dashboard/api-keys", &[("name", "Forged")])
        .await;
    let wrong_token = client
        .post("/dashboard/api-keys", &[("name", "Forged"), ("csrf", "x")])
        .await;
    let cross_site = client
        .post_with(
            "/dashboard/api-keys",
            &[("name", "Forged"), ("csrf", &csrf)],
            &[("sec-fetch-site", "cross-site")],
        )
        .await;
    let other_origin = client
        .post_with(
            "/dashboard/api-keys",
            &[("name", "Forged"), ("csrf", &csrf)],
            &[("origin", "https://evil.example")],
        )
        .await;
    for page in [&no_token, &wrong_token, &cross_site, &other_origin] {
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{}", page.text);
    }
    assert_eq!(
        app.store.list_api_keys(&admin.org.id).await.unwrap().len(),
        keys_before
    );
    let sign_out = client.post("/dashboard/sign-out", &[]).await;
    assert_eq!(sign_out.status, StatusCode::FORBIDDEN);
    assert_eq!(client.get("/dashboard/team").await.status, StatusCode::OK);

    // With the token, from our own page, it works.
    let made = client
        .post(
            "/dashboard/api-keys",
            &[("name", "Backend"), ("csrf", &csrf)],
        )
        .await;
    assert_eq!(made.status, StatusCode::OK, "{}", made.text);
    assert!(made.text.contains("id=\"new-api-key\""));

    // Only that one change is in the audit log, with who and from where; the CSV says the same.
    let csv = client.get("/dashboard/audit.csv").await;
    assert_eq!(
        csv.headers.get("content-type").unwrap(),
        "text/csv; charset=utf-8"
    );
    let lines: Vec<&str> = csv.text.lines().collect();
    assert_eq!(lines.len(), 2, "{}", csv.text);
    assert!(lines[1].contains(",owner@sunrise.example,admin,api_key.created,Backend (key_"));
    assert!(lines[1].ends_with(",127.0.0.1"), "{}", lines[1]);
}

#[tokio::test]
async fn sign_out_ends_the_session_on_the_server() {
    let app = TestApp::spawn().await;
    let admin = clinic(&app, "owner@sunrise.example").await;
    let mut client = Client::new(&app);
    let csrf = client.sign_in(&admin).await;
    let out = client.post("/dashboard/sign-out", &[("csrf", &csrf)]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(out.location(), Some("/dashboard/sign-in"));
    assert!(
        out.headers
            .get("set-cookie")
            .unwrap()
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    // The old cookie, replayed, no longer signs anyone in.
    let replayed = client.get("/dashboard/team").await;
    assert_eq!(replayed.status, StatusCode::SEE_OTHER);
    assert!(
        replayed
            .location()
            .unwrap()
            .starts_with("/dashboard/sign-in")
    );
}

#[tokio::test]
async fn the_last_admin_cannot_be_removed_and_a_removed_admin_is_signed_out() {
    let app = TestApp::spawn().await;
    let owner = clinic(&app, "owner@sunrise.example").await;
    let mut client = Client::new(&app);
    let csrf = client.sign_in(&owner).await;
    let me = app.store.list_users(&owner.org.id).await.unwrap()[0].clone();
    let refused = client
        .post(
            &format!("/dashboard/team/{}/remove", me.id),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert!(refused.text.contains("last admin"), "{}", refused.text);

    // A second admin, signed in elsewhere, is removed: their session ends at once.
    let added = client
        .post(
            "/dashboard/team",
            &[("email", "helper@sunrise.example"), ("csrf", &csrf)],
        )
        .await;
    let password = added
        .text
        .split("id=\"one-time-password\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .unwrap()
        .to_owned();
    let helper = super::Clinic {
        org: owner.org.clone(),
        email: "helper@sunrise.example".to_owned(),
        password,
    };
    let mut helper_client = Client::new(&app);
    helper_client.sign_in(&helper).await;
    let helper_user = app
        .store
        .list_users(&owner.org.id)
        .await
        .unwrap()
        .into_iter()
        .find(|user| user.email == "helper@sunrise.example")
        .unwrap();
    let removed = client
        .post(
            &format!("/dashboard/team/{}/remove", helper_user.id),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(removed.status, StatusCode::OK, "{}", removed.text);
    assert_eq!(
        helper_client.get("/dashboard/team").await.status,
        StatusCode::SEE_OTHER
    );
}

/// Ages every session in the test database: `column` set to the year 2000.
async fn age_sessions(app: &TestApp, column: &str) {
    use crate::support::raw::RawPool;
    let changed = match &app.db.raw {
        RawPool::Sqlite(pool) => sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE dashboard_sessions SET {column} = '2000-01-01T00:00:00+00:00'"
        )))
        .execute(pool)
        .await
        .unwrap()
        .rows_affected(),
        RawPool::Postgres(pool) => sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE dashboard_sessions SET {column} = TIMESTAMPTZ '2000-01-01 00:00:00+00'"
        )))
        .execute(pool)
        .await
        .unwrap()
        .rows_affected(),
    };
    assert!(changed > 0);
}

#[tokio::test]
async fn a_session_ends_when_idle_too_long_or_too_old() {
    let app = TestApp::spawn().await;
    let admin = clinic(&app, "owner@sunrise.example").await;
    for column in ["last_seen_at", "created_at"] {
        let mut client = Client::new(&app);
        client.sign_in(&admin).await;
        assert_eq!(client.get("/dashboard/team").await.status, StatusCode::OK);
        age_sessions(&app, column).await;
        let expired = client.get("/dashboard/team").await;
        assert_eq!(expired.status, StatusCode::SEE_OTHER, "{column}");
        assert!(
            expired
                .location()
                .unwrap()
                .starts_with("/dashboard/sign-in")
        );
    }
}
