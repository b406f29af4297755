//! `/dashboard/webhooks`: the clinic's webhook endpoints (URL, events, enabled or why not, the
//! secret's end only) with their recent attempts; add one (its signing secret shown once), send
//! a test event, rotate the secret (shown once), disable, enable, delete after a confirmation.
//! The rules are in [`crate::webhooks`].

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use chrono::DateTime;
use secrecy::ExposeSecret;

use super::Dashboard;
use super::csrf::Posted;
use super::lookup::{Owned, PostedTo, Viewing, found};
use super::render::{self, Confirm, Nav, Section, when};
use super::session::Admin;
use crate::ids::WebhookEndpointId;
use crate::store::{WebhookAttempt, WebhookEndpoint};
use crate::webhooks::{self, EVENT_TYPES, EndpointChange, MAX_DESCRIPTION_LEN, WebhookError};

/// How many attempts each endpoint lists.
const ATTEMPTS_SHOWN: u32 = 10;

pub fn router() -> Router<Dashboard> {
    Router::new()
        .route("/dashboard/webhooks", get(show).post(create))
        .route("/dashboard/webhooks/{id}/test", post(send_test))
        .route("/dashboard/webhooks/{id}/rotate", post(rotate))
        .route("/dashboard/webhooks/{id}/disable", post(disable))
        .route("/dashboard/webhooks/{id}/enable", post(enable))
        .route(
            "/dashboard/webhooks/{id}/delete",
            get(confirm_delete).post(delete),
        )
}

struct AttemptRow {
    at: String,
    /// What happened (`message.delivered`), which is what a person looks for.
    event_type: String,
    /// The event's `webhook-id`, to find it in the receiver's logs.
    event_id: String,
    outcome: String,
    ok: bool,
    latency: String,
}

struct EndpointRow {
    id: String,
    url: String,
    description: String,
    events: String,
    enabled: bool,
    disabled_reason: Option<String>,
    secret_end: String,
    attempts: Vec<AttemptRow>,
}

/// A secret shown this once, and for which endpoint.
struct Shown {
    what: String,
    url: String,
    secret: String,
}

/// The form's values as typed, with the errors next to their fields.
#[derive(Default)]
struct AddForm {
    url: String,
    events: Vec<String>,
    description: String,
    url_error: Option<String>,
    events_error: Option<String>,
    description_error: Option<String>,
}

struct EventChoice {
    name: &'static str,
    id: String,
    checked: bool,
}

#[derive(Template)]
#[template(path = "dashboard/webhooks.html")]
struct WebhooksPage {
    nav: Nav,
    endpoints: Vec<EndpointRow>,
    shown: Option<Shown>,
    notice: Option<String>,
    error: Option<String>,
    form: AddForm,
    choices: Vec<EventChoice>,
    max_description: usize,
}

fn ms(at: i64) -> String {
    DateTime::from_timestamp_millis(at).map_or_else(String::new, |at| when(&at))
}

fn attempt_row(attempt: &WebhookAttempt) -> AttemptRow {
    let ok = attempt
        .status_code
        .is_some_and(|code| (200..300).contains(&code));
    let outcome = match (&attempt.error, attempt.status_code) {
        (Some(error), _) => error.clone(),
        (None, Some(code)) => format!("HTTP {code}"),
        (None, None) => "no answer".to_owned(),
    };
    AttemptRow {
        at: ms(attempt.at),
        event_type: attempt.event_type.clone(),
        event_id: attempt.event_id.to_string(),
        outcome,
        ok,
        latency: format!("{} ms", attempt.latency_ms),
    }
}

async fn endpoint_row(
    state: &Dashboard,
    admin: &Admin,
    endpoint: &WebhookEndpoint,
) -> Result<EndpointRow, WebhookError> {
    let attempts =
        webhooks::attempts(&state.services, &admin.caller, &endpoint.id, ATTEMPTS_SHOWN).await?;
    Ok(EndpointRow {
        id: endpoint.id.to_string(),
        url: endpoint.url.clone(),
        description: endpoint.description.clone(),
        events: endpoint.events.join(", "),
        enabled: endpoint.enabled,
        disabled_reason: endpoint.disabled_reason.clone(),
        secret_end: format!("…{}", endpoint.secret_last4),
        attempts: attempts.iter().map(attempt_row).collect(),
    })
}

