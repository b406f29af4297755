//! `GET /api/openapi.json` (OpenAPI 3.1, generated from the handlers' annotations by utoipa) and
//! `GET /docs`, the same document rendered as HTML.

use std::sync::LazyLock;

use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::error::{ErrorBody, ErrorDetail};
use super::{AppState, audit, credentials, docs, google_oauth, health, org_settings, webhooks};

struct BearerApiKey;

impl Modify for BearerApiKey {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("The organization's API key (`vox_live_…`)."))
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Voxanne API",
        description = "Messaging and credentials backbone of an AI phone receptionist: each clinic brings its own Twilio account; Voxanne stores the credentials encrypted, verifies them, and sends through them."
    ),
    paths(
        health::healthz, health::readyz, health::metrics,
        credentials::create_twilio, credentials::list, credentials::get_one, credentials::update,
        credentials::delete, credentials::verify_one,
        google_oauth::connect, google_oauth::callback::callback,
        org_settings::get_settings, org_settings::put_settings,
        audit::list,
        webhooks::create, webhooks::list, webhooks::get_one, webhooks::update, webhooks::delete,
        webhooks::rotate_secret, webhooks::test, webhooks::attempts, webhooks::replay,
    ),
    components(schemas(ErrorBody, ErrorDetail, audit::AuditListOut, audit::AuditEntryOut)),
    modifiers(&BearerApiKey),
    tags(
        (name = "credentials", description = "The organization's provider credentials"),
        (name = "organization", description = "Organization settings"),
        (name = "webhooks", description = "Signed event webhooks (Standard Webhooks) to the receptionist backend"),
        (name = "operations", description = "Health and metrics"),
    )
)]
struct ApiDoc;

/// The whole document. Endpoints merged from other branches add their `OpenApi` here:
/// `doc.merge(messages::MessagesApi::openapi());`
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.merge(super::messages::MessagesApi::openapi());
    doc
}

static DOCUMENT: LazyLock<utoipa::openapi::OpenApi> = LazyLock::new(document);

async fn openapi_json() -> Json<&'static utoipa::openapi::OpenApi> {
    Json(&DOCUMENT)
}

async fn docs_page() -> Response {
    match docs::render(&DOCUMENT) {
        Ok(Html(html)) => Html(html).into_response(),
        Err(err) => err.into_response(),
    }
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/openapi.json", get(openapi_json))
        .route("/docs", get(docs_page))
}
