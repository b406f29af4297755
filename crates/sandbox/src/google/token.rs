//! `POST /token` (authorization_code and refresh_token grants) and `POST /revoke`, answering with
//! Google's success bodies and error codes.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::json;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use url::form_urlencoded;

use super::errors::OAuthError;
use super::state::{Endpoint, FaultAction, Google, Inner};

type Form = HashMap<String, String>;

fn parse_form(input: &[u8]) -> Form {
    form_urlencoded::parse(input)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// Applies an armed fault: fails the request, or holds it and lets it proceed.
pub async fn apply_fault(
    google: &Google,
    endpoint: Endpoint,
) -> Result<(), super::state::FaultKind> {
    let action = google.lock().take_fault(endpoint);
    match action {
        None => Ok(()),
        Some(FaultAction::Delay(delay)) => {
            tokio::time::sleep(delay).await;
            Ok(())
        }
        Some(FaultAction::Fail { kind, .. }) => Err(kind),
    }
}

pub async fn token(State(google): State<Arc<Google>>, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(kind) = apply_fault(&google, Endpoint::Token).await {
        return OAuthError::fault(kind);
    }
    let form = parse_form(&body);
    let mut inner = google.lock();
    match grant(&mut inner, &headers, &form) {
        Ok(body) => (
            StatusCode::OK,
            [(header::CACHE_CONTROL, "no-store")],
            Json(body),
        )
            .into_response(),
        Err(error) => error.into_response(),
    }
}

fn grant(
    inner: &mut Inner,
    headers: &HeaderMap,
    form: &Form,
) -> Result<serde_json::Value, OAuthError> {
    let client_id = authenticate(inner, headers, form)?;
    let field = |name: &str| form.get(name).filter(|v| !v.is_empty());
    match field("grant_type").map(String::as_str) {
        None => Err(OAuthError::invalid_request(
            "Missing required parameter: grant_type",
        )),
        Some("authorization_code") => exchange_code(inner, &client_id, form),
        Some("refresh_token") => refresh(inner, &client_id, form),
        Some(other) => Err(OAuthError {
            status: StatusCode::BAD_REQUEST,
            error: "unsupported_grant_type",
            description: format!("Invalid grant_type: {other}"),
        }),
    }
}

/// Client authentication by HTTP Basic or by `client_id`/`client_secret` in the form, as Google
/// accepts both; returns the authenticated client id.
fn authenticate(inner: &Inner, headers: &HeaderMap, form: &Form) -> Result<String, OAuthError> {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .map(|encoded| {
            let decoded = STANDARD
                .decode(encoded.trim())
                .ok()
                .and_then(|b| String::from_utf8(b).ok());
            let pair = decoded.as_deref().and_then(|d| d.split_once(':'));
            // RFC 6749 section 2.3.1: both parts are form-urlencoded before Basic encoding.
            pair.map(|(id, secret)| (decode_component(id), decode_component(secret)))
        });
    let (id, secret) = match basic {
        Some(Some(pair)) => pair,
        Some(None) => {
            return Err(OAuthError::invalid_request(
                "Malformed HTTP Basic authorization header.",
            ));
        }
        None => {
            let id = form.get("client_id").filter(|v| !v.is_empty()).cloned();
            let id = id.ok_or_else(|| {
                OAuthError::invalid_request("Could not determine client ID from request.")
            })?;
            (id, form.get("client_secret").cloned().unwrap_or_default())
        }
    };
    let client = inner
        .clients
        .get(&id)
        .ok_or_else(|| OAuthError::invalid_client("The OAuth client was not found."))?;
    if !bool::from(client.secret.as_bytes().ct_eq(secret.as_bytes())) {
        return Err(OAuthError::invalid_client("Unauthorized"));
    }
    Ok(id)
}

fn decode_component(part: &str) -> String {
    form_urlencoded::parse(format!("x={part}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

fn exchange_code(
    inner: &mut Inner,
    client_id: &str,
    form: &Form,
) -> Result<serde_json::Value, OAuthError> {
    let code_value = form
        .get("code")
        .filter(|v| !v.is_empty())
        .ok_or_else(|| OAuthError::invalid_request("Missing required parameter: code"))?;
    let code = inner
        .codes
        .get_mut(code_value)
        .ok_or_else(|| OAuthError::invalid_grant("Malformed auth code."))?;
    if code.redeemed {
        return Err(OAuthError::invalid_grant("Bad Request"));
    }
    if code.expires_at <= Instant::now() {
        return Err(OAuthError::invalid_grant("Bad Request"));
    }
    if code.client_id != client_id {
        return Err(OAuthError::invalid_grant("Bad Request"));
    }
    if form.get("redirect_uri") != Some(&code.redirect_uri) {
        return Err(OAuthError {
            status: StatusCode::BAD_REQUEST,
            error: "redirect_uri_mismatch",
            description: "Bad Request".into(),
        });
    }
    if let Some(challenge) = &code.code_challenge {
        let verifier = form
            .get("code_verifier")
            .ok_or_else(|| OAuthError::invalid_grant("Missing code verifier."))?;
        let computed = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        if !bool::from(computed.as_bytes().ct_eq(challenge.as_bytes())) {
            return Err(OAuthError::invalid_grant("Invalid code verifier."));
        }
    }
    // Single use: a redeemed code stays known so a replay gets invalid_grant, not "malformed".
    code.redeemed = true;
    let (user_sub, scopes, offline, prompt_consent) = (
        code.user_sub.clone(),
        code.scopes.clone(),
        code.offline,
        code.prompt_consent,
    );

    let pair = (user_sub.clone(), client_id.to_owned());
    let first_consent = !inner.consented.contains(&pair);
    inner.consented.insert(pair);
    let access_token = inner.issue_access_token(client_id, &user_sub, &scopes);
    let mut body = json!({
        "access_token": access_token,
        "expires_in": inner.settings.access_token_ttl_secs,
        "scope": scopes.join(" "),
        "token_type": "Bearer",
    });
    if offline && (first_consent || prompt_consent) {
        let refresh_token = inner.issue_refresh_token(client_id, &user_sub, &scopes);
        body["refresh_token"] = refresh_token.into();
    }
    Ok(body)
}

fn refresh(
    inner: &mut Inner,
    client_id: &str,
    form: &Form,
) -> Result<serde_json::Value, OAuthError> {
    let value = form
        .get("refresh_token")
        .filter(|v| !v.is_empty())
        .ok_or_else(|| OAuthError::invalid_request("Missing required parameter: refresh_token"))?;
    let token = inner
        .refresh_tokens
        .get(value)
        .filter(|t| !t.expired)
        .ok_or_else(|| OAuthError::invalid_grant("Token has been expired or revoked."))?;
    if token.client_id != client_id {
        return Err(OAuthError {
            status: StatusCode::BAD_REQUEST,
            error: "unauthorized_client",
            description: "Unauthorized".into(),
        });
    }
    let (user_sub, scopes) = (token.user_sub.clone(), token.scopes.clone());
    let access_token = inner.issue_access_token(client_id, &user_sub, &scopes);
    Ok(json!({
        "access_token": access_token,
        "expires_in": inner.settings.access_token_ttl_secs,
        "scope": scopes.join(" "),
        "token_type": "Bearer",
    }))
}

/// `POST /revoke`: the token comes in the query string or the form body. Revoking either kind of
/// token revokes the whole grant of that user to that client.
pub async fn revoke(
    State(google): State<Arc<Google>>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    if let Err(kind) = apply_fault(&google, Endpoint::Revoke).await {
        return OAuthError::fault(kind);
    }
    let mut params = parse_form(&body);
    params.extend(parse_form(query.unwrap_or_default().as_bytes()));
    let Some(token) = params.get("token").filter(|t| !t.is_empty()) else {
        return OAuthError::invalid_request("Missing required parameter: token").into_response();
    };
    let mut inner = google.lock();
    let owner = if let Some(t) = inner.refresh_tokens.get(token) {
        Some((t.user_sub.clone(), t.client_id.clone(), "refresh_token"))
    } else {
        let now = Instant::now();
        let live = inner
            .access_tokens
            .get(token)
            .filter(|t| t.expires_at > now);
        live.map(|t| (t.user_sub.clone(), t.client_id.clone(), "access_token"))
    };
    match owner {
        Some((user_sub, client_id, via)) => {
            inner.revoke_grant(&user_sub, &client_id, via);
            (StatusCode::OK, Json(json!({}))).into_response()
        }
        None => OAuthError {
            status: StatusCode::BAD_REQUEST,
            error: "invalid_token",
            description: "Token expired or revoked".into(),
        }
        .into_response(),
    }
}