async fn webhooks_page(
    state: &Dashboard,
    admin: &Admin,
    status: StatusCode,
    fill: impl FnOnce(&mut WebhooksPage),
) -> Response {
    let endpoints = match webhooks::list(&state.services, &admin.caller).await {
        Ok(endpoints) => endpoints,
        Err(err) => return render::internal_error(&err),
    };
    let mut rows = Vec::with_capacity(endpoints.len());
    for endpoint in &endpoints {
        match endpoint_row(state, admin, endpoint).await {
            Ok(row) => rows.push(row),
            Err(err) => return render::internal_error(&err),
        }
    }
    let mut page = WebhooksPage {
        nav: Nav::new(admin, Section::Webhooks),
        endpoints: rows,
        shown: None,
        notice: None,
        error: None,
        form: AddForm::default(),
        choices: Vec::new(),
        max_description: MAX_DESCRIPTION_LEN,
    };
    fill(&mut page);
    page.choices = EVENT_TYPES
        .iter()
        .map(|name| EventChoice {
            name,
            id: format!("event-{}", name.replace(['.', '_'], "-")),
            checked: page.form.events.iter().any(|chosen| chosen == name),
        })
        .collect();
    render::page(status, &page)
}

async fn show(State(state): State<Dashboard>, admin: Admin) -> Response {
    webhooks_page(&state, &admin, StatusCode::OK, |_| {}).await
}

/// The add form as posted: `events` repeats once per ticked box, so it is read as pairs.
fn add_form(pairs: Vec<(String, String)>) -> AddForm {
    let mut form = AddForm::default();
    for (name, value) in pairs {
        match name.as_str() {
            "url" => form.url = value,
            "events" => form.events.push(value),
            "description" => form.description = value,
            _ => {}
        }
    }
    form
}

async fn create(State(state): State<Dashboard>, posted: Posted<Vec<(String, String)>>) -> Response {
    let Posted { admin, form } = posted;
    let mut form = add_form(form);
    let description = Some(form.description.as_str()).filter(|d| !d.trim().is_empty());
    match webhooks::create(
        &state.services,
        &admin.caller,
        &form.url,
        &form.events,
        description,
    )
    .await
    {
        Ok(created) => {
            // Shown this once, in this response; it is never shown again.
            let shown = Shown {
                what: "Webhook endpoint added".to_owned(),
                url: created.endpoint.url.clone(),
                secret: created.secret.expose_secret().to_owned(),
            };
            webhooks_page(&state, &admin, StatusCode::OK, |page| {
                page.shown = Some(shown);
            })
            .await
        }
        Err(WebhookError::Invalid { field, message }) => {
            match field {
                "url" => {
                    form.url_error = Some(format!(
                        "This address cannot receive webhooks ({message}). Enter the full https:// address of your receiver."
                    ));
                }
                "events" => {
                    form.events_error =
                        Some("Tick at least one event to send to this address.".to_owned());
                }
                _ => {
                    form.description_error = Some(format!(
                        "Keep the description to one line of at most {MAX_DESCRIPTION_LEN} characters."
                    ));
                }
            }
            webhooks_page(&state, &admin, StatusCode::UNPROCESSABLE_ENTITY, |page| {
                page.form = form;
            })
            .await
        }
        Err(err) => render::internal_error(&err),
    }
}

impl Owned for WebhookEndpoint {
    async fn find(state: &Dashboard, admin: &Admin, id: &str) -> Result<Self, Response> {
        let id = WebhookEndpointId::parse(id).map_err(|_| render::not_found(admin))?;
        let endpoint = webhooks::get(&state.services, &admin.caller, &id);
        found(admin, endpoint, |err| {
            matches!(err, WebhookError::NotFound { .. })
        })
        .await
    }
}

