//! Voxanne's Google client against the sandbox's Google stand-in, over real sockets: the PKCE
//! flow driven through the consent page like a browser, refresh, revocation and the Calendar calls.

use std::time::Duration;

use crate::support::Fetch;
use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use url::Url;
use voxanne::google::{
    Backoff, CALENDAR_EVENTS, CALENDAR_LIST_READONLY, Error, ErrorKind, EventTime, GoogleClient,
    GoogleConfig, NewEvent, REQUESTED_SCOPES, Revoked, TokenSet, check_scopes,
};

const EMAIL: &str = "front-desk@clinic.example";

/// The Google stand-in on a port of its own, with one OAuth client and one user registered.
struct Stand {
    url: String,
    http: reqwest::Client,
    client_id: String,
    client_secret: String,
    redirect: Url,
}

impl Stand {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            axum::serve(listener, sandbox::google::router())
                .await
                .unwrap()
        });
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let redirect = Url::parse("http://127.0.0.1:9/oauth/google/callback").unwrap();
        let client: Value = http
            .post(format!("{url}/sandbox/google/clients"))
            .json(&json!({"redirect_uris": [redirect.as_str()]}))
            .fetch_json()
            .await;
        let stand = Self {
            client_id: client["client_id"].as_str().unwrap().to_owned(),
            client_secret: client["client_secret"].as_str().unwrap().to_owned(),
            url,
            http,
            redirect,
        };
        stand
            .control("POST", "/sandbox/google/users", json!({"email": EMAIL}))
            .await;
        stand
    }

    fn client(&self) -> GoogleClient {
        self.client_with_secret(&self.client_secret)
    }

    fn client_with_secret(&self, secret: &str) -> GoogleClient {
        let secret = SecretString::from(secret.to_owned());
        let config =
            GoogleConfig::sandbox(&self.url, &self.client_id, secret, self.redirect.clone())
                .unwrap();
        GoogleClient::new(config).unwrap()
    }

    async fn control(&self, method: &str, path: &str, body: Value) -> Value {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        self.http
            .request(method, format!("{}{path}", self.url))
            .json(&body)
            .expect_json(path)
            .await
    }

    /// Opens `authorization_url` like a browser, ticks only `keep` on the consent page, submits,
    /// and returns the callback URL the browser is sent to.
    async fn consent(&self, authorization_url: &Url, decision: &str, keep: &[&str]) -> Url {
        let page = self
            .http
            .get(authorization_url.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), StatusCode::OK);
        let html = page.text().await.unwrap();
        let value_after = |prefix: &str| {
            html.split(prefix)
                .nth(1)
                .and_then(|rest| rest.split('"').next())
                .unwrap()
                .to_owned()
        };
        let mut form = vec![
            (
                "consent_id".to_owned(),
                value_after("name=\"consent_id\" value=\""),
            ),
            ("user".to_owned(), value_after("name=\"user\" value=\"")),
            ("decision".to_owned(), decision.to_owned()),
        ];
        form.extend(keep.iter().map(|s| ("scope".to_owned(), (*s).to_owned())));
        let response = self
            .http
            .post(format!("{}/o/oauth2/v2/auth", self.url))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FOUND);
        Url::parse(response.headers()["location"].to_str().unwrap()).unwrap()
    }

    /// The whole connect flow with the scopes in `keep` ticked; returns the tokens.
    async fn connect(&self, google: &GoogleClient, keep: &[&str]) -> Result<TokenSet, Error> {
        let (url, verifier) = google.authorization_url("org-state-1", Some(EMAIL));
        let callback = self.consent(&url, "allow", keep).await;
        google
            .exchange_code(&param(&callback, "code").unwrap(), &verifier)
            .await
    }
}

impl Stand {
    /// The stand-in with a client whose grant of both scopes is already connected.
    async fn connected() -> (Self, GoogleClient, TokenSet) {
        let stand = Self::start().await;
        let google = stand.client();
        let tokens = stand.connect(&google, BOTH).await.unwrap();
        (stand, google, tokens)
    }
}

/// Refreshes the grant behind `tokens` through `google`.
async fn refresh(google: &GoogleClient, tokens: &TokenSet) -> Result<TokenSet, Error> {
    google.refresh(tokens.refresh_token.as_ref().unwrap()).await
}

