//! Secret sentinels: random secrets stored through every path must never appear, in any
//! encoding, in the database files (SQLite incl. -wal) or a pg_dump, or in trace-level logs.
//! (CLI output is covered in `cli_admin`.) Moved here from the `it` binary, with their figures.

use sha2::{Digest, Sha256};

use crate::size::{database, report};
use crate::support::logs::CapturedLogs;
use crate::support::planted::plant;
use crate::support::{TestStore, raw};

#[tokio::test]
async fn no_secret_appears_in_the_database_files_or_dump_and_api_keys_are_stored_only_as_hashes() {
    let t = TestStore::new().await;

    let planted = plant(&t.store).await;
    let copy = t.db.raw_copy();

    assert!(copy.len() > 1000, "the copy is empty: nothing was checked");
    planted.assert_absent(&copy, "the database files");
    report(&format!(
        "{} sentinel secrets and {} API keys stored through every path: 0 hits in {} ({} bytes)",
        planted.secrets.len(),
        planted.api_keys.len(),
        if database() == "postgres" {
            "pg_dump"
        } else {
            "the SQLite files and -wal"
        },
        copy.len()
    ));
    let hashes = raw::api_key_hashes(&t.db).await;
    for key in &planted.api_keys {
        let hash = hex::encode(Sha256::digest(key.text().as_bytes()));
        assert!(
            hashes.contains(&hash),
            "API keys are stored as their SHA-256"
        );
    }
}

#[tokio::test(flavor = "current_thread")]
async fn no_secret_appears_in_trace_level_logs() {
    let logs = CapturedLogs::start();
    let t = TestStore::new().await;

    let planted = plant(&t.store).await;
    // A failure path too: the secrets of a store whose key is missing.
    let orgs = t.store.list_organizations().await.unwrap();
    let creds = t.store.list_credentials(&orgs[0].id, None).await.unwrap();
    let stranger = t
        .reopen_with(vec![voxanne::vault::MasterKey::generate()])
        .await;
    assert!(
        stranger
            .open_credential_secrets(&orgs[0].id, &creds[0].id)
            .await
            .is_err()
    );

    let text = logs.bytes();
    assert!(
        String::from_utf8_lossy(&text).contains("credential stored"),
        "the capture saw no store logs, so it proves nothing: {}",
        String::from_utf8_lossy(&text[..text.len().min(3000)])
    );
    planted.assert_absent(&text, "trace-level logs");
    report(&format!(
        "{} sentinel secrets: 0 hits in {} bytes of trace-level logs",
        planted.secrets.len(),
        text.len()
    ));
}
