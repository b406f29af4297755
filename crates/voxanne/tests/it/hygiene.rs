//! Repository hygiene: `.env.example` holds placeholders only. The original plan committed a real
//! Twilio token there; this test makes that impossible to repeat unnoticed.

use std::path::PathBuf;

/// True when `value` looks like a real Twilio credential: an Account or API key SID (`AC`/`SK` +
/// 32 hex digits) or a bare 32-hex token.
fn looks_like_a_real_credential(value: &str) -> bool {
    let is_hex32 = |s: &str| s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit());
    let value = value.trim().trim_matches(|c| c == '"' || c == '\'');
    is_hex32(value)
        || ((value.starts_with("AC") || value.starts_with("SK")) && is_hex32(&value[2..]))
        || value
            .split(|c: char| !c.is_ascii_alphanumeric())
            .any(|word| {
                is_hex32(word)
                    || (word.len() == 34
                        && is_hex32(&word[2..])
                        && (word.starts_with("AC") || word.starts_with("SK")))
            })
}

fn env_example() -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.env.example");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

#[test]
fn env_example_values_are_placeholders_not_real_credentials() {
    let text = env_example();
    let mut values = 0;
    for line in text.lines().filter(|l| !l.trim_start().starts_with('#')) {
        if let Some((name, value)) = line.split_once('=') {
            values += 1;
            assert!(
                !looks_like_a_real_credential(value),
                "{name} in .env.example looks like a real credential: use a placeholder"
            );
        }
    }
    assert!(values >= 5, ".env.example should document the settings");
}

#[test]
fn the_detector_catches_real_looking_sids_and_tokens() {
    let hex: String = (0..32)
        .map(|i| char::from(b"0123456789abcdef"[(i * 7) % 16]))
        .collect();
    assert!(looks_like_a_real_credential(&format!("AC{hex}")));
    assert!(looks_like_a_real_credential(&format!("\"SK{hex}\"")));
    assert!(looks_like_a_real_credential(&hex));
    assert!(!looks_like_a_real_credential(
        "ACxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
    ));
    assert!(!looks_like_a_real_credential("your-auth-token"));
}
