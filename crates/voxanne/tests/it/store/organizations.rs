use voxanne::ids::OrgId;
use voxanne::store::{OrgSettings, StoreError};

use crate::support::TestStore;
use crate::support::store::assert_invalid;

#[tokio::test]
async fn a_created_organization_has_default_settings_and_is_listed() {
    let t = TestStore::new().await;

    let org = t.org("  Sunrise Dental ").await;

    assert_eq!(org.name, "Sunrise Dental");
    assert_eq!(org.settings, OrgSettings::default());
    assert_eq!(t.store.get_organization(&org.id).await.unwrap(), org);
    let listed = t.store.list_organizations().await.unwrap();
    assert_eq!(listed, vec![org]);
}

#[tokio::test]
async fn an_empty_name_is_refused_naming_the_field() {
    let t = TestStore::new().await;
    assert_invalid(t.store.create_organization("   ").await, "name");
}

#[tokio::test]
async fn an_unknown_organization_is_not_found_for_every_use_case() {
    let t = TestStore::new().await;
    let missing = OrgId::generate();

    for result in [
        t.store.get_organization(&missing).await.map(|_| ()),
        t.store.delete_organization(&missing).await,
        t.store.get_settings(&missing).await.map(|_| ()),
        t.store
            .update_settings(&missing, &OrgSettings::default())
            .await
            .map(|_| ()),
        t.store.create_api_key(&missing).await.map(|_| ()),
    ] {
        assert!(
            matches!(result, Err(StoreError::NotFound { .. })),
            "{result:?}"
        );
    }
}

#[tokio::test]
async fn settings_are_validated_then_stored() {
    let (t, org) = TestStore::with_clinic().await;
    let wanted = OrgSettings {
        alert_recipients: vec!["+15555550102".into(), "+447700900123".into()],
        timezone: "America/New_York".into(),
        ..OrgSettings::default()
    };

    t.store.update_settings(&org.id, &wanted).await.unwrap();
    let bad_number = OrgSettings {
        alert_recipients: vec!["555-0100".into()],
        ..wanted.clone()
    };
    let bad_zone = OrgSettings {
        timezone: "Atlantis/Capital".into(),
        ..wanted.clone()
    };

    assert_eq!(t.store.get_settings(&org.id).await.unwrap(), wanted);
    assert_invalid(
        t.store.update_settings(&org.id, &bad_number).await,
        "alert_recipients",
    );
    assert_invalid(
        t.store.update_settings(&org.id, &bad_zone).await,
        "timezone",
    );
    assert_eq!(t.store.get_settings(&org.id).await.unwrap(), wanted);
}

#[tokio::test]
async fn deleting_an_organization_removes_everything_it_owns() {
    let t = TestStore::new().await;
    let org = t.org("Gone Clinic").await;
    let other = t.org("Staying Clinic").await;
    let (_, key) = t.store.create_api_key(&org.id).await.unwrap();
    let cred = t.any_twilio(&org.id, "main").await;

    t.store.delete_organization(&org.id).await.unwrap();

    assert!(matches!(
        t.store.get_organization(&org.id).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        t.store.authenticate_api_key(&key).await,
        Err(StoreError::InvalidApiKey)
    ));
    assert!(matches!(
        t.store.get_credential(&org.id, &cred.id).await,
        Err(StoreError::NotFound { .. })
    ));
    assert_eq!(t.store.list_organizations().await.unwrap(), vec![other]);
    let usage = t.store.key_usage().await.unwrap();
    assert_eq!(
        usage.iter().map(|u| u.data_keys).sum::<u64>(),
        1,
        "{usage:?}"
    );
}

#[tokio::test]
async fn a_database_that_cannot_be_reached_is_unavailable_not_a_database_error() {
    let t = TestStore::new().await;
    t.store.ping().await.unwrap();

    t.store.close().await;

    assert!(
        matches!(t.store.ping().await, Err(StoreError::Unavailable { .. })),
        "the readiness ping"
    );
    assert!(
        matches!(
            t.store.list_organizations().await,
            Err(StoreError::Unavailable { .. })
        ),
        "a use case"
    );
}
