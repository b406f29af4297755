//! Every organization endpoint × {own key, another organization's key, no key, revoked key,
//! malformed key}: the key decides the organization, another tenant's credential is a 404
//! identical to a missing one, and a missing or revoked key is a 401.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::answer::Answer;
use crate::support::app::TestApp;

struct Endpoint {
    method: Method,
    path: String,
    body: Option<Value>,
    /// What the owner gets.
    own: StatusCode,
    /// What another organization gets (404 for the owner's credential; its own view otherwise).
    other: StatusCode,
}

fn endpoints(id: &str, account: &crate::support::app::TwilioAccount) -> Vec<Endpoint> {
    let create = json!({"account_sid": account.sid, "auth_token": account.token, "from_number": account.number});
    let e =
        |method: Method, path: String, body: Option<Value>, own: StatusCode, other: StatusCode| {
            Endpoint {
                method,
                path,
                body,
                own,
                other,
            }
        };
    let one = format!("/api/organization/credentials/{id}");
    vec![
        e(
            Method::POST,
            "/api/organization/credentials/twilio".into(),
            Some(create),
            StatusCode::CREATED,
            StatusCode::CREATED,
        ),
        e(
            Method::GET,
            "/api/organization/credentials".into(),
            None,
            StatusCode::OK,
            StatusCode::OK,
        ),
        e(
            Method::GET,
            one.clone(),
            None,
            StatusCode::OK,
            StatusCode::NOT_FOUND,
        ),
        e(
            Method::PATCH,
            one.clone(),
            Some(json!({"label": "renamed"})),
            StatusCode::OK,
            StatusCode::NOT_FOUND,
        ),
        e(
            Method::POST,
            format!("{one}/verify"),
            Some(json!({})),
            StatusCode::OK,
            StatusCode::NOT_FOUND,
        ),
        e(
            Method::GET,
            "/api/organization/settings".into(),
            None,
            StatusCode::OK,
            StatusCode::OK,
        ),
        e(
            Method::PUT,
            "/api/organization/settings".into(),
            Some(json!({"alert_recipients": [], "timezone": "UTC"})),
            StatusCode::OK,
            StatusCode::OK,
        ),
        // Last: it removes the credential the others use.
        e(
            Method::DELETE,
            one,
            None,
            StatusCode::NO_CONTENT,
            StatusCode::NOT_FOUND,
        ),
    ]
}

fn assert_unauthorized(answer: &Answer, what: &str) {
    assert_eq!(
        answer.status,
        StatusCode::UNAUTHORIZED,
        "{what}: {}",
        answer.text
    );
    assert_eq!(answer.error()["code"], "unauthorized", "{what}");
    assert!(answer.error()["request_id"].is_string(), "{what}");
    assert_eq!(answer.headers["www-authenticate"], "Bearer");
}

#[tokio::test]
async fn every_endpoint_answers_its_owner_refuses_other_tenants_with_404_and_bad_keys_with_401() {
    let app = TestApp::spawn().await;
    let (owner, stranger) = (app.org().await, app.org().await);
    let revoked = app.revoked_key(&owner).await;
    let account = app.full_account().await;
    let id = app.add_token_credential(&owner, &account).await;
    let missing = voxanne::ids::CredentialId::generate().to_string();

    for endpoint in endpoints(&id, &account) {
        let what = format!("{} {}", endpoint.method, endpoint.path);
        let body = endpoint.body.as_ref();
        let call_as = |key: String| {
            let (app, endpoint) = (&app, &endpoint);
            async move {
                app.call(endpoint.method.clone(), &endpoint.path, Some(&key), body)
                    .await
            }
        };
        for key in [
            None,
            Some(revoked.as_str()),
            Some("vox_live_not-a-real-key"),
        ] {
            assert_unauthorized(
                &app.call(endpoint.method.clone(), &endpoint.path, key, body)
                    .await,
                &what,
            );
        }
        let other = call_as(stranger.key.clone()).await;
        assert_eq!(
            other.status, endpoint.other,
            "{what} as another org: {}",
            other.text
        );
        if other.status == StatusCode::NOT_FOUND {
            // Identical to a credential that never existed (apart from the request id).
            let never = app
                .call(
                    endpoint.method.clone(),
                    &endpoint.path.replace(&id, &missing),
                    Some(&stranger.key),
                    body,
                )
                .await;
            assert_eq!(never.status, StatusCode::NOT_FOUND);
            assert_eq!(other.error()["code"], never.error()["code"]);
            assert_eq!(other.error()["message"], never.error()["message"]);
        }
        let own = call_as(owner.key.clone()).await;
        assert_eq!(
            own.status, endpoint.own,
            "{what} as the owner: {}",
            own.text
        );
    }
    let strangers = app.list_credentials(&stranger.key, "").await;
    assert!(
        !strangers.text.contains(&id),
        "another org's list shows the credential"
    );
}
