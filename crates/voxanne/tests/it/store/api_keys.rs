use secrecy::ExposeSecret;
use voxanne::api_key::ApiKey;
use voxanne::ids::ApiKeyId;
use voxanne::store::StoreError;

use crate::support::TestStore;

#[tokio::test]
async fn a_new_api_key_authenticates_as_its_organization_and_records_its_use() {
    let (t, org) = TestStore::with_clinic().await;

    let (record, key) = t.store.create_api_key(&org.id).await.unwrap();
    let presented = ApiKey::parse(key.secret().expose_secret()).unwrap();
    let principal = t.store.authenticate_api_key(&presented).await.unwrap();

    assert_eq!(principal.org_id, org.id);
    assert_eq!(principal.key_id, record.id);
    assert_eq!(record.last4, key.last4());
    let listed = t.store.list_api_keys(&org.id).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert!(listed[0].last_used_at.is_some());
    assert!(listed[0].revoked_at.is_none());
}

#[tokio::test]
async fn an_unknown_well_formed_key_is_refused() {
    let t = TestStore::new().await;
    let err = t
        .store
        .authenticate_api_key(&ApiKey::generate())
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::InvalidApiKey), "{err:?}");
}

#[tokio::test]
async fn a_revoked_key_no_longer_authenticates() {
    let (t, org) = TestStore::with_clinic().await;
    let (record, key) = t.store.create_api_key(&org.id).await.unwrap();
    let (_, other_key) = t.store.create_api_key(&org.id).await.unwrap();

    let revoked = t.store.revoke_api_key(&org.id, &record.id).await.unwrap();

    assert!(revoked.revoked_at.is_some());
    assert!(matches!(
        t.store.authenticate_api_key(&key).await,
        Err(StoreError::InvalidApiKey)
    ));
    assert_eq!(
        t.store
            .authenticate_api_key(&other_key)
            .await
            .unwrap()
            .org_id,
        org.id
    );
    // The operator path finds the key's organization itself; revoking again changes nothing.
    let again = t.store.revoke_api_key_by_id(&record.id).await.unwrap();
    assert_eq!(again.revoked_at, revoked.revoked_at);
}

#[tokio::test]
async fn revoking_another_organizations_key_is_not_found_and_leaves_it_working() {
    let t = TestStore::new().await;
    let mine = t.org("Mine").await;
    let theirs = t.org("Theirs").await;
    let (record, key) = t.store.create_api_key(&theirs.id).await.unwrap();

    let err = t
        .store
        .revoke_api_key(&mine.id, &record.id)
        .await
        .unwrap_err();

    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
    assert_eq!(
        t.store.authenticate_api_key(&key).await.unwrap().org_id,
        theirs.id
    );
    assert!(t.store.list_api_keys(&mine.id).await.unwrap().is_empty());
    let missing = t
        .store
        .revoke_api_key_by_id(&ApiKeyId::generate())
        .await
        .unwrap_err();
    assert!(matches!(missing, StoreError::NotFound { .. }));
}
