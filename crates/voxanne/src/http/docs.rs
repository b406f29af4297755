//! `GET /docs`: a readable list of the endpoints, rendered on the server from the same OpenAPI
//! document as `/api/openapi.json`.
//!
//! It works offline (clinics' networks and our demo machine have no CDN access), so there is no
//! JavaScript viewer: askama renders plain HTML, and the page cannot drift from the document.

use askama::Template;
use axum::response::Html;
use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::{OpenApi, RefOr, Required};

use super::error::ApiError;

#[derive(Template)]
#[template(path = "docs.html")]
struct DocsPage {
    title: String,
    version: String,
    description: String,
    operations: Vec<OperationView>,
}

struct OperationView {
    method: &'static str,
    path: String,
    summary: String,
    description: String,
    parameters: Vec<String>,
    body: Option<String>,
    responses: Vec<(String, String)>,
}

fn operations(item: &PathItem) -> [(&'static str, Option<&Operation>); 5] {
    [
        ("GET", item.get.as_ref()),
        ("POST", item.post.as_ref()),
        ("PUT", item.put.as_ref()),
        ("PATCH", item.patch.as_ref()),
        ("DELETE", item.delete.as_ref()),
    ]
}

fn schema_name<T>(reference: Option<&RefOr<T>>) -> Option<String> {
    match reference? {
        RefOr::Ref(r) => r.ref_location.rsplit('/').next().map(str::to_owned),
        RefOr::T(_) => Some("inline object".to_owned()),
    }
}

fn view(path: &str, method: &'static str, op: &Operation) -> OperationView {
    let parameters = op
        .parameters
        .iter()
        .flatten()
        .map(|p| match p {
            RefOr::T(p) => {
                let required = matches!(p.required, Required::True);
                // ParameterIn serializes as OpenAPI spells it ("path", "query", …).
                let location = serde_json::to_value(&p.parameter_in)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default();
                format!(
                    "{} (in {location}{})",
                    p.name,
                    if required { ", required" } else { "" }
                )
            }
            RefOr::Ref(r) => r.ref_location.clone(),
        })
        .collect();
    let body = op.request_body.as_ref().and_then(|body| match body {
        RefOr::T(body) => body
            .content
            .values()
            .next()
            .and_then(|content| match content {
                RefOr::T(content) => schema_name(content.schema.as_ref()),
                RefOr::Ref(r) => Some(r.ref_location.clone()),
            }),
        RefOr::Ref(r) => Some(r.ref_location.clone()),
    });
    let responses = op
        .responses
        .responses
        .iter()
        .map(|(status, response)| {
            let text = match response {
                RefOr::T(r) => r.description.clone(),
                RefOr::Ref(r) => r.ref_location.clone(),
            };
            (status.clone(), text)
        })
        .collect();
    OperationView {
        method,
        path: path.to_owned(),
        summary: op.summary.clone().unwrap_or_default(),
        description: op.description.clone().unwrap_or_default(),
        parameters,
        body,
        responses,
    }
}

/// Renders the page for `doc`.
pub fn render(doc: &OpenApi) -> Result<Html<String>, ApiError> {
    let mut views = Vec::new();
    for (path, item) in &doc.paths.paths {
        for (method, op) in operations(item) {
            if let Some(op) = op {
                views.push(view(path, method, op));
            }
        }
    }
    let page = DocsPage {
        title: doc.info.title.clone(),
        version: doc.info.version.clone(),
        description: doc.info.description.clone().unwrap_or_default(),
        operations: views,
    };
    let html = page.render().map_err(|err| {
        ApiError::Unexpected(anyhow::Error::new(err).context("Failed to render the docs page"))
    })?;
    Ok(Html(html))
}
