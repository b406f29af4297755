//! Tenant isolation: another organization's id behaves exactly like a missing one.

use serde_json::json;
use voxanne::ids::CredentialId;
use voxanne::store::{StoreError, VerificationStatus};

use crate::support::TestStore;

fn assert_not_found<T: std::fmt::Debug>(result: Result<T, StoreError>, what: &str) {
    assert!(
        matches!(result, Err(StoreError::NotFound { what: "credential" })),
        "{what}: {result:?}"
    );
}

#[tokio::test]
async fn another_organizations_credential_answers_exactly_like_a_missing_one() {
    let t = TestStore::new().await;
    let mine = t.org("Mine").await;
    let theirs = t.org("Theirs").await;
    let cred = t.any_twilio(&theirs.id, "theirs").await;
    let missing = CredentialId::generate();

    for id in [&cred.id, &missing] {
        assert_not_found(t.store.get_credential(&mine.id, id).await, "get");
        assert_not_found(t.store.open_credential_secrets(&mine.id, id).await, "open");
        assert_not_found(t.set_primary(&mine.id, id, true).await, "patch");
        assert_not_found(
            t.store
                .record_verification(&mine.id, id, VerificationStatus::Failed, &json!({}))
                .await,
            "verify",
        );
        assert_not_found(t.store.delete_credential(&mine.id, id).await, "delete");
    }

    assert!(
        t.store
            .list_credentials(&mine.id, None)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(t.primary_twilio(&mine.id).await.is_none());
    let untouched = t.store.get_credential(&theirs.id, &cred.id).await.unwrap();
    assert_eq!(untouched, cred);
}
