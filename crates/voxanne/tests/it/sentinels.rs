//! Secret sentinels: random secrets stored through every path must never appear, in any
//! encoding, in the database files (SQLite incl. -wal) or a pg_dump, or in trace-level logs.
//! (CLI output is covered in `cli_admin`.)

use std::io::Write;
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};

use crate::support::planted::plant;
use crate::support::{TestStore, raw};

#[tokio::test]
async fn no_secret_appears_in_the_database_files_or_dump_and_api_keys_are_stored_only_as_hashes() {
    let t = TestStore::new().await;

    let planted = plant(&t.store).await;
    let copy = t.db.raw_copy();

    assert!(copy.len() > 1000, "the copy is empty: nothing was checked");
    planted.assert_absent(&copy, "the database files");
    let hashes = raw::api_key_hashes(&t.db).await;
    for key in &planted.api_keys {
        let hash = hex::encode(Sha256::digest(key.text().as_bytes()));
        assert!(
            hashes.contains(&hash),
            "API keys are stored as their SHA-256"
        );
    }
}

/// A `tracing` writer that appends to a shared buffer.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test(flavor = "current_thread")]
async fn no_secret_appears_in_trace_level_logs() {
    let logs = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(logs.clone())
        .with_ansi(false)
        .finish();
    // With a single scoped subscriber, tracing computes callsite interest and the global max
    // level from whichever thread registers a callsite first (often another test's thread, which
    // has no subscriber), and can disable our callsites. A second registered dispatcher makes
    // it consult every live dispatcher instead.
    let _second = tracing::Dispatch::new(tracing::subscriber::NoSubscriber::default());
    let _guard = tracing::subscriber::set_default(subscriber);
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

    let text = logs.0.lock().unwrap().clone();
    assert!(
        String::from_utf8_lossy(&text).contains("credential stored"),
        "the capture saw no store logs, so it proves nothing: {}",
        String::from_utf8_lossy(&text[..text.len().min(3000)])
    );
    planted.assert_absent(&text, "trace-level logs");
}
