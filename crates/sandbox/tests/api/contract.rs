//! Contract tests: every body of the implemented operations validates against the response
//! schema in Twilio's official OpenAPI file, with every spec property required and no extra
//! ones (the spec lists no `required`, so this is what "exact field names and types" means).

use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

use crate::support::{
    Creds, TestSandbox, messages_path, random_number, start_with_account, start_with_number,
};

/// The spec file, located as the brief says from the integration repo, or (in a worktree) by
/// walking up to the `shared` folder.
fn spec() -> Value {
    let named = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/twilio-oai/twilio_api_v2010.json"
    ));
    let found = std::iter::once(named)
        .chain(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .ancestors()
                .map(|dir| dir.join("shared/twilio-oai/twilio_api_v2010.json")),
        )
        .find(|path| path.is_file())
        .expect("twilio_api_v2010.json not found next to the repository");
    serde_json::from_slice(&std::fs::read(found).unwrap()).unwrap()
}

/// OpenAPI 3.0 → JSON Schema: `nullable: true` becomes a `null` type (or enum member, or an
/// `anyOf` beside a `$ref`).
fn convert(schema: &Value) -> Value {
    match schema {
        Value::Object(fields) => {
            let mut out: Map<String, Value> = fields
                .iter()
                .filter(|(k, _)| k.as_str() != "nullable")
                .map(|(k, v)| (k.clone(), convert(v)))
                .collect();
            if fields.get("nullable") == Some(&Value::Bool(true)) {
                if let Some(Value::String(kind)) = out.get("type").cloned() {
                    out.insert("type".into(), json!([kind, "null"]));
                }
                if let Some(Value::Array(values)) = out.get_mut("enum") {
                    values.push(Value::Null);
                }
                if let Some(reference) = out.remove("$ref") {
                    out.insert(
                        "anyOf".into(),
                        json!([{"$ref": reference}, {"type": "null"}]),
                    );
                }
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(convert).collect()),
        other => other.clone(),
    }
}

/// Makes an object schema exact: every property required, nothing else allowed.
fn exact(schema: &mut Value) {
    let keys: Vec<Value> = schema["properties"]
        .as_object()
        .unwrap()
        .keys()
        .map(|k| json!(k))
        .collect();
    schema["required"] = Value::Array(keys);
    schema["additionalProperties"] = json!(false);
}

struct Contract {
    spec: Value,
    components: Value,
}

impl Contract {
    fn load() -> Contract {
        let spec = spec();
        let mut components = convert(&spec["components"]);
        for name in [
            "api.v2010.account.message",
            "api.v2010.account",
            "api.v2010.account.incoming_phone_number",
        ] {
            exact(&mut components["schemas"][name]);
        }
        Contract { spec, components }
    }

    /// Validates `body` against the response `status` of `method path` in the spec.
    fn check(&self, path: &str, method: &str, status: &str, body: &Value) {
        let response = &self.spec["paths"][path][method]["responses"][status];
        let mut schema = convert(&response["content"]["application/json"]["schema"]);
        assert!(schema.is_object(), "no schema for {method} {path} {status}");
        if schema.get("properties").is_some() {
            exact(&mut schema);
        }
        schema["components"] = self.components.clone();
        let validator = jsonschema::validator_for(&schema).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(body)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{method} {path} {status}: {errors:#?}\n{body:#}"
        );
    }
}

async fn body(sandbox: &TestSandbox, creds: &Creds, path: &str) -> Value {
    let response = sandbox
        .get(&creds.account_sid, &creds.auth_token, path)
        .await;
    assert_eq!(response.status(), 200, "{path}");
    response.json().await.unwrap()
}

const ACCOUNT: &str = "/2010-04-01/Accounts/{Sid}.json";
const NUMBERS: &str = "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers.json";
const MESSAGES: &str = "/2010-04-01/Accounts/{AccountSid}/Messages.json";
const MESSAGE: &str = "/2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json";

#[tokio::test]
async fn every_implemented_operation_answers_what_the_spec_describes() {
    let contract = Contract::load();
    let (sandbox, creds, from) = start_with_number().await;
    sandbox
        .add_number(&creds.account_sid, &random_number(), false)
        .await;
    let service = sandbox
        .messaging_service(&creds.account_sid, &[&from])
        .await;

    let account = body(
        &sandbox,
        &creds,
        &format!("/2010-04-01/Accounts/{}.json", creds.account_sid),
    )
    .await;
    contract.check(ACCOUNT, "get", "200", &account);
    let numbers = body(
        &sandbox,
        &creds,
        &format!(
            "/2010-04-01/Accounts/{}/IncomingPhoneNumbers.json?PageSize=1",
            creds.account_sid
        ),
    )
    .await;
    contract.check(NUMBERS, "get", "200", &numbers);

    let mut sids = Vec::new();
    for form in [
        vec![
            ("To", random_number()),
            ("From", from.clone()),
            ("Body", "plain".into()),
        ],
        vec![
            ("To", random_number()),
            ("MessagingServiceSid", service.clone()),
            ("Body", "via service 👍".into()),
        ],
        vec![
            ("To", sandbox::scenarios::UNREACHABLE.into()),
            ("From", from.clone()),
            ("Body", "x".into()),
        ],
    ] {
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let response = sandbox.send(&creds, &form).await;
        assert_eq!(response.status(), 201);
        let created: Value = response.json().await.unwrap();
        contract.check(MESSAGES, "post", "201", &created);
        sids.push(created["sid"].as_str().unwrap().to_owned());
    }
    let delivered = sandbox.wait_for_status(&creds, &sids[0], "delivered").await;
    contract.check(MESSAGE, "get", "200", &delivered);
    let undelivered = sandbox
        .wait_for_status(&creds, &sids[2], "undelivered")
        .await;
    contract.check(MESSAGE, "get", "200", &undelivered);

    let page = body(
        &sandbox,
        &creds,
        &format!("{}?PageSize=2", messages_path(&creds.account_sid)),
    )
    .await;
    contract.check(MESSAGES, "get", "200", &page);
    let next = body(&sandbox, &creds, page["next_page_uri"].as_str().unwrap()).await;
    contract.check(MESSAGES, "get", "200", &next);
}

#[tokio::test]
async fn test_credential_creates_match_the_spec_too() {
    let contract = Contract::load();
    let (sandbox, creds) = start_with_account().await;
    let response = sandbox
        .send_as_test(
            &creds,
            &[
                ("To", "+14155550123"),
                ("From", "+15005550006"),
                ("Body", "x"),
            ],
        )
        .await;

    assert_eq!(response.status(), 201);
    contract.check(MESSAGES, "post", "201", &response.json().await.unwrap());
}

#[test]
fn the_contract_rejects_a_wrong_type_so_it_can_fail() {
    let contract = Contract::load();
    let message = json!({"num_segments": 1});
    let result = std::panic::catch_unwind(|| contract.check(MESSAGE, "get", "200", &message));
    assert!(
        result.is_err(),
        "an integer num_segments and missing fields must be rejected"
    );
}
