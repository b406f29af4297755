//! `/dashboard/api-keys`: the clinic's API keys (name, created, last used, the key's end only);
//! create one under a name (shown once); revoke one after a confirmation step. The rules are in
//! [`crate::api_keys`].

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use secrecy::ExposeSecret;
use serde::Deserialize;

use super::Dashboard;
use super::csrf::Posted;
use super::lookup::{Owned, PostedTo, Viewing, found};
use super::render::{self, Confirm, Nav, Section, when};
use super::session::Admin;
use crate::api_key::PREFIX;
use crate::api_keys::{self, ApiKeysError, display_name};
use crate::ids::ApiKeyId;
use crate::store::ApiKeyRecord;

pub fn router() -> Router<Dashboard> {
    Router::new()
        .route("/dashboard/api-keys", get(show).post(create))
        .route(
            "/dashboard/api-keys/{id}/revoke",
            get(confirm_revoke).post(revoke),
        )
}

struct KeyRow {
    id: String,
    name: String,
    prefix: String,
    created: String,
    last_used: String,
    revoked: Option<String>,
}

struct Created {
    name: String,
    key: String,
}

#[derive(Template)]
#[template(path = "dashboard/api_keys.html")]
struct KeysPage {
    nav: Nav,
    keys: Vec<KeyRow>,
    created: Option<Created>,
    notice: Option<String>,
    name: String,
    error: Option<String>,
}

fn row(record: &ApiKeyRecord) -> KeyRow {
    KeyRow {
        id: record.id.to_string(),
        name: if record.name.is_empty() {
            "(unnamed)".to_owned()
        } else {
            record.name.clone()
        },
        prefix: format!("{PREFIX}…{}", record.last4),
        created: when(&record.created_at),
        last_used: record
            .last_used_at
            .as_ref()
            .map_or_else(|| "never".to_owned(), when),
        revoked: record.revoked_at.as_ref().map(when),
    }
}

async fn keys_page(
    state: &Dashboard,
    admin: &Admin,
    status: StatusCode,
    fill: impl FnOnce(&mut KeysPage),
) -> Response {
    let keys = match api_keys::list(state.store(), &admin.caller).await {
        Ok(keys) => keys,
        Err(err) => return render::internal_error(&err),
    };
    let mut page = KeysPage {
        nav: Nav::new(admin, Section::ApiKeys),
        keys: keys.iter().map(row).collect(),
        created: None,
        notice: None,
        name: String::new(),
        error: None,
    };
    fill(&mut page);
    render::page(status, &page)
}

async fn show(State(state): State<Dashboard>, admin: Admin) -> Response {
    keys_page(&state, &admin, StatusCode::OK, |_| {}).await
}

#[derive(Deserialize)]
struct CreateForm {
    #[serde(default)]
    name: String,
}

async fn create(State(state): State<Dashboard>, posted: Posted<CreateForm>) -> Response {
    let Posted { admin, form } = posted;
    let error = match api_keys::create(state.store(), &admin.caller, &form.name).await {
        Ok(created) => {
            // Shown this once, in this response; the store keeps only its hash.
            let key = created.key.secret().expose_secret().to_owned();
            let created = Created {
                name: created.record.name,
                key,
            };
            return keys_page(&state, &admin, StatusCode::OK, |page| {
                page.created = Some(created);
            })
            .await;
        }
        Err(ApiKeysError::NameMissing) => {
            "Give the key a name, e.g. the system that will use it.".to_owned()
        }
        Err(ApiKeysError::NameTooLong) => format!(
            "The name is too long: use at most {} characters.",
            api_keys::MAX_NAME_LEN
        ),
        Err(ApiKeysError::NameInvalid) => {
            "The name may contain letters, digits, spaces and punctuation only.".to_owned()
        }
        Err(err) => return render::internal_error(&err),
    };
    keys_page(&state, &admin, StatusCode::UNPROCESSABLE_ENTITY, |page| {
        page.name = form.name;
        page.error = Some(error);
    })
    .await
}

impl Owned for ApiKeyRecord {
    async fn find(state: &Dashboard, admin: &Admin, id: &str) -> Result<Self, Response> {
        let id = ApiKeyId::parse(id).map_err(|_| render::not_found(admin))?;
        let record = api_keys::get(state.store(), &admin.caller, &id);
        found(admin, record, |err| matches!(err, ApiKeysError::NotFound)).await
    }
}

async fn confirm_revoke(viewing: Viewing<ApiKeyRecord>) -> Response {
    let Viewing {
        admin,
        object: record,
    } = viewing;
    let confirm = Confirm {
        nav: Nav::new(&admin, Section::ApiKeys),
        title: "Revoke API key",
        question: format!(
            "Revoke the API key \"{}\" ({PREFIX}…{})? Anything still using it is refused from now on. This cannot be undone.",
            display_name(&record),
            record.last4
        ),
        action: format!("/dashboard/api-keys/{}/revoke", record.id),
        yes: "Yes, revoke",
        back: "/dashboard/api-keys",
        error: None,
    };
    render::page(StatusCode::OK, &confirm)
}

async fn revoke(State(state): State<Dashboard>, posted: PostedTo<ApiKeyRecord>) -> Response {
    let PostedTo {
        admin,
        object: record,
        ..
    } = posted;
    match api_keys::revoke(state.store(), &admin.caller, &record.id).await {
        Ok(revoked) => {
            let notice = format!(
                "The API key \"{}\" is revoked: it is refused from now on.",
                display_name(&revoked)
            );
            keys_page(&state, &admin, StatusCode::OK, |page| {
                page.notice = Some(notice);
            })
            .await
        }
        Err(ApiKeysError::NotFound) => render::not_found(&admin),
        Err(err) => render::internal_error(&err),
    }
}