fn param(url: &Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

const BOTH: &[&str] = &[CALENDAR_EVENTS, CALENDAR_LIST_READONLY];

#[tokio::test]
async fn the_full_pkce_flow_through_the_consent_page_yields_a_working_offline_grant() {
    let stand = Stand::start().await;
    let google = stand.client();

    let (url, verifier) = google.authorization_url("org-state-1", None);
    let callback = stand.consent(&url, "allow", BOTH).await;
    let tokens = google
        .exchange_code(&param(&callback, "code").unwrap(), &verifier)
        .await
        .unwrap();

    for (name, value) in [
        ("access_type", "offline"),
        ("prompt", "consent"),
        ("code_challenge_method", "S256"),
    ] {
        assert_eq!(param(&url, name).as_deref(), Some(value), "{name}");
    }
    assert_eq!(param(&url, "scope").unwrap(), REQUESTED_SCOPES.join(" "));
    assert_eq!(param(&callback, "state").as_deref(), Some("org-state-1"));
    assert!(tokens.refresh_token.is_some());
    assert_eq!(tokens.expires_in, Some(Duration::from_secs(3599)));
    let access = check_scopes(&tokens.scopes).unwrap();
    assert!(access.book_events && access.list_calendars);
    let page = google
        .calendar_list(&tokens.access_token, 10, None)
        .await
        .unwrap();
    assert_eq!(page.items[0].id, EMAIL);
    assert!(page.items[0].primary);
    let primary = google
        .probe_primary_writable(&tokens.access_token)
        .await
        .unwrap();
    assert_eq!(primary.access_role, "owner");
}

#[tokio::test]
async fn a_code_exchanged_with_another_flows_verifier_is_invalid_grant() {
    let stand = Stand::start().await;
    let google = stand.client();
    let (url, _) = google.authorization_url("s", None);
    let (_, other_verifier) = google.authorization_url("s2", None);
    let callback = stand.consent(&url, "allow", BOTH).await;

    let error = google
        .exchange_code(&param(&callback, "code").unwrap(), &other_verifier)
        .await
        .unwrap_err();

    assert!(
        matches!(&error, Error::InvalidGrant { description } if description == "Invalid code verifier."),
        "{error:?}"
    );
}

#[tokio::test]
async fn denying_consent_comes_back_as_access_denied_with_the_state() {
    let stand = Stand::start().await;
    let (url, _) = stand.client().authorization_url("org-state-2", None);

    let callback = stand.consent(&url, "deny", BOTH).await;

    assert_eq!(param(&callback, "error").as_deref(), Some("access_denied"));
    assert_eq!(param(&callback, "state").as_deref(), Some("org-state-2"));
}

#[tokio::test]
async fn refreshing_gives_a_new_access_token_and_no_new_refresh_token() {
    let (_stand, google, tokens) = Stand::connected().await;

    let refreshed = refresh(&google, &tokens).await.unwrap();

    assert_ne!(
        refreshed.access_token.expose_secret(),
        tokens.access_token.expose_secret()
    );
    assert!(refreshed.refresh_token.is_none());
    google
        .calendar_list(&refreshed.access_token, 1, None)
        .await
        .unwrap();
}

#[tokio::test]
async fn refreshing_after_the_user_revoked_access_is_invalid_grant_needing_reconnect() {
    let (stand, google, tokens) = Stand::connected().await;
    stand
        .control(
            "POST",
            &format!("/sandbox/google/users/{EMAIL}/revoke"),
            json!({}),
        )
        .await;

    let error = refresh(&google, &tokens).await.unwrap_err();

    assert!(matches!(error, Error::InvalidGrant { .. }), "{error:?}");
    assert_eq!(error.kind(), ErrorKind::NeedsReconnect);
}

#[tokio::test]
async fn a_google_outage_is_transient_and_the_backoff_retries_through_it() {
    let (stand, google, tokens) = Stand::connected().await;
    let refresh_token = tokens.refresh_token.unwrap();
    stand
        .control(
            "POST",
            "/sandbox/google/faults",
            json!({"endpoint": "token", "fault": "503", "count": 2}),
        )
        .await;
    let backoff = Backoff {
        base: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
        max_attempts: 3,
    };

    let first = google.refresh(&refresh_token).await.unwrap_err();
    let retried = backoff.retry(|| google.refresh(&refresh_token)).await;

    assert!(
        matches!(first, Error::Unavailable { status: 503, .. }),
        "{first:?}"
    );
    assert_eq!(first.kind(), ErrorKind::Transient);
    assert!(retried.is_ok(), "{retried:?}");
}

#[tokio::test]
async fn the_backoff_never_retries_invalid_grant() {
    let stand = Stand::start().await;
    let google = stand.client();
    let calls = std::sync::atomic::AtomicU32::new(0);
    let missing = SecretString::from("1//revoked-long-ago".to_owned());

    let result = Backoff::default()
        .retry(|| {
            calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            google.refresh(&missing)
        })
        .await;

    assert!(matches!(result, Err(Error::InvalidGrant { .. })));
    assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 1);
}

