//! The tenancy matrix, generated from the OpenAPI document: every API-key operation × both
//! organizations × their own objects, the other's, and made-up ids. Another organization's object
//! answers exactly like a made-up one (404), no answer carries anything of the other
//! organization, and nothing of it changes.

use std::collections::HashSet;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::size::report;
use crate::support::app::{TestApp, TestOrg, random_number};

/// Objects of each kind per organization (16 gives the issue's ≥ 500 cells).
const OBJECTS: usize = 16;

/// What an organization owns, and the strings that would betray it in another's answers.
struct Tenant {
    org: TestOrg,
    credentials: Vec<String>,
    messages: Vec<String>,
    webhooks: Vec<String>,
    appointments: Vec<String>,
    secrets: Vec<String>,
}

/// The kind of object a path or body id names.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Credential,
    Message,
    Webhook,
    Appointment,
}

async fn tenant(app: &TestApp, name: &str) -> Tenant {
    let org = app.org().await;
    let mut credentials = Vec::new();
    let mut secrets = vec![org.id.to_string()];
    for _ in 0..OBJECTS {
        let account = app.full_account().await;
        credentials.push(app.add_token_credential(&org, &account).await);
        secrets.extend([account.sid.clone(), account.number.clone()]);
    }
    let mut messages = Vec::new();
    for credential in &credentials {
        let to = random_number();
        let sent = app
            .call(
                Method::POST,
                "/api/messages",
                Some(&org.key),
                Some(
                    &json!({"to": to, "body": format!("For {name}"), "credential_id": credential}),
                ),
            )
            .await;
        sent.assert_status(StatusCode::ACCEPTED);
        messages.push(sent.body["id"].as_str().unwrap().to_owned());
        secrets.push(to);
    }
    // A webhook endpoint (registering makes no network call) and, through a calendar connected
    // by the consent flow, a booked appointment.
    let hook = app
        .call(
            Method::POST,
            "/api/organization/webhooks",
            Some(&org.key),
            Some(&json!({"url": format!("https://hooks-{name}.example.com/voxanne"), "events": ["message.sent"]})),
        )
        .await;
    hook.assert_status(StatusCode::CREATED);
    let webhooks = vec![hook.body["id"].as_str().unwrap().to_owned()];
    secrets.push(hook.body["secret"].as_str().unwrap().to_owned());
    let appointments = vec![appointment(app, &org).await];
    secrets.extend(credentials.iter().cloned());
    secrets.extend(messages.iter().cloned());
    secrets.extend(webhooks.iter().cloned());
    secrets.extend(appointments.iter().cloned());
    Tenant {
        org,
        credentials,
        messages,
        webhooks,
        appointments,
        secrets,
    }
}

/// Connects a fresh Google user's calendar to `org`, opens it every day and books tomorrow
/// 10:00 UTC; returns the appointment's id.
async fn appointment(app: &TestApp, org: &TestOrg) -> String {
    let email = format!("desk-{}@clinic.example", &org.id.as_str()[4..14]);
    voxanne::google_connection::demo::create_sandbox_user(app.sandbox.url(), &email)
        .await
        .unwrap();
    let google = app.google.as_ref().unwrap();
    voxanne::google_connection::demo::connect_calendar(google, &org.id, &email)
        .await
        .unwrap();
    let every_day: serde_json::Map<String, Value> =
        ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
            .iter()
            .map(|day| ((*day).to_owned(), json!([["08:00", "18:00"]])))
            .collect();
    app.put_settings(
        &org.key,
        &json!({"timezone": "UTC", "opening_hours": every_day}),
    )
    .await
    .assert_status(StatusCode::OK);
    let start = (chrono::Utc::now() + chrono::TimeDelta::days(1))
        .format("%Y-%m-%dT10:00:00Z")
        .to_string();
    let booked = app
        .call(
            Method::POST,
            "/api/calendar/appointments",
            Some(&org.key),
            Some(&json!({"start": start, "duration_minutes": 30,
                "lead": {"name": "Maria Lopez", "phone": "+14155552671", "reason": "Cleaning"}})),
        )
        .await;
    booked.assert_status(StatusCode::CREATED);
    booked.body["id"].as_str().unwrap().to_owned()
}

