//! Revocation, the Calendar endpoints and the control API's outside interventions.

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::support::{CALENDARLIST_RO, EVENTS, Stand, access};

#[tokio::test]
async fn revoking_the_refresh_token_kills_its_access_tokens_and_later_refreshes() {
    let (stand, client, tokens) = Stand::with_grant(&[EVENTS]).await;
    let refresh_token = tokens["refresh_token"].as_str().unwrap();

    let revoke = stand
        .http
        .post(format!("{}/revoke", stand.url))
        .query(&[("token", refresh_token)])
        .send()
        .await
        .unwrap();

    assert_eq!(revoke.status(), StatusCode::OK);
    let (status, body) = stand
        .calendar_get("/calendars/primary/events", access(&tokens))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["status"], "UNAUTHENTICATED");
    let (status, body) = stand.refresh(&client, refresh_token).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_grant");
    let (_, revocations) = stand
        .control(Method::GET, "/sandbox/google/revocations", json!(null))
        .await;
    assert_eq!(revocations[0]["email"], "clinic@example.com");
    assert_eq!(revocations[0]["client_id"], client.id);
    assert_eq!(revocations[0]["via"], "refresh_token");
}

/// Google keeps one grant per user and client: revoking any token of it (here the access token
/// of a later, narrower consent) ends every token of that user and client, and only those.
#[tokio::test]
async fn revoking_any_token_ends_the_whole_grant_of_that_user_and_client_only() {
    let stand = Stand::start().await;
    let (client, other_client) = (stand.client().await, stand.client().await);
    stand.user("clinic@example.com").await;
    let first = stand.tokens(&client, &[EVENTS, CALENDARLIST_RO]).await;
    let narrower = stand.tokens(&client, &[CALENDARLIST_RO]).await;
    let elsewhere = stand.tokens(&other_client, &[EVENTS]).await;

    let revoke = stand
        .http
        .post(format!("{}/revoke", stand.url))
        .form(&[("token", access(&narrower))])
        .send()
        .await
        .unwrap();

    assert_eq!(revoke.status(), StatusCode::OK);
    let (status, body) = stand.refresh_grant(&client, &first).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_grant");
    let (status, body) = stand.refresh_grant(&other_client, &elsewhere).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn revoking_an_unknown_token_in_the_form_body_gets_invalid_token() {
    let stand = Stand::start().await;

    let response = stand
        .http
        .post(format!("{}/revoke", stand.url))
        .form(&[("token", "1//not-a-token")])
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_token");
}

#[tokio::test]
async fn an_expired_access_token_gets_401_unauthenticated() {
    let (stand, client) = Stand::with_user().await;
    stand.settings(json!({"access_token_ttl_secs": 0})).await;
    let tokens = stand.tokens(&client, &[EVENTS, CALENDARLIST_RO]).await;

    let (status, body) = stand
        .calendar_get("/users/me/calendarList", access(&tokens))
        .await;

    assert_eq!(tokens["expires_in"], 0);
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], 401);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("Request had invalid authentication credentials.")
    );
}

