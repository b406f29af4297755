//! Signed-in admins: sessions kept in the database, resolved from the session cookie.
//!
//! A session id is 256 random bits, fresh at every sign-in, sent only in the cookie; the database
//! keeps its SHA-256. A session ends after 30 minutes without a request, 12 hours after sign-in,
//! or at sign-out. The [`Admin`] extractor is the only way a page learns who is asking and for
//! which organization, so no path or form field can point it at another clinic.

use std::net::{IpAddr, SocketAddr};

use axum::extract::ConnectInfo;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, TimeDelta, Utc};
use sha2::{Digest, Sha256};

use super::{Dashboard, cookies};
use crate::ids::UserId;
use crate::store::{NewSession, SessionRecord, StoreError, User};
use crate::tenant::Caller;

/// A session ends after this long without a request.
pub const IDLE_TIMEOUT: TimeDelta = TimeDelta::minutes(30);
/// A session ends this long after sign-in, however busy.
pub const ABSOLUTE_TIMEOUT: TimeDelta = TimeDelta::hours(12);
/// Activity is written at most this often per session, so reading a page is rarely a write.
const TOUCH_RESOLUTION: TimeDelta = TimeDelta::seconds(60);

/// 256 random bits, URL-safe base64: session ids, CSRF tokens and sign-in form tokens.
pub fn random_token() -> String {
    let bytes: [u8; 32] = rand::random();
    URL_SAFE_NO_PAD.encode(bytes)
}

/// What the database keeps instead of a session id.
pub fn id_hash(session_id: &str) -> String {
    hex::encode(Sha256::digest(session_id.as_bytes()))
}

/// Constant-time comparison of a presented token with the expected one.
pub fn tokens_match(presented: &str, expected: &str) -> bool {
    use subtle::ConstantTimeEq;
    !expected.is_empty() && bool::from(presented.as_bytes().ct_eq(expected.as_bytes()))
}

/// The address the request came from, when the server records it.
pub fn source_ip(parts: &Parts) -> Option<IpAddr> {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip())
}

/// A signed-in admin, for one request.
#[derive(Debug, Clone)]
pub struct Admin {
    pub user_id: UserId,
    pub email: String,
    /// The token every form of this session carries.
    pub csrf_token: String,
    /// The admin as the use cases know callers: their organization, who, and from where.
    pub caller: Caller,
    id_hash: String,
}

impl Admin {
    /// Ends this session (sign-out).
    pub async fn sign_out(self, state: &Dashboard) -> Result<(), StoreError> {
        state.store().delete_session(&self.id_hash).await
    }
}

/// Why a session is no longer valid, given when it started and when it was last used.
fn expired(record: &SessionRecord, now: DateTime<Utc>) -> bool {
    now - record.last_seen_at >= IDLE_TIMEOUT || now - record.created_at >= ABSOLUTE_TIMEOUT
}

/// The admin of the request's session cookie, or `None` (no cookie, unknown, expired).
pub async fn resolve(parts: &Parts, state: &Dashboard) -> Result<Option<Admin>, StoreError> {
    let Some(session_id) = cookies::read(&parts.headers, state.cookies.session_name()) else {
        return Ok(None);
    };
    let hash = id_hash(session_id);
    let Some(record) = state.store().find_session(&hash).await? else {
        return Ok(None);
    };
    let now = Utc::now();
    if expired(&record, now) {
        state.store().delete_session(&hash).await?;
        return Ok(None);
    }
    if now - record.last_seen_at >= TOUCH_RESOLUTION {
        state.store().touch_session(&hash, now).await?;
    }
    let caller = Caller::admin(record.org_id, record.user_id.clone(), record.email.clone())
        .with_source_ip(source_ip(parts));
    Ok(Some(Admin {
        user_id: record.user_id,
        email: record.email,
        csrf_token: record.csrf_token,
        caller,
        id_hash: hash,
    }))
}

/// Starts a session for `user`; returns the session id for the cookie. Any session the browser
/// held before is ended, and expired sessions of everyone are swept.
pub async fn start(
    state: &Dashboard,
    user: &User,
    previous: Option<&str>,
) -> Result<String, StoreError> {
    if let Some(previous) = previous {
        state.store().delete_session(&id_hash(previous)).await?;
    }
    let now = Utc::now();
    state
        .store()
        .sweep_sessions(now - IDLE_TIMEOUT, now - ABSOLUTE_TIMEOUT)
        .await?;
    let session_id = random_token();
    let csrf = random_token();
    state
        .store()
        .create_session(NewSession {
            id_hash: &id_hash(&session_id),
            user_id: &user.id,
            org_id: &user.org_id,
            csrf_token: &csrf,
            at: crate::store::backend::now(),
        })
        .await?;
    Ok(session_id)
}

/// Where a signed-out visitor is sent: the sign-in page, remembering the page they asked for.
pub fn to_sign_in(parts: &Parts) -> Response {
    let asked = parts
        .uri
        .path_and_query()
        .map(|pq| pq.as_str())
        .unwrap_or("/dashboard");
    let target = match super::return_to(asked) {
        Some(next) if next != "/dashboard" => format!(
            "/dashboard/sign-in?next={}",
            url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
        ),
        _ => "/dashboard/sign-in".to_owned(),
    };
    Redirect::to(&target).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::OrgId;

    fn record(created_ago: TimeDelta, seen_ago: TimeDelta, now: DateTime<Utc>) -> SessionRecord {
        SessionRecord {
            user_id: UserId::generate(),
            org_id: OrgId::generate(),
            email: "a@clinic.example".into(),
            csrf_token: "t".into(),
            created_at: now - created_ago,
            last_seen_at: now - seen_ago,
        }
    }

    #[test]
    fn sessions_expire_when_idle_or_too_old() {
        let now = Utc::now();
        let minute = TimeDelta::minutes(1);
        assert!(!expired(&record(minute, minute, now), now));
        assert!(expired(&record(IDLE_TIMEOUT, IDLE_TIMEOUT, now), now));
        assert!(!expired(&record(TimeDelta::hours(11), minute, now), now));
        assert!(expired(&record(ABSOLUTE_TIMEOUT, minute, now), now));
    }

    #[test]
    fn tokens_are_random_and_compared_in_full() {
        let a = random_token();
        assert_eq!(a.len(), 43);
        assert_ne!(a, random_token());
        assert!(tokens_match(&a, &a));
        assert!(!tokens_match(&a[..42], &a));
        assert!(!tokens_match("", ""));
        assert_ne!(id_hash(&a), a);
    }
}
