//! Crypto acceptance: tampering, moved blobs, nonce freshness, wrong keys, rotation, deletion.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use secrecy::{ExposeSecret, SecretString};
use voxanne::config::Settings;
use voxanne::ids::OrgId;
use voxanne::store::{
    CredentialType, SecretField, SecretValue, Store, StoreError, VerificationStatus,
};
use voxanne::vault::{DataKey, Keyring, MasterKey, SecretContext};

use crate::store::twilio_credential;
use crate::support::{Sentinel, TestStore, raw, sentinel::contains};

fn undecryptable<T: std::fmt::Debug>(result: Result<T, StoreError>) -> bool {
    matches!(result, Err(StoreError::Undecryptable { .. }))
}

#[tokio::test]
async fn flipping_any_byte_of_a_stored_ciphertext_or_wrapped_key_fails() {
    let t = TestStore::new().await;
    let org = t.store.create_organization("Clinic").await.unwrap();
    let token = Sentinel::new();
    let cred = t
        .store
        .insert_credential(&org.id, twilio_credential("main", token.secret()))
        .await
        .unwrap();
    let blob = raw::secret_blob(&t.store, cred.id.as_str(), "auth_token").await;
    let wrapped = raw::wrapped_keys(&t.store).await.remove(0).2;

    for position in 0..blob.len() {
        let mut tampered = blob.clone();
        tampered[position] ^= 0xA5;
        raw::put_secret_blob(
            &t.store,
            org.id.as_str(),
            cred.id.as_str(),
            "auth_token",
            &tampered,
        )
        .await;
        let opened = t.store.open_credential_secrets(&org.id, &cred.id).await;
        assert!(
            undecryptable(opened),
            "byte {position} of the secret blob was flipped unnoticed"
        );
    }
    raw::put_secret_blob(
        &t.store,
        org.id.as_str(),
        cred.id.as_str(),
        "auth_token",
        &blob,
    )
    .await;
    for position in 0..wrapped.len() {
        let mut tampered = wrapped.clone();
        tampered[position] ^= 0xA5;
        raw::put_wrapped_key(&t.store, org.id.as_str(), &tampered).await;
        let opened = t.store.open_credential_secrets(&org.id, &cred.id).await;
        assert!(
            undecryptable(opened),
            "byte {position} of the wrapped key was flipped unnoticed"
        );
    }
    assert_eq!(
        t.store
            .get_credential(&org.id, &cred.id)
            .await
            .unwrap()
            .verification_status,
        VerificationStatus::Undecryptable
    );

    raw::put_wrapped_key(&t.store, org.id.as_str(), &wrapped).await;
    let opened = t
        .store
        .open_credential_secrets(&org.id, &cred.id)
        .await
        .unwrap();
    assert_eq!(
        opened.get(SecretField::AuthToken).unwrap().expose_secret(),
        token.text()
    );
    assert_eq!(
        opened.credential.verification_status,
        VerificationStatus::Unverified
    );
}

#[tokio::test]
async fn a_blob_moved_to_another_organization_record_or_field_does_not_open() {
    let t = TestStore::new().await;
    let org = t.store.create_organization("A").await.unwrap();
    let other_org = t.store.create_organization("B").await.unwrap();
    let mut new = twilio_credential("source", Sentinel::new().secret());
    new.secrets.push(SecretValue::new(
        SecretField::ApiKeySecret,
        Sentinel::new().secret(),
    ));
    let source = t.store.insert_credential(&org.id, new).await.unwrap();
    let blob = raw::secret_blob(&t.store, source.id.as_str(), "auth_token").await;

    // Another field of the same record.
    raw::put_secret_blob(
        &t.store,
        org.id.as_str(),
        source.id.as_str(),
        "api_key_secret",
        &blob,
    )
    .await;
    assert!(
        undecryptable(t.store.open_credential_secrets(&org.id, &source.id).await),
        "moved field"
    );

    // Another record of the same organization.
    let sibling = t
        .store
        .insert_credential(
            &org.id,
            twilio_credential("sibling", Sentinel::new().secret()),
        )
        .await
        .unwrap();
    raw::put_secret_blob(
        &t.store,
        org.id.as_str(),
        sibling.id.as_str(),
        "auth_token",
        &blob,
    )
    .await;
    assert!(
        undecryptable(t.store.open_credential_secrets(&org.id, &sibling.id).await),
        "moved record"
    );

    // Another organization.
    let foreign = t
        .store
        .insert_credential(
            &other_org.id,
            twilio_credential("foreign", Sentinel::new().secret()),
        )
        .await
        .unwrap();
    raw::put_secret_blob(
        &t.store,
        other_org.id.as_str(),
        foreign.id.as_str(),
        "auth_token",
        &blob,
    )
    .await;
    assert!(
        undecryptable(
            t.store
                .open_credential_secrets(&other_org.id, &foreign.id)
                .await
        ),
        "moved org"
    );

    // The other org's wrapped data key, moved onto this org, does not unwrap either.
    let keys = raw::wrapped_keys(&t.store).await;
    let theirs = keys
        .iter()
        .find(|(o, _, _)| o == other_org.id.as_str())
        .unwrap();
    raw::put_wrapped_key(&t.store, org.id.as_str(), &theirs.2).await;
    assert!(
        undecryptable(t.store.open_credential_secrets(&org.id, &sibling.id).await),
        "moved key"
    );
}

