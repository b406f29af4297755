use proptest::prelude::*;
use sha1::Sha1;

use super::*;

fn token(s: &str) -> SecretString {
    SecretString::from(s)
}

/// HMAC-SHA1 written out from RFC 2104 on top of the bare hash, so the vectors below do not
/// depend on the `hmac` crate the code under test uses.
fn rfc2104_hmac_sha1(key: &[u8], message: &[u8]) -> Vec<u8> {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..20].copy_from_slice(&Sha1::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let ipad: Vec<u8> = block.iter().map(|b| b ^ 0x36).collect();
    let opad: Vec<u8> = block.iter().map(|b| b ^ 0x5c).collect();
    let inner = Sha1::digest([ipad.as_slice(), message].concat());
    Sha1::digest([opad.as_slice(), inner.as_slice()].concat()).to_vec()
}

const DOCS_URL: &str = "https://mycompany.com/myapp.php?foo=1&bar=2";

fn docs_params() -> Vec<(&'static str, &'static str)> {
    vec![
        ("CallSid", "CA1234567890ABCDE"),
        ("Caller", "+12349013030"),
        ("Digits", "1234"),
        ("From", "+12349013030"),
        ("To", "+18005551212"),
    ]
}

#[test]
fn twilios_documented_example_matches_an_independent_hmac() {
    // The brief suggested "GvWf1cFY/Q7PnoempGyD5oXAezc=" for this example; an independent HMAC
    // (below, and Python's hmac module) gives "0/KCTR6DLpKmkAf8muzZqo1nDgQ=", the value in
    // Twilio's security docs.
    let payload = "https://mycompany.com/myapp.php?foo=1&bar=2CallSidCA1234567890ABCDECaller+12349013030Digits1234From+12349013030To+18005551212";
    let independent = STANDARD.encode(rfc2104_hmac_sha1(b"12345", payload.as_bytes()));
    assert_eq!(independent, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=");
    assert_eq!(
        compute(&token("12345"), DOCS_URL, &docs_params()),
        independent
    );
    assert!(validate(
        &token("12345"),
        DOCS_URL,
        &docs_params(),
        &independent
    ));
}

#[test]
fn twilio_pythons_own_test_vector_validates() {
    let params = [
        ("CallSid", "CA1234567890ABCDE"),
        ("Caller", "+14158675309"),
        ("Digits", "1234"),
        ("From", "+14158675309"),
        ("To", "+18005551212"),
    ];
    assert!(validate(
        &token("12345"),
        DOCS_URL,
        &params,
        "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    ));
    assert!(validate(
        &token("12345"),
        "https://mycompany.com:443/myapp.php?foo=1&bar=2",
        &params,
        "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    ));
}

#[test]
fn the_json_body_variant_checks_the_body_hash_and_the_url_signature() {
    let body = br#"{"property": "value", "boolean": true}"#;
    let url = format!("{DOCS_URL}&bodySHA256={}", body_sha256(body));
    // twilio-python's vector for this body and URL.
    assert!(validate_json_body(
        &token("12345"),
        &url,
        body,
        "a9nBmqA0ju/hNViExpshrM61xv4="
    ));
    let independent = STANDARD.encode(rfc2104_hmac_sha1(b"12345", url.as_bytes()));
    assert_eq!(independent, "a9nBmqA0ju/hNViExpshrM61xv4=");
    assert!(!validate_json_body(
        &token("12345"),
        &url,
        br#"{"property": "other"}"#,
        &independent
    ));
    assert!(!validate_json_body(
        &token("12345"),
        DOCS_URL,
        body,
        &compute::<&str, &str>(&token("12345"), DOCS_URL, &[])
    ));
}

#[test]
fn repeated_names_contribute_each_distinct_value_sorted() {
    let t = token("secret");
    let payload = "https://x.example/cbAb1Ab2C3";
    let expected = STANDARD.encode(rfc2104_hmac_sha1(b"secret", payload.as_bytes()));
    let params = [("C", "3"), ("A", "b2"), ("A", "b1"), ("A", "b2")];
    assert_eq!(compute(&t, "https://x.example/cb", &params), expected);
}

#[test]
fn port_toggling_handles_userinfo_ipv6_and_other_ports() {
    assert_eq!(
        toggle_default_port("https://a.example/x").as_deref(),
        Some("https://a.example:443/x")
    );
    assert_eq!(
        toggle_default_port("http://a.example:80?q=1").as_deref(),
        Some("http://a.example?q=1")
    );
    assert_eq!(
        toggle_default_port("https://u:p@[::1]:443/x").as_deref(),
        Some("https://u:p@[::1]/x")
    );
    assert_eq!(
        toggle_default_port("https://[::1]/x").as_deref(),
        Some("https://[::1]:443/x")
    );
    assert_eq!(toggle_default_port("https://a.example:8443/x"), None);
    assert_eq!(toggle_default_port("ftp://a.example/x"), None);
    assert_eq!(toggle_default_port("not a url"), None);
}

#[test]
fn a_signature_of_another_length_or_garbage_is_rejected() {
    let t = token("12345");
    assert!(!validate(&t, DOCS_URL, &docs_params(), ""));
    assert!(!validate(
        &t,
        DOCS_URL,
        &docs_params(),
        "0/KCTR6DLpKmkAf8muzZqo1nDgQ"
    ));
    assert!(!validate(&t, DOCS_URL, &docs_params(), "💥"));
}

fn url_strategy() -> impl Strategy<Value = String> {
    "https?://[a-z]{1,10}(\\.[a-z]{2,5})?(:(8080|8443))?(/[a-zA-Z0-9_.~-]{0,10}){0,3}(\\?[a-z]=[0-9]{1,3})?"
}

fn params_strategy() -> impl Strategy<Value = BTreeMap<String, String>> {
    prop::collection::btree_map("[A-Z][a-zA-Z]{0,12}", "\\PC{0,20}", 0..8)
}

proptest! {
    #[test]
    fn a_computed_signature_validates(t in "\\PC{1,40}", url in url_strategy(), params in params_strategy()) {
        let params: Vec<_> = params.into_iter().collect();
        let sig = compute(&token(&t), &url, &params);
        prop_assert!(validate(&token(&t), &url, &params, &sig));
    }

    #[test]
    fn parameter_order_does_not_matter(url in url_strategy(), params in params_strategy(), seed in any::<u64>()) {
        let ordered: Vec<_> = params.into_iter().collect();
        let mut shuffled = ordered.clone();
        // Deterministic shuffle from the seed: rotate and reverse.
        if !shuffled.is_empty() {
            let n = shuffled.len();
            shuffled.rotate_left((seed as usize) % n);
            if seed % 2 == 0 { shuffled.reverse(); }
        }
        prop_assert_eq!(compute(&token("k"), &url, &ordered), compute(&token("k"), &url, &shuffled));
    }

    #[test]
    fn any_change_to_the_url_breaks_the_signature(url in url_strategy(), extra in "[a-z0-9/=&]", params in params_strategy()) {
        let params: Vec<_> = params.into_iter().collect();
        let sig = compute(&token("k"), &url, &params);
        let changed = format!("{url}{extra}");
        prop_assert!(!validate(&token("k"), &changed, &params, &sig));
    }

    #[test]
    fn any_change_to_a_value_breaks_the_signature(
        url in url_strategy(), params in params_strategy().prop_filter("one param", |p| !p.is_empty()),
        pick in any::<prop::sample::Index>(), replacement in "\\PC{0,20}",
    ) {
        let original: Vec<_> = params.into_iter().collect();
        let i = pick.index(original.len());
        prop_assume!(original[i].1 != replacement);
        // Names are unique, so the payload differs either in length or at the value's offset.
        let mut changed = original.clone();
        changed[i].1 = replacement;
        let sig = compute(&token("k"), &url, &original);
        prop_assert!(!validate(&token("k"), &url, &changed, &sig));
    }

    #[test]
    fn adding_or_renaming_a_parameter_breaks_the_signature(url in url_strategy(), params in params_strategy(), value in "[a-z]{1,5}") {
        let original: Vec<_> = params.into_iter().collect();
        let sig = compute(&token("k"), &url, &original);
        let mut added = original.clone();
        added.push(("zzz".to_owned(), value));
        prop_assert!(!validate(&token("k"), &url, &added, &sig));
    }

    #[test]
    fn another_token_breaks_the_signature(a in "\\PC{1,40}", b in "\\PC{1,40}", url in url_strategy()) {
        prop_assume!(a != b);
        let sig = compute::<&str, &str>(&token(&a), &url, &[]);
        prop_assert!(!validate::<&str, &str>(&token(&b), &url, &[], &sig));
    }

    #[test]
    fn the_default_port_may_be_present_on_either_side(host in "[a-z]{1,10}\\.example", path in "(/[a-z0-9]{0,8}){0,3}", https in any::<bool>(), params in params_strategy()) {
        let (scheme, port) = if https { ("https", 443) } else { ("http", 80) };
        let bare = format!("{scheme}://{host}{path}?x=1");
        let ported = format!("{scheme}://{host}:{port}{path}?x=1");
        let params: Vec<_> = params.into_iter().collect();
        prop_assert!(validate(&token("k"), &ported, &params, &compute(&token("k"), &bare, &params)));
        prop_assert!(validate(&token("k"), &bare, &params, &compute(&token("k"), &ported, &params)));
        let other = format!("{scheme}://{host}:8081{path}?x=1");
        prop_assert!(!validate(&token("k"), &other, &params, &compute(&token("k"), &bare, &params)));
    }

    #[test]
    fn the_body_variant_rejects_any_other_body(body in prop::collection::vec(any::<u8>(), 0..200), flip in any::<prop::sample::Index>()) {
        let url = format!("https://hooks.example/cb?bodySHA256={}", body_sha256(&body));
        let sig = compute::<&str, &str>(&token("k"), &url, &[]);
        prop_assert!(validate_json_body(&token("k"), &url, &body, &sig));
        let mut other = body.clone();
        if other.is_empty() { other.push(0); } else { let i = flip.index(other.len()); other[i] ^= 1; }
        prop_assert!(!validate_json_body(&token("k"), &url, &other, &sig));
    }
}
