//! `/dashboard/sign-in` and `/dashboard/sign-out`.
//!
//! Signing in checks the form came from our page (Fetch Metadata plus a token in a cookie that the
//! form echoes, since there is no session yet), the throttle, then the password. A wrong password
//! and an unknown e-mail get the same words. Success starts a fresh session and returns to the
//! page first asked for, if it is one of ours.

use std::time::Instant;

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::HeaderName;
use axum::http::header::{LOCATION, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{AppendHeaders, IntoResponse, Redirect, Response};
use secrecy::SecretString;
use serde::Deserialize;

use super::csrf::{Nothing, Posted, from_this_site};
use super::render::{self, Nav};
use super::session::{self, random_token, tokens_match};
use super::{Dashboard, cookies, return_to};
use crate::store::StoreError;

const CLEAR_SITE_DATA: HeaderName = HeaderName::from_static("clear-site-data");

const WRONG: &str = "The e-mail or password is not right. Check both and try again.";

#[derive(Template)]
#[template(path = "dashboard/sign_in.html")]
struct SignInPage {
    nav: Nav,
    form_token: String,
    next: String,
    email: String,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct NextQuery {
    #[serde(default)]
    next: String,
}

#[derive(Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
    #[serde(default)]
    form_token: String,
}

/// The form, with a fresh sign-in token in its cookie; a signed-in admin goes straight on.
fn form_page(
    state: &Dashboard,
    status: StatusCode,
    next: &str,
    email: &str,
    error: Option<String>,
) -> Response {
    let token = random_token();
    let page = SignInPage {
        nav: Nav::signed_out(),
        form_token: token.clone(),
        next: return_to(next).unwrap_or_default().to_owned(),
        email: email.to_owned(),
        error,
    };
    let cookie = state.cookies.set(state.cookies.sign_in_name(), &token);
    (
        AppendHeaders([(SET_COOKIE, cookie)]),
        render::page(status, &page),
    )
        .into_response()
}

pub async fn show(
    State(state): State<Dashboard>,
    Query(query): Query<NextQuery>,
    parts: Parts,
) -> Response {
    match session::resolve(&parts, &state).await {
        Ok(Some(_)) => Redirect::to(return_to(&query.next).unwrap_or("/dashboard")).into_response(),
        Ok(None) => form_page(&state, StatusCode::OK, &query.next, "", None),
        Err(err) => render::internal_error(&err),
    }
}

pub async fn submit(
    State(state): State<Dashboard>,
    headers: HeaderMap,
    parts: Parts,
    Form(form): Form<SignInForm>,
) -> Response {
    let expected = cookies::read(&headers, state.cookies.sign_in_name()).unwrap_or_default();
    if !from_this_site(&headers, state.public_url.as_deref())
        || !tokens_match(&form.form_token, expected)
    {
        return render::forbidden(None);
    }
    let address = session::source_ip(&parts);
    if let Err(wait) = state.throttle.check(&form.email, address, Instant::now()) {
        let message = format!(
            "Too many sign-in attempts. Wait {} seconds, then try again.",
            wait.as_secs().max(1)
        );
        return form_page(
            &state,
            StatusCode::TOO_MANY_REQUESTS,
            &form.next,
            &form.email,
            Some(message),
        );
    }
    let password = SecretString::from(form.password);
    let user = match state
        .store()
        .verify_user_password(&form.email, password)
        .await
    {
        Ok(user) => user,
        Err(StoreError::InvalidLogin) => {
            state.throttle.failed(&form.email, address, Instant::now());
            return form_page(
                &state,
                StatusCode::UNAUTHORIZED,
                &form.next,
                &form.email,
                Some(WRONG.to_owned()),
            );
        }
        Err(err) => return render::internal_error(&err),
    };
    state.throttle.succeeded(&form.email);
    let previous = cookies::read(&headers, state.cookies.session_name());
    let session_id = match session::start(&state, &user, previous).await {
        Ok(id) => id,
        Err(err) => return render::internal_error(&err),
    };
    let target = return_to(&form.next).unwrap_or("/dashboard").to_owned();
    (
        StatusCode::SEE_OTHER,
        AppendHeaders([
            (
                SET_COOKIE,
                state.cookies.set(state.cookies.session_name(), &session_id),
            ),
            (
                SET_COOKIE,
                state.cookies.clear(state.cookies.sign_in_name()),
            ),
            (LOCATION, target),
        ]),
    )
        .into_response()
}

pub async fn sign_out(State(state): State<Dashboard>, posted: Posted<Nothing>) -> Response {
    if let Err(err) = posted.admin.sign_out(&state).await {
        return render::internal_error(&err);
    }
    (
        StatusCode::SEE_OTHER,
        AppendHeaders([
            (
                SET_COOKIE,
                state.cookies.clear(state.cookies.session_name()),
            ),
            // Drops this site's pages from the browser's caches, the back/forward cache
            // included, so "back" cannot show the signed-out admin's data.
            (CLEAR_SITE_DATA, "\"cache\"".to_owned()),
            (LOCATION, "/dashboard/sign-in".to_owned()),
        ]),
    )
        .into_response()
}