#[tokio::test]
async fn an_unticked_events_scope_fails_the_scope_check_in_plain_words() {
    let stand = Stand::start().await;
    let google = stand.client();

    let tokens = stand
        .connect(&google, &[CALENDAR_LIST_READONLY])
        .await
        .unwrap();
    let error = check_scopes(&tokens.scopes).unwrap_err();
    let probe = google
        .probe_primary_writable(&tokens.access_token)
        .await
        .unwrap_err();

    assert!(
        error.to_string().contains("did not grant calendar access"),
        "{error}"
    );
    assert_eq!(error.kind(), ErrorKind::NeedsReconnect);
    assert!(matches!(probe, Error::ScopeInsufficient), "{probe:?}");
}

#[tokio::test]
async fn without_the_list_scope_booking_works_but_the_calendar_list_is_scope_insufficient() {
    let stand = Stand::start().await;
    let google = stand.client();
    let tokens = stand.connect(&google, &[CALENDAR_EVENTS]).await.unwrap();

    let access = check_scopes(&tokens.scopes).unwrap();
    let list = google
        .calendar_list(&tokens.access_token, 1, None)
        .await
        .unwrap_err();
    let primary = google.probe_primary_writable(&tokens.access_token).await;

    assert!(access.book_events && !access.list_calendars);
    assert!(matches!(list, Error::ScopeInsufficient), "{list:?}");
    assert!(primary.is_ok(), "{primary:?}");
}

#[tokio::test]
async fn revoking_reaches_the_stand_in_and_a_second_revoke_is_already_invalid() {
    let (stand, google, tokens) = Stand::connected().await;
    let refresh_token = tokens.refresh_token.unwrap();

    let first = google.revoke(&refresh_token).await.unwrap();
    let second = google.revoke(&refresh_token).await.unwrap();

    assert_eq!((first, second), (Revoked::Revoked, Revoked::AlreadyInvalid));
    let revocations = stand
        .control("GET", "/sandbox/google/revocations", json!(null))
        .await;
    assert_eq!(revocations.as_array().unwrap().len(), 1);
    assert_eq!(revocations[0]["client_id"], stand.client_id.as_str());
    let unauthenticated = google
        .calendar_list(&tokens.access_token, 1, None)
        .await
        .unwrap_err();
    assert!(matches!(unauthenticated, Error::Unauthenticated));
}

#[tokio::test]
async fn a_wrong_client_secret_is_client_rejected_and_permanent() {
    let stand = Stand::start().await;
    let tokens = stand.connect(&stand.client(), BOTH).await.unwrap();
    let wrong = stand.client_with_secret(&format!("{}-old", stand.client_secret));

    let error = refresh(&wrong, &tokens).await.unwrap_err();

    assert!(matches!(error, Error::ClientRejected { .. }), "{error:?}");
    assert_eq!(error.kind(), ErrorKind::Permanent);
}

#[tokio::test]
async fn an_expired_access_token_is_unauthenticated() {
    let stand = Stand::start().await;
    let google = stand.client();
    stand
        .control(
            "PUT",
            "/sandbox/google/settings",
            json!({"access_token_ttl_secs": 0}),
        )
        .await;
    let tokens = stand.connect(&google, BOTH).await.unwrap();

    let error = google
        .probe_primary_writable(&tokens.access_token)
        .await
        .unwrap_err();

    assert!(matches!(error, Error::Unauthenticated), "{error:?}");
}

#[tokio::test]
async fn a_booked_event_lands_in_the_clinics_primary_calendar() {
    let (stand, google, tokens) = Stand::connected().await;
    let at = |time: &str| EventTime {
        date_time: format!("2026-12-01T{time}:00+01:00"),
        time_zone: None,
    };
    let event = NewEvent {
        id: None,
        summary: "Check-up: J. Doe".into(),
        description: None,
        start: at("09:00"),
        end: at("09:30"),
        extended_properties: None,
    };

    let booked = google
        .insert_event(&tokens.access_token, "primary", &event)
        .await
        .unwrap();

    let events = stand
        .control(
            "GET",
            &format!("/sandbox/google/users/{EMAIL}/events"),
            json!(null),
        )
        .await;
    assert_eq!(events[0]["id"], booked.id.as_str());
    assert_eq!(events[0]["summary"], "Check-up: J. Doe");
}

#[tokio::test]
async fn the_configuration_never_shows_the_client_secret_in_debug_output() {
    let sentinel = format!("sentinel-{}", uuid::Uuid::new_v4());
    let redirect = Url::parse("https://voxanne.example/oauth/google/callback").unwrap();
    let config =
        GoogleConfig::google("id", SecretString::from(sentinel.clone()), redirect).unwrap();

    let shown = format!(
        "{config:?} {:?}",
        GoogleClient::new(config.clone()).unwrap()
    );

    assert!(!shown.contains(&sentinel));
    assert!(shown.contains("https://oauth2.googleapis.com/token"));
}
