//! Our query-string extractor: like [`super::json::JsonBody`], a bad parameter is a 422 that
//! names it, never axum's bare-text 400.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::error::{ApiError, FieldError};

/// The query string parsed as `T` (use `#[serde(deny_unknown_fields)]` on `T`).
#[derive(Debug, Clone)]
pub struct ApiQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or_default();
        // Query types are flat, so serde's message names the parameter when one is at fault.
        serde_urlencoded::from_str(query)
            .map(ApiQuery)
            .map_err(|err| {
                let message = err.to_string();
                let named = ["unknown field `", "missing field `"]
                    .iter()
                    .find_map(|prefix| {
                        message
                            .strip_prefix(prefix)
                            .and_then(|rest| rest.split_once('`'))
                    });
                let field = named.map_or("query", |(name, _)| name).to_owned();
                FieldError::new(
                    "invalid_query",
                    field.clone(),
                    format!("The query parameter `{field}` is not valid: {message}."),
                )
                .with_hint("See the endpoint's parameters in GET /api/openapi.json.")
                .into()
            })
    }
}
