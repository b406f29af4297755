//! Fetch a Messaging Service (Messaging API v1: `GET {messaging_base_url}/v1/Services/{Sid}`).
//!
//! v1 resources use ISO 8601 dates, unlike the 2010 API's RFC 2822.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::client::Client;
use crate::error::Error;
use crate::sid::{AccountSid, MessagingServiceSid};

/// The fields of `messaging.v1.service` Voxanne reads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessagingService {
    pub sid: MessagingServiceSid,
    pub account_sid: AccountSid,
    pub friendly_name: Option<String>,
    pub status_callback: Option<String>,
    pub inbound_request_url: Option<String>,
    #[serde(default)]
    pub date_created: Option<DateTime<Utc>>,
    #[serde(default)]
    pub date_updated: Option<DateTime<Utc>>,
    pub url: Option<String>,
}

impl Client {
    /// Fetches a Messaging Service of the account (404/20404 if it does not exist).
    pub async fn fetch_messaging_service(
        &self,
        sid: &MessagingServiceSid,
    ) -> Result<MessagingService, Error> {
        let url = self.messaging_url(&format!("/v1/Services/{sid}"));
        self.send_json("fetch messaging service", self.get(&url))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_v1_service_with_iso_dates_decodes() {
        let hex = "b2".repeat(16);
        let body = serde_json::json!({"sid": format!("MG{hex}"), "account_sid": format!("AC{hex}"),
            "friendly_name": "Clinic", "date_created": "2015-07-30T20:12:31Z", "date_updated": null,
            "status_callback": null, "url": "https://messaging.twilio.com/v1/Services/x"});
        let service: MessagingService = serde_json::from_value(body).unwrap();
        assert_eq!(service.friendly_name.as_deref(), Some("Clinic"));
        assert!(service.date_created.is_some());
    }
}
