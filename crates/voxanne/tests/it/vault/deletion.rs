//! After `org delete`, a copy of the database plus the master key opens none of its secrets.

use voxanne::ids::OrgId;
use voxanne::store::{Store, StoreError};
use voxanne::vault::{DataKey, Keyring, SecretContext};

use crate::support::{Sentinel, TestStore, raw, sentinel::contains};

#[tokio::test]
async fn after_an_organization_is_deleted_a_copy_of_the_database_and_the_master_key_open_none_of_its_secrets()
 {
    let t = TestStore::new().await;
    let gone = t.org("Gone").await;
    let kept = t.org("Kept").await;
    let gone_token = Sentinel::new();
    let gone_cred = t.twilio(&gone.id, "main", gone_token.secret()).await;
    t.any_twilio(&kept.id, "main").await;
    // What an attacker may have kept from before: the org's ciphertexts and wrapped key.
    let gone_blob = raw::secret_blob(&t.db, gone_cred.id.as_str(), "auth_token").await;
    let gone_wrapped = raw::wrapped_keys(&t.db)
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
    for (org, _, wrapped) in raw::wrapped_keys(&t.db).await {
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