#[tokio::test]
async fn a_request_without_a_bearer_token_gets_401() {
    let stand = Stand::start().await;

    let response = stand
        .http
        .get(format!("{}/calendar/v3/users/me/calendarList", stand.url))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn calendar_list_with_only_the_events_scope_gets_403_scope_insufficient() {
    let (stand, _, tokens) = Stand::with_grant(&[EVENTS]).await;

    let (status, body) = stand
        .calendar_get("/users/me/calendarList?maxResults=1", access(&tokens))
        .await;

    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"]["status"], "PERMISSION_DENIED");
    assert_eq!(
        body["error"]["details"][0]["reason"],
        "ACCESS_TOKEN_SCOPE_INSUFFICIENT"
    );
}

#[tokio::test]
async fn calendar_list_pages_and_filters_by_access_role() {
    let stand = Stand::start().await;
    let client = stand.client().await;
    let calendars = json!([{"summary": "Dr. A", "time_zone": "Europe/Paris"}, {"summary": "Holidays", "access_role": "reader"}]);
    stand
        .post(
            "/sandbox/google/users",
            json!({"email": "clinic@example.com", "calendars": calendars}),
        )
        .await;
    let token = stand.tokens(&client, &[CALENDARLIST_RO]).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();

    let (_, first) = stand
        .calendar_get("/users/me/calendarList?maxResults=2", &token)
        .await;
    let next = first["nextPageToken"].as_str().unwrap();
    let (_, second) = stand
        .calendar_get(
            &format!("/users/me/calendarList?maxResults=2&pageToken={next}"),
            &token,
        )
        .await;
    let (_, writable) = stand
        .calendar_get("/users/me/calendarList?minAccessRole=writer", &token)
        .await;

    assert_eq!(first["items"].as_array().unwrap().len(), 2);
    assert_eq!(first["items"][1]["timeZone"], "Europe/Paris");
    assert_eq!(second["items"][0]["summary"], "Holidays");
    assert!(second.get("nextPageToken").is_none());
    assert_eq!(writable["items"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn an_inserted_event_is_returned_listed_and_visible_to_the_control_api() {
    let (stand, client) = Stand::with_user().await;
    let token = stand.tokens(&client, &[EVENTS]).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let event = json!({"summary": "Cleaning: J. Doe",
        "start": {"dateTime": "2026-12-01T09:00:00+01:00"}, "end": {"dateTime": "2026-12-01T09:30:00+01:00"}});

    let inserted: serde_json::Value = stand
        .http
        .post(format!(
            "{}/calendar/v3/calendars/primary/events",
            stand.url
        ))
        .bearer_auth(&token)
        .json(&event)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    assert_eq!(inserted["summary"], "Cleaning: J. Doe");
    assert_eq!(inserted["status"], "confirmed");
    let (_, listed) = stand
        .calendar_get("/calendars/clinic@example.com/events", &token)
        .await;
    assert_eq!(listed["items"][0]["id"], inserted["id"]);
    assert_eq!(listed["accessRole"], "owner");
    let (_, booked) = stand
        .control(
            Method::GET,
            "/sandbox/google/users/clinic@example.com/events",
            json!(null),
        )
        .await;
    assert_eq!(booked[0]["id"], inserted["id"]);
    assert_eq!(booked[0]["calendar_id"], "clinic@example.com");
}

#[tokio::test]
async fn an_event_without_an_end_is_refused_with_400() {
    let (stand, client) = Stand::with_user().await;
    let token = stand.tokens(&client, &[EVENTS]).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();

    let response = stand
        .http
        .post(format!(
            "{}/calendar/v3/calendars/primary/events",
            stand.url
        ))
        .bearer_auth(&token)
        .json(&json!({"summary": "x", "start": {"date": "2026-12-01"}}))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["message"], "Missing end time.");
}

#[tokio::test]
async fn revoking_a_user_from_outside_turns_refresh_into_invalid_grant() {
    let (stand, client, tokens) = Stand::with_grant(&[EVENTS]).await;

    let (status, body) = stand
        .post("/sandbox/google/users/clinic@example.com/revoke", json!({}))
        .await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["revoked_grants"], 1);
    let (status, body) = stand.refresh_grant(&client, &tokens).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
}

#[tokio::test]
async fn expired_refresh_tokens_get_invalid_grant_but_access_tokens_live_on() {
    let (stand, client, tokens) = Stand::with_grant(&[EVENTS]).await;

    let (status, body) = stand
        .post(
            "/sandbox/google/refresh-tokens/expire",
            json!({"email": "clinic@example.com"}),
        )
        .await;

    assert_eq!(
        (status, body["expired"].as_u64()),
        (StatusCode::OK, Some(1))
    );
    let (status, body) = stand.refresh_grant(&client, &tokens).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["error_description"],
        "Token has been expired or revoked."
    );
    let (status, _) = stand
        .calendar_get("/calendars/primary/events", access(&tokens))
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn armed_faults_fail_the_next_calls_then_clear() {
    let (stand, client, tokens) = Stand::with_grant(&[EVENTS]).await;
    let refresh_token = tokens["refresh_token"].as_str().unwrap();
    let token = access(&tokens);
    stand
        .fault(json!({"endpoint": "token", "fault": "503", "count": 2}))
        .await;
    stand
        .fault(json!({"endpoint": "calendar", "fault": "500"}))
        .await;

    let statuses = [
        stand.refresh(&client, refresh_token).await.0,
        stand.refresh(&client, refresh_token).await.0,
        stand.refresh(&client, refresh_token).await.0,
    ];
    let (calendar_fault, body) = stand.calendar_get("/calendars/primary/events", token).await;
    let (calendar_after, _) = stand.calendar_get("/calendars/primary/events", token).await;

    assert_eq!(
        statuses,
        [
            StatusCode::SERVICE_UNAVAILABLE,
            StatusCode::SERVICE_UNAVAILABLE,
            StatusCode::OK
        ]
    );
    assert_eq!(
        (calendar_fault, body["error"]["code"].as_u64()),
        (StatusCode::INTERNAL_SERVER_ERROR, Some(500))
    );
    assert_eq!(calendar_after, StatusCode::OK);
}

#[tokio::test]
async fn a_slow_fault_holds_the_request_for_the_configured_delay() {
    let stand = Stand::start().await;
    stand.settings(json!({"slow_delay_ms": 300})).await;
    stand
        .fault(json!({"endpoint": "revoke", "fault": "slow"}))
        .await;

    let started = std::time::Instant::now();
    let response = stand
        .http
        .post(format!("{}/revoke", stand.url))
        .form(&[("token", "unknown")])
        .send()
        .await
        .unwrap();

    assert!(started.elapsed() >= std::time::Duration::from_millis(300));
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn login_hint_picks_the_user_and_several_users_get_a_choice() {
    let stand = Stand::start().await;
    let client = stand.client().await;
    stand.user("front-desk@example.com").await;
    stand.user("dentist@example.com").await;
    let pkce = super::support::Pkce::new();

    let chooser = stand
        .consent_page(stand.auth_url(&client, &[EVENTS], &pkce, &[]))
        .await;
    let hinted = stand
        .consent_page(stand.auth_url(
            &client,
            &[EVENTS],
            &pkce,
            &[("login_hint", "dentist@example.com")],
        ))
        .await;
    let callback = stand.decide(&hinted, "allow", &[EVENTS], None).await;
    let code = super::support::query(&callback, "code").unwrap();
    let token = stand.exchange(&client, &code, &pkce.verifier).await.1["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, events) = stand
        .calendar_get("/calendars/primary/events", &token)
        .await;

    assert_eq!(chooser.users.len(), 2);
    assert_eq!(hinted.users.len(), 1);
    assert_eq!(events["summary"], "dentist@example.com");
}
