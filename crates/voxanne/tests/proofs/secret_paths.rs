//! Sentinel secrets through every path of the running service that handles one, over HTTP: Twilio
//! Auth Tokens and API key secrets (created, verified, replaced, used to send, deleted, through
//! the API and the dashboard), Voxanne API keys, an admin's password and sessions, a one-time
//! password, a Google connection and its tokens, webhook signing secrets (created, rotated, used
//! to sign), the master key and the Google client secret. Then every HTTP answer (status, headers,
//! body), every dashboard page, the trace-level logs and the database files (or a `pg_dump`) are
//! searched for each of them in every encoding: 0 hits. An answer that shows a secret by design
//! (where it is made) is blanked for that secret only.

mod drivers;

use base64::Engine;
use reqwest::{Method, StatusCode};
use voxanne::store::Role;

use self::drivers::{code, google_paths, none, twilio_paths, webhook_paths};
use crate::captured::{Captured, Reply};
use crate::size::{database, report};
use crate::support::Sentinel;
use crate::support::app::TestApp;
use crate::support::logs::CapturedLogs;

#[tokio::test(flavor = "current_thread")]
async fn no_secret_handled_over_http_appears_in_answers_pages_logs_or_the_database() {
    let logs = CapturedLogs::start();
    let app = TestApp::spawn_with_google_and(|server| server.allow_insecure_webhooks = true).await;
    let org = app.org().await;
    let mut http = Captured::new(&app.url);
    let password = Sentinel::new();
    let wrong_password = Sentinel::new();
    let email = format!("owner-{}@clinic.example", &org.id.as_str()[4..12]);
    app.store
        .create_user(&org.id, &email, password.secret(), Role::Owner)
        .await
        .unwrap();
    let mut secrets: Vec<String> = vec![
        org.key.clone(),
        app.master_key.clone(),
        password.text().to_owned(),
        wrong_password.text().to_owned(),
    ];

    // The dashboard: a wrong password, then the right one; the session it sets.
    let mut sessions = Vec::new();
    for attempt in [&wrong_password, &password] {
        let form = http.page("/dashboard/sign-in").await;
        http.cookies = format!(
            "voxanne_sign_in={}",
            form.cookie("voxanne_sign_in").unwrap()
        );
        let token = form.hidden("form_token").unwrap();
        let session = |reply: &Reply| -> Vec<String> {
            reply.cookie("voxanne_session").into_iter().collect()
        };
        let fields = [
            ("email", email.as_str()),
            ("password", attempt.text()),
            ("form_token", token.as_str()),
        ];
        let signed = http.form("/dashboard/sign-in", &fields, session).await;
        sessions.extend(signed.cookie("voxanne_session"));
    }
    let session = sessions.last().cloned().expect("signed in");
    http.cookies = format!("voxanne_session={session}");
    let csrf = http.page("/dashboard/team").await.hidden("csrf").unwrap();

    secrets.extend(twilio_paths(&app, &mut http, &org.key, &csrf).await);
    secrets.extend(webhook_paths(&mut http, &org.key, &csrf).await);
    secrets.extend(google_paths(&app, &mut http, &org.id, &org.key).await);

    // A Voxanne API key made on the dashboard, then used; a second admin's one-time password.
    let made = http
        .form(
            "/dashboard/api-keys",
            &[("csrf", csrf.as_str()), ("name", "Receptionist")],
            |r| vec![code(r, "new-api-key")],
        )
        .await;
    let new_key = code(&made, "new-api-key");
    http.api(Method::GET, "/api/messages", &new_key, None, none)
        .await;
    let added = http
        .form(
            "/dashboard/team",
            &[("csrf", csrf.as_str()), ("email", "front@clinic.example")],
            |r| vec![code(r, "one-time-password")],
        )
        .await;
    let one_time = code(&added, "one-time-password");
    secrets.extend([new_key, one_time, session]);

    // Every page, then sign out.
    let pages = [
        "/dashboard",
        "/dashboard/twilio",
        "/dashboard/api-keys",
        "/dashboard/team",
        "/dashboard/webhooks",
        "/dashboard/settings",
        "/dashboard/calendar",
        "/dashboard/activity",
        "/dashboard/audit",
        "/dashboard/audit.csv",
    ];
    for page in pages {
        let shown = http.page(page).await;
        assert_eq!(shown.status, StatusCode::OK, "{page}: {}", shown.text);
    }
    http.form("/dashboard/sign-out", &[("csrf", csrf.as_str())], none)
        .await;

    let master_raw = base64::engine::general_purpose::STANDARD
        .decode(&app.master_key)
        .unwrap();
    let sentinels: Vec<Sentinel> = secrets.iter().map(|s| Sentinel::from_text(s)).collect();
    let log_bytes = logs.bytes();
    let database_bytes = app.db.raw_copy();
    assert!(
        String::from_utf8_lossy(&log_bytes).contains("credential stored"),
        "the capture saw no service logs, so it proves nothing"
    );
    // The secrets shown where they are made were there: the capture saw what it searches.
    let blanked = |bytes: &[u8]| {
        String::from_utf8_lossy(bytes)
            .matches("[shown once]")
            .count()
    };
    assert!(
        blanked(&http.api) >= 2 && blanked(&http.pages) >= 5,
        "the shown-once secrets were not where they are made"
    );
    let places: [(&str, &[u8]); 4] = [
        ("HTTP answers", &http.api),
        ("dashboard pages", &http.pages),
        ("trace-level logs", &log_bytes),
        (
            if database() == "postgres" {
                "pg_dump"
            } else {
                "the SQLite files and -wal"
            },
            &database_bytes,
        ),
    ];
    for (place, bytes) in places {
        for sentinel in &sentinels {
            sentinel.assert_absent(bytes, place);
        }
        assert!(
            !crate::support::sentinel::contains(bytes, &master_raw),
            "the master key's bytes in {place}"
        );
    }
    report(&format!(
        "{} secrets handled over HTTP (Twilio tokens and API key secrets, API keys, passwords, sessions, Google tokens and client secret, webhook secrets, master key): 0 hits in {} HTTP answers ({} bytes), {} dashboard pages ({} bytes), trace-level logs ({} bytes), {} ({} bytes)",
        sentinels.len(),
        http.api_answers,
        http.api.len(),
        http.page_answers,
        http.pages.len(),
        log_bytes.len(),
        places[3].0,
        database_bytes.len(),
    ));
}
