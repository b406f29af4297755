//! The status of a test SMS, as the fragment the account page shows in its `role="status"`
//! region (and the script refreshes in place).

use askama::Template;

use super::activity_page::status_badge;
use super::overview::Badge;
use crate::outbox::MessageRecord;

pub struct SmsView {
    to: String,
    badge: Badge,
    reason: Option<String>,
    /// The account's page (the no-script way to see the status again).
    page: String,
}

#[derive(Template)]
#[template(path = "dashboard/test_sms.html")]
struct TestSmsFragment {
    /// Where the script asks for the status again, while it can still change.
    poll: Option<String>,
    sms: Option<SmsView>,
}

pub(super) fn sms_fragment(credential: &str, message: Option<&MessageRecord>) -> String {
    let fragment = TestSmsFragment {
        poll: message
            .filter(|m| !m.status.is_final())
            .map(|m| format!("/dashboard/twilio/{credential}/test-sms/{}", m.id)),
        sms: message.map(|m| SmsView {
            to: m.to.clone(),
            badge: status_badge(m.status),
            reason: m.reason.clone(),
            page: format!("/dashboard/twilio/{credential}?sms={}", m.id),
        }),
    };
    // The fragment is fixed markup around escaped values; should rendering fail, show nothing.
    fragment.render().unwrap_or_default()
}
