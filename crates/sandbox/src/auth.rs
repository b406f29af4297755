//! HTTP Basic authentication as Twilio does it: Account SID + Auth Token, test Account SID + test
//! token, or API key SID + secret (the Account SID then comes from the path).

use std::sync::Arc;

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use subtle::ConstantTimeEq;

use crate::accounts::{Account, AccountStatus, Directory};
use crate::errors::TwilioError;

/// Which kind of credential authenticated the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Credential {
    /// Account SID + Auth Token.
    Live,
    /// Test Account SID + test Auth Token: only Create Message works.
    Test,
    /// API key (SK) + secret: everything but `/Accounts/{Sid}`.
    Key,
}

/// The authenticated caller.
pub(crate) struct Principal {
    pub account: Arc<Account>,
    pub credential: Credential,
}

impl Principal {
    /// The Account SID the caller may name in paths (the test SID for test credentials).
    pub fn path_sid(&self) -> &str {
        match self.credential {
            Credential::Test => &self.account.test_sid,
            Credential::Live | Credential::Key => &self.account.sid,
        }
    }
}

/// Checks the `Authorization` header. Any failure, including a closed account, is 401/20003;
/// secrets are compared in constant time.
pub(crate) fn authenticate(
    directory: &Directory,
    headers: &HeaderMap,
) -> Result<Principal, TwilioError> {
    let (user, password) = basic_credentials(headers).ok_or_else(TwilioError::authenticate)?;
    let principal = if user.starts_with("SK") {
        directory
            .key(&user)
            .filter(|key| same(key.secret(), &password))
            .map(|key| Principal {
                account: Arc::clone(&key.account),
                credential: Credential::Key,
            })
    } else if let Some(account) = directory.account(&user) {
        same(account.auth_token(), &password).then_some(Principal {
            account,
            credential: Credential::Live,
        })
    } else {
        directory
            .test_account(&user)
            .filter(|account| same(account.test_auth_token(), &password))
            .map(|account| Principal {
                account,
                credential: Credential::Test,
            })
    };
    let principal = principal.ok_or_else(TwilioError::authenticate)?;
    if principal.account.profile.read().status == AccountStatus::Closed {
        return Err(TwilioError::authenticate());
    }
    Ok(principal)
}

fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (user, password) = decoded.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

fn same(expected: &str, given: &str) -> bool {
    expected.as_bytes().ct_eq(given.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;
    use crate::accounts::NewAccount;

    fn basic(user: &str, password: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        let value = format!("Basic {}", STANDARD.encode(format!("{user}:{password}")));
        headers.insert(AUTHORIZATION, HeaderValue::from_str(&value).unwrap());
        headers
    }

    #[test]
    fn each_credential_kind_resolves_to_its_account() {
        let directory = Directory::default();
        let creds = directory.create(NewAccount::default());
        let account = directory.account(&creds.account_sid).unwrap();
        let (key, secret) = directory.create_key(&account);

        let live = authenticate(&directory, &basic(&creds.account_sid, &creds.auth_token)).unwrap();
        assert_eq!(
            (live.credential, live.path_sid()),
            (Credential::Live, creds.account_sid.as_str())
        );
        let test = authenticate(
            &directory,
            &basic(&creds.test_account_sid, &creds.test_auth_token),
        )
        .unwrap();
        assert_eq!(
            (test.credential, test.path_sid()),
            (Credential::Test, creds.test_account_sid.as_str())
        );
        let by_key = authenticate(&directory, &basic(&key, &secret)).unwrap();
        assert_eq!(
            (by_key.credential, by_key.path_sid()),
            (Credential::Key, creds.account_sid.as_str())
        );
    }

    #[test]
    fn wrong_or_crossed_secrets_are_rejected_with_20003() {
        let directory = Directory::default();
        let creds = directory.create(NewAccount::default());
        for (user, password) in [
            (creds.account_sid.as_str(), creds.test_auth_token.as_str()),
            (creds.test_account_sid.as_str(), creds.auth_token.as_str()),
            (creds.account_sid.as_str(), ""),
        ] {
            let err = authenticate(&directory, &basic(user, password))
                .err()
                .unwrap();
            assert_eq!((err.code, err.status), (20003, 401));
        }
        assert!(authenticate(&directory, &HeaderMap::new()).is_err());
    }
}
