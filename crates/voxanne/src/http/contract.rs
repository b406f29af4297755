//! The exact contract: what utoipa's annotations cannot say, added to the generated document so
//! that it allows exactly what the service accepts (schemathesis checks both directions).
//!
//! - Phone numbers carry the parser's own rule ([`crate::phone::e164_pattern`]), built from the
//!   same libphonenumber metadata, instead of the coarse E.164 shape in the annotations.
//! - Rules that span fields: a Twilio credential has `from_number` xor `messaging_service_sid`,
//!   and an Auth Token or an API key pair. A `null` field counts as absent, as the service reads
//!   it, so "given" means present and a string.
//! - List filters: an empty (blank) value filters nothing; otherwise the exact spelling.
//! - Texts a person wrote (a lead's name, notes, a webhook's description) are trimmed and may not
//!   hold control characters but for tabs and line breaks; ids are trimmed too.
//! - Booking, webhook and opening-hours fields: date-times, `https://` URLs, known event names,
//!   `HH:MM` clock times, days `mon`…`sun` only.

use serde_json::{Value, json};

use crate::outbox::MessageStatus;
use crate::store::AuditAction;

/// The coarse shape the annotations give phone fields; replaced by the exact rule.
const COARSE_PHONE: &str = "^\\+[1-9][0-9]{7,14}$";

/// White space that Rust's `str::trim` removes (Unicode White_Space), and a blank value.
const SPACE: &str =
    "[\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*";

fn blank() -> String {
    format!("^{SPACE}$")
}

/// A field that is present and not `null`.
fn given(field: &str) -> Value {
    json!({"required": [field], "properties": {field: {"type": "string"}}})
}

/// The document as served: `doc` with the rules above.
pub fn exact(doc: &utoipa::openapi::OpenApi) -> Value {
    let mut doc = serde_json::to_value(doc).unwrap_or(Value::Null);
    let phone = crate::phone::e164_pattern();
    replace_phone_patterns(&mut doc, &phone);
    phone_fields(&mut doc, &phone);
    credential_rules(&mut doc);
    list_filters(&mut doc, &phone);
    other_fields(&mut doc);
    booking_fields(&mut doc, &phone);
    webhook_fields(&mut doc);
    opening_hours(&mut doc);
    doc
}

fn schema<'a>(doc: &'a mut Value, name: &str) -> &'a mut Value {
    &mut doc["components"]["schemas"][name]
}

fn property<'a>(doc: &'a mut Value, name: &str, field: &str) -> &'a mut Value {
    &mut schema(doc, name)["properties"][field]
}

/// The schema of query/header parameter `name` of `method path`.
fn parameter<'a>(
    doc: &'a mut Value,
    path: &str,
    method: &str,
    name: &str,
) -> Option<&'a mut Value> {
    doc["paths"][path][method]["parameters"]
        .as_array_mut()?
        .iter_mut()
        .find(|p| p["name"] == name)
        .map(|p| &mut p["schema"])
}

fn set_parameter(doc: &mut Value, path: &str, method: &str, name: &str, new: Value) {
    if let Some(schema) = parameter(doc, path, method, name) {
        *schema = new;
    }
}

