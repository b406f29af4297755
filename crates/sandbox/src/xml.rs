//! The XML rendering Twilio's 2010 API answers with when the path has no `.json`: elements named
//! in PascalCase inside `<TwilioResponse>`, list envelopes as attributes of the list element.

use serde_json::Value;

/// Renders `value` (the JSON form of a resource) as the element `name` inside `TwilioResponse`.
pub(crate) fn document(name: &str, value: &Value) -> String {
    let mut out = String::from("<?xml version='1.0' encoding='UTF-8'?>\n<TwilioResponse>");
    element(&mut out, name, value);
    out.push_str("</TwilioResponse>");
    out
}

/// Renders a list page: envelope fields become attributes of `<{list}>`, each item an `<{item}>`.
pub(crate) fn page_document(list: &str, item: &str, items_key: &str, page: &Value) -> String {
    let mut out = String::from("<?xml version='1.0' encoding='UTF-8'?>\n<TwilioResponse>");
    out.push('<');
    out.push_str(list);
    if let Value::Object(fields) = page {
        for (key, value) in fields.iter().filter(|(key, _)| key.as_str() != items_key) {
            let text = match value {
                Value::Null => String::new(),
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            out.push_str(&format!(" {}=\"{}\"", key.replace('_', ""), escape(&text)));
        }
    }
    out.push('>');
    if let Some(Value::Array(items)) = page.get(items_key) {
        for value in items {
            element(&mut out, item, value);
        }
    }
    out.push_str(&format!("</{list}></TwilioResponse>"));
    out
}

fn element(out: &mut String, name: &str, value: &Value) {
    match value {
        Value::Null => out.push_str(&format!("<{name}/>")),
        Value::Object(fields) => {
            out.push_str(&format!("<{name}>"));
            for (key, value) in fields {
                element(out, &pascal_case(key), value);
            }
            out.push_str(&format!("</{name}>"));
        }
        Value::Array(items) => {
            out.push_str(&format!("<{name}>"));
            for value in items {
                element(out, name.trim_end_matches('s'), value);
            }
            out.push_str(&format!("</{name}>"));
        }
        Value::String(text) => out.push_str(&format!("<{name}>{}</{name}>", escape(text))),
        other => out.push_str(&format!("<{name}>{other}</{name}>")),
    }
}

/// `account_sid` → `AccountSid`; Twilio spells the capability flags `SMS`, `MMS`.
fn pascal_case(key: &str) -> String {
    match key {
        "sms" => return "SMS".into(),
        "mms" => return "MMS".into(),
        _ => {}
    }
    key.split('_')
        .map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|first| first.to_uppercase().chain(chars).collect::<String>())
                .unwrap_or_default()
        })
        .collect()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn resources_render_as_pascal_case_elements_with_escaped_text() {
        let xml = document(
            "Message",
            &json!({"account_sid": "AC1", "body": "a < b & c", "price": null}),
        );
        assert!(xml.contains("<TwilioResponse><Message><AccountSid>AC1</AccountSid><Body>a &lt; b &amp; c</Body><Price/></Message></TwilioResponse>"), "{xml}");
    }

    #[test]
    fn pages_put_the_envelope_in_attributes() {
        let page = json!({"page": 0, "next_page_uri": null, "messages": [{"sid": "SM1"}]});
        let xml = page_document("Messages", "Message", "messages", &page);
        assert!(
            xml.contains(
                "<Messages page=\"0\" nextpageuri=\"\"><Message><Sid>SM1</Sid></Message></Messages>"
            ) || xml.contains(
                "<Messages nextpageuri=\"\" page=\"0\"><Message><Sid>SM1</Sid></Message></Messages>"
            ),
            "{xml}"
        );
    }
}
