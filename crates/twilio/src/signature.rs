//! `X-Twilio-Signature`: how Twilio signs the webhooks it sends us, and how we check them.
//!
//! Algorithm (twilio-python `request_validator.py`, twilio-node `webhooks.ts`):
//! `base64(HMAC-SHA1(auth_token, url + concat(sorted names, each name + its distinct values sorted)))`.
//! JSON webhooks instead carry `bodySHA256=<hex sha256 of the body>` in the URL and sign the URL
//! alone. Validators accept the URL with or without the default port (`:443`/`:80`), because
//! proxies and load balancers disagree on whether to show it.

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The header Twilio puts the signature in.
pub const HEADER: &str = "X-Twilio-Signature";

/// The signature of a form-encoded request to `url` with `params` (for GET, pass no params: they
/// are already in the URL).
pub fn compute<K: AsRef<str>, V: AsRef<str>>(
    auth_token: &SecretString,
    url: &str,
    params: &[(K, V)],
) -> String {
    let mut grouped: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (name, value) in params {
        grouped
            .entry(name.as_ref())
            .or_default()
            .insert(value.as_ref());
    }
    let mut payload = String::with_capacity(url.len() + 64 * grouped.len());
    payload.push_str(url);
    for (name, values) in grouped {
        for value in values {
            payload.push_str(name);
            payload.push_str(value);
        }
    }
    sign(auth_token, &payload)
}

/// True when `signature` is Twilio's signature of `url` + `params` under `auth_token`, with the
/// URL as given or with its default port added or removed. Compares in constant time.
pub fn validate<K: AsRef<str>, V: AsRef<str>>(
    auth_token: &SecretString,
    url: &str,
    params: &[(K, V)],
    signature: &str,
) -> bool {
    url_variants(url)
        .iter()
        .any(|candidate| same(&compute(auth_token, candidate, params), signature))
}

/// Validates a JSON-body webhook: `url` carries `bodySHA256`, which must equal the SHA-256 of
/// `body`, and the signature covers the URL alone.
pub fn validate_json_body(
    auth_token: &SecretString,
    url: &str,
    body: &[u8],
    signature: &str,
) -> bool {
    let Some(expected) = query_param(url, "bodySHA256") else {
        return false;
    };
    let body_ok = same(&body_sha256(body), &expected.to_ascii_lowercase());
    let signature_ok = validate::<&str, &str>(auth_token, url, &[], signature);
    body_ok & signature_ok
}

/// Lower-case hex SHA-256 of a body, as Twilio puts it in `bodySHA256`.
pub fn body_sha256(body: &[u8]) -> String {
    hex::encode(Sha256::digest(body))
}

fn sign(auth_token: &SecretString, payload: &str) -> String {
    // Exposed only as the HMAC key.
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(auth_token.expose_secret().as_bytes()) else {
        unreachable!("HMAC accepts keys of any length");
    };
    mac.update(payload.as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

fn query_param(url: &str, name: &str) -> Option<String> {
    let without_fragment = url.split_once('#').map_or(url, |(u, _)| u);
    let (_, query) = without_fragment.split_once('?')?;
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// `url` itself, then (for http/https) the same URL with the default port toggled.
fn url_variants(url: &str) -> Vec<String> {
    let mut variants = vec![url.to_owned()];
    if let Some(other) = toggle_default_port(url) {
        variants.push(other);
    }
    variants
}

/// Adds the scheme's default port when absent, removes it when present; `None` for other ports,
/// other schemes, or unparseable URLs. Works on the raw string so nothing else is normalised.
fn toggle_default_port(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let default = match scheme.to_ascii_lowercase().as_str() {
        "https" => "443",
        "http" => "80",
        _ => return None,
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let host_start = authority.rfind('@').map_or(0, |at| at + 1);
    let (userinfo, host_port) = authority.split_at(host_start);
    if host_port.is_empty() {
        return None;
    }
    // An IPv6 literal has colons inside brackets; the port colon comes after `]`.
    let port_colon = host_port
        .rfind(':')
        .filter(|&colon| host_port.rfind(']').is_none_or(|bracket| colon > bracket));
    match port_colon {
        Some(colon) if &host_port[colon + 1..] == default => Some(format!(
            "{scheme}://{userinfo}{}{tail}",
            &host_port[..colon]
        )),
        Some(_) => None,
        None => Some(format!("{scheme}://{userinfo}{host_port}:{default}{tail}")),
    }
}

#[cfg(test)]
#[path = "signature_tests.rs"]
mod tests;
