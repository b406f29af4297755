//! Tampering: flipped bytes, blobs moved between organizations, records and fields, and
//! fresh nonces for every encryption.

use std::collections::HashSet;

use secrecy::{ExposeSecret, SecretString};
use voxanne::ids::OrgId;
use voxanne::store::{SecretField, SecretValue, VerificationStatus};
use voxanne::vault::{DataKey, SecretContext};

use super::undecryptable;
use crate::store::twilio_credential;
use crate::support::{Sentinel, TestStore, raw};

#[tokio::test]
async fn flipping_any_byte_of_a_stored_ciphertext_or_wrapped_key_fails() {
    let (t, org) = TestStore::with_clinic().await;
    let token = Sentinel::new();
    let cred = t.twilio(&org.id, "main", token.secret()).await;
    let blob = raw::secret_blob(&t.db, cred.id.as_str(), "auth_token").await;
    let wrapped = raw::wrapped_keys(&t.db).await.remove(0).2;

    for position in 0..blob.len() {
        let mut tampered = blob.clone();
        tampered[position] ^= 0xA5;
        raw::put_secret_blob(&t.db, &cred, "auth_token", &tampered).await;
        let opened = t.store.open_credential_secrets(&org.id, &cred.id).await;
        assert!(
            undecryptable(opened),
            "byte {position} of the secret blob was flipped unnoticed"
        );
    }
    raw::put_secret_blob(&t.db, &cred, "auth_token", &blob).await;
    for position in 0..wrapped.len() {
        let mut tampered = wrapped.clone();
        tampered[position] ^= 0xA5;
        raw::put_wrapped_key(&t.db, org.id.as_str(), &tampered).await;
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

    raw::put_wrapped_key(&t.db, org.id.as_str(), &wrapped).await;
    let opened = t.open(&org.id, &cred.id).await;
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
    let org = t.org("A").await;
    let other_org = t.org("B").await;
    let mut new = twilio_credential("source", Sentinel::new().secret());
    new.secrets.push(SecretValue::new(
        SecretField::ApiKeySecret,
        Sentinel::new().secret(),
    ));
    let source = t.store.insert_credential(&org.id, new).await.unwrap();
    let blob = raw::secret_blob(&t.db, source.id.as_str(), "auth_token").await;

    // Another field of the same record.
    raw::put_secret_blob(&t.db, &source, "api_key_secret", &blob).await;
    assert!(
        undecryptable(t.store.open_credential_secrets(&org.id, &source.id).await),
        "moved field"
    );

    // Another record of the same organization.
    let sibling = t.any_twilio(&org.id, "sibling").await;
    raw::put_secret_blob(&t.db, &sibling, "auth_token", &blob).await;
    assert!(
        undecryptable(t.store.open_credential_secrets(&org.id, &sibling.id).await),
        "moved record"
    );

    // Another organization.
    let foreign = t.any_twilio(&other_org.id, "foreign").await;
    raw::put_secret_blob(&t.db, &foreign, "auth_token", &blob).await;
    assert!(
        undecryptable(
            t.store
                .open_credential_secrets(&other_org.id, &foreign.id)
                .await
        ),
        "moved org"
    );

    // The other org's wrapped data key, moved onto this org, does not unwrap either.
    let keys = raw::wrapped_keys(&t.db).await;
    let theirs = keys
        .iter()
        .find(|(o, _, _)| o == other_org.id.as_str())
        .unwrap();
    raw::put_wrapped_key(&t.db, org.id.as_str(), &theirs.2).await;
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
