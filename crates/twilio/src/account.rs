//! Fetch Account (`GET /2010-04-01/Accounts/{Sid}.json`).

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use secrecy::SecretString;
use serde::Deserialize;

use crate::client::Client;
use crate::error::Error;
use crate::sid::AccountSid;

/// `account_enum_status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountStatus {
    Active,
    Suspended,
    Closed,
    /// A value newer than this client.
    #[serde(other)]
    Unknown,
}

/// `account_enum_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, serde::Serialize)]
pub enum AccountType {
    Trial,
    Full,
    #[serde(other)]
    Unknown,
}

/// `api.v2010.account`. The response echoes the live Auth Token, so it is held as a secret and
/// this type is deliberately not `Serialize`.
#[derive(Clone, Deserialize)]
pub struct Account {
    pub sid: AccountSid,
    pub owner_account_sid: Option<AccountSid>,
    pub friendly_name: Option<String>,
    pub status: AccountStatus,
    #[serde(rename = "type")]
    pub account_type: AccountType,
    pub auth_token: Option<SecretString>,
    #[serde(with = "crate::rfc2822::option", default)]
    pub date_created: Option<DateTime<Utc>>,
    #[serde(with = "crate::rfc2822::option", default)]
    pub date_updated: Option<DateTime<Utc>>,
    pub uri: Option<String>,
    pub subresource_uris: Option<BTreeMap<String, String>>,
}

impl fmt::Debug for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Account")
            .field("sid", &self.sid)
            .field("friendly_name", &self.friendly_name)
            .field("status", &self.status)
            .field("account_type", &self.account_type)
            .field(
                "auth_token",
                &self.auth_token.as_ref().map(|_| "[REDACTED]"),
            )
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Fetches the account of the credentials. Standard API keys get 401/20003 here (only Main
    /// keys may read `/Accounts`): probe with [`Client::list_incoming_phone_numbers`] instead.
    pub async fn fetch_account(&self) -> Result<Account, Error> {
        let url = self.account_url(".json");
        self.send_json("fetch account", self.get(&url)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spec_example_decodes_and_the_echoed_token_stays_hidden() {
        let sid = format!("AC{}", "ab".repeat(16));
        let token = format!("{}", 7_u128.pow(30));
        let body = serde_json::json!({
            "auth_token": token, "date_created": "Thu, 30 Jul 2015 20:00:00 +0000",
            "date_updated": null, "friendly_name": "friendly_name", "owner_account_sid": sid,
            "sid": sid, "status": "active", "subresource_uris": {"messages": "/x"}, "type": "Full",
            "uri": "/2010-04-01/Accounts/x.json"
        });
        let account: Account = serde_json::from_value(body).unwrap();
        assert_eq!(
            (account.status, account.account_type),
            (AccountStatus::Active, AccountType::Full)
        );
        assert!(account.date_created.is_some() && account.date_updated.is_none());
        assert!(!format!("{account:?}").contains(&token));
    }

    #[test]
    fn unknown_statuses_and_types_do_not_break_decoding() {
        let sid = format!("AC{}", "cd".repeat(16));
        let body = serde_json::json!({"sid": sid, "status": "frozen", "type": "Enterprise"});
        let account: Account = serde_json::from_value(body).unwrap();
        assert_eq!(
            (account.status, account.account_type),
            (AccountStatus::Unknown, AccountType::Unknown)
        );
    }
}
