use secrecy::SecretString;
use voxanne::ids::OrgId;
use voxanne::store::{Role, StoreError};

use crate::support::store::assert_invalid;
use crate::support::{Sentinel, TestStore};

#[tokio::test]
async fn a_user_logs_in_with_their_password_and_nothing_else() {
    let (t, org) = TestStore::with_clinic().await;
    let password = Sentinel::new();

    let user = t
        .store
        .create_user(
            &org.id,
            " Owner@Clinic.Example ",
            password.secret(),
            Role::Owner,
        )
        .await
        .unwrap();

    assert_eq!(user.email, "owner@clinic.example");
    let logged_in = t
        .store
        .verify_user_password("owner@clinic.example", password.secret())
        .await
        .unwrap();
    assert_eq!(logged_in, user);
    let wrong = t
        .store
        .verify_user_password(
            "owner@clinic.example",
            SecretString::from("not the password"),
        )
        .await
        .unwrap_err();
    assert!(matches!(wrong, StoreError::InvalidLogin), "{wrong:?}");
    let unknown = t
        .store
        .verify_user_password("nobody@clinic.example", password.secret())
        .await
        .unwrap_err();
    assert!(matches!(unknown, StoreError::InvalidLogin), "{unknown:?}");
    assert_eq!(t.store.list_users(&org.id).await.unwrap(), vec![user]);
}

#[tokio::test]
async fn an_email_already_in_use_is_a_conflict() {
    let (t, org) = TestStore::with_clinic().await;
    let other = t.org("Other").await;
    t.user(&org.id, "a@clinic.example", Role::Owner)
        .await
        .unwrap();

    let err = t
        .user(&other.id, "A@clinic.example", Role::Admin)
        .await
        .unwrap_err();

    assert!(
        matches!(err, StoreError::Conflict { field: "email", .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn bad_input_names_the_field_and_unknown_orgs_are_not_found() {
    let (t, org) = TestStore::with_clinic().await;
    let refusals = [
        ("b@clinic.example", SecretString::from("short"), "password"),
        ("not-an-email", Sentinel::new().secret(), "email"),
    ];

    for (email, password, field) in refusals {
        let refused = t
            .store
            .create_user(&org.id, email, password, Role::Admin)
            .await;
        assert_invalid(refused, field);
    }
    let missing = t
        .store
        .create_user(
            &OrgId::generate(),
            "c@clinic.example",
            Sentinel::new().secret(),
            Role::Admin,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(missing, StoreError::NotFound { .. }),
        "{missing:?}"
    );
}
