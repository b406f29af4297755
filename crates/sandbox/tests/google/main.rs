//! The Google stand-in over real sockets: the consent page driven like a browser, the token,
//! revoke and Calendar endpoints called like an OAuth client would.

mod calendar;
mod events;
mod freebusy;
mod method_faults;
mod support;

use reqwest::StatusCode;
use serde_json::json;
use support::{CALENDARLIST_RO, EVENTS, Pkce, REDIRECT, Stand, access, query};

#[tokio::test]
async fn allowing_consent_redirects_with_code_scope_and_state_and_the_code_buys_tokens() {
    let (stand, client) = Stand::with_user().await;
    let pkce = Pkce::new();

    let form = stand
        .consent_page(stand.auth_url(&client, &[EVENTS, CALENDARLIST_RO], &pkce, &[]))
        .await;
    assert_eq!(form.scopes, [EVENTS, CALENDARLIST_RO]);
    let callback = stand
        .decide(&form, "allow", &[EVENTS, CALENDARLIST_RO], None)
        .await;

    assert!(callback.as_str().starts_with(REDIRECT));
    assert_eq!(query(&callback, "state").as_deref(), Some("st<ate>&1"));
    assert_eq!(
        query(&callback, "scope").unwrap(),
        format!("{EVENTS} {CALENDARLIST_RO}")
    );
    let (status, body) = stand
        .exchange(&client, &query(&callback, "code").unwrap(), &pkce.verifier)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3599);
    assert_eq!(body["scope"], format!("{EVENTS} {CALENDARLIST_RO}"));
    assert!(body["refresh_token"].is_string());
    let (status, list) = stand
        .calendar_get("/users/me/calendarList", access(&body))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["items"][0]["id"], "clinic@example.com");
    assert_eq!(list["items"][0]["primary"], true);
}

#[tokio::test]
async fn denying_consent_redirects_with_access_denied_and_the_state() {
    let (stand, client) = Stand::with_user().await;

    let form = stand
        .consent_page(stand.auth_url(&client, &[EVENTS], &Pkce::new(), &[]))
        .await;
    let callback = stand.decide(&form, "deny", &[EVENTS], None).await;

    assert_eq!(query(&callback, "error").as_deref(), Some("access_denied"));
    assert_eq!(query(&callback, "state").as_deref(), Some("st<ate>&1"));
    assert_eq!(query(&callback, "code"), None);
}

#[tokio::test]
async fn an_unticked_scope_is_missing_from_the_callback_and_from_the_token() {
    let (stand, client) = Stand::with_user().await;
    let pkce = Pkce::new();

    let form = stand
        .consent_page(stand.auth_url(&client, &[EVENTS, CALENDARLIST_RO], &pkce, &[]))
        .await;
    let callback = stand.decide(&form, "allow", &[CALENDARLIST_RO], None).await;
    let (status, body) = stand
        .exchange(&client, &query(&callback, "code").unwrap(), &pkce.verifier)
        .await;

    assert_eq!(query(&callback, "scope").as_deref(), Some(CALENDARLIST_RO));
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["scope"], CALENDARLIST_RO);
    let (status, error) = stand
        .calendar_get("/calendars/primary/events", access(&body))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        error["error"]["details"][0]["reason"],
        "ACCESS_TOKEN_SCOPE_INSUFFICIENT"
    );
}

#[tokio::test]
async fn a_code_verifier_that_does_not_match_the_challenge_gets_invalid_grant() {
    let (stand, client) = Stand::with_user().await;
    let pkce = Pkce::new();
    let code = stand.authorize(&client, &[EVENTS], &pkce, &[]).await;

    let (status, body) = stand.exchange(&client, &code, &Pkce::new().verifier).await;

    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_grant");
    assert_eq!(body["error_description"], "Invalid code verifier.");
}

#[tokio::test]
async fn an_unregistered_redirect_uri_shows_an_error_page_and_never_redirects() {
    let (stand, client) = Stand::with_user().await;
    let mut url = stand.auth_url(&client, &[EVENTS], &Pkce::new(), &[]);
    let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    url.query_pairs_mut()
        .clear()
        .extend_pairs(pairs.iter().map(|(k, v)| {
            if k == "redirect_uri" {
                (k.as_str(), "http://127.0.0.1:9/evil")
            } else {
                (k.as_str(), v.as_str())
            }
        }));

    let response = stand.http.get(url).send().await.unwrap();

    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.headers().get("location").is_none());
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("redirect_uri_mismatch")
    );
}

#[tokio::test]
async fn an_unknown_client_id_shows_an_invalid_client_page() {
    let stand = Stand::start().await;
    let client = stand.client().await;
    let stranger = support::OAuthClient {
        id: format!("9{}", client.id),
        secret: String::new(),
    };

    let response = stand
        .http
        .get(stand.auth_url(&stranger, &[EVENTS], &Pkce::new(), &[]))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(response.text().await.unwrap().contains("invalid_client"));
}

