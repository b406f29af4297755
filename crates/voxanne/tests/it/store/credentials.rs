use secrecy::ExposeSecret;
use serde_json::json;
use voxanne::store::{
    CredentialDisplay, CredentialPatch, CredentialType, SecretField, SecretValue, StoreError,
    VerificationStatus,
};

use super::twilio_credential;
use crate::support::store::assert_invalid;
use crate::support::{Sentinel, TestStore};

#[tokio::test]
async fn the_first_credential_of_a_type_becomes_primary_and_later_ones_do_not() {
    let (t, org) = TestStore::with_clinic().await;

    let first = t.any_twilio(&org.id, "main").await;
    let second = t.any_twilio(&org.id, "backup").await;
    let google = t.any_google(&org.id, "calendar").await;

    assert!(first.is_primary && !second.is_primary && google.is_primary);
    assert_eq!(first.verification_status, VerificationStatus::Unverified);
    assert!(first.is_active);
    let primary = t.primary_twilio(&org.id).await;
    assert_eq!(primary.map(|c| c.id), Some(first.id.clone()));
    let twilio = t
        .store
        .list_credentials(&org.id, Some(CredentialType::Twilio))
        .await
        .unwrap();
    assert_eq!(
        twilio.iter().map(|c| &c.id).collect::<Vec<_>>(),
        vec![&first.id, &second.id]
    );
    assert_eq!(
        t.store.list_credentials(&org.id, None).await.unwrap().len(),
        3
    );
}

#[tokio::test]
async fn secrets_open_as_stored_and_only_their_last_four_are_shown() {
    let (t, org) = TestStore::with_clinic().await;
    let token = Sentinel::new();

    let cred = t.twilio(&org.id, "main", token.secret()).await;
    let opened = t.open(&org.id, &cred.id).await;

    assert_eq!(
        opened.get(SecretField::AuthToken).unwrap().expose_secret(),
        token.text()
    );
    assert!(opened.get(SecretField::ApiKeySecret).is_none());
    assert_eq!(
        cred.secret_last4.as_deref(),
        Some(&token.text()[token.text().len() - 4..])
    );
    assert!(!format!("{opened:?}").contains(token.text()));
}

#[tokio::test]
async fn a_secret_field_of_another_type_is_refused() {
    let (t, org) = TestStore::with_clinic().await;
    let mut new = twilio_credential("main", Sentinel::new().secret());
    new.secrets.push(SecretValue::new(
        SecretField::RefreshToken,
        Sentinel::new().secret(),
    ));

    let refused = t.store.insert_credential(&org.id, new).await;

    assert_invalid(refused, "secrets");
    assert!(
        t.store
            .list_credentials(&org.id, None)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn replacing_secrets_resets_verification_and_keeps_other_fields() {
    let (t, org) = TestStore::with_clinic().await;
    let cred = t.any_twilio(&org.id, "main").await;
    let report = json!({"checks": [{"id": "account_active", "result": "pass"}]});
    let verified = t
        .store
        .record_verification(&org.id, &cred.id, VerificationStatus::Verified, &report)
        .await
        .unwrap();
    assert_eq!(verified.verification_status, VerificationStatus::Verified);
    assert_eq!(verified.verification_report.as_ref(), Some(&report));
    assert!(verified.verified_at.is_some());
    let new_token = Sentinel::new();

    let patched = t
        .patch(
            &org.id,
            &cred.id,
            CredentialPatch {
                label: Some("renamed".into()),
                secrets: Some(vec![SecretValue::new(
                    SecretField::AuthToken,
                    new_token.secret(),
                )]),
                ..Default::default()
            },
        )
        .await;

    assert_eq!(patched.label, "renamed");
    assert_eq!(patched.verification_status, VerificationStatus::Unverified);
    assert!(patched.verified_at.is_none() && patched.verification_report.is_none());
    assert_eq!(patched.display, cred.display);
    assert_eq!(
        patched.secret_last4.as_deref(),
        Some(&new_token.text()[new_token.text().len() - 4..])
    );
    let opened = t.open(&org.id, &cred.id).await;
    assert_eq!(
        opened.get(SecretField::AuthToken).unwrap().expose_secret(),
        new_token.text()
    );
}

#[tokio::test]
async fn new_display_fields_reset_verification_and_deactivation_hides_the_primary() {
    let (t, org) = TestStore::with_clinic().await;
    let cred = t.any_twilio(&org.id, "main").await;
    t.mark_verified(&org.id, &cred.id).await;
    let display = CredentialDisplay {
        from_number: Some("+15550100009".into()),
        ..cred.display.clone()
    };

    let patched = t
        .patch(
            &org.id,
            &cred.id,
            CredentialPatch {
                display: Some(display.clone()),
                is_active: Some(false),
                ..Default::default()
            },
        )
        .await;

    assert_eq!(patched.display, display);
    assert_eq!(patched.verification_status, VerificationStatus::Unverified);
    assert!(!patched.is_active && patched.is_primary);
    assert!(t.primary_twilio(&org.id).await.is_none());
}

#[tokio::test]
async fn a_refreshed_access_token_is_stored_with_its_expiry_without_touching_verification() {
    let (t, org) = TestStore::with_clinic().await;
    let cred = t.any_google(&org.id, "cal").await;
    t.mark_verified(&org.id, &cred.id).await;
    let access = Sentinel::new();
    let expiry = chrono::DateTime::parse_from_rfc3339("2030-01-02T03:04:05Z")
        .unwrap()
        .to_utc();

    t.store
        .refresh_secret(
            &org.id,
            &cred.id,
            SecretValue {
                field: SecretField::AccessToken,
                value: access.secret(),
                expires_at: Some(expiry),
            },
        )
        .await
        .unwrap();

    let opened = t.open(&org.id, &cred.id).await;
    let stored = opened.get_with_expiry(SecretField::AccessToken).unwrap();
    assert_eq!(stored.value.expose_secret(), access.text());
    assert_eq!(stored.expires_at, Some(expiry));
    assert_eq!(
        opened.credential.verification_status,
        VerificationStatus::Verified
    );
}

#[tokio::test]
async fn deleting_a_credential_destroys_its_secret_rows() {
    let (t, org) = TestStore::with_clinic().await;
    let token = Sentinel::new();
    let cred = t.twilio(&org.id, "main", token.secret()).await;

    t.store.delete_credential(&org.id, &cred.id).await.unwrap();

    assert!(matches!(
        t.store.get_credential(&org.id, &cred.id).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        t.store.open_credential_secrets(&org.id, &cred.id).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        t.store.delete_credential(&org.id, &cred.id).await,
        Err(StoreError::NotFound { .. })
    ));
    let rows = crate::support::raw::secret_row_count(&t.db).await;
    assert_eq!(rows, 0);
}