/// Ids that belong to nobody: well-formed, of the other kind, malformed.
fn made_up(kind: Kind) -> Vec<String> {
    let (own, other) = match kind {
        Kind::Credential => (
            voxanne::ids::CredentialId::generate().to_string(),
            voxanne::ids::MessageId::generate().to_string(),
        ),
        Kind::Message => (
            voxanne::ids::MessageId::generate().to_string(),
            voxanne::ids::CredentialId::generate().to_string(),
        ),
        Kind::Webhook => (
            voxanne::ids::WebhookEndpointId::generate().to_string(),
            voxanne::ids::AppointmentId::generate().to_string(),
        ),
        Kind::Appointment => (
            voxanne::ids::AppointmentId::generate().to_string(),
            voxanne::ids::WebhookEndpointId::generate().to_string(),
        ),
    };
    vec![
        own,
        other,
        "cred_x".into(),
        "msg_".into(),
        "%2e%2e".into(),
        "0".repeat(200),
    ]
}

/// One cell: its request and the answer it must (not) give.
struct Cell {
    method: Method,
    path: String,
    body: Option<Value>,
    /// `Some(id)`: the id the request names; `None`: the operation names no object.
    target: Option<String>,
    /// Whether the target is the caller's own.
    own: bool,
}

/// The cells of one operation for `caller` (the other tenant is `other`).
fn cells(
    method: &Method,
    path: &str,
    caller: &Tenant,
    other: &Tenant,
    name: &str,
) -> Option<Vec<Cell>> {
    let id_kind = if path.starts_with("/api/organization/credentials/{id}") {
        Some(Kind::Credential)
    } else if path == "/api/messages/{id}" {
        Some(Kind::Message)
    } else if path.starts_with("/api/organization/webhooks/{id}") {
        Some(Kind::Webhook)
    } else if path.starts_with("/api/calendar/appointments/{id}") {
        Some(Kind::Appointment)
    } else {
        None
    };
    // An attempt to replay is never the caller's own here (the endpoints never received an
    // event): a made-up attempt under any endpoint answers 404.
    let attempt = path
        .contains("{attempt_id}")
        .then(|| voxanne::ids::WebhookAttemptId::generate().to_string());
    let path = path.replace("{attempt_id}", attempt.as_deref().unwrap_or_default());
    let path = path.as_str();
    // Operations that name an object in the body.
    let body_kind = match (method.as_str(), path) {
        ("POST", "/api/messages")
        | ("POST", "/api/organization/credentials/google_calendar/connect") => {
            Some(Kind::Credential)
        }
        _ => None,
    };
    let body_for = |target: Option<&str>| -> Option<Value> {
        match (method.as_str(), path) {
            ("PATCH", "/api/organization/webhooks/{id}") => {
                Some(json!({"description": format!("Probe by {name}")}))
            }
            ("PATCH", _) => Some(json!({"label": format!("Probe by {name}")})),
            ("POST", "/api/organization/credentials/{id}/verify") => Some(json!({})),
            ("POST", "/api/messages") => {
                Some(json!({"to": random_number(), "body": "probe", "credential_id": target}))
            }
            ("POST", "/api/messages/hot-lead") => Some(
                json!({"lead": {"name": "Probe", "phone": "+14155550123", "reason": "probe"}, "to": [random_number()]}),
            ),
            ("POST", "/api/organization/credentials/google_calendar/connect") => {
                Some(json!({"credential_id": target}))
            }
            ("POST", "/api/organization/credentials/twilio") => Some(json!({
                "account_sid": format!("AC{}", "ab".repeat(16)), "auth_token": "cd".repeat(16),
                "from_number": "+14155550100"})),
            ("PUT", "/api/organization/settings") => Some(json!({"timezone": "Europe/Paris"})),
            _ => None,
        }
    };
    let targets = |kind: Kind| -> Vec<(String, bool)> {
        let (own, foreign) = match kind {
            Kind::Credential => (&caller.credentials, &other.credentials),
            Kind::Message => (&caller.messages, &other.messages),
            Kind::Webhook => (&caller.webhooks, &other.webhooks),
            Kind::Appointment => (&caller.appointments, &other.appointments),
        };
        own.iter()
            .map(|id| (id.clone(), attempt.is_none()))
            .chain(foreign.iter().map(|id| (id.clone(), false)))
            .chain(made_up(kind).into_iter().map(|id| (id, false)))
            .collect()
    };
    let cells = match (id_kind, body_kind) {
        (Some(kind), _) => targets(kind)
            .into_iter()
            .map(|(id, own)| Cell {
                method: method.clone(),
                path: path.replace("{id}", &id),
                body: body_for(None),
                target: Some(id),
                own,
            })
            .collect(),
        (None, Some(kind)) => targets(kind)
            .into_iter()
            .map(|(id, own)| Cell {
                method: method.clone(),
                path: path.to_owned(),
                body: body_for(Some(&id)),
                target: Some(id),
                own,
            })
            .collect(),
        (None, None) if path.starts_with("/api/") => vec![Cell {
            method: method.clone(),
            path: path.to_owned(),
            body: body_for(None),
            target: None,
            own: true,
        }],
        // Health, metrics, Twilio's callbacks and Google's redirect take no API key: no tenant.
        (None, None) => return None,
    };
    Some(cells)
}