fn replace_phone_patterns(node: &mut Value, phone: &str) {
    match node {
        Value::Object(map) => {
            for (key, value) in map.iter_mut() {
                if key == "pattern" && value == COARSE_PHONE {
                    *value = Value::String(phone.to_owned());
                } else {
                    replace_phone_patterns(value, phone);
                }
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|v| replace_phone_patterns(v, phone)),
        _ => {}
    }
}

/// Phone fields whose annotations name no pattern.
fn phone_fields(doc: &mut Value, phone: &str) {
    property(doc, "MessageIn", "to")["pattern"] = json!(phone);
    property(doc, "LeadIn", "phone")["pattern"] = json!(phone);
    property(doc, "HotLeadIn", "to")["items"]["pattern"] = json!(phone);
    property(doc, "OrgSettingsIn", "alert_recipients")["items"]["pattern"] = json!(phone);
}

/// The rules across a Twilio credential's fields.
fn credential_rules(doc: &mut Value) {
    let either = |a: &str, b: &str| json!({"anyOf": [given(a), given(b)]});
    let both = |a: &str, b: &str| json!({"allOf": [given(a), given(b)]});
    // Created: exactly one sender; an API key pair, or else an Auth Token (never half a pair).
    schema(doc, "CreateTwilioCredentialIn")["allOf"] = json!([
        {"oneOf": [given("from_number"), given("messaging_service_sid")]},
        {"anyOf": [
            both("api_key_sid", "api_key_secret"),
            {"allOf": [given("auth_token"), {"not": either("api_key_sid", "api_key_secret")}]},
        ]},
    ]);
    // Changed: at most one sender; an API key's SID only with its secret (a secret alone
    // replaces an API-key credential's secret; an Auth Token credential answers it with 409).
    schema(doc, "UpdateCredentialIn")["allOf"] = json!([
        {"not": both("from_number", "messaging_service_sid")},
        {"anyOf": [given("api_key_secret"), {"not": given("api_key_sid")}]},
        // A credential cannot be made primary while it is being deactivated.
        {"not": {
            "required": ["is_primary", "is_active"],
            "properties": {"is_primary": {"const": true}, "is_active": {"const": false}},
        }},
    ]);
}

/// Query filters: blank filters nothing, anything else must be exact.
fn list_filters(doc: &mut Value, phone: &str) {
    let statuses: Vec<&str> = MessageStatus::ALL.iter().map(|s| s.as_str()).collect();
    let actions: Vec<&str> = AuditAction::ALL.iter().map(|a| a.as_str()).collect();
    let or_blank = |exact: Value| json!({"anyOf": [{"type": "string", "pattern": blank()}, exact]});
    set_parameter(
        doc,
        "/api/messages",
        "get",
        "status",
        or_blank(json!({"type": "string", "enum": statuses})),
    );
    set_parameter(
        doc,
        "/api/messages",
        "get",
        "to",
        or_blank(json!({"type": "string", "pattern": phone})),
    );
    set_parameter(
        doc,
        "/api/messages",
        "get",
        "since",
        or_blank(json!({"type": "string", "format": "date-time"})),
    );
    set_parameter(
        doc,
        "/api/messages",
        "get",
        "cursor",
        or_blank(json!({"type": "string", "pattern": "^[0-9]{1,18}\\.msg_[0-9a-z]{26}$"})),
    );
    set_parameter(
        doc,
        "/api/organization/audit",
        "get",
        "action",
        or_blank(json!({"type": "string", "enum": actions})),
    );
    set_parameter(
        doc,
        "/api/organization/audit",
        "get",
        "cursor",
        or_blank(json!({"type": "string", "pattern": "^[+-]?[0-9]{1,18}$"})),
    );
}

fn other_fields(doc: &mut Value) {
    let credential_id = "^cred_[0-9a-z]{26}$";
    property(doc, "ConnectGoogleIn", "credential_id")["pattern"] = json!(credential_id);
    // A send trims the id it is given.
    property(doc, "MessageIn", "credential_id")["pattern"] =
        json!(format!("^{SPACE}cred_[0-9a-z]{{26}}{SPACE}$"));
    // An email-like hint: no control characters, not blank.
    property(doc, "ConnectGoogleIn", "login_hint")["pattern"] = json!(
        "^[^\\u0000-\\u001f\\u007f-\\u009f]*[^\\s\\u0000-\\u001f\\u007f-\\u009f][^\\u0000-\\u001f\\u007f-\\u009f]*$"
    );
    property(doc, "ConnectGoogleIn", "login_hint")["minLength"] = json!(1);
    // Every IANA name the service knows; `null` (or leaving it out) keeps the current one.
    let zones: Vec<Value> = chrono_tz::TZ_VARIANTS
        .iter()
        .map(|tz| json!(tz.name()))
        .chain([Value::Null])
        .collect();
    property(doc, "OrgSettingsIn", "timezone")["enum"] = Value::Array(zones);
    // Every field of a settings change is optional: no body (or `null`) changes nothing.
    let put = &mut doc["paths"]["/api/organization/settings"]["put"]["requestBody"];
    put["required"] = json!(false);
    put["content"]["application/json"]["schema"] =
        json!({"oneOf": [{"$ref": "#/components/schemas/OrgSettingsIn"}, {"type": "null"}]});
    for path in ["/api/messages", "/api/messages/hot-lead"] {
        set_parameter(
            doc,
            path,
            "post",
            "Idempotency-Key",
            json!({"type": "string", "pattern": "^[!-~]{1,255}$"}),
        );
    }
}

/// A trimmed id: `{prefix}_` and 26 base-32 characters, white space around allowed.
fn trimmed_id(prefix: &str) -> String {
    format!("^{SPACE}{prefix}_[0-9a-z]{{26}}{SPACE}$")
}

/// What [`crate::field::plain_text`] accepts once trimmed: no ASCII control character but tab,
/// line feed and CR LF. `required`: something is left after trimming.
fn plain_text(required: bool) -> String {
    let allowed = "(?:[^\\u0000-\\u0008\\u000b-\\u001f\\u007f\\r]|\\r\\n)";
    let visible = "[^\\u0000-\\u0020\\u007f\\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]";
    if required {
        format!("^{SPACE}{allowed}*{visible}{allowed}*{SPACE}$")
    } else {
        format!("^{SPACE}{allowed}*{SPACE}$")
    }
}

/// The booking operations: instants, the lead's words and number, trimmed ids, the key.
fn booking_fields(doc: &mut Value, phone: &str) {
    property(doc, "AppointmentIn", "start")["format"] = json!("date-time");
    // What comes back is RFC 3339 too: a free slot's `start` is a valid booking's `start`.
    for name in ["SlotOut", "AppointmentOut"] {
        for field in ["start", "end"] {
            property(doc, name, field)["format"] = json!("date-time");
        }
    }
    // Examples in the future (for years), so the examples a client or a fuzzer starts from book.
    property(doc, "AppointmentIn", "start")["examples"] =
        json!(["2030-01-08T15:00:00-05:00", "2031-03-04T09:30:00Z"]);
    property(doc, "AppointmentLeadIn", "name")["examples"] = json!(["Maria Lopez"]);
    property(doc, "AppointmentLeadIn", "reason")["examples"] = json!(["Cleaning"]);
    property(doc, "AppointmentIn", "credential_id")["pattern"] = json!(trimmed_id("cred"));
    property(doc, "AppointmentIn", "notes")["pattern"] = json!(plain_text(false));
    property(doc, "AppointmentLeadIn", "phone")["pattern"] = json!(phone);
    property(doc, "AppointmentLeadIn", "name")["pattern"] = json!(plain_text(true));
    property(doc, "AppointmentLeadIn", "reason")["pattern"] = json!(plain_text(false));
    set_parameter(
        doc,
        "/api/calendar/availability",
        "get",
        "credential_id",
        json!({"type": "string", "pattern": trimmed_id("cred")}),
    );
    set_parameter(
        doc,
        "/api/calendar/appointments",
        "post",
        "Idempotency-Key",
        json!({"type": "string", "pattern": "^[!-~]{1,255}$"}),
    );
}

/// Webhook endpoints: an `https://` URL (whether its host is public is checked by the service,
/// which no pattern can say), known event names, at least one, and a plain description.
fn webhook_fields(doc: &mut Value) {
    let events: Vec<&str> = crate::webhooks::EVENT_TYPES.to_vec();
    let url = format!(
        "^{SPACE}https://(?:[A-Za-z0-9](?:[A-Za-z0-9-]{{0,61}}[A-Za-z0-9])?\\.)*[A-Za-z](?:[A-Za-z0-9-]{{0,61}}[A-Za-z0-9])?(?::[0-9]{{1,4}})?(?:[/?#][!#-~]*)?{SPACE}$"
    );
    for name in ["CreateEndpointIn", "UpdateEndpointIn"] {
        let field = property(doc, name, "events");
        field["items"] = json!({"type": "string", "enum": events});
        field["minItems"] = json!(1);
        property(doc, name, "url")["pattern"] = json!(url);
        property(doc, name, "description")["pattern"] = json!(format!(
            "^{SPACE}[^\\u0000-\\u001f\\u007f-\\u009f]*{SPACE}$"
        ));
    }
}

/// Opening hours: the seven day keys only, at most six spans a day, `HH:MM` from `00:00` to
/// `24:00`. That a span starts before it ends, and a day's spans are in order, the document
/// cannot say (the operation's description does).
fn opening_hours(doc: &mut Value) {
    let day = json!({
        "type": ["array", "null"],
        "maxItems": crate::opening_hours::MAX_SPANS_PER_DAY,
        "items": {
            "type": "array", "minItems": 2, "maxItems": 2,
            "items": {"type": "string", "pattern": "^(?:[01][0-9]:[0-5][0-9]|2[0-3]:[0-5][0-9]|24:00)$"},
        },
    });
    let hours = schema(doc, "OpeningHoursSchema");
    hours["additionalProperties"] = json!(false);
    for key in crate::opening_hours::DAY_KEYS {
        let description = hours["properties"][key]["description"].clone();
        hours["properties"][key] = day.clone();
        if !description.is_null() {
            hours["properties"][key]["description"] = description;
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use crate::phone::PhoneNumber;

    fn phone_regex() -> regex::Regex {
        regex::Regex::new(&crate::phone::e164_pattern()).unwrap()
    }

    /// Strings matching `pattern` (proptest generates from a pattern without its `^…$`).
    fn unanchored(pattern: &str) -> impl Strategy<Value = String> {
        let inner = pattern
            .strip_prefix('^')
            .and_then(|p| p.strip_suffix('$'))
            .unwrap();
        proptest::string::string_regex(inner).unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn the_served_phone_pattern_is_the_parsers_rule(digits in "[0-9]{1,16}", spaced in any::<bool>()) {
            let input = if spaced { format!(" +{digits}\t") } else { format!("+{digits}") };
            prop_assert_eq!(
                phone_regex().is_match(&input),
                PhoneNumber::parse("to", &input).is_ok(),
                "{}", input
            );
        }

        #[test]
        fn every_number_the_pattern_allows_parses(number in unanchored(&crate::phone::e164_pattern())) {
            prop_assert!(PhoneNumber::parse("to", &number).is_ok(), "{:?}", number);
        }
    }

    #[test]
    fn formatted_or_national_numbers_are_outside_the_pattern() {
        let pattern = phone_regex();
        for input in [
            "(415) 555-2671",
            "+1 415 555 2671",
            "14155552671",
            "+04155552671",
            "",
        ] {
            assert!(!pattern.is_match(input), "{input}");
        }
        assert!(pattern.is_match("+14155552671") && pattern.is_match("+442071838750"));
    }
}
