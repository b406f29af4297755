//! `/api/openapi.json` as a client reads it: structurally an OpenAPI 3.1 document that
//! validators (openapi-spec-validator, schemathesis) accept.

use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::support::app::TestApp;

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

async fn document() -> Value {
    let app = TestApp::spawn().await;
    let answer = app.call(Method::GET, "/api/openapi.json", None, None).await;
    assert_eq!(answer.status, StatusCode::OK);
    answer.body
}

/// Every operation, as `GET /path`, with its operation object.
fn operations(doc: &Value) -> Vec<(String, &Value)> {
    let mut found = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            if METHODS.contains(&method.as_str()) {
                found.push((format!("{} {path}", method.to_uppercase()), operation));
            }
        }
    }
    found
}

/// Every `$ref` string anywhere in `value`.
fn refs<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                match (key.as_str(), inner) {
                    ("$ref", Value::String(target)) => out.push(target),
                    _ => refs(inner, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| refs(item, out)),
        _ => {}
    }
}

#[tokio::test]
async fn every_response_of_every_operation_has_a_description() {
    let doc = document().await;

    let mut missing = Vec::new();
    let operations = operations(&doc);
    for (operation, body) in &operations {
        let responses = body["responses"].as_object();
        assert!(
            responses.is_some_and(|r| !r.is_empty()),
            "{operation} has no responses"
        );
        for (status, response) in responses.unwrap() {
            if !response["description"].is_string() {
                missing.push(format!("{operation} {status}"));
            }
        }
    }

    assert!(
        operations.len() >= 10,
        "only {} operations",
        operations.len()
    );
    assert!(
        missing.is_empty(),
        "responses without a description: {missing:?}"
    );
}

#[tokio::test]
async fn the_document_has_the_required_top_level_fields_unique_operations_and_no_dangling_ref() {
    let doc = document().await;

    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1."));
    assert!(doc["info"]["title"].is_string() && doc["info"]["version"].is_string());
    let mut ids = BTreeSet::new();
    for (operation, body) in operations(&doc) {
        if let Some(id) = body["operationId"].as_str() {
            assert!(
                ids.insert(id.to_owned()),
                "operationId {id} repeats ({operation})"
            );
        }
        for parameter in body["parameters"].as_array().into_iter().flatten() {
            assert!(
                parameter["name"].is_string() && parameter["in"].is_string(),
                "{operation}: a parameter lacks name or in: {parameter}"
            );
            if parameter["in"] == "path" {
                assert_eq!(parameter["required"], true, "{operation}: {parameter}");
            }
        }
    }
    let mut targets = Vec::new();
    refs(&doc, &mut targets);
    assert!(!targets.is_empty());
    for target in targets {
        let pointer = target
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("external $ref {target}"));
        assert!(doc.pointer(pointer).is_some(), "dangling $ref {target}");
    }
}