#[tokio::test]
async fn every_operation_for_both_organizations_on_own_foreign_and_made_up_ids_leaks_nothing() {
    let app = TestApp::spawn_with_google().await;
    let tenants = [tenant(&app, "A").await, tenant(&app, "B").await];
    let doc = voxanne::http::openapi::exact_document();
    let mut operations: Vec<(Method, String)> = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            operations.push((method.to_uppercase().parse().unwrap(), path.clone()));
        }
    }
    // Deleting comes last, so the other cells still find every object.
    operations.sort_by_key(|(method, _)| *method == Method::DELETE);

    let (mut total, mut leaks, mut wrong) = (0usize, Vec::new(), Vec::new());
    let mut checked_labels = false;
    for (method, path) in &operations {
        if *method == Method::DELETE && !checked_labels {
            // Before anything is deleted: no PATCH of one organization changed the other's.
            for (i, tenant) in tenants.iter().enumerate() {
                let listed = app
                    .call(
                        Method::GET,
                        "/api/organization/credentials",
                        Some(&tenant.org.key),
                        None,
                    )
                    .await;
                for credential in listed.body["credentials"].as_array().into_iter().flatten() {
                    let label = credential["label"].as_str().unwrap_or_default();
                    assert_ne!(
                        label,
                        format!("Probe by {}", ["B", "A"][i]),
                        "changed by the other"
                    );
                }
            }
            checked_labels = true;
        }
        // Foreign and made-up targets of every caller first, own ones after (a DELETE of one's
        // own must not hide whether the other's delete of it would have worked).
        let mut plan = Vec::new();
        for (i, caller) in tenants.iter().enumerate() {
            let other = &tenants[1 - i];
            let Some(cells) = cells(method, path, caller, other, ["A", "B"][i]) else {
                continue;
            };
            plan.extend(cells.into_iter().map(|cell| (i, cell)));
        }
        plan.sort_by_key(|(_, cell)| cell.own);
        for (i, cell) in plan {
            let (caller, other) = (&tenants[i], &tenants[1 - i]);
            let answer = app
                .call(
                    cell.method.clone(),
                    &cell.path,
                    Some(&caller.org.key),
                    cell.body.as_ref(),
                )
                .await;
            total += 1;
            let echoed: HashSet<&str> = cell.target.iter().map(String::as_str).collect();
            if let Some(secret) = other
                .secrets
                .iter()
                .find(|s| !echoed.contains(s.as_str()) && answer.text.contains(s.as_str()))
            {
                leaks.push(format!("{} {} as {i}: {secret}", cell.method, cell.path));
            }
            let status = answer.status;
            let ok = match (&cell.target, cell.own) {
                // Another's object or a made-up one: not found (a malformed body id: 422).
                (Some(_), false) => {
                    status == StatusCode::NOT_FOUND
                        || (cell.body.is_some() && status == StatusCode::UNPROCESSABLE_ENTITY)
                }
                // The caller's own credentials are Twilio accounts: where a Google Calendar
                // connection is needed, a credential of the wrong kind answers as none does.
                (Some(_), true)
                    if cell.path == "/api/organization/credentials/google_calendar/connect" =>
                {
                    status == StatusCode::NOT_FOUND
                }
                _ => status != StatusCode::NOT_FOUND && !status.is_server_error(),
            };
            if !ok {
                wrong.push(format!(
                    "{} {} as {i}: {} {}",
                    cell.method, cell.path, status, answer.text
                ));
            }
        }
    }
    report(&format!(
        "tenancy matrix from the OpenAPI document ({} operations × 2 organizations × own/foreign/made-up ids): {total} cells, {} leaks, {} wrong answers",
        operations.len(),
        leaks.len(),
        wrong.len()
    ));
    assert!(total >= 500, "{total} cells");
    assert!(leaks.is_empty(), "{leaks:#?}");
    assert!(wrong.is_empty(), "{wrong:#?}");
}