/// A page after an action: the notice on success, the error (in words) otherwise.
async fn after(
    state: &Dashboard,
    admin: &Admin,
    outcome: Result<String, WebhookError>,
) -> Response {
    match outcome {
        Ok(notice) => {
            webhooks_page(state, admin, StatusCode::OK, |page| {
                page.notice = Some(notice);
            })
            .await
        }
        Err(WebhookError::NotFound { .. }) => render::not_found(admin),
        Err(WebhookError::Disabled) => {
            webhooks_page(state, admin, StatusCode::CONFLICT, |page| {
                page.error = Some(
                    "This endpoint is disabled: enable it before sending a test event.".to_owned(),
                );
            })
            .await
        }
        Err(err) => render::internal_error(&err),
    }
}

async fn send_test(State(state): State<Dashboard>, posted: PostedTo<WebhookEndpoint>) -> Response {
    let PostedTo {
        admin,
        object: endpoint,
        ..
    } = posted;
    let outcome = webhooks::send_test(&state.services, &admin.caller, &endpoint.id)
        .await
        .map(|_| {
            format!(
                "A test event is on its way to {}. Reload this page to see the attempt.",
                endpoint.url
            )
        });
    after(&state, &admin, outcome).await
}

async fn rotate(State(state): State<Dashboard>, posted: PostedTo<WebhookEndpoint>) -> Response {
    let PostedTo {
        admin,
        object: endpoint,
        ..
    } = posted;
    match webhooks::rotate_secret(&state.services, &admin.caller, &endpoint.id).await {
        Ok(rotated) => {
            let shown = Shown {
                what: "New signing secret".to_owned(),
                url: rotated.endpoint.url.clone(),
                secret: rotated.secret.expose_secret().to_owned(),
            };
            webhooks_page(&state, &admin, StatusCode::OK, |page| {
                page.shown = Some(shown);
            })
            .await
        }
        Err(err) => after(&state, &admin, Err(err)).await,
    }
}

async fn set_enabled(
    state: &Dashboard,
    posted: PostedTo<WebhookEndpoint>,
    enabled: bool,
) -> Response {
    let PostedTo {
        admin,
        object: endpoint,
        ..
    } = posted;
    let change = EndpointChange {
        enabled: Some(enabled),
        ..EndpointChange::default()
    };
    let outcome = webhooks::update(&state.services, &admin.caller, &endpoint.id, change)
        .await
        .map(|endpoint| {
            if enabled {
                format!("{} is enabled: events are sent to it again.", endpoint.url)
            } else {
                format!("{} is disabled: nothing is sent to it.", endpoint.url)
            }
        });
    after(state, &admin, outcome).await
}

async fn disable(State(state): State<Dashboard>, posted: PostedTo<WebhookEndpoint>) -> Response {
    set_enabled(&state, posted, false).await
}

async fn enable(State(state): State<Dashboard>, posted: PostedTo<WebhookEndpoint>) -> Response {
    set_enabled(&state, posted, true).await
}

async fn confirm_delete(viewing: Viewing<WebhookEndpoint>) -> Response {
    let Viewing {
        admin,
        object: endpoint,
    } = viewing;
    let confirm = Confirm {
        nav: Nav::new(&admin, Section::Webhooks),
        title: "Delete webhook endpoint",
        question: format!(
            "Delete the webhook endpoint {}? Nothing more is sent to it and its attempts are forgotten. This cannot be undone.",
            endpoint.url
        ),
        action: format!("/dashboard/webhooks/{}/delete", endpoint.id),
        yes: "Yes, delete",
        back: "/dashboard/webhooks",
        error: None,
    };
    render::page(StatusCode::OK, &confirm)
}

async fn delete(State(state): State<Dashboard>, posted: PostedTo<WebhookEndpoint>) -> Response {
    let PostedTo {
        admin,
        object: endpoint,
        ..
    } = posted;
    let outcome = webhooks::delete(&state.services, &admin.caller, &endpoint.id)
        .await
        .map(|()| format!("The webhook endpoint {} is deleted.", endpoint.url));
    after(&state, &admin, outcome).await
}
