//! The dashboard's two cookies and how they are written.
//!
//! `session` carries the session id after sign-in; `sign-in` carries the token the sign-in form
//! must echo (login CSRF), before any session exists. Both are `HttpOnly` and `SameSite=Lax`; when
//! the public URL is https they are also `Secure` and take the `__Host-` prefix, which the browser
//! only accepts from a secure origin, for path `/`, without a `Domain`.

use axum::http::HeaderMap;
use axum::http::header::COOKIE;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CookiePolicy {
    secure: bool,
}

impl CookiePolicy {
    /// Secure cookies when the service's public URL is https.
    pub fn for_public_url(public_url: Option<&str>) -> Self {
        Self {
            secure: public_url.is_some_and(|url| url.starts_with("https://")),
        }
    }

    pub fn is_secure(self) -> bool {
        self.secure
    }

    pub fn session_name(self) -> &'static str {
        if self.secure {
            "__Host-voxanne_session"
        } else {
            "voxanne_session"
        }
    }

    pub fn sign_in_name(self) -> &'static str {
        if self.secure {
            "__Host-voxanne_sign_in"
        } else {
            "voxanne_sign_in"
        }
    }

    /// A `Set-Cookie` value that sets `name` for this browser session (no expiry: the server
    /// enforces the timeouts).
    pub fn set(self, name: &str, value: &str) -> String {
        let secure = if self.secure { "; Secure" } else { "" };
        format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax{secure}")
    }

    /// A `Set-Cookie` value that deletes `name`.
    pub fn clear(self, name: &str) -> String {
        let secure = if self.secure { "; Secure" } else { "" };
        format!("{name}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax{secure}")
    }
}

/// The value of cookie `name` in the request, if sent.
pub fn read<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|line| line.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn https_public_urls_get_secure_host_prefixed_cookies() {
        let secure = CookiePolicy::for_public_url(Some("https://clinic.example"));
        assert_eq!(secure.session_name(), "__Host-voxanne_session");
        assert_eq!(
            secure.set(secure.session_name(), "abc"),
            "__Host-voxanne_session=abc; Path=/; HttpOnly; SameSite=Lax; Secure"
        );
        let plain = CookiePolicy::for_public_url(Some("http://127.0.0.1:8080"));
        assert_eq!(
            plain.set(plain.session_name(), "abc"),
            "voxanne_session=abc; Path=/; HttpOnly; SameSite=Lax"
        );
        assert!(!CookiePolicy::for_public_url(None).is_secure());
    }

    #[test]
    fn a_cookie_is_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.append(COOKIE, HeaderValue::from_static("a=1; voxanne_session=xyz"));
        headers.append(COOKIE, HeaderValue::from_static("b=2"));
        assert_eq!(read(&headers, "voxanne_session"), Some("xyz"));
        assert_eq!(read(&headers, "b"), Some("2"));
        assert_eq!(read(&headers, "voxanne"), None);
    }
}
