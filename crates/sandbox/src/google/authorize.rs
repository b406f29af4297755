//! `GET /o/oauth2/v2/auth`: checks an authorization request the way Google does and shows the
//! consent page; `POST` of the same path takes the person's decision and redirects back.
//!
//! Problems with the client or its redirect URI are shown as an error page and never redirected
//! (redirecting to an unverified URI would make the stand-in an open redirector, which is exactly
//! why Google refuses to).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use askama::Template;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use url::{Url, form_urlencoded};

use super::scope;
use super::state::{Code, Google, PendingConsent, random_string};

#[derive(Template)]
#[template(
    ext = "html",
    source = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Error 400: {{ error }}</title></head>
<body>
<h1>Access blocked: this app's request is invalid</h1>
<p><strong>Error {{ status }}: {{ error }}</strong></p>
<p class="description">{{ description }}</p>
<p><small>Google sandbox (Voxanne): the request was not redirected.</small></p>
</body></html>"#
)]
struct ErrorPage<'a> {
    status: u16,
    error: &'a str,
    description: &'a str,
}

#[derive(Template)]
#[template(
    ext = "html",
    source = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in - Google Accounts (sandbox)</title></head>
<body>
<h1>Google sandbox: an app wants access to your Google Account</h1>
<p>Client <code>{{ client_id }}</code> wants to access your Google Account.</p>
<form method="post" action="/o/oauth2/v2/auth">
<input type="hidden" name="consent_id" value="{{ consent_id }}">
{% if users.len() == 1 %}{% for user in users %}
<p>Signed in as <strong>{{ user.email }}</strong></p>
<input type="hidden" name="user" value="{{ user.sub }}">
{% endfor %}{% else %}
<label for="user">Choose an account</label>
<select id="user" name="user">
{% for user in users %}<option value="{{ user.sub }}">{{ user.email }}</option>
{% endfor %}</select>
{% endif %}
<fieldset><legend>Select what the app can access</legend>
{% for scope in scopes %}
<label><input type="checkbox" name="scope" value="{{ scope.name }}" checked> {{ scope.text }}</label><br>
{% endfor %}
</fieldset>
<button type="submit" name="decision" value="deny">Cancel</button>
<button type="submit" name="decision" value="allow">Continue</button>
</form>
</body></html>"#
)]
struct ConsentPage<'a> {
    client_id: &'a str,
    consent_id: &'a str,
    /// The accounts to choose from: the hinted one, or all of them.
    users: Vec<Account>,
    scopes: Vec<ScopeChoice>,
}

struct Account {
    sub: String,
    email: String,
}

/// One checkbox: a requested scope and the sentence describing it.
struct ScopeChoice {
    name: String,
    text: &'static str,
}

/// An authorization error shown to the person instead of a redirect.
struct PageError {
    status: StatusCode,
    error: &'static str,
    description: String,
}

impl PageError {
    fn new(status: StatusCode, error: &'static str, description: impl Into<String>) -> Self {
        Self {
            status,
            error,
            description: description.into(),
        }
    }

    fn invalid_request(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", description)
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let page = ErrorPage {
            status: self.status.as_u16(),
            error: self.error,
            description: &self.description,
        };
        render(self.status, &page)
    }
}

fn render(status: StatusCode, template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(error) => {
            tracing::error!(%error, "google sandbox: rendering a page failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "page rendering failed").into_response()
        }
    }
}

fn parse_pairs(input: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(input)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

pub async fn show(State(google): State<Arc<Google>>, RawQuery(query): RawQuery) -> Response {
    let params: HashMap<String, String> = parse_pairs(query.unwrap_or_default().as_bytes())
        .into_iter()
        .collect();
    match validate(&google, &params) {
        Ok(page) => page,
        Err(error) => error.into_response(),
    }
}

fn validate(google: &Google, params: &HashMap<String, String>) -> Result<Response, PageError> {
    let get = |name: &str| params.get(name).filter(|v| !v.is_empty()).cloned();
    let missing =
        |name: &str| PageError::invalid_request(format!("Missing required parameter: {name}"));

    let client_id = get("client_id").ok_or_else(|| missing("client_id"))?;
    let mut inner = google.lock();
    let client = inner.clients.get(&client_id).ok_or_else(|| {
        PageError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "The OAuth client was not found.",
        )
    })?;
    let redirect_uri = get("redirect_uri").ok_or_else(|| missing("redirect_uri"))?;
    if !client.redirect_uris.contains(&redirect_uri) {
        return Err(PageError::new(
            StatusCode::BAD_REQUEST,
            "redirect_uri_mismatch",
            format!(
                "You can't sign in to this app because it doesn't comply with Google's OAuth 2.0 policy. \
                 The redirect_uri {redirect_uri} is not registered for this OAuth client."
            ),
        ));
    }
    match get("response_type").as_deref() {
        None => return Err(missing("response_type")),
        Some("code") => {}
        Some(other) => {
            return Err(PageError::new(
                StatusCode::BAD_REQUEST,
                "unsupported_response_type",
                format!("Invalid response_type: {other}"),
            ));
        }
    }
    let requested = get("scope").ok_or_else(|| missing("scope"))?;
    let scopes: Vec<String> = requested
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    let invalid: Vec<&str> = scopes
        .iter()
        .map(String::as_str)
        .filter(|s| scope::describe(s).is_none())
        .collect();
    if scopes.is_empty() || !invalid.is_empty() {
        return Err(PageError::new(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            format!(
                "Some requested scopes were invalid. {{invalid=[{}]}}",
                invalid.join(", ")
            ),
        ));
    }
    let code_challenge = check_pkce(get("code_challenge"), get("code_challenge_method"))?;
    let offline = match get("access_type").as_deref() {
        None | Some("online") => false,
        Some("offline") => true,
        Some(other) => {
            return Err(PageError::invalid_request(format!(
                "Invalid access_type: {other}"
            )));
        }
    };
    let prompt = get("prompt").unwrap_or_default();
    if let Some(bad) = prompt
        .split(' ')
        .find(|p| !["", "none", "consent", "select_account"].contains(p))
    {
        return Err(PageError::invalid_request(format!("Invalid prompt: {bad}")));
    }

    let hinted =
        get("login_hint").and_then(|hint| inner.user_by_email(&hint).map(|u| u.sub.clone()));
    let users: Vec<Account> = inner
        .users
        .iter()
        .filter(|u| hinted.as_ref().is_none_or(|sub| *sub == u.sub))
        .map(|u| Account {
            sub: u.sub.clone(),
            email: u.email.clone(),
        })
        .collect();
    if users.is_empty() {
        return Err(PageError::new(
            StatusCode::BAD_REQUEST,
            "sandbox_no_user",
            "The Google sandbox has no user yet: create one with POST /sandbox/google/users.",
        ));
    }

    let consent_id = random_string(32);
    let pending = PendingConsent {
        client_id: client_id.clone(),
        redirect_uri,
        scopes: scopes.clone(),
        state: params.get("state").cloned(),
        code_challenge,
        offline,
        prompt_consent: prompt.split(' ').any(|p| p == "consent"),
        user_sub: hinted,
    };
    inner.pending.insert(consent_id.clone(), pending);
    drop(inner);

    let scopes = scopes.into_iter().map(|name| {
        let text = scope::describe(&name).unwrap_or_default();
        ScopeChoice { name, text }
    });
    let page = ConsentPage {
        client_id: &client_id,
        consent_id: &consent_id,
        users,
        scopes: scopes.collect(),
    };
    Ok(render(StatusCode::OK, &page))
}

