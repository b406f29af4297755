//! Cross-site request forgery: every state-changing request must come from one of our own pages.
//!
//! Two independent checks, both required: the browser's Fetch Metadata (`Sec-Fetch-Site:
//! same-origin`, or, from a browser too old to send it, an `Origin` naming this site), and the
//! session's synchronizer token echoed in a hidden form field (`csrf`). A request failing either
//! is answered 403 before anything is read from its form, so it changes nothing.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::HeaderMap;
use axum::http::header::{HOST, ORIGIN};
use axum::response::Response;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::session::{Admin, tokens_match};
use super::{Dashboard, render};

#[derive(Deserialize)]
struct TokenField {
    #[serde(default)]
    csrf: String,
}

/// Whether the browser says the request comes from this site.
pub fn from_this_site(headers: &HeaderMap, public_url: Option<&str>) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        return site.as_bytes() == b"same-origin";
    }
    let Some(origin) = headers.get(ORIGIN).and_then(|value| value.to_str().ok()) else {
        // Neither header: not a browser (they send `Origin` on every POST), so no cookie of a
        // victim rides along; the token check still applies.
        return true;
    };
    let host = headers.get(HOST).and_then(|value| value.to_str().ok());
    let origin_host = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"));
    origin_host.is_some_and(|origin_host| Some(origin_host) == host)
        || public_url.is_some_and(|public| public.trim_end_matches('/') == origin)
}

/// The token of a form body (empty when absent).
pub fn token_of(body: &[u8]) -> String {
    serde_urlencoded::from_bytes::<TokenField>(body)
        .map(|field| field.csrf)
        .unwrap_or_default()
}

/// The form of a button: no field but the token.
#[derive(Deserialize)]
pub struct Nothing {}

/// A form posted by a signed-in admin from one of our pages: the only way a handler changes
/// anything. Signed-out visitors are sent to sign in; a forged request is a 403.
pub struct Posted<T> {
    pub admin: Admin,
    pub form: T,
}

impl<T: DeserializeOwned> FromRequest<Dashboard> for Posted<T> {
    type Rejection = Response;

    async fn from_request(request: Request, state: &Dashboard) -> Result<Self, Response> {
        let (mut parts, body) = request.into_parts();
        let admin = Admin::from_request_parts(&mut parts, state).await?;
        if !from_this_site(&parts.headers, state.public_url.as_deref()) {
            return Err(render::forbidden(Some(&admin)));
        }
        let bytes = Bytes::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(|_| render::bad_request(&admin))?;
        if !tokens_match(&token_of(&bytes), &admin.csrf_token) {
            return Err(render::forbidden(Some(&admin)));
        }
        let form = serde_urlencoded::from_bytes(&bytes).map_err(|_| render::bad_request(&admin))?;
        Ok(Self { admin, form })
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn fetch_metadata_decides_when_present() {
        assert!(from_this_site(
            &headers(&[("sec-fetch-site", "same-origin")]),
            None
        ));
        for other in ["cross-site", "same-site", "none"] {
            let map = headers(&[
                ("sec-fetch-site", other),
                ("origin", "http://a"),
                ("host", "a"),
            ]);
            assert!(!from_this_site(&map, None), "{other}");
        }
    }

    #[test]
    fn otherwise_the_origin_must_be_this_host_or_the_public_url() {
        let ours = headers(&[
            ("origin", "http://127.0.0.1:8080"),
            ("host", "127.0.0.1:8080"),
        ]);
        assert!(from_this_site(&ours, None));
        let theirs = headers(&[
            ("origin", "https://evil.example"),
            ("host", "127.0.0.1:8080"),
        ]);
        assert!(!from_this_site(&theirs, None));
        let null = headers(&[("origin", "null"), ("host", "127.0.0.1:8080")]);
        assert!(!from_this_site(&null, None));
        let proxied = headers(&[
            ("origin", "https://clinic.example"),
            ("host", "10.0.0.2:8080"),
        ]);
        assert!(from_this_site(&proxied, Some("https://clinic.example/")));
    }

    #[test]
    fn the_token_is_read_from_the_form() {
        assert_eq!(token_of(b"name=x&csrf=abc"), "abc");
        assert_eq!(token_of(b"name=x"), "");
    }
}