#[tokio::test]
async fn a_code_is_redeemed_only_once() {
    let (stand, client) = Stand::with_user().await;
    let pkce = Pkce::new();
    let code = stand.authorize(&client, &[EVENTS], &pkce, &[]).await;
    let (first, _) = stand.exchange(&client, &code, &pkce.verifier).await;

    let (second, body) = stand.exchange(&client, &code, &pkce.verifier).await;

    assert_eq!(first, StatusCode::OK);
    assert_eq!(second, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_grant");
}

#[tokio::test]
async fn an_expired_code_gets_invalid_grant() {
    let (stand, client) = Stand::with_user().await;
    stand.settings(json!({"code_ttl_secs": 0})).await;
    let pkce = Pkce::new();
    let code = stand.authorize(&client, &[EVENTS], &pkce, &[]).await;

    let (status, body) = stand.exchange(&client, &code, &pkce.verifier).await;

    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_grant");
}

#[tokio::test]
async fn refreshing_gives_a_new_access_token_and_no_new_refresh_token() {
    let (stand, client, tokens) = Stand::with_grant(&[EVENTS]).await;

    let (status, body) = stand.refresh_grant(&client, &tokens).await;

    assert_eq!(status, StatusCode::OK, "{body}");
    assert_ne!(body["access_token"], tokens["access_token"]);
    assert_eq!(body["scope"], EVENTS);
    assert!(body.get("refresh_token").is_none());
}

#[tokio::test]
async fn reauthorizing_issues_a_refresh_token_again_only_with_prompt_consent() {
    let (stand, client) = Stand::with_user().await;
    stand.tokens(&client, &[EVENTS]).await;

    let pkce = Pkce::new();
    let code = stand.authorize(&client, &[EVENTS], &pkce, &[]).await;
    let (_, without_prompt) = stand.exchange(&client, &code, &pkce.verifier).await;
    let with_prompt = stand.tokens(&client, &[EVENTS]).await;

    assert!(without_prompt["access_token"].is_string());
    assert!(without_prompt.get("refresh_token").is_none());
    assert!(with_prompt["refresh_token"].is_string());
}

#[tokio::test]
async fn online_access_issues_no_refresh_token() {
    let (stand, client) = Stand::with_user().await;
    let pkce = Pkce::new();
    let code = stand
        .authorize(&client, &[EVENTS], &pkce, &[("access_type", "online")])
        .await;

    let (status, body) = stand.exchange(&client, &code, &pkce.verifier).await;

    assert_eq!(status, StatusCode::OK);
    assert!(body.get("refresh_token").is_none());
}

#[tokio::test]
async fn a_wrong_client_secret_gets_invalid_client_by_form_and_by_basic_auth() {
    let (stand, client, tokens) = Stand::with_grant(&[EVENTS]).await;
    let refresh_token = tokens["refresh_token"].as_str().unwrap();
    let wrong = support::OAuthClient {
        id: client.id.clone(),
        secret: format!("{}x", client.secret),
    };

    let (by_form, body) = stand.refresh(&wrong, refresh_token).await;
    let by_basic = stand
        .refresh_by_basic_auth(&client, &wrong.secret, refresh_token)
        .await;
    let good_basic = stand
        .refresh_by_basic_auth(&client, &client.secret, refresh_token)
        .await;

    assert_eq!(by_form, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "invalid_client");
    assert_eq!(by_basic, StatusCode::UNAUTHORIZED);
    assert_eq!(good_basic, StatusCode::OK);
}

#[tokio::test]
async fn an_unknown_grant_type_and_a_missing_code_are_refused_as_google_does() {
    let stand = Stand::start().await;
    let client = stand.client().await;
    let auth = [
        ("client_id", client.id.as_str()),
        ("client_secret", client.secret.as_str()),
    ];

    let (unsupported, body) = stand
        .token(&[auth[0], auth[1], ("grant_type", "password")])
        .await;
    let (missing, missing_body) = stand
        .token(&[auth[0], auth[1], ("grant_type", "authorization_code")])
        .await;

    assert_eq!(unsupported, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "unsupported_grant_type");
    assert_eq!(missing, StatusCode::BAD_REQUEST);
    assert_eq!(missing_body["error"], "invalid_request");
}

#[tokio::test]
async fn a_refresh_token_is_refused_to_another_client() {
    let stand = Stand::start().await;
    let client = stand.client().await;
    let other = stand.client().await;
    stand.user("clinic@example.com").await;
    let tokens = stand.tokens(&client, &[EVENTS]).await;

    let (status, body) = stand.refresh_grant(&other, &tokens).await;

    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "unauthorized_client");
}
