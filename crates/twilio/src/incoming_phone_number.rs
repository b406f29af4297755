//! List IncomingPhoneNumbers: which numbers an account owns and what they can do.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::client::Client;
use crate::error::Error;
use crate::page::{Listed, Page};
use crate::sid::{AccountSid, PhoneNumberSid};

/// `capabilities` (lower-case keys in JSON). A missing key means "not capable".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capabilities {
    #[serde(default)]
    pub voice: bool,
    #[serde(default)]
    pub sms: bool,
    #[serde(default)]
    pub mms: bool,
    #[serde(default)]
    pub fax: bool,
}

/// `api.v2010.account.incoming_phone_number`: the fields Voxanne reads (others are ignored).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncomingPhoneNumber {
    pub sid: PhoneNumberSid,
    pub account_sid: AccountSid,
    pub phone_number: Option<String>,
    pub friendly_name: Option<String>,
    pub capabilities: Option<Capabilities>,
    pub status: Option<String>,
    #[serde(rename = "type")]
    pub number_type: Option<String>,
    pub sms_url: Option<String>,
    pub sms_method: Option<String>,
    pub status_callback: Option<String>,
    #[serde(with = "crate::rfc2822::option", default)]
    pub date_created: Option<DateTime<Utc>>,
    #[serde(with = "crate::rfc2822::option", default)]
    pub date_updated: Option<DateTime<Utc>>,
    pub api_version: Option<String>,
    pub uri: Option<String>,
}

impl IncomingPhoneNumber {
    /// True when the number can send SMS.
    pub fn can_sms(&self) -> bool {
        self.capabilities.is_some_and(|c| c.sms)
    }
}

impl Listed for IncomingPhoneNumber {
    const ITEMS_KEY: &'static str = "incoming_phone_numbers";
}

/// List filters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PhoneNumberQuery {
    /// E.164, exact match (`PhoneNumber`).
    pub phone_number: Option<String>,
    pub page_size: Option<u32>,
}

impl Client {
    /// Lists the account's numbers. With `phone_number` set, zero items means the account does not
    /// own it. `PageSize=1` with no filter is the cheapest credential probe for API keys.
    pub async fn list_incoming_phone_numbers(
        &self,
        query: &PhoneNumberQuery,
    ) -> Result<Page<IncomingPhoneNumber>, Error> {
        let url = self.account_url("/IncomingPhoneNumbers.json");
        let mut params: Vec<(&str, String)> = Vec::new();
        if let Some(number) = &query.phone_number {
            params.push(("PhoneNumber", number.clone()));
        }
        if let Some(size) = query.page_size {
            params.push(("PageSize", size.to_string()));
        }
        let body = self
            .send("list incoming phone numbers", self.get(&url).query(&params))
            .await?;
        Page::decode("list incoming phone numbers", &body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spec_example_item_decodes_and_reports_sms_capability() {
        let hex = "a1".repeat(16);
        let body = serde_json::json!({"sid": format!("PN{hex}"), "account_sid": format!("AC{hex}"),
            "phone_number": "+18089255327", "friendly_name": "(808) 925-5327",
            "capabilities": {"voice": true, "sms": false, "mms": true, "fax": false},
            "status": "in-use", "type": "local", "date_created": "Thu, 30 Jul 2015 23:19:04 +0000",
            "beta": false, "origin": "origin", "voice_receive_mode": "voice"});
        let number: IncomingPhoneNumber = serde_json::from_value(body).unwrap();
        assert!(!number.can_sms());
        assert_eq!(number.number_type.as_deref(), Some("local"));
    }
}
