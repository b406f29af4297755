//! Fetch, List (filters and paging), Delete, and the IncomingPhoneNumbers list.

use chrono::Utc;
use serde_json::Value;

use crate::support::{
    Creds, TestSandbox, assert_twilio_error, messages_path, random_number, start_with_account,
    start_with_number,
};

async fn create(sandbox: &TestSandbox, creds: &Creds, from: &str, to: &str) -> String {
    let message: Value = sandbox
        .send(creds, &[("To", to), ("From", from), ("Body", "hello")])
        .await
        .json()
        .await
        .unwrap();
    message["sid"].as_str().unwrap().to_owned()
}

async fn list(sandbox: &TestSandbox, creds: &Creds, query: &str) -> Value {
    let path = format!("{}{query}", messages_path(&creds.account_sid));
    let response = sandbox.get_as(creds, &path).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

fn sids(page: &Value) -> Vec<String> {
    page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["sid"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn paging_walks_three_pages_newest_first_with_page_tokens() {
    let (sandbox, creds, from) = start_with_number().await;
    let mut created = Vec::new();
    for _ in 0..7 {
        created.push(create(&sandbox, &creds, &from, &random_number()).await);
    }
    created.reverse();

    let first = list(&sandbox, &creds, "?PageSize=3").await;
    assert_eq!(sids(&first), created[0..3]);
    assert_eq!(
        (first["page"].as_u64(), first["page_size"].as_u64()),
        (Some(0), Some(3))
    );
    assert_eq!(
        (first["start"].as_u64(), first["end"].as_u64()),
        (Some(0), Some(2))
    );
    assert_eq!(first["previous_page_uri"], Value::Null);
    let next = first["next_page_uri"].as_str().unwrap();
    assert!(
        next.contains("PageToken=PA") && next.contains("Page=1"),
        "{next}"
    );

    let second: Value = sandbox.get_json(&creds, next).await;
    assert_eq!(sids(&second), created[3..6]);
    assert_eq!(
        (second["start"].as_u64(), second["end"].as_u64()),
        (Some(3), Some(5))
    );
    let previous = second["previous_page_uri"].as_str().unwrap();
    let back: Value = sandbox.get_json(&creds, previous).await;
    assert_eq!(sids(&back), created[0..3]);

    let third_uri = second["next_page_uri"].as_str().unwrap();
    let third: Value = sandbox.get_json(&creds, third_uri).await;
    assert_eq!(sids(&third), created[6..7]);
    assert_eq!(third["next_page_uri"], Value::Null);
    assert_eq!(third["page"], 2);
    assert!(
        third["first_page_uri"]
            .as_str()
            .unwrap()
            .ends_with("Messages.json?PageSize=3&Page=0")
    );
}

#[tokio::test]
async fn to_and_from_filters_keep_only_matching_messages_and_stay_in_the_uris() {
    let (sandbox, creds, from) = start_with_number().await;
    let other_from = random_number();
    sandbox
        .add_number(&creds.account_sid, &other_from, true)
        .await;
    let to = random_number();
    let wanted = create(&sandbox, &creds, &from, &to).await;
    create(&sandbox, &creds, &from, &random_number()).await;
    create(&sandbox, &creds, &other_from, &to).await;

    let page = list(
        &sandbox,
        &creds,
        &format!(
            "?To={}&From={}",
            to.replace('+', "%2B"),
            from.replace('+', "%2B")
        ),
    )
    .await;

    assert_eq!(sids(&page), vec![wanted]);
    let uri = page["uri"].as_str().unwrap();
    assert!(
        uri.contains(&format!("To={}", to.replace('+', "%2B"))),
        "{uri}"
    );
}

#[tokio::test]
async fn date_sent_filters_compare_by_day() {
    let (sandbox, creds, from) = start_with_number().await;
    let sid = create(&sandbox, &creds, &from, &random_number()).await;
    let today = Utc::now().date_naive();
    let yesterday = today.pred_opt().unwrap();
    let tomorrow = today.succ_opt().unwrap();

    assert_eq!(
        sids(&list(&sandbox, &creds, &format!("?DateSent={today}")).await),
        vec![sid.clone()]
    );
    assert!(sids(&list(&sandbox, &creds, &format!("?DateSent={yesterday}")).await).is_empty());
    assert_eq!(
        sids(&list(&sandbox, &creds, &format!("?DateSent%3C={tomorrow}")).await),
        vec![sid.clone()]
    );
    assert!(sids(&list(&sandbox, &creds, &format!("?DateSent%3C={yesterday}")).await).is_empty());
    assert_eq!(
        sids(&list(&sandbox, &creds, &format!("?DateSent%3E={yesterday}")).await),
        vec![sid.clone()]
    );
    assert!(sids(&list(&sandbox, &creds, &format!("?DateSent%3E={tomorrow}")).await).is_empty());
    let page = list(&sandbox, &creds, &format!("?DateSent%3E={yesterday}")).await;
    assert!(page["uri"].as_str().unwrap().contains("DateSent%3E="));
}

#[tokio::test]
async fn fetch_then_delete_then_fetch_gives_404_with_twilios_message() {
    let (sandbox, creds, from) = start_with_number().await;
    let sid = create(&sandbox, &creds, &from, &random_number()).await;
    let path = format!(
        "/2010-04-01/Accounts/{}/Messages/{sid}.json",
        creds.account_sid
    );

    assert_eq!(
        sandbox.fetch_message(&creds, &sid).await["sid"],
        sid.as_str()
    );
    let deleted = sandbox.delete_as(&creds, &path).await;
    assert_eq!(deleted.status(), 204);
    assert!(deleted.text().await.unwrap().is_empty());

    let gone = sandbox.get_as(&creds, &path).await;
    let body = assert_twilio_error(gone, 404, 20404).await;
    assert_eq!(
        body["message"],
        format!("The requested resource {path} was not found")
    );
    let again = sandbox.delete_as(&creds, &path).await;
    assert_twilio_error(again, 404, 20404).await;
}

#[tokio::test]
async fn another_accounts_message_is_not_found() {
    let (sandbox, mine, from) = start_with_number().await;
    let (theirs, _) = sandbox.account_with_number().await;
    let sid = create(&sandbox, &mine, &from, &random_number()).await;
    let path = format!(
        "/2010-04-01/Accounts/{}/Messages/{sid}.json",
        theirs.account_sid
    );

    let response = sandbox.get_as(&theirs, &path).await;

    assert_twilio_error(response, 404, 20404).await;
}

#[tokio::test]
async fn incoming_phone_numbers_filter_by_phone_number_and_show_capabilities() {
    let (sandbox, creds) = start_with_account().await;
    let sms = random_number();
    let voice_only = random_number();
    sandbox.add_number(&creds.account_sid, &sms, true).await;
    sandbox
        .add_number(&creds.account_sid, &voice_only, false)
        .await;
    let base = format!(
        "/2010-04-01/Accounts/{}/IncomingPhoneNumbers.json",
        creds.account_sid
    );

    let all: Value = sandbox.get_json(&creds, &base).await;
    assert_eq!(all["incoming_phone_numbers"].as_array().unwrap().len(), 2);

    let path = format!(
        "{base}?PhoneNumber={}&PageSize=1",
        voice_only.replace('+', "%2B")
    );
    let page: Value = sandbox.get_json(&creds, &path).await;
    let numbers = page["incoming_phone_numbers"].as_array().unwrap();
    assert_eq!(numbers.len(), 1);
    assert_eq!(numbers[0]["phone_number"], voice_only.as_str());
    assert_eq!(numbers[0]["capabilities"]["sms"], false);
    assert_eq!(numbers[0]["capabilities"]["voice"], true);
    assert!(
        page["first_page_uri"]
            .as_str()
            .unwrap()
            .contains("PhoneNumber=%2B")
    );

    let unowned = format!("{base}?PhoneNumber={}", random_number().replace('+', "%2B"));
    let none: Value = sandbox.get_json(&creds, &unowned).await;
    assert!(
        none["incoming_phone_numbers"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn a_path_without_json_answers_xml() {
    let (sandbox, creds, from) = start_with_number().await;
    let sid = create(&sandbox, &creds, &from, &random_number()).await;
    let path = format!("/2010-04-01/Accounts/{}/Messages/{sid}", creds.account_sid);

    let response = sandbox.get_as(&creds, &path).await;

    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/xml")
    );
    let xml = response.text().await.unwrap();
    assert!(xml.contains("<TwilioResponse><Message>"), "{xml}");
    assert!(xml.contains(&format!("<Sid>{sid}</Sid>")), "{xml}");
    let missing = sandbox.get_as(&creds, &format!("{path}x")).await;
    assert_eq!(missing.status(), 404);
    assert!(
        missing
            .text()
            .await
            .unwrap()
            .contains("<RestException><Code>20404</Code>")
    );
}

#[tokio::test]
async fn a_page_size_above_1000_is_capped() {
    let (sandbox, creds, _) = start_with_number().await;

    let page = list(&sandbox, &creds, "?PageSize=5000").await;

    assert_eq!(page["page_size"], 1000);
}