#[test]
fn ten_thousand_encryptions_of_one_plaintext_are_all_different() {
    let key = DataKey::generate();
    let org = OrgId::generate();
    let context = SecretContext {
        org: &org,
        record: "cred_x",
        field: "auth_token",
    };
    let secret = SecretString::from("the same plaintext every time");

    let blobs: HashSet<Vec<u8>> = (0..10_000)
        .map(|_| key.seal(context, &secret).unwrap())
        .collect();

    assert_eq!(blobs.len(), 10_000);
    let nonces: HashSet<Vec<u8>> = blobs.iter().map(|b| b[5..29].to_vec()).collect();
    assert_eq!(nonces.len(), 10_000);
}

#[tokio::test]
async fn a_wrong_master_key_stops_start_up_with_a_message_naming_the_setting() {
    let t = TestStore::new().await;
    t.store.create_organization("Clinic").await.unwrap();

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
    let t = TestStore::new().await;
    let org = t.store.create_organization("Clinic").await.unwrap();
    let token = Sentinel::new();
    let cred = t
        .store
        .insert_credential(&org.id, twilio_credential("main", token.secret()))
        .await
        .unwrap();
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
async fn rotation_under_a_concurrent_reader_loses_nothing_and_drives_old_key_references_to_zero() {
    let t = TestStore::new().await;
    let mut stored = Vec::new();
    for n in 0..25 {
        let org = t
            .store
            .create_organization(&format!("Clinic {n}"))
            .await
            .unwrap();
        let token = Sentinel::new();
        let cred = t
            .store
            .insert_credential(&org.id, twilio_credential("main", token.secret()))
            .await
            .unwrap();
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

    let mut progress = Vec::new();
    let report = serving
        .rotate_data_keys(|done, total| progress.push((done, total)))
        .await
        .unwrap();
    let reads_during_rotation = reads.load(Ordering::SeqCst);
    done.store(true, Ordering::SeqCst);
    reader.await.unwrap();

    assert_eq!(report.rewrapped, 25);
    assert_eq!(report.remaining_old, 0);
    assert!(report.unreadable.is_empty());
    assert_eq!(progress.last(), Some(&(25, 25)));
    assert!(reads_during_rotation > 0);
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

#[tokio::test]
async fn after_an_organization_is_deleted_a_copy_of_the_database_and_the_master_key_open_none_of_its_secrets()
 {
    let t = TestStore::new().await;
    let gone = t.store.create_organization("Gone").await.unwrap();
    let kept = t.store.create_organization("Kept").await.unwrap();
    let gone_token = Sentinel::new();
    let gone_cred = t
        .store
        .insert_credential(&gone.id, twilio_credential("main", gone_token.secret()))
        .await
        .unwrap();
    t.store
        .insert_credential(
            &kept.id,
            twilio_credential("main", Sentinel::new().secret()),
        )
        .await
        .unwrap();
    // What an attacker may have kept from before: the org's ciphertexts and wrapped key.
    let gone_blob = raw::secret_blob(&t.store, gone_cred.id.as_str(), "auth_token").await;
    let gone_wrapped = raw::wrapped_keys(&t.store)
        .await
        .into_iter()
        .find(|(o, _, _)| o == gone.id.as_str())
        .unwrap()
        .2;

    t.store.delete_organization(&gone.id).await.unwrap();
    let copy = t.db.raw_copy();

    for needle in [
        gone_wrapped.clone(),
        gone_blob.clone(),
        hex::encode(&gone_wrapped).into_bytes(),
    ] {
        assert!(
            !contains(&copy, &needle[..needle.len().min(40)]),
            "a deleted organization's key material is still in the copy"
        );
    }
    let ring = Keyring::new(vec![t.key.clone()]).unwrap();
    for (org, _, wrapped) in raw::wrapped_keys(&t.store).await {
        assert_ne!(org, gone.id.as_str());
        // No remaining data key, in the deleted org's context or its own, opens the old blob.
        let context = SecretContext {
            org: &gone.id,
            record: gone_cred.id.as_str(),
            field: "auth_token",
        };
        assert!(DataKey::unwrap(&ring, &gone.id, &wrapped).is_err());
        let theirs = DataKey::unwrap(&ring, &OrgId::parse(&org).unwrap(), &wrapped).unwrap();
        assert!(theirs.open(context, &gone_blob).is_err());
    }
    assert!(matches!(
        t.store
            .open_credential_secrets(&gone.id, &gone_cred.id)
            .await,
        Err(StoreError::NotFound { .. })
    ));
    if let Some(path) = &t.db.sqlite_path {
        // A file copy, opened with the master key, knows nothing of the organization.
        let dir = tempfile::tempdir().unwrap();
        for suffix in ["", "-wal"] {
            let from = format!("{}{suffix}", path.display());
            if std::path::Path::new(&from).exists() {
                std::fs::copy(&from, dir.path().join(format!("copy.db{suffix}"))).unwrap();
            }
        }
        let url = format!("sqlite://{}", dir.path().join("copy.db").display());
        let copy_store = Store::open(&url, ring).await.unwrap();
        assert!(matches!(
            copy_store.get_organization(&gone.id).await,
            Err(StoreError::NotFound { .. })
        ));
        assert_eq!(copy_store.list_organizations().await.unwrap().len(), 1);
    }
}
