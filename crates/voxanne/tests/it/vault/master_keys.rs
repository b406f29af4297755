//! Master keys: wrong or missing keys stop start-up, a missing key makes a record
//! `undecryptable`, and rotation under a concurrent reader loses nothing.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use secrecy::ExposeSecret;
use voxanne::config::Settings;
use voxanne::store::{CredentialType, SecretField, Store, StoreError, VerificationStatus};
use voxanne::vault::{Keyring, MasterKey};

use crate::support::{Sentinel, TestStore};

#[tokio::test]
async fn a_wrong_master_key_stops_start_up_with_a_message_naming_the_setting() {
    let t = TestStore::new().await;
    t.org("Clinic").await;

    let wrong = Keyring::new(vec![MasterKey::generate()]).unwrap();
    let err = Store::open(&t.db.url, wrong).await.unwrap_err();

    assert!(matches!(err, StoreError::WrongMasterKey { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("VOXANNE_MASTER_KEY"), "{message}");
    assert!(
        message.contains(&t.key.id().to_string()),
        "names the key the store needs: {message}"
    );
    // The right key, listed after a new one, still opens it.
    let both = Keyring::new(vec![MasterKey::generate(), t.key.clone()]).unwrap();
    Store::open(&t.db.url, both).await.unwrap();
}

#[test]
fn a_missing_master_key_stops_start_up_with_a_message_naming_the_setting_and_the_fix() {
    let err = Settings::default().keyring().unwrap_err().to_string();
    assert!(err.contains("VOXANNE_MASTER_KEY is not set"), "{err}");
    assert!(err.contains("voxanne keys generate"), "{err}");
}

#[tokio::test]
async fn a_credential_whose_master_key_is_missing_becomes_undecryptable_not_a_crash() {
    let (t, org) = TestStore::with_clinic().await;
    let token = Sentinel::new();
    let cred = t.twilio(&org.id, "main", token.secret()).await;
    let newer = MasterKey::generate();

    let without_old = t.reopen_with(vec![newer.clone()]).await;
    let err = without_old
        .open_credential_secrets(&org.id, &cred.id)
        .await
        .unwrap_err();

    assert!(matches!(err, StoreError::Undecryptable { .. }), "{err:?}");
    let listed = without_old
        .list_credentials(&org.id, Some(CredentialType::Twilio))
        .await
        .unwrap();
    assert_eq!(
        listed[0].verification_status,
        VerificationStatus::Undecryptable
    );
    let with_both = t.reopen_with(vec![newer, t.key.clone()]).await;
    let opened = with_both
        .open_credential_secrets(&org.id, &cred.id)
        .await
        .unwrap();
    assert_eq!(
        opened.get(SecretField::AuthToken).unwrap().expose_secret(),
        token.text()
    );
}

#[tokio::test]
async fn the_start_up_sweep_lists_credentials_whose_key_is_missing_and_restores_them_when_it_is_back()
 {
    let (t, org) = TestStore::with_clinic().await;
    let cred = t.any_twilio(&org.id, "main").await;
    t.store
        .record_verification(
            &org.id,
            &cred.id,
            VerificationStatus::Verified,
            &serde_json::json!({"status": "verified", "checks": []}),
        )
        .await
        .unwrap();
    let status = |store: Store| {
        let (org, cred) = (org.id.clone(), cred.id.clone());
        async move {
            store
                .get_credential(&org, &cred)
                .await
                .unwrap()
                .verification_status
        }
    };
    let newer = MasterKey::generate();

    let without_old = t.reopen_with(vec![newer.clone()]).await;
    let sweep = without_old.sweep_undecryptable().await.unwrap();
    assert_eq!((sweep.marked, sweep.restored), (1, 0));
    assert_eq!(
        status(without_old).await,
        VerificationStatus::Undecryptable,
        "listed as undecryptable before anything tried to use it"
    );

    let with_both = t.reopen_with(vec![newer, t.key.clone()]).await;
    let sweep = with_both.sweep_undecryptable().await.unwrap();
    assert_eq!((sweep.marked, sweep.restored), (0, 1));
    assert_eq!(
        status(with_both.clone()).await,
        VerificationStatus::Unverified
    );
    let again = with_both.sweep_undecryptable().await.unwrap();
    assert_eq!((again.marked, again.restored), (0, 0));
}

#[tokio::test]
async fn rotation_under_a_concurrent_reader_loses_nothing_and_drives_old_key_references_to_zero() {
    let t = TestStore::new().await;
    let mut stored = Vec::new();
    for n in 0..25 {
        let org = t.org(&format!("Clinic {n}")).await;
        let token = Sentinel::new();
        let cred = t.twilio(&org.id, "main", token.secret()).await;
        stored.push((org.id, cred.id, token));
    }
    let new_key = MasterKey::generate();
    let serving = t.reopen_with(vec![new_key.clone(), t.key.clone()]).await;
    assert_eq!(
        serving.old_key_references().await.unwrap(),
        26,
        "25 data keys and the key check"
    );

    let done = Arc::new(AtomicBool::new(false));
    let reads = Arc::new(AtomicU64::new(0));
    let reader = {
        let (store, stored, done, reads) =
            (serving.clone(), stored.clone(), done.clone(), reads.clone());
        tokio::spawn(async move {
            while !done.load(Ordering::SeqCst) {
                for (org, cred, token) in &stored {
                    let opened = store.open_credential_secrets(org, cred).await.unwrap();
                    assert_eq!(
                        opened.get(SecretField::AuthToken).unwrap().expose_secret(),
                        token.text()
                    );
                    reads.fetch_add(1, Ordering::SeqCst);
                }
            }
        })
    };
    while reads.load(Ordering::SeqCst) == 0 {
        tokio::task::yield_now().await;
    }

    let reads_before = reads.load(Ordering::SeqCst);
    let mut progress = Vec::new();
    let report = serving
        .rotate_data_keys(|done, total| progress.push((done, total)))
        .await
        .unwrap();
    let reads_during_rotation = reads.load(Ordering::SeqCst) - reads_before;
    done.store(true, Ordering::SeqCst);
    reader.await.unwrap();

    assert_eq!(report.rewrapped, 25);
    assert_eq!(report.remaining_old, 0);
    assert!(report.unreadable.is_empty());
    assert_eq!(progress.last(), Some(&(25, 25)));
    assert!(
        reads_during_rotation > 0,
        "the reader must overlap the rotation"
    );
    assert_eq!(serving.old_key_references().await.unwrap(), 0);
    let usage = serving.key_usage().await.unwrap();
    let old = usage
        .iter()
        .find(|u| u.key_id == t.key.id().to_string())
        .unwrap();
    assert_eq!((old.data_keys, old.key_check), (0, false));
    // Resumable and idempotent: a second run has nothing to do.
    assert_eq!(
        serving.rotate_data_keys(|_, _| {}).await.unwrap().rewrapped,
        0
    );
    // The old key can now be retired: the new key alone starts the store and opens everything.
    let retired = Store::open(&t.db.url, Keyring::new(vec![new_key]).unwrap())
        .await
        .unwrap();
    for (org, cred, token) in &stored {
        let opened = retired.open_credential_secrets(org, cred).await.unwrap();
        assert_eq!(
            opened.get(SecretField::AuthToken).unwrap().expose_secret(),
            token.text()
        );
    }
}
