//! Response bodies with exactly the spec's field names and types (snake_case, RFC 2822 dates,
//! counts and prices as strings). Written from `twilio_api_v2010.json`, not shared with the
//! client, so each side is checked against the spec on its own.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::paging::Links;

/// `api.v2010.account.message`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct MessageOut {
    pub account_sid: String,
    pub api_version: &'static str,
    pub body: String,
    pub date_created: String,
    pub date_sent: Option<String>,
    pub date_updated: String,
    pub direction: &'static str,
    pub error_code: Option<u32>,
    pub error_message: Option<&'static str>,
    pub from: Option<String>,
    pub messaging_service_sid: Option<String>,
    pub num_media: &'static str,
    pub num_segments: String,
    pub price: Option<String>,
    pub price_unit: Option<&'static str>,
    pub sid: String,
    pub status: &'static str,
    pub subresource_uris: BTreeMap<&'static str, String>,
    pub to: String,
    pub uri: String,
}

/// `api.v2010.account`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct AccountOut {
    pub auth_token: String,
    pub date_created: String,
    pub date_updated: String,
    pub friendly_name: String,
    pub owner_account_sid: String,
    pub sid: String,
    pub status: &'static str,
    pub subresource_uris: BTreeMap<&'static str, String>,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub uri: String,
}

/// `capabilities` of an incoming phone number (lower-case keys in JSON).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct CapabilitiesOut {
    pub voice: bool,
    pub sms: bool,
    pub mms: bool,
    pub fax: bool,
}

/// `api.v2010.account.incoming_phone_number`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct IncomingPhoneNumberOut {
    pub account_sid: String,
    pub address_requirements: &'static str,
    pub address_sid: Option<String>,
    pub api_version: &'static str,
    pub beta: bool,
    pub capabilities: CapabilitiesOut,
    pub date_created: String,
    pub date_updated: String,
    pub emergency_status: &'static str,
    pub emergency_address_sid: Option<String>,
    pub emergency_address_status: &'static str,
    pub friendly_name: String,
    pub identity_sid: Option<String>,
    pub origin: &'static str,
    pub phone_number: String,
    pub sid: String,
    pub sms_application_sid: Option<String>,
    pub sms_fallback_method: &'static str,
    pub sms_fallback_url: &'static str,
    pub sms_method: &'static str,
    pub sms_url: &'static str,
    pub status_callback: &'static str,
    pub status_callback_method: &'static str,
    pub trunk_sid: Option<String>,
    pub uri: String,
    pub voice_application_sid: Option<String>,
    pub voice_caller_id_lookup: bool,
    pub voice_fallback_method: &'static str,
    pub voice_fallback_url: Option<String>,
    pub voice_method: &'static str,
    pub voice_url: Option<String>,
    pub bundle_sid: Option<String>,
    pub voice_receive_mode: &'static str,
    pub status: &'static str,
    #[serde(rename = "type")]
    pub kind: &'static str,
}

/// The items of a list page, under the key Twilio uses for the resource.
#[derive(Debug, Clone, Serialize)]
pub(crate) enum Items {
    #[serde(rename = "messages")]
    Messages(Vec<MessageOut>),
    #[serde(rename = "incoming_phone_numbers")]
    IncomingPhoneNumbers(Vec<IncomingPhoneNumberOut>),
}

/// A list page: the paging envelope plus the items.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct PageOut {
    pub end: usize,
    pub first_page_uri: String,
    pub next_page_uri: Option<String>,
    pub page: usize,
    pub page_size: usize,
    pub previous_page_uri: Option<String>,
    pub start: usize,
    pub uri: String,
    #[serde(flatten)]
    pub items: Items,
}

impl PageOut {
    pub fn new(links: Links, items: Items) -> PageOut {
        PageOut {
            end: links.end,
            first_page_uri: links.first_page_uri,
            next_page_uri: links.next_page_uri,
            page: links.page,
            page_size: links.page_size,
            previous_page_uri: links.previous_page_uri,
            start: links.start,
            uri: links.uri,
            items,
        }
    }
}

/// A Messaging Service (`messaging.v1.service`), reduced to what an existence check reads.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ServiceOut {
    pub sid: String,
    pub account_sid: String,
    pub friendly_name: String,
    pub date_created: String,
    pub date_updated: String,
    pub inbound_request_url: Option<String>,
    pub status_callback: Option<String>,
    pub use_inbound_webhook_on_number: bool,
    pub url: String,
    pub links: BTreeMap<&'static str, String>,
}
