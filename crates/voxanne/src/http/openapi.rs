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
    doc.merge(super::appointments::AppointmentsApi::openapi());
    doc
}

static DOCUMENT: LazyLock<utoipa::openapi::OpenApi> = LazyLock::new(document);

/// What `/api/openapi.json` serves: the generated document with the exact contract added.
static EXACT: LazyLock<serde_json::Value> = LazyLock::new(|| super::contract::exact(&DOCUMENT));

/// The served document, for tests and tools that check it.
pub fn exact_document() -> &'static serde_json::Value {
    &EXACT
}

async fn openapi_json() -> Json<&'static serde_json::Value> {
    Json(&EXACT)
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_document_names_the_exact_rules() {
        let doc = exact_document();
        let schemas = &doc["components"]["schemas"];
        assert_eq!(
            schemas["MessageIn"]["properties"]["to"]["pattern"],
            json!(crate::phone::e164_pattern())
        );
        assert!(schemas["CreateTwilioCredentialIn"]["allOf"][0]["oneOf"].is_array());
        // The coarse shape as it reads in JSON text (its backslash escaped): in the generated
        // document, and nowhere in the served one.
        let coarse = r"^\\+[1-9][0-9]{7,14}$";
        assert!(serde_json::to_string(&document()).unwrap().contains(coarse));
        assert!(!doc.to_string().contains(coarse));
    }
}
