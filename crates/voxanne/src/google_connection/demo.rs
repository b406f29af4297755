//! Connecting a clinic's calendar without a person at the browser: for `voxanne demo` and tests,
//! against the sandbox's Google stand-in only.
//!
//! [`register_sandbox_client`] and [`create_sandbox_user`] set up the stand-in;
//! [`connect_calendar`] walks the consent page like a browser (open the authorization URL, tick
//! the calendar boxes, press Continue) and finishes the connect in-process, so the organization
//! ends up with a verified `google_calendar` credential.

use reqwest::StatusCode;
use secrecy::SecretString;
use serde_json::{Value, json};
use url::Url;

use super::{ConnectError, GoogleConnections};
use crate::google::REQUESTED_SCOPES;
use crate::ids::OrgId;
use crate::store::{Credential, StoreError};

/// Why the scripted connect did not complete.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("could not reach the Google sandbox")]
    Http(#[from] reqwest::Error),
    #[error("the Google sandbox answered unexpectedly: {0}")]
    Sandbox(String),
    #[error("starting the connect failed")]
    Store(#[from] StoreError),
    #[error("finishing the connect failed")]
    Connect(#[from] ConnectError),
}

fn http() -> Result<reqwest::Client, DemoError> {
    Ok(reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?)
}

/// Registers an OAuth client at the stand-in served at `sandbox_url`, allowed to redirect to
/// `redirect_url` (Voxanne's `{public_url}/oauth/google/callback`). Returns its id and secret,
/// for `VOXANNE_GOOGLE_CLIENT_ID` / `VOXANNE_GOOGLE_CLIENT_SECRET`.
pub async fn register_sandbox_client(
    sandbox_url: &str,
    redirect_url: &str,
) -> Result<(String, SecretString), DemoError> {
    let response = http()?
        .post(format!(
            "{}/sandbox/google/clients",
            sandbox_url.trim_end_matches('/')
        ))
        .json(&json!({"redirect_uris": [redirect_url]}))
        .send()
        .await?;
    if response.status() != StatusCode::CREATED {
        return Err(DemoError::Sandbox(format!(
            "registering the OAuth client: HTTP {}",
            response.status()
        )));
    }
    let body: Value = response.json().await?;
    match (body["client_id"].as_str(), body["client_secret"].as_str()) {
        (Some(id), Some(secret)) => Ok((id.to_owned(), SecretString::from(secret.to_owned()))),
        _ => Err(DemoError::Sandbox(
            "the client registration lacks client_id or client_secret".into(),
        )),
    }
}

/// Creates a Google user with a primary calendar at the stand-in; an existing one is kept.
pub async fn create_sandbox_user(sandbox_url: &str, email: &str) -> Result<(), DemoError> {
    let response = http()?
        .post(format!(
            "{}/sandbox/google/users",
            sandbox_url.trim_end_matches('/')
        ))
        .json(&json!({"email": email}))
        .send()
        .await?;
    match response.status() {
        StatusCode::CREATED | StatusCode::CONFLICT => Ok(()),
        other => Err(DemoError::Sandbox(format!(
            "creating the user: HTTP {other}"
        ))),
    }
}

/// The value of the first `name="{name}" value="…"` input of a page.
fn input_value(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let rest = html.split(&marker).nth(1)?;
    rest.split('"').next().map(str::to_owned)
}

/// Opens `authorization_url` like a browser, ticks every requested calendar scope, presses
/// Continue, and returns where the stand-in redirects the browser (Voxanne's callback URL).
pub async fn consent(authorization_url: &Url) -> Result<Url, DemoError> {
    let client = http()?;
    let page = client.get(authorization_url.clone()).send().await?;
    if page.status() != StatusCode::OK {
        return Err(DemoError::Sandbox(format!(
            "the consent page answered HTTP {}",
            page.status()
        )));
    }
    let html = page.text().await?;
    let field = |name: &str| {
        input_value(&html, name)
            .ok_or_else(|| DemoError::Sandbox(format!("the consent page has no `{name}` input")))
    };
    let mut form = vec![
        ("consent_id", field("consent_id")?),
        ("user", field("user")?),
        ("decision", "allow".to_owned()),
    ];
    form.extend(REQUESTED_SCOPES.iter().map(|s| ("scope", (*s).to_owned())));
    let mut action = authorization_url.clone();
    action.set_query(None);
    let answer = client.post(action).form(&form).send().await?;
    let location = answer
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|l| l.to_str().ok())
        .and_then(|l| Url::parse(l).ok())
        .ok_or_else(|| {
            DemoError::Sandbox(format!(
                "the consent form answered HTTP {} without a redirect",
                answer.status()
            ))
        })?;
    Ok(location)
}

/// Connects `email`'s sandbox calendar to `org`: start, consent, finish, verify. The stand-in
/// behind `connections` must know the user (see [`create_sandbox_user`]).
pub async fn connect_calendar(
    connections: &GoogleConnections,
    org: &OrgId,
    email: &str,
) -> Result<Credential, DemoError> {
    let (url, _) = connections
        .start(
            org,
            None,
            Some(email),
            (crate::store::ActorKind::Cli, "CLI"),
        )
        .await?;
    let callback = consent(&url).await?;
    let param = |name: &str| {
        callback
            .query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    let state =
        param("state").ok_or_else(|| DemoError::Sandbox("the redirect carries no state".into()))?;
    let credential = connections
        .finish(
            &state,
            param("code").as_deref(),
            param("error").as_deref(),
            Some(org),
        )
        .await?
        .credential;
    Ok(credential)
}
