//! The exact contract: what utoipa's annotations cannot say, added to the generated document so
//! that it allows exactly what the service accepts (schemathesis checks both directions).
//!
//! - Phone numbers carry the parser's own rule ([`crate::phone::e164_pattern`]), built from the
//!   same libphonenumber metadata, instead of the coarse E.164 shape in the annotations.
//! - Rules that span fields: a Twilio credential has `from_number` xor `messaging_service_sid`,
//!   and an Auth Token or an API key pair. A `null` field counts as absent, as the service reads
//!   it, so "given" means present and a string.
//! - List filters: an empty (blank) value filters nothing; otherwise the exact spelling.

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