/// PKCE as RFC 7636 with S256 only: a SHA-256 challenge is always 43 base64url characters.
fn check_pkce(
    challenge: Option<String>,
    method: Option<String>,
) -> Result<Option<String>, PageError> {
    match (challenge, method.as_deref()) {
        (None, None) => Ok(None),
        (None, Some(_)) => Err(PageError::invalid_request(
            "Missing required parameter: code_challenge",
        )),
        (Some(_), None | Some("plain")) => Err(PageError::invalid_request(
            "The Google sandbox only accepts code_challenge_method=S256.",
        )),
        (Some(challenge), Some("S256")) => {
            let well_formed = challenge.len() == 43
                && challenge
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if well_formed {
                Ok(Some(challenge))
            } else {
                Err(PageError::invalid_request(
                    "Invalid code_challenge: expected BASE64URL(SHA256(code_verifier)) without padding.",
                ))
            }
        }
        (Some(_), Some(other)) => Err(PageError::invalid_request(format!(
            "Invalid code_challenge_method: {other}"
        ))),
    }
}

/// The consent form's submission: `consent_id`, `user`, one `scope` per ticked box, `decision`.
pub async fn decide(State(google): State<Arc<Google>>, body: Bytes) -> Response {
    let form = parse_pairs(&body);
    let field = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let ticked: Vec<String> = form
        .iter()
        .filter(|(k, _)| k == "scope")
        .map(|(_, v)| v.clone())
        .collect();

    let mut inner = google.lock();
    let Some(pending) = field("consent_id").and_then(|id| inner.pending.remove(&id)) else {
        return PageError::invalid_request("This consent form has expired or was already used.")
            .into_response();
    };
    let Ok(mut target) = Url::parse(&pending.redirect_uri) else {
        return PageError::invalid_request("The registered redirect_uri is not a URL.")
            .into_response();
    };

    if field("decision").as_deref() != Some("allow") {
        target
            .query_pairs_mut()
            .append_pair("error", "access_denied");
        if let Some(state) = &pending.state {
            target.query_pairs_mut().append_pair("state", state);
        }
        return redirect(&target);
    }

    let chosen = pending.user_sub.clone().or_else(|| field("user"));
    let Some(user_sub) = chosen.filter(|sub| inner.user_by_sub(sub).is_some()) else {
        return PageError::invalid_request("Choose an existing account.").into_response();
    };
    let granted: Vec<String> = pending
        .scopes
        .iter()
        .filter(|s| ticked.contains(s))
        .cloned()
        .collect();
    let code = format!("4/0{}", random_string(70));
    let expires_at = Instant::now() + Duration::from_secs(inner.settings.code_ttl_secs);
    inner.codes.insert(
        code.clone(),
        Code {
            client_id: pending.client_id,
            redirect_uri: pending.redirect_uri,
            user_sub,
            scopes: granted.clone(),
            code_challenge: pending.code_challenge,
            offline: pending.offline,
            prompt_consent: pending.prompt_consent,
            expires_at,
            redeemed: false,
        },
    );
    drop(inner);

    target
        .query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("scope", &granted.join(" "));
    if let Some(state) = &pending.state {
        target.query_pairs_mut().append_pair("state", state);
    }
    redirect(&target)
}

fn redirect(target: &Url) -> Response {
    (
        StatusCode::FOUND,
        [(header::LOCATION, target.as_str().to_owned())],
    )
        .into_response()
}
