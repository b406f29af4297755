//! Our JSON body extractor: every way a body can be wrong becomes a 422 (or 413) in our error
//! shape that names the field and the fix, never axum's bare-text 400/415.
//!
//! Wire types opt into `#[serde(deny_unknown_fields)]`, so a typo (`"auth_tokne"`) is refused
//! instead of silently ignored. Values that need parsing (numbers, SIDs) stay strings on the wire
//! and are validated by the handler, which can then give each mistake its own code and hint.
//! The `Content-Type` is not policed: a body that parses as JSON is accepted.

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, FailedToBufferBody};
use axum::extract::{FromRequest, Request};
use serde::de::DeserializeOwned;

use super::error::{ApiError, FieldError};

/// The configured body size limit, put in request extensions so the 413 message can state it.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

/// A JSON request body of type `T`. An empty body (no bytes at all) reads as `{}`, so a missing
/// required field is reported by name instead of as "empty body"; whitespace alone is malformed.
#[derive(Debug, Clone)]
pub struct JsonBody<T>(pub T);

impl<S, T> FromRequest<S> for JsonBody<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let limit = request
            .extensions()
            .get::<BodyLimit>()
            .map_or(0, |limit| limit.0);
        let bytes =
            Bytes::from_request(request, state)
                .await
                .map_err(|rejection| match rejection {
                    BytesRejection::FailedToBufferBody(FailedToBufferBody::LengthLimitError(_)) => {
                        ApiError::PayloadTooLarge { limit }
                    }
                    other => ApiError::MalformedJson {
                        message: format!("the body could not be read ({other})"),
                    },
                })?;
        // No body and a JSON `null` both mean "nothing given" (the document lets optional bodies
        // be null); a missing required field is then named like any other.
        let bytes: &[u8] = if bytes.is_empty() || bytes.trim_ascii() == b"null" {
            b"{}"
        } else {
            &bytes
        };
        parse(bytes).map(JsonBody)
    }
}

/// Deserializes `bytes`, turning serde's error into the field-naming error our clients get.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    // serde's derived structs also accept arrays (fields by position); our API speaks objects only.
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(ApiError::MalformedJson {
            message: "expected a JSON object (`{…}`)".to_owned(),
        });
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(rejection)?;
    deserializer.end().map_err(|err| ApiError::MalformedJson {
        message: err.to_string(),
    })?;
    Ok(value)
}

fn rejection(err: serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    let path = err.path().to_string();
    let inner = err.into_inner();
    if !inner.is_data() {
        return ApiError::MalformedJson {
            message: inner.to_string(),
        };
    }
    let message = without_position(&inner.to_string());
    let join = |name: &str| {
        if path == "." {
            name.to_owned()
        } else {
            format!("{path}.{name}")
        }
    };
    if let Some((name, rest)) = backticked(&message, "unknown field `") {
        let accepted = rest.trim_start_matches(", ").replace('`', "");
        let hint = match accepted.strip_prefix("expected one of ") {
            Some(list) => format!("Remove `{name}`; the accepted fields are {list}."),
            None => format!("Remove `{name}`; {accepted}."),
        };
        // The path already ends with the unknown key.
        return FieldError::new(
            "unknown_field",
            path.clone(),
            format!("`{name}` is not a field of this request."),
        )
        .with_hint(hint)
        .into();
    }
    if let Some((name, _)) = backticked(&message, "missing field `") {
        return FieldError::new(
            "missing_field",
            join(name),
            format!("`{name}` is required."),
        )
        .with_hint(format!("Add `{name}` to the JSON body."))
        .into();
    }
    if path == "." {
        return ApiError::MalformedJson {
            message: format!("{message}; send a JSON object"),
        };
    }
    FieldError::new(
        "invalid_type",
        path.clone(),
        format!("`{path}` has the wrong type: {message}."),
    )
    .with_hint("Check the field's type in GET /api/openapi.json.")
    .into()
}

/// Splits "unknown field `name`, rest" into ("name", ", rest").
fn backticked<'a>(message: &'a str, prefix: &str) -> Option<(&'a str, &'a str)> {
    let after = message.strip_prefix(prefix)?;
    let end = after.find('`')?;
    Some((&after[..end], &after[end + 1..]))
}

/// serde_json appends " at line L column C"; for a data error the field path says more.
fn without_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        flag: bool,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        name: String,
        list: Option<Vec<String>>,
        inner: Option<Inner>,
    }

    fn field_error(body: &str) -> FieldError {
        match parse::<Body>(body.as_bytes()) {
            Err(ApiError::Invalid(field)) => field,
            other => panic!("expected a field error, got {other:?}"),
        }
    }

    #[test]
    fn an_unknown_field_is_named_with_the_accepted_ones() {
        let err = field_error(r#"{"name":"a","nmae":"b"}"#);
        assert_eq!((err.code, err.field.as_str()), ("unknown_field", "nmae"));
        assert!(err.hint.unwrap().contains("name, list, inner"));
    }

    #[test]
    fn an_unknown_nested_field_is_named_with_its_path() {
        let err = field_error(r#"{"name":"a","inner":{"flag":true,"x":1}}"#);
        assert_eq!((err.code, err.field.as_str()), ("unknown_field", "inner.x"));
    }

    #[test]
    fn a_missing_field_is_named() {
        let err = field_error(r#"{"list":[]}"#);
        assert_eq!((err.code, err.field.as_str()), ("missing_field", "name"));
    }

    #[test]
    fn a_wrong_type_names_the_element_path() {
        let err = field_error(r#"{"name":"a","list":["x",3]}"#);
        assert_eq!((err.code, err.field.as_str()), ("invalid_type", "list[1]"));
        assert!(!err.message.contains("line 1"), "{}", err.message);
    }

    #[test]
    fn syntax_errors_and_non_objects_are_malformed_json() {
        for body in [r#"{"name":"#, "[1,2]", "42", r#"{"name":"a"} trailing"#] {
            assert!(
                matches!(
                    parse::<Body>(body.as_bytes()),
                    Err(ApiError::MalformedJson { .. })
                ),
                "{body}"
            );
        }
    }
}
